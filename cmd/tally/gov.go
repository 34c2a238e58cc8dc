package main

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/tallyledger/tally/crypto"
	"github.com/tallyledger/tally/ledger"
	"github.com/tallyledger/tally/wire"
)

func (c *cli) govCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "gov",
		Short: "Governance by admin quorum: propose, approve, reject, list",
		Long: `Admins govern the ledger by proposals: an admin proposes an action, other
admins approve or reject it, and it executes in the transaction whose
approval reaches the admin threshold (with threshold 1, at once).`,
	}
	cmd.AddCommand(c.govProposeCmd(), c.govVoteCmd(true), c.govVoteCmd(false), c.govListCmd(), c.govShowCmd())
	return cmd
}

// proposeArgs are the action flags of `gov propose`.
type proposeArgs struct {
	roles  []string
	reason string
	issuer string
}

// buildAction turns `<action> [args...]` into a ledger action.
func (c *cli) buildAction(name string, args []string, p proposeArgs) (ledger.Action, error) {
	var a ledger.Action
	want := func(n int, usage string) error {
		if len(args) != n {
			return fmt.Errorf("%s takes %d argument(s): %s %s", name, n, name, usage)
		}
		return nil
	}
	resolve := func(s string) (crypto.Address, error) {
		ad, _, err := c.resolveAddress(nil, s)
		return ad, err
	}
	checkRole := func(r string) (ledger.Role, error) {
		role := ledger.Role(r)
		if !role.Valid() {
			return role, fmt.Errorf("unknown role %q, expected admin, issuer or member", r)
		}
		return role, nil
	}
	if len(p.roles) > 0 && name != "register-account" {
		return a, errors.New("--role applies only to register-account")
	}
	if p.reason != "" && name != "freeze" {
		return a, errors.New("--reason applies only to freeze")
	}
	if p.issuer != "" && name != "create-asset" {
		return a, errors.New("--issuer applies only to create-asset")
	}
	switch name {
	case "register-account":
		if err := want(1, "<address> [--role R]..."); err != nil {
			return a, err
		}
		ad, err := resolve(args[0])
		if err != nil {
			return a, err
		}
		ra := &ledger.RegisterAccount{Address: ad}
		roles := p.roles
		if len(roles) == 0 {
			roles = []string{string(ledger.RoleMember)}
		}
		for _, r := range roles {
			role, err := checkRole(r)
			if err != nil {
				return a, err
			}
			ra.Roles = append(ra.Roles, role)
		}
		a.RegisterAccount = ra
	case "remove-account", "unfreeze":
		if err := want(1, "<address>"); err != nil {
			return a, err
		}
		ad, err := resolve(args[0])
		if err != nil {
			return a, err
		}
		if name == "unfreeze" {
			a.Unfreeze = &ledger.AccountRef{Address: ad}
		} else {
			a.RemoveAccount = &ledger.AccountRef{Address: ad}
		}
	case "grant-role", "revoke-role":
		if err := want(2, "<address> <role>"); err != nil {
			return a, err
		}
		ad, err := resolve(args[0])
		if err != nil {
			return a, err
		}
		role, err := checkRole(args[1])
		if err != nil {
			return a, err
		}
		if name == "grant-role" {
			a.GrantRole = &ledger.RoleChange{Address: ad, Role: role}
		} else {
			a.RevokeRole = &ledger.RoleChange{Address: ad, Role: role}
		}
	case "freeze":
		if err := want(1, "<address> --reason TEXT"); err != nil {
			return a, err
		}
		if strings.TrimSpace(p.reason) == "" {
			return a, errors.New("freeze needs --reason TEXT: the reason is recorded on the account")
		}
		ad, err := resolve(args[0])
		if err != nil {
			return a, err
		}
		a.Freeze = &ledger.Freeze{Address: ad, Reason: p.reason}
	case "create-asset":
		if err := want(1, "<SYMBOL> --issuer <name|address>"); err != nil {
			return a, err
		}
		if p.issuer == "" {
			return a, errors.New("create-asset needs --issuer <name|address>: the account that may mint and burn it")
		}
		issuer, err := resolve(p.issuer)
		if err != nil {
			return a, err
		}
		a.CreateAsset = &ledger.CreateAsset{Symbol: args[0], Issuer: issuer}
	case "pause-asset", "unpause-asset":
		if err := want(1, "<SYMBOL>"); err != nil {
			return a, err
		}
		if name == "pause-asset" {
			a.PauseAsset = &ledger.AssetRef{Symbol: args[0]}
		} else {
			a.UnpauseAsset = &ledger.AssetRef{Symbol: args[0]}
		}
	case "set-validator-power":
		if err := want(2, "<pubkey (base64 or hex ed25519)> <power>"); err != nil {
			return a, err
		}
		pk, err := wire.ParseValidatorPubKey(args[0])
		if err != nil {
			return a, err
		}
		power, err := parseUint("power", args[1])
		if err != nil {
			return a, err
		}
		a.SetValidatorPower = &ledger.SetValidatorPower{PubKey: pk, Power: power}
	case "allow-node", "deny-node":
		if err := want(1, "<node-id>"); err != nil {
			return a, err
		}
		if name == "allow-node" {
			a.AllowNode = &ledger.NodeRef{NodeID: args[0]}
		} else {
			a.DenyNode = &ledger.NodeRef{NodeID: args[0]}
		}
	case "set-threshold":
		if err := want(1, "<n>"); err != nil {
			return a, err
		}
		n, err := parseUint("threshold", args[0])
		if err != nil || n == 0 || n > 1<<31 {
			return a, fmt.Errorf("bad threshold %q: expected a positive number of admin approvals", args[0])
		}
		a.SetThreshold = &ledger.SetThreshold{Threshold: uint32(n)}
	default:
		return a, fmt.Errorf("unknown action %q, expected one of: %s", name, strings.Join(wire.ActionTypes(), ", "))
	}
	if err := a.ValidateBasic(); err != nil {
		return a, fmt.Errorf("%s: %v", name, err)
	}
	return a, nil
}

