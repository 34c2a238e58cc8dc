package ledger

import (
	"slices"
	"testing"
)

// The holdings record of an account lists exactly the assets it has a
// balance of, through genesis, transfers that empty or start a balance,
// mint and burn.
func TestHoldingsFollowBalances(t *testing.T) {
	c := newTestChain(t, testGenesis())
	check := func(step string) {
		t.Helper()
		v := c.view()
		for _, id := range []identity{alice, bob, carol, issuer} {
			bals, err := v.Balances(id.addr)
			if err != nil {
				t.Fatal(err)
			}
			var want []string
			for _, b := range bals {
				want = append(want, b.Asset)
			}
			raw, err := v.Get(HoldingsKey(id.addr))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			if raw != nil {
				if got, err = DecodeHoldings(raw); err != nil {
					t.Fatal(err)
				}
				if len(got) == 0 {
					t.Fatalf("%s: %s holds an empty holdings record", step, id.name)
				}
			}
			if !slices.Equal(got, want) {
				t.Fatalf("%s: %s holdings %v, balances in %v", step, id.name, got, want)
			}
		}
	}
	check("genesis")
	c.block(newTx(t).from(alice).to(carol).asset("USD").amount(7)) // alice's USD goes to zero, carol's starts
	check("transfer of a whole balance")
	c.block(newTx(t).from(issuer).to(bob).asset("USD").mint().amount(3))
	check("mint")
	c.block(newTx(t).from(issuer).asset("TALLY").burn().amount(1000))
	check("burn of the whole balance")
	c.block(newTx(t).from(bob).to(bob).amount(1))
	check("transfer to oneself")
}

func TestDecodeHoldingsRejectsUnsorted(t *testing.T) {
	if _, err := DecodeHoldings(mustMarshal([]string{"USD", "EUR"})); err == nil {
		t.Fatal("unsorted holdings decoded")
	}
	if _, err := DecodeHoldings(mustMarshal([]string{"EUR", "EUR"})); err == nil {
		t.Fatal("duplicate holdings decoded")
	}
}
