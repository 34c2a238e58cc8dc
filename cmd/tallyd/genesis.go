package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	cmtcfg "github.com/cometbft/cometbft/config"
	cmtcrypto "github.com/cometbft/cometbft/crypto"
	"github.com/cometbft/cometbft/crypto/ed25519"
	cmttypes "github.com/cometbft/cometbft/types"
	"github.com/spf13/cobra"

	"github.com/tallyledger/tally/app"
	"github.com/tallyledger/tally/cmd/internal/cliconv"
	"github.com/tallyledger/tally/genesis"
	"github.com/tallyledger/tally/wire"
)

func newGenesisCmd(e env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "genesis",
		Short: "Edit, check and export the genesis file of the node home",
		Long: `Edit, check and export config/genesis.json of the node home. Edits are
written as they are made; run "tallyd genesis validate" when done. Every node
of a network must start from the same genesis file: assemble it on one home,
then copy it to the others' config/genesis.json.`,
		Example: `  tallyd genesis add-account tally1... --role admin
  tallyd genesis add-asset TALLY --issuer tally1...
  tallyd genesis add-balance tally1... 1000000TALLY
  tallyd genesis add-validator "$(tallyd show-validator --home ../val-2)" --name val-2
  tallyd genesis allow-node "$(tallyd show-node-id --home ../val-2)"
  tallyd genesis validate`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(
		newGenesisAddAccountCmd(e),
		newGenesisAddAssetCmd(e),
		newGenesisAddBalanceCmd(e),
		newGenesisAllowNodeCmd(e),
		newGenesisAddValidatorCmd(e),
		newGenesisSetThresholdCmd(e),
		newGenesisValidateCmd(e),
		newGenesisExportCmd(e),
	)
	return cmd
}

// editGenesis reads the home's genesis without validating it (a genesis
// is assembled step by step), applies edit and writes it back.
func editGenesis(cmd *cobra.Command, edit func(doc *cmttypes.GenesisDoc, s *genesis.AppState) error) (string, error) {
	home, err := homeFlag(cmd)
	if err != nil {
		return "", err
	}
	c, _, err := app.LoadConfig(home)
	if err != nil {
		return "", err
	}
	if err := checkChainNotStarted(c); err != nil {
		return "", err
	}
	path := c.GenesisFile()
	doc, s, err := readGenesis(path)
	if err != nil {
		return "", err
	}
	if err := edit(doc, s); err != nil {
		return "", err
	}
	return path, genesis.Write(path, doc, s)
}

// checkChainNotStarted refuses genesis edits once the node has stored
// blocks: the edited genesis would no longer match its own chain.
func checkChainNotStarted(c *cmtcfg.Config) error {
	entries, err := os.ReadDir(filepath.Join(c.DBDir(), "blockstore.db"))
	if errors.Is(err, fs.ErrNotExist) || (err == nil && len(entries) == 0) {
		return nil
	}
	return fmt.Errorf("this node has already run the chain (%s exists); editing its genesis now would contradict its blocks: run `tallyd reset` first", filepath.Join(c.DBDir(), "blockstore.db"))
}

// readGenesis parses a genesis file without the app-state validation that
// genesis.Load does.
func readGenesis(path string) (*cmttypes.GenesisDoc, *genesis.AppState, error) {
	raw, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, fmt.Errorf("genesis file %s does not exist: run `tallyd init` first (or pass the right --home)", path)
	}
	if err != nil {
		return nil, nil, err
	}
	doc, err := cmttypes.GenesisDocFromJSON(raw)
	if err != nil {
		return nil, nil, fmt.Errorf("genesis file %s is not a valid CometBFT genesis document: %w", path, err)
	}
	s := genesis.Default()
	if len(doc.AppState) > 0 {
		if s, err = genesis.Parse(doc.AppState); err != nil {
			return nil, nil, fmt.Errorf("genesis file %s: %w", path, err)
		}
	}
	return doc, s, nil
}

