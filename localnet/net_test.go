package localnet

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// fakeBinary writes a shell script that stands in for tallyd.
func fakeBinary(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "fake-tallyd")
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

func initNet(t *testing.T, n int) (string, int) {
	t.Helper()
	base, err := FreeBasePort(n)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "net")
	if err := Init(dir, Options{Validators: n, BasePort: base}); err != nil {
		t.Fatal(err)
	}
	return dir, base
}

func TestStartReportsNodeThatExits(t *testing.T) {
	dir, _ := initNet(t, 2)
	bin := fakeBinary(t, `echo "starting with $*"; echo "fatal: the ledger is corrupt" >&2; exit 3`)
	_, err := Start(context.Background(), dir, Options{Binary: bin, StartTimeout: 30 * time.Second})
	var ne *NodeError
	if !errors.As(err, &ne) {
		t.Fatalf("err = %v, want a *NodeError", err)
	}
	for _, want := range []string{"exit status 3", "fatal: the ledger is corrupt", "start --home " + filepath.Join(dir, "node"), "tallyd.log"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not mention %q:\n%v", want, err)
		}
	}
}

func TestStartTimesOutAndStopsNodes(t *testing.T) {
	dir, _ := initNet(t, 2)
	bin := fakeBinary(t, `trap 'echo "stopping on TERM"; exit 0' TERM; echo up; while :; do sleep 0.05; done`)
	// Start gives up on its own timeout (the caller's context has none).
	_, err := Start(context.Background(), dir, Options{Binary: bin, StartTimeout: 1500 * time.Millisecond})
	if err == nil || !strings.Contains(err.Error(), "did not answer") || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want the RPC not answering by the start timeout", err)
	}
	// Start stopped what it started, with SIGTERM.
	for i := 0; i < 2; i++ {
		log := tailFile(filepath.Join(dir, "node"+strconv.Itoa(i), LogFileName), 5)
		if !strings.Contains(log, "stopping on TERM") {
			t.Errorf("node%d was not stopped with SIGTERM; log:\n%s", i, log)
		}
	}
}

func TestStartNamesTakenPort(t *testing.T) {
	dir, base := initNet(t, 3)
	taken := NodePorts(base, 2).RPC
	l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(taken))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	_, err = Start(context.Background(), dir, Options{Binary: "/nonexistent"})
	var pe *PortInUseError
	if !errors.As(err, &pe) || pe.Node != 2 || pe.Name != "rpc" || pe.Port != taken {
		t.Fatalf("err = %v, want port %d of node2 rpc in use", err, taken)
	}
	if !strings.Contains(err.Error(), "--base-port") {
		t.Errorf("error %q does not suggest --base-port", err)
	}
}

func TestStartNeedsLocalnet(t *testing.T) {
	_, err := Start(context.Background(), t.TempDir(), Options{Binary: "tallyd"})
	if !errors.Is(err, ErrNotLocalnet) {
		t.Fatalf("err = %v, want ErrNotLocalnet", err)
	}
	if _, err := Start(context.Background(), t.TempDir(), Options{}); err == nil || !strings.Contains(err.Error(), "Binary") {
		t.Fatalf("err = %v, want a missing binary", err)
	}
}

func TestTailFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log")
	var b strings.Builder
	for i := 0; i < 100; i++ {
		b.WriteString("line " + strconv.Itoa(i) + "\n")
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := tailFile(path, 3); got != "line 97\nline 98\nline 99" {
		t.Fatalf("tailFile = %q", got)
	}
	if got := tailFile(filepath.Join(t.TempDir(), "none"), 3); !strings.Contains(got, "cannot read") {
		t.Fatalf("tailFile of a missing file = %q", got)
	}
}

