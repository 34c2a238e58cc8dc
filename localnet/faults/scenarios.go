package faults

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Recovery targets.
const (
	// RejoinTarget bounds how long a killed or paused validator may take,
	// once restarted or resumed, to reach the height the others had then.
	RejoinTarget = 2 * time.Second
	// HealTarget bounds how long after a partition heals the network
	// makes progress again (a minority catches up; a split commits).
	HealTarget = 5 * time.Second
)

// Result is one scenario's measurement.
type Result struct {
	Scenario string
	Fault    string        // what was injected, for how long
	Recovery time.Duration // measured (see each scenario)
	Target   time.Duration
	// Progress during the fault, in blocks, on the nodes that should
	// progress (and, for partitions, on those that should not).
	Progress, Stalled int64
}

func (r Result) String() string {
	return fmt.Sprintf("%s: %s; recovery %s (target %s)", r.Scenario, r.Fault, r.Recovery.Round(10*time.Millisecond), r.Target)
}

// KillOne kills validator i, lets the others commit a few blocks, restarts
// it and measures the time from the restart until it reaches the height
// the others had at that moment.
func (f *Injector) KillOne(ctx context.Context, i int, down time.Duration) (Result, error) {
	r := Result{Scenario: "kill -9 one validator", Fault: fmt.Sprintf("SIGKILL node%d, down %s", i, down), Target: RejoinTarget}
	f.Kill(i)
	p, err := f.progress(ctx, others(f.net.Len(), i), down)
	if err != nil {
		return r, err
	}
	r.Progress = p
	if err := f.Restart(i); err != nil {
		return r, err
	}
	r.Recovery, err = f.rejoin(ctx, i)
	return r, err
}

// KillAll kills every validator at once, restarts them all and measures
// the time from the restart until a block beyond the last one is
// committed.
func (f *Injector) KillAll(ctx context.Context) (Result, error) {
	r := Result{Scenario: "kill -9 all validators", Fault: fmt.Sprintf("SIGKILL all %d nodes, restart", f.net.Len()), Target: RejoinTarget}
	top := f.tip(ctx, all(f.net.Len()))
	f.KillAllNodes()
	began := time.Now()
	errs := make([]error, f.net.Len())
	var wg sync.WaitGroup
	for i := range errs {
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = f.Restart(i) }()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return r, err
	}
	if err := f.waitAny(ctx, all(f.net.Len()), top+1); err != nil {
		return r, err
	}
	r.Recovery = time.Since(began)
	return r, f.waitAll(ctx, top+1)
}

// PauseOne freezes validator i for d and measures the time from its
// resumption until it reaches the height the others had then.
func (f *Injector) PauseOne(ctx context.Context, i int, d time.Duration) (Result, error) {
	r := Result{Scenario: "pause one validator", Fault: fmt.Sprintf("SIGSTOP/docker pause node%d for %s", i, d), Target: RejoinTarget}
	if err := f.Pause(i); err != nil {
		return r, err
	}
	p, err := f.progress(ctx, others(f.net.Len(), i), d)
	if err != nil {
		_ = f.Resume(i)
		return r, err
	}
	r.Progress = p
	if err := f.Resume(i); err != nil {
		return r, err
	}
	r.Recovery, err = f.rejoin(ctx, i)
	return r, err
}

// PartitionMinority cuts validator i off from the others for d: the three
// go on, i commits nothing; after the heal, the time until i reaches the
// height the others had at the heal.
func (f *Injector) PartitionMinority(ctx context.Context, i int, d time.Duration) (Result, error) {
	r := Result{Scenario: "partition 3|1", Fault: fmt.Sprintf("node%d cut off for %s", i, d), Target: HealTarget}
	rest := others(f.net.Len(), i)
	if err := f.Partition(rest, []int{i}); err != nil {
		return r, err
	}
	before := f.tip(ctx, []int{i})
	p, err := f.progress(ctx, rest, d)
	if err != nil {
		_ = f.Heal()
		return r, err
	}
	r.Progress = p
	r.Stalled = f.tip(ctx, []int{i}) - before
	target := f.tip(ctx, rest)
	if err := f.Heal(); err != nil {
		return r, err
	}
	began := time.Now()
	if err := f.waitAny(ctx, []int{i}, target); err != nil {
		return r, err
	}
	r.Recovery = time.Since(began)
	if r.Stalled > 1 { // a block whose commit was under way at the cut may land
		return r, fmt.Errorf("the minority node%d committed %d blocks while cut off", i, r.Stalled)
	}
	return r, nil
}

