package localnet

import (
	"fmt"
	"time"
)

// Defaults of Options.
const (
	DefaultValidators    = 4
	DefaultChainID       = "tally-localnet"
	DefaultTimeoutCommit = 500 * time.Millisecond
	DefaultStartTimeout  = 90 * time.Second
	DefaultStopTimeout   = 15 * time.Second
	// LocalP2PRate is the p2p send and receive rate (bytes/s per
	// connection) of the nodes of a localnet on this machine.
	LocalP2PRate = 64 << 20
	// LocalnetSnapshotInterval is how many blocks apart a localnet's nodes
	// write state snapshots (keeping two) for nodes joining by state sync.
	LocalnetSnapshotInterval = 20
)

// Options configure Init and Start. The zero value means the defaults.
type Options struct {
	// Init.

	// Validators is the number of validator nodes (default 4).
	Validators int
	// BasePort is node0's p2p port (default 26656); node i listens on
	// BasePort+100i (p2p), +1 (CometBFT RPC) and +3 (ledger API). When
	// Hosts is set every node uses the same ports on its own host.
	BasePort int
	// ChainID of the new chain (default "tally-localnet").
	ChainID string
	// Admins is the number of admin keys (admin, admin2..adminN; default
	// 1); the admin threshold is Admins/2+1.
	Admins int
	// Users adds funded member keys user1..userN to the wallet and genesis
	// (used by load generation).
	Users int
	// Hosts, when set, has one address per validator (IP or DNS name) for
	// a network spread over several machines: nodes listen on all
	// interfaces and reach each other at Hosts[i]:BasePort.
	Hosts []string
	// WalletPassword encrypts the wallet's keys (the file backend). It is
	// required with Hosts: a network for real machines never gets
	// unencrypted keys. Without Hosts the wallet uses the unencrypted test
	// backend when it is empty.
	WalletPassword string
	// Docker makes a network of containers on this machine: Init also
	// writes DIR/compose.yaml and the image build context DIR/image, and
	// Start builds the image from Binary (which must be static) and runs
	// every validator as a container with its own address on a private
	// network, its CometBFT RPC and ledger API published on 127.0.0.1 at
	// the ports a process localnet uses.
	Docker bool
	// TimeoutCommit is the consensus timeout_commit (default 500ms, fit
	// for one machine); the other consensus timeouts are scaled from it.
	TimeoutCommit time.Duration
	// TimeoutPropose is the consensus timeout_propose (default twice
	// TimeoutCommit, at least 1s): how long validators wait for a
	// proposal before voting nil. A proposal of thousands of transactions
	// on a loaded machine may need more.
	TimeoutPropose time.Duration
	// Reset removes the directory before generating a new network.
	Reset bool
	// CometTxIndex keeps CometBFT's kv transaction indexer (its tx and
	// tx_search RPC methods). Off by default: the ledger indexes
	// transactions and histories itself.
	CometTxIndex bool
	// Pprof serves Go's net/http/pprof on each node's 127.0.0.1 at
	// base+2+100i (CometBFT's rpc.pprof_laddr), for profiling a node
	// under load (Net.PprofURL). Process localnets only.
	Pprof bool

	// Start.

	// Binary is the tallyd executable that Start runs (required).
	Binary string
	// StartTimeout bounds how long Start waits for every node to commit
	// its first block (default 90s).
	StartTimeout time.Duration
	// StopTimeout is how long a node gets to exit after SIGTERM before it
	// is killed (default 15s).
	StopTimeout time.Duration
	// LogLevel and LogFormat are passed to `tallyd start` when set.
	LogLevel, LogFormat string
	// App is the application the nodes run: AppTally (the default, "") or
	// AppKVStore, CometBFT's kvstore example on the same configuration, the
	// engine's own ceiling that Bench compares against.
	App string
}

// The applications a localnet can run (Options.App).
const (
	AppTally   = ""
	AppKVStore = "kvstore"
)

func (o Options) withDefaults() Options {
	if o.Validators == 0 {
		o.Validators = DefaultValidators
	}
	if o.BasePort == 0 {
		o.BasePort = DefaultBasePort
	}
	if o.ChainID == "" {
		o.ChainID = DefaultChainID
	}
	if o.Admins == 0 {
		o.Admins = 1
	}
	if o.TimeoutCommit == 0 {
		o.TimeoutCommit = DefaultTimeoutCommit
	}
	if o.StartTimeout == 0 {
		o.StartTimeout = DefaultStartTimeout
	}
	if o.StopTimeout == 0 {
		o.StopTimeout = DefaultStopTimeout
	}
	return o
}

func (o Options) validateInit() error {
	if o.Validators < 1 || o.Validators > 50 {
		return fmt.Errorf("validators: %d, expected 1 to 50", o.Validators)
	}
	top := o.BasePort + PortStride*(o.Validators-1) + 3
	if len(o.Hosts) > 0 {
		top = o.BasePort + 3
	}
	if o.BasePort < 1024 || top > 65535 {
		return fmt.Errorf("base port %d: the ports of %d nodes must lie in 1024-65535", o.BasePort, o.Validators)
	}
	if o.Admins < 1 || o.Admins > 20 {
		return fmt.Errorf("admins: %d, expected 1 to 20", o.Admins)
	}
	if o.Users < 0 || o.Users > 1000 {
		return fmt.Errorf("users: %d, expected 0 to 1000", o.Users)
	}
	if o.Docker && len(o.Hosts) > 0 {
		return fmt.Errorf("docker and hosts: a docker localnet runs on this machine; choose one")
	}
	if o.Docker && o.Validators > 200 {
		return fmt.Errorf("validators: %d, a docker localnet holds at most 200", o.Validators)
	}
	if len(o.Hosts) > 0 && len(o.Hosts) != o.Validators {
		return fmt.Errorf("hosts: %d given, expected one per validator (%d)", len(o.Hosts), o.Validators)
	}
	if len(o.Hosts) > 0 && o.WalletPassword == "" {
		return fmt.Errorf("hosts: a network for real machines gets encrypted wallet keys (its admin key governs the chain): give the wallet password (--password-file or $TALLY_PASSWORD)")
	}
	if o.TimeoutPropose < 0 {
		return fmt.Errorf("timeout propose %s is negative", o.TimeoutPropose)
	}
	if o.TimeoutCommit < 0 {
		return fmt.Errorf("timeout commit %s is negative", o.TimeoutCommit)
	}
	return nil
}
