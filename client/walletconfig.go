package client

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"unicode"

	"github.com/tallyledger/tally/crypto/keystore"
)

// WalletConfigFile is the name of the config file in a wallet home.
const WalletConfigFile = "config.json"

// WalletConfig is what a wallet home remembers about where and how it
// talks to the chain, so that commands need no --node each time. It is
// stored as <home>/config.json, one JSON object whose fields are the keys
// below, each left out when unset:
//
//	{
//	  "node": "http://127.0.0.1:26657",
//	  "api": "http://127.0.0.1:26659",
//	  "chain-id": "tally-localnet",
//	  "output": "json"
//	}
//
// Keys are named like the wallet's global flags (--node, --api,
// --chain-id, --output); a flag wins over its environment variable, which
// wins over this file, which wins over the built-in default. Unknown
// fields are refused, so a typo is never silently ignored. To add a key:
// a field here and an entry in WalletConfigKeys.
type WalletConfig struct {
	Node    string `json:"node,omitempty"`
	API     string `json:"api,omitempty"`
	ChainID string `json:"chain-id,omitempty"`
	Output  string `json:"output,omitempty"`
	// Trust is the chain's trust root, pinned by the first verified read
	// (query account --prove) or by localnet for its wallet; not set with
	// `tally config set`.
	Trust *TrustRoot `json:"trust,omitempty"`
}

// WalletConfigKey describes one key of the wallet config.
type WalletConfigKey struct {
	Name string // as `tally config set` takes it and the file spells it
	Help string
	// field returns the key's field in a config.
	field func(*WalletConfig) *string
	// check validates a new value and returns its canonical form.
	check func(string) (string, error)
}

// WalletConfigKeys lists the keys of the wallet config, in the order
// `tally config` shows them.
var WalletConfigKeys = []WalletConfigKey{
	{Name: "node", Help: "CometBFT RPC address of the node (http://host:port), or a comma-separated list that sends fail over along",
		field: func(c *WalletConfig) *string { return &c.Node }, check: normalizeURLList},
	{Name: "api", Help: "ledger API address of the node (default: the node's host, RPC port + 2)",
		field: func(c *WalletConfig) *string { return &c.API }, check: NormalizeURL},
	{Name: "chain-id", Help: "chain ID to sign for (default: the node's)",
		field: func(c *WalletConfig) *string { return &c.ChainID }, check: checkChainID},
	{Name: "output", Help: "output format: text or json",
		field: func(c *WalletConfig) *string { return &c.Output }, check: CheckOutputFormat},
}

// LookupWalletConfigKey returns the key named name, or an error listing
// the known keys.
func LookupWalletConfigKey(name string) (WalletConfigKey, error) {
	for _, k := range WalletConfigKeys {
		if k.Name == name {
			return k, nil
		}
	}
	names := make([]string, len(WalletConfigKeys))
	for i, k := range WalletConfigKeys {
		names[i] = k.Name
	}
	return WalletConfigKey{}, fmt.Errorf("unknown config key %q, expected one of %s", name, strings.Join(names, ", "))
}

// Get returns the key's value in c ("" when unset).
func (k WalletConfigKey) Get(c *WalletConfig) string { return *k.field(c) }

// Check validates a value of the key and returns its canonical form.
func (k WalletConfigKey) Check(value string) (string, error) {
	v, err := k.check(strings.TrimSpace(value))
	if err != nil {
		return "", fmt.Errorf("bad value for %s: %v", k.Name, err)
	}
	return v, nil
}

// Set validates value and stores it in c; an empty value unsets the key.
func (c *WalletConfig) Set(name, value string) error {
	k, err := LookupWalletConfigKey(name)
	if err != nil {
		return err
	}
	if strings.TrimSpace(value) == "" {
		*k.field(c) = ""
		return nil
	}
	v, err := k.Check(value)
	if err != nil {
		return err
	}
	*k.field(c) = v
	return nil
}

// validate checks every value set in c.
func (c *WalletConfig) validate() error {
	if c.Trust != nil {
		if err := c.Trust.validate(); err != nil {
			return err
		}
	}
	for _, k := range WalletConfigKeys {
		if v := k.Get(c); v != "" {
			if _, err := k.Check(v); err != nil {
				return err
			}
		}
	}
	return nil
}

// WalletConfigPath is the config file of the wallet home.
func WalletConfigPath(home string) string { return filepath.Join(home, WalletConfigFile) }

// LoadWalletConfig reads the config of the wallet home; a home without a
// config file gives an empty config.
func LoadWalletConfig(home string) (*WalletConfig, error) {
	path := WalletConfigPath(home)
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return &WalletConfig{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read wallet config: %v", err)
	}
	var c WalletConfig
	if err := decodeStrict(data, &c); err != nil {
		return nil, fmt.Errorf("wallet config %s: %v (fix it, or remove it and use `tally config set`)", path, err)
	}
	if err := c.validate(); err != nil {
		return nil, fmt.Errorf("wallet config %s: %v", path, err)
	}
	return &c, nil
}

// SaveWalletConfig writes c as the config of the wallet home, creating
// the home if needed. The file is replaced atomically: a crash leaves the
// old file or the new one, never a part.
func SaveWalletConfig(home string, c *WalletConfig) error {
	if err := c.validate(); err != nil {
		return err
	}
	data, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return fmt.Errorf("encode wallet config: %v", err)
	}
	if err := os.MkdirAll(home, 0o700); err != nil {
		return fmt.Errorf("create wallet home: %v", err)
	}
	if err := keystore.WriteFileAtomic(WalletConfigPath(home), append(data, '\n'), true); err != nil {
		return fmt.Errorf("write wallet config: %v", err)
	}
	return nil
}

// CheckOutputFormat accepts the wallet's output formats, text and json.
func CheckOutputFormat(s string) (string, error) {
	switch s {
	case "text", "json":
		return s, nil
	}
	return "", fmt.Errorf("%q: expected text or json", s)
}

// checkChainID accepts what CometBFT accepts as a chain ID (at most 50
// bytes) without spaces or control characters.
func checkChainID(s string) (string, error) {
	const maxLen = 50 // CometBFT's types.MaxChainIDLen
	if s == "" || len(s) > maxLen {
		return "", fmt.Errorf("%q: expected 1 to %d characters", s, maxLen)
	}
	if i := bytes.IndexFunc([]byte(s), func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }); i >= 0 {
		return "", fmt.Errorf("%q: no spaces or control characters allowed", s)
	}
	return s, nil
}

// normalizeURLList normalizes each address of a comma-separated list.
func normalizeURLList(list string) (string, error) {
	var out []string
	for _, u := range strings.Split(list, ",") {
		if u = strings.TrimSpace(u); u == "" {
			continue
		}
		n, err := NormalizeURL(u)
		if err != nil {
			return "", err
		}
		out = append(out, n)
	}
	if len(out) == 0 {
		return "", fmt.Errorf("no address in %q", list)
	}
	return strings.Join(out, ","), nil
}
