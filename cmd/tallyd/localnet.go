package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/tallyledger/tally/cmd/internal/cliconv"
	"github.com/tallyledger/tally/crypto/keystore"
	"github.com/tallyledger/tally/explorer"
	"github.com/tallyledger/tally/localnet"
)

// defaultLocalnetDir is where `tallyd localnet` keeps its network.
const defaultLocalnetDir = "./localnet-data"

func newLocalnetCmd(e env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "localnet",
		Short: "Run a network of validators on this machine",
		Long: `Generate and run a network of validators (four by default) as local
processes, with a wallet whose keys are registered and funded in genesis.
Node i listens on base+100i (p2p), base+1+100i (CometBFT RPC),
base+3+100i (ledger API, GET /health) and base+4+100i (Prometheus /metrics).`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(newLocalnetInitCmd(e), newLocalnetStartCmd(e), newLocalnetAddNodeCmd(e), newLocalnetBenchCmd(e))
	return cmd
}

// addNetworkFlags adds the flags that shape a generated network.
func addNetworkFlags(fs *pflag.FlagSet, users int) {
	fs.String("dir", defaultLocalnetDir, "directory of the network")
	fs.Int("validators", localnet.DefaultValidators, "number of validators")
	fs.Int("base-port", localnet.DefaultBasePort, "node0's p2p port; node i uses base+100i upward")
	fs.String("chain-id", localnet.DefaultChainID, "chain ID")
	fs.Int("admins", 1, "number of admin keys (admin, admin2..); the threshold is admins/2+1")
	fs.Int("users", users, "extra funded member keys user1..userN")
	fs.Duration("timeout-commit", localnet.DefaultTimeoutCommit, "consensus timeout_commit")
	fs.Duration("timeout-propose", 0, "consensus timeout_propose (default twice timeout_commit, at least 1s)")
	fs.Bool("reset", false, "delete the network in --dir and make a new one (refused while it runs; asks first on a terminal)")
	fs.BoolP("yes", "y", false, "with --reset: do not ask for confirmation")
	fs.Bool("docker", false, "run each validator in its own container (docker-compose; a FROM scratch image of a static tallyd built here)")
}

// prepareReset runs before --reset deletes anything: it refuses while a
// node of the network runs, refuses (for start) when the new network's
// ports are taken, and on a terminal asks for confirmation. Without a
// terminal the --reset flag itself is the confirmation.
func prepareReset(cmd *cobra.Command, e env, dir string, o localnet.Options, forStart bool) error {
	if !o.Reset {
		return nil
	}
	if err := localnet.CheckNotRunning(cmd.Context(), dir); err != nil {
		return err
	}
	if forStart && len(o.Hosts) == 0 {
		base, n := o.BasePort, o.Validators
		if base == 0 {
			base = localnet.DefaultBasePort
		}
		if n == 0 {
			n = localnet.DefaultValidators
		}
		if err := localnet.CheckPorts("127.0.0.1", base, n); err != nil {
			return fmt.Errorf("%w; nothing was deleted", err)
		}
	}
	m, err := localnet.LoadManifest(dir)
	if err != nil {
		return nil // nothing of a localnet to lose; Init refuses a foreign directory
	}
	if yes, _ := cmd.Flags().GetBool("yes"); yes || !e.stdinIsTerminal() {
		return nil
	}
	fmt.Fprintf(e.stderr, "Delete the localnet %q in %s (its chain, node keys and wallet keys) and make a new one? [y/N] ", m.ChainID, dir)
	answer, _ := bufio.NewReader(e.stdin).ReadString('\n')
	if a := strings.ToLower(strings.TrimSpace(answer)); a != "y" && a != "yes" {
		return errors.New("reset cancelled; nothing was deleted")
	}
	return nil
}

