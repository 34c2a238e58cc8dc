package localnet

import (
	"fmt"
	"net"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/tallyledger/tally/app"
	"github.com/tallyledger/tally/genesis"
)

// AddNode starts one more node of the running network from home, a node
// home the caller prepared as an operator joining the network would: made
// by `tallyd init`, holding the network's genesis.json, with the
// validators as persistent peers and ports of its own. The node runs as a
// `tallyd start --home home` process supervised like the validators, with
// its output in home/tallyd.log. Its index, returned, follows those of the
// nodes already there; every method taking a node index applies to it, and
// Stop stops it too.
//
// The node is not a validator and, while the network filters peers, the
// validators admit it only once governance allows its node ID (and make it
// a validator only if governance gives its key power). AddNode does not
// wait for the node: use WaitHeight.
func (n *Net) AddNode(home string) (int, error) {
	if n.docker != nil {
		return 0, fmt.Errorf("localnet: add node: not supported on a docker localnet")
	}
	home, err := filepath.Abs(home)
	if err != nil {
		return 0, fmt.Errorf("localnet: add node: %w", err)
	}
	info, err := joiningNodeInfo(home, n.ChainID())
	if err != nil {
		return 0, fmt.Errorf("localnet: add node %s: %w", home, err)
	}
	c, err := newRPCClient(rpcURL(info.NodeInfo))
	if err != nil {
		return 0, fmt.Errorf("localnet: add node %s: %w", home, err)
	}

	n.mu.Lock()
	i := len(n.nodes)
	for j, other := range n.nodes {
		if other.home == home || other.info.NodeID == info.NodeID {
			n.mu.Unlock()
			return 0, fmt.Errorf("localnet: add node %s: it is already node%d of this network (node ID %s)", home, j, info.NodeID)
		}
	}
	info.Name = "node" + strconv.Itoa(i)
	for _, np := range info.Ports.all() {
		if np.port == 0 {
			continue // the ledger API or the metrics are disabled
		}
		if err := portFree(info.listen, np.port); err != nil {
			n.mu.Unlock()
			return 0, &PortInUseError{Node: i, Name: np.name, Port: np.port, Err: err}
		}
	}
	n.nodes = append(n.nodes, &node{info: info.NodeInfo, home: home, client: c})
	n.mu.Unlock()

	if err := n.startNode(i); err != nil {
		n.mu.Lock()
		if len(n.nodes) == i+1 {
			n.nodes = n.nodes[:i] // forget it, so that the index is not taken by a dead node
		}
		n.mu.Unlock()
		return 0, err
	}
	return i, nil
}

// joiningNode is a joining node's description and the host its p2p port
// listens on.
type joiningNode struct {
	NodeInfo
	listen string
}

// joiningNodeInfo reads a node home made for the network of chainID: its
// identity and ports from its configuration.
func joiningNodeInfo(home, chainID string) (joiningNode, error) {
	c, ac, err := app.LoadConfig(home)
	if err != nil {
		return joiningNode{}, err
	}
	doc, err := genesis.LoadDoc(c.GenesisFile())
	if err != nil {
		return joiningNode{}, err
	}
	if doc.ChainID != chainID {
		return joiningNode{}, fmt.Errorf("its genesis is for chain %q, not this network's %q: copy the network's genesis.json into %s", doc.ChainID, chainID, c.GenesisFile())
	}
	id, err := app.ReadIdentity(c)
	if err != nil {
		return joiningNode{}, err
	}
	p2pHost, p2pPort, err := listenHostPort(c.P2P.ListenAddress)
	if err != nil {
		return joiningNode{}, fmt.Errorf("p2p.laddr: %w", err)
	}
	rpcHost, rpcPort, err := listenHostPort(c.RPC.ListenAddress)
	if err != nil {
		return joiningNode{}, fmt.Errorf("rpc.laddr: %w", err)
	}
	var apiPort int
	if ac.APIListenAddr != "" {
		if _, apiPort, err = listenHostPort(ac.APIListenAddr); err != nil {
			return joiningNode{}, fmt.Errorf("api_laddr: %w", err)
		}
	}
	var metricsPort int
	if c.Instrumentation.IsPrometheusEnabled() {
		if _, metricsPort, err = listenHostPort(c.Instrumentation.PrometheusListenAddr); err != nil {
			return joiningNode{}, fmt.Errorf("instrumentation.prometheus_listen_addr: %w", err)
		}
	}
	return joiningNode{
		NodeInfo: NodeInfo{
			Home:      home,
			NodeID:    id.NodeID,
			Host:      dialHost(rpcHost),
			Ports:     Ports{P2P: p2pPort, RPC: rpcPort, API: apiPort, Metrics: metricsPort},
			Validator: id.ValidatorPubKey.Address().String(),
		},
		listen: p2pHost,
	}, nil
}

// listenHostPort splits a listen address such as tcp://0.0.0.0:26656.
func listenHostPort(laddr string) (string, int, error) {
	hp := laddr
	if i := strings.Index(hp, "://"); i >= 0 {
		hp = hp[i+3:]
	}
	host, port, err := net.SplitHostPort(hp)
	if err != nil {
		return "", 0, fmt.Errorf("%q: %v", laddr, err)
	}
	p, err := strconv.Atoi(port)
	if err != nil || p < 1 || p > 65535 {
		return "", 0, fmt.Errorf("%q: port %q, expected 1 to 65535", laddr, port)
	}
	return host, p, nil
}

// dialHost is where a client reaches a server listening on host.
func dialHost(host string) string {
	switch host {
	case "", "0.0.0.0", "::":
		return "127.0.0.1"
	}
	return host
}
