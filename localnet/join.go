package localnet

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	cmtcfg "github.com/cometbft/cometbft/config"

	"github.com/tallyledger/tally/app"
	"github.com/tallyledger/tally/client"
	"github.com/tallyledger/tally/crypto"
	"github.com/tallyledger/tally/crypto/keystore"
	"github.com/tallyledger/tally/ledger"
)

// JoiningNode is a node home prepared to join a running localnet.
type JoiningNode struct {
	Home   string
	Name   string // nodeK
	NodeID string
	Ports  Ports
	// TrustHeight and TrustHash are the header a state-syncing node's light
	// client starts from (zero without state sync).
	TrustHeight int64
	TrustHash   string
}

// PrepareJoiningNode makes the home dir/nodeK of one more node for the
// localnet in dir, K being the first index without a home: its own keys,
// the network's genesis, the ports BasePort+100K upward, the validators as
// persistent peers, and node0's consensus, peering and snapshot settings.
// With stateSync, its [statesync] section points the light client at
// node0's and node1's RPC and trusts node0's latest header (read now).
// The node is not a validator; the validators admit it only once its node
// ID is allowed (AllowNode).
func PrepareJoiningNode(ctx context.Context, dir string, stateSync bool) (*JoiningNode, error) {
	m, err := LoadManifest(dir)
	if err != nil {
		return nil, err
	}
	if len(m.Hosts) > 0 || m.Docker != nil {
		return nil, errors.New("localnet: adding a node is supported for a process localnet on this machine only")
	}
	k := len(m.Nodes)
	for ; ; k++ {
		if _, err := os.Stat(filepath.Join(dir, "node"+strconv.Itoa(k))); errors.Is(err, os.ErrNotExist) {
			break
		}
	}
	j := &JoiningNode{Name: "node" + strconv.Itoa(k), Home: filepath.Join(dir, "node"+strconv.Itoa(k)), Ports: NodePorts(m.BasePort, k)}
	for _, np := range j.Ports.all() {
		if err := portFree("127.0.0.1", np.port); err != nil {
			return nil, &PortInUseError{Node: k, Name: np.name, Port: np.port, Err: err}
		}
	}
	home0 := filepath.Join(dir, m.Nodes[0].Home)
	c0, ac0, err := app.LoadConfig(home0)
	if err != nil {
		return nil, err
	}
	var peers []string
	for _, nd := range m.Nodes {
		peers = append(peers, nd.NodeID+"@"+net.JoinHostPort(nd.peerHost(), strconv.Itoa(nd.Ports.P2P)))
	}
	if stateSync {
		if len(m.Nodes) < 2 {
			return nil, errors.New("localnet: state sync needs two validators' RPC for its light client")
		}
		c, err := newRPCClient(rpcURL(m.Nodes[0]))
		if err != nil {
			return nil, err
		}
		st, err := c.Status(ctx)
		if err != nil {
			return nil, fmt.Errorf("localnet: node0 does not answer (is the network running?): %w", err)
		}
		j.TrustHeight = st.SyncInfo.LatestBlockHeight
		j.TrustHash = st.SyncInfo.LatestBlockHash.String()
	}
	err = app.InitHome(j.Home, j.Name, m.ChainID, app.WithConfig(func(c *cmtcfg.Config, ac *app.Config) {
		consensus := *c0.Consensus
		c.Consensus = &consensus
		c.FilterPeers = true
		c.P2P.PexReactor = false
		c.P2P.AllowDuplicateIP = c0.P2P.AllowDuplicateIP
		c.P2P.AddrBookStrict = c0.P2P.AddrBookStrict
		c.P2P.PersistentPeersMaxDialPeriod = c0.P2P.PersistentPeersMaxDialPeriod
		c.P2P.SendRate, c.P2P.RecvRate = c0.P2P.SendRate, c0.P2P.RecvRate
		c.P2P.PersistentPeers = strings.Join(peers, ",")
		c.P2P.ListenAddress = "tcp://127.0.0.1:" + strconv.Itoa(j.Ports.P2P)
		c.RPC.ListenAddress = "tcp://127.0.0.1:" + strconv.Itoa(j.Ports.RPC)
		c.TxIndex = c0.TxIndex
		c.Instrumentation.Prometheus = true
		c.Instrumentation.PrometheusListenAddr = "127.0.0.1:" + strconv.Itoa(j.Ports.Metrics)
		ac.APIListenAddr = "tcp://127.0.0.1:" + strconv.Itoa(j.Ports.API)
		ac.Explorer = ac0.Explorer
		ac.SnapshotInterval, ac.SnapshotKeepRecent = ac0.SnapshotInterval, ac0.SnapshotKeepRecent
		if stateSync {
			c.StateSync.Enable = true
			c.StateSync.RPCServers = []string{rpcURL(m.Nodes[0]), rpcURL(m.Nodes[1])}
			c.StateSync.TrustHeight = j.TrustHeight
			c.StateSync.TrustHash = j.TrustHash
			c.StateSync.DiscoveryTime = 5 * time.Second // CometBFT's minimum
		}
	}))
	if err != nil {
		return nil, fmt.Errorf("localnet: prepare %s: %w", j.Home, err)
	}
	gen, err := os.ReadFile(c0.GenesisFile())
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(j.Home, app.GenesisFile), gen, 0o644); err != nil {
		return nil, err
	}
	id, err := app.ReadIdentity(mustConfig(j.Home))
	if err != nil {
		return nil, err
	}
	j.NodeID = id.NodeID
	return j, nil
}

