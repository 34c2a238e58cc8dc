package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// The tallyd executable built from this package, for the tests that run
// the command as a user does (its own name in messages, its own process).
var built struct {
	once sync.Once
	dir  string
	path string
	err  error
}

// tallydBinary builds tallyd once per test run and returns its path.
func tallydBinary(t *testing.T) string {
	t.Helper()
	built.once.Do(func() {
		if built.dir, built.err = os.MkdirTemp("", "tallyd-bin-"); built.err != nil {
			return
		}
		built.path = filepath.Join(built.dir, "tallyd")
		out, err := exec.Command("go", "build", "-o", built.path, ".").CombinedOutput()
		if err != nil {
			built.err = errors.New("go build: " + err.Error() + "\n" + string(out))
		}
	})
	if built.err != nil {
		t.Fatal(built.err)
	}
	return built.path
}

// removeBuilt deletes the built binary; TestMain calls it.
func removeBuilt() {
	if built.dir != "" {
		os.RemoveAll(built.dir)
	}
}

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
func startBinary(t *testing.T, args ...string) (*exec.Cmd, *syncBuffer, *syncBuffer, <-chan struct{}) {
	t.Helper()
	cmd := exec.Command(tallydBinary(t), args...)
	cmd.Env = cleanEnv()
	out, errb := &syncBuffer{}, &syncBuffer{}
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
