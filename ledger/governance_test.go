package ledger

import (
	"encoding/hex"
	"strings"
	"testing"

	"github.com/tallyledger/tally/crypto"
)

// Action builders.
func actRegister(id identity, roles ...Role) Action {
	return Action{RegisterAccount: &RegisterAccount{Address: id.addr, Roles: roles}}
}
func actRemove(id identity) Action { return Action{RemoveAccount: &AccountRef{Address: id.addr}} }
func actGrant(id identity, r Role) Action {
	return Action{GrantRole: &RoleChange{Address: id.addr, Role: r}}
}
func actRevoke(id identity, r Role) Action {
	return Action{RevokeRole: &RoleChange{Address: id.addr, Role: r}}
}
func actFreeze(id identity, why string) Action {
	return Action{Freeze: &Freeze{Address: id.addr, Reason: why}}
}
func actUnfreeze(id identity) Action { return Action{Unfreeze: &AccountRef{Address: id.addr}} }
func actCreateAsset(sym string, id identity) Action {
	return Action{CreateAsset: &CreateAsset{Symbol: sym, Issuer: id.addr}}
}
func actPause(sym string) Action   { return Action{PauseAsset: &AssetRef{Symbol: sym}} }
func actUnpause(sym string) Action { return Action{UnpauseAsset: &AssetRef{Symbol: sym}} }
func actPower(key []byte, p uint64) Action {
	return Action{SetValidatorPower: &SetValidatorPower{PubKey: key, Power: p}}
}
func actAllow(id string) Action                 { return Action{AllowNode: &NodeRef{NodeID: id}} }
func actDeny(id string) Action                  { return Action{DenyNode: &NodeRef{NodeID: id}} }
func actThreshold(n uint32) Action              { return Action{SetThreshold: &SetThreshold{Threshold: n}} }
func propose(by identity, a Action) *txb        { return newTx(nil).from(by).propose(a, 1000) }
func vote(by identity, id uint64, ok bool) *txb { return newTx(nil).from(by).vote(id, ok) }

var (
	nodeA = strings.Repeat("ab", 20) // allowed in the test genesis
	nodeB = strings.Repeat("cd", 20)
)

