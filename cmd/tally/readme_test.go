package main

import (
	"testing"

	"github.com/spf13/cobra"
	"github.com/tallyledger/tally/cmd/internal/cliconv"
)

// Every tally command line in the README and docs/ names real commands and flags
// and gives each command the arguments it takes.
func TestREADMECommandLines(t *testing.T) {
	n, problems, err := cliconv.CheckDocs("../..", "tally", func() *cobra.Command {
		c := &cli{streams: streams{getenv: func(string) string { return "" }}}
		return c.rootCmd()
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 30 {
		t.Fatalf("found only %d tally command lines in README.md and docs/", n)
	}
	for _, p := range problems {
		t.Error(p)
	}
}
