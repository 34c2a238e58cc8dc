package localnet

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	cmttypes "github.com/cometbft/cometbft/types"

	"github.com/tallyledger/tally/app"
	"github.com/tallyledger/tally/client"
	"github.com/tallyledger/tally/crypto/keystore"
)

func TestInitGeneratesNetwork(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "net")
	if err := Init(dir, Options{Validators: 3, BasePort: 30100, Admins: 3, Users: 2}); err != nil {
		t.Fatal(err)
	}
	m, err := LoadManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Nodes) != 3 || m.ChainID != DefaultChainID || m.BasePort != 30100 || m.AdminThreshold != 2 {
		t.Fatalf("manifest = %+v", m)
	}
	// The wallet remembers node0, so `tally --home DIR/wallet` needs no --node.
	wc, err := client.LoadWalletConfig(filepath.Join(dir, WalletDirName))
	if err != nil {
		t.Fatal(err)
	}
	// And it pins the chain's trust root for --prove: the chain ID and the
	// hash of the genesis every node holds.
	pin := wc.Trust
	wc.Trust = nil
	if want := (client.WalletConfig{Node: "http://127.0.0.1:30101", API: "http://127.0.0.1:30103", ChainID: DefaultChainID}); *wc != want {
		t.Fatalf("wallet config %+v, want %+v", *wc, want)
	}
	c0, _, err := app.LoadConfig(filepath.Join(dir, m.Nodes[0].Home))
	if err != nil {
		t.Fatal(err)
	}
	doc, err := cmttypes.GenesisDocFromFile(c0.GenesisFile())
	if err != nil {
		t.Fatal(err)
	}
	want, err := client.GenesisTrustRoot(doc)
	if err != nil {
		t.Fatal(err)
	}
	if pin == nil || *pin != *want || pin.ChainID != DefaultChainID {
		t.Fatalf("wallet trust root %v, want %v", pin, want)
	}
	var genesis0 []byte
	for i, nd := range m.Nodes {
		home := filepath.Join(dir, nd.Home)
		c, ac, err := app.LoadConfig(home)
		if err != nil {
			t.Fatal(err)
		}
		p := NodePorts(30100, i)
		if nd.Ports != p {
			t.Errorf("node%d ports %+v, want %+v", i, nd.Ports, p)
		}
		for _, want := range []struct{ got, want string }{
			{c.P2P.ListenAddress, "tcp://127.0.0.1:" + itoa(p.P2P)},
			{c.RPC.ListenAddress, "tcp://127.0.0.1:" + itoa(p.RPC)},
			{ac.APIListenAddr, "tcp://127.0.0.1:" + itoa(p.API)},
			{c.Instrumentation.PrometheusListenAddr, "127.0.0.1:" + itoa(p.Metrics)},
		} {
			if want.got != want.want {
				t.Errorf("node%d listen address %s, want %s", i, want.got, want.want)
			}
		}
		if !c.Instrumentation.Prometheus {
			t.Errorf("node%d: prometheus off", i)
		}
		if !c.P2P.AllowDuplicateIP || c.P2P.AddrBookStrict || c.P2P.PexReactor || !c.FilterPeers {
			t.Errorf("node%d p2p settings: allow_duplicate_ip=%v addr_book_strict=%v pex=%v filter_peers=%v",
				i, c.P2P.AllowDuplicateIP, c.P2P.AddrBookStrict, c.P2P.PexReactor, c.FilterPeers)
		}
		if c.P2P.SendRate != LocalP2PRate || c.P2P.RecvRate != LocalP2PRate {
			t.Errorf("node%d p2p send_rate %d recv_rate %d, want %d", i, c.P2P.SendRate, c.P2P.RecvRate, LocalP2PRate)
		}
		if c.Consensus.TimeoutCommit != DefaultTimeoutCommit {
			t.Errorf("node%d timeout_commit %s", i, c.Consensus.TimeoutCommit)
		}
		peers := strings.Split(c.P2P.PersistentPeers, ",")
		if len(peers) != 2 {
			t.Errorf("node%d persistent peers %q, want the 2 others", i, c.P2P.PersistentPeers)
		}
		for _, peer := range peers {
			if strings.HasPrefix(peer, nd.NodeID+"@") {
				t.Errorf("node%d lists itself as a peer", i)
			}
		}
		id, err := app.ReadIdentity(c)
		if err != nil {
			t.Fatal(err)
		}
		if id.NodeID != nd.NodeID {
			t.Errorf("node%d id %s, manifest says %s", i, id.NodeID, nd.NodeID)
		}
		g, err := os.ReadFile(c.GenesisFile())
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			genesis0 = g
		} else if !bytes.Equal(g, genesis0) {
			t.Errorf("node%d genesis differs from node0's", i)
		}
	}
	for _, nd := range m.Nodes {
		if !bytes.Contains(genesis0, []byte(nd.NodeID)) {
			t.Errorf("genesis does not allow %s", nd.NodeID)
		}
	}

	ks, err := keystore.Open(filepath.Join(dir, WalletDirName), keystore.Options{Backend: keystore.BackendTest})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"admin", "admin2", "admin3", "alice", "bob", "user1", "user2"} {
		info, err := ks.Get(name)
		if err != nil {
			t.Fatalf("wallet key %s: %v", name, err)
		}
		k, ok := m.Key(name)
		if !ok || k.Address != info.Address.String() {
			t.Errorf("manifest key %s = %+v, wallet has %s", name, k, info.Address)
		}
		if !bytes.Contains(genesis0, []byte(info.Address.String())) {
			t.Errorf("genesis does not register %s", name)
		}
	}
}

