package cliconv

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

func TestPrint(t *testing.T) {
	tests := []struct {
		err      error
		json     bool
		code     int
		contains string
	}{
		{nil, false, 0, ""},
		{errors.New("disk full\nsecond line"), false, 1, "Error: disk full; second line\n"},
		{Usagef("bad %s", "flag"), false, 2, "Error: bad flag\n"},
		{fmt.Errorf("wrapped: %w", WithKind(errors.New("x"), 3, "pending")), true, 3, `{"error":{"code":"pending","exit_code":3,"message":"wrapped: x"}}`},
		{errors.New("plain"), true, 1, `"code":"error"`},
	}
	for _, tt := range tests {
		var b bytes.Buffer
		if code := Print(&b, tt.err, tt.json); code != tt.code || !strings.Contains(b.String(), tt.contains) || strings.Count(b.String(), "\n") > 1 {
			t.Errorf("Print(%v, json=%v) = %d %q, want %d containing %q", tt.err, tt.json, code, b.String(), tt.code, tt.contains)
		}
		if tt.json && tt.err != nil && !json.Valid(b.Bytes()) {
			t.Errorf("not JSON: %q", b.String())
		}
	}
}

func TestStrict(t *testing.T) {
	root := &cobra.Command{Use: "prog", SilenceErrors: true, SilenceUsage: true}
	root.CompletionOptions.DisableDefaultCmd = true
	group := &cobra.Command{Use: "keys"}
	group.AddCommand(&cobra.Command{Use: "list", Args: cobra.NoArgs, RunE: func(*cobra.Command, []string) error { return nil }})
	root.AddCommand(group, &cobra.Command{Use: "send <a> <b>", Args: cobra.ExactArgs(2), RunE: func(*cobra.Command, []string) error { return nil }})
	Strict(root)
	tests := []struct {
		args []string
		want string // "" for success
	}{
		{[]string{"keys", "list"}, ""},
		{[]string{"keys"}, ""},
		{[]string{"keys", "lst"}, `unknown command "lst" for "prog keys"; did you mean "list"?`},
		{[]string{"kyes"}, `did you mean "keys"?`},
		{[]string{"zzzzzz"}, `expected one of: keys, send`},
		{[]string{"send", "x"}, "usage: prog send <a> <b>"},
		{[]string{"send", "--nope"}, "unknown flag: --nope"},
	}
	for _, tt := range tests {
		root.SetArgs(tt.args)
		root.SetOut(&bytes.Buffer{})
		err := root.Execute()
		if tt.want == "" {
			if err != nil {
				t.Errorf("%v: %v", tt.args, err)
			}
			continue
		}
		code, kind := Classify(err)
		if code != ExitUsage || kind != "usage" || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: error %v (exit %d, %s), want a usage error containing %q", tt.args, err, code, kind, tt.want)
		}
	}
}

func TestDocCommands(t *testing.T) {
	doc := "text\n```sh\n" +
		"go run ./cmd/prog --home x keys list   # a comment; not a command\n" +
		"prog keys lst; other keys list\n" +
		"  ./bin/prog send \"a b\" <some placeholder> [--nope V] || prog send x < in.txt\n" +
		"prog keys list|lst\n" +
		"```\nprog keys outside\n"
	got := DocCommands(doc, "prog")
	want := []string{
		"3:--home x keys list",
		"4:keys lst",
		"5:send a b <some placeholder> --nope V",
		"5:send x",
		"6:keys list (summary)",
		"6:keys lst (summary)",
	}
	var have []string
	for _, c := range got {
		s := fmt.Sprintf("%d:%s", c.Line, strings.Join(c.Args, " "))
		if c.Summary {
			s += " (summary)"
		}
		have = append(have, s)
	}
	if strings.Join(have, "\n") != strings.Join(want, "\n") {
		t.Fatalf("DocCommands:\n%s\nwant:\n%s", strings.Join(have, "\n"), strings.Join(want, "\n"))
	}

	newRoot := func() *cobra.Command {
		root := &cobra.Command{Use: "prog"}
		root.PersistentFlags().String("home", "", "")
		keys := &cobra.Command{Use: "keys"}
		keys.AddCommand(&cobra.Command{Use: "list", Args: cobra.NoArgs, Run: func(*cobra.Command, []string) {}})
		root.AddCommand(keys, &cobra.Command{Use: "send", Args: cobra.ExactArgs(2), Run: func(*cobra.Command, []string) {}})
		Strict(root)
		return root
	}
	wantErr := []string{"", "did you mean", "unknown flag: --nope", "usage: prog send", "", "did you mean"}
	for i, c := range got {
		err := CheckCommandLine(newRoot(), c.Args, c.Summary)
		if (err == nil) != (wantErr[i] == "") || (err != nil && !strings.Contains(err.Error(), wantErr[i])) {
			t.Errorf("%s: err = %v, want %q", have[i], err, wantErr[i])
		}
	}
}
