package main

import (
	"encoding/json"
	"fmt"

	cmtjson "github.com/cometbft/cometbft/libs/json"
	"github.com/spf13/cobra"

	"github.com/tallyledger/tally/app"
)

func newShowNodeIDCmd(e env) *cobra.Command {
	return &cobra.Command{
		Use:   "show-node-id",
		Short: "Print this node's p2p ID (what peers and allow-node lists name it by)",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			id, err := readIdentity(cmd)
			if err != nil {
				return err
			}
			fmt.Fprintln(e.stdout, id.NodeID)
			return nil
		},
	}
}

func newShowValidatorCmd(e env) *cobra.Command {
	return &cobra.Command{
		Use:   "show-validator",
		Short: "Print this node's validator address and consensus public key as JSON",
		Long: `Print this node's validator address and consensus public key as JSON, in the
form genesis.json lists validators. Give it to the operator assembling the
genesis ("tallyd genesis add-validator '<json>'").`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			id, err := readIdentity(cmd)
			if err != nil {
				return err
			}
			pk, err := cmtjson.Marshal(id.ValidatorPubKey)
			if err != nil {
				return err
			}
			out, err := json.Marshal(struct {
				Address string          `json:"address"`
				PubKey  json.RawMessage `json:"pub_key"`
			}{id.ValidatorPubKey.Address().String(), pk})
			if err != nil {
				return err
			}
			fmt.Fprintln(e.stdout, string(out))
			return nil
		},
	}
}

func readIdentity(cmd *cobra.Command) (app.NodeIdentity, error) {
	home, err := homeFlag(cmd)
	if err != nil {
		return app.NodeIdentity{}, err
	}
	c, _, err := app.LoadConfig(home)
	if err != nil {
		return app.NodeIdentity{}, err
	}
	return app.ReadIdentity(c)
}
