package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/tallyledger/tally/client"
	"github.com/tallyledger/tally/cmd/internal/cliconv"
	"github.com/tallyledger/tally/crypto"
	"github.com/tallyledger/tally/crypto/keystore"
	"github.com/tallyledger/tally/version"
)

// Environment variables the wallet reads.
const (
	envHome     = "TALLY_HOME"
	envNode     = "TALLY_NODE"
	envAPI      = "TALLY_API"
	envChainID  = "TALLY_CHAIN_ID"
	envOutput   = "TALLY_OUTPUT"
	envPassword = "TALLY_PASSWORD"
)

// streams is the process environment a command runs in; tests replace it.
type streams struct {
	stdin      io.Reader
	stdout     io.Writer
	stderr     io.Writer
	getenv     func(string) string
	stdinIsTTY bool
}

// cli holds the global flags and the streams.
type cli struct {
	streams
	home         string
	node         string
	api          string
	output       string
	backend      string
	passwordFile string
	chainID      string // chain ID to sign for when --chain-id is not given; "" asks the node

	settings []setting // where each wallet setting came from, for `tally config`
	flags    *pflag.FlagSet

	stdinReader *bufio.Reader
	cl          *client.Client // the node client, once made

	passwordWarned bool
	// unencryptedWarned: the test-backend warning was given.
	unencryptedWarned bool
	// secretPrompt replaces the terminal prompt without echo (tests).
	secretPrompt func(prompt string) (string, error)
}

// run executes the wallet with args and returns the exit status (see
// exitStatusHelp). Errors are printed as one line on stderr: text, or
// JSON with --output json.
func run(ctx context.Context, args []string, s streams) int {
	c := &cli{streams: s}
	root := c.rootCmd()
	root.SetArgs(args)
	root.SetIn(s.stdin)
	root.SetOut(s.stdout)
	root.SetErr(s.stderr)
	err := root.ExecuteContext(ctx)
	if err != nil {
		err = c.explain(ctx, err)
	}
	return cliconv.Print(s.stderr, err, c.json() || jsonRequested(args))
}

// exitStatusHelp documents the exit statuses and the error format.
const exitStatusHelp = `Exit status:
  0  success
  1  failure: the error says why (a transaction rejected, or failed in its block)
  2  usage error: unknown command, wrong arguments or flags
  3  a transaction was submitted but is not in a block yet: it may still
     commit, so do not send it again; wait for it with "tally tx wait HASH"

Errors are one line on stderr ("Error: ..."). With --output json, results
are one JSON document on stdout and an error is one line of JSON on stderr:
  {"error":{"code":"pending","exit_code":3,"message":"..."}}
with code one of usage, pending, rejected, failed, unreachable, not_found,
wrong_endpoint, error.`

// jsonRequested reports whether args ask for --output json, for errors
// found before the flags are parsed.
func jsonRequested(args []string) bool {
	for i, a := range args {
		switch a {
		case "--output=json", "-o=json", "-ojson":
			return true
		case "--output", "-o":
			if i+1 < len(args) && args[i+1] == "json" {
				return true
			}
		case "--":
			return false
		}
	}
	return false
}

// explain gives err the kind and exit status it is reported with, and
// replaces a node's puzzling answer by the reason when the address given
// is the wrong one of the node's two servers.
func (c *cli) explain(ctx context.Context, err error) error {
	var ne *client.NodeError
	var ue *client.UnreachableError
	puzzling := errors.As(err, &ne) || (errors.As(err, &ue) && c.cl != nil && ue.URL == c.cl.APIURL())
	if puzzling && c.cl != nil {
		var ee *client.EndpointError
		if errors.As(c.cl.CheckEndpoints(context.WithoutCancel(ctx)), &ee) {
			return cliconv.WithKind(c.endpointError(ee), cliconv.ExitFailure, "wrong_endpoint")
		}
	}
	if _, ok := errors.AsType[cliconv.Coded](err); ok {
		return err
	}
	var te *client.TxError
	switch {
	case errors.As(err, &te) && te.Height > 0:
		return cliconv.WithKind(err, cliconv.ExitFailure, "failed")
	case errors.As(err, &te):
		return cliconv.WithKind(err, cliconv.ExitFailure, "rejected")
	case errors.Is(err, client.ErrUnreachable):
		return cliconv.WithKind(err, cliconv.ExitFailure, "unreachable")
	case errors.Is(err, client.ErrNotFound):
		return cliconv.WithKind(err, cliconv.ExitFailure, "not_found")
	}
	return err
}

