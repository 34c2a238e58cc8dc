package localnet

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	cmtcfg "github.com/cometbft/cometbft/config"
	cmttypes "github.com/cometbft/cometbft/types"

	"github.com/tallyledger/tally/app"
	"github.com/tallyledger/tally/client"
	"github.com/tallyledger/tally/crypto/keystore"
	"github.com/tallyledger/tally/genesis"
)

// Genesis funding of the localnet.
const (
	// Asset is the asset created at genesis, issued by the admin key.
	Asset = "TALLY"
	// InitialBalance is what alice, bob and every userN hold at genesis.
	InitialBalance = 1_000_000
)

// Init generates a network of opts.Validators validators in dir:
// dir/node0..node{N-1} (CometBFT homes sharing one genesis, each with its
// own ports and every other node as a persistent peer), dir/wallet (a key
// store with the unencrypted test backend holding admin, alice, bob and,
// if asked, admin2..adminN and user1..userN, all registered in genesis),
// and dir/localnet.json describing it.
//
// An existing localnet in dir is reused as it is (so starting it again
// resumes the same chain), unless opts.Reset is set, which removes dir
// first; Reset refuses (*RunningError) while a node of the network runs,
// and refuses a non-empty directory that is not a localnet. Options that
// contradict the existing network are an error. Generation happens in a
// sibling directory renamed into place at the end, so an interrupted Init
// leaves nothing half made.
func Init(dir string, opts Options) error {
	raw := opts
	opts = opts.withDefaults()
	if err := opts.validateInit(); err != nil {
		return fmt.Errorf("localnet: %w", err)
	}
	if dir == "" {
		return errors.New("localnet: empty directory")
	}
	if opts.Reset {
		if err := checkResettable(dir); err != nil {
			return err
		}
		if err := os.RemoveAll(dir); err != nil {
			return fmt.Errorf("localnet: remove %s: %w", dir, err)
		}
	}
	if m, err := LoadManifest(dir); err == nil {
		return checkReuse(dir, m, raw)
	} else if !errors.Is(err, ErrNotLocalnet) {
		return err
	}
	if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 {
		return fmt.Errorf("localnet: %s exists and is not a localnet (no %s); choose another directory", dir, ManifestFileName)
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("localnet: %w", err)
	}

	tmp := fmt.Sprintf("%s.partial-%d", filepath.Clean(dir), os.Getpid())
	if err := os.RemoveAll(tmp); err != nil {
		return fmt.Errorf("localnet: %w", err)
	}
	if err := generate(tmp, opts); err != nil {
		os.RemoveAll(tmp)
		return fmt.Errorf("localnet: %w", err)
	}
	_ = os.Remove(dir) // an empty directory may stand in the way
	if err := os.Rename(tmp, dir); err != nil {
		os.RemoveAll(tmp)
		return fmt.Errorf("localnet: %w", err)
	}
	return nil
}