func mustConfig(home string) *cmtcfg.Config {
	c := cmtcfg.DefaultConfig()
	c.SetRoot(home)
	return c
}

// AllowNode makes the localnet in dir allow node ID id by governance: the
// wallet's first admin proposes allow-node and the other admins approve
// until the threshold is reached; it returns once the proposal executed
// (at once if the node is already allowed).
func AllowNode(ctx context.Context, dir, id string) error {
	m, err := LoadManifest(dir)
	if err != nil {
		return err
	}
	c, err := client.New(rpcURL(m.Nodes[0]), client.WithAPIURL(apiURL(m.Nodes[0])))
	if err != nil {
		return err
	}
	nodes, err := c.Nodes(ctx)
	if err != nil {
		return fmt.Errorf("localnet: list the allowed nodes: %w", err)
	}
	for _, n := range nodes {
		if n.ID == id && n.Allowed {
			return nil
		}
	}
	ks, err := keystore.Open(filepath.Join(dir, m.Wallet), keystore.Options{Backend: keystore.BackendTest})
	if err != nil {
		return fmt.Errorf("localnet: wallet: %w", err)
	}
	var admins []string
	for _, k := range m.Keys {
		for _, r := range k.Roles {
			if r == string(ledger.RoleAdmin) {
				admins = append(admins, k.Name)
			}
		}
	}
	if len(admins) == 0 {
		return errors.New("localnet: the wallet holds no admin key to propose allow-node")
	}
	st, err := c.Status(ctx)
	if err != nil {
		return err
	}
	key, err := ks.PrivKey(admins[0])
	if err != nil {
		return err
	}
	propose := ledger.Body{Msg: ledger.Msg{Propose: &ledger.Propose{
		Action: ledger.Action{AllowNode: &ledger.NodeRef{NodeID: id}},
		Expiry: uint64(st.LatestHeight) + 1000,
	}}}
	if _, err := c.Submit(ctx, key, propose, client.SubmitOptions{Wait: true}); err != nil {
		return fmt.Errorf("localnet: propose allow-node %s: %w", id, err)
	}
	props, err := c.Proposals(ctx)
	if err != nil {
		return err
	}
	var pid uint64
	for _, p := range props {
		if p.Action.NodeID == id && p.Action.Type == "allow-node" && p.ID > pid {
			pid = p.ID
			if p.Status == ledger.ProposalExecuted {
				return nil
			}
		}
	}
	if pid == 0 {
		return fmt.Errorf("localnet: the allow-node proposal for %s is not listed", id)
	}
	for _, name := range admins[1:] {
		key, err := ks.PrivKey(name)
		if err != nil {
			return err
		}
		vote := ledger.Body{Msg: ledger.Msg{Vote: &ledger.Vote{Proposal: pid, Approve: true}}}
		if _, err := c.Submit(ctx, key, vote, client.SubmitOptions{Wait: true}); err != nil {
			return fmt.Errorf("localnet: %s approving proposal %d: %w", name, pid, err)
		}
		p, err := c.Proposal(ctx, pid)
		if err != nil {
			return err
		}
		if p.Status == ledger.ProposalExecuted {
			return nil
		}
	}
	return fmt.Errorf("localnet: proposal %d to allow %s did not pass with the wallet's %d admins", pid, id, len(admins))
}

// Attach opens the running localnet in dir without starting anything, to
// add nodes to it (AddNode); Stop then stops only the nodes added.
func Attach(dir string, opts Options) (*Net, error) { return open(dir, opts) }

// ServingBalances waits until node i reports, through its ledger API, the
// same balance of the wallet's alice as node0 does at a height both have
// committed, and returns when that was first true.
func (n *Net) ServingBalances(ctx context.Context, i int) error {
	var alice string
	for _, k := range n.manifest.Keys {
		if k.Name == "alice" {
			alice = k.Address
		}
	}
	if alice == "" {
		return errors.New("localnet: the wallet has no alice to compare balances with")
	}
	ref, err := client.New(n.RPCURL(0), client.WithAPIURL(n.APIURL(0)))
	if err != nil {
		return err
	}
	joined, err := client.New(n.RPCURL(i), client.WithAPIURL(n.APIURL(i)), client.WithRequestTimeout(2*time.Second))
	if err != nil {
		return err
	}
	addr, err := crypto.ParseAddress(alice)
	if err != nil {
		return err
	}
	for {
		a, err1 := joined.Account(ctx, addr)
		b, err2 := ref.Account(ctx, addr)
		if err1 == nil && err2 == nil && sameBalances(a.Balances, b.Balances) {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("node%d does not serve alice's balances: %v", i, errors.Join(ctx.Err(), err1))
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func sameBalances(a, b []client.Balance) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
