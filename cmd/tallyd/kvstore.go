package main

import (
	"context"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/tallyledger/tally/localnet"
)

// newKVStoreNodeCmd is the hidden command that `tallyd localnet bench
// --baseline kvstore` runs for each node: CometBFT with its kvstore example
// application on a localnet node's home.
func newKVStoreNodeCmd(e env) *cobra.Command {
	cmd := &cobra.Command{
		Use:    localnet.KVStoreNodeCommand,
		Short:  "Run CometBFT's kvstore example app on a localnet node home (the bench baseline)",
		Hidden: true,
		Args:   noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			home, err := homeFlag(cmd)
			if err != nil {
				return err
			}
			level, _ := cmd.Flags().GetString("log-level")
			ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			return localnet.RunKVStoreNode(ctx, home, level, e.stdout)
		},
	}
	cmd.Flags().String("log-level", "", "log level; default from config.toml")
	cmd.Flags().String("log-format", "", "ignored (config.toml's log_format is used)")
	return cmd
}
