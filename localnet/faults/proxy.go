package faults

import (
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

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
//
// A link can also be slowed and thinned (degrade): every chunk of bytes
// it copies arrives delay±jitter later, in order, and a share of them
// later still, as a lost segment does once TCP retransmits it (see
// Impairment).
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

// degrade impairs (or, with the zero Impairment, restores) every link
// between node i and the others, both ways.
func (m *Mesh) degrade(i int, imp Impairment) {
	for j := 0; j < m.n; j++ {
		if j == i {
			continue
		}
		for _, k := range [][2]int{{i, j}, {j, i}} {
			if l := m.links[k]; l != nil {
				l.setImpairment(imp)
			}
		}
	}
}

// Impairment slows and thins a proxied link. A userspace proxy sees a
// byte stream, not packets: it cannot drop bytes without breaking the
// stream, so it does to a chunk what TCP does to a lost segment: holds it
// back for a retransmission timeout. Each chunk (one read, at most 32 KiB)
// is delayed by Delay±Jitter; with probability Loss it is "lost" and waits
// a further RTO, doubled each time it is lost again. Chunks never overtake
// each other, so one held chunk holds those behind it, as a lost segment
// holds the stream behind it.
type Impairment struct {
	Delay, Jitter time.Duration
	Loss          float64 // 0 to 1
	RTO           time.Duration
}

// MinRTO is Linux's minimum TCP retransmission timeout, the wait a lost
// segment costs on a fast link.
const MinRTO = 200 * time.Millisecond

func (imp Impairment) zero() bool { return imp.Delay == 0 && imp.Jitter == 0 && imp.Loss == 0 }

// hold is how long a chunk read now is held back.
func (imp Impairment) hold(rnd *rand.Rand) time.Duration {
	d := imp.Delay
	if imp.Jitter > 0 {
		d += time.Duration(rnd.Int64N(int64(2*imp.Jitter)+1)) - imp.Jitter
	}
	rto := max(imp.RTO, MinRTO)
	for k := 0; k < 8 && imp.Loss > 0 && rnd.Float64() < imp.Loss; k++ {
		d += rto
		rto *= 2
	}
	return max(d, 0)
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
	imp    Impairment
	seed   uint64 // of the impairment's draws; 0 seeds from the clock
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

func (l *link) setImpairment(imp Impairment) {
	l.mu.Lock()
	l.imp = imp
	l.mu.Unlock()
}

func (l *link) impairment() Impairment {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.imp
}

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

// pipe copies src to dst, holding the bytes while the link is cut and
// delaying them while it is impaired. Reading goes on while chunks wait
// (a slow link still carries many bytes in flight); the writer releases
// them in order, each at its time.
func (l *link) pipe(dst, src net.Conn) {
	type chunk struct {
		b   []byte
		due time.Time
		eof bool
	}
	queue := make(chan chunk, 1024)
	done := make(chan struct{})
	defer close(done)
	go func() {
		defer close(queue)
		l.mu.Lock()
		seed := l.seed
		l.mu.Unlock()
		if seed == 0 {
			seed = uint64(time.Now().UnixNano())
		}
		rnd := rand.New(rand.NewPCG(seed, 0))
		var last time.Time
		buf := make([]byte, 32<<10)
		for {
			n, err := src.Read(buf)
			if n > 0 {
				c := chunk{b: append([]byte(nil), buf[:n]...), due: time.Now()}
				if imp := l.impairment(); !imp.zero() {
					c.due = c.due.Add(imp.hold(rnd))
				}
				if c.due.Before(last) {
					c.due = last // in order: never before the chunk ahead
				}
				last = c.due
				select {
				case queue <- c:
				case <-done:
					return
				}
			}
			if err != nil {
				if err == io.EOF {
					select {
					case queue <- chunk{eof: true, due: last}:
					case <-done:
					}
				}
				return
			}
		}
	}()
	for c := range queue {
		if wait := time.Until(c.due); wait > 0 {
			time.Sleep(wait)
		}
		if !l.waitOpen() {
			return
		}
		if c.eof {
			if tc, ok := dst.(*net.TCPConn); ok {
				_ = tc.CloseWrite()
			}
			return
		}
		if _, err := dst.Write(c.b); err != nil {
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