// checkResettable fails unless dir is absent, empty, or a localnet that
// is not running: Reset never deletes a running network, nor a directory
// that holds something else.
func checkResettable(dir string) error {
	_, err := LoadManifest(dir)
	if errors.Is(err, ErrNotLocalnet) {
		entries, rerr := os.ReadDir(dir)
		if rerr != nil && !errors.Is(rerr, fs.ErrNotExist) {
			return fmt.Errorf("localnet: %w", rerr)
		}
		if len(entries) > 0 {
			return fmt.Errorf("localnet: %s is not a localnet (no %s); refusing to delete it, choose another directory", dir, ManifestFileName)
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("localnet: %s: %w; not deleting it", dir, err)
	}
	return CheckNotRunning(context.Background(), dir)
}

// checkReuse fails when explicitly given options differ from the existing
// network's.
func checkReuse(dir string, m *Manifest, o Options) error {
	var diffs []string
	if o.Validators != 0 && o.Validators != len(m.Nodes) {
		diffs = append(diffs, fmt.Sprintf("%d validators (asked for %d)", len(m.Nodes), o.Validators))
	}
	if o.BasePort != 0 && o.BasePort != m.BasePort {
		diffs = append(diffs, fmt.Sprintf("base port %d (asked for %d)", m.BasePort, o.BasePort))
	}
	if o.Docker && m.Docker == nil {
		diffs = append(diffs, "local processes (asked for docker containers)")
	}
	if o.ChainID != "" && o.ChainID != m.ChainID {
		diffs = append(diffs, fmt.Sprintf("chain ID %s (asked for %s)", m.ChainID, o.ChainID))
	}
	if o.Admins != 0 && o.Admins != countKeys(m, "admin") {
		diffs = append(diffs, fmt.Sprintf("%d admins (asked for %d)", countKeys(m, "admin"), o.Admins))
	}
	if o.Users != 0 && o.Users != countKeys(m, "user") {
		diffs = append(diffs, fmt.Sprintf("%d users (asked for %d)", countKeys(m, "user"), o.Users))
	}
	if len(diffs) > 0 {
		return fmt.Errorf("localnet: %s already holds a network with %s; pass --reset to replace it or drop those options", dir, strings.Join(diffs, ", "))
	}
	return nil
}

func countKeys(m *Manifest, prefix string) int {
	n := 0
	for _, k := range m.Keys {
		if k.Name == prefix || (strings.HasPrefix(k.Name, prefix) && isDigits(k.Name[len(prefix):])) {
			n++
		}
	}
	return n
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// generate writes the whole network into dir, which must not exist.
func generate(dir string, o Options) error {
	m := &Manifest{ChainID: o.ChainID, BasePort: o.BasePort, Wallet: WalletDirName, AdminThreshold: o.Admins/2 + 1, Hosts: o.Hosts}
	if o.Docker {
		m.Docker = newDockerInfo(o.BasePort)
	}
	for i := 0; i < o.Validators; i++ {
		info := NodeInfo{Name: fmt.Sprintf("node%d", i), Host: "127.0.0.1", Ports: NodePorts(o.BasePort, i)}
		if len(o.Hosts) > 0 {
			info.Host = o.Hosts[i]
			info.Ports = NodePorts(o.BasePort, 0)
		}
		if m.Docker != nil {
			info.Address = containerAddress(m.Docker.Subnet, i)
		}
		info.Home = info.Name
		m.Nodes = append(m.Nodes, info)
	}

	// Pass 1: every home with its keys and its own ports.
	idents := make([]app.NodeIdentity, len(m.Nodes))
	for i, info := range m.Nodes {
		home := filepath.Join(dir, info.Home)
		edit := func(c *cmtcfg.Config, ac *app.Config) { configureNode(c, ac, o, info) }
		if err := app.InitHome(home, info.Name, o.ChainID, app.WithConfig(edit)); err != nil {
			return fmt.Errorf("%s: %w", info.Name, err)
		}
		c, _, err := app.LoadConfig(home)
		if err != nil {
			return fmt.Errorf("%s: %w", info.Name, err)
		}
		if idents[i], err = app.ReadIdentity(c); err != nil {
			return fmt.Errorf("%s: %w", info.Name, err)
		}
		m.Nodes[i].NodeID = idents[i].NodeID
		m.Nodes[i].Validator = idents[i].ValidatorPubKey.Address().String()
	}

	// The wallet and its genesis accounts.
	keys, err := makeWallet(filepath.Join(dir, WalletDirName), o)
	if err != nil {
		return err
	}
	m.Keys = keys
	if err := writeWalletConfig(dir, m); err != nil {
		return err
	}

	// One genesis for all.
	doc, err := buildGenesis(m, idents)
	if err != nil {
		return err
	}
	if err := pinWalletTrust(dir, m, doc); err != nil {
		return err
	}

	// Pass 2: peers (now that every node ID is known) and the shared genesis.
	for i, info := range m.Nodes {
		home := filepath.Join(dir, info.Home)
		c, ac, err := app.LoadConfig(home)
		if err != nil {
			return fmt.Errorf("%s: %w", info.Name, err)
		}
		var peers []string
		for j, other := range m.Nodes {
			if j != i {
				peers = append(peers, other.NodeID+"@"+net.JoinHostPort(other.peerHost(), strconv.Itoa(other.Ports.P2P)))
			}
		}
		c.P2P.PersistentPeers = strings.Join(peers, ",")
		if err := app.WriteConfig(home, c, ac); err != nil {
			return fmt.Errorf("%s: %w", info.Name, err)
		}
		if err := doc.SaveAs(c.GenesisFile()); err != nil {
			return fmt.Errorf("%s: write genesis: %w", info.Name, err)
		}
	}
	if m.Docker != nil {
		if err := writeDockerFiles(dir, m); err != nil {
			return fmt.Errorf("docker files: %w", err)
		}
	}
	return writeManifest(dir, m)
}

// peerHost is where the node's peers reach it.
func (info NodeInfo) peerHost() string {
	if info.Address != "" {
		return info.Address
	}
	return info.Host
}

// configureNode sets one node's ports, peering and consensus timeouts.
func configureNode(c *cmtcfg.Config, ac *app.Config, o Options, info NodeInfo) {
	listen, rpcListen := info.Host, "127.0.0.1"
	if len(o.Hosts) > 0 || o.Docker {
		listen = "0.0.0.0"
		c.P2P.ExternalAddress = net.JoinHostPort(info.peerHost(), strconv.Itoa(info.Ports.P2P))
	}
	if o.Docker {
		// Inside its container; docker publishes the port on the
		// host's 127.0.0.1 only.
		rpcListen = "0.0.0.0"
	}
	c.P2P.ListenAddress = "tcp://" + net.JoinHostPort(listen, strconv.Itoa(info.Ports.P2P))
	c.RPC.ListenAddress = "tcp://" + net.JoinHostPort(rpcListen, strconv.Itoa(info.Ports.RPC))
	ac.APIListenAddr = "tcp://" + net.JoinHostPort(rpcListen, strconv.Itoa(info.Ports.API))
	// Snapshots often enough that a node joining by state sync finds one
	// within a minute of the network's start.
	ac.SnapshotInterval, ac.SnapshotKeepRecent = LocalnetSnapshotInterval, 2
	if info.Ports.Metrics != 0 {
		c.Instrumentation.Prometheus = true
		c.Instrumentation.PrometheusListenAddr = net.JoinHostPort(rpcListen, strconv.Itoa(info.Ports.Metrics))
	}
	if o.Docker {
		c.P2P.AddrBookStrict = false // private addresses
	} else if len(o.Hosts) == 0 {
		// Every node shares one IP; CometBFT would otherwise refuse the
		// second connection from it.
		c.P2P.AllowDuplicateIP = true
		c.P2P.AddrBookStrict = false
		// Loopback needs no throttle: CometBFT's 5 MB/s per connection
		// would make a state sync chunk of 4 MB take most of a second.
		c.P2P.SendRate, c.P2P.RecvRate = LocalP2PRate, LocalP2PRate
	}
	c.P2P.PexReactor = false
	c.FilterPeers = true
	if o.Pprof && len(o.Hosts) == 0 && !o.Docker {
		c.RPC.PprofListenAddress = net.JoinHostPort("127.0.0.1", strconv.Itoa(info.Ports.P2P+2))
	}
	c.TxIndex.Indexer = "null"
	if o.CometTxIndex {
		c.TxIndex.Indexer = "kv"
	}
	// Redial a restarted peer within seconds instead of CometBFT's
	// exponential backoff, so a killed node rejoins quickly.
	c.P2P.PersistentPeersMaxDialPeriod = 5 * time.Second
	// A restarted validator joins consensus at once and block sync fetches
	// what it missed beside it; without this, block sync waits a fixed 3 s
	// before its first request and up to 1 s more before handing over to
	// consensus (docs/reliability.md, "Recovery against the targets").
	c.BlockSync.AdaptiveSync = true

	tc := o.TimeoutCommit
	c.Consensus.TimeoutCommit = tc
	c.Consensus.TimeoutPropose = max(2*tc, time.Second)
	if o.TimeoutPropose > 0 {
		c.Consensus.TimeoutPropose = o.TimeoutPropose
	}
	c.Consensus.TimeoutProposeDelta = 200 * time.Millisecond
	c.Consensus.TimeoutPrevote = max(tc, 500*time.Millisecond)
	c.Consensus.TimeoutPrevoteDelta = 200 * time.Millisecond
	c.Consensus.TimeoutPrecommit = max(tc, 500*time.Millisecond)
	c.Consensus.TimeoutPrecommitDelta = 200 * time.Millisecond
	c.Consensus.PeerGossipSleepDuration = 50 * time.Millisecond
}

// writeWalletConfig points the wallet's config at node0 of the network
// (its RPC and ledger API) and the network's chain ID, so that `tally
// --home DIR/wallet ...` needs no --node. Keys the config already sets
// are kept: the user may have pointed the wallet elsewhere.
func writeWalletConfig(dir string, m *Manifest) error {
	home := filepath.Join(dir, m.Wallet)
	conf, err := client.LoadWalletConfig(home)
	if err != nil {
		return fmt.Errorf("wallet: %w", err)
	}
	before := *conf
	if conf.Node == "" && conf.API == "" {
		conf.Node, conf.API = rpcURL(m.Nodes[0]), apiURL(m.Nodes[0])
	}
	if conf.ChainID == "" {
		conf.ChainID = m.ChainID
	}
	if *conf == before {
		return nil
	}
	if err := client.SaveWalletConfig(home, conf); err != nil {
		return fmt.Errorf("wallet: %w", err)
	}
	return nil
}

// pinWalletTrust pins the new chain's trust root (chain ID and genesis
// hash; the first header's hash is added by the wallet's first verified
// read) in the wallet's config, so that `tally query account --prove`
// refuses a node of another chain from the start.
func pinWalletTrust(dir string, m *Manifest, doc *cmttypes.GenesisDoc) error {
	home := filepath.Join(dir, m.Wallet)
	conf, err := client.LoadWalletConfig(home)
	if err != nil {
		return fmt.Errorf("wallet: %w", err)
	}
	if conf.Trust, err = client.GenesisTrustRoot(doc); err != nil {
		return fmt.Errorf("wallet: pin the trust root: %w", err)
	}
	if err := client.SaveWalletConfig(home, conf); err != nil {
		return fmt.Errorf("wallet: %w", err)
	}
	return nil
}

// makeWallet creates the wallet's key store (encrypted with
// o.WalletPassword if set, else the unencrypted test backend) and returns
// the keys with the roles they get in genesis.
func makeWallet(dir string, o Options) ([]KeyInfo, error) {
	ko := keystore.Options{Backend: keystore.BackendTest}
	if o.WalletPassword != "" {
		pw := o.WalletPassword
		ko = keystore.Options{Backend: keystore.BackendFile, Password: func(string, bool) (string, error) { return pw, nil }}
	}
	ks, err := keystore.Open(dir, ko)
	if err != nil {
		return nil, fmt.Errorf("wallet: %w", err)
	}
	type want struct {
		name  string
		roles []string
	}
	var wants []want
	for i := 1; i <= o.Admins; i++ {
		name := "admin"
		if i > 1 {
			name = "admin" + strconv.Itoa(i)
		}
		roles := []string{"admin", "member"}
		if i == 1 {
			roles = []string{"admin", "issuer", "member"}
		}
		wants = append(wants, want{name, roles})
	}
	wants = append(wants, want{"alice", []string{"member"}}, want{"bob", []string{"member"}})
	for i := 1; i <= o.Users; i++ {
		wants = append(wants, want{"user" + strconv.Itoa(i), []string{"member"}})
	}
	var keys []KeyInfo
	for _, w := range wants {
		info, _, err := ks.Create(w.name)
		if err != nil {
			return nil, fmt.Errorf("wallet: %w", err)
		}
		keys = append(keys, KeyInfo{Name: w.name, Address: info.Address.String(), Roles: w.roles})
	}
	return keys, nil
}

// buildGenesis makes the shared genesis: every node a validator of equal
// power, the wallet's keys registered, TALLY issued by admin and held by
// alice, bob and the users, the validators' nodes allowed.
func buildGenesis(m *Manifest, idents []app.NodeIdentity) (*cmttypes.GenesisDoc, error) {
	st := genesis.Default()
	st.Params.AdminThreshold = uint32(m.AdminThreshold)
	for _, k := range m.Keys {
		if err := st.AddAccount(k.Address, k.Roles...); err != nil {
			return nil, fmt.Errorf("genesis: %w", err)
		}
		if err := st.SetName(k.Address, k.Name); err != nil {
			return nil, fmt.Errorf("genesis: %w", err)
		}
	}
	admin, _ := m.Key("admin")
	if err := st.AddAsset(Asset, admin.Address); err != nil {
		return nil, fmt.Errorf("genesis: %w", err)
	}
	for _, k := range m.Keys {
		if k.Name == "alice" || k.Name == "bob" || strings.HasPrefix(k.Name, "user") {
			if err := st.AddBalance(k.Address, Asset, strconv.Itoa(InitialBalance)); err != nil {
				return nil, fmt.Errorf("genesis: %w", err)
			}
		}
	}
	for _, id := range idents {
		if err := st.AllowNode(id.NodeID); err != nil {
			return nil, fmt.Errorf("genesis: %w", err)
		}
	}
	if err := st.Validate(); err != nil {
		return nil, fmt.Errorf("genesis: %w", err)
	}
	raw, err := st.Marshal()
	if err != nil {
		return nil, err
	}
	doc := &cmttypes.GenesisDoc{
		GenesisTime:     time.Now().UTC().Round(time.Millisecond),
		ChainID:         m.ChainID,
		InitialHeight:   1,
		ConsensusParams: cmttypes.DefaultConsensusParams(),
		AppState:        raw,
	}
	for i, id := range idents {
		doc.Validators = append(doc.Validators, cmttypes.GenesisValidator{
			Address: id.ValidatorPubKey.Address(),
			PubKey:  id.ValidatorPubKey,
			Power:   app.DefaultValidatorPower,
			Name:    m.Nodes[i].Name,
		})
	}
	if err := doc.ValidateAndComplete(); err != nil {
		return nil, fmt.Errorf("genesis: %w", err)
	}
	return doc, nil
}
