package genesis

import (
	"crypto/sha256"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/cometbft/cometbft/crypto/ed25519"
	cmttypes "github.com/cometbft/cometbft/types"

	"github.com/tallyledger/tally/crypto"
	"github.com/tallyledger/tally/ledger"
)

func addr(name string) string {
	seed := sha256.Sum256([]byte(name))
	k, err := crypto.PrivKeyFromBytes(seed[:])
	if err != nil {
		panic(err)
	}
	return k.PubKey().Address().String()
}

var (
	admin  = addr("admin")
	alice  = addr("alice")
	bob    = addr("bob")
	nodeID = strings.Repeat("0a", 20)
)

// state builds a valid app state step by step, as `tallyd genesis` does.
func state(t *testing.T) *AppState {
	t.Helper()
	s := Default()
	must(t, s.AddAccount(admin, "admin"))
	must(t, s.AddAccount(alice))
	must(t, s.AddAsset("TALLY", admin))
	must(t, s.AddBalance(alice, "TALLY", "1000"))
	must(t, s.AddBalance(alice, "TALLY", "5"))
	must(t, s.AllowNode(nodeID))
	return s
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestMutatorsBuildAValidState(t *testing.T) {
	s := state(t)
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	if got := s.Accounts[0].Roles; strings.Join(got, ",") != "admin,issuer,member" {
		t.Fatalf("admin's roles %v, want admin,issuer,member (add-asset grants issuer)", got)
	}
	if len(s.Balances) != 1 || s.Balances[0].Amount != "1005" {
		t.Fatalf("balances %+v, want one of 1005", s.Balances)
	}
	raw, err := s.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	var shape map[string]any
	must(t, json.Unmarshal(raw, &shape))
	for _, k := range []string{"params", "accounts", "assets", "balances", "allowed_nodes"} {
		if _, ok := shape[k]; !ok {
			t.Fatalf("JSON lacks %q: %s", k, raw)
		}
	}
	if !strings.Contains(string(raw), `"admin_threshold": 1`) || !strings.Contains(string(raw), `"amount": "1005"`) {
		t.Fatalf("JSON shape: %s", raw)
	}
	back, err := Parse(raw)
	if err != nil || back.Balances[0].Amount != "1005" {
		t.Fatalf("Parse: %v", err)
	}
}

func TestMutatorRejections(t *testing.T) {
	s := state(t)
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"duplicate account", s.AddAccount(alice), "already in genesis"},
		{"bad address", s.AddAccount("tally1xyz"), "invalid address"},
		{"unknown role", s.AddAccount(bob, "king"), `unknown role "king"`},
		{"duplicate asset", s.AddAsset("TALLY", admin), "already in genesis"},
		{"bad symbol", s.AddAsset("t", admin), "2 to 12 characters"},
		{"issuer not registered", s.AddAsset("USD", bob), "add it first"},
		{"balance of unknown account", s.AddBalance(bob, "TALLY", "1"), "not a genesis account"},
		{"balance of unknown asset", s.AddBalance(alice, "EUR", "1"), "asset EUR is not in genesis"},
		{"zero balance", s.AddBalance(alice, "TALLY", "0"), "amount is 0"},
		{"negative amount", s.AddBalance(alice, "TALLY", "-1"), "not a decimal number"},
		{"leading zero", s.AddBalance(alice, "TALLY", "01"), "leading zeros"},
		{"overflow", s.AddBalance(alice, "TALLY", "18446744073709551615"), "would overflow"},
		{"amount too big", s.AddBalance(alice, "TALLY", "18446744073709551616"), "overflows"},
		{"bad node id", s.AllowNode("ABC"), "40 hex digits"},
		{"upper-case node id", s.AllowNode(strings.Repeat("0A", 20)), "lower-case hex"},
		{"duplicate node", s.AllowNode(nodeID), "already allowed"},
	}
	for _, tc := range tests {
		if tc.err == nil || !strings.Contains(tc.err.Error(), tc.want) {
			t.Errorf("%s: error %v, want it to contain %q", tc.name, tc.err, tc.want)
		}
	}
	if err := s.Validate(); err != nil {
		t.Fatalf("a rejected mutation changed the state: %v", err)
	}
}

