package ledger

import (
	"bytes"
	"strings"
	"testing"

	"github.com/fxamacker/cbor/v2"

	"github.com/tallyledger/tally/crypto"
)

// sampleTx is a valid signed transfer with nonce 5 (a one-byte integer).
func sampleTx(t testing.TB) (*Tx, []byte) {
	tx := newTx(t).from(alice).to(bob).amount(5).nonce(5).build(nil)
	return tx, tx.Encode()
}

// reencodeGeneric decodes raw into generic CBOR, lets f change it and
// encodes it canonically again.
func reencodeGeneric(t *testing.T, raw []byte, f func(m map[any]any)) []byte {
	t.Helper()
	var m map[any]any
	if err := cbor.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	f(m)
	out, err := encMode.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestDecodeTxStrict(t *testing.T) {
	tx, raw := sampleTx(t)
	body, err := Marshal(&tx.Body)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(raw[2:2+len(body)], body) || raw[0] != 0xa3 || raw[1] != 0x01 {
		t.Fatalf("unexpected layout %x", raw[:8])
	}
	rest := raw[2+len(body):] // keys 2 and 3
	join := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	if body[1] != 0x01 || body[2] != 0x05 {
		t.Fatalf("body does not start with nonce 5: %x", body[:4])
	}
	signedWith := func(m Msg) []byte {
		return newTx(t).from(alice).nonce(0).msg(m).bytes(nil)
	}
	transfer := &Transfer{To: bob.addr, Asset: "TALLY", Amount: 1}

	tests := []struct {
		name string
		raw  []byte
		code Code
		log  string
	}{
		{"valid", raw, CodeOK, ""},
		{"empty", nil, CodeMalformed, "empty transaction"},
		{"too large", make([]byte, MaxTxBytes+1), CodeMalformed, "at most 4096"},
		{"trailing bytes", join(raw, []byte{0x00}), CodeMalformed, "extraneous data"},
		{"truncated", raw[:len(raw)-1], CodeMalformed, "cannot decode"},
		{"unknown top-level field", reencodeGeneric(t, raw, func(m map[any]any) { m[uint64(9)] = uint64(1) }), CodeMalformed, "unknown field"},
		{"unknown body field", reencodeGeneric(t, raw, func(m map[any]any) { m[uint64(1)].(map[any]any)[uint64(9)] = "x" }), CodeMalformed, "unknown field"},
		{"duplicate key", join([]byte{0xa4}, raw[1:], []byte{0x03}, raw[len(raw)-66:]), CodeMalformed, "duplicate"},
		{"non-minimal integer", join(raw[:2], body[:2], []byte{0x18, 0x05}, body[3:], rest), CodeMalformed, "non-canonical"},
		{"indefinite-length map", join(raw[:2], []byte{0xbf}, body[1:], []byte{0xff}, rest), CodeMalformed, "indefinite"},
		{"tag", join(raw[:2], []byte{0xc6}, body, rest), CodeMalformed, "tag"},
		{"keys out of order", join([]byte{0xa3}, rest[len(rest)-67:], raw[1:2+len(body)], rest[:len(rest)-67]), CodeMalformed, "non-canonical"},
		{"not a map", []byte{0x83, 0x01, 0x02, 0x03}, CodeMalformed, "cannot decode"},
		{"two messages", signedWith(Msg{Transfer: transfer, Burn: &Burn{Asset: "TALLY", Amount: 1}}), CodeMalformed, "exactly one message"},
		{"no message", signedWith(Msg{}), CodeMalformed, "exactly one message"},
		{"two actions", signedWith(Msg{Propose: &Propose{Expiry: 9, Action: Action{AllowNode: &NodeRef{NodeID: strings.Repeat("a", 40)}, DenyNode: &NodeRef{NodeID: strings.Repeat("a", 40)}}}}), CodeMalformed, "exactly one action"},
		{"short public key", func() []byte { x := *tx; x.PubKey = x.PubKey[:32]; return x.Encode() }(), CodeMalformed, "public key is 32 bytes"},
		{"short signature", func() []byte { x := *tx; x.Signature = x.Signature[:63]; return x.Encode() }(), CodeMalformed, "signature is 63 bytes"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := DecodeTx(tc.raw)
			if tc.code == CodeOK {
				if err != nil {
					t.Fatalf("DecodeTx: %v", err)
				}
				if !bytes.Equal(got.Encode(), tc.raw) {
					t.Fatal("re-encoding differs")
				}
				return
			}
			if CodeOf(err) != tc.code || !strings.Contains(err.Error(), tc.log) {
				t.Fatalf("DecodeTx error %v, want code %v containing %q", err, tc.code, tc.log)
			}
			// The ledger rejects it the same way, without touching state.
			c := newTestChain(t, testGenesis())
			c.block()
			hash := c.view().AppHash()
			r := c.l.CheckTx(tc.raw, false)
			wantResult(t, r, tc.code, "")
			res := c.blockRaw(tc.raw)
			wantResult(t, res.TxResults[0], tc.code, "")
			if !bytes.Equal(hash, c.view().AppHash()) {
				t.Fatal("malformed tx changed the state")
			}
		})
	}
}

// Stored records decode only from their canonical bytes.
func TestDecodeRecords(t *testing.T) {
	acct := &Account{Address: alice.addr, Nonce: 3, Roles: []Role{RoleAdmin, RoleMember}}
	b := mustMarshal(acct)
	got, err := DecodeAccount(b)
	if err != nil || got.Nonce != 3 || got.Address != alice.addr || len(got.Roles) != 2 {
		t.Fatalf("DecodeAccount: %+v, %v", got, err)
	}
	if _, err := DecodeAccount(append(b, 0)); err == nil {
		t.Fatal("trailing byte accepted")
	}
	n, err := DecodeBalance(mustMarshal(uint64(300)))
	if err != nil || n != 300 {
		t.Fatalf("DecodeBalance: %d, %v", n, err)
	}
	if _, err := DecodeBalance([]byte{0x19, 0x00, 0x05}); err == nil {
		t.Fatal("non-minimal balance accepted")
	}
	if _, err := DecodeAsset(mustMarshal(&Asset{Symbol: "X1", Issuer: crypto.Address{1}})); err != nil {
		t.Fatal(err)
	}
	if _, err := DecodeProposal(mustMarshal(&Proposal{ID: 1, Status: ProposalOpen})); err != nil {
		t.Fatal(err)
	}
	if _, err := DecodeValidator(mustMarshal(&Validator{PubKey: validatorKey(0), Power: 1})); err != nil {
		t.Fatal(err)
	}
	if _, err := DecodeParams(mustMarshal(Params{AdminThreshold: 1})); err != nil {
		t.Fatal(err)
	}
}
