package main

import (
	"io"
	"os"
)

func main() {
	os.Exit(run(os.Args[1:], newEnv()))
}

// env is what the commands take from the outside world, so that tests can
// run the command tree in-process with their own streams and environment.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
	// executable is the path of the tallyd binary that localnet runs.
	executable func() (string, error)
	// stdinIsTerminal reports whether confirmation prompts can be asked.
	stdinIsTerminal func() bool
}

func newEnv() env {
	return env{
		stdin:           os.Stdin,
		stdout:          os.Stdout,
		stderr:          os.Stderr,
		getenv:          os.Getenv,
		executable:      os.Executable,
		stdinIsTerminal: func() bool { return isTerminal(os.Stdin) },
	}
}

// run executes the command line and returns the process exit code: 0 on
// success, 1 on failure, 2 on a usage error.
func run(args []string, e env) int {
	root := newRootCmd(e)
	root.SetArgs(args)
	return reportError(root.Execute(), e.stderr)
}
