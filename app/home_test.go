package app

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	cmtcfg "github.com/cometbft/cometbft/config"
	cmttypes "github.com/cometbft/cometbft/types"

	"github.com/tallyledger/tally/internal/testutil"
)

func TestInitHomeWritesProductionDefaults(t *testing.T) {
	home := t.TempDir()
	if err := InitHome(home, "val0", "tally-test"); err != nil {
		t.Fatal(err)
	}
	c, ac, err := LoadConfig(home)
	if err != nil {
		t.Fatal(err)
	}
	if !c.FilterPeers || c.P2P.PexReactor || c.RPC.ListenAddress != DefaultRPCListenAddr || c.Moniker != "val0" {
		t.Fatalf("config: filter_peers=%v pex=%v rpc=%q moniker=%q", c.FilterPeers, c.P2P.PexReactor, c.RPC.ListenAddress, c.Moniker)
	}
	if c.LogLevel != "info" || c.LogFormat != cmtcfg.LogFormatPlain {
		t.Fatalf("log settings %q %q, expected info plain", c.LogLevel, c.LogFormat)
	}
	if ac.APIListenAddr != DefaultAPIListenAddr {
		t.Fatalf("api_laddr %q, expected %q", ac.APIListenAddr, DefaultAPIListenAddr)
	}
	doc, err := cmttypes.GenesisDocFromFile(c.GenesisFile())
	if err != nil {
		t.Fatal(err)
	}
	if doc.ChainID != "tally-test" || len(doc.Validators) != 1 || doc.Validators[0].Power != DefaultValidatorPower {
		t.Fatalf("genesis: chain %q, %d validators", doc.ChainID, len(doc.Validators))
	}
	if doc.Validators[0].PubKey.Type() != "ed25519" {
		t.Fatalf("validator key type %q, expected ed25519", doc.Validators[0].PubKey.Type())
	}
	if !strings.Contains(string(doc.AppState), "allowed_nodes") {
		t.Fatalf("app_state lacks allowed_nodes: %s", doc.AppState)
	}

	err = InitHome(home, "val0", "tally-test")
	if err == nil || !strings.Contains(err.Error(), "already initialized") {
		t.Fatalf("second InitHome: %v, expected already initialized", err)
	}
}

func TestInitHomeBasePortAndEdits(t *testing.T) {
	home := t.TempDir()
	err := InitHome(home, "n", "c", WithBasePort(36656), WithConfig(func(c *cmtcfg.Config, ac *Config) {
		c.P2P.ListenAddress = "tcp://127.0.0.1:36656"
		ac.VerifyWorkers = 2
	}))
	if err != nil {
		t.Fatal(err)
	}
	c, ac, err := LoadConfig(home)
	if err != nil {
		t.Fatal(err)
	}
	if c.P2P.ListenAddress != "tcp://127.0.0.1:36656" || c.RPC.ListenAddress != "tcp://127.0.0.1:36657" ||
		ac.APIListenAddr != "tcp://127.0.0.1:36659" || ac.VerifyWorkers != 2 {
		t.Fatalf("p2p %q rpc %q api %q workers %d", c.P2P.ListenAddress, c.RPC.ListenAddress, ac.APIListenAddr, ac.VerifyWorkers)
	}
}

func TestInitHomeRejectsBadInput(t *testing.T) {
	for _, tc := range []struct{ moniker, chain, want string }{
		{"", "c", "moniker is empty"},
		{"m", "", "chain ID is empty"},
		{"m", strings.Repeat("x", 51), "at most 50"},
	} {
		err := InitHome(t.TempDir(), tc.moniker, tc.chain)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("InitHome(%q, %q) = %v, expected %q", tc.moniker, tc.chain, err, tc.want)
		}
	}
}

