package main

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/tallyledger/tally/app"
)

func newInitCmd(e env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "init <moniker>",
		Short: "Create a node home: configuration, node and validator keys, a one-validator genesis",
		Long: `Create a node home: config/config.toml (CometBFT) and config/app.toml (Tally),
a node key, a validator key and a genesis in which this node is the only
validator and the only allowed node. A home that already holds a genesis
(config/genesis.json) is refused and nothing in it is changed; node and
validator keys found in a home without a genesis are reused.

--base-port P lays the node's ports out as a localnet node's: p2p P,
CometBFT RPC P+1, ledger API P+3 (default 26656, 26657, 26659).

Then add accounts and assets with "tallyd genesis ...", or replace
config/genesis.json with the network's shared genesis, and run "tallyd start".`,
		Example: `  tallyd init val-1 --chain-id tally-1
  tallyd init val-1 --home /var/lib/tallyd`,
		Args: exactArgs(1, "<moniker>"),
		RunE: func(cmd *cobra.Command, args []string) error {
			home, err := homeFlag(cmd)
			if err != nil {
				return err
			}
			chainID, _ := cmd.Flags().GetString("chain-id")
			if chainID == "" {
				chainID = randomChainID()
			}
			var opts []app.InitOption
			if base, _ := cmd.Flags().GetInt("base-port"); base != 0 {
				opts = append(opts, app.WithBasePort(base))
			}
			if err := app.InitHome(home, args[0], chainID, opts...); err != nil {
				return err
			}
			c, _, err := app.LoadConfig(home)
			if err != nil {
				return err
			}
			id, err := app.ReadIdentity(c)
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "Initialized node %q in %s\n", args[0], home)
			fmt.Fprintf(e.stdout, "  chain ID:   %s\n", chainID)
			fmt.Fprintf(e.stdout, "  node ID:    %s\n", id.NodeID)
			fmt.Fprintf(e.stdout, "  validator:  %s\n", id.ValidatorPubKey.Address())
			fmt.Fprintf(e.stdout, "  genesis:    %s\n", c.GenesisFile())
			fmt.Fprintln(e.stdout, "Next:")
			fmt.Fprintf(e.stdout, "  tallyd genesis add-account <address> --role admin --home %s   (at least one admin; addresses from `tally keys add`)\n", home)
			fmt.Fprintf(e.stdout, "  tallyd genesis validate --home %s\n", home)
			fmt.Fprintf(e.stdout, "  tallyd start --home %s\n", home)
			return nil
		},
	}
	cmd.Flags().String("chain-id", "", "chain ID of a new chain (default tally-<random hex>)")
	cmd.Flags().Int("base-port", 0, "lay the ports out from this one: p2p base, CometBFT RPC base+1, ledger API base+3 (default 26656, 26657, 26659)")
	return cmd
}

// randomChainID names a fresh chain so that two test chains never share an
// ID (a transaction signed for one is then invalid on the other).
func randomChainID() string {
	var b [3]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "tally-1"
	}
	return "tally-" + hex.EncodeToString(b[:])
}