// Validate names every problem at once.
func TestValidateNamesEveryProblem(t *testing.T) {
	s := &AppState{
		Params: Params{AdminThreshold: 3},
		Accounts: []Account{
			{Address: admin, Roles: []string{"admin"}},
			{Address: alice, Roles: []string{"member"}},
			{Address: alice},
			{Address: "cosmos1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqnrql8a"},
			{Address: bob, Roles: []string{"owner"}},
		},
		Assets: []Asset{
			{Symbol: "TALLY", Issuer: admin},
			{Symbol: "TALLY", Issuer: admin},
			{Symbol: "USD", Issuer: alice},
			{Symbol: "x", Issuer: admin},
		},
		Balances: []Balance{
			{Address: alice, Asset: "EUR", Amount: "1"},
			{Address: addr("carol"), Asset: "TALLY", Amount: "1"},
			{Address: alice, Asset: "TALLY", Amount: "12a"},
			{Address: alice, Asset: "TALLY", Amount: "18446744073709551615"},
			{Address: bob, Asset: "TALLY", Amount: "1"},
		},
		AllowedNodes: []string{"nope", nodeID, nodeID},
	}
	err := s.Validate()
	if err == nil {
		t.Fatal("invalid state accepted")
	}
	for _, want := range []string{
		"account " + alice + " is listed twice",
		`accounts[3]: invalid address`,
		`unknown role "owner"`,
		"admin threshold 3 is above the number of admins 1",
		"asset TALLY is listed twice",
		"asset USD: issuer " + alice + " lacks the issuer role",
		"asset TALLY: issuer " + admin + " lacks the issuer role",
		`asset "x"`,
		"asset EUR is not defined",
		"account " + addr("carol") + " is not registered",
		`amount "12a" is not a decimal number`,
		"balances of TALLY add up to more than 2^64-1",
		"node ID \"nope\"",
		"allowed node " + nodeID + " is listed twice",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not name %q:\n%v", want, err)
		}
	}
	for _, tc := range []struct {
		p    Params
		acct []Account
		want string
	}{
		{Params{AdminThreshold: 0}, []Account{{Address: admin, Roles: []string{"admin"}}}, "admin threshold is 0"},
		{Params{AdminThreshold: 1}, []Account{{Address: alice}}, "no account has the admin role"},
	} {
		err := (&AppState{Params: tc.p, Accounts: tc.acct}).Validate()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("error %v, want %q", err, tc.want)
		}
	}
}

func testDoc(t *testing.T) *cmttypes.GenesisDoc {
	pk := ed25519.GenPrivKeyFromSecret([]byte("validator")).PubKey()
	doc := &cmttypes.GenesisDoc{
		ChainID:       "tally-test",
		InitialHeight: 1,
		Validators:    []cmttypes.GenesisValidator{{PubKey: pk, Power: 10, Name: "v0"}},
	}
	must(t, doc.ValidateAndComplete())
	return doc
}

