package localnet

import (
	"context"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	rpchttp "github.com/cometbft/cometbft/rpc/client/http"
	jsonrpcclient "github.com/cometbft/cometbft/rpc/jsonrpc/client"
	cmttypes "github.com/cometbft/cometbft/types"

	"github.com/tallyledger/tally/client"
	"github.com/tallyledger/tally/internal/freeport"
)

// pollInterval is how often Start and WaitHeight ask a node for its height.
const pollInterval = 100 * time.Millisecond

// Net is a running localnet: one `tallyd start` process per validator
// (and per node added with AddNode), supervised by this process. Its
// methods are safe for concurrent use.
type Net struct {
	dir      string
	manifest *Manifest
	opts     Options

	mu    sync.RWMutex // guards nodes (AddNode appends)
	nodes []*node

	docker *dockerNet // nil for a network of local processes

	// FirstBlock is how long it took from launching the processes until a
	// node committed a block (block 1 of a new chain, or the first block
	// after a resumed chain's last).
	FirstBlock time.Duration
	// AllStarted is how long it took until every node had committed one.
	AllStarted time.Duration
}

type node struct {
	info   NodeInfo
	home   string
	client *rpchttp.HTTP

	mu   sync.Mutex
	proc instance // nil when not started
}

// instance is one run of a node: a local process, or a container of a
// docker localnet.
type instance interface {
	pid() int // the host process ID (0 if unknown)
	exited() bool
	exitErr() error // blocks until exited
	signal(sig syscall.Signal) error
	stop(grace time.Duration) error
	kill()
	describeExit() string // how it ended, once exited
}

// Start launches every validator of the localnet in dir (made by Init) as
// a `tallyd start --home dir/nodeI` process of opts.Binary, with its output
// in dir/nodeI/tallyd.log, and waits until every node has committed a new
// block (block 1 of a new chain; the next one of a resumed chain).
// On failure it stops what it started and the error carries the tail of the
// failing node's log.
func Start(ctx context.Context, dir string, opts Options) (*Net, error) {
	n, err := open(dir, opts)
	if err != nil {
		return nil, err
	}
	m, opts := n.manifest, n.opts
	if hosts := m.Hosts; len(hosts) > 0 {
		return nil, fmt.Errorf("%s is a network for %d hosts (%s): copy each node's home to its host and run `tallyd start --home <home>` there", dir, len(hosts), strings.Join(hosts, ", "))
	}
	for i, nd := range n.nodes {
		for _, np := range nd.info.Ports.all() {
			if err := portFree(nd.info.Host, np.port); err != nil {
				if n.alreadyRunning(ctx, i) {
					return nil, fmt.Errorf("the localnet in %s is already running (node%d answers at %s); stop it first", dir, i, n.RPCURL(i))
				}
				return nil, &PortInUseError{Node: i, Name: np.name, Port: np.port, Err: err}
			}
		}
	}
	// A localnet made before wallets had a config gets one now.
	if err := writeWalletConfig(dir, m); err != nil {
		return nil, err
	}
	if m.Docker != nil {
		n.docker = &dockerNet{dir: dir, info: m.Docker}
		if err := n.docker.prepare(ctx, opts.Binary); err != nil {
			n.docker.teardown()
			return nil, fmt.Errorf("localnet: docker: %w", err)
		}
	}
	began := time.Now()
	for i := range n.nodes {
		if err := n.startNode(i); err != nil {
			n.Stop()
			return nil, err
		}
	}
	ctx, cancel := context.WithTimeout(ctx, opts.StartTimeout)
	defer cancel()
	first := make(chan time.Duration, len(n.nodes))
	errs := make(chan error, len(n.nodes))
	for i := range n.nodes {
		go func(i int) {
			err := n.waitNewBlock(ctx, i)
			if err == nil {
				first <- time.Since(began)
			}
			errs <- err
		}(i)
	}
	var failed error
	for range n.nodes {
		if err := <-errs; err != nil && failed == nil {
			failed = err
			cancel() // one failure is enough
		}
	}
	if failed != nil {
		n.Stop()
		return nil, failed
	}
	n.FirstBlock = <-first
	n.AllStarted = time.Since(began)
	return n, nil
}

// releasePorts gives back this process's reservations of the nodes' ports.
func (n *Net) releasePorts() {
	var ports []int
	for i := 0; i < n.Len(); i++ {
		for _, np := range n.node(i).info.Ports.all() {
			ports = append(ports, np.port)
		}
	}
	freeport.Release(ports...)
}

