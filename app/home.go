package app

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	cmtcfg "github.com/cometbft/cometbft/config"
	cmtjson "github.com/cometbft/cometbft/libs/json"
	"github.com/cometbft/cometbft/p2p"
	"github.com/cometbft/cometbft/privval"
	cmttypes "github.com/cometbft/cometbft/types"
	cmttime "github.com/cometbft/cometbft/types/time"
	"github.com/syndtr/goleveldb/leveldb/storage"

	"github.com/tallyledger/tally/genesis"
	"github.com/tallyledger/tally/ledger"
)

// DefaultValidatorPower is the voting power InitHome gives the node's own
// validator in the genesis it writes.
const DefaultValidatorPower = 10

// InitOption adjusts what InitHome writes.
type InitOption func(*initSettings)

type initSettings struct {
	basePort     int
	edits        []func(*cmtcfg.Config, *Config)
	genesisEdits []func(*genesis.AppState) error
}

// WithBasePort lays the node's ports out from base as the localnet does: p2p
// on base, CometBFT RPC on base+1, the ledger API on base+3.
func WithBasePort(base int) InitOption {
	return func(s *initSettings) { s.basePort = base }
}

// WithConfig lets the caller edit both configurations before they are
// written (ports, peers, timeouts...). Edits run in order, after
// WithBasePort.
func WithConfig(edit func(c *cmtcfg.Config, ac *Config)) InitOption {
	return func(s *initSettings) { s.edits = append(s.edits, edit) }
}

// InitHome creates a node home: config/config.toml and config/app.toml with
// production defaults, a node key, a validator key (ed25519, CometBFT's
// privval files) with its sign state at height 0, and config/genesis.json
// for chainID with this node as the only validator (power
// DefaultValidatorPower) and the only allowed node. Existing keys are kept;
// an existing genesis is an error, so a home is never overwritten.
func InitHome(home, moniker, chainID string, opts ...InitOption) error {
	if strings.TrimSpace(moniker) == "" {
		return errors.New("moniker is empty, expected a name for this node")
	}
	if chainID == "" {
		return errors.New("chain ID is empty, expected an identifier such as tally-1")
	}
	if len(chainID) > ledger.MaxChainIDBytes {
		return fmt.Errorf("chain ID %q is %d bytes, at most %d allowed", chainID, len(chainID), ledger.MaxChainIDBytes)
	}
	var s initSettings
	for _, o := range opts {
		o(&s)
	}
	genFile := filepath.Join(home, GenesisFile)
	if _, err := os.Stat(genFile); err == nil {
		return fmt.Errorf("home %s is already initialized (%s exists); use another --home or remove it", home, genFile)
	}

	c := DefaultCometConfig(home, moniker)
	ac := DefaultConfig()
	if s.basePort != 0 {
		if s.basePort < 1 || s.basePort+3 > 65535 {
			return fmt.Errorf("base port %d out of range, expected 1 to 65532", s.basePort)
		}
		c.P2P.ListenAddress = "tcp://0.0.0.0:" + strconv.Itoa(s.basePort)
		c.RPC.ListenAddress = "tcp://127.0.0.1:" + strconv.Itoa(s.basePort+1)
		ac.APIListenAddr = "tcp://127.0.0.1:" + strconv.Itoa(s.basePort+3)
	}
	for _, edit := range s.edits {
		edit(c, &ac)
	}
	c.SetRoot(home)
	if err := c.ValidateBasic(); err != nil {
		return fmt.Errorf("invalid CometBFT config: %w", err)
	}
	for _, dir := range []string{filepath.Join(home, ConfigDir), c.DBDir()} {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return fmt.Errorf("create %s: %w", dir, err)
		}
	}
	if err := WriteConfig(home, c, &ac); err != nil {
		return err
	}

	nodeKey, err := p2p.LoadOrGenNodeKey(c.NodeKeyFile())
	if err != nil {
		return fmt.Errorf("node key %s: %w", c.NodeKeyFile(), err)
	}
	pv, err := loadOrGenPrivValidator(c.PrivValidatorKeyFile(), c.PrivValidatorStateFile())
	if err != nil {
		return err
	}
	pub, err := pv.GetPubKey()
	if err != nil {
		return fmt.Errorf("validator key: %w", err)
	}

	appState, err := initialAppState(string(nodeKey.ID()), s.genesisEdits)
	if err != nil {
		return fmt.Errorf("genesis app_state: %w", err)
	}
	doc := &cmttypes.GenesisDoc{
		GenesisTime:     cmttime.Now(),
		ChainID:         chainID,
		InitialHeight:   1,
		ConsensusParams: cmttypes.DefaultConsensusParams(),
		Validators: []cmttypes.GenesisValidator{{
			Address: pub.Address(),
			PubKey:  pub,
			Power:   DefaultValidatorPower,
			Name:    moniker,
		}},
	}
	if err := doc.ValidateAndComplete(); err != nil {
		return fmt.Errorf("genesis: %w", err)
	}
	return genesis.Write(genFile, doc, appState)
}

