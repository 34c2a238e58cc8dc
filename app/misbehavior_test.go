package app

import (
	"bytes"
	"context"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/tallyledger/tally/ledger"
)

// Evidence in a block becomes one misbehavior block event per piece and a
// count in tally_misbehavior_total, and changes nothing in the state: the
// same block without the evidence gives the same app hash.
func TestFinalizeBlockMisbehavior(t *testing.T) {
	with, without := newTestChain(t, ledger.NewMemStore()), newTestChain(t, ledger.NewMemStore())
	m := NewMetrics()
	with.app.metrics = m
	with.block()
	without.block()
	tx := newTx(t, with.actors.alice).nonce(0).transfer(with.actors.bob, "TALLY", 5).bytes()
	val := with.actors.val.PubKey().Address()
	evidence := []abci.Misbehavior{
		{Type: abci.MisbehaviorType_DUPLICATE_VOTE, Validator: abci.Validator{Address: val, Power: 10}, Height: 1, TotalVotingPower: 10},
		{Type: abci.MisbehaviorType_LIGHT_CLIENT_ATTACK, Validator: abci.Validator{Address: val, Power: 10}, Height: 1, TotalVotingPower: 10},
	}
	res, err := with.app.FinalizeBlock(context.Background(), &abci.RequestFinalizeBlock{
		Txs: [][]byte{tx}, Height: 2, DecidedLastCommit: with.lastCommit(), Misbehavior: evidence,
	})
	if err != nil {
		t.Fatal(err)
	}
	with.commit()
	plain := without.block(tx)
	if !bytes.Equal(res.AppHash, plain.AppHash) {
		t.Fatalf("evidence changed the app hash: %X, without it %X", res.AppHash, plain.AppHash)
	}
	if res.TxResults[0].Code != 0 {
		t.Fatalf("transfer: %d %s", res.TxResults[0].Code, res.TxResults[0].Log)
	}
	var got [][]abci.EventAttribute
	for _, e := range res.Events {
		if e.Type == EventMisbehavior {
			got = append(got, e.Attributes)
		}
	}
	if len(got) != 2 {
		t.Fatalf("%d misbehavior events for 2 pieces of evidence: %+v", len(got), res.Events)
	}
	for i, want := range []string{"duplicate_vote", "light_client_attack"} {
		attrs := map[string]string{}
		for _, a := range got[i] {
			if !a.Index {
				t.Errorf("attribute %s not indexed", a.Key)
			}
			attrs[a.Key] = a.Value
		}
		if attrs["type"] != want || attrs["validator"] != val.String() || attrs["height"] != "1" || attrs["power"] != "10" {
			t.Errorf("event %d: %v, want type %s validator %s height 1 power 10", i, attrs, want, val)
		}
	}
	mfs, err := m.Gatherer().Gather()
	if err != nil {
		t.Fatal(err)
	}
	counted := map[string]float64{}
	for _, mf := range mfs {
		if mf.GetName() != "tally_misbehavior_total" {
			continue
		}
		for _, s := range mf.GetMetric() {
			labels := map[string]string{}
			for _, l := range s.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["validator"] == val.String() {
				counted[labels["type"]] = s.GetCounter().GetValue()
			}
		}
	}
	if counted["duplicate_vote"] != 1 || counted["light_client_attack"] != 1 {
		t.Errorf("tally_misbehavior_total for %s: %v, want 1 of each type", val, counted)
	}
}