// networkOptions reads the network flags. Flags left at their defaults are
// not passed on, so that an existing network is reused as it is.
func networkOptions(cmd *cobra.Command) (dir string, o localnet.Options, err error) {
	fs := cmd.Flags()
	dir, _ = fs.GetString("dir")
	if dir == "" {
		return "", o, &cliconv.UsageError{Err: errors.New("--dir is empty, expected a directory")}
	}
	if fs.Changed("validators") {
		o.Validators, _ = fs.GetInt("validators")
	}
	if fs.Changed("base-port") {
		o.BasePort, _ = fs.GetInt("base-port")
	}
	if fs.Changed("chain-id") {
		o.ChainID, _ = fs.GetString("chain-id")
	}
	if fs.Changed("admins") {
		o.Admins, _ = fs.GetInt("admins")
	}
	if fs.Changed("users") {
		o.Users, _ = fs.GetInt("users")
	}
	if fs.Changed("timeout-commit") {
		o.TimeoutCommit, _ = fs.GetDuration("timeout-commit")
	}
	if fs.Changed("timeout-propose") {
		o.TimeoutPropose, _ = fs.GetDuration("timeout-propose")
	}
	o.Reset, _ = fs.GetBool("reset")
	o.Docker, _ = fs.GetBool("docker")
	if fs.Lookup("hosts") != nil && fs.Changed("hosts") {
		hosts, _ := fs.GetStringSlice("hosts")
		o.Hosts = hosts
		if !fs.Changed("validators") {
			o.Validators = len(hosts)
		}
	}
	for _, v := range []struct {
		name string
		n    int
	}{{"validators", o.Validators}, {"admins", o.Admins}} {
		if fs.Changed(v.name) && v.n < 1 {
			return "", o, &cliconv.UsageError{Err: fmt.Errorf("--%s %d, expected at least 1", v.name, v.n)}
		}
	}
	return dir, o, nil
}

func newLocalnetInitCmd(e env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "init",
		Short: "Write a network's files (node homes, genesis, wallet) without starting it",
		Long: `Write a network's files without starting it: DIR/node0..node{N-1} (node
homes sharing one genesis), DIR/wallet (unencrypted test keys admin, alice,
bob, registered and funded in genesis) and DIR/localnet.json.

With --hosts, the network is for several machines: node i listens on all
interfaces at --base-port and its peers reach it at the i-th host; copy
DIR/nodeI to host i and run "tallyd start --home <that dir>" there.`,
		Example: `  tallyd localnet init
  tallyd localnet init --dir ./net --hosts 10.0.0.1,10.0.0.2,10.0.0.3,10.0.0.4`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			dir, o, err := networkOptions(cmd)
			if err != nil {
				return err
			}
			if len(o.Hosts) > 0 {
				if o.WalletPassword, err = walletPassword(cmd, e); err != nil {
					return err
				}
			}
			if err := prepareReset(cmd, e, dir, o, false); err != nil {
				return err
			}
			if err := localnet.Init(dir, o); err != nil {
				return err
			}
			m, err := localnet.LoadManifest(dir)
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "Localnet %q in %s: %d validators.\n", m.ChainID, dir, len(m.Nodes))
			tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "  node\thome\tnode ID\tp2p address")
			for _, nd := range m.Nodes {
				host := nd.Host
				if nd.Address != "" {
					host = nd.Address
				}
				fmt.Fprintf(tw, "  %s\t%s\t%s\t%s:%d\n", nd.Name, filepath.Join(dir, nd.Home), nd.NodeID, host, nd.Ports.P2P)
			}
			tw.Flush()
			fmt.Fprintf(e.stdout, "Wallet: %s (keys %s)\n", filepath.Join(dir, m.Wallet), keyNames(m))
			if m.Docker != nil {
				fmt.Fprintf(e.stdout, "Containers: %s (docker-compose project %s, network %s %s); image context %s.\n",
					filepath.Join(dir, localnet.ComposeFileName), m.Docker.Project, m.Docker.Network, m.Docker.Subnet, filepath.Join(dir, localnet.ImageDirName))
			}
			if len(m.Hosts) > 0 {
				fmt.Fprintln(e.stdout, "Copy each node's home to its host and run `tallyd start --home <home>` there.")
			} else {
				fmt.Fprintf(e.stdout, "Start it with `tallyd localnet start --dir %s`.\n", dir)
			}
			return nil
		},
	}
	addNetworkFlags(cmd.Flags(), 0)
	cmd.Flags().StringSlice("hosts", nil, "one address per validator, for a network spread over several machines (its wallet keys are encrypted)")
	cmd.Flags().String("password-file", "", "with --hosts: file (mode 0600) whose first line encrypts the wallet's keys (or $TALLY_PASSWORD)")
	return cmd
}

