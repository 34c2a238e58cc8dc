package main

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/tallyledger/tally/client"
	"github.com/tallyledger/tally/wire"
)

func (c *cli) queryCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "query",
		Aliases: []string{"q"},
		Short:   "Read the ledger from a node",
	}
	cmd.AddCommand(c.queryAccountCmd(), c.queryTxCmd(), c.queryBlockCmd(), c.queryHistoryCmd(),
		c.queryValidatorsCmd(), c.queryAssetsCmd(), c.queryAssetCmd(), c.queryProposalsCmd(),
		c.queryNodesCmd())
	return cmd
}

// accountView is the printed account; Proof is set for --prove.
type accountView struct {
	client.Account
	Proof *client.AccountProof `json:"proof,omitempty"`
}

func printAccount(w io.Writer, a *client.Account) {
	fmt.Fprintf(w, "address:  %s\n", a.Address)
	if a.PendingNonce != a.Nonce {
		fmt.Fprintf(w, "nonce:    %d (next: %d, counting transactions in the mempool)\n", a.Nonce, a.PendingNonce)
	} else {
		fmt.Fprintf(w, "nonce:    %d\n", a.Nonce)
	}
	roles := strings.Join(a.Roles, ", ")
	if roles == "" {
		roles = "(none)"
	}
	fmt.Fprintf(w, "roles:    %s\n", roles)
	if a.Frozen {
		fmt.Fprintf(w, "frozen:   yes (%s)\n", a.FrozenReason)
	} else {
		fmt.Fprintf(w, "frozen:   no\n")
	}
	if len(a.Balances) == 0 {
		fmt.Fprintf(w, "balances: (none)\n")
		return
	}
	fmt.Fprintf(w, "balances:\n")
	width := 0
	for _, b := range a.Balances {
		width = max(width, len(fmt.Sprint(b.Amount)))
	}
	for _, b := range a.Balances {
		fmt.Fprintf(w, "  %*d %s\n", width, b.Amount, b.Asset)
	}
}

