package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tallyledger/tally/internal/testutil"
	"github.com/tallyledger/tally/localnet"
)

// --reset on a running localnet deletes nothing, from `localnet start` and
// from `localnet init`; a node that dies during the run is reported with
// its exit status and the supervisor exits non-zero instead of claiming a
// clean stop; once stopped, --reset (no terminal: the flag confirms)
// makes a new network.
func TestLocalnetResetRefusedWhileRunning(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	dir := filepath.Join(t.TempDir(), "net")
	base, cmd, out, errb, exited := startNewLocalnet(t, ctx, dir, 1, func(base int) (*exec.Cmd, *testutil.SyncBuffer, *testutil.SyncBuffer, <-chan struct{}) {
		return startBinary(t, "localnet", "start", "--dir", dir, "--validators", "1", "--base-port", strconv.Itoa(base))
	})
	rpc := localnet.NodePorts(base, 0).RPC
	// The hint names the wallet beside the binary that was run.
	hint := filepath.Join(filepath.Dir(tallydBinary(t)), "tally") + " --home " + filepath.Join(dir, "wallet")
	if !strings.Contains(out.String(), "Try:\n  "+hint) || strings.Contains(out.String(), "go run") {
		t.Errorf("the Try: hint does not start with %q:\n%s", hint, out.String())
	}
	before, err := localnet.LoadManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	walletKey := readFile(filepath.Join(dir, "wallet", "alice.key"))
	if walletKey == "" {
		t.Fatal("no wallet key file alice.key")
	}

	for _, args := range [][]string{
		{"localnet", "start", "--dir", dir, "--reset"},
		{"localnet", "start", "--dir", dir, "--reset", "--yes", "--base-port", strconv.Itoa(freeBase(t))},
		{"localnet", "init", "--dir", dir, "--reset"},
	} {
		r := runBinary(t, "", args...)
		r.wantError(t, 1, "is running", "node0", "stop it first")
		t.Logf("%s: %s", strings.Join(args, " "), strings.TrimSpace(r.stderr))
	}
	after, err := localnet.LoadManifest(dir)
	if err != nil {
		t.Fatalf("the running network's manifest is gone: %v", err)
	}
	if after.Nodes[0].NodeID != before.Nodes[0].NodeID || readFile(filepath.Join(dir, "wallet", "alice.key")) != walletKey {
		t.Fatal("a refused reset changed the running network's keys")
	}
	h0, err := rpcHeight(ctx, fmt.Sprintf("http://127.0.0.1:%d/status", rpc))
	if err != nil {
		t.Fatal(err)
	}
	waitRPCHeight(t, ctx, rpc, h0+1, exited, out)

	// node0 dies (killed from outside): the supervisor says so, and on
	// Ctrl-C it fails instead of reporting a clean stop.
	pid, err := strconv.Atoi(strings.TrimSpace(readFile(filepath.Join(dir, "node0", localnet.PIDFileName))))
	if err != nil {
		t.Fatalf("node0's PID file: %v", err)
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	for !strings.Contains(out.String(), "node0 exited on its own") {
		select {
		case <-ctx.Done():
			t.Fatalf("the supervisor did not report node0's death:\n%s", out.String())
		case <-time.After(100 * time.Millisecond):
		}
	}
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	if code := waitExit(t, cmd, exited, 40*time.Second); code != 1 {
		t.Fatalf("exit %d after a node died, want 1:\n%s\n%s", code, out.String(), errb.String())
	}
	if strings.Contains(out.String(), "stopped cleanly") {
		t.Errorf("a clean stop reported although node0 died:\n%s", out.String())
	}
	for _, want := range []string{"node0 died during the run", "killed by signal 9"} {
		if !strings.Contains(errb.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, errb.String())
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "node0", localnet.PIDFileName)); !os.IsNotExist(err) {
		t.Errorf("node0's PID file outlived it: %v", err)
	}

	// Stopped: --reset without a terminal replaces the network.
	runBinary(t, "", "localnet", "init", "--dir", dir, "--reset", "--validators", "1").wantOK(t)
	fresh, err := localnet.LoadManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	if fresh.Nodes[0].NodeID == before.Nodes[0].NodeID {
		t.Fatal("--reset on a stopped network kept the old node key")
	}
}

// On a terminal --reset asks first; anything but yes keeps the network.
func TestLocalnetResetAsksOnATerminal(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "net")
	runInProcess(t, "localnet", "init", "--dir", dir, "--validators", "1", "--base-port", strconv.Itoa(freeBase(t))).wantOK(t)
	before, _ := localnet.LoadManifest(dir)
	run := func(answer string, args ...string) result {
		var r result
		var out, errb strings.Builder
		e := env{
			stdin: strings.NewReader(answer), stdout: &out, stderr: &errb,
			getenv: func(string) string { return "" }, executable: os.Executable,
			stdinIsTerminal: func() bool { return true },
		}
		r.code = run(args, e)
		r.stdout, r.stderr = out.String(), errb.String()
		return r
	}
	r := run("n\n", "localnet", "init", "--dir", dir, "--reset")
	if r.code != 1 || !strings.Contains(r.stderr, "Delete the localnet") || !strings.Contains(r.stderr, "nothing was deleted") {
		t.Fatalf("answer n: exit %d, stderr %q", r.code, r.stderr)
	}
	if m, _ := localnet.LoadManifest(dir); m == nil || m.Nodes[0].NodeID != before.Nodes[0].NodeID {
		t.Fatal("a declined reset changed the network")
	}
	if r := run("yes\n", "localnet", "init", "--dir", dir, "--reset"); r.code != 0 {
		t.Fatalf("answer yes: exit %d, stderr %q", r.code, r.stderr)
	}
	if m, _ := localnet.LoadManifest(dir); m == nil || m.Nodes[0].NodeID == before.Nodes[0].NodeID {
		t.Fatal("a confirmed reset kept the old network")
	}
}
