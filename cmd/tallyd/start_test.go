package main

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tallyledger/tally/localnet"
)

// tallyd start runs a node that commits blocks and stops cleanly (exit
// 0) on SIGTERM; reset then clears its chain so the next start begins
// again at height 1.
func TestStartStopReset(t *testing.T) {
	base := freeBase(t)
	home := initHome(t, base)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	p := localnet.NodePorts(base, 0)

	cmd, out, exited := startProcess(t, "start", "--home", home, "--log-level", "error")
	waitRPCHeight(t, ctx, p.RPC, 3, exited, out)
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code := waitExit(t, cmd, exited, 20*time.Second); code != 0 {
		t.Fatalf("exit %d after SIGTERM, want 0; output:\n%s", code, tail(out.String(), 20))
	}
	if !strings.Contains(out.String(), "node stopped") {
		t.Errorf("no clean-stop message in the output:\n%s", tail(out.String(), 10))
	}

	runProcess(t, "reset", "--home", home, "--yes").wantOK(t)
	cmd, out, exited = startProcess(t, "start", "--home", home, "--log-level", "error", "--log-format", "json")
	waitRPCHeight(t, ctx, p.RPC, 1, exited, out)
	h, err := rpcHeight(ctx, "http://127.0.0.1:"+strconv.Itoa(p.RPC)+"/status")
	if err != nil {
		t.Fatal(err)
	}
	if h > 3 {
		t.Errorf("height %d right after reset and start, want the chain to start again from 1", h)
	}
	// While it runs, reset refuses.
	runProcess(t, "reset", "--home", home, "--yes").wantError(t, 1, "in use")
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	if code := waitExit(t, cmd, exited, 20*time.Second); code != 0 {
		t.Fatalf("exit %d after SIGINT, want 0; output:\n%s", code, tail(out.String(), 20))
	}
}

// Start-up failures end with one clear line and a non-zero status.
func TestStartErrors(t *testing.T) {
	t.Run("no home", func(t *testing.T) {
		runProcess(t, "start", "--home", filepath.Join(t.TempDir(), "none")).wantError(t, 1, "tallyd init")
	})
	t.Run("missing genesis", func(t *testing.T) {
		home := initHome(t, freeBase(t))
		if err := os.Remove(filepath.Join(home, "config", "genesis.json")); err != nil {
			t.Fatal(err)
		}
		runProcess(t, "start", "--home", home).wantError(t, 1, "genesis")
	})
	t.Run("genesis without admin", func(t *testing.T) {
		home := filepath.Join(t.TempDir(), "home")
		runInProcess(t, "init", "v", "--home", home, "--base-port", strconv.Itoa(freeBase(t))).wantOK(t)
		runProcess(t, "start", "--home", home).wantError(t, 1, "admin")
	})
	t.Run("port in use", func(t *testing.T) {
		base := freeBase(t)
		home := initHome(t, base)
		l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(localnet.NodePorts(base, 0).RPC))
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		runProcess(t, "start", "--home", home).wantError(t, 1, strconv.Itoa(localnet.NodePorts(base, 0).RPC), "in use")
	})
	t.Run("home in use", func(t *testing.T) {
		base := freeBase(t)
		home := initHome(t, base)
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		_, out, exited := startProcess(t, "start", "--home", home, "--log-level", "error")
		waitRPCHeight(t, ctx, localnet.NodePorts(base, 0).RPC, 1, exited, out)
		runProcess(t, "start", "--home", home).wantError(t, 1, "in use")
	})
}