func TestWriteLoadAndInitChain(t *testing.T) {
	path := filepath.Join(t.TempDir(), "genesis.json")
	must(t, Write(path, testDoc(t), state(t)))
	doc, s, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	vals, err := ValidatorsFromDoc(doc)
	if err != nil || len(vals) != 1 || vals[0].Power != 10 {
		t.Fatalf("validators %v %v", vals, err)
	}
	g, err := s.ToLedger(vals)
	if err != nil {
		t.Fatal(err)
	}
	l, err := ledger.Open(ledger.NewMemStore(), ledger.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if _, err := l.InitChain(doc.ChainID, doc.InitialHeight, g); err != nil {
		t.Fatal(err)
	}
	if _, err := l.FinalizeBlock(ledger.BlockInfo{Height: 1}, nil); err != nil {
		t.Fatal(err)
	}
	must(t, l.Commit())
	a, _ := crypto.ParseAddress(alice)
	if n, _ := l.View().Balance(a, "TALLY"); n != 1005 {
		t.Fatalf("alice holds %d TALLY, want 1005", n)
	}
	if ok, _ := l.View().NodeAllowed(nodeID); !ok {
		t.Fatal("node not allowed")
	}
	asset, _ := l.View().Asset("TALLY")
	if asset.Supply != 1005 {
		t.Fatalf("supply %d", asset.Supply)
	}
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		must(t, os.WriteFile(p, []byte(body), 0o644))
		return p
	}
	valid := filepath.Join(dir, "valid.json")
	must(t, Write(valid, testDoc(t), state(t)))
	raw, _ := os.ReadFile(valid)
	var generic map[string]any
	must(t, json.Unmarshal(raw, &generic))
	withAppState := func(name, appState string) string {
		generic["app_state"] = json.RawMessage(appState)
		b, _ := json.Marshal(generic)
		return write(name, string(b))
	}
	tests := []struct {
		name, path, want string
	}{
		{"missing", filepath.Join(dir, "none.json"), "does not exist"},
		{"not JSON", write("junk.json", "{"), "not a valid CometBFT genesis document"},
		{"no app state", withAppState("empty.json", "null"), "has no app_state"},
		{"unknown field", withAppState("unknown.json", `{"params":{"admin_threshold":1},"extra":1}`), `unknown field "extra"`},
		{"invalid", withAppState("invalid.json", `{"params":{"admin_threshold":1},"accounts":[]}`), "no account has the admin role"},
	}
	for _, tc := range tests {
		_, _, err := Load(tc.path)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
		if err != nil && tc.name != "missing" && !strings.Contains(err.Error(), tc.path) {
			t.Errorf("%s: error does not name the file: %v", tc.name, err)
		}
	}
}

func TestValidatorsFromABCI(t *testing.T) {
	pk := ed25519.GenPrivKeyFromSecret([]byte("v")).PubKey().Bytes()
	vals, err := ValidatorsFromABCI(nil)
	if err != nil || len(vals) != 0 {
		t.Fatal(vals, err)
	}
	vals, err = ValidatorsFromABCI(abciUpdates(pk, 7))
	if err != nil || len(vals) != 1 || vals[0].Power != 7 || string(vals[0].PubKey) != string(pk) {
		t.Fatalf("%v %v", vals, err)
	}
	if _, err := ValidatorsFromABCI(abciUpdates(pk, 0)); err == nil {
		t.Fatal("zero power accepted")
	}
}

func abciUpdates(pk []byte, power int64) []abci.ValidatorUpdate {
	return []abci.ValidatorUpdate{abci.Ed25519ValidatorUpdate(pk, power)}
}

// Account names are labels for people (the explorer's search box): valid
// characters, unique, never part of the ledger state.
func TestAccountNames(t *testing.T) {
	s := state(t)
	must(t, s.SetName(alice, "alice"))
	must(t, s.SetName(admin, "ops.admin-1"))
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"taken", s.SetName(admin, "alice"), "already the name of"},
		{"space", s.SetName(admin, "al ice"), "character ' '"},
		{"too long", s.SetName(admin, strings.Repeat("a", MaxNameLen+1)), "at most 64"},
		{"unknown account", s.SetName(bob, "bob"), "not in genesis"},
	} {
		if tc.err == nil || !strings.Contains(tc.err.Error(), tc.want) {
			t.Errorf("%s: error %v, want it to contain %q", tc.name, tc.err, tc.want)
		}
	}
	must(t, s.Validate())
	raw, err := s.Marshal()
	must(t, err)
	back, err := Parse(raw)
	must(t, err)
	if back.Accounts[1].Name != "alice" {
		t.Fatalf("name lost in JSON: %s", raw)
	}
	g, err := back.ToLedger(nil)
	if err == nil && len(g.Accounts) != 2 {
		t.Fatalf("ledger accounts %d", len(g.Accounts))
	}

	back.Accounts[0].Name = "alice" // a hand-edited file with a duplicate
	if err := back.Validate(); err == nil || !strings.Contains(err.Error(), `accounts[1]: name "alice" is already the name of accounts[0]`) {
		t.Errorf("Validate of a duplicate name: %v", err)
	}
	back.Accounts[1].Name = "b@d"
	if err := back.Validate(); err == nil || !strings.Contains(err.Error(), `accounts[1]: name "b@d": character '@'`) {
		t.Errorf("Validate of a bad name: %v", err)
	}
}