func (c *cli) govProposeCmd() *cobra.Command {
	var f txFlags
	var p proposeArgs
	var expiryBlocks, expiryHeight uint64
	cmd := &cobra.Command{
		Use:   "propose <from> <action> [args...]",
		Short: "Propose a governance action (admins only)",
		Long: `Propose a governance action. The proposer's approval counts; the action
executes once approvals reach the admin threshold. The proposal can pass
until --expiry-blocks blocks from now (or until --proposal-expiry-height).

Actions:
  register-account <address> [--role R]...   (default role: member)
  remove-account <address>
  grant-role <address> <admin|issuer|member>
  revoke-role <address> <admin|issuer|member>
  freeze <address> --reason TEXT
  unfreeze <address>
  create-asset <SYMBOL> --issuer <name|address>
  pause-asset <SYMBOL>
  unpause-asset <SYMBOL>
  set-validator-power <pubkey> <power>   (ed25519 key in base64 or hex, as tallyd show-validator prints; 0 removes)
  allow-node <node-id>
  deny-node <node-id>
  set-threshold <n>`,
		Example: `  tally gov propose admin register-account tally1qy... --role member
  tally gov propose admin create-asset EUR --issuer alice
  tally gov propose admin freeze bob --reason "court order 17"`,
		Args: cobra.MinimumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			action, err := c.buildAction(args[1], args[2:], p)
			if err != nil {
				return err
			}
			expiry := expiryHeight
			if expiry == 0 {
				if expiryBlocks == 0 {
					return errors.New("--expiry-blocks must be at least 1")
				}
				cl, err := c.client()
				if err != nil {
					return err
				}
				st, err := cl.Status(cmd.Context())
				if err != nil {
					return fmt.Errorf("%v (give --proposal-expiry-height to propose without a node)", err)
				}
				expiry = uint64(st.LatestHeight) + expiryBlocks
			}
			msg := ledger.Msg{Propose: &ledger.Propose{Action: action, Expiry: expiry}}
			return c.makeTx(cmd, &f, args[0], msg, printProposalOutcome)
		},
	}
	addTxFlags(cmd, &f)
	fl := cmd.Flags()
	fl.Uint64Var(&expiryBlocks, "expiry-blocks", 100, "the proposal can pass during this many blocks from now")
	fl.Uint64Var(&expiryHeight, "proposal-expiry-height", 0, "last height at which the proposal can pass (overrides --expiry-blocks)")
	fl.StringSliceVar(&p.roles, "role", nil, "register-account: role of the new account (repeatable)")
	fl.StringVar(&p.reason, "reason", "", "freeze: why the account is frozen")
	fl.StringVar(&p.issuer, "issuer", "", "create-asset: the asset's issuer (name or address)")
	return cmd
}

