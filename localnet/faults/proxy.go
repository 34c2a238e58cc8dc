package faults

import (
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"

	"github.com/tallyledger/tally/app"
	"github.com/tallyledger/tally/localnet"
)

// Mesh is a set of userspace TCP proxies, one per ordered pair of
// validators of a process localnet: node i reaches node j's p2p port only
// through the proxy (i,j), so a link can be cut and healed without root.
// A cut link holds the bytes (it stops copying, and holds new connections
// unanswered) like a network that drops every packet; healing it lets
// them through again. Unlike a real network, the held connection has no
// TCP retransmission backoff to wait out after the heal.
type Mesh struct {
	n     int
	links map[[2]int]*link
}

// InterposeMesh starts a proxy for every ordered pair of validators of the
// localnet in dir (made by localnet.Init, not yet started) and rewrites
// each node's persistent peers to go through them. Close the mesh after
// the network has stopped.
func InterposeMesh(dir string) (*Mesh, error) {
	m, err := localnet.LoadManifest(dir)
	if err != nil {
		return nil, err
	}
	if m.Docker != nil {
		return nil, fmt.Errorf("faults: %s is a docker localnet; its links are cut inside the containers", dir)
	}
	mesh := &Mesh{n: len(m.Nodes), links: map[[2]int]*link{}}
	for i, from := range m.Nodes {
		home := dir + "/" + from.Home
		c, ac, err := app.LoadConfig(home)
		if err != nil {
			mesh.Close()
			return nil, err
		}
		var peers []string
		for j, to := range m.Nodes {
			if i == j {
				continue
			}
			l, err := newLink(net.JoinHostPort(to.Host, strconv.Itoa(to.Ports.P2P)))
			if err != nil {
				mesh.Close()
				return nil, err
			}
			mesh.links[[2]int{i, j}] = l
			peers = append(peers, to.NodeID+"@"+l.addr())
		}
		c.P2P.PersistentPeers = strings.Join(peers, ",")
		if err := app.WriteConfig(home, c, ac); err != nil {
			mesh.Close()
			return nil, err
		}
	}
	return mesh, nil
}

// cut stops or resumes traffic between nodes i and j, both ways.
func (m *Mesh) cut(i, j int, cut bool) {
	for _, k := range [][2]int{{i, j}, {j, i}} {
		if l := m.links[k]; l != nil {
			l.setCut(cut)
		}
	}
}

// Close stops every proxy and closes their connections.
func (m *Mesh) Close() {
	for _, l := range m.links {
		l.close()
	}
}

// link is one proxy: a listener forwarding to one node's p2p port.
type link struct {
	ln     net.Listener
	target string

	mu     sync.Mutex
	cond   *sync.Cond
	isCut  bool
	closed bool
	conns  map[net.Conn]struct{}
}

func newLink(target string) (*link, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("faults: proxy for %s: %w", target, err)
	}
	l := &link{ln: ln, target: target, conns: map[net.Conn]struct{}{}}
	l.cond = sync.NewCond(&l.mu)
	go l.serve()
	return l, nil
}

func (l *link) addr() string { return l.ln.Addr().String() }

func (l *link) setCut(cut bool) {
	l.mu.Lock()
	l.isCut = cut
	l.mu.Unlock()
	l.cond.Broadcast()
}

// waitOpen blocks while the link is cut; false once it is closed.
func (l *link) waitOpen() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for l.isCut && !l.closed {
		l.cond.Wait()
	}
	return !l.closed
}

func (l *link) track(c net.Conn) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		c.Close()
		return false
	}
	l.conns[c] = struct{}{}
	return true
}

func (l *link) untrack(c net.Conn) {
	l.mu.Lock()
	delete(l.conns, c)
	l.mu.Unlock()
	c.Close()
}

func (l *link) serve() {
	for {
		in, err := l.ln.Accept()
		if err != nil {
			return
		}
		if !l.track(in) {
			return
		}
		go func() {
			defer l.untrack(in)
			if !l.waitOpen() { // a cut link never answers a new connection
				return
			}
			out, err := net.Dial("tcp", l.target)
			if err != nil {
				return
			}
			if !l.track(out) {
				return
			}
			defer l.untrack(out)
			done := make(chan struct{}, 2)
			go func() { l.pipe(out, in); done <- struct{}{} }()
			go func() { l.pipe(in, out); done <- struct{}{} }()
			<-done
		}()
	}
}

// pipe copies src to dst, holding the bytes while the link is cut.
func (l *link) pipe(dst, src net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			if !l.waitOpen() {
				return
			}
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			if err != io.EOF {
				return
			}
			if tc, ok := dst.(*net.TCPConn); ok {
				_ = tc.CloseWrite()
			}
			return
		}
	}
}

func (l *link) close() {
	l.mu.Lock()
	l.closed = true
	conns := make([]net.Conn, 0, len(l.conns))
	for c := range l.conns {
		conns = append(conns, c)
	}
	l.mu.Unlock()
	l.cond.Broadcast()
	l.ln.Close()
	for _, c := range conns {
		c.Close()
	}
}
