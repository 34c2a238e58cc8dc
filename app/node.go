package app

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	cmtcfg "github.com/cometbft/cometbft/config"
	"github.com/cometbft/cometbft/libs/log"
	"github.com/cometbft/cometbft/node"
	"github.com/cometbft/cometbft/p2p"
	"github.com/cometbft/cometbft/rpc/client/local"
	cmttypes "github.com/cometbft/cometbft/types"

	"github.com/tallyledger/tally/crypto/keystore"
	"github.com/tallyledger/tally/explorer"
	"github.com/tallyledger/tally/genesis"
	"github.com/tallyledger/tally/ledger"
)

// NodeOptions adjust a node beyond its configuration files.
type NodeOptions struct {
	// LogLevel overrides config.toml's log_level when set ("info", "debug",
	// "error", "none" or per module: "consensus:debug,*:info").
	LogLevel string
	// LogFormat overrides config.toml's log_format when set: "plain" or
	// "json".
	LogFormat string
	// Logger receives the logs; os.Stdout when nil.
	Logger io.Writer
	// OnDiskFault is called, once, when a write of the node's data fails
	// because the disk is full or broken, from the goroutine whose write
	// failed. It must end the process: the node cannot go on, and
	// CometBFT would otherwise panic. Every store survives that as it
	// survives a crash. Nil means ExitOnDiskFault.
	OnDiskFault func(*DiskFault)
}

// Node is a full Tally node in one process: CometBFT with the ledger as its
// local ABCI application, and the ledger JSON-RPC API.
type Node struct {
	home   string
	cfg    *cmtcfg.Config
	appCfg *Config
	logger log.Logger

	ledger *ledger.Ledger
	app    *App
	cmt    *node.Node
	rpc    *local.Local
	dbs    *dbRecorder
	api    *apiServer
	names  []explorer.Name // the genesis's names of accounts and validators

	metrics      *Metrics
	promLn       net.Listener // the Prometheus listener, when instrumentation is on
	promSrv      *http.Server
	lastCommitAt atomic.Int64 // wall clock (Unix ns) of the last commit, or of the start

	space      diskSpace
	diskFree   atomic.Int64 // bytes, the least free of the data's file systems, last measured
	diskWarned atomic.Bool
	haltErr    error // why the node stopped by itself

	evict    chan struct{} // a commit happened: disconnect peers no longer allowed
	quit     chan struct{}
	workers  sync.WaitGroup
	mu       sync.Mutex
	started  bool
	stopped  bool
	done     chan struct{}
	stopErr  error
	stopOnce sync.Once
}

