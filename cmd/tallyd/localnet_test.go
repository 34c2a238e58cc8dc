package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
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

// startLocalnet runs `tallyd localnet start` with two validators and
// waits for its summary.
func startLocalnet(t *testing.T, ctx context.Context, dir string, base int) (*exec.Cmd, *testutil.SyncBuffer, <-chan struct{}) {
	t.Helper()
	cmd, out, exited := startProcess(t, "localnet", "start", "--dir", dir, "--validators", "2", "--base-port", strconv.Itoa(base))
	if !waitSummary(ctx, out, exited) {
		t.Fatalf("localnet start exited early or gave no summary (%v):\n%s", ctx.Err(), out.String())
	}
	return cmd, out, exited
}

// waitSummary waits until `tallyd localnet start` has printed its summary
// to out; false when the command exited first or ctx ended.
func waitSummary(ctx context.Context, out *testutil.SyncBuffer, exited <-chan struct{}) bool {
	for !strings.Contains(out.String(), "Press Ctrl-C") {
		select {
		case <-exited:
			return false
		case <-ctx.Done():
			return false
		case <-time.After(100 * time.Millisecond):
		}
	}
	return true
}

// startNewLocalnet runs start(base), a `tallyd localnet start` of a new
// network of n validators in dir with --base-port base, on free ports, and
// waits for its summary. Another process can take a port between its
// probe and a node's use of it: then the command exits naming the port,
// and the network is made again in dir on other ports.
func startNewLocalnet(t *testing.T, ctx context.Context, dir string, n int, start func(base int) (cmd *exec.Cmd, out, errb *testutil.SyncBuffer, exited <-chan struct{})) (base int, cmd *exec.Cmd, out, errb *testutil.SyncBuffer, exited <-chan struct{}) {
	t.Helper()
	for attempt := 1; ; attempt++ {
		base, err := localnet.FreeBasePort(n)
		if err != nil {
			t.Fatal(err)
		}
		cmd, out, errb, exited := start(base)
		if waitSummary(ctx, out, exited) {
			return base, cmd, out, errb, exited
		}
		if ctx.Err() == nil && attempt < 3 && strings.Contains(out.String()+errb.String(), "is already in use") {
			t.Logf("attempt %d: a port was taken, trying other ports:\n%s", attempt, tail(errb.String(), 3))
			if err := os.RemoveAll(dir); err != nil {
				t.Fatal(err)
			}
			continue
		}
		t.Fatalf("localnet start exited early or gave no summary (%v):\n%s\n%s", ctx.Err(), out.String(), errb.String())
	}
}

func TestLocalnetStartCommand(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dir := filepath.Join(t.TempDir(), "net")
	base, cmd, out, _, exited := startNewLocalnet(t, ctx, dir, 2, func(base int) (*exec.Cmd, *testutil.SyncBuffer, *testutil.SyncBuffer, <-chan struct{}) {
		cmd, out, exited := startProcess(t, "localnet", "start", "--dir", dir, "--validators", "2", "--base-port", strconv.Itoa(base))
		return cmd, out, &testutil.SyncBuffer{}, exited
	})
	p1 := localnet.NodePorts(base, 1)
	summary := out.String()
	for _, want := range []string{
		`"tally-localnet" is running: 2 validators`,
		fmt.Sprintf("http://127.0.0.1:%d", p1.RPC),
		fmt.Sprintf("http://127.0.0.1:%d", p1.API),
		filepath.Join(dir, "node1", "tallyd.log"),
		filepath.Join(dir, "wallet"),
		"send alice bob 25TALLY",
		"query account bob",
		"First block",
	} {
		if !strings.Contains(summary, want) {
			t.Errorf("summary lacks %q:\n%s", want, summary)
		}
	}
	waitRPCHeight(t, ctx, p1.RPC, 3, exited, out)
	checkExplorerURL(t, summary, localnet.NodePorts(base, 0).API)
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	if code := waitExit(t, cmd, exited, 40*time.Second); code != 0 {
		t.Fatalf("exit %d after Ctrl-C, want 0:\n%s", code, out.String())
	}
	if !strings.Contains(out.String(), "All 2 nodes stopped cleanly") {
		t.Errorf("no clean-stop report:\n%s", tail(out.String(), 5))
	}
	if err := localnet.CheckPorts("127.0.0.1", base, 2); err != nil {
		t.Fatalf("a node still holds its port after the stop: %v", err)
	}
	stopped, err := rpcHeightFromLog(dir)
	if err != nil {
		t.Fatal(err)
	}

	// A second start resumes the same chain; a third one at the same time
	// is told the network already runs.
	cmd, out, exited = startLocalnet(t, ctx, dir, base)
	runProcess(t, "localnet", "start", "--dir", dir).wantError(t, 1, "already running")
	h, err := rpcHeight(ctx, fmt.Sprintf("http://127.0.0.1:%d/status", p1.RPC))
	if err != nil {
		t.Fatal(err)
	}
	if h <= stopped {
		t.Errorf("resumed at height %d, the chain had reached %d", h, stopped)
	}

	// Killing the supervisor outright takes its nodes down with it.
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	waitExit(t, cmd, exited, 10*time.Second)
	for localnet.CheckPorts("127.0.0.1", base, 2) != nil {
		select {
		case <-ctx.Done():
			t.Fatalf("nodes outlived their killed supervisor: %v", localnet.CheckPorts("127.0.0.1", base, 2))
		case <-time.After(100 * time.Millisecond):
		}
	}

	// A port taken by another program is named, with the node it belongs
	// to and what to do.
	l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p1.API))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	runProcess(t, "localnet", "start", "--dir", dir).wantError(t, 1,
		fmt.Sprintf("port %d (node1 api) is already in use", p1.API), "--base-port")
}

