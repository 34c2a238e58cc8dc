package ledger

import (
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/tallyledger/tally/crypto"
)

// Validate checks the genesis state and returns every problem it finds,
// joined (errors.Join), each naming the offending entry.
func (g *GenesisState) Validate() error {
	return errors.Join(g.ValidateState(), g.validateValidators())
}

// ValidateState checks everything but the validators (which CometBFT's
// genesis document carries apart from the app state).
func (g *GenesisState) ValidateState() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }

	accounts := map[crypto.Address]*Account{}
	admins := 0
	for i := range g.Accounts {
		a := &g.Accounts[i]
		if _, dup := accounts[a.Address]; dup {
			bad("account %s is listed twice", a.Address)
			continue
		}
		accounts[a.Address] = a
		for _, r := range a.Roles {
			if !r.Valid() {
				bad("account %s: unknown role %q, expected admin, issuer or member", a.Address, r)
			}
		}
		if a.HasRole(RoleAdmin) {
			admins++
		}
		if len(a.FrozenReason) > MaxReasonBytes {
			bad("account %s: freeze reason is %d bytes, at most %d allowed", a.Address, len(a.FrozenReason), MaxReasonBytes)
		}
	}
	switch {
	case admins == 0:
		bad("no account has the admin role: nobody could govern the chain")
	case g.Params.AdminThreshold == 0:
		bad("admin threshold is 0, expected 1 to %d (the number of admins)", admins)
	case admins > MaxAdmins:
		bad("%d accounts have the admin role, at most %d allowed", admins, MaxAdmins)
	case uint64(g.Params.AdminThreshold) > uint64(admins):
		bad("admin threshold %d is above the number of admins %d: no proposal could pass", g.Params.AdminThreshold, admins)
	}

	assets := map[string]*Asset{}
	for i := range g.Assets {
		a := &g.Assets[i]
		if err := ValidateSymbol(a.Symbol); err != nil {
			bad("asset %q: %v", a.Symbol, err.(*Error).Msg)
			continue
		}
		if _, dup := assets[a.Symbol]; dup {
			bad("asset %s is listed twice", a.Symbol)
			continue
		}
		assets[a.Symbol] = a
		issuer, ok := accounts[a.Issuer]
		switch {
		case !ok:
			bad("asset %s: issuer %s is not a registered account", a.Symbol, a.Issuer)
		case !issuer.HasRole(RoleIssuer):
			bad("asset %s: issuer %s lacks the issuer role", a.Symbol, a.Issuer)
		}
	}

	supply := map[string]uint64{}
	type holding struct {
		addr  crypto.Address
		asset string
	}
	seen := map[holding]bool{}
	for _, b := range g.Balances {
		if _, ok := accounts[b.Address]; !ok {
			bad("balance of %s %s: account %s is not registered", b.Asset, b.Address, b.Address)
		}
		if _, ok := assets[b.Asset]; !ok {
			bad("balance of %s %s: asset %s is not defined", b.Asset, b.Address, b.Asset)
			continue
		}
		if b.Amount == 0 {
			bad("balance of %s %s: amount 0, expected a positive amount", b.Asset, b.Address)
		}
		h := holding{b.Address, b.Asset}
		if seen[h] {
			bad("balance of %s %s is listed twice", b.Asset, b.Address)
		}
		seen[h] = true
		if supply[b.Asset] > math.MaxUint64-b.Amount {
			bad("balances of %s add up to more than 2^64-1", b.Asset)
			supply[b.Asset] = math.MaxUint64
			continue
		}
		supply[b.Asset] += b.Amount
	}
	for _, a := range g.Assets {
		if a.Supply != 0 && a.Supply != supply[a.Symbol] {
			bad("asset %s: supply %d, but its balances add up to %d", a.Symbol, a.Supply, supply[a.Symbol])
		}
	}

	nodes := map[string]bool{}
	for _, id := range g.AllowedNodes {
		if err := ValidateNodeID(id); err != nil {
			bad("allowed node: %v", err.(*Error).Msg)
			continue
		}
		if nodes[id] {
			bad("allowed node %s is listed twice", id)
		}
		nodes[id] = true
	}

	next := g.NextProposalID
	if next == 0 {
		next = 1
	}
	props := map[uint64]bool{}
	for _, p := range g.Proposals {
		switch {
		case p.ID == 0 || p.ID >= next:
			bad("proposal %d: ID must be 1 to %d (below next_proposal_id %d)", p.ID, next-1, next)
		case props[p.ID]:
			bad("proposal %d is listed twice", p.ID)
		}
		props[p.ID] = true
		switch p.Status {
		case ProposalOpen, ProposalExecuted, ProposalRejected, ProposalExpired:
		default:
			bad("proposal %d: status %q, expected open, executed, rejected or expired", p.ID, p.Status)
		}
		if err := p.Action.ValidateBasic(); err != nil {
			bad("proposal %d: action: %v", p.ID, err)
		}
	}
	retired := map[crypto.Address]bool{}
	for _, r := range g.RetiredNonces {
		if retired[r.Address] {
			bad("retired nonce of %s is listed twice", r.Address)
		}
		retired[r.Address] = true
		if _, ok := accounts[r.Address]; ok {
			bad("retired nonce of %s: the account is registered (a retired nonce belongs to a removed account)", r.Address)
		}
	}
	return errors.Join(errs...)
}

