package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tallyledger/tally/localnet"
)

// runChain starts the one-validator node at home until height h and stops
// it; while it runs, dumping its state is refused.
func runChain(t *testing.T, home string, base int, h int64) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd, out, exited := startProcess(t, "start", "--home", home, "--log-level", "error")
	waitRPCHeight(t, ctx, localnet.NodePorts(base, 0).RPC, h, exited, out)
	runProcess(t, "debug", "dump", "--home", home).wantError(t, 1, "is running", "stop it")
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code := waitExit(t, cmd, exited, 20*time.Second); code != 0 {
		t.Fatalf("exit %d after SIGTERM; output:\n%s", code, tail(out.String(), 20))
	}
}

// Two real nodes whose states diverge (one genesis balance differs) dump
// their states; the diff names the diverging balance, its prefix's hash
// differs, and the exit status says so. A dump diffed with itself is the
// same state, exit 0.
func TestDebugDumpDiffOfDivergingNodes(t *testing.T) {
	admin := newAddress(t)
	var homes []string
	for _, amount := range []string{"100EUR", "101EUR"} {
		base := freeBase(t)
		home := initHome(t, base)
		runInProcess(t, "genesis", "add-account", admin, "--role", "admin", "--home", home).wantOK(t)
		runInProcess(t, "genesis", "add-asset", "EUR", "--issuer", admin, "--home", home).wantOK(t)
		runInProcess(t, "genesis", "add-balance", admin, amount, "--home", home).wantOK(t)
		runChain(t, home, base, 2)
		homes = append(homes, home)
	}
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.dump"), filepath.Join(dir, "b.dump")
	runProcess(t, "debug", "dump", "--home", homes[0], "--output", a).wantOK(t)
	stdout := runProcess(t, "debug", "dump", "--home", homes[1]).wantOK(t).stdout
	if err := os.WriteFile(b, []byte(stdout), 0o600); err != nil {
		t.Fatal(err)
	}
	text := readFile(a)
	for _, want := range []string{"# tally state dump", "\ngroup /bal: 1 ", "\napp_hash "} {
		if !strings.Contains(text, want) {
			t.Errorf("dump lacks %q:\n%s", want, text)
		}
	}
	runProcess(t, "debug", "dump", "--home", homes[0], "--height", "1").wantError(t, 1, "height", "only", "restore a backup")

	same := runProcess(t, "debug", "diff", a, a).wantOK(t)
	if !strings.Contains(same.stdout, "same state") {
		t.Errorf("diff of a dump with itself: %q", same.stdout)
	}
	res := runProcess(t, "debug", "diff", a, b)
	res.wantError(t, 1, "the dumps differ")
	for _, want := range []string{`group "/bal:" 0 added, 0 removed, 1 changed (hash `, ":EUR: 100 -> 101"} {
		if !strings.Contains(res.stdout, want) {
			t.Errorf("diff output lacks %q:\n%s", want, res.stdout)
		}
	}
	runProcess(t, "debug", "diff", a, filepath.Join(dir, "missing")).wantError(t, 1, "missing")
}
