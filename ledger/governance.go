package ledger

import (
	"encoding/hex"
	"errors"
	"math"
	"slices"
	"strconv"

	"github.com/tallyledger/tally/crypto"
)

// MaxTotalVotingPower is CometBFT's bound on the validator set's total
// power (MaxInt64/8); a change above it would halt the chain.
const MaxTotalVotingPower = math.MaxInt64 / 8

func requireAdmin(c *txContext, verb string) error {
	acct, err := requireAccount(c.st, c.sender, "sender")
	if err != nil {
		return err
	}
	if !acct.HasRole(RoleAdmin) {
		return Errorf(CodeUnauthorized, "%s is not an admin: only admins may %s", c.sender, verb)
	}
	return nil
}

func execPropose(c *txContext, m *Msg) error {
	p := m.Propose
	if err := requireAdmin(c, "propose"); err != nil {
		return err
	}
	if p.Expiry < c.env.height {
		return Errorf(CodeExpired, "proposal expiry height %d is before the current height %d", p.Expiry, c.env.height)
	}
	if p.Expiry-c.env.height > MaxProposalLifetime {
		return Errorf(CodeInvalidAmount, "proposal expiry height %d is %d blocks after the current height %d, at most %d allowed",
			p.Expiry, p.Expiry-c.env.height, c.env.height, uint64(MaxProposalLifetime))
	}
	id, err := getNextProposalID(c.st)
	if err != nil {
		return err
	}
	prop := &Proposal{
		ID:            id,
		Proposer:      c.sender,
		Action:        p.Action,
		Expiry:        p.Expiry,
		Approvals:     []crypto.Address{c.sender},
		Status:        ProposalOpen,
		CreatedHeight: c.env.height,
	}
	c.st.set(NextProposalIDKey(), mustMarshal(id+1))
	c.emit("proposal", "id", u64(id), "proposer", c.sender.String(), "action", p.Action.Type())
	return tallyProposal(c, prop)
}

func execVote(c *txContext, m *Msg) error {
	v := m.Vote
	if err := requireAdmin(c, "vote"); err != nil {
		return err
	}
	prop, err := getProposal(c.st, v.Proposal)
	if err != nil {
		return err
	}
	if prop == nil {
		return Errorf(CodeUnknownProposal, "proposal %d does not exist", v.Proposal)
	}
	if prop.Status != ProposalOpen {
		return Errorf(CodeProposalClosed, "proposal %d is %s", prop.ID, prop.Status)
	}
	if c.env.height > prop.Expiry {
		return Errorf(CodeProposalClosed, "proposal %d expired at height %d", prop.ID, prop.Expiry)
	}
	if slices.Contains(prop.Approvals, c.sender) || slices.Contains(prop.Rejections, c.sender) {
		return Errorf(CodeAlreadyVoted, "%s already voted on proposal %d", c.sender, prop.ID)
	}
	if v.Approve {
		prop.Approvals = append(prop.Approvals, c.sender)
	} else {
		prop.Rejections = append(prop.Rejections, c.sender)
	}
	c.emit("vote", "id", u64(prop.ID), "voter", c.sender.String(), "approve", strconv.FormatBool(v.Approve))
	return tallyProposal(c, prop)
}

// tallyProposal counts prop's votes after a new one: it executes the
// action when the approvals of current admins reach the threshold, closes
// the proposal as rejected when the threshold can no longer be reached, and
// stores it. If the action fails, the transaction fails with the action's
// code: the vote is not recorded and the proposal stays open.
func tallyProposal(c *txContext, prop *Proposal) error {
	params, err := getParams(c.st)
	if err != nil {
		return err
	}
	admins, err := listAdmins(c.st)
	if err != nil {
		return err
	}
	var approvals, undecided uint64
	for _, a := range admins {
		switch {
		case slices.Contains(prop.Approvals, a):
			approvals++
		case !slices.Contains(prop.Rejections, a):
			undecided++
		}
	}
	// Counted and compared as uint64: int is 32 bits on some platforms,
	// and consensus must not depend on the platform.
	threshold := uint64(params.AdminThreshold)
	switch {
	case approvals >= threshold:
		if err := executeAction(c, prop.ID, &prop.Action); err != nil {
			var e *Error
			if errors.As(err, &e) {
				return Errorf(e.Code, "proposal %d cannot execute: %s", prop.ID, e.Msg)
			}
			return err
		}
		prop.Status = ProposalExecuted
		prop.ExecutedHeight = c.env.height
		prop.ClosedHeight = c.env.height
	case approvals+undecided < threshold:
		prop.Status = ProposalRejected
		prop.ClosedHeight = c.env.height
		c.emit("proposal_status", "id", u64(prop.ID), "status", ProposalRejected)
	}
	putProposal(c.st, prop)
	return nil
}

// executeAction applies a passed proposal's action (from the table in
// actions.go) and emits its governance event, naming the action's first
// parameter as its target.
func executeAction(c *txContext, id uint64, a *Action) error {
	kind, p, ok := a.Kind()
	if !ok {
		return Errorf(CodeMalformed, "proposal must carry exactly one action")
	}
	if err := kind.apply(c, p); err != nil {
		return err
	}
	for _, f := range kind.fields {
		if addr, ok := f.account(&p); ok {
			c.touch(addr)
		}
	}
	c.emit("governance", "id", u64(id), "action", kind.name, "target", kind.fields[0].text(&p))
	return nil
}

