package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The tests below run the built tally and tallyd binaries as a user does
// and check what the CLIs promise: a retry never pays twice, mistakes are
// named with what to do, JSON output stays JSON, one version string.

// tallyd runs the built tallyd binary with a bounded time.
func tallyd(t *testing.T, args ...string) cliRun {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, tallydBin, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	r := cliRun{args: args, stdout: out.String(), stderr: errb.String()}
	if ee, ok := err.(*exec.ExitError); ok {
		r.code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run tallyd: %v", err)
	}
	return r
}

// oneErrorLine checks exit status code and that stderr is exactly one
// "Error: " line containing every want; it returns the line.
func oneErrorLine(t *testing.T, r cliRun, code int, wants ...string) string {
	t.Helper()
	if r.code != code {
		t.Fatalf("exit %d, want %d\n%s", r.code, code, r)
	}
	line := strings.TrimSuffix(withoutWarnings(r.stderr), "\n")
	if strings.Contains(line, "\n") || !strings.HasPrefix(line, "Error: ") {
		t.Fatalf("stderr is not one error line:\n%s", r)
	}
	for _, w := range wants {
		if !strings.Contains(line, w) {
			t.Fatalf("error %q lacks %q", line, w)
		}
	}
	return line
}

// jsonError checks that stderr is one line of JSON {"error":{...}} with
// the kind and exit status, and that the exit status matches.
func jsonError(t *testing.T, r cliRun, kind string, code int) string {
	t.Helper()
	var e struct {
		Error struct {
			Code     string `json:"code"`
			ExitCode int    `json:"exit_code"`
			Message  string `json:"message"`
		} `json:"error"`
	}
	stderr := withoutWarnings(r.stderr)
	if strings.Count(strings.TrimSuffix(stderr, "\n"), "\n") != 0 || json.Unmarshal([]byte(stderr), &e) != nil {
		t.Fatalf("stderr is not one JSON line:\n%s", r)
	}
	if r.code != code || e.Error.Code != kind || e.Error.ExitCode != code || e.Error.Message == "" {
		t.Fatalf("JSON error %+v with exit %d, want kind %q and exit %d\n%s", e.Error, r.code, kind, code, r)
	}
	return e.Error.Message
}

// A send whose wait ends before its block is "pending", exit status 3,
// with the hash and the command that waits for it (as the binary was run);
// waiting, or broadcasting the same signed file again, never pays twice.
func TestUXPendingSendThenWait(t *testing.T) {
	net := sharedNet(t)
	before := balanceOn(t, net, 0, "bob")

	r := tally(t, nil, walletArgs(net, 0, "send", "alice", "bob", "3TALLY", "--timeout", "1ms")...)
	line := oneErrorLine(t, r, 3, "is not in a block yet", "it may still commit", "do not send it again",
		tallyBin+" --node "+net.RPCURL(0)+" tx wait ")
	if !strings.Contains(r.stdout, "status:  submitted, not yet in a block") {
		t.Fatalf("stdout of a pending send:\n%s", r)
	}
	hash := line[strings.LastIndex(line, " ")+1 : len(line)-1]
	if len(hash) != 64 || !strings.Contains(r.stdout, "hash:    "+hash) {
		t.Fatalf("hash %q not in the hint or the output:\n%s", hash, r)
	}
	w := tallyOK(t, nil, walletArgs(net, 0, "tx", "wait", hash, "--timeout", "1m")...)
	if !strings.Contains(w.stdout, "result:  ok") {
		t.Fatalf("tx wait:\n%s", w)
	}
	if got := balanceOn(t, net, 0, "bob"); got != before+3 {
		t.Fatalf("bob has %d, want %d", got, before+3)
	}

	// The same with JSON: the outcome on stdout, the error as JSON on stderr.
	r = tally(t, nil, walletArgs(net, 0, "send", "alice", "bob", "4TALLY", "--timeout", "1ms", "--output", "json")...)
	jsonError(t, r, "pending", 3)
	var o txOutcome
	decodeJSON(t, r.stdout, &o)
	if o.Status != "pending" || len(o.Hash) != 64 {
		t.Fatalf("pending outcome %+v", o)
	}
	decodeJSON(t, tallyOK(t, nil, walletArgs(net, 0, "tx", "wait", o.Hash, "--output", "json")...).stdout, &o)
	if o.Status != "committed" || o.Height == 0 {
		t.Fatalf("waited outcome %+v", o)
	}

	// Retrying safely: the signed file broadcast again commits once.
	dir := t.TempDir()
	unsigned, signed := filepath.Join(dir, "u.json"), filepath.Join(dir, "s.json")
	tallyOK(t, nil, walletArgs(net, 0, "send", "alice", "bob", "5TALLY", "--generate-only", "--out", unsigned)...)
	tallyOK(t, nil, walletArgs(net, 0, "tx", "sign", unsigned, "--from", "alice", "--out", signed)...)
	oneErrorLine(t, tally(t, nil, walletArgs(net, 0, "tx", "broadcast", signed, "--timeout", "1ms")...), 3, "tx wait")
	again := tally(t, nil, walletArgs(net, 1, "tx", "broadcast", signed)...)
	if again.code == 0 {
		// The first copy was still in the mempool: this one waited for
		// the same transaction's block.
		if !strings.Contains(again.stdout, "result:  ok") {
			t.Fatalf("second broadcast:\n%s", again)
		}
	} else {
		oneErrorLine(t, again, 1, "is already in block", "commits only once")
	}
	eventually(t, time.Minute, "bob credited once", func() (bool, string) {
		got := balanceOn(t, net, 0, "bob")
		return got == before+12, fmt.Sprint(got)
	})
}

