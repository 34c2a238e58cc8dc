package main

import (
	"bufio"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/tallyledger/tally/app"
)

func newResetCmd(e env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "reset",
		Short: "Delete the node's chain data (CometBFT's and the ledger's together)",
		Long: `Delete the node's chain data: CometBFT's blocks, state, WAL, evidence and tx
index and the ledger state, together, so that the two never disagree; the
validator's sign state is reset to height 0. Keys, configuration and
genesis are kept. On start the node replays the chain from its peers (or
from genesis when alone). Refuses while a node runs on this home.

Asks for confirmation on a terminal; pass --yes in scripts.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			home, err := homeFlag(cmd)
			if err != nil {
				return err
			}
			yes, _ := cmd.Flags().GetBool("yes")
			if !yes {
				if !e.stdinIsTerminal() {
					return errors.New("reset deletes the chain data; pass --yes to confirm")
				}
				fmt.Fprintf(e.stderr, "Delete all chain data in %s (keys, config and genesis are kept)? [y/N] ", home)
				answer, _ := bufio.NewReader(e.stdin).ReadString('\n')
				if a := strings.ToLower(strings.TrimSpace(answer)); a != "y" && a != "yes" {
					return errors.New("reset cancelled")
				}
			}
			if err := app.ResetHome(home); err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "Deleted the chain data of %s; keys, configuration and genesis kept.\n", home)
			return nil
		},
	}
	cmd.Flags().BoolP("yes", "y", false, "do not ask for confirmation")
	return cmd
}
