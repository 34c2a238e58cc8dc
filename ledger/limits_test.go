package ledger

import (
	"math"
	"testing"
)

// MaxValidatorPower bounds one validator's power: a proposal at exactly the
// bound is valid and executes; one above it is malformed everywhere
// (decoding, CheckTx, a block) and consumes no nonce.
func TestMaxValidatorPower(t *testing.T) {
	if MaxValidatorPower != 1<<40 {
		t.Fatalf("MaxValidatorPower is %d, the protocol fixes 2^40", uint64(MaxValidatorPower))
	}
	one := func() GenesisState { // a single validator, so a change of its power stays safe
		g := testGenesis()
		g.Params.AdminThreshold = 1
		g.Validators = g.Validators[:1]
		return g
	}
	tests := []struct {
		name  string
		power uint64
		code  Code
		log   string
	}{
		{name: "at the maximum", power: MaxValidatorPower, code: CodeOK},
		{name: "one above the maximum", power: MaxValidatorPower + 1, code: CodeMalformed, log: "validator power 1099511627777 above the maximum 1099511627776"},
		{name: "far above the maximum", power: math.MaxUint64, code: CodeMalformed, log: "above the maximum"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := newTestChain(t, one())
			raw := newTx(t).from(admin1).nonce(0).propose(actPower(validatorKey(0), tc.power), 1000).bytes(nil)

			_, err := DecodeTx(raw)
			if got := CodeOf(err); got != tc.code {
				t.Fatalf("DecodeTx: code %v (%v), want %v", got, err, tc.code)
			}
			wantResult(t, c.l.CheckTx(raw, false), tc.code, tc.log)
			res := c.blockRaw(raw)
			wantResult(t, res.TxResults[0], tc.code, tc.log)

			v, err := getValidator(c.view().snap, validatorKey(0))
			if err != nil {
				t.Fatal(err)
			}
			if tc.code != CodeOK {
				if v.Power != 10 || len(res.ValidatorUpdates) != 0 {
					t.Fatalf("rejected change applied: power %d, updates %v", v.Power, res.ValidatorUpdates)
				}
				if n := c.account(admin1).Nonce; n != 0 {
					t.Fatalf("malformed transaction consumed a nonce: next nonce %d", n)
				}
				return
			}
			if v.Power != tc.power {
				t.Fatalf("validator power %d, want %d", v.Power, tc.power)
			}
			want := []ValidatorUpdate{{PubKey: validatorKey(0), Power: int64(tc.power)}}
			if len(res.ValidatorUpdates) != 1 || res.ValidatorUpdates[0].Power != want[0].Power {
				t.Fatalf("validator updates %v, want %v", res.ValidatorUpdates, want)
			}
		})
	}
}

// An account whose nonces are all used (its next nonce is 2^64-1) can send
// nothing more: the nonce never wraps around to reopen old transactions.
func TestNoncesExhausted(t *testing.T) {
	g := testGenesis()
	for i := range g.Accounts {
		if g.Accounts[i].Address == alice.addr {
			g.Accounts[i].Nonce = math.MaxUint64 - 1
		}
	}
	c := newTestChain(t, g)
	last := newTx(t).from(alice).to(bob).nonce(math.MaxUint64 - 1).bytes(nil)
	wantResult(t, c.l.CheckTx(last, false), CodeOK, "")
	wantResult(t, c.blockRaw(last).TxResults[0], CodeOK, "")
	if n := c.account(alice).Nonce; n != math.MaxUint64 {
		t.Fatalf("next nonce %d after the last one, want %d", n, uint64(math.MaxUint64))
	}

	tests := []struct {
		name  string
		nonce uint64
		log   string
	}{
		{name: "the nonce the account expects", nonce: math.MaxUint64, log: "has used every nonce"},
		{name: "a wrapped-around nonce", nonce: 0, log: "nonce 0 used, account expects 18446744073709551615"},
		{name: "the nonce just used", nonce: math.MaxUint64 - 1, log: "used, account expects"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			raw := newTx(t).from(alice).to(bob).nonce(tc.nonce).bytes(nil)
			wantResult(t, c.l.CheckTx(raw, false), CodeBadNonce, tc.log)
			before := c.balance(alice, "TALLY")
			wantResult(t, c.blockRaw(raw).TxResults[0], CodeBadNonce, tc.log)
			if n := c.account(alice).Nonce; n != math.MaxUint64 {
				t.Fatalf("next nonce %d, want it to stay %d", n, uint64(math.MaxUint64))
			}
			if after := c.balance(alice, "TALLY"); after != before {
				t.Fatalf("rejected transfer moved funds: %d -> %d", before, after)
			}
		})
	}
}