// eventAttr returns the first value of attribute key in an event of type
// typ.
func eventAttr(events []wire.EventResult, typ, key string) (string, bool) {
	for _, e := range events {
		if e.Type != typ {
			continue
		}
		for _, a := range e.Attributes {
			if a.Key == key {
				return a.Value, true
			}
		}
	}
	return "", false
}

// proposalOf reads from a block's events the proposal a governance
// transaction made or voted on, and whether its action executed.
func proposalOf(events []wire.EventResult) (id uint64, executed bool) {
	s, ok := eventAttr(events, "proposal", "id")
	if !ok {
		s, ok = eventAttr(events, "vote", "id")
	}
	if !ok {
		return 0, false
	}
	id, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, false
	}
	_, executed = eventAttr(events, "governance", "action")
	return id, executed
}

func printProposalOutcome(w io.Writer, o txOutcome) {
	if o.Status != "committed" || o.ProposalID == 0 {
		return
	}
	if o.ProposalExecuted {
		fmt.Fprintf(w, "proposal: %d (approved and executed)\n", o.ProposalID)
	} else {
		fmt.Fprintf(w, "proposal: %d (open; `tally gov show %d` shows its approvals)\n", o.ProposalID, o.ProposalID)
	}
}

func (c *cli) govVoteCmd(approve bool) *cobra.Command {
	var f txFlags
	use, short := "approve <from> <proposal-id>", "Approve a proposal (admins only)"
	if !approve {
		use, short = "reject <from> <proposal-id>", "Reject a proposal (admins only)"
	}
	cmd := &cobra.Command{
		Use:   use,
		Short: short,
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := parseUint("proposal ID", args[1])
			if err != nil || id == 0 {
				return fmt.Errorf("bad proposal ID %q: expected a positive integer", args[1])
			}
			msg := ledger.Msg{Vote: &ledger.Vote{Proposal: id, Approve: approve}}
			return c.makeTx(cmd, &f, args[0], msg, printProposalOutcome)
		},
	}
	addTxFlags(cmd, &f)
	return cmd
}

func (c *cli) listProposals(cmd *cobra.Command) error {
	cl, err := c.client()
	if err != nil {
		return err
	}
	ps, err := cl.Proposals(cmd.Context())
	if err != nil {
		return err
	}
	return c.emit(ps, func(w io.Writer) {
		if len(ps) == 0 {
			fmt.Fprintln(w, "no proposals")
			return
		}
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tSTATUS\tACTION\tAPPROVALS\tREJECTIONS\tEXPIRY")
		for _, p := range ps {
			fmt.Fprintf(tw, "%d\t%s\t%s\t%d\t%d\t%d\n", p.ID, p.Status, describeAction(&p.Action), len(p.Approvals), len(p.Rejections), p.Expiry)
		}
		tw.Flush()
	})
}

func (c *cli) govListCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List the governance proposals",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return c.listProposals(cmd) },
	}
}

func (c *cli) govShowCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "show <proposal-id>",
		Short: "Show a proposal with its action and votes",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := parseUint("proposal ID", args[0])
			if err != nil || id == 0 {
				return fmt.Errorf("bad proposal ID %q: expected a positive integer", args[0])
			}
			cl, err := c.client()
			if err != nil {
				return err
			}
			p, err := cl.Proposal(cmd.Context(), id)
			if err != nil {
				return err
			}
			return c.emit(p, func(w io.Writer) {
				fmt.Fprintf(w, "id:          %d\nstatus:      %s\nproposer:    %s\naction:      %s\nexpiry:      height %d\n",
					p.ID, p.Status, p.Proposer, describeAction(&p.Action), p.Expiry)
				if p.ExecutedHeight != 0 {
					fmt.Fprintf(w, "executed at: height %d\n", p.ExecutedHeight)
				}
				fmt.Fprintf(w, "approvals:   %s\nrejections:  %s\n", listOrNone(p.Approvals), listOrNone(p.Rejections))
			})
		},
	}
}

func listOrNone(xs []string) string {
	if len(xs) == 0 {
		return "(none)"
	}
	return strings.Join(xs, ", ")
}