// normalizeRoles returns roles sorted, without duplicates, with member.
func normalizeRoles(roles []Role) []Role {
	out := append([]Role{RoleMember}, roles...)
	slices.Sort(out)
	return slices.Compact(out)
}

func registerAccount(c *txContext, addr crypto.Address, roles []Role) error {
	acct, err := getAccount(c.st, addr)
	if err != nil {
		return err
	}
	if acct != nil {
		return Errorf(CodeConflict, "account %s is already registered", addr)
	}
	// A removed account's nonce is kept, so re-registering it cannot make
	// its old signed transactions valid again.
	var nonce uint64
	if _, err := getRecord(c.st, RetiredNonceKey(addr), &nonce); err != nil {
		return err
	}
	roles = normalizeRoles(roles)
	if slices.Contains(roles, RoleAdmin) {
		if err := checkAdminSet(c, true, "registering admin "+addr.String()); err != nil {
			return err
		}
	}
	c.st.del(RetiredNonceKey(addr))
	putAccount(c.st, &Account{Address: addr, Nonce: nonce, Roles: roles})
	return nil
}

func removeAccount(c *txContext, addr crypto.Address) error {
	acct, err := requireAccount(c.st, addr, "account")
	if err != nil {
		return err
	}
	balances, err := listBalances(c.st, addr)
	if err != nil {
		return err
	}
	if len(balances) > 0 {
		return Errorf(CodeConflict, "account %s still holds %d %s: move or burn its balances first", addr, balances[0].Amount, balances[0].Asset)
	}
	if err := assetsIssuedBy(c.st, addr, "cannot remove it"); err != nil {
		return err
	}
	if acct.HasRole(RoleAdmin) {
		if err := checkAdminSet(c, false, "removing admin "+addr.String()); err != nil {
			return err
		}
	}
	deleteAccount(c.st, addr)
	if acct.Nonce > 0 {
		c.st.set(RetiredNonceKey(addr), mustMarshal(acct.Nonce))
	}
	return nil
}

// assetsIssuedBy rejects when addr issues an asset.
func assetsIssuedBy(r Reader, addr crypto.Address, consequence string) error {
	var found string
	err := r.Iterate([]byte(PrefixAsset), func(_, value []byte) error {
		var a Asset
		if err := decodeState(value, &a); err != nil {
			return err
		}
		if a.Issuer == addr && found == "" {
			found = a.Symbol
		}
		return nil
	})
	if err != nil {
		return err
	}
	if found != "" {
		return Errorf(CodeConflict, "account %s is the issuer of %s: %s", addr, found, consequence)
	}
	return nil
}

// MaxProposalLifetime bounds how many blocks after its creation a
// proposal may stay open (about 11.5 days at one block a second), so open
// proposals cannot pile up for ever.
const MaxProposalLifetime = 1_000_000

// MaxAdmins bounds the admin set, and with it the votes a proposal
// records (only admins vote, once each).
const MaxAdmins = 100

// checkAdminSet rejects a change of the admin count by one (added true:
// one more admin; false: one fewer) that would leave no admin, fewer
// admins than the approval threshold, or more than MaxAdmins.
func checkAdminSet(c *txContext, added bool, what string) error {
	admins, err := listAdmins(c.st)
	if err != nil {
		return err
	}
	params, err := getParams(c.st)
	if err != nil {
		return err
	}
	after := uint64(len(admins))
	if added {
		after++
		if after > MaxAdmins {
			return Errorf(CodeUnsafeChange, "%s would make %d admins, above the maximum %d", what, after, MaxAdmins)
		}
		return nil
	}
	after--
	if after < 1 {
		return Errorf(CodeUnsafeChange, "%s would leave no admin: nobody could govern the chain", what)
	}
	if after < uint64(params.AdminThreshold) {
		return Errorf(CodeUnsafeChange, "%s would leave %d admins, fewer than the approval threshold %d", what, after, params.AdminThreshold)
	}
	return nil
}

func grantRole(c *txContext, addr crypto.Address, role Role) error {
	acct, err := requireAccount(c.st, addr, "account")
	if err != nil {
		return err
	}
	if acct.HasRole(role) {
		return Errorf(CodeConflict, "account %s already has the %s role", addr, role)
	}
	if role == RoleAdmin {
		if err := checkAdminSet(c, true, "granting admin to "+addr.String()); err != nil {
			return err
		}
	}
	acct.Roles = normalizeRoles(append(acct.Roles, role))
	putAccount(c.st, acct)
	return nil
}

