package app

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"text/template"

	cmtcfg "github.com/cometbft/cometbft/config"
	"github.com/cometbft/cometbft/libs/cli/flags"
	"github.com/cometbft/cometbft/libs/log"
	"github.com/spf13/viper"

	"github.com/tallyledger/tally/ledger"
)

// Files and directories of a node home, relative to the home directory.
const (
	ConfigDir     = "config"
	ConfigFile    = "config/config.toml" // CometBFT's own configuration
	AppConfigFile = "config/app.toml"    // Tally's settings (Config)
	GenesisFile   = "config/genesis.json"
	LedgerDBName  = "ledger.db" // inside CometBFT's db_dir (data/ by default)
)

// Default listen addresses. The ledger API sits two ports above CometBFT's
// RPC (26657), leaving 26658 to CometBFT's out-of-process ABCI convention.
const (
	DefaultAPIListenAddr = "tcp://127.0.0.1:26659"
	DefaultRPCListenAddr = "tcp://127.0.0.1:26657"
	DefaultP2PListenAddr = "tcp://0.0.0.0:26656"
)

// Config holds Tally's own node settings, read from config/app.toml. CometBFT's
// settings stay in config/config.toml (see LoadConfig).
type Config struct {
	// APIListenAddr is where the ledger JSON-RPC API listens, as
	// tcp://host:port; empty disables the API.
	APIListenAddr string `mapstructure:"api_laddr"`
	// Explorer serves the read-only block explorer at /explorer/ on the
	// ledger API's address (on by default).
	Explorer bool `mapstructure:"explorer"`
	// VerifyWorkers is the number of goroutines verifying signatures of a
	// block in parallel; 0 uses every core.
	VerifyWorkers int `mapstructure:"verify_workers"`
	// SigCacheSize is how many verified transaction hashes the ledger keeps,
	// so that a transaction checked in CheckTx is not verified again when its
	// block executes; 0 uses the ledger's default.
	SigCacheSize int `mapstructure:"sig_cache_size"`
	// MaxPendingPerAccount bounds the transactions of one sender waiting
	// in this node's mempool (CheckTx answers too_many_pending beyond it);
	// -1 removes the bound.
	MaxPendingPerAccount int `mapstructure:"max_pending_txs_per_account"`
	// MaxAccountTxsPerBlock bounds the transactions of one sender in a
	// block this node proposes; -1 removes the bound.
	MaxAccountTxsPerBlock int `mapstructure:"max_account_txs_per_block"`
	// ParallelCheckTx lets CheckTx calls from several connections and peers
	// run at once (their signatures verified on several cores); false
	// serializes them with every other ABCI call, as CometBFT's local
	// client does.
	ParallelCheckTx bool `mapstructure:"parallel_check_tx"`
	// SnapshotInterval is how many blocks apart the node writes a state
	// snapshot that joining nodes can state sync from; 0 writes none.
	SnapshotInterval int64 `mapstructure:"snapshot_interval"`
	// SnapshotKeepRecent is how many snapshots the node keeps (at least 1).
	SnapshotKeepRecent int `mapstructure:"snapshot_keep_recent"`
	// RetainBlocks is how many recent blocks CometBFT keeps (older ones
	// are pruned); 0 keeps every block. Blocks a kept snapshot needs are
	// never pruned.
	RetainBlocks int64 `mapstructure:"retain_blocks"`
	// APIAllowedHosts are host names (besides localhost, 127.0.0.1, ::1
	// and the listen address's host) that requests to the ledger API may
	// name in their Host header.
	APIAllowedHosts []string `mapstructure:"api_allowed_hosts"`
	// APIMaxWebsockets bounds the websockets open on the ledger API.
	APIMaxWebsockets int `mapstructure:"api_max_websockets"`
	// APIMaxConnectionsPerIP bounds the connections one client address
	// holds open to the ledger API.
	APIMaxConnectionsPerIP int `mapstructure:"api_max_connections_per_ip"`
	// MinFreeDiskMiB is the free space (MiB) on the disks holding the
	// node's data under which the node will not start, and stops cleanly
	// when running; /health warns under twice as much. 0 turns the guard
	// off (a write that fails for lack of space still stops the node).
	MinFreeDiskMiB int64 `mapstructure:"min_free_disk_mib"`
}

// LedgerOptions are the ledger's options from these settings.
func (c Config) LedgerOptions() ledger.Options {
	return ledger.Options{
		VerifyWorkers:         c.VerifyWorkers,
		SigCacheSize:          c.SigCacheSize,
		MaxPendingPerAccount:  c.MaxPendingPerAccount,
		MaxAccountTxsPerBlock: c.MaxAccountTxsPerBlock,
	}
}

