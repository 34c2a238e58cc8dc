package localnet

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"

	"github.com/tallyledger/tally/internal/freeport"
)

// DefaultBasePort is node0's p2p port; the other ports of node i are laid
// out from BasePort+PortStride*i (see NodePorts).
const DefaultBasePort = 26656

// PortStride is the distance between two nodes' port blocks.
const PortStride = 100

// Ports are the TCP ports one node listens on.
type Ports struct {
	P2P int // CometBFT peer-to-peer
	RPC int // CometBFT JSON-RPC
	API int // Tally ledger JSON-RPC API (and GET /health)
	// Metrics is the Prometheus listener (GET /metrics): CometBFT's series
	// and the app's tally_ series.
	Metrics int `json:",omitempty"`
}

// NodePorts returns the ports of node i for a network whose node0 uses
// base: p2p base+100i, CometBFT RPC base+1+100i, ledger API base+3+100i,
// Prometheus base+4+100i.
func NodePorts(base, i int) Ports {
	b := base + PortStride*i
	return Ports{P2P: b, RPC: b + 1, API: b + 3, Metrics: b + 4}
}

// all lists the ports with their names, in a fixed order.
func (p Ports) all() []namedPort {
	return []namedPort{{"p2p", p.P2P}, {"rpc", p.RPC}, {"api", p.API}, {"metrics", p.Metrics}}
}

type namedPort struct {
	name string
	port int
}

// PortInUseError says which port of which node is taken.
type PortInUseError struct {
	Node int    // node index
	Name string // "p2p", "rpc", "api" or "metrics"
	Port int
	Err  error
}

func (e *PortInUseError) Error() string {
	return fmt.Sprintf("port %d (node%d %s) is already in use; stop what holds it or choose other ports with --base-port", e.Port, e.Node, e.Name)
}

func (e *PortInUseError) Unwrap() error { return e.Err }

// CheckPorts returns a *PortInUseError for the first port of nodes 0..n-1
// (laid out from base on host) that cannot be bound.
func CheckPorts(host string, base, n int) error {
	for i := 0; i < n; i++ {
		for _, np := range NodePorts(base, i).all() {
			if err := portFree(host, np.port); err != nil {
				return &PortInUseError{Node: i, Name: np.name, Port: np.port, Err: err}
			}
		}
	}
	return nil
}

func portFree(host string, port int) error {
	if port <= 0 || port > 65535 {
		return fmt.Errorf("port %d out of range", port)
	}
	l, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(port)))
	if err != nil {
		return err
	}
	return l.Close()
}

// FreeBasePort finds a base port whose n port blocks are all free on
// 127.0.0.1, in [20000, 32000): below Linux's default ephemeral range, so
// outgoing connections do not take the ports. The ports are reserved for
// this process until the Net started on them is stopped (or the process
// ends), so that other processes looking for ports this way do not choose
// them, even while a node is down between a kill and a restart; another
// program can still take one before it is used, which Start reports as a
// *PortInUseError (StartOnFreePorts then tries other ports).
func FreeBasePort(n int) (int, error) {
	if n < 1 {
		return 0, errors.New("need at least one node")
	}
	return freeport.Find(PortStride*n, func(base int) []int { return blockPorts(base, n) })
}

// blockPorts lists the ports of nodes 0..n-1 laid out from base.
func blockPorts(base, n int) []int {
	var ports []int
	for i := 0; i < n; i++ {
		for _, np := range NodePorts(base, i).all() {
			ports = append(ports, np.port)
		}
	}
	return ports
}

// portTakenAtStart returns a *PortInUseError wrapping startErr when node
// i's log of its last run says one of the node's ports is already in use:
// another process bound it after the ports were probed. It returns nil
// when the log says no such thing.
func (n *Net) portTakenAtStart(i int, startErr error) error {
	tail := tailFile(n.LogFile(i), 20)
	if k := strings.LastIndex(tail, "\n"+runMarker); k >= 0 {
		tail = tail[k+1:] // only the last run's lines
	}
	for _, line := range strings.Split(tail, "\n") {
		if !strings.Contains(line, "already in use") {
			continue
		}
		for _, np := range n.node(i).info.Ports.all() {
			if np.port > 0 && mentionsPort(line, np.port) {
				return &PortInUseError{Node: i, Name: np.name, Port: np.port, Err: startErr}
			}
		}
	}
	return nil
}

// mentionsPort reports whether line has ":port" not followed by a digit.
func mentionsPort(line string, port int) bool {
	p := ":" + strconv.Itoa(port)
	for s := line; ; {
		k := strings.Index(s, p)
		if k < 0 {
			return false
		}
		s = s[k+len(p):]
		if s == "" || s[0] < '0' || s[0] > '9' {
			return true
		}
	}
}

// StartOnFreePorts makes a new localnet in dir (which must not hold one)
// on ports that FreeBasePort finds, ignoring opts.BasePort, and starts it.
// A port found free can be taken by another process before the node binds
// it; then the node exits and Start returns a *PortInUseError, and
// StartOnFreePorts removes dir and tries again on other ports, up to
// attempts times in all.
func StartOnFreePorts(ctx context.Context, dir string, opts Options, attempts int) (*Net, error) {
	n := opts.Validators
	if n == 0 {
		n = DefaultValidators
	}
	var lastErr error
	for k := 0; k < max(1, attempts); k++ {
		base, err := FreeBasePort(n)
		if err != nil {
			return nil, err
		}
		opts.BasePort = base
		if k > 0 {
			if err := os.RemoveAll(dir); err != nil {
				return nil, fmt.Errorf("localnet: %w", err)
			}
		}
		if err := Init(dir, opts); err != nil {
			return nil, err
		}
		net, err := Start(ctx, dir, opts)
		var inUse *PortInUseError
		if !errors.As(err, &inUse) {
			return net, err
		}
		lastErr = err
	}
	return nil, fmt.Errorf("localnet: no free ports after %d attempts: %w", max(1, attempts), lastErr)
}
