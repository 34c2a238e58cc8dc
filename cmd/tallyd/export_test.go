package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tallyledger/tally/localnet"
)

// A one-validator chain is stopped and exported; a fresh one-node chain
// started from the export (with the same validator key, so the validator
// set is the same state too) has the same state root at its first block
// and the same balances. A running node is refused.
func TestExportImport(t *testing.T) {
	base := freeBase(t)
	home := initHome(t, base)
	admin := newAddress(t)
	runInProcess(t, "genesis", "add-account", admin, "--role", "admin", "--home", home).wantOK(t)
	runInProcess(t, "genesis", "add-asset", "EUR", "--issuer", admin, "--home", home).wantOK(t)
	runInProcess(t, "genesis", "add-balance", admin, "1234EUR", "--home", home).wantOK(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	cmd, out, exited := startProcess(t, "start", "--home", home, "--log-level", "error")
	waitRPCHeight(t, ctx, localnet.NodePorts(base, 0).RPC, 3, exited, out)
	runProcess(t, "export", "--home", home).wantError(t, 1, "is running", "stop it")
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code := waitExit(t, cmd, exited, 20*time.Second); code != 0 {
		t.Fatalf("exit %d after SIGTERM; output:\n%s", code, tail(out.String(), 20))
	}

	file := filepath.Join(t.TempDir(), "exported.json")
	res := runProcess(t, "export", "--home", home, "--output", file).wantOK(t)
	m := regexp.MustCompile(`Exported height (\d+) \(app hash ([0-9A-F]{64})\)`).FindStringSubmatch(res.stderr)
	if m == nil {
		t.Fatalf("export output: %q", res.stderr)
	}
	height, _ := strconv.ParseInt(m[1], 10, 64)
	appHash := m[2]
	runProcess(t, "genesis", "validate", file).wantOK(t)
	stdout := runProcess(t, "export", "--home", home).wantOK(t).stdout
	if want, _ := os.ReadFile(file); stdout != string(want) {
		t.Errorf("export to stdout differs from export to a file")
	}

	base2 := freeBase(t)
	home2 := filepath.Join(t.TempDir(), "imported")
	runInProcess(t, "init", "val", "--home", home2, "--chain-id", "other", "--base-port", strconv.Itoa(base2)).wantOK(t)
	copyFile(t, filepath.Join(home, "config", "priv_validator_key.json"), filepath.Join(home2, "config", "priv_validator_key.json"))
	copyFile(t, file, filepath.Join(home2, "config", "genesis.json"))
	p2 := localnet.NodePorts(base2, 0)
	cmd2, out2, exited2 := startProcess(t, "start", "--home", home2, "--log-level", "error")
	waitRPCHeight(t, ctx, p2.RPC, height+1, exited2, out2)

	// Header H+1 of the new chain carries the state root of its genesis.
	var blk struct {
		Result struct {
			Block struct {
				Header struct {
					AppHash string `json:"app_hash"`
				} `json:"header"`
			} `json:"block"`
		} `json:"result"`
	}
	getJSON(t, fmt.Sprintf("http://127.0.0.1:%d/block?height=%d", p2.RPC, height+1), &blk)
	if blk.Result.Block.Header.AppHash != appHash {
		t.Errorf("imported chain's first header app hash %s, exported %s", blk.Result.Block.Header.AppHash, appHash)
	}
	var acct struct {
		Result struct {
			Balances []struct{ Asset, Amount string } `json:"balances"`
		} `json:"result"`
	}
	getJSON(t, fmt.Sprintf("http://127.0.0.1:%d/account?address=%%22%s%%22", p2.API, admin), &acct)
	if b := acct.Result.Balances; len(b) != 1 || b[0].Asset != "EUR" || b[0].Amount != "1234" {
		t.Errorf("imported balances of %s: %+v", admin, b)
	}
	if err := cmd2.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	waitExit(t, cmd2, exited2, 20*time.Second)
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

func getJSON(t *testing.T, url string, v any) {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil || strings.Contains(string(b), `"error"`) {
		t.Fatalf("GET %s: %v: %s", url, err, b)
	}
}
