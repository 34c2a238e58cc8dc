package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tallyledger/tally/cmd/internal/cliconv"
)

// Every tallyd command line in the README and docs/ names real commands and flags
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
		for _, dc := range cliconv.DocCommands(string(doc), "tallyd") {
			cmds = append(cmds, dc)
			files = append(files, filepath.Base(path))
		}
	}
	if len(cmds) < 20 {
		t.Fatalf("found only %d tallyd command lines in README.md and docs/", len(cmds))
	}
	for i, dc := range cmds {
		e := env{stdin: strings.NewReader(""), stdout: &strings.Builder{}, stderr: &strings.Builder{},
			getenv: func(string) string { return "" }, executable: os.Executable, stdinIsTerminal: func() bool { return false }}
		if err := cliconv.CheckCommandLine(newRootCmd(e), dc.Args, dc.Summary); err != nil {
			t.Errorf("%s:%d: tallyd %s: %v", files[i], dc.Line, strings.Join(dc.Args, " "), err)
		}
	}
}
