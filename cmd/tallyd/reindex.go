package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/tallyledger/tally/app"
)

func newReindexCmd(e env) *cobra.Command {
	return &cobra.Command{
		Use:   "reindex",
		Short: "Rebuild the transaction index from the block store",
		Long: `Rebuild CometBFT's transaction index (data/tx_index.db, behind "tally query
tx" and "tally query history") from the node's block store and stored block
results. The old index is moved aside to tx_index.db.damaged-<time>; delete
it once the node serves again. The node must be stopped.

At every start the node already re-indexes the newest heights its index
lacks (after a crash); run this when start-up reports the index damaged.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			home, err := homeFlag(cmd)
			if err != nil {
				return err
			}
			rep, err := app.Reindex(home)
			if err != nil {
				return err
			}
			if rep.From > rep.To {
				fmt.Fprintf(e.stdout, "The block store of %s holds no executed block: the index is empty.\n", home)
				return nil
			}
			fmt.Fprintf(e.stdout, "Indexed heights %d-%d again: %d transactions.\n", rep.From, rep.To, rep.Txs)
			return nil
		},
	}
}
