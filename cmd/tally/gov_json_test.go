package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/tallyledger/tally/crypto"
	"github.com/tallyledger/tally/ledger"
	"github.com/tallyledger/tally/wire"
)

// proposalNode answers the ledger API's proposals and proposal methods with
// two fixed proposals, as a node describes them.
func proposalNode(t *testing.T) *httptest.Server {
	addr := func(seed byte) crypto.Address {
		var a crypto.Address
		for i := range a {
			a[i] = seed
		}
		return a
	}
	props := []ledger.Proposal{
		{ID: 1, Proposer: addr(1), Action: ledger.Action{SetValidatorPower: &ledger.SetValidatorPower{PubKey: bytes.Repeat([]byte{0xab}, 32)}},
			Expiry: 90, Status: ledger.ProposalOpen, Approvals: []crypto.Address{addr(1)}, CreatedHeight: 7},
		{ID: 2, Proposer: addr(2), Action: ledger.Action{SetThreshold: &ledger.SetThreshold{Threshold: 2}},
			Expiry: 120, Status: ledger.ProposalExecuted, Approvals: []crypto.Address{addr(2), addr(1)},
			Rejections: []crypto.Address{addr(3)}, CreatedHeight: 9, ExecutedHeight: 11, ClosedHeight: 11},
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var req struct {
			ID     json.RawMessage `json:"id"`
			Method string          `json:"method"`
			Params struct {
				ID string `json:"id"`
			} `json:"params"`
		}
		json.Unmarshal(body, &req)
		resp := map[string]any{"jsonrpc": "2.0", "id": req.ID}
		switch req.Method {
		case wire.MethodProposals:
			var res wire.ProposalsResult
			for _, p := range props {
				res.Proposals = append(res.Proposals, wire.DescribeProposal(&p))
			}
			resp["result"] = res
		case wire.MethodProposal:
			for _, p := range props {
				if req.Params.ID == "2" && p.ID == 2 {
					resp["result"] = wire.DescribeProposal(&p)
				}
			}
			if resp["result"] == nil {
				resp["error"] = map[string]any{"code": -32603, "message": "Internal error", "data": "not found"}
			}
		default:
			resp["error"] = map[string]any{"code": -32601, "message": "Method not found"}
		}
		json.NewEncoder(w).Encode(resp)
	}))
	t.Cleanup(srv.Close)
	return srv
}

const goldenGovShowJSON = `{
  "id": 2,
  "proposer": "tally1qgpqyqszqgpqyqszqgpqyqszqgpqyqszwf50q3",
  "action": {
    "type": "set-threshold",
    "threshold": 2
  },
  "expiry": 120,
  "status": "executed",
  "approvals": [
    "tally1qgpqyqszqgpqyqszqgpqyqszqgpqyqszwf50q3",
    "tally1qyqszqgpqyqszqgpqyqszqgpqyqszqgpldj2t8"
  ],
  "rejections": [
    "tally1qvpsxqcrqvpsxqcrqvpsxqcrqvpsxqcr0e4w2s"
  ],
  "created_height": 9,
  "executed_height": 11,
  "closed_height": 11
}
`

const goldenGovListJSON = `[
  {
    "id": 1,
    "proposer": "tally1qyqszqgpqyqszqgpqyqszqgpqyqszqgpldj2t8",
    "action": {
      "type": "set-validator-power",
      "pub_key": "q6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s=",
      "power": 0
    },
    "expiry": 90,
    "status": "open",
    "approvals": [
      "tally1qyqszqgpqyqszqgpqyqszqgpqyqszqgpldj2t8"
    ],
    "rejections": [],
    "created_height": 7
  },
  {
    "id": 2,
    "proposer": "tally1qgpqyqszqgpqyqszqgpqyqszqgpqyqszwf50q3",
    "action": {
      "type": "set-threshold",
      "threshold": 2
    },
    "expiry": 120,
    "status": "executed",
    "approvals": [
      "tally1qgpqyqszqgpqyqszqgpqyqszqgpqyqszwf50q3",
      "tally1qyqszqgpqyqszqgpqyqszqgpqyqszqgpldj2t8"
    ],
    "rejections": [
      "tally1qvpsxqcrqvpsxqcrqvpsxqcrqvpsxqcr0e4w2s"
    ],
    "created_height": 9,
    "executed_height": 11,
    "closed_height": 11
  }
]
`

// TestGovJSONGolden pins the JSON that `tally gov show` and `gov list`
// print: numbers as JSON numbers, heights not reached left out, the action
// in the wallet's readable form.
func TestGovJSONGolden(t *testing.T) {
	w := newWallet(t)
	node := proposalNode(t)
	conn := []string{"--node", node.URL, "--api", node.URL, "--output", "json"}
	if got := w.ok(append([]string{"gov", "show", "2"}, conn...)...).stdout; got != goldenGovShowJSON {
		t.Errorf("gov show JSON changed:\n got %s\nwant %s", got, goldenGovShowJSON)
	}
	if got := w.ok(append([]string{"gov", "list"}, conn...)...).stdout; got != goldenGovListJSON {
		t.Errorf("gov list JSON changed:\n got %s\nwant %s", got, goldenGovListJSON)
	}
}