// endpointError says which flag names the wrong server and what it wants.
func (c *cli) endpointError(ee *client.EndpointError) error {
	try := ""
	if ee.Want == client.EndpointRPC {
		if ee.Suggest != "" {
			try = " (try --node " + ee.Suggest + ")"
		}
		return fmt.Errorf("--node %s is the node's ledger API; --node wants its CometBFT RPC port, two below the API's%s", ee.URL, try)
	}
	if ee.Suggest != "" {
		try = " (try --api " + ee.Suggest + ")"
	}
	what := "--api " + ee.URL
	if c.api == "" {
		what = "the ledger API address " + ee.URL + " (--node's port + 2)"
	}
	return fmt.Errorf("%s is the node's CometBFT RPC; --api wants its ledger API port, two above the RPC's%s", what, try)
}

func (c *cli) rootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "tally",
		Short: "Tally wallet: keys, transactions and queries",
		Long: `tally keeps secp256k1 keys, signs and submits Tally transactions (also
offline) and queries a node over JSON-RPC.

Keys live in the home directory (--home, $TALLY_HOME, default ~/.tally).
Encrypted keys ask for their password on the terminal, or take it from
--password-file or $TALLY_PASSWORD. The node is --node (or $TALLY_NODE):
its CometBFT RPC address, default ` + client.DefaultNodeURL + `; the ledger
API is taken two ports above it unless --api says otherwise. The home
remembers them (and the chain ID and output format) with "tally config set".

` + exitStatusHelp,
		Version:       version.String(),
		SilenceErrors: true,
		SilenceUsage:  true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			return c.checkGlobals()
		},
	}
	root.CompletionOptions.DisableDefaultCmd = true
	f := root.PersistentFlags()
	c.flags = f
	f.StringVar(&c.home, "home", "", "wallet home holding the keys (default $TALLY_HOME or ~/.tally)")
	f.StringVar(&c.node, "node", "", "CometBFT RPC address of the node, or a comma-separated list tried in turn by send, mint, burn and tx broadcast (default $TALLY_NODE, the home's config, or "+client.DefaultNodeURL+")")
	f.StringVar(&c.api, "api", "", "ledger API address of the node (default $TALLY_API, the home's config, or the node's host, RPC port + 2)")
	f.StringVarP(&c.output, "output", "o", "text", "output format: text or json (default $TALLY_OUTPUT or the home's config)")
	f.StringVar(&c.backend, "keyring-backend", "", "key store backend: file (encrypted) or test (unencrypted; default: what the home was created with, file for a new home)")
	f.StringVar(&c.passwordFile, "password-file", "", "read key passwords from the first line of this file (else $TALLY_PASSWORD, else a prompt)")

	root.AddCommand(c.keysCmd(), c.sendCmd(), c.mintCmd(), c.burnCmd(), c.txCmd(), c.queryCmd(),
		c.statusCmd(), c.govCmd(), c.versionCmd(), c.configCmd())
	root.SetVersionTemplate("tally {{.Version}}\n")
	cliconv.Strict(root)
	root.SetFlagErrorFunc(flagError)
	return root
}

func (c *cli) checkGlobals() error {
	switch c.backend {
	case "", keystore.BackendFile, keystore.BackendTest:
	default:
		return fmt.Errorf("bad --keyring-backend %q: expected file or test", c.backend)
	}
	if c.home == "" {
		c.home = c.getenv(envHome)
	}
	if c.home == "" {
		dir, err := os.UserHomeDir()
		if err != nil {
			return fmt.Errorf("no --home given and no user home directory: %v", err)
		}
		c.home = filepath.Join(dir, ".tally")
	}
	if strings.HasPrefix(c.home, "~/") {
		if dir, err := os.UserHomeDir(); err == nil {
			c.home = filepath.Join(dir, c.home[2:])
		}
	}
	return c.resolveSettings()
}

// json reports whether --output json was asked for.
func (c *cli) json() bool { return c.output == "json" }

// emit prints v as one JSON document with --output json, else calls text.
func (c *cli) emit(v any, text func(w io.Writer)) error {
	if c.json() {
		b, err := json.MarshalIndent(v, "", "  ")
		if err != nil {
			return fmt.Errorf("encode output: %v", err)
		}
		_, err = fmt.Fprintln(c.stdout, string(b))
		return err
	}
	text(c.stdout)
	return nil
}

// fetchAndEmit connects to the node, fetches one value and prints it as
// JSON or, with text, for people: the whole body of most query commands.
// fetch takes the client first so that a method expression such as
// (*client.Client).Assets fits.
func fetchAndEmit[T any](c *cli, cmd *cobra.Command, fetch func(*client.Client, context.Context) (T, error), text func(io.Writer, T)) error {
	cl, err := c.client()
	if err != nil {
		return err
	}
	v, err := fetch(cl, cmd.Context())
	if err != nil {
		return err
	}
	return c.emit(v, func(w io.Writer) { text(w, v) })
}

