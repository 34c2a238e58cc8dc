package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tallyledger/tally/client"
	"github.com/tallyledger/tally/crypto"
	"github.com/tallyledger/tally/crypto/keystore"
	"github.com/tallyledger/tally/ledger"
)

// A fixed mnemonic (BIP-39 test vector) and its first address.
const testMnemonic = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about"

// result is what one in-process run of the wallet printed.
type result struct {
	code           int
	stdout, stderr string
}

// wallet runs the CLI in-process with a home directory and environment.
type wallet struct {
	t    *testing.T
	home string
	env  map[string]string
}

func newWallet(t *testing.T) *wallet {
	return &wallet{t: t, home: t.TempDir(), env: map[string]string{}}
}

func (w *wallet) runStdin(stdin string, args ...string) result {
	w.t.Helper()
	var out, errb bytes.Buffer
	full := append([]string{"--home", w.home}, args...)
	code := run(context.Background(), full, streams{
		stdin:  strings.NewReader(stdin),
		stdout: &out,
		stderr: &errb,
		getenv: func(k string) string { return w.env[k] },
	})
	return result{code: code, stdout: out.String(), stderr: errb.String()}
}

func (w *wallet) run(args ...string) result {
	w.t.Helper()
	return w.runStdin("", args...)
}

// ok runs args and fails the test unless they succeed.
func (w *wallet) ok(args ...string) result {
	w.t.Helper()
	r := w.run(args...)
	if r.code != 0 {
		w.t.Fatalf("tally %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	return r
}

// fails runs args, expects a non-zero exit with exactly one line on stderr
// containing want, and returns that line.
func (w *wallet) fails(want string, args ...string) string {
	w.t.Helper()
	r := w.run(args...)
	return checkFailure(w.t, r, want, args)
}

func checkFailure(t *testing.T, r result, want string, args []string) string {
	t.Helper()
	if r.code == 0 {
		t.Fatalf("tally %s succeeded, want failure %q\nstdout: %s", strings.Join(args, " "), want, r.stdout)
	}
	line := strings.TrimSuffix(withoutWarnings(r.stderr), "\n")
	if strings.Contains(line, "\n") || !strings.HasPrefix(line, "Error: ") {
		t.Fatalf("tally %s: stderr is not one error line:\n%s", strings.Join(args, " "), r.stderr)
	}
	if !strings.Contains(line, want) {
		t.Fatalf("tally %s: error %q, want it to contain %q", strings.Join(args, " "), line, want)
	}
	return line
}

// withoutWarnings drops the "warning: " lines (such as the one about
// unencrypted test keys) from stderr.
func withoutWarnings(stderr string) string {
	var b strings.Builder
	for _, l := range strings.SplitAfter(stderr, "\n") {
		if !strings.HasPrefix(l, "warning: ") {
			b.WriteString(l)
		}
	}
	return b.String()
}

// decodeJSON checks that out is exactly one JSON document and decodes it.
func decodeJSON(t *testing.T, out string, v any) {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(out))
	if err := dec.Decode(v); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, out)
	}
	var extra any
	if err := dec.Decode(&extra); err == nil {
		t.Fatalf("output holds more than one JSON document:\n%s", out)
	}
}

func closedPort(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return "http://" + addr
}