// open reads the localnet in dir and prepares a client per node, starting
// nothing.
func open(dir string, opts Options) (*Net, error) {
	opts = opts.withDefaults()
	if opts.Binary == "" {
		return nil, errors.New("localnet: no tallyd binary given (Options.Binary)")
	}
	m, err := LoadManifest(dir)
	if err != nil {
		return nil, err
	}
	n := &Net{dir: dir, manifest: m, opts: opts}
	for _, info := range m.Nodes {
		c, err := newRPCClient(rpcURL(info))
		if err != nil {
			return nil, err
		}
		n.nodes = append(n.nodes, &node{info: info, home: filepath.Join(dir, info.Home), client: c})
	}
	return n, nil
}

// alreadyRunning reports whether node i of this network answers on its RPC
// port, that is, another supervisor runs this very network.
func (n *Net) alreadyRunning(ctx context.Context, i int) bool {
	return answersAs(ctx, n.node(i).client, n.node(i).info.NodeID)
}

// answersAs reports whether the node behind c answers with node ID id.
func answersAs(ctx context.Context, c *rpchttp.HTTP, id string) bool {
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	st, err := c.Status(ctx)
	return err == nil && string(st.NodeInfo.ID()) == id
}

// waitNewBlock waits until node i's RPC answers and the node then commits
// a block: block 1 on a new chain, the next block on a resumed one.
func (n *Net) waitNewBlock(ctx context.Context, i int) error {
	var h0 int64 = -1
	for h0 < 0 {
		if p := n.proc(i); p != nil && p.exited() {
			err := n.nodeError(i, fmt.Errorf("exited (%v) during start-up", exitDescription(p)))
			if inUse := n.portTakenAtStart(i, err); inUse != nil {
				return inUse
			}
			return err
		}
		qctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		h, err := n.Height(qctx, i)
		cancel()
		if err == nil {
			h0 = h
			break
		}
		select {
		case <-ctx.Done():
			return n.nodeError(i, fmt.Errorf("RPC %s did not answer: %v: %w", n.RPCURL(i), err, ctx.Err()))
		case <-time.After(pollInterval):
		}
	}
	return n.WaitHeight(ctx, i, max(1, h0+1))
}

func newRPCClient(remote string) (*rpchttp.HTTP, error) {
	hc, err := jsonrpcclient.DefaultHTTPClient(remote)
	if err != nil {
		return nil, err
	}
	hc.Timeout = 10 * time.Second
	return rpchttp.NewWithClient(remote, "/websocket", hc)
}

func rpcURL(info NodeInfo) string {
	return "http://" + net.JoinHostPort(info.Host, strconv.Itoa(info.Ports.RPC))
}

func apiURL(info NodeInfo) string {
	return "http://" + net.JoinHostPort(info.Host, strconv.Itoa(info.Ports.API))
}

// metricsURL is the node's Prometheus endpoint, "" when it has none.
func metricsURL(info NodeInfo) string {
	if info.Ports.Metrics == 0 {
		return ""
	}
	return "http://" + net.JoinHostPort(info.Host, strconv.Itoa(info.Ports.Metrics)) + "/metrics"
}

func (n *Net) node(i int) *node {
	n.mu.RLock()
	defer n.mu.RUnlock()
	if i < 0 || i >= len(n.nodes) {
		panic(fmt.Sprintf("localnet: node %d out of range [0,%d)", i, len(n.nodes)))
	}
	return n.nodes[i]
}

func (n *Net) startNode(i int) error {
	nd := n.node(i)
	nd.mu.Lock()
	defer nd.mu.Unlock()
	if nd.proc != nil && !nd.proc.exited() {
		return fmt.Errorf("node%d is already running (pid %d)", i, nd.proc.pid())
	}
	var extra []string
	if n.opts.LogLevel != "" {
		extra = append(extra, "--log-level", n.opts.LogLevel)
	}
	if n.opts.LogFormat != "" {
		extra = append(extra, "--log-format", n.opts.LogFormat)
	}
	var p instance
	var err error
	if n.docker != nil {
		p, err = n.docker.startContainer(i, nd.home)
	} else {
		command := "start"
		if n.opts.App == AppKVStore {
			command = KVStoreNodeCommand
		}
		p, err = startProcess(n.opts.Binary, command, nd.home, extra)
	}
	if err != nil {
		return fmt.Errorf("node%d: %w", i, err)
	}
	nd.proc = p
	return nil
}

func (n *Net) proc(i int) instance {
	nd := n.node(i)
	nd.mu.Lock()
	defer nd.mu.Unlock()
	return nd.proc
}

// Len is the number of nodes: the localnet's validators (indices 0 to
// len(Manifest().Nodes)-1), then the nodes added with AddNode.
func (n *Net) Len() int {
	n.mu.RLock()
	defer n.mu.RUnlock()
	return len(n.nodes)
}

