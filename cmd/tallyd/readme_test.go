package main

import (
	"os"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/tallyledger/tally/cmd/internal/cliconv"
)

// Every tallyd command line in the README and docs/ names real commands and flags
// and gives each command the arguments it takes.
func TestREADMECommandLines(t *testing.T) {
	n, problems, err := cliconv.CheckDocs("../..", "tallyd", func() *cobra.Command {
		return newRootCmd(env{stdin: strings.NewReader(""), stdout: &strings.Builder{}, stderr: &strings.Builder{},
			getenv: func(string) string { return "" }, executable: os.Executable, stdinIsTerminal: func() bool { return false }})
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 20 {
		t.Fatalf("found only %d tallyd command lines in README.md and docs/", n)
	}
	for _, p := range problems {
		t.Error(p)
	}
}