func TestLoadConfigErrors(t *testing.T) {
	_, _, err := LoadConfig(t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "run tallyd init") {
		t.Fatalf("missing config: %v", err)
	}
	home := t.TempDir()
	if err := InitHome(home, "n", "c"); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(home, AppConfigFile), []byte("api_laddr = \"udp://x:1\"\nverify_workers = -1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, _, err = LoadConfig(home)
	if err == nil || !strings.Contains(err.Error(), "api_laddr") || !strings.Contains(err.Error(), "verify_workers") {
		t.Fatalf("bad app.toml: %v", err)
	}
	if err := os.Remove(filepath.Join(home, AppConfigFile)); err != nil {
		t.Fatal(err)
	}
	_, ac, err := LoadConfig(home)
	if err != nil || ac.APIListenAddr != DefaultAPIListenAddr {
		t.Fatalf("absent app.toml must give defaults: %v %+v", err, ac)
	}
	// The check state needs the mempool's recheck.
	cfgPath := filepath.Join(home, ConfigFile)
	raw, err := os.ReadFile(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	off := strings.Replace(string(raw), "recheck = true", "recheck = false", 1)
	if off == string(raw) {
		t.Fatal("config.toml has no recheck = true")
	}
	if err := os.WriteFile(cfgPath, []byte(off), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err = LoadConfig(home); err == nil || !strings.Contains(err.Error(), "recheck = false, expected true") {
		t.Fatalf("recheck off: %v", err)
	}
}

func TestResetHomeKeepsKeysAndResetsSignState(t *testing.T) {
	home := t.TempDir()
	if err := InitHome(home, "n", "c"); err != nil {
		t.Fatal(err)
	}
	c, _, err := LoadConfig(home)
	if err != nil {
		t.Fatal(err)
	}
	pv, err := loadPrivValidator(c.PrivValidatorKeyFile(), c.PrivValidatorStateFile())
	if err != nil {
		t.Fatal(err)
	}
	pv.LastSignState.Height = 42
	pv.LastSignState.Step = 3
	pv.Save()
	for _, d := range []string{"blockstore.db", "state.db", LedgerDBName, "cs.wal"} {
		if err := os.MkdirAll(filepath.Join(c.DBDir(), d), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	keyBefore, _ := os.ReadFile(c.PrivValidatorKeyFile())

	if err := ResetHome(home); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(c.DBDir())
	for _, e := range entries {
		if e.Name() != filepath.Base(c.PrivValidatorStateFile()) {
			t.Errorf("%s survived the reset", e.Name())
		}
	}
	pv, err = loadPrivValidator(c.PrivValidatorKeyFile(), c.PrivValidatorStateFile())
	if err != nil {
		t.Fatal(err)
	}
	if pv.LastSignState.Height != 0 || pv.LastSignState.Step != 0 {
		t.Fatalf("sign state at height %d step %d after reset, expected 0", pv.LastSignState.Height, pv.LastSignState.Step)
	}
	keyAfter, _ := os.ReadFile(c.PrivValidatorKeyFile())
	if string(keyBefore) != string(keyAfter) {
		t.Fatal("validator key changed by reset")
	}
	if _, err := os.Stat(c.GenesisFile()); err != nil {
		t.Fatalf("genesis removed by reset: %v", err)
	}
}

func TestNewLogger(t *testing.T) {
	var buf testutil.SyncBuffer
	l, err := NewLogger(&buf, "info", "json")
	if err != nil {
		t.Fatal(err)
	}
	l.Debug("hidden")
	l.Info("shown", "k", "v")
	if out := buf.String(); !strings.Contains(out, `"_msg":"shown"`) || strings.Contains(out, "hidden") {
		t.Fatalf("json logger wrote %q", out)
	}
	for _, tc := range []struct{ level, format, want string }{
		{"info", "xml", "expected plain or json"},
		{"loud", "plain", "log level"},
	} {
		if _, err := NewLogger(&buf, tc.level, tc.format); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("NewLogger(%q, %q) = %v, expected %q", tc.level, tc.format, err, tc.want)
		}
	}
}
