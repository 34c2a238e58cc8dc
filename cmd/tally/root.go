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
	"strings"

	"github.com/spf13/cobra"

	"github.com/tallyledger/tally/client"
	"github.com/tallyledger/tally/crypto"
	"github.com/tallyledger/tally/crypto/keystore"
)

// Environment variables the wallet reads.
const (
	envHome     = "TALLY_HOME"
	envNode     = "TALLY_NODE"
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

	stdinReader *bufio.Reader
}

// run executes the wallet with args and returns the exit code. Errors are
// printed as one line on stderr.
func run(ctx context.Context, args []string, s streams) int {
	c := &cli{streams: s}
	root := c.rootCmd()
	root.SetArgs(args)
	root.SetIn(s.stdin)
	root.SetOut(s.stdout)
	root.SetErr(s.stderr)
	if err := root.ExecuteContext(ctx); err != nil {
		fmt.Fprintln(s.stderr, "Error: "+oneLine(err.Error()))
		return 1
	}
	return 0
}

// oneLine folds a multi-line message into one line.
func oneLine(s string) string {
	s = strings.TrimSpace(s)
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == '\r' }), "; ")
}

func (c *cli) rootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "tally",
		Short: "Tally wallet: keys, transactions and queries",
		Long: `tally keeps secp256k1 keys, signs and submits Tally transactions (also
offline) and queries a node over JSON-RPC.

Keys live in the home directory (--home, $TALLY_HOME, default ~/.tally).
Encrypted keys ask for their password on the terminal, or take it from
--password-file or $TALLY_PASSWORD.`,
		SilenceErrors: true,
		SilenceUsage:  true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			return c.checkGlobals()
		},
	}
	root.CompletionOptions.DisableDefaultCmd = true
	f := root.PersistentFlags()
	f.StringVar(&c.home, "home", "", "wallet home holding the keys (default $TALLY_HOME or ~/.tally)")
	f.StringVar(&c.node, "node", "", "CometBFT RPC address of the node (default $TALLY_NODE or "+client.DefaultNodeURL+")")
	f.StringVar(&c.api, "api", "", "ledger API address of the node (default: the node's host, RPC port + 2)")
	f.StringVarP(&c.output, "output", "o", "text", "output format: text or json")
	f.StringVar(&c.backend, "keyring-backend", "", "key store backend: file (encrypted) or test (unencrypted; default: what the home was created with, file for a new home)")
	f.StringVar(&c.passwordFile, "password-file", "", "read key passwords from the first line of this file (else $TALLY_PASSWORD, else a prompt)")

	root.AddCommand(c.keysCmd(), c.sendCmd(), c.mintCmd(), c.burnCmd(), c.txCmd(), c.queryCmd(),
		c.statusCmd(), c.govCmd())
	return root
}

func (c *cli) checkGlobals() error {
	switch c.output {
	case "text", "json":
	default:
		return fmt.Errorf("bad --output %q: expected text or json", c.output)
	}
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
	if c.node == "" {
		c.node = c.getenv(envNode)
	}
	if c.node == "" {
		c.node = client.DefaultNodeURL
	}
	return nil
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

// client connects to --node (and --api).
func (c *cli) client() (*client.Client, error) {
	var opts []client.Option
	if c.api != "" {
		opts = append(opts, client.WithAPIURL(c.api))
	}
	return client.New(c.node, opts...)
}

// keystore opens the key store in the home directory.
func (c *cli) keystore() (*keystore.Store, error) {
	return keystore.Open(c.home, keystore.Options{Backend: c.backend, Password: c.passwordFunc()})
}

// passwordFunc returns passwords from --password-file, $TALLY_PASSWORD or
// the terminal, in that order.
func (c *cli) passwordFunc() keystore.PasswordFunc {
	return func(name string, create bool) (string, error) {
		if c.passwordFile != "" {
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