func newLocalnetStartCmd(e env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "start",
		Short: "Create the network if absent, start every validator, and run until Ctrl-C",
		Long: `Create the network in --dir if it does not exist (an existing one is resumed
where it stopped; --reset starts over), start one tallyd process per
validator, wait for the first block and print the endpoints. Ctrl-C stops
every node cleanly. Node logs go to DIR/nodeI/tallyd.log.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			dir, o, err := networkOptions(cmd)
			if err != nil {
				return err
			}
			o.LogLevel, _ = cmd.Flags().GetString("log-level")

			sigs := make(chan os.Signal, 1)
			signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
			defer signal.Stop(sigs)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			go func() {
				select {
				case <-sigs:
					cancel()
				case <-ctx.Done():
				}
			}()

			if err := prepareReset(cmd, e, dir, o, true); err != nil {
				return err
			}
			began := time.Now()
			if err := localnet.Init(dir, o); err != nil {
				return err
			}
			m, err := localnet.LoadManifest(dir)
			if err != nil {
				return err
			}
			if o.Binary, err = e.executable(); err != nil {
				return fmt.Errorf("find the tallyd executable: %w", err)
			}
			if m.Docker != nil {
				fmt.Fprintf(e.stdout, "Building the container image %s...\n", m.Docker.Image)
				if o.Binary, err = staticTallyd(ctx, o.Binary, dir); err != nil {
					return err
				}
			}
			fmt.Fprintf(e.stdout, "Starting the localnet in %s...\n", dir)
			net, err := localnet.Start(ctx, dir, o)
			if err != nil {
				if ctx.Err() != nil {
					return errors.New("interrupted before the first block; every node stopped")
				}
				return err
			}
			printSummary(e.stdout, net, time.Since(began))
			return superviseUntilDone(ctx, e.stdout, net)
		},
	}
	addNetworkFlags(cmd.Flags(), 0)
	cmd.Flags().String("log-level", "", "node log level (info, debug, error...); default from each node's config.toml")
	return cmd
}

// staticTallyd returns a static tallyd for the container image: built
// with `go build` (CGO_ENABLED=0) when the working directory is inside
// the Tally source tree, else the running executable if it is static.
func staticTallyd(ctx context.Context, self, dir string) (string, error) {
	if root, ok := tallyModuleRoot(); ok {
		out := filepath.Join(dir, localnet.ImageDirName, "tallyd.build")
		if err := localnet.BuildStatic(ctx, root, out); err != nil {
			return "", err
		}
		return out, nil
	}
	if err := localnet.CheckStatic(self); err != nil {
		return "", fmt.Errorf("%v (or run this command inside the Tally source tree, which builds one)", err)
	}
	return self, nil
}

// tallyModuleRoot finds the Tally module's directory at or above the
// working directory.
func tallyModuleRoot() (string, bool) {
	d, err := os.Getwd()
	if err != nil {
		return "", false
	}
	for {
		b, err := os.ReadFile(filepath.Join(d, "go.mod"))
		if err == nil {
			first, _, _ := strings.Cut(string(b), "\n")
			return d, strings.TrimSpace(first) == "module github.com/tallyledger/tally"
		}
		parent := filepath.Dir(d)
		if parent == d {
			return "", false
		}
		d = parent
	}
}

// superviseUntilDone waits for ctx's end (Ctrl-C), reporting nodes that
// exit on their own meanwhile, then stops every node. It reports a clean
// stop only when every node ran until the end and stopped cleanly;
// otherwise it names each node that died and how, and fails.
func superviseUntilDone(ctx context.Context, w io.Writer, net *localnet.Net) error {
	died := make([]string, net.Len()) // how node i ended on its own, "" while it runs
	check := func() {
		for i := range died {
			if died[i] != "" {
				continue
			}
			if status, exited := net.ExitStatus(i); exited {
				died[i] = status
				fmt.Fprintf(w, "warning: node%d exited on its own (%s); see %s\n", i, status, net.LogFile(i))
			}
		}
	}
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for done := false; !done; {
		select {
		case <-ctx.Done():
			done = true
		case <-t.C:
			check()
		}
	}
	check()
	fmt.Fprintf(w, "\nStopping %d nodes...\n", net.Len())
	stopErr := net.Stop()
	var failures []string
	for i, status := range died {
		if status != "" {
			failures = append(failures, fmt.Sprintf("node%d died during the run (%s; log %s)", i, status, net.LogFile(i)))
		}
	}
	if stopErr != nil {
		failures = append(failures, stopErr.Error())
	}
	if len(failures) > 0 {
		return fmt.Errorf("not every node stopped cleanly: %s", strings.Join(failures, "; "))
	}
	fmt.Fprintf(w, "All %d nodes stopped cleanly. Resume the chain with the same command; --reset starts a new one.\n", net.Len())
	if d := net.Docker(); d != nil {
		fmt.Fprintf(w, "Removed the containers, the network %s and the image %s.\n", d.Network, d.Image)
	}
	return nil
}

// printSummary shows the endpoints; sinceCommand is the time from the
// command's start (generating the network included) to every node having
// committed a block.
func printSummary(w io.Writer, net *localnet.Net, sinceCommand time.Duration) {
	m := net.Manifest()
	fmt.Fprintf(w, "\nLocalnet %q is running: %d validators. First block %s after the nodes were launched; every node had committed one %s after the command started.\n\n",
		m.ChainID, net.Len(), net.FirstBlock.Round(time.Millisecond), sinceCommand.Round(time.Millisecond))
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	if d := net.Docker(); d != nil {
		fmt.Fprintln(tw, "  node\tcontainer\taddress\tCometBFT RPC\tledger API\tlog")
		for i := 0; i < net.Len(); i++ {
			fmt.Fprintf(tw, "  node%d\t%s\t%s\t%s\t%s\t%s\n", i, d.Container(i), m.Nodes[i].Address, net.RPCURL(i), net.APIURL(i), net.LogFile(i))
		}
	} else {
		fmt.Fprintln(tw, "  node\tCometBFT RPC\tledger API\tmetrics\tlog")
		for i := 0; i < net.Len(); i++ {
			fmt.Fprintf(tw, "  node%d\t%s\t%s\t%s\t%s\n", i, net.RPCURL(i), net.APIURL(i), net.MetricsURL(i), net.LogFile(i))
		}
	}
	tw.Flush()
	fmt.Fprintf(w, "\nExplorer: %s%s (open it in a browser)\n", net.APIURL(0), explorer.Path)
	wallet := net.WalletDir()
	fmt.Fprintf(w, "\nWallet: %s (unencrypted test keys: %s)\n", wallet, keyNames(m))
	fmt.Fprintf(w, "Governance: a proposal passes with %d admin approval(s).\n", m.AdminThreshold)
	// The wallet's config points at node0, so no --node is needed.
	tally := tallyInvocation()
	fmt.Fprintln(w, "\nTry:")
	fmt.Fprintf(w, "  %s --home %s send alice bob 25%s\n", tally, wallet, localnet.Asset)
	fmt.Fprintf(w, "  %s --home %s query account bob\n", tally, wallet)
	fmt.Fprintln(w, "\nPress Ctrl-C to stop every node.")
}

func keyNames(m *localnet.Manifest) string {
	names := make([]string, 0, len(m.Keys))
	for _, k := range m.Keys {
		names = append(names, k.Name)
	}
	if len(names) > 8 {
		names = append(names[:8], fmt.Sprintf("... (%d in all)", len(m.Keys)))
	}
	return strings.Join(names, ", ")
}

// tallyInvocation is how to run the wallet beside this tallyd as it was
// run: "go run ./cmd/tally" under go run, the tally next to a tallyd run
// by its path ("./bin/tallyd" gives "./bin/tally"), else "tally".
func tallyInvocation() string {
	inv := cliconv.Invocation("tallyd")
	if strings.HasPrefix(inv, "go run ") {
		return "go run ./cmd/tally"
	}
	dir, base := filepath.Split(inv)
	if dir == "" {
		return "tally"
	}
	if !strings.Contains(base, "tallyd") {
		return dir + "tally"
	}
	return dir + strings.Replace(base, "tallyd", "tally", 1)
}

// walletPassword reads the password that encrypts a multi-host network's
// wallet: --password-file (readable by its owner only), $TALLY_PASSWORD,
// or the terminal without echo.
func walletPassword(cmd *cobra.Command, e env) (string, error) {
	if f, _ := cmd.Flags().GetString("password-file"); f != "" {
		if err := keystore.CheckPrivateFile(f); err != nil {
			return "", err
		}
		b, err := os.ReadFile(f)
		if err != nil {
			return "", fmt.Errorf("read password file: %v", err)
		}
		line, _, _ := strings.Cut(string(b), "\n")
		if line = strings.TrimSuffix(line, "\r"); line == "" {
			return "", fmt.Errorf("password file %s: first line is empty, expected the password", f)
		}
		return line, nil
	}
	if p := e.getenv("TALLY_PASSWORD"); p != "" {
		return p, nil
	}
	if !e.stdinIsTerminal() {
		return "", errors.New("--hosts makes a network for real machines, whose wallet keys are encrypted: give their password with --password-file or $TALLY_PASSWORD")
	}
	return keystore.PromptPassword("Password to encrypt the wallet's keys: ", true)
}
