package e2e

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tallyledger/tally/localnet"
)

// The heavier variants run with TALLY_E2E_LONG=1.

// Under a steady load, each validator in turn is killed with SIGKILL and
// restarted, then all four at once, five rounds in all; at the end every
// node has every block with the same app hash.
func TestLongRepeatedCrashesUnderLoad(t *testing.T) {
	if !longTests() {
		t.Skip("set TALLY_E2E_LONG=1 to run")
	}
	net := startNet(t, localnet.Options{Validators: 4, Users: 4})
	ctx := testCtx(t, 10*time.Minute)

	loadCtx, stopLoad := context.WithCancel(ctx)
	var wg sync.WaitGroup
	var rounds atomic.Int64
	wg.Add(1)
	go func() {
		defer wg.Done()
		for loadCtx.Err() == nil {
			// Bench keeps offering load; nodes going down make some
			// broadcasts fail, which it counts and survives.
			if _, err := localnet.Bench(loadCtx, net, localnet.BenchOptions{Rate: 40, Duration: 5 * time.Second}); err == nil {
				rounds.Add(1)
			}
		}
	}()

	for round := 0; round < 5; round++ {
		victims := []int{round % 4}
		if round == 4 {
			victims = []int{0, 1, 2, 3}
		}
		h, err := net.Height(ctx, (victims[0]+1)%4)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range victims {
			net.KillNode(v)
		}
		if len(victims) == 1 {
			if err := net.WaitAll(ctx, h+3); err != nil {
				t.Fatalf("round %d: the others stalled with node%d down: %v", round, victims[0], err)
			}
		}
		for _, v := range victims {
			if err := net.RestartNode(v); err != nil {
				t.Fatal(err)
			}
		}
		if err := net.WaitAll(ctx, h); err != nil {
			t.Fatalf("round %d: restarted nodes: %v", round, err)
		}
		top, err := maxHeight(ctx, net)
		if err != nil {
			t.Fatal(err)
		}
		if err := net.WaitAll(ctx, top+2); err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		t.Logf("round %d: killed %v at height %d, all at %d again", round, victims, h, top+2)
	}
	stopLoad()
	wg.Wait()
	if rounds.Load() == 0 {
		t.Error("no load run completed")
	}
	top, err := maxHeight(ctx, net)
	if err != nil {
		t.Fatal(err)
	}
	if err := net.WaitAll(ctx, top+1); err != nil {
		t.Fatal(err)
	}
	for h := int64(1); h <= top; h++ {
		assertSameAppHash(ctx, t, net, h, 0, 1, 2, 3)
	}
}

// With two of four validators down (half the power, not more than 2/3
// left) the chain stops; with one of them back it goes on, and the node
// that was paused rather than killed catches up when resumed.
func TestLongHaltsWithoutTwoThirds(t *testing.T) {
	if !longTests() {
		t.Skip("set TALLY_E2E_LONG=1 to run")
	}
	net := startNet(t, localnet.Options{Validators: 4})
	ctx := testCtx(t, 5*time.Minute)
	if err := net.WaitAll(ctx, 3); err != nil {
		t.Fatal(err)
	}
	net.KillNode(3)
	if err := net.PauseNode(2); err != nil {
		t.Fatal(err)
	}
	stuck, err := maxHeight(ctx, net, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	// Ten commit timeouts and more: no block can be made.
	observe, cancel := context.WithTimeout(ctx, 8*time.Second)
	err = net.WaitHeight(observe, 0, stuck+2)
	cancel()
	if err == nil {
		t.Fatalf("the chain went on from %d with half the voting power down", stuck)
	}
	if err := net.RestartNode(3); err != nil {
		t.Fatal(err)
	}
	if err := net.WaitHeight(ctx, 0, stuck+3); err != nil {
		t.Fatalf("the chain did not resume with 3 of 4 validators: %v", err)
	}
	if err := net.ResumeNode(2); err != nil {
		t.Fatal(err)
	}
	if err := net.WaitAll(ctx, stuck+5); err != nil {
		t.Fatal(err)
	}
	assertSameAppHash(ctx, t, net, stuck+4, 0, 1, 2, 3)
}

// maxHeight is the highest height reported by the given nodes (all when
// none are given) that answer.
func maxHeight(ctx context.Context, net *localnet.Net, nodes ...int) (int64, error) {
	if len(nodes) == 0 {
		for i := 0; i < net.Len(); i++ {
			nodes = append(nodes, i)
		}
	}
	var top int64
	var lastErr error
	answered := false
	for _, i := range nodes {
		qctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		h, err := net.Height(qctx, i)
		cancel()
		if err != nil {
			lastErr = err
			continue
		}
		answered = true
		top = max(top, h)
	}
	if !answered {
		return 0, lastErr
	}
	return top, nil
}
