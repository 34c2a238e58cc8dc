package client

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWalletConfigSet(t *testing.T) {
	tests := []struct {
		key, value string
		want       string // the stored value; "" with wantErr
		wantErr    string
	}{
		{"node", "http://10.0.0.5:26657", "http://10.0.0.5:26657", ""},
		{"node", "10.0.0.5:26657", "http://10.0.0.5:26657", ""},
		{"node", "tcp://10.0.0.5:26657/", "http://10.0.0.5:26657", ""},
		{"node", "ftp://10.0.0.5", "", `bad value for node: bad node URL "ftp://10.0.0.5"`},
		{"api", "http://10.0.0.5:26659", "http://10.0.0.5:26659", ""},
		{"api", "http://", "", "bad value for api"},
		{"chain-id", "tally-1", "tally-1", ""},
		{"chain-id", "a b", "", "no spaces"},
		{"chain-id", strings.Repeat("c", 51), "", "1 to 50 characters"},
		{"output", "json", "json", ""},
		{"output", "yaml", "", `bad value for output: "yaml": expected text or json`},
		{"colour", "red", "", `unknown config key "colour", expected one of node, api, chain-id, output`},
	}
	for _, tt := range tests {
		t.Run(tt.key+"="+tt.value, func(t *testing.T) {
			var c WalletConfig
			err := c.Set(tt.key, tt.value)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Set error = %v, want %q", err, tt.wantErr)
				}
				if c != (WalletConfig{}) {
					t.Fatalf("a refused value changed the config: %+v", c)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			k, _ := LookupWalletConfigKey(tt.key)
			if got := k.Get(&c); got != tt.want {
				t.Fatalf("stored %q, want %q", got, tt.want)
			}
			if err := c.Set(tt.key, ""); err != nil || k.Get(&c) != "" {
				t.Fatalf("unset: %v, left %q", err, k.Get(&c))
			}
		})
	}
}

func TestWalletConfigSaveLoad(t *testing.T) {
	home := filepath.Join(t.TempDir(), "wallet") // created by Save
	c, err := LoadWalletConfig(home)
	if err != nil || *c != (WalletConfig{}) {
		t.Fatalf("a home without a config: %+v, %v", c, err)
	}
	want := WalletConfig{Node: "http://127.0.0.1:31657", API: "http://127.0.0.1:31659", ChainID: "tally-localnet", Output: "json"}
	if err := SaveWalletConfig(home, &want); err != nil {
		t.Fatal(err)
	}
	got, err := LoadWalletConfig(home)
	if err != nil || *got != want {
		t.Fatalf("loaded %+v, %v; want %+v", got, err, want)
	}
	data, err := os.ReadFile(WalletConfigPath(home))
	if err != nil || !strings.Contains(string(data), `"chain-id": "tally-localnet"`) {
		t.Fatalf("file %s, %v", data, err)
	}
	entries, _ := os.ReadDir(home)
	if len(entries) != 1 {
		t.Fatalf("the home holds %d files after a save, want only the config (no temporary file left)", len(entries))
	}
	if err := SaveWalletConfig(home, &WalletConfig{Output: "xml"}); err == nil {
		t.Fatal("saved an invalid config")
	}
	if got, _ := LoadWalletConfig(home); *got != want {
		t.Fatalf("a refused save changed the file: %+v", got)
	}
}

func TestLoadWalletConfigRejects(t *testing.T) {
	tests := map[string]string{
		`{"node":"http://a:1","nodes":["x"]}`: `unknown field "nodes"`,
		`{"output":"yaml"}`:                   "bad value for output",
		`{"node":`:                            "unexpected EOF",
		`{"node":"http://a:1"} {}`:            "trailing data",
	}
	for content, want := range tests {
		home := t.TempDir()
		if err := os.WriteFile(WalletConfigPath(home), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := LoadWalletConfig(home)
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), WalletConfigPath(home)) {
			t.Errorf("%s: error %v, want it to name the file and %q", content, err, want)
		}
	}
}
