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

// bodies returns one body of every message and action type.
func bodies(t *testing.T) map[string]ledger.Body {
	bob := addrOf(t, 2)
	pk := bytes.Repeat([]byte{7}, 32)
	propose := func(a ledger.Action) ledger.Body {
		return ledger.Body{Nonce: 3, Msg: ledger.Msg{Propose: &ledger.Propose{Action: a, Expiry: 120}}}
	}
	return map[string]ledger.Body{
		"transfer": {Nonce: 0, Expiry: 99, Memo: "invoice 42", Msg: ledger.Msg{Transfer: &ledger.Transfer{To: bob, Asset: "TALLY", Amount: 25}}},
		"mint":     {Nonce: 1, Msg: ledger.Msg{Mint: &ledger.Mint{To: bob, Asset: "EUR", Amount: 1 << 63}}},
		"burn":     {Nonce: 2, Msg: ledger.Msg{Burn: &ledger.Burn{Asset: "EUR", Amount: 5}}},
		"approve":  {Nonce: 4, Msg: ledger.Msg{Vote: &ledger.Vote{Proposal: 9, Approve: true}}},
		"reject":   {Nonce: 4, Msg: ledger.Msg{Vote: &ledger.Vote{Proposal: 9, Approve: false}}},
		"register-account": propose(ledger.Action{RegisterAccount: &ledger.RegisterAccount{Address: bob,
			Roles: []ledger.Role{ledger.RoleMember, ledger.RoleIssuer}}}),
		"remove-account":      propose(ledger.Action{RemoveAccount: &ledger.AccountRef{Address: bob}}),
		"grant-role":          propose(ledger.Action{GrantRole: &ledger.RoleChange{Address: bob, Role: ledger.RoleAdmin}}),
		"revoke-role":         propose(ledger.Action{RevokeRole: &ledger.RoleChange{Address: bob, Role: ledger.RoleAdmin}}),
		"freeze":              propose(ledger.Action{Freeze: &ledger.Freeze{Address: bob, Reason: "court order"}}),
		"unfreeze":            propose(ledger.Action{Unfreeze: &ledger.AccountRef{Address: bob}}),
		"create-asset":        propose(ledger.Action{CreateAsset: &ledger.CreateAsset{Symbol: "EUR", Issuer: bob}}),
		"pause-asset":         propose(ledger.Action{PauseAsset: &ledger.AssetRef{Symbol: "EUR"}}),
		"unpause-asset":       propose(ledger.Action{UnpauseAsset: &ledger.AssetRef{Symbol: "EUR"}}),
		"set-validator-power": propose(ledger.Action{SetValidatorPower: &ledger.SetValidatorPower{PubKey: pk, Power: 0}}),
		"allow-node":          propose(ledger.Action{AllowNode: &ledger.NodeRef{NodeID: strings.Repeat("ab", 20)}}),
		"deny-node":           propose(ledger.Action{DenyNode: &ledger.NodeRef{NodeID: strings.Repeat("cd", 20)}}),
		"set-threshold":       propose(ledger.Action{SetThreshold: &ledger.SetThreshold{Threshold: 2}}),
	}
}

// TestBodyViewRoundTrip checks that the readable form converts back to the
// same canonical body, through JSON, for every message and action.
func TestBodyViewRoundTrip(t *testing.T) {
	all := bodies(t)
	for _, a := range ActionTypes() {
		if _, ok := all[a]; !ok {
			t.Errorf("no test body for action %s", a)
		}
	}
	for name, body := range all {
		t.Run(name, func(t *testing.T) {
			if err := body.ValidateBasic(); err != nil {
				t.Fatalf("test body invalid: %v", err)
			}
			js, err := json.Marshal(ViewBody(body))
			if err != nil {
				t.Fatal(err)
			}
			var v BodyView
			if err := json.Unmarshal(js, &v); err != nil {
				t.Fatal(err)
			}
			back, err := v.Body()
			if err != nil {
				t.Fatalf("Body() of %s: %v", js, err)
			}
			want, _ := ledger.Marshal(body)
			got, _ := ledger.Marshal(back)
			if !bytes.Equal(want, got) {
				t.Fatalf("round trip changed the body:\n%s\nwant %x\ngot  %x", js, want, got)
			}
		})
	}
}

func TestBodyViewErrors(t *testing.T) {
	tests := []struct {
		name, json, wantErr string
	}{
		{"unknown type", `{"nonce":1,"msg":{"type":"swap"}}`, `msg.type "swap" unknown`},
		{"bad to", `{"nonce":1,"msg":{"type":"transfer","to":"tally1xyz","asset":"TALLY","amount":"1"}}`, "msg.to"},
		{"bad amount", `{"nonce":1,"msg":{"type":"transfer","to":"` + addrOf(t, 2).String() + `","asset":"TALLY","amount":"1.5"}}`, "msg.amount"},
		{"vote without approve", `{"nonce":1,"msg":{"type":"vote","proposal":3}}`, "msg.approve missing"},
		{"propose without action", `{"nonce":1,"msg":{"type":"propose","expiry_height":9}}`, "msg.action missing"},
		{"unknown action", `{"nonce":1,"msg":{"type":"propose","expiry_height":9,"action":{"type":"mint-all"}}}`, `action.type "mint-all" unknown`},
		{"power missing", `{"nonce":1,"msg":{"type":"propose","expiry_height":9,"action":{"type":"set-validator-power","pub_key":"` +
			strings.Repeat("ab", 32) + `"}}}`, "action.power missing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var v BodyView
			if err := json.Unmarshal([]byte(tt.json), &v); err != nil {
				t.Fatal(err)
			}
			if _, err := v.Body(); err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Body() error = %v, want %q", err, tt.wantErr)
			}
		})
	}
}

func TestParseValidatorPubKey(t *testing.T) {
	raw := bytes.Repeat([]byte{0xab}, 32)
	for _, in := range []string{strings.Repeat("ab", 32), "q6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s="} {
		got, err := ParseValidatorPubKey(in)
		if err != nil || !bytes.Equal(got, raw) {
			t.Errorf("ParseValidatorPubKey(%q) = %x, %v", in, got, err)
		}
	}
	for _, in := range []string{"", "abcd", "q6urq6s=", strings.Repeat("zz", 32)} {
		if _, err := ParseValidatorPubKey(in); err == nil {
			t.Errorf("ParseValidatorPubKey(%q) succeeded", in)
		}
	}
}

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
	if !reflect.DeepEqual(s.Body, ViewBody(tx.Body)) {
		t.Fatal("readable body differs from the signed one")
	}
}
