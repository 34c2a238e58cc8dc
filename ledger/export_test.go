package ledger

import (
	"bytes"
	"testing"
)

// A chain with transfers, a frozen account, a paused asset, an executed,
// an open and a rejected proposal and a removed account (a retired nonce)
// exports a genesis that, started as a new chain, holds the same
// key/values: the same state root, balances, nonces and proposals.
func TestExportImportSameRoot(t *testing.T) {
	c := newTestChain(t, testGenesis())
	c.block(newTx(t).from(alice).to(bob).amount(30), newTx(t).from(issuer).to(bob).amount(5), newTx(t).from(carol).to(bob).amount(1)) // carol fails but uses her nonce
	c.block(propose(admin1, actFreeze(bob, "court order 17")))
	c.block(vote(admin2, 1, true))
	c.block(propose(admin1, actPause("USD")))
	c.block(vote(admin2, 2, true))
	c.block(propose(admin1, actRemove(carol)), propose(admin2, actAllow(nodeB)))
	c.block(vote(admin2, 3, true), vote(admin3, 4, false))
	c.block(propose(admin1, actThreshold(3)), vote(admin3, 4, false)) // 5 stays open; 4 rejected
	if a := c.account(carol); a != nil {
		t.Fatalf("carol still registered: %+v", a)
	}

	v := c.view()
	g, err := v.Export()
	if err != nil {
		t.Fatalf("Export: %v", err)
	}
	if len(g.Proposals) != 5 || g.NextProposalID != 6 || len(g.RetiredNonces) != 1 {
		t.Fatalf("export: %d proposals, next %d, %d retired nonces", len(g.Proposals), g.NextProposalID, len(g.RetiredNonces))
	}
	if err := g.Validate(); err != nil {
		t.Fatalf("exported genesis does not validate: %v", err)
	}

	l, err := Open(NewMemStore(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	root, err := l.InitChain(testChainID, v.Height()+1, g)
	if err != nil {
		t.Fatalf("InitChain from the export: %v", err)
	}
	if !bytes.Equal(root, v.AppHash()) {
		t.Fatalf("imported root %X, exported state's app hash %X", root, v.AppHash())
	}
	// The first block of the new chain runs on exactly that state.
	res, err := l.FinalizeBlock(BlockInfo{Height: v.Height() + 1, Signers: c.signers}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Commit(); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(res.AppHash, v.AppHash()) {
		t.Fatalf("first block of the imported chain: app hash %X, want %X", res.AppHash, v.AppHash())
	}
	nv := l.View()
	for _, id := range []identity{alice, bob, issuer} {
		for _, asset := range []string{"TALLY", "USD"} {
			want, _ := v.Balance(id.addr, asset)
			got, _ := nv.Balance(id.addr, asset)
			if got != want {
				t.Errorf("%s %s: imported %d, exported %d", id.name, asset, got, want)
			}
		}
	}
	if a, _ := nv.Account(bob.addr); a == nil || !a.Frozen || a.FrozenReason != "court order 17" {
		t.Errorf("bob imported as %+v", a)
	}
	if a, _ := nv.Account(alice.addr); a == nil || a.Nonce != 1 {
		t.Errorf("alice imported as %+v, want nonce 1", a)
	}
}

func TestExportedGenesisValidation(t *testing.T) {
	base := func() GenesisState {
		g := testGenesis()
		g.NextProposalID = 3
		g.Proposals = []Proposal{{ID: 1, Proposer: admin1.addr, Action: actThreshold(1), Status: ProposalOpen, Expiry: 9}}
		return g
	}
	cases := []struct {
		name string
		edit func(*GenesisState)
		want string
	}{
		{"proposal ID at next", func(g *GenesisState) { g.Proposals[0].ID = 3 }, "ID must be 1 to 2"},
		{"proposal twice", func(g *GenesisState) { g.Proposals = append(g.Proposals, g.Proposals[0]) }, "listed twice"},
		{"bad status", func(g *GenesisState) { g.Proposals[0].Status = "maybe" }, `status "maybe"`},
		{"empty action", func(g *GenesisState) { g.Proposals[0].Action = Action{} }, "action"},
		{"retired nonce of a registered account", func(g *GenesisState) {
			g.RetiredNonces = []RetiredNonce{{Address: alice.addr, Nonce: 3}}
		}, "is registered"},
	}
	if err := func() GenesisState { return base() }(); err.Validate() != nil {
		t.Fatalf("base genesis: %v", err.Validate())
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g := base()
			c.edit(&g)
			err := g.Validate()
			if err == nil || !bytes.Contains([]byte(err.Error()), []byte(c.want)) {
				t.Fatalf("Validate: %v, want an error containing %q", err, c.want)
			}
		})
	}
}