func newGenesisAddAccountCmd(e env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "add-account <address>",
		Short: "Register an account in genesis (member, plus any --role)",
		Args:  exactArgs(1, "<address>"),
		RunE: func(cmd *cobra.Command, args []string) error {
			roles, _ := cmd.Flags().GetStringSlice("role")
			name, _ := cmd.Flags().GetString("name")
			path, err := editGenesis(cmd, func(_ *cmttypes.GenesisDoc, s *genesis.AppState) error {
				if err := s.AddAccount(args[0], roles...); err != nil {
					return err
				}
				if name == "" {
					return nil
				}
				return s.SetName(args[0], name)
			})
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "Registered %s (roles: %s) in %s\n", args[0], strings.Join(append([]string{"member"}, roles...), ", "), path)
			return nil
		},
	}
	cmd.Flags().StringSlice("role", nil, "role to grant besides member: admin or issuer (repeatable)")
	cmd.Flags().String("name", "", "a name for the account that the explorer's search box accepts (letters, digits, '.', '_', '-'; not part of the ledger state)")
	return cmd
}

func newGenesisAddAssetCmd(e env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "add-asset <SYMBOL> --issuer <address>",
		Short: "Create an asset in genesis, issued (minted and burned) by a genesis account",
		Args:  exactArgs(1, "<SYMBOL>"),
		RunE: func(cmd *cobra.Command, args []string) error {
			issuer, _ := cmd.Flags().GetString("issuer")
			if issuer == "" {
				return &cliconv.UsageError{Err: errors.New("--issuer is required: the address that may mint and burn the asset")}
			}
			path, err := editGenesis(cmd, func(_ *cmttypes.GenesisDoc, s *genesis.AppState) error {
				return s.AddAsset(args[0], issuer)
			})
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "Created asset %s issued by %s in %s\n", args[0], issuer, path)
			return nil
		},
	}
	cmd.Flags().String("issuer", "", "address of the issuer (must be a genesis account)")
	return cmd
}

func newGenesisAddBalanceCmd(e env) *cobra.Command {
	return &cobra.Command{
		Use:     "add-balance <address> <amount><ASSET>",
		Short:   "Give a genesis account an initial balance (added to what it has)",
		Example: "  tallyd genesis add-balance tally1... 1000000TALLY",
		Args:    exactArgs(2, "<address>", "<amount><ASSET>"),
		RunE: func(cmd *cobra.Command, args []string) error {
			amount, asset, err := splitAmount(args[1])
			if err != nil {
				return err
			}
			path, err := editGenesis(cmd, func(_ *cmttypes.GenesisDoc, s *genesis.AppState) error {
				return s.AddBalance(args[0], asset, amount)
			})
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "Added %s %s to %s in %s\n", amount, asset, args[0], path)
			return nil
		},
	}
}

// splitAmount splits "1000TALLY" into "1000" and "TALLY".
func splitAmount(s string) (amount, asset string, err error) {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if i == 0 || i == len(s) {
		return "", "", fmt.Errorf("amount %q, expected digits followed by the asset symbol, such as 1000TALLY", s)
	}
	if _, err := genesis.ParseAmount(s[:i]); err != nil {
		return "", "", err
	}
	return s[:i], s[i:], nil
}

func newGenesisAllowNodeCmd(e env) *cobra.Command {
	return &cobra.Command{
		Use:   "allow-node <node-id>",
		Short: "Allow a node (by its ID, see show-node-id) to connect to the network's nodes",
		Args:  exactArgs(1, "<node-id>"),
		RunE: func(cmd *cobra.Command, args []string) error {
			path, err := editGenesis(cmd, func(_ *cmttypes.GenesisDoc, s *genesis.AppState) error {
				return s.AllowNode(args[0])
			})
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "Allowed node %s in %s\n", args[0], path)
			return nil
		},
	}
}