func revokeRole(c *txContext, addr crypto.Address, role Role) error {
	acct, err := requireAccount(c.st, addr, "account")
	if err != nil {
		return err
	}
	if !acct.HasRole(role) {
		return Errorf(CodeConflict, "account %s does not have the %s role", addr, role)
	}
	if role == RoleMember {
		return Errorf(CodeConflict, "every registered account is a member: remove account %s instead of revoking member", addr)
	}
	if role == RoleAdmin {
		if err := checkAdminSet(c, false, "revoking admin from "+addr.String()); err != nil {
			return err
		}
	}
	acct.Roles = slices.DeleteFunc(acct.Roles, func(r Role) bool { return r == role })
	putAccount(c.st, acct)
	return nil
}

func setFrozen(c *txContext, addr crypto.Address, frozen bool, reason string) error {
	acct, err := requireAccount(c.st, addr, "account")
	if err != nil {
		return err
	}
	if acct.Frozen == frozen {
		if frozen {
			return Errorf(CodeConflict, "account %s is already frozen (%s)", addr, reasonOrNone(acct.FrozenReason))
		}
		return Errorf(CodeConflict, "account %s is not frozen", addr)
	}
	acct.Frozen, acct.FrozenReason = frozen, reason
	putAccount(c.st, acct)
	return nil
}

func createAsset(c *txContext, symbol string, issuerAddr crypto.Address) error {
	existing, err := getAsset(c.st, symbol)
	if err != nil {
		return err
	}
	if existing != nil {
		return Errorf(CodeConflict, "asset %s already exists (issuer %s)", symbol, existing.Issuer)
	}
	issuer, err := requireAccount(c.st, issuerAddr, "issuer")
	if err != nil {
		return err
	}
	if !issuer.HasRole(RoleIssuer) {
		issuer.Roles = normalizeRoles(append(issuer.Roles, RoleIssuer))
		putAccount(c.st, issuer)
	}
	putAsset(c.st, &Asset{Symbol: symbol, Issuer: issuerAddr})
	return nil
}

func setPaused(c *txContext, symbol string, paused bool) error {
	asset, err := requireAsset(c.st, symbol)
	if err != nil {
		return err
	}
	if asset.Paused == paused {
		if paused {
			return Errorf(CodeConflict, "asset %s is already paused", symbol)
		}
		return Errorf(CodeConflict, "asset %s is not paused", symbol)
	}
	asset.Paused = paused
	putAsset(c.st, asset)
	return nil
}

func setValidatorPower(c *txContext, pubKey []byte, power uint64) error {
	old, err := getValidator(c.st, pubKey)
	if err != nil {
		return err
	}
	key := hex.EncodeToString(pubKey)
	switch {
	case old == nil && power == 0:
		return Errorf(CodeConflict, "validator %s is not in the set: nothing to remove", key)
	case old != nil && old.Power == power:
		return Errorf(CodeConflict, "validator %s already has power %d", key, power)
	}
	putValidator(c.st, Validator{PubKey: pubKey, Power: power})
	return checkValidatorSet(c, "setting validator "+key+" to power "+u64(power))
}

// checkValidatorSet checks the validator set after a change: not empty,
// within CometBFT's total power, and (when the block's signers are known)
// the validators that signed the last commit and remain in the set hold
// more than 2/3 of the new set's power, so the chain keeps a quorum of
// validators known to be live.
func checkValidatorSet(c *txContext, what string) error {
	c.env.signersRead = true
	vals, err := listValidators(c.st)
	if err != nil {
		return err
	}
	if len(vals) == 0 {
		return Errorf(CodeUnsafeChange, "%s would leave no validator: the chain would halt", what)
	}
	var total, signed uint64
	for _, v := range vals {
		total += v.Power // each power <= 2^40 (ValidateBasic), the count is small: no overflow
		if c.env.signers[CometBFTAddress(v.PubKey)] {
			signed += v.Power
		}
	}
	if total > MaxTotalVotingPower {
		return Errorf(CodeUnsafeChange, "%s would make the total power %d, above CometBFT's maximum %d", what, total, uint64(MaxTotalVotingPower))
	}
	if c.env.signersKnown && signed*3 <= total*2 {
		return Errorf(CodeUnsafeChange, "%s would leave validators that signed the last commit with power %d of %d, not more than 2/3: the chain could halt", what, signed, total)
	}
	return nil
}

func setNodeAllowed(c *txContext, id string, allowed bool) error {
	now, err := nodeAllowed(c.st, id)
	if err != nil {
		return err
	}
	if now == allowed {
		if allowed {
			return Errorf(CodeConflict, "node %s is already allowed", id)
		}
		return Errorf(CodeConflict, "node %s is not allowed: nothing to deny", id)
	}
	putNode(c.st, id, allowed)
	return nil
}

func setThreshold(c *txContext, threshold uint32) error {
	params, err := getParams(c.st)
	if err != nil {
		return err
	}
	if params.AdminThreshold == threshold {
		return Errorf(CodeConflict, "threshold is already %d", threshold)
	}
	admins, err := listAdmins(c.st)
	if err != nil {
		return err
	}
	if uint64(threshold) > uint64(len(admins)) {
		return Errorf(CodeUnsafeChange, "threshold %d is above the number of admins %d: no proposal could pass", threshold, len(admins))
	}
	params.AdminThreshold = threshold
	putParams(c.st, params)
	return nil
}
