package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tallyledger/tally/crypto"
	"github.com/tallyledger/tally/genesis"
)

func TestVersion(t *testing.T) {
	r := runInProcess(t, "version").wantOK(t)
	for _, want := range []string{"tallyd ", "cometbft 0.39.4", "abci 2.0.0", "signatures verified with " + crypto.VerifierBackend} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("version output %q lacks %q", r.stdout, want)
		}
	}
}

func TestInitAndIdentity(t *testing.T) {
	home := filepath.Join(t.TempDir(), "home")
	r := runInProcess(t, "init", "val-1", "--home", home, "--chain-id", "tally-test", "--base-port", "31000").wantOK(t)
	if !strings.Contains(r.stdout, "tally-test") {
		t.Errorf("init output lacks the chain ID:\n%s", r.stdout)
	}

	id := strings.TrimSpace(runInProcess(t, "show-node-id", "--home", home).wantOK(t).stdout)
	if !hexID.MatchString(id) {
		t.Fatalf("show-node-id printed %q, want 40 hex digits", id)
	}
	if !strings.Contains(r.stdout, id) {
		t.Errorf("init output does not show node ID %s", id)
	}

	var shown struct {
		Address string `json:"address"`
		PubKey  struct {
			Type  string `json:"type"`
			Value string `json:"value"`
		} `json:"pub_key"`
	}
	out := runInProcess(t, "show-validator", "--home", home).wantOK(t).stdout
	if err := json.Unmarshal([]byte(out), &shown); err != nil {
		t.Fatalf("show-validator printed %q: %v", out, err)
	}
	if shown.PubKey.Type != "tendermint/PubKeyEd25519" || len(shown.Address) != 40 {
		t.Errorf("show-validator = %+v", shown)
	}

	doc, _, err := readGenesis(filepath.Join(home, "config", "genesis.json"))
	if err != nil {
		t.Fatal(err)
	}
	if doc.ChainID != "tally-test" || len(doc.Validators) != 1 || doc.Validators[0].Address.String() != shown.Address {
		t.Errorf("genesis chain %s validators %v, want tally-test with validator %s", doc.ChainID, doc.Validators, shown.Address)
	}

	// A home is never initialized twice.
	runInProcess(t, "init", "val-1", "--home", home).wantError(t, 1, "already initialized")
	// Commands on a home that does not exist say so.
	runInProcess(t, "show-node-id", "--home", filepath.Join(t.TempDir(), "none")).wantError(t, 1, "tallyd init")
	runInProcess(t, "init", " ", "--home", filepath.Join(t.TempDir(), "x")).wantError(t, 1, "moniker")
}

func TestHomeFromEnvironment(t *testing.T) {
	home := filepath.Join(t.TempDir(), "envhome")
	e := env{getenv: func(k string) string {
		if k == EnvHome {
			return home
		}
		return ""
	}}
	if got := defaultHome(e); got != home {
		t.Fatalf("defaultHome with %s=%s is %s", EnvHome, home, got)
	}
	e.getenv = func(string) string { return "" }
	if got := defaultHome(e); !strings.HasSuffix(got, ".tallyd") {
		t.Fatalf("defaultHome without %s is %s, want ~/.tallyd", EnvHome, got)
	}
}