// PartitionHalves splits the validators in two halves for d: neither
// commits; after the heal, the time until the next block.
func (f *Injector) PartitionHalves(ctx context.Context, d time.Duration) (Result, error) {
	n := f.net.Len()
	a, b := all(n)[:n/2], all(n)[n/2:]
	r := Result{Scenario: "partition 2|2", Fault: fmt.Sprintf("%v | %v for %s", a, b, d), Target: HealTarget}
	if err := f.Partition(a, b); err != nil {
		return r, err
	}
	before := f.tip(ctx, all(n))
	sleep(ctx, d)
	r.Stalled = f.tip(ctx, all(n)) - before
	if err := f.Heal(); err != nil {
		return r, err
	}
	top := f.tip(ctx, all(n))
	began := time.Now()
	if err := f.waitAny(ctx, all(n), top+1); err != nil {
		return r, err
	}
	r.Recovery = time.Since(began)
	if r.Stalled > 1 {
		return r, fmt.Errorf("a half committed %d blocks during the split", r.Stalled)
	}
	return r, f.waitAll(ctx, top+1)
}

// SlowLossy delays node i's traffic by delay±jitter and loses loss
// percent of it for d (see DegradeLinks); the chain must go on. Recovery
// is the time after the links are restored until node i is at the others'
// height. Where no delay could be applied the scenario is named "lossy
// link".
func (f *Injector) SlowLossy(ctx context.Context, i int, delay, jitter time.Duration, loss float64, d time.Duration) (Result, error) {
	r := Result{Scenario: "slow, lossy link", Target: RejoinTarget}
	how, delayed, err := f.DegradeLinks(i, delay, jitter, loss)
	if err != nil {
		return r, err
	}
	if !delayed {
		r.Scenario = "lossy link"
	}
	r.Fault = fmt.Sprintf("node%d: %s, for %s", i, how, d)
	p, err := f.progress(ctx, others(f.net.Len(), i), d)
	if rerr := f.RestoreLinks(i); err == nil {
		err = rerr
	}
	if err != nil {
		return r, err
	}
	r.Progress = p
	r.Recovery, err = f.rejoin(ctx, i)
	return r, err
}

// RollingRestart stops (SIGTERM) and restarts every validator in turn,
// each once the previous one has rejoined; the recovery is the slowest
// rejoin.
func (f *Injector) RollingRestart(ctx context.Context) (Result, error) {
	r := Result{Scenario: "rolling restart", Fault: fmt.Sprintf("SIGTERM + start, each of %d nodes in turn", f.net.Len()), Target: RejoinTarget}
	for i := 0; i < f.net.Len(); i++ {
		if err := f.net.StopNode(i); err != nil {
			return r, err
		}
		if err := f.net.RestartNode(i); err != nil {
			return r, err
		}
		d, err := f.rejoin(ctx, i)
		if err != nil {
			return r, err
		}
		r.Recovery = max(r.Recovery, d)
	}
	return r, nil
}

// rejoin waits until node i reaches the tallest other node's current
// height and returns how long that took.
func (f *Injector) rejoin(ctx context.Context, i int) (time.Duration, error) {
	began := time.Now()
	target := f.tip(ctx, others(f.net.Len(), i))
	if err := f.waitAny(ctx, []int{i}, target); err != nil {
		return 0, err
	}
	return time.Since(began), nil
}

// progress waits d and returns how many blocks the tallest of nodes
// committed meanwhile.
func (f *Injector) progress(ctx context.Context, nodes []int, d time.Duration) (int64, error) {
	before := f.tip(ctx, nodes)
	sleep(ctx, d)
	if ctx.Err() != nil {
		return 0, ctx.Err()
	}
	return f.tip(ctx, nodes) - before, nil
}

// tip is the greatest height any of nodes reports (unanswering nodes
// count as 0).
func (f *Injector) tip(ctx context.Context, nodes []int) int64 {
	var top int64
	for _, i := range nodes {
		qctx, cancel := context.WithTimeout(ctx, time.Second)
		h, err := f.net.Height(qctx, i)
		cancel()
		if err == nil {
			top = max(top, h)
		}
	}
	return top
}

// waitAny waits until one of nodes reaches height h, polling every 50ms.
func (f *Injector) waitAny(ctx context.Context, nodes []int, h int64) error {
	t := time.NewTicker(50 * time.Millisecond)
	defer t.Stop()
	for {
		if f.tip(ctx, nodes) >= h {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("nodes %v did not reach height %d: %w", nodes, h, ctx.Err())
		case <-t.C:
		}
	}
}

// waitAll waits until every node has committed block h.
func (f *Injector) waitAll(ctx context.Context, h int64) error { return f.net.WaitAll(ctx, h) }

func all(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

func others(n, i int) []int {
	var out []int
	for j := 0; j < n; j++ {
		if j != i {
			out = append(out, j)
		}
	}
	return out
}