// Mistyped commands, wrong arguments and bad flags are usage errors in
// both binaries: one line, exit status 2, with the nearest command.
func TestUXUsageErrors(t *testing.T) {
	home := t.TempDir()
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"query", "acount", "bob"}, `unknown command "acount" for "tally query"; did you mean "account"?`},
		{[]string{"keys", "lst"}, `unknown command "lst" for "tally keys"; did you mean "list"?`},
		{[]string{"sned", "alice", "bob", "1TALLY"}, `did you mean "send"?`},
		{[]string{"frobnicate"}, `unknown command "frobnicate" for "tally"; expected one of:`},
		{[]string{"send", "alice", "bob", "25", "TALLY"}, "write the amount and asset together, e.g. 25TALLY"},
		{[]string{"mint", "admin", "bob", "7", "EUR"}, "e.g. 7EUR"},
		{[]string{"send", "alice", "bob", "-1TALLY"}, `bad amount "-1TALLY": amounts are positive`},
		{[]string{"send", "alice", "bob"}, "usage: tally send <from> <to> <amount><ASSET>"},
		{[]string{"keys", "list", "--bogus"}, "unknown flag: --bogus"},
	} {
		oneErrorLine(t, tally(t, nil, append([]string{"--home", home}, tt.args...)...), 2, tt.want)
	}
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"genesis", "valdate"}, `unknown command "valdate" for "tallyd genesis"; did you mean "validate"?`},
		{[]string{"localnet", "strat"}, `did you mean "start"?`},
		{[]string{"init"}, "expects 1 argument"},
		{[]string{"start", "--bogus"}, "unknown flag: --bogus"},
	} {
		oneErrorLine(t, tallyd(t, tt.args...), 2, tt.want)
	}
	// A group without a subcommand is not an error: it shows its commands.
	if r := tallyOK(t, nil, "--home", home, "keys"); !strings.Contains(r.stdout, "Available Commands") {
		t.Fatalf("tally keys:\n%s", r)
	}
	// Exit statuses are documented in the help.
	help := tallyOK(t, nil, "--help").stdout
	for _, want := range []string{"Exit status:", "2  usage error", "3  a transaction was submitted", `{"error":{"code":`} {
		if !strings.Contains(help, want) {
			t.Errorf("tally --help lacks %q", want)
		}
	}
}

