package main

import (
	"errors"
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
SIGTERM stops it cleanly (every database closed) with exit status 0.

When the disks holding its data have less than min_free_disk_mib (app.toml)
free, it will not start, and a running node stops cleanly with exit status
1; when a write fails for lack of space (or an I/O error) it ends at once,
as a crash would, with exit status 1. Each time one line on stderr says
which disk or store and what to do.`,
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

			node, err := app.NewNode(home, app.NodeOptions{LogLevel: level, LogFormat: format, Logger: e.stdout,
				OnDiskFault: func(f *app.DiskFault) {
					// A write failed: end here, as a crash would, which
					// every store survives; stopping cleanly would write.
					os.Exit(reportError(f, e.stderr))
				}})
			if err != nil {
				return err
			}
			if err := node.Start(); err != nil {
				return err
			}
			var sig os.Signal
			select {
			case sig = <-sigs:
			case <-node.Done():
				// The node stopped by itself: its data disk is almost full.
				if err := node.HaltReason(); err != nil {
					return err
				}
				return errors.New("the node stopped")
			}
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