func (g *GenesisState) validateValidators() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	vals := map[string]bool{}
	var total uint64
	for _, v := range g.Validators {
		k := hex.EncodeToString(v.PubKey)
		switch {
		case len(v.PubKey) != 32:
			bad("validator %s: public key is %d bytes, expected 32 (ed25519)", k, len(v.PubKey))
		case vals[k]:
			bad("validator %s is listed twice", k)
		case v.Power == 0 || v.Power > MaxValidatorPower:
			bad("validator %s: power %d, expected 1 to %d", k, v.Power, uint64(MaxValidatorPower))
		default:
			total += v.Power
		}
		vals[k] = true
	}
	if len(g.Validators) == 0 {
		bad("no validators")
	}
	if total > MaxTotalVotingPower {
		bad("validators' total power %d is above CometBFT's maximum %d", total, uint64(MaxTotalVotingPower))
	}

	return errors.Join(errs...)
}

// writeGenesis writes a validated genesis state. Roles are normalized
// (sorted, with member); supplies are the sums of the balances.
func writeGenesis(o *overlay, chainID string, g *GenesisState) {
	o.set(ChainIDKey(), mustMarshal(chainID))
	putParams(o, g.Params)
	for _, a := range g.Accounts {
		a.Roles = normalizeRoles(slices.Clone(a.Roles))
		putAccount(o, &a)
	}
	supply := map[string]uint64{}
	held := map[crypto.Address][]string{}
	for _, b := range g.Balances {
		o.set(BalanceKey(b.Address, b.Asset), mustMarshal(b.Amount))
		supply[b.Asset] += b.Amount
		held[b.Address] = append(held[b.Address], b.Asset)
	}
	for _, a := range g.Accounts { // in the genesis order, not the map's
		if h := held[a.Address]; len(h) > 0 {
			slices.Sort(h)
			putHoldings(o, a.Address, h)
		}
	}
	for _, a := range g.Assets {
		a.Supply = supply[a.Symbol]
		putAsset(o, &a)
	}
	for _, v := range g.Validators {
		putValidator(o, v)
	}
	for _, id := range g.AllowedNodes {
		putNode(o, id, true)
	}
	for i := range g.Proposals {
		putProposal(o, &g.Proposals[i])
	}
	if g.NextProposalID != 0 {
		o.set(NextProposalIDKey(), mustMarshal(g.NextProposalID))
	}
	for _, r := range g.RetiredNonces {
		o.set(RetiredNonceKey(r.Address), mustMarshal(r.Nonce))
	}
}