// --node given the ledger API's port, or --api the RPC's, is named with
// the port it wants.
func TestUXWrongEndpoint(t *testing.T) {
	net := sharedNet(t)
	home := net.WalletDir()
	for _, args := range [][]string{
		{"status", "--node", net.APIURL(0)},
		{"query", "account", "bob", "--node", net.APIURL(0)},
		{"send", "alice", "bob", "1TALLY", "--node", net.APIURL(0)},
	} {
		oneErrorLine(t, tally(t, nil, append([]string{"--home", home}, args...)...), 1,
			"--node "+net.APIURL(0)+" is the node's ledger API; --node wants its CometBFT RPC port", "(try --node "+net.RPCURL(0)+")")
	}
	oneErrorLine(t, tally(t, nil, "--home", home, "query", "account", "bob", "--node", net.RPCURL(0), "--api", net.RPCURL(0)), 1,
		"--api "+net.RPCURL(0)+" is the node's CometBFT RPC; --api wants its ledger API port", "(try --api "+net.APIURL(0)+")")
	r := tally(t, nil, "--home", home, "status", "--node", net.APIURL(0), "--output", "json")
	if msg := jsonError(t, r, "wrong_endpoint", 1); !strings.Contains(msg, "ledger API") {
		t.Fatalf("JSON message %q", msg)
	}
}

// An unreachable witness is named as the witness.
func TestUXWitnessUnreachable(t *testing.T) {
	net := sharedNet(t)
	gone := closedPort(t)
	oneErrorLine(t, tally(t, nil, walletArgs(net, 0, "query", "account", "bob", "--prove", "--witness", gone)...), 1,
		"cannot reach witness "+gone+": connection refused")
}

// --output json: errors are JSON on stderr, a proposal's ID is at the top
// level, and history's total is the same on every page.
func TestUXJSON(t *testing.T) {
	net := sharedNet(t)
	r := tally(t, nil, walletArgs(net, 0, "query", "account", "tally1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq", "--output", "json")...)
	if r.stdout != "" {
		t.Fatalf("a failure wrote to stdout:\n%s", r)
	}
	jsonError(t, r, "error", 1)
	jsonError(t, tally(t, nil, "--home", t.TempDir(), "query", "acount", "-o", "json"), "usage", 2)
	jsonError(t, tally(t, nil, walletArgs(net, 0, "send", "alice", "bob", "999999999999TALLY", "-o", "json")...), "rejected", 1)

	id := make([]byte, 20)
	if _, err := rand.Read(id); err != nil {
		t.Fatal(err)
	}
	var o struct {
		Status     string `json:"status"`
		ProposalID uint64 `json:"proposal_id"`
		Executed   bool   `json:"proposal_executed"`
	}
	decodeJSON(t, tallyOK(t, nil, walletArgs(net, 0, "gov", "propose", "admin", "allow-node", hex.EncodeToString(id), "-o", "json")...).stdout, &o)
	if o.Status != "committed" || o.ProposalID == 0 || !o.Executed {
		t.Fatalf("gov propose JSON %+v", o)
	}

	tallyOK(t, nil, walletArgs(net, 0, "send", "alice", "bob", "1TALLY")...)
	type page struct {
		Total int               `json:"total"`
		Txs   []json.RawMessage `json:"txs"`
	}
	var first, past page
	decodeJSON(t, tallyOK(t, nil, walletArgs(net, 0, "query", "history", "bob", "--per-page", "1", "-o", "json")...).stdout, &first)
	decodeJSON(t, tallyOK(t, nil, walletArgs(net, 0, "query", "history", "bob", "--per-page", "1", "--page", fmt.Sprint(first.Total+5), "-o", "json")...).stdout, &past)
	if first.Total < 1 || len(first.Txs) != 1 || past.Total != first.Total || len(past.Txs) != 0 {
		t.Fatalf("history page 1: total %d (%d txs); past the end: total %d (%d txs)", first.Total, len(first.Txs), past.Total, len(past.Txs))
	}
}