// Snapshot defaults: a snapshot every 1000 blocks, the last two kept.
const (
	DefaultSnapshotInterval   = 1000
	DefaultSnapshotKeepRecent = 2
)

// DefaultConfig returns the production defaults: the API on localhost, with
// the explorer.
func DefaultConfig() Config {
	return Config{
		APIListenAddr:          DefaultAPIListenAddr,
		Explorer:               true,
		MaxPendingPerAccount:   ledger.DefaultMaxPendingPerAccount,
		MaxAccountTxsPerBlock:  ledger.DefaultMaxAccountTxsPerBlock,
		ParallelCheckTx:        true,
		SnapshotInterval:       DefaultSnapshotInterval,
		SnapshotKeepRecent:     DefaultSnapshotKeepRecent,
		APIMaxWebsockets:       DefaultAPIMaxWebsockets,
		APIMaxConnectionsPerIP: DefaultAPIMaxConnectionsPerIP,
		MinFreeDiskMiB:         DefaultMinFreeDiskMiB,
	}
}

// Validate checks the settings and says which one is wrong.
func (c Config) Validate() error {
	var errs []error
	if c.APIListenAddr != "" {
		if _, err := tcpHostPort(c.APIListenAddr); err != nil {
			errs = append(errs, fmt.Errorf("api_laddr: %w", err))
		}
	}
	if c.VerifyWorkers < 0 {
		errs = append(errs, fmt.Errorf("verify_workers is %d, expected 0 (all cores) or more", c.VerifyWorkers))
	}
	if c.SnapshotInterval < 0 {
		errs = append(errs, fmt.Errorf("snapshot_interval is %d, expected 0 (no snapshots) or a number of blocks", c.SnapshotInterval))
	}
	if c.SnapshotKeepRecent < 1 && c.SnapshotInterval > 0 {
		errs = append(errs, fmt.Errorf("snapshot_keep_recent is %d, expected at least 1", c.SnapshotKeepRecent))
	}
	if c.RetainBlocks < 0 {
		errs = append(errs, fmt.Errorf("retain_blocks is %d, expected 0 (keep every block) or a number of blocks", c.RetainBlocks))
	}
	if c.SigCacheSize < 0 {
		errs = append(errs, fmt.Errorf("sig_cache_size is %d, expected 0 (default) or more", c.SigCacheSize))
	}
	if c.MaxPendingPerAccount == 0 || c.MaxPendingPerAccount < -1 {
		errs = append(errs, fmt.Errorf("max_pending_txs_per_account is %d, expected 1 or more (-1: no bound)", c.MaxPendingPerAccount))
	}
	if c.APIMaxWebsockets < 1 {
		errs = append(errs, fmt.Errorf("api_max_websockets is %d, expected 1 or more", c.APIMaxWebsockets))
	}
	if c.APIMaxConnectionsPerIP < 1 {
		errs = append(errs, fmt.Errorf("api_max_connections_per_ip is %d, expected 1 or more", c.APIMaxConnectionsPerIP))
	}
	for _, h := range c.APIAllowedHosts {
		if h == "" || strings.ContainsAny(h, "/ \t") {
			errs = append(errs, fmt.Errorf("api_allowed_hosts: %q is not a host name", h))
		}
	}
	if c.MinFreeDiskMiB < 0 {
		errs = append(errs, fmt.Errorf("min_free_disk_mib is %d, expected 0 (no guard) or a number of MiB", c.MinFreeDiskMiB))
	}
	if c.MaxAccountTxsPerBlock == 0 || c.MaxAccountTxsPerBlock < -1 {
		errs = append(errs, fmt.Errorf("max_account_txs_per_block is %d, expected 1 or more (-1: no bound)", c.MaxAccountTxsPerBlock))
	}
	return errors.Join(errs...)
}