// Every governance action, executed at once (threshold 1), with its rules.
func TestGovernanceActions(t *testing.T) {
	tests := []struct {
		name   string
		setup  []*txb // each must succeed
		action Action
		code   Code
		log    string
		check  func(t *testing.T, c *testChain)
	}{
		{name: "register account", action: actRegister(stranger, RoleIssuer), check: func(t *testing.T, c *testChain) {
			a := c.account(stranger)
			if a == nil || a.Nonce != 0 || len(a.Roles) != 2 || a.Roles[0] != RoleIssuer || a.Roles[1] != RoleMember {
				t.Fatalf("registered %+v, want roles [issuer member]", a)
			}
		}},
		{name: "register existing", action: actRegister(alice), code: CodeConflict, log: "already registered"},
		{name: "remove account", action: actRemove(carol), check: func(t *testing.T, c *testChain) {
			if c.account(carol) != nil {
				t.Fatal("carol still registered")
			}
			wantResult(t, c.one(newTx(t).from(alice).to(carol)), CodeUnknownAccount, "recipient")
		}},
		{name: "remove account holding funds", action: actRemove(alice), code: CodeConflict, log: "still holds 5 PAUSED: move or burn its balances first"},
		{name: "remove an issuer", action: actRemove(issuer), code: CodeConflict, log: "holds"},
		{name: "remove unknown", action: actRemove(stranger), code: CodeUnknownAccount},
		{name: "remove the last admin", setup: []*txb{propose(admin1, actRevoke(admin2, RoleAdmin)), propose(admin1, actRevoke(admin3, RoleAdmin))}, action: actRemove(admin1), code: CodeUnsafeChange, log: "no admin"},
		{name: "grant role", action: actGrant(alice, RoleAdmin), check: func(t *testing.T, c *testChain) {
			if !c.account(alice).HasRole(RoleAdmin) {
				t.Fatal("alice is not admin")
			}
			if admins, _ := listAdmins(c.view().snap); len(admins) != 4 {
				t.Fatalf("%d admins in the index, want 4", len(admins))
			}
		}},
		{name: "grant held role", action: actGrant(admin2, RoleAdmin), code: CodeConflict, log: "already has the admin role"},
		{name: "grant to unknown", action: actGrant(stranger, RoleAdmin), code: CodeUnknownAccount},
		{name: "revoke role", action: actRevoke(admin2, RoleAdmin), check: func(t *testing.T, c *testChain) {
			if c.account(admin2).HasRole(RoleAdmin) {
				t.Fatal("admin2 is still admin")
			}
			wantResult(t, c.one(propose(admin2, actAllow(nodeB))), CodeUnauthorized, "not an admin")
		}},
		{name: "revoke missing role", action: actRevoke(alice, RoleAdmin), code: CodeConflict, log: "does not have the admin role"},
		{name: "revoke member", action: actRevoke(alice, RoleMember), code: CodeConflict, log: "every registered account is a member"},
		{name: "freeze with reason", action: actFreeze(alice, "KYC expired"), check: func(t *testing.T, c *testChain) {
			a := c.account(alice)
			if !a.Frozen || a.FrozenReason != "KYC expired" {
				t.Fatalf("alice %+v", a)
			}
			wantResult(t, c.one(newTx(t).from(alice).to(bob)), CodeFrozen, "KYC expired")
		}},
		{name: "freeze frozen", setup: []*txb{propose(admin1, actFreeze(alice, "x"))}, action: actFreeze(alice, "y"), code: CodeConflict, log: "already frozen"},
		{name: "unfreeze", setup: []*txb{propose(admin1, actFreeze(alice, "x"))}, action: actUnfreeze(alice), check: func(t *testing.T, c *testChain) {
			if a := c.account(alice); a.Frozen || a.FrozenReason != "" {
				t.Fatalf("alice %+v", a)
			}
			wantResult(t, c.one(newTx(t).from(alice).to(bob)), CodeOK, "")
		}},
		{name: "unfreeze not frozen", action: actUnfreeze(alice), code: CodeConflict, log: "not frozen"},
		{name: "create asset", action: actCreateAsset("EUR", carol), check: func(t *testing.T, c *testChain) {
			a, _ := c.view().Asset("EUR")
			if a == nil || a.Issuer != carol.addr || a.Supply != 0 {
				t.Fatalf("asset %+v", a)
			}
			if !c.account(carol).HasRole(RoleIssuer) {
				t.Fatal("carol did not get the issuer role")
			}
			wantResult(t, c.one(newTx(t).from(carol).mint().asset("EUR").to(alice).amount(3)), CodeOK, "")
		}},
		{name: "create existing asset", action: actCreateAsset("TALLY", carol), code: CodeConflict, log: "already exists"},
		{name: "create asset for unknown issuer", action: actCreateAsset("EUR", stranger), code: CodeUnknownAccount, log: "issuer"},
		{name: "pause asset", action: actPause("TALLY"), check: func(t *testing.T, c *testChain) {
			wantResult(t, c.one(newTx(t).from(alice).to(bob)), CodeAssetPaused, "")
			wantResult(t, c.one(newTx(t).from(issuer).mint().to(bob)), CodeAssetPaused, "")
		}},
		{name: "pause paused", setup: []*txb{propose(admin1, actPause("TALLY"))}, action: actPause("TALLY"), code: CodeConflict},
		{name: "pause unknown", action: actPause("NOPE"), code: CodeUnknownAsset},
		{name: "unpause", setup: []*txb{propose(admin1, actPause("TALLY"))}, action: actUnpause("TALLY"), check: func(t *testing.T, c *testChain) {
			wantResult(t, c.one(newTx(t).from(alice).to(bob)), CodeOK, "")
		}},
		{name: "unpause running", action: actUnpause("TALLY"), code: CodeConflict, log: "not paused"},
		{name: "add validator", action: actPower(validatorKey(9), 5), check: func(t *testing.T, c *testChain) {
			v, _ := getValidator(c.view().snap, validatorKey(9))
			if v == nil || v.Power != 5 {
				t.Fatalf("validator %+v", v)
			}
		}},
		{name: "change validator power", action: actPower(validatorKey(0), 12)},
		{name: "remove validator", action: actPower(validatorKey(3), 0), check: func(t *testing.T, c *testChain) {
			if vals, _ := c.view().Validators(); len(vals) != 3 {
				t.Fatalf("%d validators, want 3", len(vals))
			}
		}},
		{name: "remove unknown validator", action: actPower(validatorKey(9), 0), code: CodeConflict, log: "not in the set"},
		{name: "same power", action: actPower(validatorKey(0), 10), code: CodeConflict, log: "already has power 10"},
		{name: "validator that did not sign outweighs the signers", action: actPower(validatorKey(9), 21), code: CodeUnsafeChange, log: "power 40 of 61"},
		{name: "validator that did not sign, still safe", action: actPower(validatorKey(9), 19)},
		{name: "empty validator set", setup: []*txb{propose(admin1, actPower(validatorKey(1), 0)), propose(admin1, actPower(validatorKey(2), 0)), propose(admin1, actPower(validatorKey(3), 0))}, action: actPower(validatorKey(0), 0), code: CodeUnsafeChange, log: "no validator"},
		{name: "allow node", action: actAllow(nodeB), check: func(t *testing.T, c *testChain) {
			if ok, _ := c.view().NodeAllowed(nodeB); !ok {
				t.Fatal("node not allowed")
			}
		}},
		{name: "allow allowed node", action: actAllow(nodeA), code: CodeConflict, log: "already allowed"},
		{name: "deny node", action: actDeny(nodeA), check: func(t *testing.T, c *testChain) {
			if ids, _ := c.view().AllowedNodes(); len(ids) != 0 {
				t.Fatalf("allowed nodes %v", ids)
			}
		}},
		{name: "deny unknown node", action: actDeny(nodeB), code: CodeConflict},
		{name: "set threshold", action: actThreshold(3), check: func(t *testing.T, c *testChain) {
			if p, _ := c.view().Params(); p.AdminThreshold != 3 {
				t.Fatalf("threshold %d", p.AdminThreshold)
			}
		}},
		{name: "threshold above admins", action: actThreshold(4), code: CodeUnsafeChange, log: "threshold 4 is above the number of admins 3"},
		{name: "same threshold", action: actThreshold(1), code: CodeConflict},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := rulesGenesis()
			g.Params.AdminThreshold = 1
			c := newTestChain(t, g)
			c.signers = allSigners(g.Validators[:4])
			for _, s := range tc.setup {
				wantResult(t, c.one(s), CodeOK, "")
			}
			c.block()
			before := c.view()
			r := c.one(propose(admin1, tc.action))
			wantResult(t, r, tc.code, tc.log)
			p, _ := c.view().Proposal(nextID(before))
			if tc.code == CodeOK {
				if p == nil || p.Status != ProposalExecuted || p.ExecutedHeight != uint64(c.height) {
					t.Fatalf("proposal %+v, want executed at %d", p, c.height)
				}
			} else {
				if !strings.HasPrefix(r.Log, "proposal ") || !strings.Contains(r.Log, "cannot execute: ") {
					t.Fatalf("log %q does not say which proposal failed", r.Log)
				}
				if p != nil {
					t.Fatalf("failed proposal stored: %+v", p)
				}
			}
			checkSupplies(t, c)
			if tc.check != nil {
				tc.check(t, c)
			}
		})
	}
}