// ResetHome deletes the node's chain data, CometBFT's (blocks, state, WAL,
// evidence, tx index) and the ledger's together, so that the two can never
// disagree, and resets the validator's sign state to height 0. Keys,
// configuration and genesis are kept. The node then replays the chain from
// its peers (or from genesis when alone). It refuses while a node uses the
// home.
func ResetHome(home string) error {
	c, _, err := LoadConfig(home)
	if err != nil {
		return err
	}
	dbDir := c.DBDir()
	if err := checkDataDirNotInUse(dbDir); err != nil {
		return err
	}
	// A damaged sign state is never replaced without the operator's
	// decision: the reset would let the validator sign below it.
	if err := checkSignStateFile(c.PrivValidatorStateFile()); err != nil {
		return fmt.Errorf("%w (tallyd reset refuses: it would set the sign state to height 0)", err)
	}
	entries, err := os.ReadDir(dbDir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("read data directory %s: %w", dbDir, err)
	}
	keep := map[string]bool{}
	for _, p := range []string{c.PrivValidatorKeyFile(), c.NodeKeyFile(), c.GenesisFile(),
		filepath.Join(home, ConfigFile), filepath.Join(home, AppConfigFile)} {
		keep[filepath.Clean(p)] = true
	}
	for _, e := range entries {
		p := filepath.Join(dbDir, e.Name())
		if keep[filepath.Clean(p)] {
			continue
		}
		if err := os.RemoveAll(p); err != nil {
			return fmt.Errorf("remove %s: %w", p, err)
		}
	}
	if err := os.MkdirAll(dbDir, 0o700); err != nil {
		return fmt.Errorf("create %s: %w", dbDir, err)
	}
	return writeSignState(c.PrivValidatorStateFile(), &privval.FilePVLastSignState{})
}

// CheckHomeNotInUse fails when a process holds the lock of one of the
// home's databases, that is, when a node runs on the home. A home without
// a configuration or a data directory is not in use.
func CheckHomeNotInUse(home string) error {
	c, _, err := LoadConfig(home)
	if err != nil {
		if _, serr := os.Stat(filepath.Join(home, ConfigFile)); errors.Is(serr, fs.ErrNotExist) {
			return nil
		}
		return err
	}
	return checkDataDirNotInUse(c.DBDir())
}

// checkDataDirNotInUse fails when a process holds the lock of one of the
// databases in dbDir.
func checkDataDirNotInUse(dbDir string) error {
	entries, err := os.ReadDir(dbDir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("read data directory %s: %w", dbDir, err)
	}
	for _, e := range entries {
		if e.IsDir() && strings.HasSuffix(e.Name(), ".db") {
			if err := checkNotLocked(filepath.Join(dbDir, e.Name())); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkNotLocked fails when another process (or this one) holds the LevelDB
// lock of dir.
func checkNotLocked(dir string) error {
	st, err := storage.OpenFile(dir, true)
	if err != nil {
		if isLockedErr(err) {
			return errDataDirInUse(filepath.Dir(dir))
		}
		return fmt.Errorf("open %s: %w", dir, err)
	}
	return st.Close()
}

func errDataDirInUse(dir string) error {
	return fmt.Errorf("data directory %s is in use by another tallyd process; stop it first", dir)
}

// isLockedErr reports whether err is goleveldb failing to take its file lock.
func isLockedErr(err error) bool {
	return errors.Is(err, syscall.EAGAIN) || errors.Is(err, syscall.EWOULDBLOCK) ||
		strings.Contains(err.Error(), "resource temporarily unavailable")
}

// loadOrGenPrivValidator loads the validator's key and sign state, or makes a
// new key with a fresh state when the key file does not exist.
func loadOrGenPrivValidator(keyFile, stateFile string) (*privval.FilePV, error) {
	if _, err := os.Stat(keyFile); errors.Is(err, fs.ErrNotExist) {
		for _, f := range []string{keyFile, stateFile} {
			if err := os.MkdirAll(filepath.Dir(f), 0o700); err != nil {
				return nil, fmt.Errorf("create %s: %w", filepath.Dir(f), err)
			}
		}
		var pv *privval.FilePV
		if err := catchPanic(func() { pv = privval.GenFilePV(keyFile, stateFile); pv.Save() }); err != nil {
			return nil, fmt.Errorf("write validator key %s: %w", keyFile, err)
		}
		return pv, nil
	}
	return loadPrivValidator(keyFile, stateFile)
}

// loadPrivValidator reads the validator key and sign state, returning an
// error where privval.LoadFilePV would end the process.
func loadPrivValidator(keyFile, stateFile string) (*privval.FilePV, error) {
	key, err := readPrivValidatorKey(keyFile)
	if err != nil {
		if _, serr := os.Stat(keyFile); serr == nil {
			return nil, &StoreDamagedError{Store: "validator key", Path: keyFile, Cause: strings.TrimPrefix(err.Error(), "validator key "+keyFile+": "),
				Consequence: "the node cannot sign as its validator, and a new key would be another validator",
				WayOut:      "restore the file from a backup (config/priv_validator_key.json in a `tallyd backup` archive)"}
		}
		return nil, err
	}
	sb, err := os.ReadFile(stateFile)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("validator sign state %s is missing; it guards against double signing, so it is not recreated silently (tallyd reset recreates it with the chain data)", stateFile)
		}
		return nil, fmt.Errorf("validator sign state: %w", err)
	}
	st, err := parseSignState(stateFile, sb)
	if err != nil {
		return nil, err
	}
	pv := privval.NewFilePV(key.PrivKey, keyFile, stateFile)
	pv.LastSignState.Height = st.Height
	pv.LastSignState.Round = st.Round
	pv.LastSignState.Step = st.Step
	pv.LastSignState.Signature = st.Signature
	pv.LastSignState.SignBytes = st.SignBytes
	return pv, nil
}

func writeSignState(path string, st *privval.FilePVLastSignState) error {
	b, err := cmtjson.MarshalIndent(st, "", "  ")
	if err != nil {
		return fmt.Errorf("encode validator sign state: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("create %s: %w", filepath.Dir(path), err)
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		return fmt.Errorf("write validator sign state %s: %w", path, err)
	}
	return nil
}
