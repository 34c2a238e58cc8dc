package main

import (
	"strings"
	"testing"

	"github.com/tallyledger/tally/client"
)

// TestConfigPrecedence checks flag > environment > config file > default
// for every key, and that commands use the value in effect.
func TestConfigPrecedence(t *testing.T) {
	w := newWallet(t)
	get := func(key string, extra ...string) setting {
		t.Helper()
		var s setting
		decodeJSON(t, w.ok(append([]string{"config", "get", key, "--output", "json"}, extra...)...).stdout, &s)
		return s
	}
	if s := get("node"); s.Value != client.DefaultNodeURL || s.Source != "default" {
		t.Fatalf("node with nothing set: %+v", s)
	}
	if s := get("output"); s.Value != "json" || s.Source != "flag" {
		t.Fatalf("output from the flag: %+v", s)
	}

	configured := closedPort(t)
	if out := w.ok("config", "set", "node", configured).stdout; !strings.Contains(out, "node = "+configured) {
		t.Fatalf("config set printed %q", out)
	}
	w.ok("config", "set", "chain-id", "tally-test")
	w.ok("config", "set", "output", "json")
	if s := get("node"); s.Value != configured || s.Source != "config" {
		t.Fatalf("node from the config: %+v", s)
	}
	// A command goes to the configured node.
	w.fails("cannot reach node "+configured, "status", "--output", "text")
	// ... and with the configured output, its error is JSON.
	if r := w.run("status"); r.code == 0 || !strings.HasPrefix(r.stderr, `{"error":`) {
		t.Fatalf("status with output json in the config: exit %d, stderr %s", r.code, r.stderr)
	}
	var all struct {
		File     string    `json:"file"`
		Settings []setting `json:"settings"`
	}
	decodeJSON(t, w.ok("config").stdout, &all)
	if all.File != client.WalletConfigPath(w.home) || len(all.Settings) != len(client.WalletConfigKeys) {
		t.Fatalf("config shows %+v", all)
	}

	fromEnv := closedPort(t)
	w.env[envNode] = fromEnv
	w.env[envChainID] = "tally-env"
	if s := get("node"); s.Value != fromEnv || s.Source != "env $TALLY_NODE" {
		t.Fatalf("node from the environment: %+v", s)
	}
	if s := get("chain-id"); s.Value != "tally-env" {
		t.Fatalf("chain-id from the environment: %+v", s)
	}
	fromFlag := closedPort(t)
	if s := get("node", "--node", fromFlag); s.Value != fromFlag || s.Source != "flag" {
		t.Fatalf("node from the flag: %+v", s)
	}
	w.fails("cannot reach node "+fromFlag, "status", "--node", fromFlag, "--output", "text")

	// --output text wins over the config's json.
	if out := w.ok("config", "get", "output", "--output", "text").stdout; out != "text\n" {
		t.Fatalf("config get output = %q", out)
	}
	// Unset: back to the default.
	w.ok("config", "set", "output", "")
	if out := w.ok("config", "get", "output").stdout; out != "text\n" {
		t.Fatalf("output after unset = %q, want the default", out)
	}
}

func TestConfigRejects(t *testing.T) {
	w := newWallet(t)
	w.fails(`unknown config key "colour", expected one of node, api, chain-id, output`, "config", "set", "colour", "red")
	w.fails(`unknown config key "colour"`, "config", "get", "colour")
	w.fails(`bad value for output: "yaml": expected text or json`, "config", "set", "output", "yaml")
	w.fails(`bad value for node: bad node URL "ftp://x"`, "config", "set", "node", "ftp://x")
	w.fails("no spaces", "config", "set", "chain-id", "a b")
	w.env[envOutput] = "xml"
	w.fails(`bad $TALLY_OUTPUT "xml": expected text or json`, "config")
}

// TestConfigNodeOverride: an API address and chain ID remembered for the
// configured node do not apply to a node given by flag or environment.
func TestConfigNodeOverride(t *testing.T) {
	w := newWallet(t)
	w.ok("config", "set", "node", "http://127.0.0.1:31657")
	w.ok("config", "set", "api", "http://127.0.0.1:31659")
	w.ok("config", "set", "chain-id", "tally-a")
	get := func(key string, extra ...string) setting {
		t.Helper()
		var s setting
		decodeJSON(t, w.ok(append([]string{"config", "get", key, "--output", "json"}, extra...)...).stdout, &s)
		return s
	}
	if s := get("api"); s.Value != "http://127.0.0.1:31659" || s.Source != "config" {
		t.Fatalf("api with the configured node: %+v", s)
	}
	other := []string{"--node", "http://127.0.0.1:41657"}
	if s := get("api", other...); s.Value != "" || !strings.HasPrefix(s.Source, "default") {
		t.Fatalf("api with --node: %+v, want the default (derived from --node)", s)
	}
	if s := get("chain-id", other...); s.Value != "" {
		t.Fatalf("chain-id with --node: %+v, want the node's", s)
	}
	// Both given at the same level: both apply.
	if s := get("api", "--node", "http://127.0.0.1:41657", "--api", "http://127.0.0.1:41000"); s.Value != "http://127.0.0.1:41000" {
		t.Fatalf("api with --node and --api: %+v", s)
	}
	w.env[envNode] = "http://127.0.0.1:41657"
	if s := get("api"); s.Value != "" {
		t.Fatalf("api with $TALLY_NODE: %+v, want the default", s)
	}
	w.env[envAPI] = "http://127.0.0.1:41000"
	if s := get("api"); s.Value != "http://127.0.0.1:41000" {
		t.Fatalf("api with $TALLY_NODE and $TALLY_API: %+v", s)
	}
}
