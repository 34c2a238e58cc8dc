package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tallyledger/tally/cmd/internal/cliconv"
)

// Every tally command line in the README and docs/ names real commands and flags
// and gives each command the arguments it takes.
func TestREADMECommandLines(t *testing.T) {
	docs, _ := filepath.Glob("../../docs/*.md")
	deeper, _ := filepath.Glob("../../docs/*/*.md")
	docs = append(docs, deeper...)
	var cmds []cliconv.DocCommand
	var files []string
	for _, path := range append([]string{"../../README.md"}, docs...) {
		doc, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, dc := range cliconv.DocCommands(string(doc), "tally") {
			cmds = append(cmds, dc)
			files = append(files, filepath.Base(path))
		}
	}
	if len(cmds) < 30 {
		t.Fatalf("found only %d tally command lines in README.md and docs/", len(cmds))
	}
	for i, dc := range cmds {
		c := &cli{streams: streams{getenv: func(string) string { return "" }}}
		if err := cliconv.CheckCommandLine(c.rootCmd(), dc.Args, dc.Summary); err != nil {
			t.Errorf("%s:%d: tally %s: %v", files[i], dc.Line, strings.Join(dc.Args, " "), err)
		}
	}
}
