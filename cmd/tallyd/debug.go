package main

import (
	"fmt"
	"io"
	"os"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/tallyledger/tally/app"
	"github.com/tallyledger/tally/cmd/internal/cliconv"
)

func newDebugCmd(e env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "debug",
		Short: "Forensics for a node whose app hash disagrees with the network",
		Long: `Debug holds the tools to find why a node's state differs from the network's.
A node whose app hash disagrees logs the height and one hash per key prefix
of its state; compare them with a healthy node's, then dump both states
("tallyd debug dump", nodes stopped), diff the dumps ("tallyd debug diff")
and re-execute the block in question ("tallyd debug replay").`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(newDebugDumpCmd(e), newDebugDiffCmd(e), newDebugReplayCmd(e))
	return cmd
}

func newDebugDumpCmd(e env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "dump",
		Short: "Write a stopped node's ledger state as a sorted, diffable text dump",
		Long: `Dump writes the ledger state of a stopped node as text: the chain ID,
height and app hash, one hash per key prefix, then every state key in
ascending order with its value in hex and as CBOR diagnostic notation.
Two dumps compare with "tallyd debug diff" (or any diff tool). The ledger
keeps only its latest state: --height other than the latest is refused.
A running node is refused: stop it first.`,
		Example: `  tallyd debug dump --home ~/.tallyd --output node0.dump`,
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			home, err := homeFlag(cmd)
			if err != nil {
				return err
			}
			hs, _ := cmd.Flags().GetString("height")
			var height int64
			if hs != "latest" {
				if height, err = strconv.ParseInt(hs, 10, 64); err != nil || height < 1 {
					return cliconv.Usagef("--height %q: expected latest or a height from 1", hs)
				}
			}
			out, _ := cmd.Flags().GetString("output")
			var w io.Writer = e.stdout
			var f *os.File
			if out != "" {
				if f, err = os.Create(out); err != nil {
					return fmt.Errorf("create dump file: %w", err)
				}
				w = f
			}
			info, err := app.DumpState(home, height, w)
			if f != nil {
				if cerr := f.Close(); err == nil {
					err = cerr
				}
				if err != nil {
					os.Remove(out)
				}
			}
			if err != nil {
				return err
			}
			if out != "" {
				fmt.Fprintf(e.stderr, "Dumped height %d (app hash %X, %d state keys) to %s\n", info.Height, info.AppHash, info.Entries, out)
			}
			return nil
		},
	}
	cmd.Flags().String("height", "latest", "height to dump (the ledger keeps only the latest)")
	cmd.Flags().StringP("output", "o", "", "write the dump to this file instead of stdout")
	return cmd
}

func newDebugDiffCmd(e env) *cobra.Command {
	return &cobra.Command{
		Use:   "diff A B",
		Short: "Compare two state dumps key by key (exit status 1 when they differ)",
		Long: `Diff reads two dumps written by "tallyd debug dump" and prints, per key
prefix, how many keys were added (in B only), removed (in A only) and
changed, then one line per key: "+" added, "-" removed, "~" changed, with
the values decoded. The exit status is 0 when the states are the same and
1 when they differ.`,
		Example: `  tallyd debug diff node0.dump node3.dump`,
		Args:    exactArgs(2, "A", "B"),
		RunE: func(cmd *cobra.Command, args []string) error {
			d, err := app.DiffDumpFiles(args[0], args[1])
			if err != nil {
				return err
			}
			if err := d.WriteText(e.stdout); err != nil {
				return err
			}
			if d.Differ() {
				return fmt.Errorf("the dumps differ in %d keys", len(d.Changes))
			}
			return nil
		},
	}
}

func newDebugReplayCmd(e env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "replay",
		Short: "Re-execute blocks from a stopped node's block store on a copy of an older state",
		Long: `Replay re-executes block --height (and the blocks before it that the state
lacks) from the block store of the stopped node at --home, on a temporary
copy of a ledger state below that height, and prints each transaction's
result (beside the result the node recorded) and the resulting app hash,
compared with the app hash the next block's header commits to (or, for the
last stored block, the one the node computed). No ledger is written.

A ledger keeps only its latest state, so replaying block H needs a state at
height H-1 or below: the node's own ledger serves when it is at H-1;
otherwise restore a backup taken at or below H-1 into another home
("tallyd restore --home DIR FILE") and pass it as --state DIR. The exit
status is 1 when an app hash differs.`,
		Example: `  tallyd restore --home /tmp/node0-old node0-backup.tar.gz
  tallyd debug replay --home ~/.tallyd --state /tmp/node0-old --height 120`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			home, err := homeFlag(cmd)
			if err != nil {
				return err
			}
			height, _ := cmd.Flags().GetInt64("height")
			if height < 1 {
				return cliconv.Usagef("--height H is required (a block height from 1)")
			}
			stateHome, _ := cmd.Flags().GetString("state")
			res, err := app.ReplayBlocks(home, height, stateHome)
			if res != nil {
				printReplay(e.stdout, res)
			}
			if err != nil {
				return err
			}
			last := res.Blocks[len(res.Blocks)-1]
			switch {
			case last.Expected == nil:
				return fmt.Errorf("block %d: no app hash is recorded to compare with", last.Height)
			case !last.Matches():
				return fmt.Errorf("block %d re-executed to app hash %X, the %s records %X", last.Height, last.AppHash, expectedSource(last), last.Expected)
			}
			return nil
		},
	}
	cmd.Flags().Int64("height", 0, "the block to replay (required)")
	cmd.Flags().String("state", "", "home of a stopped node (or restored backup) holding the state to replay on (default: --home's own ledger)")
	return cmd
}

func expectedSource(b app.ReplayBlock) string {
	if b.ExpectedFrom == "header" {
		return fmt.Sprintf("header of block %d", b.Height+1)
	}
	return "node's own execution"
}

func printReplay(w io.Writer, res *app.ReplayResult) {
	fmt.Fprintf(w, "Replaying chain %s on a copy of the ledger at height %d\n", res.ChainID, res.StateHeight)
	for i, b := range res.Blocks {
		fmt.Fprintf(w, "block %d: %d txs\n", b.Height, len(b.Txs))
		if i == len(res.Blocks)-1 || (b.Expected != nil && !b.Matches()) {
			for j, tx := range b.Txs {
				fmt.Fprintf(w, "  tx %d %s: code %d", j, tx.Hash, tx.Code)
				if tx.Log != "" {
					fmt.Fprintf(w, " %q", tx.Log)
				}
				if r := tx.Recorded; r != nil && (r.Code != tx.Code || r.Log != tx.Log) {
					fmt.Fprintf(w, " (DIFFERS: the node recorded code %d %q)", r.Code, r.Log)
				}
				fmt.Fprintln(w)
			}
		}
		switch {
		case b.Expected == nil:
			fmt.Fprintf(w, "  app hash %X (nothing recorded to compare with)\n", b.AppHash)
		case b.Matches():
			fmt.Fprintf(w, "  app hash %X matches the %s\n", b.AppHash, expectedSource(b))
		default:
			fmt.Fprintf(w, "  app hash %X DIFFERS from the %s: %X\n", b.AppHash, expectedSource(b), b.Expected)
		}
	}
}