func (c *cli) queryAccountCmd() *cobra.Command {
	var prove bool
	var trustHeight int64
	var trustHash string
	var trustPeriod time.Duration
	var witnesses []string
	cmd := &cobra.Command{
		Use:   "account <name|address>",
		Short: "Show an account's nonce, roles, frozen state and balances",
		Long: `Show an account's nonce, roles, frozen state and balances.

With --prove the answer is verified instead of trusted: the account record
and each balance are checked with Merkle proofs against the app hash of a
block header that CometBFT's light client verified from a trusted header.

The trusted header is the chain's first header, checked against the trust
root pinned in the wallet's config.json (chain ID, genesis hash and first
header's hash, like ssh's known_hosts): the first verified read pins the
node's root (trust on first use: say so, and compare it with another
source), and every later read refuses a node whose chain does not match it.
` + "`tallyd localnet`" + ` pins its chain for its wallet. --trust-height and
--trust-hash start from another header you trust instead (get them from a
source other than the node, e.g. another operator's ` + "`tally query block H`" + `).

--witness names other nodes the light client cross-checks every header
against; the queried node itself is refused as a witness, and without one
the headers are not cross-checked. The output says what was checked
against what.`,
		Example: `  tally query account alice
  tally query account tally1qy... --prove --witness http://10.0.0.6:26657
  tally query account alice --prove --trust-height 1200 --trust-hash 4F2A...`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			addr, _, err := c.resolveAddress(nil, args[0])
			if err != nil {
				return err
			}
			cl, err := c.client()
			if err != nil {
				return err
			}
			if !prove {
				if cmd.Flags().Changed("trust-height") || cmd.Flags().Changed("trust-hash") || len(witnesses) > 0 {
					return errors.New("--trust-height, --trust-hash and --witness apply only with --prove")
				}
				a, err := cl.Account(cmd.Context(), addr)
				if err != nil {
					return err
				}
				return c.emit(accountView{Account: *a}, func(w io.Writer) { printAccount(w, a) })
			}
			trust := client.TrustOptions{Height: trustHeight, Period: trustPeriod, Witnesses: witnesses}
			if trustHash != "" {
				if trust.Hash, err = hex.DecodeString(trustHash); err != nil || len(trust.Hash) != 32 {
					return fmt.Errorf("bad --trust-hash %q: expected 64 hex digits (a block hash)", trustHash)
				}
			}
			if (trustHeight == 0) != (trustHash == "") {
				return errors.New("--trust-height and --trust-hash go together: give both or neither")
			}
			conf, err := client.LoadWalletConfig(c.home)
			if err != nil {
				return err
			}
			trust.Root = conf.Trust
			a, proof, err := cl.ProveAccount(cmd.Context(), addr, trust)
			if err != nil {
				return err
			}
			pinnedNow, genesisPinned := false, conf.Trust != nil
			if proof.Root != nil && (conf.Trust == nil || conf.Trust.Header1Hash == "") {
				conf.Trust = proof.Root
				if err := client.SaveWalletConfig(c.home, conf); err != nil {
					return fmt.Errorf("pin the trust root: %w", err)
				}
				pinnedNow = true
			}
			pinFile := client.WalletConfigPath(c.home)
			return c.emit(accountView{Account: *a, Proof: proof}, func(w io.Writer) {
				printAccount(w, a)
				fmt.Fprintf(w, "proven:   the account and %d balance key(s), by Merkle proofs against app hash %s of header %d (the state after block %d)\n",
					len(proof.Keys)-1, proof.AppHash, proof.HeaderHeight, proof.Height)
				fmt.Fprintf(w, "header:   %d verified by the light client from trusted header %d %s\n",
					proof.HeaderHeight, proof.TrustedHeight, proof.TrustedHash)
				switch {
				case trustHeight != 0:
					fmt.Fprintf(w, "trusted:  header %d from --trust-height/--trust-hash; chain ID and genesis checked against %s\n", proof.TrustedHeight, pinFile)
				case pinnedNow && genesisPinned:
					fmt.Fprintf(w, "trusted:  the node's chain ID and genesis hash match the pin in %s; FIRST USE of its header %d %s, taken from the node and now pinned there too\n",
						pinFile, proof.Root.Header1Height, proof.Root.Header1Hash)
				case pinnedNow:
					fmt.Fprintf(w, "trusted:  FIRST USE: the node's root (%s) was taken from the node and is now pinned in %s; compare it with another source\n", proof.Root, pinFile)
				default:
					fmt.Fprintf(w, "trusted:  the node's root matches the one pinned in %s (%s)\n", pinFile, proof.Root)
				}
				if len(proof.Witnesses) == 0 {
					fmt.Fprintln(w, "witnesses: none: the headers were not cross-checked against another node (--witness)")
				} else {
					fmt.Fprintf(w, "witnesses: every header cross-checked against %s\n", strings.Join(proof.Witnesses, ", "))
				}
			})
		},
	}
	fl := cmd.Flags()
	fl.BoolVar(&prove, "prove", false, "verify the answer with Merkle proofs and the light client")
	fl.Int64Var(&trustHeight, "trust-height", 0, "with --prove: height of a header you trust (default: the chain's first header, checked against the pinned trust root)")
	fl.StringVar(&trustHash, "trust-hash", "", "with --prove: hash (hex) of the header at --trust-height")
	fl.DurationVar(&trustPeriod, "trust-period", 0, "with --prove: how long a trusted header stays trusted (default 2 weeks; from height 1: the chain's age plus 2 weeks)")
	fl.StringSliceVar(&witnesses, "witness", nil, "with --prove: CometBFT RPC address of another node to cross-check the headers against (repeatable; the queried node itself is refused)")
	return cmd
}

func printTx(w io.Writer, r *client.TxResult) {
	fmt.Fprintf(w, "hash:    %s\n", r.Hash)
	fmt.Fprintf(w, "height:  %d (index %d)\n", r.Height, r.Index)
	if r.Code == 0 {
		fmt.Fprintf(w, "result:  ok\n")
	} else {
		fmt.Fprintf(w, "result:  failed (code %d %s): %s\n", r.Code, r.CodeName, r.Log)
	}
	fmt.Fprintf(w, "sender:  %s\n", r.Sender)
	if r.Body.Nonce != nil {
		fmt.Fprintf(w, "nonce:   %d\n", *r.Body.Nonce)
	}
	fmt.Fprintf(w, "message: %s\n", describeMsg(r.Body.Msg))
	if r.Body.Memo != "" {
		fmt.Fprintf(w, "memo:    %s\n", r.Body.Memo)
	}
	if r.Body.Expiry != 0 {
		fmt.Fprintf(w, "expiry:  height %d\n", r.Body.Expiry)
	}
}

