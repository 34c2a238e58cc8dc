package app

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/cometbft/cometbft/libs/log"

	"github.com/tallyledger/tally/ledger"
)

// recordLogger keeps the messages logged, with their key/values.
type recordLogger struct {
	mu    sync.Mutex
	lines []string
}

func (r *recordLogger) record(level, msg string, kv ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lines = append(r.lines, fmt.Sprint(append([]any{level, msg}, kv...)...))
}

func (r *recordLogger) Debug(msg string, kv ...any) { r.record("D", msg, kv...) }
func (r *recordLogger) Info(msg string, kv ...any)  { r.record("I", msg, kv...) }
func (r *recordLogger) Warn(msg string, kv ...any)  { r.record("W", msg, kv...) }
func (r *recordLogger) Error(msg string, kv ...any) { r.record("E", msg, kv...) }
func (r *recordLogger) With(...any) log.Logger      { return r }

func (r *recordLogger) find(parts ...string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, l := range r.lines {
		if slices.IndexFunc(parts, func(p string) bool { return !strings.Contains(l, p) }) < 0 {
			return true
		}
	}
	return false
}

// PrepareProposal says in its log why it left each transaction out.
func TestPrepareProposalLogsOmittedTxs(t *testing.T) {
	c := newTestChain(t, ledger.NewMemStore())
	rec := &recordLogger{}
	c.app.logger = rec
	c.block()
	alice, bob := c.actors.alice, c.actors.bob
	ok0 := newTx(t, alice).nonce(0).transfer(bob, "TALLY", 1).bytes()
	garbage := []byte("not a transaction")
	tooMuch := newTx(t, bob).nonce(0).transfer(alice, "TALLY", 5).bytes()
	big := newTx(t, alice).nonce(1).transfer(bob, "TALLY", 1).memo(strings.Repeat("m", 200)).bytes()
	max := protoTxSize(ok0) + protoTxSize(garbage) + protoTxSize(tooMuch)
	res, err := c.app.PrepareProposal(context.Background(), &abci.RequestPrepareProposal{
		Txs: [][]byte{ok0, garbage, tooMuch, big}, MaxTxBytes: max, Height: c.height + 1,
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Txs) != 1 || !bytes.Equal(res.Txs[0], ok0) {
		t.Fatalf("kept %d txs, want only the first", len(res.Txs))
	}
	for _, want := range [][]string{
		{"left transaction out of proposal", ledger.TxHashString(garbage), "malformed", "cannot decode"},
		{"left transaction out of proposal", ledger.TxHashString(tooMuch), "insufficient_funds", "balance 1, need 5"},
		{"left transaction out of proposal", ledger.TxHashString(big), "do not fit"},
	} {
		if !rec.find(want...) {
			t.Fatalf("no log line with %q in:\n%s", want, strings.Join(rec.lines, "\n"))
		}
	}
	// A wrong height (the ledger refuses) is logged as an error, with an
	// empty proposal.
	res, err = c.app.PrepareProposal(context.Background(), &abci.RequestPrepareProposal{Txs: [][]byte{ok0}, MaxTxBytes: max, Height: c.height + 5})
	if err != nil || len(res.Txs) != 0 {
		t.Fatalf("at a wrong height: %d txs, %v; want an empty proposal", len(res.Txs), err)
	}
	if !rec.find("E", "cannot prepare proposal", "block height") {
		t.Fatalf("no error logged for the wrong height:\n%s", strings.Join(rec.lines, "\n"))
	}
}