func TestGenesisCommands(t *testing.T) {
	home := filepath.Join(t.TempDir(), "home")
	runInProcess(t, "init", "val-1", "--home", home, "--chain-id", "g-test").wantOK(t)
	other := filepath.Join(t.TempDir(), "other")
	runInProcess(t, "init", "val-2", "--home", other, "--chain-id", "g-test").wantOK(t)
	otherVal := strings.TrimSpace(runInProcess(t, "show-validator", "--home", other).wantOK(t).stdout)
	otherID := strings.TrimSpace(runInProcess(t, "show-node-id", "--home", other).wantOK(t).stdout)

	admin, alice := newAddress(t), newAddress(t)
	h := []string{"--home", home}
	steps := [][]string{
		{"genesis", "add-account", admin, "--role", "admin"},
		{"genesis", "add-account", alice, "--name", "alice"},
		{"genesis", "add-asset", "TALLY", "--issuer", admin},
		{"genesis", "add-balance", alice, "1000TALLY"},
		{"genesis", "add-balance", alice, "500TALLY"},
		{"genesis", "add-validator", otherVal, "--name", "val-2", "--power", "5"},
		{"genesis", "allow-node", otherID},
		{"genesis", "set-threshold", "1"},
	}
	for _, s := range steps {
		runInProcess(t, append(s, h...)...).wantOK(t)
	}
	r := runInProcess(t, append([]string{"genesis", "validate"}, h...)...).wantOK(t)
	if !strings.Contains(r.stdout, "2 validators, 2 accounts, 1 assets, 2 allowed nodes") {
		t.Errorf("validate output: %s", r.stdout)
	}
	doc, st, err := genesis.Load(filepath.Join(home, "config", "genesis.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Balances) != 1 || st.Balances[0].Amount != "1500" {
		t.Errorf("balances %+v, want alice with 1500", st.Balances)
	}
	if st.Accounts[1].Name != "alice" || st.Accounts[0].Name != "" {
		t.Errorf("account names %q, %q, want \"\" and alice", st.Accounts[0].Name, st.Accounts[1].Name)
	}
	if doc.Validators[1].Name != "val-2" || doc.Validators[1].Power != 5 {
		t.Errorf("added validator %+v", doc.Validators[1])
	}

	exported := runInProcess(t, append([]string{"genesis", "export"}, h...)...).wantOK(t).stdout
	onDisk, err := os.ReadFile(filepath.Join(home, "config", "genesis.json"))
	if err != nil {
		t.Fatal(err)
	}
	if exported != string(onDisk) {
		t.Error("genesis export differs from the genesis file")
	}
	out := filepath.Join(t.TempDir(), "g.json")
	runInProcess(t, append([]string{"genesis", "export", "-o", out}, h...)...).wantOK(t)
	runInProcess(t, "genesis", "validate", out).wantOK(t)

	errs := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"duplicate account", []string{"genesis", "add-account", alice}, 1, "already"},
		{"bad address", []string{"genesis", "add-account", "tally1nope"}, 1, "invalid address"},
		{"unknown role", []string{"genesis", "add-account", newAddress(t), "--role", "king"}, 1, "unknown role"},
		{"name taken", []string{"genesis", "add-account", newAddress(t), "--name", "alice"}, 1, "already the name of"},
		{"bad name", []string{"genesis", "add-account", newAddress(t), "--name", "a b"}, 1, "character ' '"},
		{"balance of a stranger", []string{"genesis", "add-balance", newAddress(t), "5TALLY"}, 1, "not a genesis account"},
		{"balance of an unknown asset", []string{"genesis", "add-balance", alice, "5GOLD"}, 1, "GOLD"},
		{"amount without asset", []string{"genesis", "add-balance", alice, "500"}, 1, "expected digits followed by the asset"},
		{"issuer not registered", []string{"genesis", "add-asset", "GOLD", "--issuer", newAddress(t)}, 1, "not a genesis account"},
		{"asset without issuer", []string{"genesis", "add-asset", "GOLD"}, 2, "--issuer is required"},
		{"bad node id", []string{"genesis", "allow-node", "xyz"}, 1, "xyz"},
		{"bad validator key", []string{"genesis", "add-validator", "not-a-key"}, 1, "expected the output of tallyd show-validator"},
		{"duplicate validator", []string{"genesis", "add-validator", otherVal}, 1, "already in genesis"},
		{"zero threshold", []string{"genesis", "set-threshold", "0"}, 2, "positive"},
	}
	for _, tt := range errs {
		t.Run(tt.name, func(t *testing.T) {
			runInProcess(t, append(tt.args, h...)...).wantError(t, tt.code, tt.want)
		})
	}

	// An invalid genesis: validate names the problem on one line, export
	// refuses it.
	runInProcess(t, append([]string{"genesis", "set-threshold", "3"}, h...)...).wantOK(t)
	runInProcess(t, append([]string{"genesis", "validate"}, h...)...).wantError(t, 1, "threshold")
	runInProcess(t, append([]string{"genesis", "export"}, h...)...).wantError(t, 1, "invalid genesis")
}

// Usage errors are one line on stderr with exit status 2, with the nearest
// command names for a mistyped one, and no second "--help" line.
func TestUsageErrors(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"start", "--bogus"}, "unknown flag: --bogus"},
		{[]string{"init"}, "expects 1 argument"},
		{[]string{"init", "a", "b"}, "expects 1 argument"},
		{[]string{"frobnicate"}, `unknown command "frobnicate" for "tallyd"; expected one of: `},
		{[]string{"genesis", "frob"}, `unknown command "frob"`},
		{[]string{"genesis", "valdate"}, `unknown command "valdate" for "tallyd genesis"; did you mean "validate"?`},
		{[]string{"localnet", "strt"}, `did you mean "start"?`},
		{[]string{"localnet", "start", "--validators", "x"}, "invalid argument"},
		{[]string{"localnet", "start", "--validators", "0"}, "--validators 0"},
		{[]string{"start", "--log-format", "xml"}, "--log-format"},
		{[]string{"version", "extra"}, "takes no arguments"},
		{[]string{"genesis", "add-balance", "x"}, "expects 2 argument"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			runInProcess(t, tt.args...).wantError(t, 2, tt.want)
		})
	}
}

func TestResetNeedsConfirmation(t *testing.T) {
	home := initHome(t, freeBase(t))
	// Without a terminal and without --yes, nothing is deleted.
	runInProcess(t, "reset", "--home", home).wantError(t, 1, "--yes")
	runInProcess(t, "reset", "--home", home, "--yes").wantOK(t)
	for _, f := range []string{"config/genesis.json", "config/node_key.json", "config/priv_validator_key.json", "config/config.toml"} {
		if _, err := os.Stat(filepath.Join(home, f)); err != nil {
			t.Errorf("reset removed %s: %v", f, err)
		}
	}
	runInProcess(t, "reset", "--home", filepath.Join(t.TempDir(), "none"), "--yes").wantError(t, 1, "tallyd init")
}

func TestSplitAmount(t *testing.T) {
	tests := []struct {
		in, amount, asset string
		ok                bool
	}{
		{"1000TALLY", "1000", "TALLY", true},
		{"1TALLY2", "1", "TALLY2", true},
		{"TALLY", "", "", false},
		{"1000", "", "", false},
		{"", "", "", false},
		{"99999999999999999999999TALLY", "", "", false},
	}
	for _, tt := range tests {
		amount, asset, err := splitAmount(tt.in)
		if (err == nil) != tt.ok || amount != tt.amount || asset != tt.asset {
			t.Errorf("splitAmount(%q) = %q, %q, %v", tt.in, amount, asset, err)
		}
	}
}
