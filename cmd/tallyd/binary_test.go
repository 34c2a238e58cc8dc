package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tallyledger/tally/internal/testutil"
)

// The tallyd executable built from this package, for the tests that run
// the command as a user does (its own name in messages, its own process).
var built struct {
	once sync.Once
	bins *testutil.Binaries
	err  error
}

// tallydBinary builds tallyd once per test run and returns its path.
func tallydBinary(t *testing.T) string {
	t.Helper()
	built.once.Do(func() { built.bins, built.err = testutil.Build(testutil.Tallyd) })
	if built.err != nil {
		t.Fatal(built.err)
	}
	return built.bins.Path(testutil.Tallyd)
}

// removeBuilt deletes the built binary; TestMain calls it.
func removeBuilt() { built.bins.Remove() }

// runBinary runs the built tallyd to completion with stdin (not a
// terminal) and no TALLYD_* settings from the environment.
func runBinary(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, tallydBinary(t), args...)
	cmd.Env = cleanEnv()
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return result{code: code, stdout: out.String(), stderr: errb.String()}
}

// startBinary starts the built tallyd and returns it with its combined
// output and a channel closed when it exits; the process is killed at the
// end of the test if still running.
func startBinary(t *testing.T, args ...string) (*exec.Cmd, *testutil.SyncBuffer, *testutil.SyncBuffer, <-chan struct{}) {
	t.Helper()
	cmd := exec.Command(tallydBinary(t), args...)
	cmd.Env = cleanEnv()
	out, errb := &testutil.SyncBuffer{}, &testutil.SyncBuffer{}
	cmd.Stdout, cmd.Stderr = out, errb
	return cmd, out, errb, startWatched(t, cmd)
}

func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "TALLYD_") && !strings.HasPrefix(kv, "TALLY_") {
			env = append(env, kv)
		}
	}
	return env
}
