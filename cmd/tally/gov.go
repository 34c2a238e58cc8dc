package main

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

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

// actionArg is how `gov propose` takes one kind of action parameter
// (ledger.ActionField): a positional argument or a flag.
type actionArg struct {
	usage string // in the list of actions of the help
	short string // in the "takes N argument(s)" error, when it differs from usage
	note  string // after the action in the help
	flag  string // the flag that gives it; "" for a positional argument
	why   string // for a required flag: what it is for
}

func argOf(f ledger.ActionField) actionArg {
	switch f {
	case ledger.FieldAddress:
		return actionArg{usage: "<address>"}
	case ledger.FieldRoles:
		return actionArg{usage: "[--role R]...", flag: "--role", note: "default role: member"}
	case ledger.FieldRole:
		return actionArg{usage: "<admin|issuer|member>", short: "<role>"}
	case ledger.FieldReason:
		return actionArg{usage: "--reason TEXT", flag: "--reason", why: "the reason is recorded on the account"}
	case ledger.FieldSymbol:
		return actionArg{usage: "<SYMBOL>"}
	case ledger.FieldIssuer:
		return actionArg{usage: "--issuer <name|address>", flag: "--issuer", why: "the account that may mint and burn it"}
	case ledger.FieldPubKey:
		return actionArg{usage: "<pubkey>", short: "<pubkey (base64 or hex ed25519)>",
			note: "ed25519 key in base64 or hex, as tallyd show-validator prints"}
	case ledger.FieldPower:
		return actionArg{usage: "<power>", note: "0 removes"}
	case ledger.FieldNodeID:
		return actionArg{usage: "<node-id>"}
	case ledger.FieldThreshold:
		return actionArg{usage: "<n>"}
	}
	return actionArg{usage: "<" + f.String() + ">"}
}

// flagValue returns the value given for a flag parameter, "" when absent.
func (p proposeArgs) flagValue(f ledger.ActionField) string {
	switch f {
	case ledger.FieldRoles:
		return strings.Join(p.roles, ",")
	case ledger.FieldReason:
		return p.reason
	case ledger.FieldIssuer:
		return p.issuer
	}
	return ""
}

// actionsWith names the actions that take parameter f.
func actionsWith(f ledger.ActionField) string {
	var names []string
	for _, k := range ledger.ActionKinds() {
		if slices.Contains(k.Fields(), f) {
			names = append(names, k.Name())
		}
	}
	return strings.Join(names, ", ")
}

// actionUsage is the help's list of actions, one per line.
func actionUsage() string {
	var b strings.Builder
	for _, k := range ledger.ActionKinds() {
		var usage, notes []string
		for _, f := range k.Fields() {
			arg := argOf(f)
			usage = append(usage, arg.usage)
			if arg.note != "" {
				notes = append(notes, arg.note)
			}
		}
		fmt.Fprintf(&b, "\n  %s %s", k.Name(), strings.Join(usage, " "))
		if len(notes) > 0 {
			fmt.Fprintf(&b, "   (%s)", strings.Join(notes, "; "))
		}
	}
	return b.String()
}

