package ledger

import (
	"bytes"
	"testing"

	ics23 "github.com/cosmos/ics23/go"

	"github.com/tallyledger/tally/ledger/smt"
)

// verifyProof checks an existence (value != nil) or absence proof.
func verifyProof(appHash []byte, p *ics23.CommitmentProof, key, value []byte) error {
	root := [32]byte(appHash)
	if value == nil {
		return smt.VerifyAbsence(root, p, key)
	}
	return smt.VerifyExistence(root, p, key, value)
}

func TestProofs(t *testing.T) {
	c := newTestChain(t, testGenesis())
	c.block(newTx(t).from(alice).to(bob).amount(5))
	v := c.view()
	tests := []struct {
		name    string
		key     []byte
		present bool
	}{
		{"account", AccountKey(alice.addr), true},
		{"balance", BalanceKey(bob.addr, "TALLY"), true},
		{"asset", AssetKey("TALLY"), true},
		{"params", ParamsKey(), true},
		{"chain id", ChainIDKey(), true},
		{"validator", ValidatorKey(validatorKey(0)), true},
		{"allowed node", NodeKey(nodeA), true},
		{"unregistered account", AccountKey(stranger.addr), false},
		{"absent balance", BalanceKey(carol.addr, "TALLY"), false},
		{"unknown asset", AssetKey("NOPE"), false},
		{"unknown key", []byte("/zzz"), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			value, proof, err := v.Prove(tc.key)
			if err != nil {
				t.Fatal(err)
			}
			if (value != nil) != tc.present {
				t.Fatalf("value %x, want present=%v", value, tc.present)
			}
			if err := verifyProof(v.AppHash(), proof, tc.key, value); err != nil {
				t.Fatalf("proof does not verify: %v", err)
			}
			if tc.present {
				// The value decodes, and a changed value fails.
				switch {
				case bytes.HasPrefix(tc.key, []byte(PrefixAccount)):
					if a, err := DecodeAccount(value); err != nil || a.Address != alice.addr {
						t.Fatalf("DecodeAccount: %v", err)
					}
				case bytes.HasPrefix(tc.key, []byte(PrefixBalance)):
					if n, err := DecodeBalance(value); err != nil || n != 55 {
						t.Fatalf("DecodeBalance: %d %v", n, err)
					}
				}
				bad := bytes.Clone(value)
				bad[len(bad)-1] ^= 1
				if verifyProof(v.AppHash(), proof, tc.key, bad) == nil {
					t.Fatal("proof verifies a changed value")
				}
				if smt.VerifyAbsence([32]byte(v.AppHash()), proof, tc.key) == nil {
					t.Fatal("existence proof passes as absence")
				}
			}
			// Any changed byte of the proof, the key or the app hash fails.
			raw, err := smt.MarshalProof(proof)
			if err != nil {
				t.Fatal(err)
			}
			for i := range raw {
				mut := bytes.Clone(raw)
				mut[i] ^= 0x01
				p, err := smt.UnmarshalProof(mut)
				if err != nil {
					continue
				}
				if verifyProof(v.AppHash(), p, tc.key, value) == nil {
					t.Fatalf("proof with byte %d changed still verifies", i)
				}
			}
			for i := range tc.key {
				k := bytes.Clone(tc.key)
				k[i] ^= 0x01
				if verifyProof(v.AppHash(), proof, k, value) == nil {
					t.Fatalf("proof verifies for key with byte %d changed", i)
				}
			}
			h := v.AppHash()
			h[7] ^= 0x10
			if verifyProof(h, proof, tc.key, value) == nil {
				t.Fatal("proof verifies against another app hash")
			}
		})
	}
	if _, _, err := v.Prove([]byte("!height")); err == nil {
		t.Fatal("metadata key proven")
	}
	if _, _, err := (&View{}).Prove(AccountKey(alice.addr)); err == nil {
		t.Fatal("proof before the first block")
	}
}
