package wire

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/tallyledger/tally/crypto"
	"github.com/tallyledger/tally/ledger"
)

// The JSON forms below are what users and API clients read: the API's
// proposal results (numbers as strings, the validator key also in hex) and
// a transaction file's action (numbers as JSON numbers). They are pinned to
// the letter so that a refactor of the types cannot change them.

func goldenAddr(seed byte) crypto.Address {
	var a crypto.Address
	for i := range a {
		a[i] = seed
	}
	return a
}

func goldenProposals() []ledger.Proposal {
	key := bytes.Repeat([]byte{0xab}, 32)
	return []ledger.Proposal{
		{ID: 1, Proposer: goldenAddr(1), Action: ledger.Action{SetValidatorPower: &ledger.SetValidatorPower{PubKey: key, Power: 0}},
			Expiry: 90, Status: ledger.ProposalOpen, Approvals: []crypto.Address{goldenAddr(1)}, CreatedHeight: 7},
		{ID: 2, Proposer: goldenAddr(2), Action: ledger.Action{SetThreshold: &ledger.SetThreshold{Threshold: 2}},
			Expiry: 120, Status: ledger.ProposalExecuted, Approvals: []crypto.Address{goldenAddr(2), goldenAddr(1)},
			Rejections: []crypto.Address{goldenAddr(3)}, CreatedHeight: 9, ExecutedHeight: 11, ClosedHeight: 11},
	}
}

const goldenProposalsJSON = `{"proposals":[{"id":"1","proposer":"tally1qyqszqgpqyqszqgpqyqszqgpqyqszqgpldj2t8","action":{"type":"set-validator-power","pub_key":"q6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s=","pub_key_hex":"abababababababababababababababababababababababababababababababab","power":"0"},"expiry":"90","status":"open","approvals":["tally1qyqszqgpqyqszqgpqyqszqgpqyqszqgpldj2t8"],"rejections":[],"created_height":"7","executed_height":"0","closed_height":"0"},{"id":"2","proposer":"tally1qgpqyqszqgpqyqszqgpqyqszqgpqyqszwf50q3","action":{"type":"set-threshold","threshold":"2"},"expiry":"120","status":"executed","approvals":["tally1qgpqyqszqgpqyqszqgpqyqszqgpqyqszwf50q3","tally1qyqszqgpqyqszqgpqyqszqgpqyqszqgpldj2t8"],"rejections":["tally1qvpsxqcrqvpsxqcrqvpsxqcrqvpsxqcr0e4w2s"],"created_height":"9","executed_height":"11","closed_height":"11"}]}`

const goldenProposeViewJSON = `[{"nonce":4,"expiry_height":50,"msg":{"type":"propose","action":{"type":"set-validator-power","pub_key":"q6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s=","power":0},"expiry_height":90}},{"nonce":4,"expiry_height":50,"msg":{"type":"propose","action":{"type":"set-threshold","threshold":2},"expiry_height":120}}]`

func TestProposalResultJSONGolden(t *testing.T) {
	var res ProposalsResult
	for _, p := range goldenProposals() {
		res.Proposals = append(res.Proposals, DescribeProposal(&p))
	}
	got, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != goldenProposalsJSON {
		t.Fatalf("proposals JSON changed:\n got %s\nwant %s", got, goldenProposalsJSON)
	}
	// A client reads the same result back without loss.
	var back ProposalsResult
	if err := json.Unmarshal(got, &back); err != nil {
		t.Fatal(err)
	}
	if again, _ := json.Marshal(back); string(again) != goldenProposalsJSON {
		t.Fatalf("proposals JSON after a round trip:\n got %s\nwant %s", again, goldenProposalsJSON)
	}
}

func TestProposeViewJSONGolden(t *testing.T) {
	var views []BodyView
	for _, p := range goldenProposals() {
		views = append(views, ViewBody(ledger.Body{Nonce: 4, Expiry: 50, Msg: ledger.Msg{Propose: &ledger.Propose{Action: p.Action, Expiry: p.Expiry}}}))
	}
	got, err := json.Marshal(views)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != goldenProposeViewJSON {
		t.Fatalf("propose view JSON changed:\n got %s\nwant %s", got, goldenProposeViewJSON)
	}
	// The readable form converts back into the same bodies.
	var back []BodyView
	if err := json.Unmarshal(got, &back); err != nil {
		t.Fatal(err)
	}
	for i, v := range back {
		b, err := v.Body()
		if err != nil {
			t.Fatal(err)
		}
		if again, _ := json.Marshal(ViewBody(b)); string(again) != string(mustJSON(t, views[i])) {
			t.Fatalf("view %d after a round trip: %s", i, again)
		}
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestActionViewRefusals(t *testing.T) {
	key := `"q6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s="`
	for _, tt := range []struct{ action, want string }{
		{`{"type":"set-validator-power","pub_key":` + key + `,"pub_key_hex":"abab","power":1}`, "action.pub_key_hex: not read from a transaction"},
		{`{"type":"set-threshold","threshold":4294967296}`, "action.threshold 4294967296: expected a number below 2^32"},
	} {
		var v BodyView
		if err := json.Unmarshal([]byte(`{"nonce":1,"msg":{"type":"propose","action":`+tt.action+`,"expiry_height":9}}`), &v); err != nil {
			t.Fatal(err)
		}
		if _, err := v.Body(); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %v, want %q", tt.action, err, tt.want)
		}
	}
}
