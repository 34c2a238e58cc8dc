package client

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/tallyledger/tally/crypto"
	"github.com/tallyledger/tally/ledger"
	"github.com/tallyledger/tally/wire"
)

// testKey returns a deterministic key; seed picks which.
func testKey(t testing.TB, seed byte) *crypto.PrivKey {
	t.Helper()
	b := bytes.Repeat([]byte{seed}, 32)
	k, err := crypto.PrivKeyFromBytes(b)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func addrOf(t testing.TB, seed byte) crypto.Address { return testKey(t, seed).PubKey().Address() }

func transferBody(t testing.TB) ledger.Body {
	return ledger.Body{Memo: "rent", Msg: ledger.Msg{Transfer: &ledger.Transfer{To: addrOf(t, 2), Asset: "TALLY", Amount: 25}}}
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestOfflineSignFlow goes through the three offline steps without a node.
func TestOfflineSignFlow(t *testing.T) {
	alice := testKey(t, 1)
	// Generated offline: no chain ID, no nonce.
	u := NewUnsignedTx("", alice.PubKey().Address(), transferBody(t), false)
	data := mustJSON(t, u)
	if !bytes.Contains(data, []byte(`"nonce": null`)) {
		t.Fatalf("unsigned file should show the unknown nonce as null:\n%s", data)
	}
	got, err := ReadUnsignedTx(data)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := got.Sign(alice, "", nil); err == nil || !strings.Contains(err.Error(), "chain ID unknown") {
		t.Fatalf("sign without chain ID: %v", err)
	}
	if _, err := got.Sign(alice, "tally-test", nil); err == nil || !strings.Contains(err.Error(), "nonce unknown") {
		t.Fatalf("sign without nonce: %v", err)
	}
	if _, err := got.Sign(testKey(t, 3), "tally-test", ptr(uint64(0))); err == nil || !strings.Contains(err.Error(), "signer is") {
		t.Fatalf("sign with another key: %v", err)
	}
	signed, err := got.Sign(alice, "tally-test", ptr(uint64(7)))
	if err != nil {
		t.Fatal(err)
	}
	sdata := mustJSON(t, signed)
	f, tx, raw, err := ReadSignedTx(sdata)
	if err != nil {
		t.Fatalf("ReadSignedTx: %v\n%s", err, sdata)
	}
	if f.ChainID != "tally-test" || tx.Body.Nonce != 7 || tx.Body.Memo != "rent" || tx.Body.Msg.Transfer.Amount != 25 {
		t.Fatalf("signed tx = %+v (chain %s)", tx.Body, f.ChainID)
	}
	if tx.Sender() != alice.PubKey().Address() || ledger.TxHashString(raw) != f.Hash {
		t.Fatalf("sender %s hash %s", tx.Sender(), f.Hash)
	}
	if err := tx.VerifySignature("tally-test"); err != nil {
		t.Fatal(err)
	}
	if tx.VerifySignature("other-chain") == nil {
		t.Fatal("signature verifies on another chain")
	}
	if _, err := ReadUnsignedTx(sdata); err == nil || !strings.Contains(err.Error(), "already signed") {
		t.Fatalf("ReadUnsignedTx(signed) = %v", err)
	}
	if _, _, _, err := ReadSignedTx(data); err == nil || !strings.Contains(err.Error(), "sign it first") {
		t.Fatalf("ReadSignedTx(unsigned) = %v", err)
	}
}

func ptr[T any](v T) *T { return &v }

// TestSignedFileTampering checks that every edit of a signed file is
// refused with a reason.
func TestSignedFileTampering(t *testing.T) {
	alice := testKey(t, 1)
	u := NewUnsignedTx("tally-test", alice.PubKey().Address(), transferBody(t), true)
	signed, err := u.Sign(alice, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		edit    func(f *SignedTx)
		wantErr string
		is      error
	}{
		{"chain id", func(f *SignedTx) { f.ChainID = "tally-other" }, `signature does not verify for chain "tally-other"`, ErrWrongChain},
		{"amount in body", func(f *SignedTx) { f.Body.Msg.Amount = "2500" }, "body was edited after signing", nil},
		{"hash", func(f *SignedTx) { f.Hash = strings.Repeat("0", 64) }, "does not match its tx bytes", nil},
		{"signer", func(f *SignedTx) { f.Signer = addrOf(t, 9).String() }, "signer", nil},
		{"tx bytes", func(f *SignedTx) { f.Tx = f.Tx[:len(f.Tx)-2] }, "tx:", nil},
		{"tx not hex", func(f *SignedTx) { f.Tx = "zz" }, "not hex", nil},
		{"type", func(f *SignedTx) { f.Type = "cosmos/tx" }, "not a transaction file", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := *signed
			tt.edit(&f)
			_, _, _, err := ReadSignedTx(mustJSON(t, &f))
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error = %v, want %q", err, tt.wantErr)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Fatalf("error %v does not match %v", err, tt.is)
			}
		})
	}
	// A file with an unknown field is refused (no silent ignoring).
	data := bytes.Replace(mustJSON(t, signed), []byte(`"type"`), []byte(`"fee": "1", "type"`), 1)
	if _, _, _, err := ReadSignedTx(data); err == nil || !strings.Contains(err.Error(), "unknown field") {
		t.Fatalf("unknown field: %v", err)
	}
}

// TestUnsignedFileEditsAreSigned checks that an edit of the readable body
// of an unsigned file is what gets signed.
func TestUnsignedFileEditsAreSigned(t *testing.T) {
	alice := testKey(t, 1)
	u := NewUnsignedTx("tally-test", alice.PubKey().Address(), transferBody(t), true)
	u.Body.Msg.Amount = "30"
	u.Body.Memo = "edited"
	got, err := ReadUnsignedTx(mustJSON(t, u))
	if err != nil {
		t.Fatal(err)
	}
	s, err := got.Sign(alice, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	_, tx, _, err := ReadSignedTx(mustJSON(t, s))
	if err != nil {
		t.Fatal(err)
	}
	if tx.Body.Msg.Transfer.Amount != 30 || tx.Body.Memo != "edited" {
		t.Fatalf("signed body = %+v", tx.Body)
	}
	if !reflect.DeepEqual(s.Body, wire.ViewBody(tx.Body)) {
		t.Fatal("readable body differs from the signed one")
	}
}
