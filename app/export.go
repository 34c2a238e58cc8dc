package app

import (
	"fmt"
	"path/filepath"

	cmtcfg "github.com/cometbft/cometbft/config"
	"github.com/cometbft/cometbft/crypto/ed25519"
	cmtjson "github.com/cometbft/cometbft/libs/json"
	"github.com/cometbft/cometbft/libs/log"
	sm "github.com/cometbft/cometbft/state"
	cmttypes "github.com/cometbft/cometbft/types"

	"github.com/tallyledger/tally/genesis"
	"github.com/tallyledger/tally/ledger"
)

// Export is a stopped node's ledger state as a new chain's genesis.
type Export struct {
	Doc     *cmttypes.GenesisDoc
	State   *genesis.AppState
	Height  int64  // the exported height
	AppHash []byte // its app hash: the new chain's state root before block Height+1
}

// ExportGenesis reads the ledger of the stopped node at home and returns a
// genesis document whose app state is the whole ledger state at the last
// committed height: accounts with nonces, roles and freezes, balances,
// assets, validators (as the document's validators), allowed nodes,
// proposals and retired nonces. The new chain keeps the chain ID, starts at
// the next height and uses CometBFT's current consensus parameters and the
// last block's time. The export is checked: the state root of its app
// state equals the exported app hash. A running node (its data directory
// locked) is refused.
func ExportGenesis(home string) (*Export, error) {
	c, _, err := LoadConfig(home)
	if err != nil {
		return nil, err
	}
	doc, orig, err := genesis.Load(c.GenesisFile())
	if err != nil {
		return nil, err
	}
	st, err := ledger.OpenLevelDBStore(filepath.Join(c.DBDir(), LedgerDBName))
	if err != nil {
		if isLockedErr(err) {
			return nil, fmt.Errorf("the node at %s is running (its data directory %s is locked): stop it before exporting", home, c.DBDir())
		}
		return nil, err
	}
	l, err := ledger.Open(st, ledger.Options{})
	if err != nil {
		st.Close()
		return nil, err
	}
	defer l.Close()
	v := l.View()
	if v.Height() == 0 {
		return nil, fmt.Errorf("the node at %s has committed no block yet: nothing to export", home)
	}
	g, err := v.Export()
	if err != nil {
		return nil, err
	}

	out := &cmttypes.GenesisDoc{
		ChainID:         v.ChainID(),
		GenesisTime:     doc.GenesisTime,
		InitialHeight:   v.Height() + 1,
		ConsensusParams: doc.ConsensusParams,
	}
	if cs, err := loadCometState(c); err != nil {
		return nil, err
	} else if cs.LastBlockHeight > 0 {
		out.ConsensusParams = &cs.ConsensusParams
		out.GenesisTime = cs.LastBlockTime
	}
	names := map[string]string{}
	for _, gv := range doc.Validators {
		names[string(gv.PubKey.Bytes())] = gv.Name
	}
	for _, val := range g.Validators {
		pk := ed25519.PubKey(val.PubKey)
		out.Validators = append(out.Validators, cmttypes.GenesisValidator{
			Address: pk.Address(), PubKey: pk, Power: int64(val.Power), Name: names[string(val.PubKey)],
		})
	}
	s := genesis.FromLedger(g)
	keepNames(s, orig)
	raw, err := s.Marshal()
	if err != nil {
		return nil, fmt.Errorf("encode app_state: %w", err)
	}
	out.AppState = raw
	if err := out.ValidateAndComplete(); err != nil {
		return nil, fmt.Errorf("exported genesis is not valid: %w", err)
	}
	vals, err := genesis.ValidatorsFromDoc(out)
	if err != nil {
		return nil, err
	}
	if _, err := s.ToLedger(vals); err != nil {
		return nil, fmt.Errorf("exported genesis is not valid: %w", err)
	}
	return &Export{Doc: out, State: s, Height: v.Height(), AppHash: v.AppHash()}, nil
}

// loadCometState reads CometBFT's state of a stopped node.
func loadCometState(c *cmtcfg.Config) (sm.State, error) {
	dbs := &dbRecorder{}
	defer dbs.closeAll(log.NewNopLogger())
	db, err := dbs.open("state", c)
	if err != nil {
		return sm.State{}, err
	}
	s, err := sm.NewStore(db, sm.StoreOptions{}).Load()
	if err != nil {
		return sm.State{}, fmt.Errorf("read CometBFT state: %w", err)
	}
	return s, nil
}

// GenesisJSON encodes a genesis document as CometBFT writes genesis.json.
func GenesisJSON(doc *cmttypes.GenesisDoc) ([]byte, error) {
	raw, err := cmtjson.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode genesis: %w", err)
	}
	return append(raw, '\n'), nil
}

// keepNames carries the original genesis's account names (labels for the
// explorer, not ledger state) over to the accounts still registered.
func keepNames(s, orig *genesis.AppState) {
	names := map[string]string{}
	for _, a := range orig.Accounts {
		if a.Name != "" {
			names[a.Address] = a.Name
		}
	}
	for i := range s.Accounts {
		s.Accounts[i].Name = names[s.Accounts[i].Address]
	}
}