// Dir is the localnet directory.
func (n *Net) Dir() string { return n.dir }

// Manifest describes the network.
func (n *Net) Manifest() *Manifest { return n.manifest }

// ChainID is the chain's ID.
func (n *Net) ChainID() string { return n.manifest.ChainID }

// Home is node i's home directory.
func (n *Net) Home(i int) string { return n.node(i).home }

// NodeHome is node i's home as the node itself names it (its --home, and
// the paths in its messages): Home for a process, the home's mount point
// in its container on a docker localnet.
func (n *Net) NodeHome(i int) string {
	nd := n.node(i)
	if n.docker != nil {
		return n.docker.info.homeInContainer(nd.info.Home)
	}
	return nd.home
}

// LogFile is the file receiving node i's output.
func (n *Net) LogFile(i int) string { return filepath.Join(n.node(i).home, LogFileName) }

// NodeID is node i's CometBFT node ID.
func (n *Net) NodeID(i int) string { return n.node(i).info.NodeID }

// RPCURL is node i's CometBFT JSON-RPC address.
func (n *Net) RPCURL(i int) string { return rpcURL(n.node(i).info) }

// MetricsURL returns node i's Prometheus endpoint (http://host:port/metrics),
// or "" when the node serves no metrics.
func (n *Net) MetricsURL(i int) string { return metricsURL(n.node(i).info) }

// PprofURL returns node i's pprof address (http://127.0.0.1:port), or ""
// unless the network was made and started with Options.Pprof.
func (n *Net) PprofURL(i int) string {
	if !n.opts.Pprof || len(n.opts.Hosts) > 0 || n.opts.Docker {
		return ""
	}
	return "http://" + net.JoinHostPort("127.0.0.1", strconv.Itoa(n.node(i).info.Ports.P2P+2))
}

// APIURL is node i's ledger JSON-RPC API address.
func (n *Net) APIURL(i int) string { return apiURL(n.node(i).info) }

// LedgerClient returns a client of node i (CometBFT RPC and ledger API),
// as the wallet talks to it.
func (n *Net) LedgerClient(i int) (*client.Client, error) {
	return client.New(n.RPCURL(i), client.WithAPIURL(n.APIURL(i)))
}

// Client is a CometBFT RPC client for node i.
func (n *Net) Client(i int) *rpchttp.HTTP { return n.node(i).client }

// WalletDir is the wallet home holding the genesis keys.
func (n *Net) WalletDir() string { return filepath.Join(n.dir, n.manifest.Wallet) }

// Running reports whether node i's process is running (paused counts as
// running).
func (n *Net) Running(i int) bool {
	p := n.proc(i)
	return p != nil && !p.exited()
}

// Pid is node i's process ID, or 0 when it is not running.
func (n *Net) Pid(i int) int {
	if p := n.proc(i); p != nil && !p.exited() {
		return p.pid()
	}
	return 0
}

// Stop stops every node (SIGTERM, then SIGKILL after StopTimeout) and
// waits for them. It returns an error naming each node that did not exit
// cleanly. Stopping a stopped net does nothing.
func (n *Net) Stop() error {
	var wg sync.WaitGroup
	errs := make([]error, n.Len())
	for i := range errs {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			errs[i] = n.StopNode(i)
		}(i)
	}
	wg.Wait()
	if n.docker != nil {
		errs = append(errs, n.docker.teardown())
	}
	// FreeBasePort's reservation of the ports lasts while the network may
	// use them, restarts of a node included.
	n.releasePorts()
	return errors.Join(errs...)
}

// Docker describes the containers of a docker localnet, or is nil for a
// network of local processes.
func (n *Net) Docker() *DockerInfo { return n.manifest.Docker }

// StopNode stops node i cleanly (SIGTERM, then SIGKILL after StopTimeout)
// and waits for it. It returns an error with the log tail if the node did
// not exit with status 0.
func (n *Net) StopNode(i int) error {
	p := n.proc(i)
	if p == nil || p.exited() {
		return nil
	}
	if err := p.stop(n.opts.StopTimeout); err != nil {
		return n.nodeError(i, err)
	}
	return nil
}

// KillNode kills node i with SIGKILL and waits for it to be reaped.
func (n *Net) KillNode(i int) {
	if p := n.proc(i); p != nil {
		p.kill()
	}
}

// RestartNode starts node i again after StopNode or KillNode (stopping it
// first if it still runs). It does not wait for the node to catch up: use
// WaitHeight.
func (n *Net) RestartNode(i int) error {
	if err := n.StopNode(i); err != nil {
		return err
	}
	return n.startNode(i)
}