// note prints a message for people on stderr (never part of the output).
func (c *cli) note(format string, args ...any) {
	fmt.Fprintf(c.stderr, format+"\n", args...)
}

// client connects to --node (its first node) and --api.
func (c *cli) client() (*client.Client, error) {
	var opts []client.Option
	if c.api != "" {
		opts = append(opts, client.WithAPIURL(c.api))
	}
	cl, err := client.New(c.nodeURLs()[0], opts...)
	if err != nil {
		return nil, cliconv.WithKind(err, cliconv.ExitUsage, "usage")
	}
	c.cl = cl
	return cl, nil
}

// negativeAmount matches the flag parser's complaint about an argument
// such as -1TALLY.
var negativeAmount = regexp.MustCompile(`shorthand flag: '\d' in (-\d\S*)`)

// flagError reports a bad flag as a usage error; a negative amount, which
// the flag parser takes for a flag, is told as what it is.
func flagError(_ *cobra.Command, err error) error {
	if m := negativeAmount.FindStringSubmatch(err.Error()); m != nil {
		return cliconv.Usagef("bad amount %q: amounts are positive", m[1])
	}
	return &cliconv.UsageError{Err: err}
}

// invocation is the wallet command as it was run, for hints; it keeps the
// node flags that were given (values from the environment or the config
// file apply again by themselves).
func (c *cli) invocation() string {
	inv := cliconv.Invocation("tally")
	if c.flags.Changed("node") && c.node != client.DefaultNodeURL {
		inv += " --node " + c.node
	}
	if c.flags.Changed("api") && c.api != "" {
		inv += " --api " + c.api
	}
	return inv
}

// nodeURLs splits --node's comma-separated list.
func (c *cli) nodeURLs() []string {
	var out []string
	for _, u := range strings.Split(c.node, ",") {
		if u = strings.TrimSpace(u); u != "" {
			out = append(out, u)
		}
	}
	if len(out) == 0 {
		out = []string{client.DefaultNodeURL}
	}
	return out
}

// failover is a client.Failover over every node of --node (--api applies
// to the first), telling on stderr each move to the next node.
func (c *cli) failover() (*client.Failover, error) {
	first, err := c.client()
	if err != nil {
		return nil, err
	}
	f := &client.Failover{Nodes: []*client.Client{first}}
	for _, u := range c.nodeURLs()[1:] {
		cl, err := client.New(u)
		if err != nil {
			return nil, err
		}
		f.Nodes = append(f.Nodes, cl)
	}
	f.OnSwitch = func(from, to string, reason error) {
		c.note("node %s failed (%s); submitting the same signed transaction to %s", from, cliconv.OneLine(reason.Error()), to)
	}
	return f, nil
}

// noteCommittedBy says which node reported the block, when several were given.
func (c *cli) noteCommittedBy(rep *client.FailoverReport) {
	if rep != nil && rep.Node != "" && len(c.nodeURLs()) > 1 {
		c.note("committed, as reported by %s (submitted to %s)", rep.Node, strings.Join(rep.SubmittedTo, ", "))
	}
}

// keystore opens the key store in the home directory.
func (c *cli) keystore() (*keystore.Store, error) {
	ks, err := keystore.Open(c.home, keystore.Options{Backend: c.backend, Password: c.passwordFunc()})
	if err == nil {
		c.warnUnencrypted(ks)
		c.warnIgnoredPassword(ks)
	}
	return ks, err
}

// warnUnencrypted says on stderr, at every command that opens them, that
// the home's keys are not encrypted (the test backend), so that such keys
// are never used unknowingly.
func (c *cli) warnUnencrypted(ks *keystore.Store) {
	if c.unencryptedWarned || ks.Backend() != keystore.BackendTest {
		return
	}
	c.unencryptedWarned = true
	c.note("warning: the keys in %s are NOT encrypted (test backend): anyone who can read these files can sign with them; use them only on test networks", c.home)
}

// warnIgnoredPassword says once that a password given for a home whose
// keys are not encrypted (the test backend) is not used.
func (c *cli) warnIgnoredPassword(ks *keystore.Store) {
	if c.passwordWarned || ks.Backend() != keystore.BackendTest {
		return
	}
	src := ""
	switch {
	case c.passwordFile != "":
		src = "--password-file"
	case c.getenv(envPassword) != "":
		src = "$" + envPassword
	default:
		return
	}
	c.passwordWarned = true
	c.note("warning: %s is ignored: the keys in %s are not encrypted (test backend)", src, c.home)
}

