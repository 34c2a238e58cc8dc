// Package cliconv holds the conventions that tally and tallyd share: exit
// statuses, usage errors (a mistyped command, a wrong number of arguments,
// a bad flag) with a "did you mean", and errors printed as one line of
// text or JSON.
//
// Exit statuses:
//
//	0  success
//	1  the command failed (the error says why)
//	2  usage error: the command line itself is wrong
//	3  (tally) a transaction was submitted but is not in a block yet
//
// A command tree passed to Strict reports an unknown subcommand, a wrong
// number of arguments and a bad flag as a *UsageError:
//
//	root := &cobra.Command{Use: "tally", SilenceErrors: true, SilenceUsage: true}
//	root.AddCommand(...)
//	cliconv.Strict(root)
//	err := root.Execute()
//	os.Exit(cliconv.Print(os.Stderr, err, false))
package cliconv

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
)

// Exit statuses of both binaries.
const (
	ExitOK      = 0
	ExitFailure = 1
	ExitUsage   = 2
	ExitPending = 3
)

// UsageError is a command line the command cannot run: exit status 2.
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

// ExitCode is ExitUsage.
func (e *UsageError) ExitCode() int { return ExitUsage }

// Kind is "usage".
func (e *UsageError) Kind() string { return "usage" }

// Usagef formats a usage error.
func Usagef(format string, args ...any) error {
	return &UsageError{Err: fmt.Errorf(format, args...)}
}

// Coded is an error that chooses its exit status and its kind, the short
// name it has in JSON ("usage", "pending", "rejected"...).
type Coded interface {
	error
	ExitCode() int
	Kind() string
}

// Classify returns err's exit status and kind: those of the first Coded
// error in its chain, else ExitFailure and "error".
func Classify(err error) (code int, kind string) {
	if err == nil {
		return ExitOK, ""
	}
	var c Coded
	if errors.As(err, &c) {
		return c.ExitCode(), c.Kind()
	}
	return ExitFailure, "error"
}

// WithKind gives err an exit status and kind.
func WithKind(err error, code int, kind string) error {
	return &codedError{err: err, code: code, kind: kind}
}

type codedError struct {
	err  error
	code int
	kind string
}

func (e *codedError) Error() string { return e.err.Error() }
func (e *codedError) Unwrap() error { return e.err }
func (e *codedError) ExitCode() int { return e.code }
func (e *codedError) Kind() string  { return e.kind }

// Print writes err on w, as "Error: <message>" on one line or, with
// asJSON, as one line {"error":{"code":"<kind>","exit_code":N,"message":"..."}},
// and returns the exit status. A nil err prints nothing and returns 0.
func Print(w io.Writer, err error, asJSON bool) int {
	if err == nil {
		return ExitOK
	}
	code, kind := Classify(err)
	msg := OneLine(err.Error())
	if asJSON {
		b, _ := json.Marshal(map[string]any{"error": map[string]any{"code": kind, "exit_code": code, "message": msg}})
		fmt.Fprintln(w, string(b))
		return code
	}
	fmt.Fprintln(w, "Error: "+msg)
	return code
}

// OneLine folds a multi-line message into one line.
func OneLine(s string) string {
	s = strings.TrimSpace(s)
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == '\r' }), "; ")
}

// Strict makes every command of root's tree report command-line mistakes
// as a *UsageError: an unknown subcommand (with the nearest names, "did you
// mean"), a wrong number of arguments (with the expected form) and a bad
// flag. A group command run without a subcommand prints its help.
func Strict(root *cobra.Command) {
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		if _, ok := errors.AsType[*UsageError](err); ok {
			return err
		}
		return &UsageError{Err: err}
	})
	var walk func(*cobra.Command)
	walk = func(cmd *cobra.Command) {
		if cmd.HasSubCommands() {
			if cmd.SuggestionsMinimumDistance <= 0 {
				cmd.SuggestionsMinimumDistance = 2
			}
			cmd.Args = unknownSubcommand
			if cmd.Run == nil && cmd.RunE == nil {
				cmd.RunE = func(c *cobra.Command, _ []string) error { return c.Help() }
			}
		} else if cmd.Args != nil {
			check := cmd.Args
			cmd.Args = func(c *cobra.Command, args []string) error {
				err := check(c, args)
				if err == nil {
					return nil
				}
				if _, ok := errors.AsType[*UsageError](err); ok {
					return err
				}
				return Usagef("%v; usage: %s", err, strings.TrimSuffix(c.UseLine(), " [flags]"))
			}
		}
		for _, sub := range cmd.Commands() {
			walk(sub)
		}
	}
	walk(root)
}

// unknownSubcommand refuses arguments to a group command: the first one
// is a mistyped subcommand.
func unknownSubcommand(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	msg := fmt.Sprintf("unknown command %q for %q", args[0], cmd.CommandPath())
	if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
		return Usagef("%s; did you mean %s?", msg, quoteOr(s))
	}
	var names []string
	for _, sub := range cmd.Commands() {
		if sub.IsAvailableCommand() {
			names = append(names, sub.Name())
		}
	}
	return Usagef("%s; expected one of: %s", msg, strings.Join(names, ", "))
}

func quoteOr(s []string) string {
	q := make([]string, len(s))
	for i, x := range s {
		q[i] = fmt.Sprintf("%q", x)
	}
	return strings.Join(q, " or ")
}

// Invocation is the command to type to run this program again, for hints
// that show one: "go run ./cmd/NAME" when it runs from Go's build cache
// (started by go run), else the program's name or path as it was typed.
func Invocation(name string) string {
	arg0 := os.Args[0]
	if strings.Contains(filepath.ToSlash(arg0), "/go-build") {
		return "go run ./cmd/" + name
	}
	return arg0
}
