package localnet

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	dbm "github.com/cometbft/cometbft-db"
	"github.com/cometbft/cometbft/abci/example/kvstore"
	abci "github.com/cometbft/cometbft/abci/types"
	cmtcfg "github.com/cometbft/cometbft/config"
	cmtnode "github.com/cometbft/cometbft/node"
	"github.com/cometbft/cometbft/p2p"
	"github.com/cometbft/cometbft/privval"
	"github.com/cometbft/cometbft/proxy"

	"github.com/tallyledger/tally/app"
)

// KVStoreNodeCommand is the (hidden) tallyd command that runs a node home
// with CometBFT's kvstore example application: Start runs it instead of
// `tallyd start` when Options.App is AppKVStore.
const KVStoreNodeCommand = "kvstore-node"

// RunKVStoreNode runs CometBFT in this process on the node home made by
// Init, with the kvstore example application in place of the ledger: the
// same config.toml (ports, consensus timeouts, mempool, block size,
// indexer), keys and genesis (whose app_state kvstore ignores), and the
// same local client (one mutex over the ABCI connections) as a CometBFT
// node started with proxy_app=kvstore. It is the engine's own ceiling on
// this network shape. It runs until ctx ends, logging to w.
func RunKVStoreNode(ctx context.Context, home, logLevel string, w io.Writer) error {
	c, _, err := app.LoadConfig(home)
	if err != nil {
		return err
	}
	if logLevel != "" {
		c.LogLevel = logLevel
	}
	logger, err := app.NewLogger(w, c.LogLevel, c.LogFormat)
	if err != nil {
		return err
	}
	nk, err := p2p.LoadNodeKey(c.NodeKeyFile())
	if err != nil {
		return fmt.Errorf("node key: %w", err)
	}
	pv := privval.LoadFilePV(c.PrivValidatorKeyFile(), c.PrivValidatorStateFile())
	db, err := dbm.NewGoLevelDB("kvstore", c.DBDir())
	if err != nil {
		return fmt.Errorf("kvstore database: %w", err)
	}
	kv := &closableKVStore{Application: kvstore.NewApplication(db)}
	defer func() {
		kv.close()
		db.Close()
	}()
	n, err := cmtnode.NewNode(c, pv, nk, proxy.NewLocalClientCreator(kv),
		cmtnode.DefaultGenesisDocProviderFunc(c), cmtcfg.DefaultDBProvider,
		cmtnode.DefaultMetricsProvider(c.Instrumentation), logger)
	if err != nil {
		return fmt.Errorf("start CometBFT with kvstore: %w", err)
	}
	if err := n.Start(); err != nil {
		return fmt.Errorf("start CometBFT with kvstore: %w", err)
	}
	<-ctx.Done()
	if err := n.Stop(); err != nil {
		return fmt.Errorf("stop: %w", err)
	}
	n.Wait()
	return nil
}

// closableKVStore refuses queries once its database is about to close.
// CometBFT's peer filter queries the application from goroutines of its
// own that can outlive the node's Stop, and the kvstore example panics on
// a closed database ("leveldb: closed").
type closableKVStore struct {
	*kvstore.Application
	mu     sync.RWMutex
	closed bool
}

func (a *closableKVStore) Query(ctx context.Context, req *abci.RequestQuery) (*abci.ResponseQuery, error) {
	a.mu.RLock()
	defer a.mu.RUnlock()
	if a.closed {
		return nil, errors.New("the node is stopping")
	}
	return a.Application.Query(ctx, req)
}

func (a *closableKVStore) close() {
	a.mu.Lock()
	a.closed = true
	a.mu.Unlock()
}
