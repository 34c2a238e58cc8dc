package keystore

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestPasswordFromEnvOrFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	const env = "TALLY_TEST_KEYSTORE_PASSWORD"
	tests := []struct {
		name, env, file string
		want            string
		ok              bool
		errMention      string
	}{
		{name: "file", file: write("pw", "from file\n"), want: "from file", ok: true},
		{name: "file wins over env", env: "from env", file: write("pw2", "from file"), want: "from file", ok: true},
		{name: "first line only, CRLF", file: write("pw3", "line one\r\nline two\n"), want: "line one", ok: true},
		{name: "spaces kept", file: write("pw4", "  spaced  \n"), want: "  spaced  ", ok: true},
		{name: "empty file", file: write("empty", ""), errMention: "first line is empty"},
		{name: "empty first line", file: write("nl", "\nsecret\n"), errMention: "first line is empty"},
		{name: "missing file", file: filepath.Join(dir, "missing"), errMention: "read password file"},
		{name: "env", env: "from env", want: "from env", ok: true},
		{name: "neither", ok: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(env, tt.env)
			got, ok, err := PasswordFromEnvOrFile(env, tt.file)
			if tt.errMention != "" {
				if err == nil || !strings.Contains(err.Error(), tt.errMention) {
					t.Fatalf("err = %v, want one mentioning %q", err, tt.errMention)
				}
				return
			}
			if err != nil || ok != tt.ok || got != tt.want {
				t.Fatalf("PasswordFromEnvOrFile = %q, %v, %v; want %q, %v", got, ok, err, tt.want, tt.ok)
			}
		})
	}
}

func TestStaticPassword(t *testing.T) {
	pw := StaticPassword("s3cret-pass")
	for _, create := range []bool{true, false} {
		if got, err := pw("alice", create); got != "s3cret-pass" || err != nil {
			t.Fatalf("StaticPassword = %q, %v", got, err)
		}
	}
}
