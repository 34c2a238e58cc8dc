package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/tallyledger/tally/localnet"
)

func newLocalnetBenchCmd(e env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure blocks/s and committed transfers/s of a local network at several offered rates",
		Long: `Start a fresh local network (in a temporary directory unless --dir is given),
measure the time to its first block, then offer transfers at each rate of
--rates for --duration and report blocks/s and committed transfers/s,
measured from the committed blocks' header times. The network is stopped
(and a temporary directory removed) at the end.`,
		Example: `  tallyd localnet bench
  tallyd localnet bench --rates 100,1000 --duration 30s --users 16`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			fs := cmd.Flags()
			rates, _ := fs.GetIntSlice("rates")
			duration, _ := fs.GetDuration("duration")
			for _, r := range rates {
				if r <= 0 {
					return &usageError{cmd: cmd, err: fmt.Errorf("--rates has %d, expected positive rates", r)}
				}
			}
			if duration <= 0 {
				return &usageError{cmd: cmd, err: fmt.Errorf("--duration %s, expected a positive duration", duration)}
			}
			dir, o, err := networkOptions(cmd)
			if err != nil {
				return err
			}
			if !fs.Changed("dir") {
				// A fresh network: give it its own senders.
				o.Users, _ = fs.GetInt("users")
				tmp, err := os.MkdirTemp("", "tally-bench-")
				if err != nil {
					return err
				}
				defer os.RemoveAll(tmp)
				dir = tmp + "/net"
			}
			if o.Binary, err = e.executable(); err != nil {
				return fmt.Errorf("find the tallyd executable: %w", err)
			}

			ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			if err := localnet.Init(dir, o); err != nil {
				return err
			}
			net, err := localnet.Start(ctx, dir, o)
			if err != nil {
				return err
			}
			defer net.Stop()
			fmt.Fprintf(e.stdout, "%d validators in %s; first block %s after start, a block on every node after %s\n",
				net.Len(), dir, net.FirstBlock.Round(time.Millisecond), net.AllStarted.Round(time.Millisecond))

			tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', tabwriter.AlignRight)
			fmt.Fprintln(tw, "offered tx/s\tsent\taccepted\trejected\tblocks\tblocks/s\tcommitted\tcommitted tx/s\tmax txs/block\t")
			var firstRejection string
			for _, rate := range rates {
				res, err := localnet.Bench(ctx, net, localnet.BenchOptions{Rate: rate, Duration: duration})
				if err != nil {
					return err
				}
				fmt.Fprintf(tw, "%d (%.0f)\t%d\t%d\t%d\t%d\t%.2f\t%d\t%.1f\t%d\t\n",
					rate, res.OfferedPerSec, res.Sent, res.Accepted, res.Rejected,
					res.Blocks, res.BlocksPerSec, res.Committed, res.CommittedPerSec, res.MaxBlockTxs)
				if firstRejection == "" {
					firstRejection = res.FirstRejection
				}
			}
			tw.Flush()
			if firstRejection != "" {
				fmt.Fprintf(e.stdout, "first rejection: %s\n", firstLine(firstRejection))
			}
			return net.Stop()
		},
	}
	addNetworkFlags(cmd.Flags(), 8)
	cmd.Flags().Lookup("dir").DefValue = "a temporary directory"
	cmd.Flags().IntSlice("rates", []int{50, 200, 500}, "offered transfers per second, one run each")
	cmd.Flags().Duration("duration", 20*time.Second, "duration of each run")
	return cmd
}
