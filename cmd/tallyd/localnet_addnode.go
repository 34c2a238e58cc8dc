package main

import (
	"context"
	"errors"
	"fmt"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/tallyledger/tally/localnet"
)

func newLocalnetAddNodeCmd(e env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "add-node",
		Short: "Join one more (non-validator) node to a running localnet, by state sync if asked, and run it until Ctrl-C",
		Long: `Add-node prepares DIR/nodeK (K the next free index; ports base+100K upward)
as an operator joining the network would: its own keys, the network's
genesis, the validators as persistent peers. The network filters peers, so
the wallet's admin keys propose allow-node for the new node ID and approve
it up to the admin threshold. Then the node starts (its log in
DIR/nodeK/tallyd.log) and runs until Ctrl-C.

With --state-sync it restores the newest state snapshot of the validators
(they write one every 20 blocks) instead of replaying every block: its
light client trusts node0's latest header and checks the snapshot's app
hash against a verified header. The command prints how long after the
start the node served the same balances as node0.`,
		Example: `  tallyd localnet add-node --dir ./localnet-data --state-sync`,
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			dir, _ := cmd.Flags().GetString("dir")
			stateSync, _ := cmd.Flags().GetBool("state-sync")
			ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			bin, err := e.executable()
			if err != nil {
				return fmt.Errorf("find the tallyd executable: %w", err)
			}
			j, err := localnet.PrepareJoiningNode(ctx, dir, stateSync)
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "Prepared %s (node ID %s).\n", j.Home, j.NodeID)
			if err := localnet.AllowNode(ctx, dir, j.NodeID); err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "The network allows node %s (governance allow-node).\n", j.NodeID)
			net, err := localnet.Attach(dir, localnet.Options{Binary: bin})
			if err != nil {
				return err
			}
			began := time.Now()
			i, err := net.AddNode(j.Home)
			if err != nil {
				return err
			}
			defer net.StopNode(i)
			how := "replaying the chain"
			if stateSync {
				how = fmt.Sprintf("by state sync (trusting header %d %s)", j.TrustHeight, j.TrustHash)
			}
			fmt.Fprintf(e.stdout, "Started node%d %s; RPC %s, ledger API %s, metrics %s, log %s\n", i, how, net.RPCURL(i), net.APIURL(i), net.MetricsURL(i), net.LogFile(i))
			wctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
			err = net.ServingBalances(wctx, i)
			cancel()
			if err != nil {
				if ctx.Err() != nil {
					return errors.New("interrupted; the node stopped")
				}
				return err
			}
			fmt.Fprintf(e.stdout, "node%d serves the same balances as node0 %s after its start. Ctrl-C stops it.\n", i, time.Since(began).Round(10*time.Millisecond))
			<-ctx.Done()
			fmt.Fprintf(e.stdout, "Stopping node%d...\n", i)
			if err := net.StopNode(i); err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "node%d stopped; %s keeps its data (run add-node again for another node).\n", i, j.Home)
			return nil
		},
	}
	cmd.Flags().String("dir", defaultLocalnetDir, "directory of the running network")
	cmd.Flags().Bool("state-sync", false, "restore a state snapshot instead of replaying every block")
	return cmd
}
