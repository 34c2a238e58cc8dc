package ledger

import (
	"math"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/btcec/v2"

	"github.com/tallyledger/tally/crypto"
)

var (
	dave = newIdentity("dave") // frozen in rulesGenesis
	erin = newIdentity("erin") // holds almost the whole BIG supply
)

// rulesGenesis extends the test genesis with a frozen account, a paused
// asset and an asset whose supply is near 2^64-1.
func rulesGenesis() GenesisState {
	g := testGenesis()
	g.Accounts = append(g.Accounts,
		Account{Address: dave.addr, Frozen: true, FrozenReason: "court order 12"},
		Account{Address: erin.addr},
	)
	g.Assets = append(g.Assets,
		Asset{Symbol: "PAUSED", Issuer: issuer.addr, Paused: true},
		Asset{Symbol: "BIG", Issuer: issuer.addr},
	)
	g.Balances = append(g.Balances,
		GenesisBalance{Address: dave.addr, Asset: "TALLY", Amount: 20},
		GenesisBalance{Address: alice.addr, Asset: "PAUSED", Amount: 5},
		GenesisBalance{Address: erin.addr, Asset: "BIG", Amount: math.MaxUint64 - 10},
		GenesisBalance{Address: issuer.addr, Asset: "BIG", Amount: 5},
	)
	return g
}

// highS replaces the signature's s by N-s: the same signature in its
// malleated (high-S) form.
func highS(tx *Tx) {
	var s btcec.ModNScalar
	s.SetByteSlice(tx.Signature[32:])
	s.Negate()
	s.PutBytesUnchecked(tx.Signature[32:])
}