// PauseNode freezes node i's process (SIGSTOP): it stops voting, answering
// RPC and gossiping, as a hung machine would.
func (n *Net) PauseNode(i int) error { return n.signalNode(i, syscall.SIGSTOP) }

// ResumeNode continues a paused node (SIGCONT).
func (n *Net) ResumeNode(i int) error { return n.signalNode(i, syscall.SIGCONT) }

func (n *Net) signalNode(i int, sig syscall.Signal) error {
	p := n.proc(i)
	if p == nil || p.exited() {
		return fmt.Errorf("node%d is not running", i)
	}
	return p.signal(sig)
}

// Height is node i's latest committed height as its RPC reports it.
//
// CometBFT stores a block (and reports it in status) before the ledger
// has committed it, so the height is the lower of the two: at that height
// both the block and the state after it can be read from the node.
func (n *Net) Height(ctx context.Context, i int) (int64, error) {
	st, err := n.node(i).client.Status(ctx)
	if err != nil {
		return 0, err
	}
	info, err := n.node(i).client.ABCIInfo(ctx)
	if err != nil {
		return 0, err
	}
	return min(st.SyncInfo.LatestBlockHeight, info.Response.LastBlockHeight), nil
}

// WaitHeight waits until node i has committed block h. It fails early
// when the node's process exits, and on ctx's end with the node's last
// known height and log tail.
func (n *Net) WaitHeight(ctx context.Context, i int, h int64) error {
	var last int64 = -1
	var lastErr error
	t := time.NewTicker(pollInterval)
	defer t.Stop()
	for {
		if p := n.proc(i); p != nil && p.exited() {
			err := n.nodeError(i, fmt.Errorf("exited (%v) before reaching height %d", exitDescription(p), h))
			if inUse := n.portTakenAtStart(i, err); inUse != nil {
				return inUse
			}
			return err
		}
		qctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		got, err := n.Height(qctx, i)
		cancel()
		if err == nil {
			last, lastErr = got, nil
			if got >= h {
				return nil
			}
		} else {
			lastErr = err
		}
		select {
		case <-ctx.Done():
			what := fmt.Sprintf("at height %d", last)
			if last < 0 {
				what = fmt.Sprintf("RPC %s not answering: %v", n.RPCURL(i), lastErr)
			}
			return n.nodeError(i, fmt.Errorf("did not reach height %d (%s): %w", h, what, ctx.Err()))
		case <-t.C:
		}
	}
}

// WaitAll waits until every running node has committed block h.
func (n *Net) WaitAll(ctx context.Context, h int64) error {
	var wg sync.WaitGroup
	errs := make([]error, n.Len())
	for i := range errs {
		if !n.Running(i) {
			continue
		}
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			errs[i] = n.WaitHeight(ctx, i, h)
		}(i)
	}
	wg.Wait()
	return errors.Join(errs...)
}

// Header returns node i's block header at height h.
func (n *Net) Header(ctx context.Context, i int, h int64) (*cmttypes.Header, error) {
	res, err := n.node(i).client.Header(ctx, &h)
	if err != nil {
		return nil, fmt.Errorf("node%d header %d: %w", i, h, err)
	}
	return res.Header, nil
}

// AppHash returns the app hash node i computed by executing block h (the
// hash that header h+1 carries), from CometBFT's /block_results.
func (n *Net) AppHash(ctx context.Context, i int, h int64) ([]byte, error) {
	res, err := n.node(i).client.BlockResults(ctx, &h)
	if err != nil {
		return nil, fmt.Errorf("node%d block results %d: %w", i, h, err)
	}
	return res.AppHash, nil
}

// ExitStatus says how node i's process ended ("exit status 1", "killed
// by signal SIGKILL"); exited is false while it runs or before it started.
func (n *Net) ExitStatus(i int) (status string, exited bool) {
	p := n.proc(i)
	if p == nil || !p.exited() {
		return "", false
	}
	return exitDescription(p), true
}

func exitDescription(p instance) string { return p.describeExit() }

// nodeError prefixes err with the node's name and appends its log tail.
func (n *Net) nodeError(i int, err error) error {
	return &NodeError{Node: i, Log: n.LogFile(i), Tail: tailFile(n.LogFile(i), 20), Err: err}
}

// NodeError is a failure of one node, with the end of its log.
type NodeError struct {
	Node int
	Log  string // path of the node's log file
	Tail string // its last lines
	Err  error
}

func (e *NodeError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "node%d: %v (log %s)", e.Node, e.Err, e.Log)
	if e.Tail != "" {
		b.WriteString("; last lines:\n")
		b.WriteString(e.Tail)
	}
	return b.String()
}

func (e *NodeError) Unwrap() error { return e.Err }
