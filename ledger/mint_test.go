package ledger

import (
	"math"
	"testing"
)

func TestMintBurnRules(t *testing.T) {
	revokeIssuer := newTx(t).from(admin1).propose(Action{RevokeRole: &RoleChange{Address: issuer.addr, Role: RoleIssuer}}, 100)
	tests := []struct {
		name  string
		setup []*txb
		tx    *txb
		code  Code
		log   string
		check func(t *testing.T, c *testChain)
	}{
		{name: "mint", tx: newTx(t).from(issuer).mint().to(carol).amount(40), check: func(t *testing.T, c *testChain) {
			if n, s := c.balance(carol, "TALLY"), c.supply("TALLY"); n != 40 || s != 1210 {
				t.Fatalf("carol %d supply %d, want 40 1210", n, s)
			}
		}},
		{name: "mint by non-issuer", tx: newTx(t).from(alice).mint().to(alice), code: CodeUnauthorized, log: "only the issuer of TALLY"},
		{name: "mint by an admin", tx: newTx(t).from(admin1).mint().to(alice), code: CodeUnauthorized, log: "only the issuer"},
		{name: "mint unknown asset", tx: newTx(t).from(issuer).mint().asset("NOPE"), code: CodeUnknownAsset},
		{name: "mint paused asset", tx: newTx(t).from(issuer).mint().asset("PAUSED"), code: CodeAssetPaused},
		{name: "mint to unregistered", tx: newTx(t).from(issuer).mint().to(stranger), code: CodeUnknownAccount, log: "recipient"},
		{name: "mint supply overflow", tx: newTx(t).from(issuer).mint().asset("BIG").to(alice).amount(6), code: CodeOverflow, log: "supply of BIG would overflow: supply 18446744073709551610, minting 6"},
		{name: "mint up to the maximum", tx: newTx(t).from(issuer).mint().asset("BIG").to(alice).amount(5), check: func(t *testing.T, c *testChain) {
			if s := c.supply("BIG"); s != math.MaxUint64 {
				t.Fatalf("supply %d", s)
			}
		}},
		{name: "mint after the issuer role is revoked", setup: []*txb{revokeIssuer}, tx: newTx(t).from(issuer).mint().to(alice), code: CodeUnauthorized, log: "lacks the issuer role"},
		{name: "burn", tx: newTx(t).from(issuer).burn().amount(300), check: func(t *testing.T, c *testChain) {
			if n, s := c.balance(issuer, "TALLY"), c.supply("TALLY"); n != 700 || s != 870 {
				t.Fatalf("issuer %d supply %d, want 700 870", n, s)
			}
		}},
		{name: "burn more than held", tx: newTx(t).from(issuer).burn().amount(1001), code: CodeInsufficient, log: "balance 1000, need 1001"},
		{name: "burn by non-issuer", tx: newTx(t).from(alice).burn().amount(1), code: CodeUnauthorized},
		{name: "burn paused asset", tx: newTx(t).from(issuer).burn().asset("PAUSED"), code: CodeAssetPaused},
		{name: "burn by frozen issuer", setup: []*txb{newTx(t).from(admin1).propose(Action{Freeze: &Freeze{Address: issuer.addr, Reason: "audit"}}, 100)}, tx: newTx(t).from(issuer).burn(), code: CodeFrozen, log: "audit"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := rulesGenesis()
			g.Params.AdminThreshold = 1
			c := newTestChain(t, g)
			var setup []any
			for _, s := range tc.setup {
				setup = append(setup, s)
			}
			for _, r := range c.block(setup...).TxResults {
				wantResult(t, r, CodeOK, "")
			}
			r := c.one(tc.tx)
			wantResult(t, r, tc.code, tc.log)
			checkSupplies(t, c)
			if tc.check != nil {
				tc.check(t, c)
			}
		})
	}
}

// checkSupplies asserts the invariant: every asset's supply is the sum of
// its balances.
func checkSupplies(t testing.TB, c *testChain) {
	t.Helper()
	v := c.view()
	assets, err := v.Assets()
	if err != nil {
		t.Fatal(err)
	}
	sums := map[string]uint64{}
	accts, err := v.Accounts()
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range accts {
		bals, err := v.Balances(a.Address)
		if err != nil {
			t.Fatal(err)
		}
		for _, b := range bals {
			if b.Amount == 0 {
				t.Fatalf("zero balance stored for %s %s", a.Address, b.Asset)
			}
			sums[b.Asset] += b.Amount
		}
	}
	for _, a := range assets {
		if sums[a.Symbol] != a.Supply {
			t.Fatalf("asset %s: supply %d, balances add up to %d", a.Symbol, a.Supply, sums[a.Symbol])
		}
	}
}

func TestMintBurnEvents(t *testing.T) {
	g := testGenesis()
	c := newTestChain(t, g)
	c.block()
	r := c.one(newTx(t).from(issuer).mint().to(alice).amount(9))
	assertEvents(t, r.Events, []Event{
		newEvent("tx_type", "type", "mint"),
		newEvent("mint", "issuer", issuer.addr.String(), "recipient", alice.addr.String(), "asset", "TALLY", "amount", "9"),
		newEvent("account", "address", issuer.addr.String()),
		newEvent("account", "address", alice.addr.String()),
	})
	r = c.one(newTx(t).from(issuer).burn().amount(4))
	assertEvents(t, r.Events, []Event{
		newEvent("tx_type", "type", "burn"),
		newEvent("burn", "issuer", issuer.addr.String(), "asset", "TALLY", "amount", "4"),
		newEvent("account", "address", issuer.addr.String()),
	})
}