func TestCheckPortsAndFreeBase(t *testing.T) {
	base, err := FreeBasePort(2)
	if err != nil {
		t.Fatal(err)
	}
	if base < 20000 || base >= 32000 {
		t.Fatalf("FreeBasePort = %d, outside [20000, 32000)", base)
	}
	if err := CheckPorts("127.0.0.1", base, 2); err != nil {
		t.Fatalf("FreeBasePort gave %d but CheckPorts says %v", base, err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(NodePorts(base, 1).P2P))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	var pe *PortInUseError
	if err := CheckPorts("127.0.0.1", base, 2); !errors.As(err, &pe) || pe.Node != 1 || pe.Name != "p2p" {
		t.Fatalf("CheckPorts = %v, want node1 p2p in use", err)
	}
}

// portTakenScript makes node0 of a fake network fail as a node does whose
// RPC port another process bound after Start probed it; the other nodes
// wait to be stopped.
const portTakenScript = `port=$(sed -n 's/^laddr = "tcp:\/\/[^:]*:\([0-9]*\)"$/\1/p' "$3/config/config.toml" | head -n 1)
case "$3" in
*/node0) echo "Error: listen tcp 127.0.0.1:$port: bind: address already in use" >&2; exit 1;;
esac
trap 'exit 0' TERM; while :; do sleep 0.05; done`

func TestStartReportsPortTakenAfterProbe(t *testing.T) {
	dir, base := initNet(t, 2)
	bin := fakeBinary(t, portTakenScript)
	_, err := Start(context.Background(), dir, Options{Binary: bin, StartTimeout: time.Minute})
	var pe *PortInUseError
	if !errors.As(err, &pe) || pe.Node != 0 || pe.Name != "rpc" || pe.Port != NodePorts(base, 0).RPC {
		t.Fatalf("err = %v, want node0's rpc port %d in use", err, NodePorts(base, 0).RPC)
	}
	var ne *NodeError
	if !errors.As(err, &ne) || !strings.Contains(ne.Tail, "address already in use") {
		t.Fatalf("err = %v, want the node's error with its log", err)
	}
}

func TestStartReportsOtherExitsAsNodeErrors(t *testing.T) {
	// A log line about some other port is not this node's port taken.
	dir, _ := initNet(t, 1)
	bin := fakeBinary(t, `echo "listen tcp 127.0.0.1:1: bind: address already in use" >&2; exit 1`)
	_, err := Start(context.Background(), dir, Options{Binary: bin, StartTimeout: time.Minute})
	var pe *PortInUseError
	if errors.As(err, &pe) {
		t.Fatalf("err = %v, want no *PortInUseError", err)
	}
	var ne *NodeError
	if !errors.As(err, &ne) {
		t.Fatalf("err = %v, want a *NodeError", err)
	}
}

func TestStartOnFreePortsRetriesWhenAPortIsTaken(t *testing.T) {
	// The first attempt finds its port taken; the second fails otherwise,
	// which StartOnFreePorts returns as it is.
	count := filepath.Join(t.TempDir(), "attempts")
	bin := fakeBinary(t, `case "$3" in */node0) echo x >> `+count+`;; esac
if [ "$(wc -l < `+count+`)" -gt 1 ]; then echo "fatal: the ledger is corrupt" >&2; exit 3; fi
`+portTakenScript)
	dir := filepath.Join(t.TempDir(), "net")
	_, err := StartOnFreePorts(context.Background(), dir, Options{Validators: 2, Binary: bin, StartTimeout: time.Minute}, 3)
	var pe *PortInUseError
	if err == nil || errors.As(err, &pe) || !strings.Contains(err.Error(), "the ledger is corrupt") {
		t.Fatalf("err = %v, want the second attempt's failure", err)
	}
	b, _ := os.ReadFile(count)
	if got := strings.Count(string(b), "x"); got != 2 {
		t.Fatalf("node0 started %d times, want 2", got)
	}

	// Every attempt finds a port taken: it gives up after the attempts.
	dir = filepath.Join(t.TempDir(), "net")
	_, err = StartOnFreePorts(context.Background(), dir, Options{Validators: 2, Binary: fakeBinary(t, portTakenScript), StartTimeout: time.Minute}, 2)
	if !errors.As(err, &pe) || !strings.Contains(err.Error(), "after 2 attempts") {
		t.Fatalf("err = %v, want a *PortInUseError after 2 attempts", err)
	}
}
