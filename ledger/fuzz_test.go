package ledger

import (
	"bytes"
	"testing"

	"github.com/tallyledger/tally/crypto"
)

// fuzzSeeds are valid transactions of every kind plus a few broken ones.
func fuzzSeeds(t testing.TB) [][]byte {
	next := map[crypto.Address]uint64{}
	seeds := [][]byte{
		newTx(t).from(alice).to(bob).amount(5).bytes(next),
		newTx(t).from(alice).to(bob).amount(5).memo("rent").expiry(9).bytes(next),
		newTx(t).from(issuer).mint().to(carol).amount(7).bytes(next),
		newTx(t).from(issuer).burn().amount(3).bytes(next),
		newTx(t).from(admin1).vote(1, true).bytes(next),
		newTx(t).from(admin1).propose(actFreeze(alice, "why"), 50).bytes(next),
		newTx(t).from(admin1).propose(actPower(validatorKey(1), 3), 50).bytes(next),
		newTx(t).from(admin1).propose(actRegister(stranger, RoleIssuer), 50).bytes(next),
		newTx(t).from(admin1).propose(actThreshold(2), 50).bytes(next),
		newTx(t).from(admin1).propose(actAllow(nodeB), 50).bytes(next),
		newTx(t).tamper(highS).bytes(nil),
		{},
		{0xa0},
		{0xa3, 0x01, 0xbf, 0xff},
	}
	return seeds
}

func FuzzDecodeTx(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		tx, err := DecodeTx(b)
		if err != nil {
			if c := CodeOf(err); c != CodeMalformed && c != CodeInvalidAmount {
				t.Fatalf("decode error with code %v: %v", c, err)
			}
			return
		}
		// One byte string per transaction: what decodes re-encodes to itself.
		if !bytes.Equal(tx.Encode(), b) {
			t.Fatalf("accepted non-canonical bytes %x", b)
		}
		if err := tx.ValidateBasic(); err != nil {
			t.Fatalf("decoded tx fails ValidateBasic: %v", err)
		}
		if tx.Body.Msg.Type() == "" {
			t.Fatal("decoded tx has no single message")
		}
	})
}

func FuzzCheckTx(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	c := newTestChain(f, rulesGenesis())
	c.block()
	f.Fuzz(func(t *testing.T, b []byte) {
		before, _, _ := c.l.PendingNonce(alice.addr)
		r := c.l.CheckTx(b, false)
		if _, known := codeNames[r.Code]; !known || r.Code == CodeInternal {
			t.Fatalf("CheckTx code %d (%q)", r.Code, r.Log)
		}
		if r.Code != CodeOK {
			if r.Log == "" {
				t.Fatalf("rejection %v without a log", r.Code)
			}
			if after, _, _ := c.l.PendingNonce(alice.addr); after != before {
				t.Fatal("a rejected tx moved a pending nonce")
			}
			return
		}
		// Admitted: canonical, correctly signed, from a registered sender,
		// whose pending nonce moved past it.
		tx, err := DecodeTx(b)
		if err != nil {
			t.Fatalf("admitted an undecodable tx: %v", err)
		}
		if err := tx.VerifySignature(testChainID); err != nil {
			t.Fatalf("admitted a bad signature: %v", err)
		}
		n, ok, _ := c.l.PendingNonce(tx.Sender())
		if !ok || n != tx.Body.Nonce+1 {
			t.Fatalf("pending nonce %d after admitting nonce %d", n, tx.Body.Nonce)
		}
		if len(r.Events) != 0 {
			t.Fatalf("CheckTx built events %v: only blocks keep them", r.Events)
		}
	})
}