// NewNode opens the node at home: it reads and checks the configuration, the
// genesis and the keys, opens the ledger (<db_dir>/ledger.db) and runs
// CometBFT's handshake, which replays any blocks the ledger lacks. It does
// not listen on any port until Start. Every failure is one line saying what
// is wrong and, where there is one, what to do; nothing is left open.
func NewNode(home string, opts NodeOptions) (n *Node, err error) {
	began := time.Now()
	c, ac, err := LoadConfig(home)
	if err != nil {
		return nil, err
	}
	if opts.LogLevel != "" {
		c.LogLevel = opts.LogLevel
	}
	if opts.LogFormat != "" {
		c.LogFormat = opts.LogFormat
	}
	w := opts.Logger
	if w == nil {
		w = os.Stdout
	}
	baseLogger, err := NewLogger(w, c.LogLevel, c.LogFormat)
	if err != nil {
		return nil, err
	}
	divergence := newDivergenceLogger(baseLogger)
	gate := newDiskFaultGate(opts.OnDiskFault, divergence)
	var logger log.Logger = &diskFaultLogger{Logger: divergence, gate: gate}

	genDoc, err := genesis.LoadDoc(c.GenesisFile())
	if err != nil {
		return nil, genesisDamaged(c, err)
	}
	// The node and validator keys are secrets: refuse them readable by
	// others (as ssh does), with the chmod to run.
	for _, f := range []string{c.NodeKeyFile(), c.PrivValidatorKeyFile()} {
		if err := keystore.CheckPrivateFile(f); err != nil {
			return nil, err
		}
	}
	nodeKey, err := p2p.LoadNodeKey(c.NodeKeyFile())
	if err != nil {
		return nil, nodeKeyDamaged(c, err)
	}
	pv, err := loadPrivValidator(c.PrivValidatorKeyFile(), c.PrivValidatorStateFile())
	if err != nil {
		return nil, err
	}

	// Opening the stores writes to them: refuse to start on a disk that
	// is already (almost) full.
	space := newDiskSpace(c, ac)
	_, free, err := space.check()
	if err != nil {
		return nil, err
	}

	// Where start-up time goes, said once the node is open: a restarted
	// validator's rejoin time is mostly this and the first rounds.
	var phases []any
	mark := func(name string) {
		now := time.Now()
		phases = append(phases, name, now.Sub(began).Round(time.Millisecond).String())
		began = now
	}
	mark("config_and_keys")
	dbDir := c.DBDir()
	if err := os.MkdirAll(dbDir, 0o700); err != nil {
		return nil, fmt.Errorf("create data directory %s: %w", dbDir, err)
	}
	// Before any store is opened: goleveldb drops the unreadable parts of
	// a journal for good when it opens it.
	if err := checkLevelJournals(c, home, logger); err != nil {
		return nil, err
	}
	st, err := ledger.OpenLevelDBStore(filepath.Join(dbDir, LedgerDBName))
	if err != nil {
		if isLockedErr(err) {
			return nil, errDataDirInUse(dbDir)
		}
		return nil, openErrDamaged(levelStores[0], c, err)
	}
	metrics := NewMetrics()
	ledgerOpts := ac.LedgerOptions()
	ledgerOpts.TreeUpdate = metrics.TreeUpdateHook
	// CheckTx admits no more than the mempool can hold, so the mempool
	// never drops a transaction CheckTx admitted (ledger.CodeMempoolFull).
	ledgerOpts.MaxMempoolTxs, ledgerOpts.MaxMempoolBytes = int64(c.Mempool.Size), c.Mempool.MaxTxsBytes
	l, err := ledger.Open(st, ledgerOpts)
	if err != nil {
		st.Close()
		return nil, levelStores[0].damaged(dbDir, home, err.Error())
	}
	mark("ledger_open")
	dbs := &dbRecorder{gate: gate}
	// The ledger's lock is held: no other node runs on this home.
	if err := checkConsensusWAL(c, logger); err != nil {
		l.Close()
		return nil, err
	}
	defer func() {
		if err != nil {
			dbs.closeAll(logger)
			l.Close()
		}
	}()
	// The app_state is checked in full only when InitChain will build the
	// ledger from it. A node with a state of its own, or restoring one by
	// state sync (checked against the light-client-verified app hash), reads
	// only the names and the allowed nodes of a genesis that may be large.
	var appState *genesis.AppState
	if l.LastHeight() > 0 || c.StateSync.Enable {
		appState, err = genesis.Refs(genDoc.AppState)
	} else {
		appState, err = genesis.Check(genDoc)
	}
	if err != nil {
		return nil, fmt.Errorf("genesis file %s: %w", c.GenesisFile(), err)
	}
	// Ports are probed after the data directory is locked, so that a second
	// tallyd on the same home reports the home in use, not a port.
	if err := probePorts(c, ac); err != nil {
		return nil, err
	}
	if err := checkLedgerAgainstChain(c, l, genDoc, dbs, home); err != nil {
		return nil, err
	}
	mark("ledger_check")
	if err := checkTxIndex(c, dbs, logger); err != nil {
		return nil, err
	}
	mark("tx_index_check")

	metrics.WatchLedger(l)
	divergence.watch(l)
	n = &Node{
		home: home, cfg: c, appCfg: ac, logger: logger, ledger: l, dbs: dbs, names: genesisNames(genDoc, appState), metrics: metrics,
		evict: make(chan struct{}, 1), quit: make(chan struct{}), done: make(chan struct{}), space: space,
	}
	n.recordDisk(space.dirs[0], free)
	n.app = New(l, logger.With("module", "tally"), WithAfterCommit(n.afterCommit), WithMetrics(metrics),
		WithSnapshots(filepath.Join(dbDir, SnapshotsDir), ac.SnapshotInterval, ac.SnapshotKeepRecent),
		WithGenesisNodes(appState.AllowedNodes), WithRetainBlocks(ac.RetainBlocks), WithDiskFault(gate.check))
	cmtNode, err := newCometNode(c, pv, nodeKey, n.app, ac.ParallelCheckTx, genDoc, dbs, logger)
	if err != nil {
		return nil, err
	}
	mark("cometbft_open_and_handshake")
	logger.Info("node opened", phases...)
	n.cmt = cmtNode
	n.rpc = local.New(cmtNode)
	if ac.APIListenAddr != "" {
		n.api = newAPIServer(apiBackend{ledger: l, rpc: n.rpc, peers: n}, ac.APIListenAddr, c.RPC,
			logger.With("module", "ledger-api"), n.apiPages(logger)...)
		n.api.limits = apiLimits{allowedHosts: ac.APIAllowedHosts, maxWebsockets: ac.APIMaxWebsockets, maxConnsPerIP: ac.APIMaxConnectionsPerIP}
	}
	return n, nil
}

