package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tallyledger/tally/client"
	"github.com/tallyledger/tally/crypto"
	"github.com/tallyledger/tally/ledger"
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
	var bases []int
	for _, amount := range []string{"100EUR", "101EUR"} {
		base := freeBase(t)
		bases = append(bases, base)
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

	// The first chain goes on; then the second chain's ledger (a state the
	// first chain's headers do not commit to) replaces its own. The node
	// refuses to start and names the per-prefix hashes.
	runChain(t, homes[0], bases[0], 5)
	ledgerA := filepath.Join(homes[0], "data", "ledger.db")
	if err := os.RemoveAll(ledgerA); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("cp", "-a", filepath.Join(homes[1], "data", "ledger.db"), ledgerA).CombinedOutput(); err != nil {
		t.Fatalf("cp: %v %s", err, out)
	}
	res = runProcess(t, "start", "--home", homes[0], "--log-level", "error")
	res.wantError(t, 1, "app hash disagrees with the network", "state hashes by key prefix", "/bal: 1 ")
}

// A real node commits transfers after a backup; replaying their block from
// its block store on the restored backup's state reproduces the app hash
// the next header commits to and lists each transaction's result. Without
// an older state the replay says what it needs.
func TestDebugReplayReproducesTheHeaderAppHash(t *testing.T) {
	base := freeBase(t)
	home := initHome(t, base)
	key, err := crypto.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	admin := key.PubKey().Address().String()
	runInProcess(t, "genesis", "add-account", admin, "--role", "admin", "--home", home).wantOK(t)
	runInProcess(t, "genesis", "add-asset", "EUR", "--issuer", admin, "--home", home).wantOK(t)
	runInProcess(t, "genesis", "add-balance", admin, "1000EUR", "--home", home).wantOK(t)
	var recipients []crypto.Address
	for range 3 {
		to := newAddressValue(t)
		runInProcess(t, "genesis", "add-account", to.String(), "--home", home).wantOK(t)
		recipients = append(recipients, to)
	}
	runChain(t, home, base, 2)
	backup := filepath.Join(t.TempDir(), "backup.tar.gz")
	runProcess(t, "backup", "--home", home, "--output", backup).wantOK(t)

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	ports := localnet.NodePorts(base, 0)
	cmd, out, exited := startProcess(t, "start", "--home", home, "--log-level", "error")
	waitRPCHeight(t, ctx, ports.RPC, 3, exited, out)
	c, err := client.New(fmt.Sprintf("http://127.0.0.1:%d", ports.RPC))
	if err != nil {
		t.Fatal(err)
	}
	var last *client.Submitted
	for i, to := range recipients {
		body := ledger.Body{Msg: ledger.Msg{Transfer: &ledger.Transfer{To: to, Asset: "EUR", Amount: uint64(10 + i)}}}
		if last, err = c.Submit(ctx, key, body, client.SubmitOptions{Wait: true}); err != nil {
			t.Fatalf("submit transfer %d: %v", i, err)
		}
	}
	txHeight := last.Result.Height
	waitRPCHeight(t, ctx, ports.RPC, txHeight+2, exited, out)
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code := waitExit(t, cmd, exited, 20*time.Second); code != 0 {
		t.Fatalf("exit %d after SIGTERM; output:\n%s", code, tail(out.String(), 20))
	}

	runProcess(t, "debug", "replay", "--home", home, "--height", strconv.FormatInt(txHeight, 10)).
		wantError(t, 1, fmt.Sprintf("needs the ledger state at height %d or below", txHeight-1), "tallyd restore")

	older := filepath.Join(t.TempDir(), "older")
	runProcess(t, "restore", "--home", older, "--input", backup).wantOK(t)
	res := runProcess(t, "debug", "replay", "--home", home, "--state", older, "--height", strconv.FormatInt(txHeight, 10)).wantOK(t)
	for _, want := range []string{
		fmt.Sprintf("block %d: ", txHeight),
		last.Hash + ": code 0",
		fmt.Sprintf("matches the header of block %d", txHeight+1),
	} {
		if !strings.Contains(res.stdout, want) {
			t.Errorf("replay output lacks %q:\n%s", want, res.stdout)
		}
	}
	t.Logf("replay:\n%s", res.stdout)
	if strings.Contains(res.stdout, "DIFFERS") {
		t.Errorf("replay reports a difference:\n%s", res.stdout)
	}
}

func newAddressValue(t *testing.T) crypto.Address {
	t.Helper()
	k, err := crypto.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k.PubKey().Address()
}
