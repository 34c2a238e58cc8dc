package e2e

import (
	"bytes"
	"context"
	"sync"
	"testing"
	"time"

	"github.com/tallyledger/tally/crypto"
	"github.com/tallyledger/tally/ledger"
	"github.com/tallyledger/tally/localnet"
)

// A validator killed with SIGKILL: the other three keep committing blocks
// (and transactions); restarted, it catches up and agrees with them on
// every app hash. A paused validator (SIGSTOP) likewise does not stop the
// chain and catches up when resumed.
func TestKilledValidatorCatchesUp(t *testing.T) {
	net := startNet(t, defaultOpts())
	ctx := testCtx(t, 2*time.Minute)
	w := openWallet(t, net)
	alice, bob := w.key("alice"), w.addr("bob")

	if err := net.WaitAll(ctx, 3); err != nil {
		t.Fatal(err)
	}
	net.KillNode(3)
	if net.Running(3) {
		t.Fatal("node3 still running after SIGKILL")
	}
	down, err := net.Height(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	// Three of four validators hold 3/4 > 2/3 of the power: blocks go on,
	// with transactions in them.
	var sent [][]byte
	for i := uint64(0); i < 3; i++ {
		tx := transfer(net.ChainID(), alice, bob, 1, i)
		if res, err := net.Client(int(i)).BroadcastTxSync(ctx, tx); err != nil || res.Code != 0 {
			t.Fatalf("transfer while node3 is down: %v %+v", err, res)
		}
		sent = append(sent, tx)
		waitTx(ctx, t, net, int(i), tx)
	}
	if err := net.WaitAll(ctx, down+5); err != nil {
		t.Fatal(err)
	}

	if err := net.RestartNode(3); err != nil {
		t.Fatal(err)
	}
	target, err := net.Height(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := net.WaitHeight(ctx, 3, target+1); err != nil {
		t.Fatal(err)
	}
	for h := int64(1); h <= target; h++ {
		assertSameAppHash(ctx, t, net, h, 0, 3)
	}
	for _, tx := range sent {
		res := waitTx(ctx, t, net, 3, tx)
		if res.TxResult.Code != 0 {
			t.Errorf("node3 records transfer %X as failed: %s", ledger.TxHash(tx), res.TxResult.Log)
		}
	}
	b := queryAccount(ctx, t, net, 3, bob)
	if got := balanceOf(t, b, localnet.Asset); got != localnet.InitialBalance+3 {
		t.Errorf("node3 after catching up: bob holds %d, want %d", got, localnet.InitialBalance+3)
	}

	// Pause (SIGSTOP) a different validator: the chain goes on; resumed,
	// it catches up.
	if err := net.PauseNode(1); err != nil {
		t.Fatal(err)
	}
	paused, err := net.Height(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range []int{0, 2, 3} {
		if err := net.WaitHeight(ctx, i, paused+3); err != nil {
			t.Fatal(err)
		}
	}
	if err := net.ResumeNode(1); err != nil {
		t.Fatal(err)
	}
	if err := net.WaitHeight(ctx, 1, paused+4); err != nil {
		t.Fatal(err)
	}
	assertSameAppHash(ctx, t, net, paused+3, 0, 1)
}

// All four validators killed with SIGKILL in the middle of a stream of
// transfers, then restarted: the chain resumes, and every transfer that a
// node had reported committed is still in the chain, with the same result
// on every node, and the balances add up.
func TestAllValidatorsKilledDuringTransfers(t *testing.T) {
	net := startNet(t, defaultOpts())
	ctx := testCtx(t, 3*time.Minute)
	w := openWallet(t, net)
	alice, bob := w.key("alice"), w.addr("bob")

	confirmed := streamUntilKilled(ctx, t, net, alice, bob, 10)
	t.Logf("%d transfers confirmed committed before the crash", len(confirmed))

	for i := 0; i < net.Len(); i++ {
		if err := net.RestartNode(i); err != nil {
			t.Fatal(err)
		}
	}
	var top int64
	for _, c := range confirmed {
		top = max(top, c.height)
	}
	if err := net.WaitAll(ctx, top+2); err != nil {
		t.Fatal(err)
	}
	for _, c := range confirmed {
		for i := 0; i < net.Len(); i++ {
			res, err := net.Client(i).Tx(ctx, c.hash[:], false)
			if err != nil {
				t.Fatalf("node%d lost transfer %X confirmed at height %d: %v", i, c.hash, c.height, err)
			}
			if res.Height != c.height || res.TxResult.Code != 0 {
				t.Errorf("node%d: transfer %X at height %d code %d, confirmed at height %d code 0", i, c.hash, res.Height, res.TxResult.Code, c.height)
			}
		}
	}
	// Every transfer in the chain moved 1 TALLY: bob's balance is his
	// initial one plus alice's committed nonce, on every node.
	for i := 0; i < net.Len(); i++ {
		a := queryAccount(ctx, t, net, i, alice.PubKey().Address())
		b := queryAccount(ctx, t, net, i, bob)
		nonce := uint64(a.Nonce)
		if nonce < uint64(len(confirmed)) {
			t.Errorf("node%d: alice's nonce %d, but %d transfers were confirmed", i, nonce, len(confirmed))
		}
		if got := balanceOf(t, b, localnet.Asset); got != localnet.InitialBalance+nonce {
			t.Errorf("node%d: bob holds %d after %d transfers of 1, want %d", i, got, nonce, localnet.InitialBalance+nonce)
		}
	}
	h, err := net.Height(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := net.WaitAll(ctx, h+1); err != nil {
		t.Fatal(err)
	}
	assertSameAppHash(ctx, t, net, h, 0, 1, 2, 3)
}

type confirmedTx struct {
	hash   [32]byte
	height int64
}

// streamUntilKilled sends transfers of 1 from alice to bob to node0, one
// after another with consecutive nonces, and records those that a node
// (each asked in turn) reports committed. Once at least min are confirmed
// and more are in flight, it kills every node at once, with the stream
// still running, and returns what was confirmed.
func streamUntilKilled(ctx context.Context, t *testing.T, net *localnet.Net, alice *crypto.PrivKey, bob crypto.Address, min int) []confirmedTx {
	t.Helper()
	var mu sync.Mutex
	var sent [][]byte
	stop := make(chan struct{})
	senderDone := make(chan struct{})
	go func() {
		defer close(senderDone)
		for nonce := uint64(0); ; {
			tx := transfer(net.ChainID(), alice, bob, 1, nonce)
			if res, err := net.Client(0).BroadcastTxSync(ctx, tx); err == nil && res.Code == 0 {
				nonce++
				mu.Lock()
				sent = append(sent, tx)
				mu.Unlock()
			}
			select { // pace the stream at about 50 transfers/s
			case <-stop:
				return
			case <-ctx.Done():
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()

	var confirmed []confirmedTx
	for asked := 0; ; asked++ {
		mu.Lock()
		inFlight := sent[len(confirmed):]
		mu.Unlock()
		if len(inFlight) > 0 {
			tx := inFlight[0]
			hash := ledger.TxHash(tx)
			if res, err := net.Client(asked%net.Len()).Tx(ctx, hash[:], false); err == nil {
				confirmed = append(confirmed, confirmedTx{hash: hash, height: res.Height})
				continue
			}
		}
		if len(confirmed) >= min && len(inFlight) > 1 {
			break
		}
		select {
		case <-ctx.Done():
			close(stop)
			t.Fatalf("only %d transfers confirmed: %v", len(confirmed), ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
	var wg sync.WaitGroup
	for i := 0; i < net.Len(); i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			net.KillNode(i)
		}(i)
	}
	wg.Wait()
	close(stop)
	<-senderDone
	return confirmed
}

func assertSameAppHash(ctx context.Context, t *testing.T, net *localnet.Net, h int64, nodes ...int) {
	t.Helper()
	var ref []byte
	for _, i := range nodes {
		got, err := net.AppHash(ctx, i, h)
		if err != nil {
			t.Fatal(err)
		}
		if ref == nil {
			ref = got
			continue
		}
		if !bytes.Equal(got, ref) {
			t.Errorf("height %d: node%d app hash %X, node%d %X", h, i, got, nodes[0], ref)
		}
	}
}