func TestKeysLifecycle(t *testing.T) {
	w := newWallet(t)
	var created keyView
	decodeJSON(t, w.ok("keys", "add", "alice", "--keyring-backend", "test", "--output", "json").stdout, &created)
	if len(strings.Fields(created.Mnemonic)) != 24 || !strings.HasPrefix(created.Address, "tally1") || created.Backend != "test" {
		t.Fatalf("created = %+v", created)
	}
	// The home remembers its backend: no flag needed from now on.
	if got := strings.TrimSpace(w.ok("keys", "show", "alice", "--address").stdout); got != created.Address {
		t.Fatalf("show --address = %q, want %q", got, created.Address)
	}
	w.fails(`key store backend mismatch`, "keys", "list", "--keyring-backend", "file")

	// Recover from a mnemonic on stdin; import from a file and a hex key.
	r := w.runStdin(testMnemonic+"\n", "keys", "add", "bob", "--recover", "--output", "json")
	if r.code != 0 {
		t.Fatalf("recover: %s", r.stderr)
	}
	var bob keyView
	decodeJSON(t, r.stdout, &bob)
	wantBob, _ := crypto.KeyFromMnemonic(testMnemonic, "", 0)
	if bob.Address != wantBob.PubKey().Address().String() {
		t.Fatalf("recovered %s, want %s", bob.Address, wantBob.PubKey().Address())
	}
	mfile := filepath.Join(t.TempDir(), "carol.mnemonic")
	os.WriteFile(mfile, []byte(created.Mnemonic+"\n"), 0o600)
	other := newWallet(t)
	var carol keyView
	decodeJSON(t, other.ok("keys", "import", "carol", mfile, "--keyring-backend", "test", "--output", "json").stdout, &carol)
	if carol.Address != created.Address {
		t.Fatalf("imported from mnemonic file: %s, want %s", carol.Address, created.Address)
	}
	privHex := strings.Repeat("11", 32)
	privFile := filepath.Join(t.TempDir(), "dave.key")
	os.WriteFile(privFile, []byte(privHex+"\n"), 0o600)
	other.ok("keys", "import", "dave", privFile)
	wantDave, _ := crypto.PrivKeyFromBytes(bytes.Repeat([]byte{0x11}, 32))
	if got := strings.TrimSpace(other.ok("keys", "show", "dave", "-a").stdout); got != wantDave.PubKey().Address().String() {
		t.Fatalf("dave = %s", got)
	}
	other.fails(`not-a-file: no such file`, "keys", "import", "erin", "not-a-file")
	other.fails(`already exists`, "keys", "import", "dave", privFile)

	// Export shows the secret; delete asks for confirmation.
	var exported struct {
		Mnemonic   string `json:"mnemonic"`
		PrivateKey string `json:"private_key"`
	}
	decodeJSON(t, w.ok("keys", "export", "bob", "--output", "json").stdout, &exported)
	if exported.PrivateKey != hex.EncodeToString(wantBob.Bytes()) || exported.Mnemonic != testMnemonic {
		t.Fatalf("exported private key %s", exported.PrivateKey)
	}
	w.fails(`refusing to delete key "bob" without confirmation: pass --yes`, "keys", "delete", "bob")
	w.ok("keys", "delete", "bob", "--yes")
	w.fails(`unknown key "bob"`, "keys", "show", "bob")

	var list []keyView
	decodeJSON(t, w.ok("keys", "list", "--output", "json").stdout, &list)
	if len(list) != 1 || list[0].Name != "alice" {
		t.Fatalf("list = %+v", list)
	}
	if text := w.ok("keys", "list").stdout; !strings.Contains(text, "alice") || !strings.Contains(text, created.Address) {
		t.Fatalf("text list:\n%s", text)
	}
}

func TestEncryptedKeysNeedPassword(t *testing.T) {
	w := newWallet(t)
	w.fails("needs its password", "keys", "add", "alice")
	w.env[envPassword] = "correct horse battery"
	w.ok("keys", "add", "alice")
	delete(w.env, envPassword)
	w.fails(`key "alice" needs its password: give --password-file or $TALLY_PASSWORD`, "keys", "export", "alice")
	pwFile := filepath.Join(t.TempDir(), "pw")
	os.WriteFile(pwFile, []byte("wrong password\n"), 0o600)
	w.fails("wrong password", "keys", "export", "alice", "--password-file", pwFile)
	os.WriteFile(pwFile, []byte("correct horse battery\n"), 0o600)
	w.ok("keys", "export", "alice", "--password-file", pwFile)
}