// describeMsg is a one-line summary of a message.
func describeMsg(m wire.MsgView) string {
	switch m.Type {
	case "transfer":
		return fmt.Sprintf("transfer %s%s to %s", m.Amount, m.Asset, m.To)
	case "mint":
		return fmt.Sprintf("mint %s%s to %s", m.Amount, m.Asset, m.To)
	case "burn":
		return fmt.Sprintf("burn %s%s", m.Amount, m.Asset)
	case "propose":
		return fmt.Sprintf("propose %s (expires after height %d)", describeAction(m.Action), m.Expiry)
	case "vote":
		verb := "reject"
		if m.Approve != nil && *m.Approve {
			verb = "approve"
		}
		return fmt.Sprintf("%s proposal %d", verb, m.Proposal)
	}
	return m.Type
}

func describeAction(a *wire.ActionView) string {
	if a == nil {
		return "(no action)"
	}
	parts := []string{a.Type}
	add := func(k, v string) {
		if v != "" {
			parts = append(parts, k+"="+v)
		}
	}
	add("address", a.Address)
	add("roles", strings.Join(a.Roles, ","))
	add("role", a.Role)
	add("reason", a.Reason)
	add("symbol", a.Symbol)
	add("issuer", a.Issuer)
	add("pub_key", a.PubKey)
	if a.Power != nil {
		add("power", fmt.Sprint(*a.Power))
	}
	add("node_id", a.NodeID)
	if a.Threshold != 0 {
		add("threshold", fmt.Sprint(a.Threshold))
	}
	return strings.Join(parts, " ")
}

func (c *cli) queryTxCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "tx <hash>",
		Short: "Show a committed transaction, decoded, with its result",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cl, err := c.client()
			if err != nil {
				return err
			}
			r, err := cl.Tx(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			return c.emit(r, func(w io.Writer) { printTx(w, r) })
		},
	}
}

func (c *cli) queryBlockCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "block [height]",
		Short: "Show a block (default: the latest)",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var h uint64
			if len(args) == 1 {
				var err error
				if h, err = parseUint("height", args[0]); err != nil {
					return err
				}
				if h == 0 || h > 1<<62 {
					return fmt.Errorf("bad height %q: expected a positive block height", args[0])
				}
			}
			cl, err := c.client()
			if err != nil {
				return err
			}
			b, err := cl.Block(cmd.Context(), int64(h))
			if err != nil {
				return err
			}
			return c.emit(b, func(w io.Writer) {
				fmt.Fprintf(w, "height:     %d\nhash:       %s\ntime:       %s\nchain_id:   %s\nproposer:   %s\napp_hash:   %s\nsignatures: %d\ntxs:        %d\n",
					b.Height, b.Hash, b.Time.UTC().Format(time.RFC3339Nano), b.ChainID, b.Proposer, b.AppHash, b.NumSignatures, len(b.TxHashes))
				for _, h := range b.TxHashes {
					fmt.Fprintf(w, "  %s\n", h)
				}
				if len(b.Evidence) > 0 {
					fmt.Fprintf(w, "evidence:   %d\n", len(b.Evidence))
					for _, e := range b.Evidence {
						fmt.Fprintf(w, "  %s by validator %s at height %d\n", e.Type, e.Validator, e.Height)
					}
				}
			})
		},
	}
}

func (c *cli) queryHistoryCmd() *cobra.Command {
	var page, perPage int
	cmd := &cobra.Command{
		Use:   "history <name|address>",
		Short: "List the transactions that touched an account, newest first",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			addr, _, err := c.resolveAddress(nil, args[0])
			if err != nil {
				return err
			}
			cl, err := c.client()
			if err != nil {
				return err
			}
			txs, total, err := cl.History(cmd.Context(), addr.String(), page, perPage)
			if err != nil {
				return err
			}
			out := struct {
				Address string            `json:"address"`
				Total   int               `json:"total"`
				Page    int               `json:"page"`
				PerPage int               `json:"per_page"`
				Txs     []client.TxResult `json:"txs"`
			}{addr.String(), total, page, perPage, txs}
			return c.emit(out, func(w io.Writer) {
				if len(txs) == 0 && total > 0 {
					fmt.Fprintf(w, "%d transaction(s) touch %s; page %d is past the last page (%d per page)\n", total, addr, page, perPage)
					return
				}
				fmt.Fprintf(w, "%d transaction(s) touch %s; page %d:\n", total, addr, page)
				tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "HEIGHT\tHASH\tRESULT\tNONCE\tSENDER\tMESSAGE")
				for _, r := range txs {
					res := "ok"
					if r.Code != 0 {
						res = r.CodeName
					}
					nonce := ""
					if r.Body.Nonce != nil {
						nonce = fmt.Sprint(*r.Body.Nonce)
					}
					fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", r.Height, r.Hash, res, nonce, r.Sender, describeMsg(r.Body.Msg))
				}
				tw.Flush()
			})
		},
	}
	cmd.Flags().IntVar(&page, "page", 1, "page number, from 1")
	cmd.Flags().IntVar(&perPage, "per-page", 30, "transactions per page (1 to 100)")
	return cmd
}