func TestTransferRules(t *testing.T) {
	tests := []struct {
		name    string
		setup   []*txb // committed in a block before tx
		tx      *txb
		code    Code
		log     string
		check   func(t *testing.T, c *testChain)
		receive bool // FreezeBlocksReceive
		unauth  bool // rejected before authentication: changes nothing
	}{
		{name: "ok", tx: newTx(t).from(alice).to(bob).amount(5), check: func(t *testing.T, c *testChain) {
			if a, b := c.balance(alice, "TALLY"), c.balance(bob, "TALLY"); a != 95 || b != 55 {
				t.Fatalf("balances alice %d bob %d, want 95 55", a, b)
			}
		}},
		{name: "whole balance leaves no zero entry", tx: newTx(t).from(alice).to(bob).amount(100), check: func(t *testing.T, c *testChain) {
			if v, _ := c.view().Get(BalanceKey(alice.addr, "TALLY")); v != nil {
				t.Fatalf("zero balance stored as %x", v)
			}
		}},
		{name: "to self", tx: newTx(t).from(alice).to(alice).amount(100), code: CodeSelfTransfer, log: "to the sender itself", check: func(t *testing.T, c *testChain) {
			if a := c.balance(alice, "TALLY"); a != 100 {
				t.Fatalf("alice %d, want 100", a)
			}
		}},
		{name: "bad signature", tx: newTx(t).tamper(func(tx *Tx) { tx.Signature[5] ^= 1 }), unauth: true, code: CodeBadSignature},
		{name: "high S", tx: newTx(t).tamper(highS), unauth: true, code: CodeBadSignature, log: "low-S"},
		{name: "signed by another key", tx: newTx(t).tamper(func(tx *Tx) {
			other := NewSignedTx(testChainID, tx.Body, bob.key)
			tx.Signature = other.Signature
		}), unauth: true, code: CodeBadSignature},
		{name: "wrong chain ID", tx: newTx(t).chain("other-chain"), unauth: true, code: CodeBadSignature, log: "another chain"},
		{name: "nonce used", setup: []*txb{newTx(t).from(alice).amount(1)}, tx: newTx(t).from(alice).nonce(0), unauth: true, code: CodeBadNonce, log: "nonce 0 used, account expects 1"},
		{name: "nonce ahead", tx: newTx(t).from(alice).nonce(7), unauth: true, code: CodeBadNonce, log: "nonce 7 is ahead, account expects 0"},
		{name: "expired", tx: newTx(t).expiry(1), unauth: true, code: CodeExpired, log: "expired at height 1, block height is 2"},
		{name: "expiry is the last valid height", tx: newTx(t).expiry(2)},
		{name: "unknown sender", tx: newTx(t).from(stranger), unauth: true, code: CodeUnknownAccount, log: "sender " + stranger.addr.String() + " is not a registered account"},
		{name: "unknown recipient", tx: newTx(t).to(stranger), code: CodeUnknownAccount, log: "recipient " + stranger.addr.String()},
		{name: "insufficient", tx: newTx(t).from(bob).to(alice).amount(51), code: CodeInsufficient, log: "insufficient TALLY: balance 50, need 51"},
		{name: "no balance at all", tx: newTx(t).from(carol).to(alice).amount(1), code: CodeInsufficient, log: "balance 0, need 1"},
		{name: "unknown asset", tx: newTx(t).asset("NOPE"), code: CodeUnknownAsset, log: "asset NOPE does not exist"},
		{name: "paused asset", tx: newTx(t).asset("PAUSED"), code: CodeAssetPaused, log: "PAUSED is paused"},
		{name: "frozen sender", tx: newTx(t).from(dave).to(alice), code: CodeFrozen, log: "court order 12"},
		{name: "frozen recipient receives by default", tx: newTx(t).to(dave).amount(3), check: func(t *testing.T, c *testChain) {
			if n := c.balance(dave, "TALLY"); n != 23 {
				t.Fatalf("dave %d, want 23", n)
			}
		}},
		{name: "frozen recipient refused when params say so", receive: true, tx: newTx(t).to(dave), code: CodeFrozen, log: "cannot receive"},
		{name: "zero amount", tx: newTx(t).amount(0), unauth: true, code: CodeInvalidAmount, log: "amount is 0"},
		{name: "bad symbol", tx: newTx(t).asset("tally"), unauth: true, code: CodeInvalidAmount, log: "upper-case"},
		{name: "memo too long", tx: newTx(t).memo(strings.Repeat("m", MaxMemoBytes+1)), unauth: true, code: CodeMalformed, log: "memo is 257 bytes"},
		{name: "balance overflow cannot happen within the supply", tx: newTx(t).from(issuer).to(erin).asset("BIG").amount(5), check: func(t *testing.T, c *testChain) {
			if n := c.balance(erin, "BIG"); n != math.MaxUint64-5 {
				t.Fatalf("erin %d", n)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := rulesGenesis()
			g.Params.FreezeBlocksReceive = tc.receive
			c := newTestChain(t, g)
			var setup []any
			for _, s := range tc.setup {
				setup = append(setup, s)
			}
			c.block(setup...)
			before := c.view().AppHash()
			nonce := c.account(tc.tx.signer)
			if nonce == nil {
				nonce = &Account{}
			}
			balancesBefore := map[crypto.Address]uint64{}
			for _, id := range []identity{alice, bob, dave, erin, issuer} {
				balancesBefore[id.addr] = c.balance(id, "TALLY")
			}
			r := c.one(tc.tx)
			wantResult(t, r, tc.code, tc.log)
			after := c.account(tc.tx.signer)
			if after == nil {
				after = &Account{}
			}
			if tc.code == CodeOK && after.Nonce != nonce.Nonce+1 {
				t.Fatalf("nonce %d after success, want %d", after.Nonce, nonce.Nonce+1)
			}
			switch {
			case tc.unauth:
				if after.Nonce != nonce.Nonce || string(before) != string(c.view().AppHash()) {
					t.Fatal("unauthenticated tx changed the state")
				}
			case tc.code != CodeOK:
				if after.Nonce != nonce.Nonce+1 {
					t.Fatalf("nonce %d after a failed authenticated tx, want %d", after.Nonce, nonce.Nonce+1)
				}
				for _, id := range []identity{alice, bob, dave, erin, issuer} {
					if got, was := c.balance(id, "TALLY"), balancesBefore[id.addr]; got != was {
						t.Fatalf("%s's balance moved from %d to %d in a failed tx", id.name, was, got)
					}
				}
			}
			if tc.check != nil {
				tc.check(t, c)
			}
		})
	}
}

// A failing but authenticated transaction consumes its nonce and nothing
// else; an unauthenticated one changes nothing.
func TestNonceSemantics(t *testing.T) {
	c := newTestChain(t, rulesGenesis())
	c.block()
	r := c.one(newTx(t).from(bob).to(alice).amount(1000))
	wantResult(t, r, CodeInsufficient, "")
	if n := c.account(bob).Nonce; n != 1 {
		t.Fatalf("bob's nonce %d after a failed tx, want 1", n)
	}
	if n := c.balance(bob, "TALLY"); n != 50 {
		t.Fatalf("bob's balance %d after a failed tx, want 50", n)
	}
	hash := c.view().AppHash()
	for _, b := range []*txb{
		newTx(t).from(bob).nonce(0),
		newTx(t).from(bob).nonce(5),
		newTx(t).from(bob).tamper(func(tx *Tx) { tx.Signature[0] ^= 0x80 }),
		newTx(t).from(bob).expiry(1),
		newTx(t).from(bob).chain("elsewhere"),
	} {
		r := c.one(b)
		if r.Code == CodeOK {
			t.Fatal("unauthenticated tx accepted")
		}
		if len(r.Events) != 0 {
			t.Fatalf("unauthenticated tx emitted events %v", r.Events)
		}
	}
	if n := c.account(bob).Nonce; n != 1 {
		t.Fatalf("bob's nonce %d after unauthenticated txs, want 1", n)
	}
	if string(hash) != string(c.view().AppHash()) {
		t.Fatal("unauthenticated txs changed the state")
	}
	// Two transactions of one sender in one block, in nonce order.
	res := c.block(newTx(t).from(bob).to(alice).amount(1), newTx(t).from(bob).to(alice).amount(2))
	wantResult(t, res.TxResults[0], CodeOK, "")
	wantResult(t, res.TxResults[1], CodeOK, "")
	if n := c.account(bob).Nonce; n != 3 {
		t.Fatalf("nonce %d, want 3", n)
	}
}

// The balance check guards against overflow even where the supply
// invariant already prevents it.
func TestTransferBalanceOverflowGuard(t *testing.T) {
	c := newTestChain(t, rulesGenesis())
	c.block()
	blk := newOverlay(c.view().snap)
	putBalance(blk, bob.addr, "TALLY", math.MaxUint64) // impossible state, set by hand
	d := decodeTx(newTx(t).from(alice).to(bob).amount(1).bytes(map[crypto.Address]uint64{}))
	d.sigErr = d.tx.VerifySignature(testChainID)
	r, err := runTx(blk, &execEnv{height: 2, events: true}, d)
	if err != nil {
		t.Fatal(err)
	}
	wantResult(t, r, CodeOverflow, "would overflow")
}

func TestTransferEvents(t *testing.T) {
	c := newTestChain(t, rulesGenesis())
	c.block()
	r := c.one(newTx(t).from(alice).to(bob).amount(5))
	want := []Event{
		newEvent("tx_type", "type", "transfer"),
		newEvent("transfer", "sender", alice.addr.String(), "recipient", bob.addr.String(), "asset", "TALLY", "amount", "5"),
		newEvent("account", "address", alice.addr.String()),
		newEvent("account", "address", bob.addr.String()),
	}
	assertEvents(t, r.Events, want)
	for _, ev := range r.Events {
		if ev.Type == "tx" {
			t.Fatal(`event type "tx" clashes with tx.hash`)
		}
	}
	// A failed authenticated tx is still in the sender's history.
	r = c.one(newTx(t).from(alice).to(bob).amount(5000))
	assertEvents(t, r.Events, []Event{
		newEvent("tx_type", "type", "transfer"),
		newEvent("account", "address", alice.addr.String()),
	})
}

func assertEvents(t *testing.T, got, want []Event) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("events %v, want %v", got, want)
	}
	for i := range got {
		if got[i].Type != want[i].Type || len(got[i].Attributes) != len(want[i].Attributes) {
			t.Fatalf("event %d: %v, want %v", i, got[i], want[i])
		}
		for j := range got[i].Attributes {
			if got[i].Attributes[j] != want[i].Attributes[j] {
				t.Fatalf("event %d: %v, want %v", i, got[i], want[i])
			}
		}
	}
}