// TestErrorLines checks the one-line errors of common mistakes.
func TestErrorLines(t *testing.T) {
	w := newWallet(t)
	w.ok("keys", "add", "alice", "--keyring-backend", "test")
	w.ok("keys", "add", "bob")
	node := closedPort(t)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"unknown key", []string{"send", "carol", "bob", "25TALLY", "--node", node}, `unknown key "carol" in ` + w.home},
		{"unknown recipient", []string{"send", "alice", "zed", "25TALLY", "--node", node}, `unknown key "zed"`},
		{"bad address", []string{"send", "alice", "tally1qqqqqqqq", "25TALLY", "--node", node}, `bad address "tally1qqqqqqqq"`},
		{"bad amount", []string{"send", "alice", "bob", "25", "--node", node}, `bad amount "25": no asset: write the amount and asset together, e.g. 25TALLY`},
		{"bad asset", []string{"send", "alice", "bob", "25tally", "--node", node}, `asset symbol "tally" must be`},
		{"unreachable node", []string{"send", "alice", "bob", "25TALLY", "--node", node}, "cannot reach node " + node + ": connection refused"},
		{"unreachable status", []string{"status", "--node", node}, "cannot reach node " + node + ": connection refused"},
		{"query unreachable", []string{"query", "account", "alice", "--node", node}, "cannot reach node "},
		{"bad output", []string{"keys", "list", "--output", "yaml"}, `bad --output "yaml": expected text or json`},
		{"bad hash", []string{"query", "tx", "xyz", "--node", node}, `bad transaction hash "xyz"`},
		{"bad height", []string{"query", "block", "abc", "--node", node}, `bad height "abc"`},
		{"unknown action", []string{"gov", "propose", "alice", "mint-all", "--node", node}, `unknown action "mint-all"`},
		{"freeze without reason", []string{"gov", "propose", "alice", "freeze", "bob", "--node", node}, "freeze needs --reason"},
		{"bad role", []string{"gov", "propose", "alice", "grant-role", "bob", "king", "--node", node}, `unknown role "king"`},
		{"bad proposal id", []string{"gov", "approve", "alice", "x", "--node", node}, `bad proposal ID "x"`},
		{"trust hash alone", []string{"query", "account", "alice", "--prove", "--trust-hash", strings.Repeat("ab", 32), "--node", node}, "--trust-height and --trust-hash go together"},
		{"unknown command", []string{"sned"}, `unknown command "sned"`},
		{"missing args", []string{"send", "alice"}, "accepts 3 arg(s), received 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := w.run(tt.args...)
			checkFailure(t, r, tt.want, tt.args)
			if r.stdout != "" {
				t.Fatalf("stdout not empty on error:\n%s", r.stdout)
			}
		})
	}
}

// TestOfflineSign generates, signs and checks a transaction with no node.
func TestOfflineSign(t *testing.T) {
	gen := newWallet(t)  // knows only addresses
	sign := newWallet(t) // holds the key, never talks to a node
	sign.ok("keys", "add", "alice", "--keyring-backend", "test")
	alice := strings.TrimSpace(sign.ok("keys", "show", "alice", "-a").stdout)
	bob := addrFromSeed(t, 2)
	node := closedPort(t)
	dir := t.TempDir()
	unsigned := filepath.Join(dir, "unsigned.json")

	// Offline without chain ID and nonce: both are left for the signer.
	r := gen.ok("send", alice, bob, "25TALLY", "--memo", "rent", "--generate-only", "--out", unsigned, "--node", node)
	if !strings.Contains(r.stderr, "cannot reach node") || !strings.Contains(r.stdout, "wrote unsigned transaction to "+unsigned) {
		t.Fatalf("generate-only output:\nstdout %s\nstderr %s", r.stdout, r.stderr)
	}
	var u client.UnsignedTx
	data, _ := os.ReadFile(unsigned)
	decodeJSON(t, string(data), &u)
	if u.Type != client.UnsignedTxType || u.ChainID != "" || u.Body.Nonce != nil || u.Signer != alice ||
		u.Body.Msg.Type != "transfer" || u.Body.Msg.Amount != "25" || u.Body.Msg.To != bob || u.Body.Memo != "rent" {
		t.Fatalf("unsigned file:\n%s", data)
	}
	signedPath := filepath.Join(dir, "signed.json")
	sign.fails("chain ID unknown", "tx", "sign", unsigned, "--from", "alice", "--out", signedPath)
	sign.fails("nonce unknown", "tx", "sign", unsigned, "--from", "alice", "--chain-id", "tally-test", "--out", signedPath)
	sign.fails("missing --from", "tx", "sign", unsigned)
	sign.ok("tx", "sign", unsigned, "--from", "alice", "--chain-id", "tally-test", "--nonce", "4", "--out", signedPath)

	sdata, _ := os.ReadFile(signedPath)
	f, tx, raw, err := client.ReadSignedTx(sdata)
	if err != nil {
		t.Fatal(err)
	}
	if f.ChainID != "tally-test" || tx.Body.Nonce != 4 || tx.Sender().String() != alice || ledger.TxHashString(raw) != f.Hash {
		t.Fatalf("signed file:\n%s", sdata)
	}
	// Signing an already signed file, or with a key that is not the signer.
	sign.fails("already signed", "tx", "sign", signedPath, "--from", "alice", "--chain-id", "x")
	sign.ok("keys", "add", "mallory")
	sign.fails("the transaction's signer is "+alice, "tx", "sign", unsigned, "--from", "mallory", "--chain-id", "tally-test", "--nonce", "4")

	// Flags fill chain ID and nonce at generation time too; stdout holds the file.
	r = gen.ok("send", alice, bob, "25TALLY", "--generate-only", "--chain-id", "tally-test", "--nonce", "9", "--node", node)
	var u2 client.UnsignedTx
	decodeJSON(t, r.stdout, &u2)
	if u2.ChainID != "tally-test" || u2.Body.Nonce == nil || *u2.Body.Nonce != 9 {
		t.Fatalf("generate-only with flags:\n%s", r.stdout)
	}
	// Broadcasting a file that is not signed is refused before any network use.
	gen.fails("sign it first", "tx", "broadcast", unsigned, "--node", node)
}