var appConfigTemplate = template.Must(template.New("app.toml").Parse(`# Tally node settings. CometBFT's settings are in config.toml beside this file.

# Listen address of the ledger JSON-RPC API (POST JSON-RPC 2.0 at /,
# GET /<method>?arg=..., websocket at /websocket). Keep it on localhost unless
# a proxy in front of it handles access control. Empty disables the API.
# Request limits (body size, batch size, connections) follow [rpc] in
# config.toml.
api_laddr = "{{ .APIListenAddr }}"

# Serve the read-only block explorer at /explorer/ on the ledger API's
# address (it reads the same public JSON-RPC; no keys).
explorer = {{ .Explorer }}

# Goroutines verifying the signatures of a block in parallel; 0 = all cores.
verify_workers = {{ .VerifyWorkers }}

# Verified transactions remembered between CheckTx and block execution;
# 0 = the ledger's default.
sig_cache_size = {{ .SigCacheSize }}

# Flood limits. Transactions of one sender admitted to this node's mempool
# between two blocks (CheckTx answers code 19, too_many_pending, beyond it),
# and transactions of one sender in a block this node proposes. -1 removes
# a bound.
max_pending_txs_per_account = {{ .MaxPendingPerAccount }}
max_account_txs_per_block = {{ .MaxAccountTxsPerBlock }}

# Check incoming transactions (CheckTx) from several connections and peers
# at once, verifying their signatures on every core; false checks them one
# at a time, serialized with block execution.
parallel_check_tx = {{ .ParallelCheckTx }}

# State sync: write a snapshot of the ledger state every snapshot_interval
# blocks (0 = none) under <db_dir>/snapshots, keeping the most recent
# snapshot_keep_recent. Joining nodes with [statesync] enable = true restore
# from them instead of replaying every block.
snapshot_interval = {{ .SnapshotInterval }}
snapshot_keep_recent = {{ .SnapshotKeepRecent }}

# Pruning: keep only the last retain_blocks blocks in CometBFT's block store
# (0 = keep every block). The ledger's state, transaction lookups and
# account histories do not depend on old blocks; blocks from the oldest kept
# snapshot on are always kept, so joining nodes can still state sync and
# catch up. Querying a pruned block answers with the lowest height kept.
retain_blocks = {{ .RetainBlocks }}

# Ledger API limits beyond [rpc] in config.toml. Host names (besides
# localhost, 127.0.0.1, ::1 and api_laddr's host) that requests may name in
# their Host header: a name not listed is refused, which stops DNS-rebinding
# pages; add the names a proxy or your users reach the API by.
api_allowed_hosts = [{{ range $i, $h := .APIAllowedHosts }}{{ if $i }}, {{ end }}"{{ $h }}"{{ end }}]
# Websockets open at once (the rest of [rpc] max_open_connections stays for
# plain requests), and connections one client address may hold open.
api_max_websockets = {{ .APIMaxWebsockets }}
api_max_connections_per_ip = {{ .APIMaxConnectionsPerIP }}

# Low-disk guard. The node will not start, and a running node stops
# cleanly (exit status 1, one line saying so), when the disks holding its
# data (db_dir, the consensus WAL, the validator's sign state) have less
# than min_free_disk_mib MiB free; /health answers 503 under twice that,
# and tally_disk_free_bytes shows the space left. 0 turns the guard off: a
# write that fails for lack of space still stops the node with one line.
min_free_disk_mib = {{ .MinFreeDiskMiB }}
`))

// DefaultCometConfig returns CometBFT's configuration with Tally's production
// defaults for a node at home: peers filtered by the ledger's allowed-node
// list, peer exchange off (validators dial persistent peers), RPC on
// localhost, logs at info level in plain text.
func DefaultCometConfig(home, moniker string) *cmtcfg.Config {
	c := cmtcfg.DefaultConfig()
	c.SetRoot(home)
	c.Moniker = moniker
	c.FilterPeers = true
	c.P2P.PexReactor = false
	c.P2P.ListenAddress = DefaultP2PListenAddr
	c.RPC.ListenAddress = DefaultRPCListenAddr
	c.LogLevel = "info"
	c.LogFormat = cmtcfg.LogFormatPlain
	c.ProxyApp = "" // the ledger runs in-process
	// The ledger indexes transactions and account histories itself, in the
	// block's commit batch; CometBFT's kv indexer (tx, tx_search) is
	// optional: [tx_index] indexer = "kv" turns it back on.
	c.TxIndex.Indexer = "null"
	return c
}