// rpcHeightFromLog reads the last committed height from node0's log (the
// node is stopped, so its RPC cannot be asked).
func rpcHeightFromLog(dir string) (int64, error) {
	logText := tail(readFile(filepath.Join(dir, "node0", "tallyd.log")), 400)
	var h int64 = -1
	for _, line := range strings.Split(logText, "\n") {
		if i := strings.Index(line, "committed state"); i >= 0 {
			if j := strings.Index(line[i:], "height="); j >= 0 {
				f := strings.Fields(line[i+j+len("height="):])
				if len(f) > 0 {
					if n, err := strconv.ParseInt(f[0], 10, 64); err == nil {
						h = n
					}
				}
			}
		}
	}
	if h < 0 {
		return 0, fmt.Errorf("no committed height in node0's log")
	}
	return h, nil
}

func TestLocalnetInitCommand(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "net")
	r := runInProcess(t, "localnet", "init", "--dir", dir, "--validators", "3", "--base-port", "32000", "--admins", "3").wantOK(t)
	for _, want := range []string{"3 validators", "node2", "127.0.0.1:32200", "admin, admin2, admin3, alice, bob"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("init output lacks %q:\n%s", want, r.stdout)
		}
	}
	// Again: the network is reused, not regenerated.
	again := runInProcess(t, "localnet", "init", "--dir", dir).wantOK(t)
	if again.stdout != r.stdout {
		t.Errorf("second init changed the network:\n%s\nthen:\n%s", r.stdout, again.stdout)
	}
	runInProcess(t, "localnet", "init", "--dir", dir, "--validators", "5").wantError(t, 1, "3 validators (asked for 5)", "--reset")

	multi := filepath.Join(t.TempDir(), "multi")
	hostsArgs := []string{"localnet", "init", "--dir", multi, "--hosts", "10.0.0.1,10.0.0.2,10.0.0.3,10.0.0.4"}
	runInProcess(t, hostsArgs...).wantError(t, 1, "--hosts makes a network for real machines, whose wallet keys are encrypted")
	pw := filepath.Join(t.TempDir(), "pw")
	os.WriteFile(pw, []byte("correct horse battery\n"), 0o600)
	r = runInProcess(t, append(hostsArgs, "--password-file", pw)...).wantOK(t)
	for _, want := range []string{"4 validators", "10.0.0.4:26656", "Copy each node's home"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("multi-host init output lacks %q:\n%s", want, r.stdout)
		}
	}
	runInProcess(t, "localnet", "start", "--dir", multi).wantError(t, 1, "for 4 hosts")
}

// checkExplorerURL checks that the summary prints node0's explorer URL and
// that it serves the explorer's page.
func checkExplorerURL(t *testing.T, summary string, apiPort int) {
	t.Helper()
	url := fmt.Sprintf("http://127.0.0.1:%d/explorer/", apiPort)
	if !strings.Contains(summary, "Explorer: "+url) {
		t.Errorf("summary lacks the explorer URL %s:\n%s", url, summary)
		return
	}
	res, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusOK || !strings.Contains(string(body), "<title>Tally explorer</title>") {
		t.Errorf("GET %s = %d, expected the explorer's page:\n%.300s", url, res.StatusCode, body)
	}
}
