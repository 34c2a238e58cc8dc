package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tallyledger/tally/crypto"
	"github.com/tallyledger/tally/internal/testutil"
	"github.com/tallyledger/tally/localnet"
)

// execEnv makes the test binary act as tallyd when set: the tests run the
// real command tree (and main's exit codes) in child processes without
// building a separate binary.
const execEnv = "TALLYD_TEST_EXEC"

func TestMain(m *testing.M) {
	if os.Getenv(execEnv) == "1" {
		os.Exit(run(os.Args[1:], newEnv()))
	}
	code := m.Run()
	removeBuilt()
	os.Exit(code)
}

// result is one tallyd invocation.
type result struct {
	code           int
	stdout, stderr string
}

// runInProcess runs the command tree in this process.
func runInProcess(t *testing.T, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	e := env{
		stdin:           strings.NewReader(""),
		stdout:          &out,
		stderr:          &errb,
		getenv:          func(string) string { return "" },
		executable:      os.Executable,
		stdinIsTerminal: func() bool { return false },
	}
	code := run(args, e)
	return result{code: code, stdout: out.String(), stderr: errb.String()}
}

// tallydCmd prepares the test binary as a tallyd child process.
func tallydCmd(args ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), execEnv+"=1")
	return cmd
}

// runProcess runs tallyd as a child process to completion.
func runProcess(t *testing.T, args ...string) result {
	t.Helper()
	cmd := tallydCmd(args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return result{code: code, stdout: out.String(), stderr: errb.String()}
}

func (r result) wantOK(t *testing.T) result {
	t.Helper()
	if r.code != 0 {
		t.Fatalf("exit %d, want 0; stderr: %s", r.code, r.stderr)
	}
	return r
}

// wantError checks for exit status code (2 for usage errors) and exactly
// one "Error:" line on stderr mentioning every want.
func (r result) wantError(t *testing.T, code int, wants ...string) {
	t.Helper()
	if r.code != code {
		t.Fatalf("exit %d, want %d; stdout: %s; stderr: %s", r.code, code, r.stdout, r.stderr)
	}
	lines := strings.Split(strings.TrimRight(r.stderr, "\n"), "\n")
	if len(lines) != 1 || !strings.HasPrefix(lines[0], "Error: ") {
		t.Fatalf("stderr is not one line starting with \"Error: \":\n%s", r.stderr)
	}
	for _, w := range wants {
		if !strings.Contains(lines[0], w) {
			t.Errorf("error %q does not mention %q", lines[0], w)
		}
	}
}

// freeBase returns a base port with free ports for one node.
func freeBase(t *testing.T) int {
	t.Helper()
	base, err := localnet.FreeBasePort(1)
	if err != nil {
		t.Fatal(err)
	}
	return base
}

func newAddress(t *testing.T) string {
	t.Helper()
	k, err := crypto.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k.PubKey().Address().String()
}

// initHome makes a node home whose genesis has an admin, ready to start.
func initHome(t *testing.T, base int) string {
	t.Helper()
	home := filepath.Join(t.TempDir(), "home")
	runInProcess(t, "init", "val", "--home", home, "--chain-id", "cli-test", "--base-port", strconv.Itoa(base)).wantOK(t)
	runInProcess(t, "genesis", "add-account", newAddress(t), "--role", "admin", "--home", home).wantOK(t)
	runInProcess(t, "genesis", "validate", "--home", home).wantOK(t)
	return home
}

// waitRPCHeight polls the CometBFT RPC at port until it reports height >= h.
func waitRPCHeight(t *testing.T, ctx context.Context, port int, h int64, exited <-chan struct{}, logs *testutil.SyncBuffer) {
	t.Helper()
	url := fmt.Sprintf("http://127.0.0.1:%d/status", port)
	for {
		if got, err := rpcHeight(ctx, url); err == nil && got >= h {
			return
		}
		select {
		case <-exited:
			t.Fatalf("tallyd exited before height %d; output:\n%s", h, tail(logs.String(), 20))
		case <-ctx.Done():
			t.Fatalf("height %d not reached: %v; output:\n%s", h, ctx.Err(), tail(logs.String(), 20))
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func rpcHeight(ctx context.Context, url string) (int64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	var st struct {
		Result struct {
			SyncInfo struct {
				LatestBlockHeight string `json:"latest_block_height"`
			} `json:"sync_info"`
		} `json:"result"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		return 0, err
	}
	return strconv.ParseInt(st.Result.SyncInfo.LatestBlockHeight, 10, 64)
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// startProcess starts `tallyd start` on home and returns it with its
// combined output and a channel closed when it exits; the process is
// killed at the end of the test if still running.
func startProcess(t *testing.T, args ...string) (*exec.Cmd, *testutil.SyncBuffer, <-chan struct{}) {
	t.Helper()
	cmd := tallydCmd(args...)
	out := &testutil.SyncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	return cmd, out, startWatched(t, cmd)
}

// startWatched starts cmd and returns a channel closed when it exits; the
// process is killed at the end of the test if still running.
func startWatched(t *testing.T, cmd *exec.Cmd) <-chan struct{} {
	t.Helper()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(exited)
	}()
	t.Cleanup(func() {
		select {
		case <-exited:
		default:
			_ = cmd.Process.Kill()
			<-exited
		}
	})
	return exited
}

// waitExit waits for the process to exit and returns its status.
func waitExit(t *testing.T, cmd *exec.Cmd, exited <-chan struct{}, d time.Duration) int {
	t.Helper()
	select {
	case <-exited:
		return cmd.ProcessState.ExitCode()
	case <-time.After(d):
		t.Fatalf("tallyd did not exit within %s", d)
		return -1
	}
}

var hexID = regexp.MustCompile(`^[0-9a-f]{40}$`)

func readFile(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	return string(b)
}
