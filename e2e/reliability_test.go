package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/tallyledger/tally/crypto"
	"github.com/tallyledger/tally/localnet"
	"github.com/tallyledger/tally/localnet/faults"
)

// reliabilityRows collects the scenario measurements of this test run;
// with TALLY_RELIABILITY_REPORT=FILE they are written there as the
// Markdown table of docs/reliability.md.
var reliabilityRows struct {
	sync.Mutex
	rows []faults.Row
}

func recordRows(t *testing.T, rows []faults.Row) {
	var b bytes.Buffer
	faults.WriteTable(&b, rows)
	t.Logf("reliability:\n%s", b.String())
	path := os.Getenv("TALLY_RELIABILITY_REPORT")
	if path == "" {
		return
	}
	reliabilityRows.Lock()
	defer reliabilityRows.Unlock()
	reliabilityRows.rows = append(reliabilityRows.rows, rows...)
	var all bytes.Buffer
	faults.WriteTable(&all, reliabilityRows.rows)
	if err := os.WriteFile(path, all.Bytes(), 0o644); err != nil {
		t.Errorf("write %s: %v", path, err)
	}
}

// faultNet is a started localnet with an injector and a load.
type faultNet struct {
	t    *testing.T
	kind string
	net  *localnet.Net
	inj  *faults.Injector
	load *faults.Load
	rows []faults.Row
}

// startFaultNet starts four validators (as processes behind the proxy
// mesh, or as containers) and a load of four senders. Each prepare
// function runs on the generated localnet directory before the start.
func startFaultNet(t *testing.T, ctx context.Context, docker bool, binary string, prepare ...func(dir string) error) *faultNet {
	t.Helper()
	opts := localnet.Options{Validators: 4, Users: 4, Docker: docker, Binary: binary, CometTxIndex: true}
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		base, err := localnet.FreeBasePort(opts.Validators)
		if err != nil {
			t.Fatal(err)
		}
		opts.BasePort = base
		dir := filepath.Join(t.TempDir(), "net")
		if err := localnet.Init(dir, opts); err != nil {
			t.Fatal(err)
		}
		for _, p := range prepare {
			if err := p(dir); err != nil {
				t.Fatal(err)
			}
		}
		var mesh *faults.Mesh
		if !docker {
			if mesh, err = faults.InterposeMesh(dir); err != nil {
				t.Fatal(err)
			}
		}
		sctx, cancel := context.WithTimeout(ctx, 4*time.Minute)
		net, err := localnet.Start(sctx, dir, opts)
		cancel()
		var inUse *localnet.PortInUseError
		if errors.As(err, &inUse) {
			lastErr = err
			if mesh != nil {
				mesh.Close()
			}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		fn := &faultNet{t: t, kind: "processes", net: net, inj: faults.New(net, mesh)}
		if docker {
			fn.kind = "docker"
		}
		t.Cleanup(func() {
			_ = fn.inj.Heal()
			if err := net.Stop(); err != nil {
				t.Logf("stop network: %v", err)
			}
			if mesh != nil {
				mesh.Close()
			}
		})
		w := openWallet(t, net)
		var senders []*crypto.PrivKey
		for k := 1; k <= 4; k++ {
			senders = append(senders, w.key("user"+strconv.Itoa(k)))
		}
		if fn.load, err = faults.StartLoad(ctx, net, senders, w.addr("bob"), 50*time.Millisecond); err != nil {
			t.Fatal(err)
		}
		return fn
	}
	t.Fatalf("no free ports after 3 attempts: %v", lastErr)
	return nil
}

// run runs one scenario, then waits for every node to reach the tip and
// checks the invariants over everything acknowledged so far.
func (fn *faultNet) run(ctx context.Context, scenario func() (faults.Result, error)) {
	t := fn.t
	t.Helper()
	res, err := scenario()
	if err != nil {
		t.Fatalf("%s (%s): %v", res.Scenario, fn.kind, err)
	}
	t.Logf("%s: %s", fn.kind, res)
	fn.check(ctx, res)
}

func (fn *faultNet) check(ctx context.Context, res faults.Result) {
	fn.t.Helper()
	rep := fn.checkSome(ctx, res.Scenario, fn.load.Acked())
	fn.rows = append(fn.rows, faults.Row{Localnet: fn.kind, Result: res, Acked: rep.Acked, Lost: rep.Lost, Missing: rep.Missing})
}