func TestInitReusesExistingNetwork(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "net")
	if err := Init(dir, Options{Validators: 2, BasePort: 30200}); err != nil {
		t.Fatal(err)
	}
	before, _ := LoadManifest(dir)
	if err := Init(dir, Options{}); err != nil {
		t.Fatalf("reuse with defaults: %v", err)
	}
	if err := Init(dir, Options{Validators: 2, BasePort: 30200}); err != nil {
		t.Fatalf("reuse with the same options: %v", err)
	}
	after, _ := LoadManifest(dir)
	if before.Nodes[0].NodeID != after.Nodes[0].NodeID {
		t.Fatal("reusing a network regenerated its keys")
	}

	err := Init(dir, Options{Validators: 4})
	if err == nil || !strings.Contains(err.Error(), "2 validators (asked for 4)") {
		t.Fatalf("conflicting validators: err = %v", err)
	}

	if err := Init(dir, Options{Validators: 4, BasePort: 30200, Reset: true}); err != nil {
		t.Fatal(err)
	}
	reset, _ := LoadManifest(dir)
	if len(reset.Nodes) != 4 || reset.Nodes[0].NodeID == before.Nodes[0].NodeID {
		t.Fatalf("reset did not make a new network: %+v", reset)
	}
}

func TestInitRejects(t *testing.T) {
	foreign := t.TempDir()
	if err := os.WriteFile(filepath.Join(foreign, "notes.txt"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		dir  string
		opts Options
		want string
	}{
		{"foreign directory", foreign, Options{}, "is not a localnet"},
		{"foreign directory with reset", foreign, Options{Reset: true}, "refusing to delete it"},
		{"too many validators", filepath.Join(t.TempDir(), "n"), Options{Validators: 51}, "validators: 51"},
		{"ports past 65535", filepath.Join(t.TempDir(), "n"), Options{BasePort: 65500}, "base port 65500"},
		{"hosts count", filepath.Join(t.TempDir(), "n"), Options{Validators: 2, Hosts: []string{"a"}}, "hosts: 1 given"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Init(tt.dir, tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to mention %q", err, tt.want)
			}
		})
	}
	if _, err := LoadManifest(foreign); !errors.Is(err, ErrNotLocalnet) {
		t.Fatalf("LoadManifest(foreign) = %v", err)
	}
	if _, err := os.Stat(filepath.Join(foreign, "notes.txt")); err != nil {
		t.Fatalf("a refused reset deleted a foreign file: %v", err)
	}
}

func TestInitMultiHost(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "net")
	hosts := []string{"10.0.0.1", "10.0.0.2", "val3.example.com"}
	if err := Init(dir, Options{Validators: 3, Hosts: hosts}); err == nil || !strings.Contains(err.Error(), "gets encrypted wallet keys") {
		t.Fatalf("multi-host Init without a wallet password: %v", err)
	}
	if err := Init(dir, Options{Validators: 3, Hosts: hosts, WalletPassword: "correct horse battery"}); err != nil {
		t.Fatal(err)
	}
	// Its wallet keys are encrypted.
	ks, err := keystore.Open(filepath.Join(dir, WalletDirName), keystore.Options{})
	if err != nil || ks.Backend() != keystore.BackendFile {
		t.Fatalf("multi-host wallet: %v, backend %v; want encrypted keys", err, ks)
	}
	m, _ := LoadManifest(dir)
	for i, nd := range m.Nodes {
		c, _, err := app.LoadConfig(filepath.Join(dir, nd.Home))
		if err != nil {
			t.Fatal(err)
		}
		if c.P2P.ListenAddress != "tcp://0.0.0.0:26656" || c.P2P.ExternalAddress != hosts[i]+":26656" {
			t.Errorf("node%d p2p laddr %s external %s", i, c.P2P.ListenAddress, c.P2P.ExternalAddress)
		}
		for j, h := range hosts {
			if j != i && !strings.Contains(c.P2P.PersistentPeers, "@"+h+":26656") {
				t.Errorf("node%d peers %q miss %s", i, c.P2P.PersistentPeers, h)
			}
		}
	}
	if _, err := Start(t.Context(), dir, Options{Binary: "tallyd"}); err == nil || !strings.Contains(err.Error(), "for 3 hosts") {
		t.Fatalf("Start on a multi-host network: err = %v", err)
	}
}

func TestNodePortsLayout(t *testing.T) {
	if got := NodePorts(26656, 2); got != (Ports{P2P: 26856, RPC: 26857, API: 26859, Metrics: 26860}) {
		t.Fatalf("NodePorts(26656, 2) = %+v", got)
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

// TestWriteWalletConfigKeepsUserKeys: Start fills a wallet config that is
// missing (a localnet made before wallets had one) and keeps what the user
// set.
func TestWriteWalletConfigKeepsUserKeys(t *testing.T) {
	dir := t.TempDir()
	m := &Manifest{ChainID: "tally-x", Wallet: WalletDirName, Nodes: []NodeInfo{{Host: "127.0.0.1", Ports: NodePorts(30200, 0)}}}
	wallet := filepath.Join(dir, WalletDirName)
	if err := client.SaveWalletConfig(wallet, &client.WalletConfig{Node: "http://10.0.0.9:26657", Output: "json"}); err != nil {
		t.Fatal(err)
	}
	if err := writeWalletConfig(dir, m); err != nil {
		t.Fatal(err)
	}
	got, err := client.LoadWalletConfig(wallet)
	if err != nil {
		t.Fatal(err)
	}
	if want := (client.WalletConfig{Node: "http://10.0.0.9:26657", ChainID: "tally-x", Output: "json"}); *got != want {
		t.Fatalf("config %+v, want %+v", *got, want)
	}
}
