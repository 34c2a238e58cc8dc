package cliconv

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
)

// DocCommand is a command line of a program found in documentation.
type DocCommand struct {
	Line int      // line in the document
	Args []string // the arguments after the program's name
	// Summary marks a line that lists alternatives ("init|start|bench")
	// rather than one command with its arguments.
	Summary bool
}

// DocCommands returns the command lines of prog (e.g. "tally") in the
// ```sh blocks of a Markdown document: one per shell command (split at
// ";", "||" and "&&"), with comments, redirections and the brackets of
// optional parts removed, quoted words and <placeholders> kept whole, and
// "go run ./cmd/PROG" or a path ending in /PROG taken as PROG. A word
// "a|b|c" in the command's path gives one command per alternative.
func DocCommands(doc, prog string) []DocCommand {
	var out []DocCommand
	inBlock := false
	sc := bufio.NewScanner(strings.NewReader(doc))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "```") {
			inBlock = !inBlock && strings.HasPrefix(line, "```sh")
			continue
		}
		if !inBlock {
			continue
		}
		for _, words := range shellCommands(line) {
			args, ok := programArgs(words, prog)
			if !ok {
				continue
			}
			out = append(out, expandAlternatives(n, args)...)
		}
	}
	return out
}

// shellCommands splits a shell line into commands of words.
func shellCommands(line string) [][]string {
	var cmds [][]string
	var words []string
	var cur strings.Builder
	inWord, quote, angle := false, rune(0), false
	flush := func() {
		if inWord {
			w := cur.String()
			if !strings.HasPrefix(w, "< ") { // a redirection
				words = append(words, w)
			}
			cur.Reset()
			inWord = false
		}
	}
	end := func() {
		flush()
		if len(words) > 0 {
			cmds = append(cmds, words)
		}
		words = nil
	}
	for _, r := range line {
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
			} else {
				cur.WriteRune(r)
			}
		case angle:
			cur.WriteRune(r)
			angle = r != '>'
		case r == '\'' || r == '"':
			quote, inWord = r, true
		case r == '<' && !inWord:
			angle, inWord = true, true
			cur.WriteRune(r)
		case r == '#' && !inWord:
			end()
			return cmds
		case r == ' ' || r == '\t':
			flush()
		case r == ';':
			end()
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	end()
	// "||" and "&&" separate commands too.
	var split [][]string
	for _, c := range cmds {
		start := 0
		for i, w := range c {
			if w == "||" || w == "&&" {
				split = append(split, c[start:i])
				start = i + 1
			}
		}
		split = append(split, c[start:])
	}
	return split
}

// programArgs returns the arguments of a command of prog, without the
// brackets that mark optional parts.
func programArgs(words []string, prog string) ([]string, bool) {
	switch {
	case len(words) >= 3 && words[0] == "go" && words[1] == "run" && words[2] == "./cmd/"+prog:
		words = words[3:]
	case len(words) >= 1 && (words[0] == prog || strings.HasSuffix(words[0], "/"+prog)):
		words = words[1:]
	default:
		return nil, false
	}
	var args []string
	for _, w := range words {
		if !strings.HasPrefix(w, "<") && !strings.HasPrefix(w, "{") {
			w = strings.Trim(w, "[]")
		}
		if w != "" {
			args = append(args, w)
		}
	}
	return args, true
}

// expandAlternatives turns a word "a|b" of the command's path into one
// command per alternative.
func expandAlternatives(line int, args []string) []DocCommand {
	for i, w := range args {
		if strings.HasPrefix(w, "-") {
			break
		}
		if strings.Contains(w, "|") && !strings.HasPrefix(w, "<") {
			var out []DocCommand
			for _, alt := range strings.Split(w, "|") {
				a := append(append(append([]string{}, args[:i]...), alt), args[i+1:]...)
				out = append(out, DocCommand{Line: line, Args: a, Summary: true})
			}
			return out
		}
	}
	return []DocCommand{{Line: line, Args: args}}
}

// CheckCommandLine resolves args in root's command tree without running
// anything and returns the error the command line would get: an unknown
// command, an unknown flag, or (unless summary) a wrong number of
// arguments. A flag value that does not parse (a placeholder such as H for
// a number) is accepted.
func CheckCommandLine(root *cobra.Command, args []string, summary bool) error {
	cmd, rest, err := root.Find(args)
	if err != nil {
		return err
	}
	if err := cmd.ParseFlags(rest); err != nil {
		if strings.Contains(err.Error(), "invalid argument") {
			return nil
		}
		return err
	}
	if summary && !cmd.HasSubCommands() {
		return nil
	}
	return cmd.ValidateArgs(cmd.Flags().Args())
}

// CheckDocs reads README.md and the Markdown files under docs/ (one level
// of subfolders too) of the repository at root, and checks every command
// line of prog in them against a fresh command tree from newRoot. It
// returns how many lines it checked and one message per line that names a
// command or flag that does not exist, or gives a command the wrong
// arguments ("docs/api.md:12: tally query foo: unknown command ...").
func CheckDocs(root, prog string, newRoot func() *cobra.Command) (int, []string, error) {
	docs, err := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	if err != nil {
		return 0, nil, err
	}
	deeper, err := filepath.Glob(filepath.Join(root, "docs", "*", "*.md"))
	if err != nil {
		return 0, nil, err
	}
	var checked int
	var problems []string
	for _, path := range append(append([]string{filepath.Join(root, "README.md")}, docs...), deeper...) {
		doc, err := os.ReadFile(path)
		if err != nil {
			return 0, nil, err
		}
		rel, _ := filepath.Rel(root, path)
		for _, dc := range DocCommands(string(doc), prog) {
			checked++
			if err := CheckCommandLine(newRoot(), dc.Args, dc.Summary); err != nil {
				problems = append(problems, fmt.Sprintf("%s:%d: %s %s: %v", rel, dc.Line, prog, strings.Join(dc.Args, " "), err))
			}
		}
	}
	return checked, problems, nil
}