func addrFromSeed(t *testing.T, seed byte) string {
	k, err := crypto.PrivKeyFromBytes(bytes.Repeat([]byte{seed}, 32))
	if err != nil {
		t.Fatal(err)
	}
	return k.PubKey().Address().String()
}

// TestBuildAction checks the governance action arguments.
func TestBuildAction(t *testing.T) {
	w := newWallet(t)
	w.ok("keys", "add", "alice", "--keyring-backend", "test")
	ks, err := keystore.Open(w.home, keystore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	aliceInfo, _ := ks.Get("alice")
	c := &cli{home: w.home, streams: streams{stderr: io.Discard, getenv: func(string) string { return "" }}}
	bob := addrFromSeed(t, 2)
	pkB64 := "q6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s="
	tests := []struct {
		action  string
		args    []string
		p       proposeArgs
		check   func(a ledger.Action) bool
		wantErr string
	}{
		{action: "register-account", args: []string{bob}, check: func(a ledger.Action) bool {
			return a.RegisterAccount != nil && len(a.RegisterAccount.Roles) == 1 && a.RegisterAccount.Roles[0] == ledger.RoleMember
		}},
		{action: "register-account", args: []string{bob}, p: proposeArgs{roles: []string{"member", "issuer"}}, check: func(a ledger.Action) bool {
			return len(a.RegisterAccount.Roles) == 2
		}},
		{action: "grant-role", args: []string{"alice", "admin"}, check: func(a ledger.Action) bool {
			return a.GrantRole.Address == aliceInfo.Address && a.GrantRole.Role == ledger.RoleAdmin
		}},
		{action: "revoke-role", args: []string{bob, "issuer"}, check: func(a ledger.Action) bool { return a.RevokeRole.Role == ledger.RoleIssuer }},
		{action: "freeze", args: []string{bob}, p: proposeArgs{reason: "audit"}, check: func(a ledger.Action) bool { return a.Freeze.Reason == "audit" }},
		{action: "unfreeze", args: []string{bob}, check: func(a ledger.Action) bool { return a.Unfreeze != nil }},
		{action: "remove-account", args: []string{bob}, check: func(a ledger.Action) bool { return a.RemoveAccount != nil }},
		{action: "create-asset", args: []string{"EUR"}, p: proposeArgs{issuer: "alice"}, check: func(a ledger.Action) bool {
			return a.CreateAsset.Symbol == "EUR" && a.CreateAsset.Issuer == aliceInfo.Address
		}},
		{action: "pause-asset", args: []string{"EUR"}, check: func(a ledger.Action) bool { return a.PauseAsset.Symbol == "EUR" }},
		{action: "unpause-asset", args: []string{"EUR"}, check: func(a ledger.Action) bool { return a.UnpauseAsset.Symbol == "EUR" }},
		{action: "set-validator-power", args: []string{pkB64, "0"}, check: func(a ledger.Action) bool {
			return len(a.SetValidatorPower.PubKey) == 32 && a.SetValidatorPower.Power == 0
		}},
		{action: "set-validator-power", args: []string{strings.Repeat("ab", 32), "10"}, check: func(a ledger.Action) bool {
			return a.SetValidatorPower.Power == 10 && a.SetValidatorPower.PubKey[0] == 0xab
		}},
		{action: "allow-node", args: []string{strings.Repeat("a1", 20)}, check: func(a ledger.Action) bool { return a.AllowNode != nil }},
		{action: "deny-node", args: []string{strings.Repeat("a1", 20)}, check: func(a ledger.Action) bool { return a.DenyNode != nil }},
		{action: "set-threshold", args: []string{"2"}, check: func(a ledger.Action) bool { return a.SetThreshold.Threshold == 2 }},
		{action: "create-asset", args: []string{"EUR"}, wantErr: "needs --issuer"},
		{action: "create-asset", args: []string{"eur"}, p: proposeArgs{issuer: "alice"}, wantErr: `asset symbol "eur"`},
		{action: "allow-node", args: []string{"xyz"}, wantErr: "node ID"},
		{action: "set-threshold", args: []string{"0"}, wantErr: "bad threshold"},
		{action: "set-validator-power", args: []string{"abc", "1"}, wantErr: "validator public key"},
		{action: "unfreeze", args: []string{bob, "extra"}, wantErr: "unfreeze takes 1 argument(s)"},
		{action: "pause-asset", args: []string{"EUR"}, p: proposeArgs{reason: "x"}, wantErr: "--reason applies only to freeze"},
	}
	for _, tt := range tests {
		t.Run(tt.action+" "+strings.Join(tt.args, " "), func(t *testing.T) {
			a, err := c.buildAction(tt.action, tt.args, tt.p)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if a.Type() != tt.action || !tt.check(a) {
				t.Fatalf("action = %+v", a)
			}
		})
	}
}

func TestResolveAddress(t *testing.T) {
	w := newWallet(t)
	w.ok("keys", "add", "alice", "--keyring-backend", "test")
	c := &cli{home: w.home, streams: streams{stderr: io.Discard, getenv: func(string) string { return "" }}}
	ks, err := c.keystore()
	if err != nil {
		t.Fatal(err)
	}
	alice, _ := ks.Get("alice")
	stranger := addrFromSeed(t, 5)
	tests := []struct {
		arg, wantAddr, wantName, wantErr string
	}{
		{arg: "alice", wantAddr: alice.Address.String(), wantName: "alice"},
		{arg: alice.Address.String(), wantAddr: alice.Address.String(), wantName: "alice"},
		{arg: stranger, wantAddr: stranger},
		{arg: "bob", wantErr: `unknown key "bob" in ` + w.home},
		{arg: "Alice", wantErr: `"Alice" is neither a key name nor a tally1... address`},
		{arg: "tally1qqqq", wantErr: `bad address "tally1qqqq"`},
		{arg: strings.Replace(stranger, "tally1", "cosmos1", 1), wantErr: "is neither a key name nor a tally1... address"},
		{arg: stranger[:len(stranger)-1] + "q", wantErr: "bad address"},
	}
	for _, tt := range tests {
		t.Run(tt.arg, func(t *testing.T) {
			addr, name, err := c.resolveAddress(ks, tt.arg)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || addr.String() != tt.wantAddr || name != tt.wantName {
				t.Fatalf("= %s %q %v; want %s %q", addr, name, err, tt.wantAddr, tt.wantName)
			}
		})
	}
}

// Unencrypted test-backend keys are never used silently: every command
// that opens them says so on stderr, and keys list shows each key's
// backend.
func TestUnencryptedKeysWarned(t *testing.T) {
	w := newWallet(t)
	r := w.ok("keys", "add", "alice", "--keyring-backend", "test")
	for _, args := range [][]string{{"keys", "add", "alice", "--keyring-backend", "test"}, {"keys", "show", "alice"}, {"keys", "list"}} {
		if args[1] != "add" {
			r = w.ok(args...)
		}
		if !strings.Contains(r.stderr, "warning: the keys in "+w.home+" are NOT encrypted (test backend)") {
			t.Fatalf("tally %s: no warning on stderr:\n%s", strings.Join(args, " "), r.stderr)
		}
	}
	if !strings.Contains(r.stdout, "BACKEND") || !strings.Contains(r.stdout, "test (UNENCRYPTED)") {
		t.Fatalf("keys list does not show the backend:\n%s", r.stdout)
	}
	e := newWallet(t)
	e.env[envPassword] = "correct horse battery"
	if r := e.ok("keys", "add", "bob"); strings.Contains(r.stderr, "NOT encrypted") {
		t.Fatalf("warning for encrypted keys:\n%s", r.stderr)
	}
	if out := e.ok("keys", "list").stdout; !strings.Contains(out, "file (encrypted)") {
		t.Fatalf("keys list of encrypted keys:\n%s", out)
	}
}

// Secret files others can read are refused with the chmod to run: a
// password file, a key file.
func TestExposedSecretFilesRefused(t *testing.T) {
	w := newWallet(t)
	pwFile := filepath.Join(t.TempDir(), "pw")
	os.WriteFile(pwFile, []byte("correct horse battery\n"), 0o644)
	w.fails("run chmod 600 "+pwFile, "keys", "add", "alice", "--password-file", pwFile)
	os.Chmod(pwFile, 0o600)
	w.ok("keys", "add", "alice", "--password-file", pwFile)
	keyFile := filepath.Join(w.home, "alice.key")
	if _, err := os.Stat(keyFile); err != nil {
		t.Fatalf("key file: %v", err)
	}
	os.Chmod(keyFile, 0o644)
	w.fails("run chmod 600 "+keyFile, "keys", "export", "alice", "--password-file", pwFile)
}

// Secrets never come from the command line: a hex private key or a
// mnemonic given as the argument is refused; from a terminal they are
// read without echo; a file holding one must be private.
func TestSecretsNotOnTheCommandLine(t *testing.T) {
	w := newWallet(t)
	w.fails("a secret on the command line is visible to other users", "keys", "import", "dave", strings.Repeat("11", 32), "--keyring-backend", "test")
	w.fails("a secret on the command line is visible to other users", "keys", "import", "dave", testMnemonic, "--keyring-backend", "test")

	// From a terminal: the no-echo prompt, never a plain line read.
	var prompts []string
	c := &cli{home: w.home, backend: keystore.BackendTest, streams: streams{stderr: io.Discard, stdinIsTTY: true, getenv: func(string) string { return "" },
		stdin: strings.NewReader("echoed line\n")}}
	c.secretPrompt = func(p string) (string, error) { prompts = append(prompts, p); return testMnemonic, nil }
	m, err := c.readMnemonic("")
	if err != nil || m != testMnemonic || len(prompts) != 1 || !strings.Contains(prompts[0], "not echoed") {
		t.Fatalf("terminal mnemonic %q, %v, prompts %q", m, err, prompts)
	}
	if s, err := c.readImportSource("-"); err != nil || s != testMnemonic || len(prompts) != 2 {
		t.Fatalf("import - from a terminal: %q, %v, prompts %q", s, err, prompts)
	}

	// From a file, which only its owner may read.
	mfile := filepath.Join(t.TempDir(), "m")
	os.WriteFile(mfile, []byte(testMnemonic+"\n"), 0o644)
	w.fails("run chmod 600 "+mfile, "keys", "add", "bob", "--recover", "--mnemonic-file", mfile, "--keyring-backend", "test")
	os.Chmod(mfile, 0o600)
	w.ok("keys", "add", "bob", "--recover", "--mnemonic-file", mfile, "--keyring-backend", "test")
	w.fails("apply only with --recover", "keys", "add", "carol", "--mnemonic-file", mfile)
}
