package e2e

import (
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/tallyledger/tally/localnet/faults"
)

// The soak: TALLY_SOAK=1 runs a four-validator localnet (containers with
// TALLY_SOAK_DOCKER=1) for TALLY_SOAK_DURATION (default 30m) under a load
// of transfers, injecting a fault every 15 s in turn, checking the
// invariants after each over the transfers acknowledged since the last
// check, and over all of them at the end.
func TestSoak(t *testing.T) {
	if os.Getenv("TALLY_SOAK") != "1" {
		t.Skip("soak: set TALLY_SOAK=1 to run it (30 min; TALLY_SOAK_DURATION changes it, TALLY_SOAK_DOCKER=1 uses containers)")
	}
	d := 30 * time.Minute
	if s := os.Getenv("TALLY_SOAK_DURATION"); s != "" {
		var err error
		if d, err = time.ParseDuration(s); err != nil {
			t.Fatalf("TALLY_SOAK_DURATION=%q: %v", s, err)
		}
	}
	docker := os.Getenv("TALLY_SOAK_DOCKER") == "1"
	ctx := testCtx(t, d+15*time.Minute)
	bin := tallydBinary
	if docker {
		bin = dockerTallyd(t, ctx)
	}
	fn := startFaultNet(t, ctx, docker, bin)
	if err := fn.net.WaitAll(ctx, 3); err != nil {
		t.Fatal(err)
	}
	inj := fn.inj
	n := fn.net.Len()
	scenarios := []func(k int) (faults.Result, error){
		func(k int) (faults.Result, error) { return inj.KillOne(ctx, k%n, 3*time.Second) },
		func(k int) (faults.Result, error) { return inj.PauseOne(ctx, k%n, 5*time.Second) },
		func(k int) (faults.Result, error) { return inj.PartitionMinority(ctx, k%n, 8*time.Second) },
		func(k int) (faults.Result, error) { return inj.PartitionHalves(ctx, 8*time.Second) },
		func(k int) (faults.Result, error) { return inj.KillAll(ctx) },
		func(k int) (faults.Result, error) {
			return inj.SlowLossy(ctx, k%n, 200*time.Millisecond, 50*time.Millisecond, 20, 8*time.Second)
		},
	}
	byName := map[string]*soakStat{}
	var order []string
	checked := 0
	end := time.Now().Add(d)
	for k := 0; time.Now().Before(end); k++ {
		next := time.Now().Add(15 * time.Second)
		if k > 0 && k%12 == 0 {
			// Every 12th fault, a rolling restart instead.
			res, err := inj.RollingRestart(ctx)
			if err != nil {
				t.Fatalf("fault %d: rolling restart: %v", k, err)
			}
			record(byName, &order, res)
		} else {
			res, err := scenarios[k%len(scenarios)](k / len(scenarios))
			if err != nil {
				t.Fatalf("fault %d: %s: %v", k, res.Scenario, err)
			}
			record(byName, &order, res)
		}
		acked := fn.load.Acked()
		fn.checkSome(ctx, fmt.Sprintf("fault %d", k), acked[checked:])
		checked = len(acked)
		if wait := time.Until(next); wait > 0 {
			time.Sleep(wait)
		}
	}
	rep := fn.checkSome(ctx, "the end of the soak", fn.load.Acked())
	for _, name := range order {
		a := byName[name]
		a.res.Fault = fmt.Sprintf("%d times over %s (recovery: the slowest; %d over target)", a.count, d, a.over)
		fn.rows = append(fn.rows, faults.Row{Localnet: fn.kind + " (soak)", Result: a.res, Acked: rep.Acked, Lost: rep.Lost, Missing: rep.Missing})
	}
	fn.finish()
}

// soakStat aggregates one scenario's runs in the soak.
type soakStat struct {
	res   faults.Result // Recovery: the slowest run
	count int
	over  int // runs over the target
}

func record(byName map[string]*soakStat, order *[]string, res faults.Result) {
	a := byName[res.Scenario]
	if a == nil {
		a = &soakStat{res: res}
		byName[res.Scenario] = a
		*order = append(*order, res.Scenario)
	}
	a.count++
	if res.Recovery > res.Target {
		a.over++
	}
	a.res.Recovery = max(a.res.Recovery, res.Recovery)
}