func (c *cli) queryValidatorsCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "validators",
		Short: "List the consensus validators and their voting power",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cl, err := c.client()
			if err != nil {
				return err
			}
			h, vals, err := cl.Validators(cmd.Context())
			if err != nil {
				return err
			}
			out := struct {
				Height     int64              `json:"height"`
				Validators []client.Validator `json:"validators"`
			}{h, vals}
			return c.emit(out, func(w io.Writer) {
				fmt.Fprintf(w, "%d validator(s) at height %d:\n", len(vals), h)
				tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "ADDRESS\tPUB_KEY\tPOWER")
				for _, v := range vals {
					fmt.Fprintf(tw, "%s\t%s\t%d\n", v.Address, v.PubKey, v.VotingPower)
				}
				tw.Flush()
			})
		},
	}
}

func printAssets(w io.Writer, assets []client.Asset) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SYMBOL\tSUPPLY\tISSUER\tPAUSED")
	for _, a := range assets {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%v\n", a.Symbol, a.Supply, a.Issuer, a.Paused)
	}
	tw.Flush()
}

func (c *cli) queryAssetsCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "assets",
		Short: "List the assets with their supply and issuer",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return fetchAndEmit(c, cmd, (*client.Client).Assets, printAssets)
		},
	}
}

func (c *cli) queryAssetCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "asset <SYMBOL>",
		Short: "Show one asset",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			fetch := func(cl *client.Client, ctx context.Context) (*client.Asset, error) { return cl.Asset(ctx, args[0]) }
			return fetchAndEmit(c, cmd, fetch, func(w io.Writer, a *client.Asset) {
				fmt.Fprintf(w, "symbol:  %s\nsupply:  %d\nissuer:  %s\npaused:  %v\n", a.Symbol, a.Supply, a.Issuer, a.Paused)
			})
		},
	}
}

func (c *cli) queryProposalsCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "proposals",
		Short: "List the governance proposals",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return c.listProposals(cmd) },
	}
}

func (c *cli) queryNodesCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "nodes",
		Short: "List the node IDs allowed to join the network and the node's peers",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return fetchAndEmit(c, cmd, (*client.Client).Nodes, func(w io.Writer, nodes []wire.NodeResult) {
				tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "NODE ID\tALLOWED\tCONNECTED")
				for _, n := range nodes {
					conn := fmt.Sprint(n.Connected)
					if n.Self {
						conn = "(this node)"
					}
					fmt.Fprintf(tw, "%s\t%v\t%s\n", n.ID, n.Allowed, conn)
				}
				tw.Flush()
			})
		},
	}
}

func (c *cli) statusCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "status",
		Short: "Show the node's chain, height and sync state",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return fetchAndEmit(c, cmd, nodeStatus, func(w io.Writer, s *client.Status) {
				fmt.Fprintf(w, "node:         %s (ledger API %s)\nchain_id:     %s\nnode_id:      %s\nmoniker:      %s\nversion:      %s (cometbft %s)\nheight:       %d\nblock_time:   %s\napp_hash:     %s\ncatching_up:  %v\n",
					s.NodeURL, s.APIURL, s.ChainID, s.NodeID, s.Moniker, s.Version, s.CometBFTVersion, s.LatestHeight,
					s.LatestBlockTime.UTC().Format(time.RFC3339), s.LatestAppHash, s.CatchingUp)
				if s.VotingPower > 0 {
					fmt.Fprintf(w, "validator:    %s (power %d)\n", s.ValidatorAddr, s.VotingPower)
				}
			})
		},
	}
}

// nodeStatus is the node's status with its software version from the
// ledger API.
func nodeStatus(cl *client.Client, ctx context.Context) (*client.Status, error) {
	st, err := cl.Status(ctx)
	if err != nil {
		return nil, err
	}
	if st.Version, err = cl.SoftwareVersion(ctx); err != nil {
		return nil, fmt.Errorf("the node's version: %w", err)
	}
	return st, nil
}
