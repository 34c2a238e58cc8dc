package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tallyledger/tally/internal/testutil"
	"github.com/tallyledger/tally/localnet"
)

// Binaries built once by TestMain for the end-to-end tests, and the
// localnet they share.
var (
	tallyBin, tallydBin string
	shared              struct {
		once sync.Once
		root string // the localnet's directory, removed by TestMain
		net  *localnet.Net
		err  error
	}
)

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	bins, err := testutil.Build(testutil.Tally, testutil.Tallyd)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer bins.Remove()
	tallyBin, tallydBin = bins.Path(testutil.Tally), bins.Path(testutil.Tallyd)
	code := m.Run()
	if shared.net != nil {
		if err := shared.net.Stop(); err != nil {
			fmt.Fprintf(os.Stderr, "stop localnet: %v\n", err)
			code = 1
		}
	}
	if shared.root != "" {
		os.RemoveAll(shared.root)
	}
	return code
}

// sharedNet starts, once for the whole package, a four-validator localnet
// on free ports; TestMain stops it.
func sharedNet(t *testing.T) *localnet.Net {
	t.Helper()
	shared.once.Do(func() { shared.net, shared.err = startLocalnet() })
	if shared.err != nil {
		t.Fatalf("localnet: %v", shared.err)
	}
	return shared.net
}

func startLocalnet() (*localnet.Net, error) {
	root, err := os.MkdirTemp("", "tally-cli-localnet-") // shared by the tests: TestMain removes it
	if err != nil {
		return nil, err
	}
	shared.root = root
	// Another process can take a port between its probe and a node's use
	// of it: StartOnFreePorts then tries other ports.
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
	defer cancel()
	return localnet.StartOnFreePorts(ctx, filepath.Join(root, "net"), localnet.Options{Validators: 4, Binary: tallydBin}, 3)
}

// cliRun is the outcome of one run of the tally binary.
type cliRun struct {
	args           []string
	code           int
	stdout, stderr string
}

func (r cliRun) String() string {
	return fmt.Sprintf("tally %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(r.args, " "), r.code, r.stdout, r.stderr)
}

// tally runs the wallet binary with a bounded time and no TALLY_* settings
// from the environment.
func tally(t *testing.T, env []string, args ...string) cliRun {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, tallyBin, args...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "TALLY_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	r := cliRun{args: args, stdout: out.String(), stderr: errb.String()}
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit):
		r.code = exit.ExitCode()
	default:
		t.Fatalf("run tally %s: %v", strings.Join(args, " "), err)
	}
	return r
}

// tallyOK runs the wallet and fails the test unless it exits 0.
func tallyOK(t *testing.T, env []string, args ...string) cliRun {
	t.Helper()
	r := tally(t, env, args...)
	if r.code != 0 {
		t.Fatalf("%s", r)
	}
	return r
}

// tallyFails runs the wallet and checks that it fails with one error line
// containing want.
func tallyFails(t *testing.T, env []string, want string, args ...string) string {
	t.Helper()
	r := tally(t, env, args...)
	line := checkFailure(t, result{code: r.code, stdout: r.stdout, stderr: r.stderr}, want, args)
	t.Logf("tally %s\n\t%s", strings.Join(args, " "), line)
	return line
}
