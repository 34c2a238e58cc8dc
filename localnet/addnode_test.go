package localnet

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tallyledger/tally/app"
)

// joinSetup is a two-validator localnet (not started) whose free port
// blocks leave room for a third node, and a supervisor over it running a
// fake tallyd.
type joinSetup struct {
	dir  string
	base int
	net  *Net
}

func newJoinSetup(t *testing.T) joinSetup {
	t.Helper()
	base, err := FreeBasePort(3)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "net")
	if err := Init(dir, Options{Validators: 2, BasePort: base}); err != nil {
		t.Fatal(err)
	}
	bin := fakeBinary(t, `trap 'echo "stopping on TERM"; exit 0' TERM; echo "started with $*"; while :; do sleep 0.05; done`)
	n, err := open(dir, Options{Binary: bin, StopTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := n.Stop(); err != nil {
			t.Errorf("stop: %v", err)
		}
	})
	return joinSetup{dir: dir, base: base, net: n}
}

// joiningHome makes a home as `tallyd init` does, on the third port block,
// with the network's genesis copied in when withGenesis is set.
func (s joinSetup) joiningHome(t *testing.T, withGenesis bool) string {
	t.Helper()
	home := filepath.Join(t.TempDir(), "joiner")
	if err := app.InitHome(home, "joiner", "another-chain", app.WithBasePort(NodePorts(s.base, 2).P2P)); err != nil {
		t.Fatal(err)
	}
	if withGenesis {
		raw, err := os.ReadFile(filepath.Join(s.dir, "node0", app.GenesisFile))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(home, app.GenesisFile), raw, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return home
}

func waitLog(t *testing.T, path, want string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		b, _ := os.ReadFile(path)
		if strings.Contains(string(b), want) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s does not contain %q after 10s:\n%s", path, want, b)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestAddNodeStartsJoiningNode(t *testing.T) {
	s := newJoinSetup(t)
	n := s.net

	// A home still holding its own genesis is refused.
	_, err := n.AddNode(s.joiningHome(t, false))
	if err == nil || !strings.Contains(err.Error(), `genesis is for chain "another-chain", not this network's "`+DefaultChainID+`"`) {
		t.Fatalf("AddNode with a foreign genesis: %v", err)
	}
	if n.Len() != 2 {
		t.Fatalf("Len after a refused AddNode = %d, want 2", n.Len())
	}

	home := s.joiningHome(t, true)
	i, err := n.AddNode(home)
	if err != nil {
		t.Fatal(err)
	}
	c, _, err := app.LoadConfig(home)
	if err != nil {
		t.Fatal(err)
	}
	id, err := app.ReadIdentity(c)
	if err != nil {
		t.Fatal(err)
	}
	p := NodePorts(s.base, 2)
	for _, check := range []struct{ what, got, want string }{
		{"index", strconv.Itoa(i), "2"},
		{"Len", strconv.Itoa(n.Len()), "3"},
		{"NodeID", n.NodeID(i), id.NodeID},
		{"RPCURL", n.RPCURL(i), "http://127.0.0.1:" + strconv.Itoa(p.RPC)},
		{"APIURL", n.APIURL(i), "http://127.0.0.1:" + strconv.Itoa(p.API)},
		{"Home", n.Home(i), home},
		{"LogFile", n.LogFile(i), filepath.Join(home, LogFileName)},
	} {
		if check.got != check.want {
			t.Errorf("%s = %s, want %s", check.what, check.got, check.want)
		}
	}
	if !n.Running(i) || n.Pid(i) == 0 {
		t.Fatalf("node%d not running after AddNode", i)
	}
	waitLog(t, n.LogFile(i), "started with start --home "+home)

	// The same home (or node ID) cannot join twice.
	if _, err := n.AddNode(home); err == nil || !strings.Contains(err.Error(), "already node2") {
		t.Fatalf("second AddNode of one home: %v", err)
	}
	if n.Len() != 3 {
		t.Fatalf("Len after a refused AddNode = %d, want 3", n.Len())
	}

	// It stops like a validator: SIGTERM, then reaped.
	if err := n.StopNode(i); err != nil {
		t.Fatal(err)
	}
	if n.Running(i) {
		t.Fatalf("node%d still running after StopNode", i)
	}
	waitLog(t, n.LogFile(i), "stopping on TERM")
	if err := n.RestartNode(i); err != nil {
		t.Fatal(err)
	}
	if !n.Running(i) {
		t.Fatalf("node%d not running after RestartNode", i)
	}
}

func TestAddNodeNamesTakenPort(t *testing.T) {
	s := newJoinSetup(t)
	home := s.joiningHome(t, true)
	taken := NodePorts(s.base, 2).RPC
	l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(taken))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	_, err = s.net.AddNode(home)
	var pe *PortInUseError
	if !errors.As(err, &pe) || pe.Node != 2 || pe.Name != "rpc" || pe.Port != taken {
		t.Fatalf("AddNode = %v, want port %d of node2 rpc in use", err, taken)
	}
	if s.net.Len() != 2 {
		t.Fatalf("Len = %d after a refused AddNode, want 2", s.net.Len())
	}
}

func TestListenHostPort(t *testing.T) {
	for _, tc := range []struct {
		laddr, host string
		port        int
		dial        string
		err         string
	}{
		{laddr: "tcp://0.0.0.0:26656", host: "0.0.0.0", port: 26656, dial: "127.0.0.1"},
		{laddr: "tcp://127.0.0.1:26657", host: "127.0.0.1", port: 26657, dial: "127.0.0.1"},
		{laddr: "tcp://[::]:26659", host: "::", port: 26659, dial: "127.0.0.1"},
		{laddr: "10.0.0.5:80", host: "10.0.0.5", port: 80, dial: "10.0.0.5"},
		{laddr: "tcp://127.0.0.1", err: "missing port"},
		{laddr: "tcp://127.0.0.1:0", err: "expected 1 to 65535"},
		{laddr: "tcp://127.0.0.1:http", err: "expected 1 to 65535"},
	} {
		host, port, err := listenHostPort(tc.laddr)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("listenHostPort(%q) = %v, want an error with %q", tc.laddr, err, tc.err)
			}
			continue
		}
		if err != nil || host != tc.host || port != tc.port {
			t.Errorf("listenHostPort(%q) = %q, %d, %v; want %q, %d", tc.laddr, host, port, err, tc.host, tc.port)
		}
		if got := dialHost(host); got != tc.dial {
			t.Errorf("dialHost(%q) = %q, want %q", host, got, tc.dial)
		}
	}
}