// newCometNode calls node.NewNode, turning the panics of its handshake (an
// app hash that differs from CometBFT's state) into errors.
func newCometNode(c *cmtcfg.Config, pv cmttypes.PrivValidator, nk *p2p.NodeKey, a *App, parallelCheckTx bool,
	genDoc *cmttypes.GenesisDoc, dbs *dbRecorder, logger log.Logger,
) (n *node.Node, err error) {
	defer func() {
		if r := recover(); r != nil {
			msg := strings.SplitN(fmt.Sprint(r), "\n", 2)[0]
			err = fmt.Errorf("CometBFT handshake with the ledger failed: %s; the ledger, the block store and the state store disagree (one of them lost writes): run tallyd reset --home %s to resync", msg, c.RootDir)
		}
	}()
	// CometBFT creates its metrics by c.Instrumentation but the node serves
	// them itself, together with the app's (see Node.startMetrics).
	metricsProvider := node.DefaultMetricsProvider(c.Instrumentation)
	cc := *c
	inst := *c.Instrumentation
	inst.Prometheus = false
	cc.Instrumentation = &inst
	n, err = node.NewNode(&cc, pv, nk, clientCreator(a, parallelCheckTx),
		func() (*cmttypes.GenesisDoc, error) { return genDoc, nil },
		dbs.provider, metricsProvider, logger)
	if err != nil {
		return nil, explainNodeError(err, c)
	}
	return n, nil
}

// Start starts CometBFT (p2p, consensus, RPC) and the ledger API.
func (n *Node) Start() error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.started || n.stopped {
		return errors.New("node already started or stopped; make a new one with NewNode")
	}
	if err := probePorts(n.cfg, n.appCfg); err != nil {
		return err
	}
	if n.api != nil {
		if err := n.api.listen(); err != nil {
			return err
		}
	}
	if err := n.listenMetrics(); err != nil {
		if n.api != nil {
			n.api.close()
		}
		return err
	}
	n.lastCommitAt.Store(time.Now().UnixNano())
	if err := n.cmt.Start(); err != nil {
		if n.api != nil {
			n.api.close()
		}
		n.closeMetrics()
		return fmt.Errorf("start CometBFT: %w", err)
	}
	if n.api != nil {
		n.api.serve()
	}
	n.serveMetrics()
	n.started = true
	n.workers.Add(2)
	go n.evictLoop()
	go n.watchDisk()
	if r := newPeerRedialer(n.cfg.P2P.PersistentPeers, n.cmt.NodeInfo().ID(), n.cfg.P2P.PersistentPeersMaxDialPeriod); len(r.peers) > 0 {
		n.workers.Add(1)
		go n.redialLoop(r)
	}
	n.logger.Info("tally node started", "home", n.home, "node_id", n.NodeID(),
		"p2p", n.cfg.P2P.ListenAddress, "rpc", n.cfg.RPC.ListenAddress, "api", n.APIAddr())
	return nil
}

// Stop stops the API, CometBFT and the ledger and closes every database
// (CometBFT leaves its tx index open on stop; the node closes it), so the
// same home can be opened again in this process. It is safe to call more
// than once and on a node that was never started.
func (n *Node) Stop() error {
	n.stopOnce.Do(func() {
		n.mu.Lock()
		started := n.started
		n.stopped = true
		n.mu.Unlock()
		var errs []error
		if n.api != nil {
			n.api.close()
		}
		n.closeMetrics()
		close(n.quit)
		n.workers.Wait()
		if started {
			if err := n.cmt.Stop(); err != nil {
				errs = append(errs, fmt.Errorf("stop CometBFT: %w", err))
			}
			n.cmt.Wait()
		}
		n.app.snapshots.wait()
		n.dbs.closeAll(n.logger)
		if err := n.ledger.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close ledger: %w", err))
		}
		n.stopErr = errors.Join(errs...)
		close(n.done)
	})
	<-n.done
	return n.stopErr
}

// Wait blocks until Stop has finished.
func (n *Node) Wait() { <-n.done }

// Home returns the node's home directory.
func (n *Node) Home() string { return n.home }

// Config returns CometBFT's configuration of the node.
func (n *Node) Config() *cmtcfg.Config { return n.cfg }

// AppConfig returns Tally's configuration of the node.
func (n *Node) AppConfig() *Config { return n.appCfg }

// NodeID returns the node's p2p ID (40 hex digits).
func (n *Node) NodeID() string { return string(n.cmt.NodeInfo().ID()) }

// CometNode returns the CometBFT node.
func (n *Node) CometNode() *node.Node { return n.cmt }

// Switch returns CometBFT's p2p switch.
func (n *Node) Switch() p2p.Switcher { return n.cmt.Switch() }

// Ledger returns the node's ledger.
func (n *Node) Ledger() *ledger.Ledger { return n.ledger }

// App returns the node's ABCI application.
func (n *Node) App() *App { return n.app }

// RPC returns an in-process CometBFT RPC client (no HTTP).
func (n *Node) RPC() *local.Local { return n.rpc }

// APIAddr returns the address the ledger API listens on (tcp://host:port),
// or "" when it is disabled. Before Start it is the configured address.
func (n *Node) APIAddr() string {
	if n.api == nil {
		return ""
	}
	return n.api.addr()
}
