package main

import (
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/tallyledger/tally/app"
	"github.com/tallyledger/tally/cmd/internal/cliconv"
)

func newStartCmd(e env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "start",
		Short: "Run the node until SIGINT or SIGTERM",
		Long: `Run the node: CometBFT consensus with the ledger application in-process, the
CometBFT JSON-RPC and the ledger JSON-RPC API. Logs go to stdout. SIGINT or
SIGTERM stops it cleanly (every database closed) with exit status 0.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			home, err := homeFlag(cmd)
			if err != nil {
				return err
			}
			level, _ := cmd.Flags().GetString("log-level")
			format, _ := cmd.Flags().GetString("log-format")
			switch format {
			case "", "plain", "json":
			default:
				return &cliconv.UsageError{Err: fmt.Errorf("--log-format %q, expected plain or json", format)}
			}

			// Catch the signals before the (possibly long) start-up so that
			// a stop request during it still ends in a clean stop.
			sigs := make(chan os.Signal, 1)
			signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
			defer signal.Stop(sigs)

			node, err := app.NewNode(home, app.NodeOptions{LogLevel: level, LogFormat: format, Logger: e.stdout})
			if err != nil {
				return err
			}
			if err := node.Start(); err != nil {
				return err
			}
			sig := <-sigs
			fmt.Fprintf(e.stdout, "received %s, stopping the node\n", sig)
			if err := node.Stop(); err != nil {
				return fmt.Errorf("stop: %w", err)
			}
			fmt.Fprintln(e.stdout, "node stopped")
			return nil
		},
	}
	cmd.Flags().String("log-level", "", `log level: info, debug, error, none, or per module ("consensus:debug,*:info"); default from config.toml`)
	cmd.Flags().String("log-format", "", "log format: plain or json; default from config.toml")
	return cmd
}
