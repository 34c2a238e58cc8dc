package wire

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/tallyledger/tally/crypto"
	"github.com/tallyledger/tally/ledger"
)

func addrOf(t testing.TB, seed byte) crypto.Address {
	t.Helper()
	k, err := crypto.PrivKeyFromBytes(bytes.Repeat([]byte{seed}, 32))
	if err != nil {
		t.Fatal(err)
	}
	return k.PubKey().Address()
}

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
	for _, a := range ledger.ActionNames() {
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