// set-validator-power takes what `tallyd show-validator` prints.
func TestUXSetValidatorPowerTakesShowValidatorJSON(t *testing.T) {
	net := sharedNet(t)
	shown := strings.TrimSpace(tallyd(t, "show-validator", "--home", net.Home(0)).stdout)
	var v struct {
		PubKey struct {
			Value string `json:"value"`
		} `json:"pub_key"`
	}
	if err := json.Unmarshal([]byte(shown), &v); err != nil || v.PubKey.Value == "" {
		t.Fatalf("show-validator printed %q: %v", shown, err)
	}
	out := filepath.Join(t.TempDir(), "u.json")
	tallyOK(t, nil, walletArgs(net, 0, "gov", "propose", "admin", "set-validator-power", shown, "10", "--generate-only", "--out", out)...)
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := base64.StdEncoding.DecodeString(v.PubKey.Value)
	if !strings.Contains(string(b), v.PubKey.Value) && !strings.Contains(strings.ToLower(string(b)), hex.EncodeToString(raw)) {
		t.Fatalf("the unsigned proposal does not carry the key %s:\n%s", v.PubKey.Value, b)
	}
}

// tally version, tally --version, tallyd version, tallyd --version, the
// API's status and tally status agree on one version string.
func TestUXOneVersion(t *testing.T) {
	net := sharedNet(t)
	v := strings.TrimPrefix(strings.TrimSpace(tallyOK(t, nil, "version").stdout), "tally ")
	if v == "" || strings.Contains(v, " ") {
		t.Fatalf("tally version %q", v)
	}
	for name, got := range map[string]string{
		"tally --version":  strings.TrimSpace(tallyOK(t, nil, "--version").stdout),
		"tallyd --version": strings.TrimSpace(tallyd(t, "--version").stdout),
		"tallyd version":   strings.SplitN(tallyd(t, "version").stdout, "\n", 2)[0],
	} {
		if !strings.HasSuffix(got, " "+v) {
			t.Errorf("%s printed %q, want the version %s", name, got, v)
		}
	}
	var st struct {
		Version  string `json:"version"`
		CometBFT string `json:"cometbft_version"`
	}
	decodeJSON(t, tallyOK(t, nil, walletArgs(net, 0, "status", "-o", "json")...).stdout, &st)
	if st.Version != v || st.CometBFT == "" {
		t.Errorf("tally status: version %q cometbft %q, want %q", st.Version, st.CometBFT, v)
	}
	resp, err := http.Get(net.APIURL(0) + "/status")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var api struct {
		Result struct {
			Version string `json:"version"`
		} `json:"result"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&api); err != nil || api.Result.Version != v {
		t.Errorf("ledger API status version %q (%v), want %q", api.Result.Version, err, v)
	}
}

// A password given for a home of unencrypted test keys is not silently
// ignored.
func TestUXPasswordIgnoredForTestKeysWarns(t *testing.T) {
	net := sharedNet(t)
	r := tallyOK(t, []string{"TALLY_PASSWORD=secret"}, walletArgs(net, 0, "keys", "show", "alice", "--address")...)
	if !strings.Contains(r.stderr, "warning: $TALLY_PASSWORD is ignored: the keys in "+net.WalletDir()+" are not encrypted") {
		t.Fatalf("no warning:\n%s", r)
	}
	pw := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(pw, []byte("x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if r := tallyOK(t, nil, walletArgs(net, 0, "--password-file", pw, "keys", "list")...); !strings.Contains(r.stderr, "--password-file is ignored") {
		t.Fatalf("no warning:\n%s", r)
	}
}

// genesis validate names every problem of a genesis at once.
func TestUXGenesisValidateNamesEveryProblem(t *testing.T) {
	home := filepath.Join(t.TempDir(), "home")
	if r := tallyd(t, "init", "v", "--home", home, "--chain-id", "ux"); r.code != 0 {
		t.Fatal(r)
	}
	path := filepath.Join(home, "config", "genesis.json")
	var doc map[string]any
	b, _ := os.ReadFile(path)
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	state := doc["app_state"].(map[string]any)
	state["accounts"] = []any{map[string]any{"address": "tally1bad", "roles": []string{"member"}}}
	state["params"].(map[string]any)["admin_threshold"] = 3
	b, _ = json.Marshal(doc)
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	line := oneErrorLine(t, tallyd(t, "genesis", "validate", "--home", home), 1, "tally1bad", "no account has the admin role")
	t.Log(line)
}