func nextID(v *View) uint64 {
	id, err := getNextProposalID(v.snap)
	if err != nil {
		panic(err)
	}
	return id
}

// A removed account's nonce survives, so its old transactions stay dead.
func TestRemovedAccountKeepsNonce(t *testing.T) {
	g := testGenesis()
	g.Params.AdminThreshold = 1
	c := newTestChain(t, g)
	c.block()
	c.block(newTx(t).from(carol).to(alice).amount(1).tamper(nil)) // fails (no funds) but consumes nonce 0
	old := newTx(t).from(carol).to(alice).nonce(1).bytes(nil)
	wantResult(t, c.one(newTx(t).from(alice).to(carol).amount(1)), CodeOK, "")
	wantResult(t, c.blockRaw(old).TxResults[0], CodeOK, "") // nonce 1 used
	wantResult(t, c.one(propose(admin1, actRemove(carol))), CodeOK, "")
	wantResult(t, c.one(propose(admin1, actRegister(carol))), CodeOK, "")
	if n := c.account(carol).Nonce; n != 2 {
		t.Fatalf("re-registered carol has nonce %d, want 2", n)
	}
	wantResult(t, c.blockRaw(old).TxResults[0], CodeBadNonce, "nonce 1 used, account expects 2")
}

// Quorum rules with threshold 2 of 3 admins.
func TestGovernanceQuorum(t *testing.T) {
	t.Run("non-admin propose", func(t *testing.T) {
		c := newTestChain(t, testGenesis())
		c.block()
		wantResult(t, c.one(propose(alice, actAllow(nodeB))), CodeUnauthorized, alice.addr.String()+" is not an admin: only admins may propose")
	})
	t.Run("non-admin vote", func(t *testing.T) {
		c := newTestChain(t, testGenesis())
		c.block(propose(admin1, actAllow(nodeB)))
		wantResult(t, c.one(vote(alice, 1, true)), CodeUnauthorized, "only admins may vote")
	})
	t.Run("threshold reached executes", func(t *testing.T) {
		c := newTestChain(t, testGenesis())
		c.block()
		r := c.one(propose(admin1, actRegister(stranger)))
		wantResult(t, r, CodeOK, "")
		assertEvents(t, r.Events, []Event{
			newEvent("tx_type", "type", "propose"),
			newEvent("proposal", "id", "1", "proposer", admin1.addr.String(), "action", "register-account"),
			newEvent("account", "address", admin1.addr.String()),
		})
		p, _ := c.view().Proposal(1)
		if p.Status != ProposalOpen || len(p.Approvals) != 1 || p.Approvals[0] != admin1.addr || c.account(stranger) != nil {
			t.Fatalf("after propose: %+v", p)
		}
		r = c.one(vote(admin2, 1, true))
		wantResult(t, r, CodeOK, "")
		assertEvents(t, r.Events, []Event{
			newEvent("tx_type", "type", "vote"),
			newEvent("vote", "id", "1", "voter", admin2.addr.String(), "approve", "true"),
			newEvent("governance", "id", "1", "action", "register-account", "target", stranger.addr.String()),
			newEvent("account", "address", admin2.addr.String()),
			newEvent("account", "address", stranger.addr.String()),
		})
		p, _ = c.view().Proposal(1)
		if p.Status != ProposalExecuted || p.ExecutedHeight != uint64(c.height) || c.account(stranger) == nil {
			t.Fatalf("after the second approval: %+v", p)
		}
		wantResult(t, c.one(vote(admin3, 1, true)), CodeProposalClosed, "proposal 1 is executed")
		// IDs count up.
		wantResult(t, c.one(propose(admin3, actAllow(nodeB))), CodeOK, "")
		if p, _ := c.view().Proposal(2); p == nil || p.Proposer != admin3.addr {
			t.Fatalf("proposal 2: %+v", p)
		}
	})
	t.Run("double vote", func(t *testing.T) {
		c := newTestChain(t, testGenesis())
		c.block(propose(admin1, actAllow(nodeB)))
		wantResult(t, c.one(vote(admin1, 1, true)), CodeAlreadyVoted, "already voted on proposal 1")
		wantResult(t, c.one(vote(admin2, 1, false)), CodeOK, "")
		wantResult(t, c.one(vote(admin2, 1, true)), CodeAlreadyVoted, "")
	})
	t.Run("unknown proposal", func(t *testing.T) {
		c := newTestChain(t, testGenesis())
		c.block()
		wantResult(t, c.one(vote(admin1, 7, true)), CodeUnknownProposal, "proposal 7 does not exist")
	})
	t.Run("rejected", func(t *testing.T) {
		c := newTestChain(t, testGenesis())
		c.block(propose(admin1, actAllow(nodeB)))
		wantResult(t, c.one(vote(admin2, 1, false)), CodeOK, "")
		if p, _ := c.view().Proposal(1); p.Status != ProposalOpen {
			t.Fatalf("1 approval + 1 undecided can still reach 2: %+v", p)
		}
		r := c.one(vote(admin3, 1, false))
		wantResult(t, r, CodeOK, "")
		p, _ := c.view().Proposal(1)
		if p.Status != ProposalRejected || p.ClosedHeight != uint64(c.height) || len(p.Rejections) != 2 {
			t.Fatalf("after two rejections: %+v", p)
		}
		if ok, _ := c.view().NodeAllowed(nodeB); ok {
			t.Fatal("rejected action executed")
		}
		wantResult(t, c.one(vote(admin2, 1, true)), CodeProposalClosed, "proposal 1 is rejected")
	})
	t.Run("revoke admin below threshold", func(t *testing.T) {
		g := testGenesis()
		g.Params.AdminThreshold = 3
		c := newTestChain(t, g)
		c.block(propose(admin1, actRevoke(admin2, RoleAdmin)))
		wantResult(t, c.one(vote(admin2, 1, true)), CodeOK, "")
		wantResult(t, c.one(vote(admin3, 1, true)), CodeUnsafeChange, "proposal 1 cannot execute: revoking admin from "+admin2.addr.String()+" would leave 2 admins, fewer than the approval threshold 3")
		if !c.account(admin2).HasRole(RoleAdmin) {
			t.Fatal("admin revoked")
		}
	})
	t.Run("propose with past expiry", func(t *testing.T) {
		c := newTestChain(t, testGenesis())
		c.block()
		c.block()
		wantResult(t, c.one(newTx(t).from(admin1).propose(actAllow(nodeB), 2)), CodeExpired, "proposal expiry height 2 is before the current height 3")
	})
	t.Run("failing action keeps the proposal open", func(t *testing.T) {
		c := newTestChain(t, testGenesis())
		c.block(propose(admin1, actRegister(alice)))
		r := c.one(vote(admin2, 1, true))
		wantResult(t, r, CodeConflict, "proposal 1 cannot execute: account "+alice.addr.String()+" is already registered")
		p, _ := c.view().Proposal(1)
		if p.Status != ProposalOpen || len(p.Approvals) != 1 {
			t.Fatalf("proposal after a failed execution: %+v", p)
		}
		if n := c.account(admin2).Nonce; n != 1 {
			t.Fatalf("admin2's nonce %d, want 1 (consumed)", n)
		}
		// Once the action can run, the next approval executes it.
		wantResult(t, c.one(newTx(t).from(alice).to(bob).amount(100)), CodeOK, "")
		wantResult(t, c.one(newTx(t).from(alice).to(bob).asset("USD").amount(7)), CodeOK, "")
		wantResult(t, c.one(propose(admin2, actRemove(alice))), CodeOK, "")
		wantResult(t, c.one(vote(admin3, 2, true)), CodeOK, "")
		if c.account(alice) != nil {
			t.Fatal("alice not removed")
		}
		wantResult(t, c.one(vote(admin3, 1, true)), CodeOK, "")
		if p, _ := c.view().Proposal(1); p.Status != ProposalExecuted || c.account(alice) == nil {
			t.Fatalf("proposal 1 did not execute once it could: %+v", p)
		}
	})
	t.Run("approvals of removed admins do not count", func(t *testing.T) {
		c := newTestChain(t, testGenesis())
		c.block(propose(admin1, actAllow(nodeB)))               // 1: admin1 approves
		c.block(propose(admin2, actRevoke(admin1, RoleAdmin)))  // 2
		wantResult(t, c.one(vote(admin3, 2, true)), CodeOK, "") // admin1 is no longer admin
		wantResult(t, c.one(vote(admin2, 1, true)), CodeOK, "") // 1 current approval of 2 needed
		if p, _ := c.view().Proposal(1); p.Status != ProposalOpen {
			t.Fatalf("proposal 1 passed on a removed admin's approval: %+v", p)
		}
		wantResult(t, c.one(vote(admin3, 1, true)), CodeOK, "")
		if p, _ := c.view().Proposal(1); p.Status != ProposalExecuted {
			t.Fatalf("proposal 1: %+v", p)
		}
	})
}

