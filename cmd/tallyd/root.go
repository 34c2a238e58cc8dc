package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/tallyledger/tally/cmd/internal/cliconv"
	"github.com/tallyledger/tally/localnet"
	"github.com/tallyledger/tally/version"
)

// EnvHome is the environment variable that overrides the default home.
const EnvHome = "TALLYD_HOME"

// defaultHomeName is the home directory's name under the user's home.
const defaultHomeName = ".tallyd"

// newRootCmd builds the whole command tree.
func newRootCmd(e env) *cobra.Command {
	root := &cobra.Command{
		Use:   "tallyd",
		Short: "Tally ledger node: a permissioned ledger under CometBFT consensus",
		Long: `tallyd runs a Tally ledger node: the deterministic ledger application under
CometBFT consensus, its CometBFT JSON-RPC and the ledger JSON-RPC API.

Set up a node with "tallyd init", shape the genesis with "tallyd genesis",
run it with "tallyd start". "tallyd localnet start" runs a network of four
validators on this machine.`,
		SilenceUsage:      true,
		SilenceErrors:     true,
		CompletionOptions: cobra.CompletionOptions{DisableDefaultCmd: true},
		Args:              noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return cmd.Help()
		},
	}
	root.SetIn(e.stdin)
	root.SetOut(e.stdout)
	root.SetErr(e.stderr)
	root.PersistentFlags().String("home", defaultHome(e), "node home directory (env "+EnvHome+")")
	if e.getenv(EnvHome) == "" {
		root.PersistentFlags().Lookup("home").DefValue = "~/" + defaultHomeName // shown in help
	}

	root.AddCommand(
		newInitCmd(e),
		newStartCmd(e),
		newReindexCmd(e),
		newGenesisCmd(e),
		newShowNodeIDCmd(e),
		newShowValidatorCmd(e),
		newResetCmd(e),
		newExportCmd(e),
		newBackupCmd(e),
		newRestoreCmd(e),
		newDebugCmd(e),
		newLocalnetCmd(e),
		newVersionCmd(e),
		newKVStoreNodeCmd(e),
	)
	root.Version = version.String()
	root.SetVersionTemplate("tallyd {{.Version}}\n")
	cliconv.Strict(root)
	return root
}

// defaultHome is $TALLYD_HOME, else ~/.tallyd.
func defaultHome(e env) string {
	if h := e.getenv(EnvHome); h != "" {
		return h
	}
	if dir, err := os.UserHomeDir(); err == nil {
		return filepath.Join(dir, defaultHomeName)
	}
	return defaultHomeName
}

// homeFlag returns the --home value of cmd.
func homeFlag(cmd *cobra.Command) (string, error) {
	home, err := cmd.Flags().GetString("home")
	if err != nil {
		return "", err
	}
	if home == "" {
		return "", &cliconv.UsageError{Err: errors.New("--home is empty, expected a directory")}
	}
	return home, nil
}

// noArgs, exactArgs and rangeArgs check positional arguments and report
// a mismatch as a usage error.
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		if cmd.HasSubCommands() {
			return &cliconv.UsageError{Err: fmt.Errorf("unknown command %q for %q", args[0], cmd.CommandPath())}
		}
		return &cliconv.UsageError{Err: fmt.Errorf("%s takes no arguments, got %q", cmd.CommandPath(), strings.Join(args, " "))}
	}
	return nil
}

func exactArgs(n int, names ...string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != n {
			return &cliconv.UsageError{Err: fmt.Errorf("%s expects %d argument(s) (%s), got %d", cmd.CommandPath(), n, strings.Join(names, " "), len(args))}
		}
		return nil
	}
}

// reportError prints err on w and returns the exit status: one line,
// except that a node's failure keeps the tail of its log below.
func reportError(err error, w io.Writer) int {
	var ne *localnet.NodeError
	if errors.As(err, &ne) {
		fmt.Fprintf(w, "Error: %s\n", strings.TrimSpace(err.Error()))
		return cliconv.ExitFailure
	}
	return cliconv.Print(w, err, false)
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

func isTerminal(f *os.File) bool { return term.IsTerminal(int(f.Fd())) }
