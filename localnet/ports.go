package localnet

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"time"
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
// 127.0.0.1. It searches [20000, 32000), below Linux's default ephemeral
// range so outgoing connections do not take the ports, from an offset
// derived from the process ID and the clock so that test processes running
// in parallel rarely probe the same range. The ports are free when probed;
// another process could still take them before they are used.
func FreeBasePort(n int) (int, error) {
	if n < 1 {
		return 0, errors.New("need at least one node")
	}
	span := PortStride * n
	const lo, hi = 20000, 32000
	slots := (hi - lo) / span
	start := int((int64(os.Getpid())*7919 + time.Now().UnixNano()/1e6) % int64(slots))
	for k := 0; k < slots; k++ {
		base := lo + ((start+k)%slots)*span
		if CheckPorts("127.0.0.1", base, n) == nil {
			return base, nil
		}
	}
	return 0, fmt.Errorf("no free block of %d ports between %d and %d", span, lo, hi)
}