// LoadConfig reads home's config/config.toml (CometBFT) and config/app.toml
// (Tally; defaults when the file is absent) and validates both.
func LoadConfig(home string) (*cmtcfg.Config, *Config, error) {
	path := filepath.Join(home, ConfigFile)
	if _, err := os.Stat(path); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil, fmt.Errorf("config file %s not found: run tallyd init first (or pass the right --home)", path)
		}
		return nil, nil, fmt.Errorf("config file %s: %w", path, err)
	}
	v := viper.New()
	v.SetConfigFile(path)
	v.SetConfigType("toml")
	if err := v.ReadInConfig(); err != nil {
		return nil, nil, fmt.Errorf("read %s: %w", path, err)
	}
	c := cmtcfg.DefaultConfig()
	if err := v.Unmarshal(c); err != nil {
		return nil, nil, fmt.Errorf("parse %s: %w", path, err)
	}
	c.SetRoot(home) // RootDir is not stored in the file
	if err := c.ValidateBasic(); err != nil {
		return nil, nil, fmt.Errorf("invalid %s: %w", path, err)
	}
	// The ledger's check state is the committed state plus the mempool's
	// transactions: it is rebuilt after each block from the recheck, so
	// without one a sender's next transaction would be judged against a
	// state missing its own pending ones.
	if c.Mempool.Type != cmtcfg.MempoolTypeNop && !c.Mempool.Recheck {
		return nil, nil, fmt.Errorf("invalid %s: [mempool] recheck = false, expected true (the ledger checks new transactions against the mempool's, rechecked after each block)", path)
	}

	ac := DefaultConfig()
	apath := filepath.Join(home, AppConfigFile)
	if _, err := os.Stat(apath); err == nil {
		av := viper.New()
		av.SetConfigFile(apath)
		av.SetConfigType("toml")
		if err := av.ReadInConfig(); err != nil {
			return nil, nil, fmt.Errorf("read %s: %w", apath, err)
		}
		if err := av.Unmarshal(&ac); err != nil {
			return nil, nil, fmt.Errorf("parse %s: %w", apath, err)
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, nil, fmt.Errorf("config file %s: %w", apath, err)
	}
	if err := ac.Validate(); err != nil {
		return nil, nil, fmt.Errorf("invalid %s: %w", apath, err)
	}
	return c, &ac, nil
}

// WriteConfig writes both configuration files of home: c to
// config/config.toml and ac to config/app.toml.
func WriteConfig(home string, c *cmtcfg.Config, ac *Config) error {
	if err := ac.Validate(); err != nil {
		return fmt.Errorf("app config: %w", err)
	}
	if err := os.MkdirAll(filepath.Join(home, ConfigDir), 0o700); err != nil {
		return fmt.Errorf("create config directory: %w", err)
	}
	if err := catchPanic(func() { cmtcfg.WriteConfigFile(filepath.Join(home, ConfigFile), c) }); err != nil {
		return fmt.Errorf("write %s: %w", filepath.Join(home, ConfigFile), err)
	}
	var buf bytes.Buffer
	if err := appConfigTemplate.Execute(&buf, ac); err != nil {
		return fmt.Errorf("render app.toml: %w", err)
	}
	if err := os.WriteFile(filepath.Join(home, AppConfigFile), buf.Bytes(), 0o600); err != nil {
		return fmt.Errorf("write %s: %w", filepath.Join(home, AppConfigFile), err)
	}
	return nil
}

// NewLogger builds a CometBFT logger writing to w. level is "info", "debug",
// "error", "none" or per module ("consensus:debug,*:info"); format is
// "plain" or "json".
func NewLogger(w io.Writer, level, format string) (log.Logger, error) {
	var l log.Logger
	switch format {
	case "", cmtcfg.LogFormatPlain:
		l = log.NewTMLogger(log.NewSyncWriter(w))
	case cmtcfg.LogFormatJSON:
		l = log.NewTMJSONLogger(log.NewSyncWriter(w))
	default:
		return nil, fmt.Errorf("log format %q, expected plain or json", format)
	}
	if level == "" {
		level = cmtcfg.DefaultLogLevel
	}
	l, err := flags.ParseLogLevel(level, l, cmtcfg.DefaultLogLevel)
	if err != nil {
		return nil, fmt.Errorf("log level %q: %w", level, err)
	}
	return l, nil
}

// tcpHostPort parses "tcp://host:port" (the scheme may be omitted) into
// "host:port".
func tcpHostPort(addr string) (string, error) {
	hp := addr
	if i := strings.Index(addr, "://"); i >= 0 {
		if scheme := addr[:i]; scheme != "tcp" {
			return "", fmt.Errorf("address %q uses scheme %q, expected tcp://host:port", addr, scheme)
		}
		hp = addr[i+3:]
	}
	host, port, err := net.SplitHostPort(hp)
	if err != nil {
		return "", fmt.Errorf("address %q: %v, expected tcp://host:port", addr, err)
	}
	if port == "" {
		return "", fmt.Errorf("address %q has no port, expected tcp://host:port", addr)
	}
	return net.JoinHostPort(host, port), nil
}

// httpURL turns a listen address into a URL a local client can call:
// tcp://0.0.0.0:26659 becomes http://127.0.0.1:26659.
func httpURL(laddr string) string {
	hp, err := tcpHostPort(laddr)
	if err != nil {
		return ""
	}
	host, port, _ := net.SplitHostPort(hp)
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	u := url.URL{Scheme: "http", Host: net.JoinHostPort(host, port)}
	return u.String()
}

// catchPanic runs f and turns a panic into an error. CometBFT's file helpers
// panic (or exit) on I/O errors; the node reports them instead.
func catchPanic(f func()) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	f()
	return nil
}