// Proposals whose expiry has passed are closed at the start of the next
// block, and cannot pass after their expiry.
func TestProposalExpiry(t *testing.T) {
	c := newTestChain(t, testGenesis())
	c.block(newTx(t).from(admin1).propose(actAllow(nodeB), 3)) // height 1, expires after 3
	c.block()                                                  // 2
	if p, _ := c.view().Proposal(1); p.Status != ProposalOpen {
		t.Fatalf("%+v", p)
	}
	c.block()                             // 3: last height it could pass
	res := c.block(vote(admin2, 1, true)) // 4
	if len(res.Events) != 1 || res.Events[0].Type != "proposal_status" {
		t.Fatalf("block events %v, want proposal_status", res.Events)
	}
	wantResult(t, res.TxResults[0], CodeProposalClosed, "proposal 1 is expired")
	p, _ := c.view().Proposal(1)
	if p.Status != ProposalExpired || p.ClosedHeight != 4 {
		t.Fatalf("%+v", p)
	}
	if ok, _ := c.view().NodeAllowed(nodeB); ok {
		t.Fatal("expired proposal executed")
	}
	// CheckTx, which runs before the sweep, checks the expiry itself.
	c2 := newTestChain(t, testGenesis())
	c2.block(newTx(t).from(admin1).propose(actAllow(nodeB), 1))
	r := c2.l.CheckTx(vote(admin2, 1, true).bytes(map[crypto.Address]uint64{}), false)
	wantResult(t, r, CodeProposalClosed, "proposal 1 expired at height 1")
}