// checkSome waits for every node to reach the tip and checks the
// invariants over acked.
func (fn *faultNet) checkSome(ctx context.Context, after string, acked []faults.Acked) *faults.Report {
	t := fn.t
	t.Helper()
	var top int64
	for _, a := range acked {
		top = max(top, a.Height)
	}
	for i := 0; i < fn.net.Len(); i++ {
		if h, err := fn.net.Height(ctx, i); err == nil {
			top = max(top, h)
		}
	}
	if err := fn.net.WaitAll(ctx, top); err != nil {
		t.Fatal(err)
	}
	rep, err := faults.Check(ctx, fn.net, acked)
	if err != nil {
		t.Fatal(err)
	}
	if err := rep.Err(); err != nil {
		t.Errorf("after %s (%s): invariants broken:\n%v", after, fn.kind, err)
	}
	return rep
}

func (fn *faultNet) finish() {
	acked, switches, failed := fn.load.Stop()
	fn.t.Logf("%s load: %d transfers acknowledged, %d failovers to another node, submissions ended without a commit: %v", fn.kind, len(acked), switches, failed)
	recordRows(fn.t, fn.rows)
}

// The fault scenarios on a process localnet, under load, with the
// invariants checked after each: a validator killed and restarted, one
// paused, a 3|1 and a 2|2 partition (through the proxy mesh) healed, a
// rolling restart, all four killed at once, a slow and lossy link (the
// proxies delay and hold back its bytes).
func TestFaultsProcessLocalnet(t *testing.T) {
	ctx := testCtx(t, 10*time.Minute)
	fn := startFaultNet(t, ctx, false, tallydBinary)
	if err := fn.net.WaitAll(ctx, 3); err != nil {
		t.Fatal(err)
	}
	runScenarios(ctx, fn)
	fn.finish()
}

// The same scenarios on a docker localnet, where the lossy link drops
// packets inside the container; skipped where no Docker daemon answers or
// without root (nsenter).
func TestFaultsDockerLocalnet(t *testing.T) {
	ctx := testCtx(t, 15*time.Minute)
	bin := dockerTallyd(t, ctx)
	fn := startFaultNet(t, ctx, true, bin)
	if err := fn.net.WaitAll(ctx, 3); err != nil {
		t.Fatal(err)
	}
	runScenarios(ctx, fn)
	fn.finish()
}

func runScenarios(ctx context.Context, fn *faultNet) {
	inj := fn.inj
	fn.run(ctx, func() (faults.Result, error) { return inj.KillOne(ctx, 3, 3*time.Second) })
	fn.run(ctx, func() (faults.Result, error) { return inj.PauseOne(ctx, 1, 5*time.Second) })
	fn.run(ctx, func() (faults.Result, error) { return inj.PartitionMinority(ctx, 2, 10*time.Second) })
	fn.run(ctx, func() (faults.Result, error) { return inj.PartitionHalves(ctx, 10*time.Second) })
	fn.run(ctx, func() (faults.Result, error) { return inj.RollingRestart(ctx) })
	fn.run(ctx, func() (faults.Result, error) { return inj.KillAll(ctx) })
	fn.run(ctx, func() (faults.Result, error) {
		return inj.SlowLossy(ctx, 2, 200*time.Millisecond, 50*time.Millisecond, 20, 10*time.Second)
	})
}

// dockerTallyd skips the test unless a Docker daemon answers and this
// process may enter network namespaces, and builds a static tallyd.
func dockerTallyd(t *testing.T, ctx context.Context) string {
	t.Helper()
	if err := localnet.DockerAvailable(ctx); err != nil {
		t.Skipf("skipping the container localnet: %v", err)
	}
	if os.Geteuid() != 0 {
		t.Skip("skipping the container localnet: cutting and slowing container links (nsenter, iptables, tc) needs root")
	}
	for _, tool := range []string{"nsenter", "iptables", "tc"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("skipping the container localnet: %s is not installed", tool)
		}
	}
	bin := filepath.Join(t.TempDir(), "tallyd-static")
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	if err := localnet.BuildStatic(ctx, root, bin); err != nil {
		t.Fatal(fmt.Errorf("static tallyd for the image: %w", err))
	}
	return bin
}
