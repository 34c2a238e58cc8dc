package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/tallyledger/tally/app"
)

func newExportCmd(e env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "export",
		Short: "Write the stopped node's whole ledger state as a new chain's genesis file",
		Long: `Export reads the ledger of a stopped node and writes a genesis file whose
app_state is the whole ledger state at the last committed height: accounts
with their nonces, roles and freezes, balances, assets, validators, allowed
nodes, proposals and retired nonces. The new chain keeps the chain ID and
starts at the next height; its state root equals the exported app hash
(checked before writing). Validate it with "tallyd genesis validate FILE".
A running node is refused: stop it first.`,
		Example: `  tallyd export --home ~/.tallyd --output exported-genesis.json`,
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			home, err := homeFlag(cmd)
			if err != nil {
				return err
			}
			ex, err := app.ExportGenesis(home)
			if err != nil {
				return err
			}
			raw, err := app.GenesisJSON(ex.Doc)
			if err != nil {
				return err
			}
			out, _ := cmd.Flags().GetString("output")
			if out == "" {
				_, err = e.stdout.Write(raw)
				return err
			}
			if err := os.WriteFile(out, raw, 0o644); err != nil {
				return fmt.Errorf("write %s: %w", out, err)
			}
			fmt.Fprintf(e.stderr, "Exported height %d (app hash %X) of chain %s: %d accounts, %d assets, %d validators, %d proposals; the new chain starts at height %d. Wrote %s\n",
				ex.Height, ex.AppHash, ex.Doc.ChainID, len(ex.State.Accounts), len(ex.State.Assets), len(ex.Doc.Validators), len(ex.State.Proposals), ex.Doc.InitialHeight, out)
			return nil
		},
	}
	cmd.Flags().StringP("output", "o", "", "write the genesis to this file instead of stdout")
	return cmd
}