// Genesis validators and their updates in FinalizeBlock.
func TestValidatorUpdates(t *testing.T) {
	g := testGenesis()
	g.Params.AdminThreshold = 1
	c := newTestChain(t, g)
	res := c.block()
	if len(res.ValidatorUpdates) != 0 {
		t.Fatalf("first block updates %v", res.ValidatorUpdates)
	}
	res = c.block(propose(admin1, actPower(validatorKey(7), 3)), propose(admin1, actPower(validatorKey(1), 0)))
	if len(res.ValidatorUpdates) != 2 {
		t.Fatalf("updates %v", res.ValidatorUpdates)
	}
	want := map[string]int64{hex.EncodeToString(validatorKey(7)): 3, hex.EncodeToString(validatorKey(1)): 0}
	for i, u := range res.ValidatorUpdates {
		if p, ok := want[hex.EncodeToString(u.PubKey)]; !ok || p != u.Power {
			t.Fatalf("update %d: %x power %d", i, u.PubKey, u.Power)
		}
		if i > 0 && string(res.ValidatorUpdates[i-1].PubKey) > string(u.PubKey) {
			t.Fatal("updates not sorted by key")
		}
	}
	// Setting a power and back within one block is no update.
	res = c.block(propose(admin1, actPower(validatorKey(0), 11)), propose(admin1, actPower(validatorKey(0), 10)))
	if len(res.ValidatorUpdates) != 0 {
		t.Fatalf("updates %v", res.ValidatorUpdates)
	}
}