// buildAction turns `<action> [args...]` into a ledger action: the action's
// parameters (from the ledger's table of actions) are its positional
// arguments and flags, in order.
func (c *cli) buildAction(name string, args []string, p proposeArgs) (ledger.Action, error) {
	for _, f := range []ledger.ActionField{ledger.FieldRoles, ledger.FieldReason, ledger.FieldIssuer} {
		if p.flagValue(f) == "" {
			continue
		}
		if k, ok := ledger.LookupAction(name); !ok || !slices.Contains(k.Fields(), f) {
			return ledger.Action{}, fmt.Errorf("%s applies only to %s", argOf(f).flag, actionsWith(f))
		}
	}
	kind, ok := ledger.LookupAction(name)
	if !ok {
		return ledger.Action{}, fmt.Errorf("unknown action %q, expected one of: %s", name, strings.Join(ledger.ActionNames(), ", "))
	}
	var positional []ledger.ActionField
	var usage []string
	for _, f := range kind.Fields() {
		arg := argOf(f)
		if arg.flag == "" {
			positional = append(positional, f)
		}
		usage = append(usage, cmp.Or(arg.short, arg.usage))
	}
	if len(args) != len(positional) {
		return ledger.Action{}, fmt.Errorf("%s takes %d argument(s): %s %s", name, len(positional), name, strings.Join(usage, " "))
	}
	for _, f := range kind.Fields() {
		if arg := argOf(f); arg.why != "" && strings.TrimSpace(p.flagValue(f)) == "" {
			return ledger.Action{}, fmt.Errorf("%s needs %s: %s", name, arg.usage, arg.why)
		}
	}
	var params ledger.ActionParams
	for i, f := range positional {
		if err := c.parseActionArg(f, args[i], &params); err != nil {
			return ledger.Action{}, err
		}
	}
	for _, f := range kind.Fields() {
		if argOf(f).flag == "" {
			continue
		}
		if err := c.parseActionFlag(f, p, &params); err != nil {
			return ledger.Action{}, err
		}
	}
	a := kind.New(params)
	if err := a.ValidateBasic(); err != nil {
		return a, fmt.Errorf("%s: %v", name, err)
	}
	return a, nil
}

// parseActionArg reads the positional argument s of parameter f into p.
func (c *cli) parseActionArg(f ledger.ActionField, s string, p *ledger.ActionParams) error {
	var err error
	switch f {
	case ledger.FieldAddress:
		p.Address, _, err = c.resolveAddress(nil, s)
	case ledger.FieldRole:
		p.Role, err = parseRole(s)
	case ledger.FieldSymbol:
		p.Symbol = s
	case ledger.FieldPubKey:
		p.PubKey, err = wire.ParseValidatorPubKey(s)
	case ledger.FieldPower:
		p.Power, err = parseUint("power", s)
	case ledger.FieldNodeID:
		p.NodeID = s
	case ledger.FieldThreshold:
		n, perr := parseUint("threshold", s)
		if perr != nil || n == 0 || n > 1<<31 {
			return fmt.Errorf("bad threshold %q: expected a positive number of admin approvals", s)
		}
		p.Threshold = uint32(n)
	default:
		return fmt.Errorf("the action's %s cannot be given as an argument", f)
	}
	return err
}

// parseActionFlag reads the flag of parameter f into p.
func (c *cli) parseActionFlag(f ledger.ActionField, args proposeArgs, p *ledger.ActionParams) error {
	switch f {
	case ledger.FieldRoles:
		roles := args.roles
		if len(roles) == 0 {
			roles = []string{string(ledger.RoleMember)}
		}
		for _, r := range roles {
			role, err := parseRole(r)
			if err != nil {
				return err
			}
			p.Roles = append(p.Roles, role)
		}
	case ledger.FieldReason:
		p.Reason = args.reason
	case ledger.FieldIssuer:
		issuer, _, err := c.resolveAddress(nil, args.issuer)
		if err != nil {
			return err
		}
		p.Issuer = issuer
	default:
		return fmt.Errorf("the action's %s cannot be given as a flag", f)
	}
	return nil
}

func parseRole(r string) (ledger.Role, error) {
	role := ledger.Role(r)
	if !role.Valid() {
		return role, fmt.Errorf("unknown role %q, expected admin, issuer or member", r)
	}
	return role, nil
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

Actions:` + actionUsage(),
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
	fl.StringSliceVar(&p.roles, "role", nil, actionsWith(ledger.FieldRoles)+": role of the new account (repeatable)")
	fl.StringVar(&p.reason, "reason", "", actionsWith(ledger.FieldReason)+": why the account is frozen")
	fl.StringVar(&p.issuer, "issuer", "", actionsWith(ledger.FieldIssuer)+": the asset's issuer (name or address)")
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
				if p.ExecutedHeight != nil {
					fmt.Fprintf(w, "executed at: height %d\n", *p.ExecutedHeight)
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