func newGenesisAddValidatorCmd(e env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "add-validator <pubkey>",
		Short: "Add a validator to genesis by its consensus public key",
		Long: `Add a validator to genesis. <pubkey> is the output of "tallyd show-validator"
on that node, or its ed25519 public key as base64 or hex. Remember to allow
its node too (allow-node).`,
		Args: exactArgs(1, "<pubkey>"),
		RunE: func(cmd *cobra.Command, args []string) error {
			power, _ := cmd.Flags().GetInt64("power")
			name, _ := cmd.Flags().GetString("name")
			if power <= 0 {
				return &cliconv.UsageError{Err: fmt.Errorf("--power %d, expected a positive power", power)}
			}
			pub, err := parseValidatorKey(args[0])
			if err != nil {
				return err
			}
			path, err := editGenesis(cmd, func(doc *cmttypes.GenesisDoc, _ *genesis.AppState) error {
				for _, v := range doc.Validators {
					if v.PubKey.Equals(pub) {
						return fmt.Errorf("validator %s is already in genesis", pub.Address())
					}
				}
				doc.Validators = append(doc.Validators, cmttypes.GenesisValidator{Address: pub.Address(), PubKey: pub, Power: power, Name: name})
				return nil
			})
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "Added validator %s (power %d) to %s\n", pub.Address(), power, path)
			return nil
		},
	}
	cmd.Flags().Int64("power", app.DefaultValidatorPower, "voting power")
	cmd.Flags().String("name", "", "validator name shown in genesis")
	return cmd
}

// parseValidatorKey accepts show-validator's JSON, CometBFT's public key
// JSON, or a 32-byte ed25519 key in base64 or hex: what the wallet's
// set-validator-power accepts.
func parseValidatorKey(s string) (cmtcrypto.PubKey, error) {
	b, err := wire.ParseValidatorPubKey(s)
	if err != nil {
		return nil, err
	}
	return ed25519.PubKey(b), nil
}

func newGenesisSetThresholdCmd(e env) *cobra.Command {
	return &cobra.Command{
		Use:   "set-threshold <n>",
		Short: "Set how many admin approvals pass a governance proposal",
		Args:  exactArgs(1, "<n>"),
		RunE: func(cmd *cobra.Command, args []string) error {
			n, err := strconv.ParseUint(args[0], 10, 32)
			if err != nil || n == 0 {
				return &cliconv.UsageError{Err: fmt.Errorf("threshold %q, expected a positive number", args[0])}
			}
			path, err := editGenesis(cmd, func(_ *cmttypes.GenesisDoc, s *genesis.AppState) error {
				s.Params.AdminThreshold = uint32(n)
				return nil
			})
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "Set the admin threshold to %d in %s\n", n, path)
			return nil
		},
	}
}

func genesisPath(cmd *cobra.Command) (string, error) {
	home, err := homeFlag(cmd)
	if err != nil {
		return "", err
	}
	c, _, err := app.LoadConfig(home)
	if err != nil {
		return "", err
	}
	return c.GenesisFile(), nil
}

func newGenesisValidateCmd(e env) *cobra.Command {
	return &cobra.Command{
		Use:   "validate [file]",
		Short: "Check a genesis file (default: the home's) and name every problem",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 1 {
				return &cliconv.UsageError{Err: fmt.Errorf("%s takes at most one file, got %d arguments", cmd.CommandPath(), len(args))}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			var path string
			if len(args) == 1 {
				path = args[0]
			} else {
				var err error
				if path, err = genesisPath(cmd); err != nil {
					return err
				}
			}
			doc, s, err := genesis.Load(path)
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "%s is valid: chain %s, %d validators, %d accounts, %d assets, %d allowed nodes, admin threshold %d\n",
				path, doc.ChainID, len(doc.Validators), len(s.Accounts), len(s.Assets), len(s.AllowedNodes), s.Params.AdminThreshold)
			return nil
		},
	}
}

func newGenesisExportCmd(e env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "export",
		Short: "Print the home's genesis file (or write it with --output) to share with the other nodes",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			path, err := genesisPath(cmd)
			if err != nil {
				return err
			}
			if _, _, err := genesis.Load(path); err != nil {
				return fmt.Errorf("not exporting an invalid genesis: %w", err)
			}
			raw, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			out, _ := cmd.Flags().GetString("output")
			if out == "" {
				_, err = e.stdout.Write(raw)
				return err
			}
			if err := os.WriteFile(out, raw, 0o644); err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "Wrote %s\n", out)
			return nil
		},
	}
	cmd.Flags().StringP("output", "o", "", "write to this file instead of stdout")
	return cmd
}