// passwordFunc returns passwords from --password-file, $TALLY_PASSWORD or
// the terminal, in that order.
func (c *cli) passwordFunc() keystore.PasswordFunc {
	return func(name string, create bool) (string, error) {
		if c.passwordFile != "" {
			if err := keystore.CheckPrivateFile(c.passwordFile); err != nil {
				return "", err
			}
			b, err := os.ReadFile(c.passwordFile)
			if err != nil {
				return "", fmt.Errorf("read password file: %v", err)
			}
			line, _, _ := strings.Cut(string(b), "\n")
			line = strings.TrimSuffix(line, "\r")
			if line == "" {
				return "", fmt.Errorf("password file %s: first line is empty, expected the password", c.passwordFile)
			}
			return line, nil
		}
		if p := c.getenv(envPassword); p != "" {
			return p, nil
		}
		if !c.stdinIsTTY {
			return "", fmt.Errorf("key %q needs its password: give --password-file or $%s (standard input is not a terminal)", name, envPassword)
		}
		return keystore.TerminalPassword(name, create)
	}
}

// resolveAddress reads a tally1... address or the name of a key in the
// wallet. name is "" for an address that is not one of the wallet's keys.
func (c *cli) resolveAddress(ks *keystore.Store, arg string) (addr crypto.Address, name string, err error) {
	if a, perr := crypto.ParseAddress(arg); perr == nil {
		if ks != nil {
			if k, ferr := ks.Find(a); ferr == nil {
				return a, k.Name, nil
			}
		}
		return a, "", nil
	} else if strings.HasPrefix(arg, crypto.AddressPrefix+"1") {
		return addr, "", fmt.Errorf("bad address %q: %v", arg, unwrapAddrErr(perr))
	}
	if ks == nil {
		var err error
		if ks, err = c.keystore(); err != nil {
			return addr, "", err
		}
	}
	k, err := c.getKey(ks, arg)
	if err != nil {
		return addr, "", err
	}
	return k.Address, k.Name, nil
}

// unwrapAddrErr drops the repeated "invalid address \"...\":" prefix.
func unwrapAddrErr(err error) string {
	msg := err.Error()
	if i := strings.Index(msg, "\": "); i >= 0 {
		return msg[i+3:]
	}
	return msg
}

// openKey opens the wallet's keystore and returns it with the named key's
// public part.
func (c *cli) openKey(name string) (*keystore.Store, keystore.KeyInfo, error) {
	ks, err := c.keystore()
	if err != nil {
		return nil, keystore.KeyInfo{}, err
	}
	k, err := c.getKey(ks, name)
	return ks, k, err
}

// getKey returns a key's public part with a clear error for unknown or
// badly named keys.
func (c *cli) getKey(ks *keystore.Store, name string) (keystore.KeyInfo, error) {
	if err := keystore.ValidateName(name); err != nil {
		return keystore.KeyInfo{}, fmt.Errorf("%q is neither a key name nor a tally1... address", name)
	}
	k, err := ks.Get(name)
	if errors.Is(err, keystore.ErrKeyNotFound) {
		return k, fmt.Errorf("unknown key %q in %s (`tally keys list` shows the keys)", name, c.home)
	}
	return k, err
}

// signer returns the private key of the named key (or of the wallet key
// holding the address).
func (c *cli) signer(ks *keystore.Store, nameOrAddr string) (*crypto.PrivKey, keystore.KeyInfo, error) {
	var k keystore.KeyInfo
	if a, err := crypto.ParseAddress(nameOrAddr); err == nil {
		if k, err = ks.Find(a); err != nil {
			return nil, k, fmt.Errorf("no key for address %s in %s (`tally keys list` shows the keys)", a, c.home)
		}
	} else {
		if k, err = c.getKey(ks, nameOrAddr); err != nil {
			return nil, k, err
		}
	}
	priv, err := ks.PrivKey(k.Name)
	if err != nil {
		return nil, k, err
	}
	return priv, k, nil
}

// readStdinLine reads one line from stdin (without its newline).
func (c *cli) readStdinLine() (string, error) {
	if c.stdinReader == nil {
		c.stdinReader = bufio.NewReader(c.stdin)
	}
	line, err := c.stdinReader.ReadString('\n')
	if err != nil && !(errors.Is(err, io.EOF) && line != "") {
		if errors.Is(err, io.EOF) {
			return "", errors.New("standard input ended before a line was read")
		}
		return "", err
	}
	return strings.TrimRight(line, "\r\n"), nil
}
