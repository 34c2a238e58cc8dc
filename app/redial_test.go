package app

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	cmtcfg "github.com/cometbft/cometbft/config"
	"github.com/cometbft/cometbft/libs/flowrate"
	"github.com/cometbft/cometbft/p2p"
	cmtconn "github.com/cometbft/cometbft/p2p/conn"

	"github.com/tallyledger/tally/ledger"
)

// fakeSwitch is the part of a switch the redialer reads.
type fakeSwitch struct {
	connected, dialing map[p2p.ID]bool
}

func (s *fakeSwitch) IsRunning() bool     { return true }
func (s *fakeSwitch) Peers() p2p.IPeerSet { return fakePeers(s.connected) }
func (s *fakeSwitch) IsDialingOrExistingAddress(a *p2p.NetAddress) bool {
	return s.dialing[a.ID] || s.connected[a.ID]
}
func (s *fakeSwitch) DialPeerWithAddress(*p2p.NetAddress) error { return nil }

type fakePeers map[p2p.ID]bool

func (p fakePeers) Has(id p2p.ID) bool     { return p[id] }
func (p fakePeers) Get(p2p.ID) p2p.Peer    { return nil }
func (p fakePeers) Copy() []p2p.Peer       { return nil }
func (p fakePeers) Size() int              { return len(p) }
func (p fakePeers) ForEach(func(p2p.Peer)) {}
func (p fakePeers) Random() p2p.Peer       { return nil }

func TestPeerRedialerBacksOffAndStartsOver(t *testing.T) {
	const (
		self  = "0000000000000000000000000000000000000000"
		peerA = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		peerB = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
	)
	list := fmt.Sprintf("%s@127.0.0.1:1000, %s@127.0.0.1:2000,%s@127.0.0.1:3000", peerA, self, peerB)
	r := newPeerRedialer(list, self, 20*time.Second)
	if len(r.peers) != 2 || r.min != redialMinPause || r.max != 20*time.Second {
		t.Fatalf("redialer over %v, pauses %s..%s; want the 2 peers other than self, 5s..20s", r.peers, r.min, r.max)
	}
	sw := &fakeSwitch{connected: map[p2p.ID]bool{peerB: true}, dialing: map[p2p.ID]bool{}}
	t0 := time.Unix(1_000_000, 0)
	at := func(d time.Duration) time.Time { return t0.Add(d) }
	due := func(now time.Time) string {
		var ids []string
		for _, a := range r.due(sw, now) {
			ids = append(ids, string(a.ID)[:1])
		}
		return strings.Join(ids, ",")
	}
	steps := []struct {
		at     time.Duration
		change func()
		want   string
	}{
		{at: 0, want: ""},                 // A first seen disconnected; B connected
		{at: 4 * time.Second, want: ""},   // not a full pause yet
		{at: 5 * time.Second, want: "a"},  // 5s: dial, next pause 10s
		{at: 14 * time.Second, want: ""},  // 9s since the dial
		{at: 15 * time.Second, want: "a"}, // 10s: dial, next pause 20s
		{at: 35 * time.Second, want: "a"}, // 20s: dial, pause stays at the 20s ceiling
		{at: 54 * time.Second, want: ""},  //
		{at: 55 * time.Second, want: "a"}, // 20s again
		{at: 75 * time.Second, change: func() { sw.dialing[peerA] = true }, want: ""}, // CometBFT dials it: leave it
		{at: 76 * time.Second, change: func() { sw.dialing[peerA] = false; sw.connected[peerA] = true }, want: ""},
		{at: 77 * time.Second, change: func() { sw.connected[peerA] = false; sw.connected[peerB] = false }, want: ""}, // both lost: start over
		{at: 81 * time.Second, want: ""},
		{at: 82 * time.Second, want: "a,b"}, // 5s after they were lost
	}
	for _, s := range steps {
		if s.change != nil {
			s.change()
		}
		if got := due(at(s.at)); got != s.want {
			t.Fatalf("at %s: due %q, want %q", s.at, got, s.want)
		}
	}

	// A ceiling below the first pause is the pause.
	if r := newPeerRedialer(peerA+"@127.0.0.1:1", self, 2*time.Second); r.min != 2*time.Second || r.max != 2*time.Second {
		t.Fatalf("pauses %s..%s with a 2s ceiling", r.min, r.max)
	}
	if r := newPeerRedialer("", self, 0); len(r.peers) != 0 || r.max != redialMaxPause {
		t.Fatalf("no peers: %+v", r)
	}
}

// silentPeer is a connected peer with a given receive idleness.
type silentPeer struct {
	p2p.Peer // only ID and Status are called
	id       p2p.ID
	idle     time.Duration
}

func (p silentPeer) ID() p2p.ID { return p.id }
func (p silentPeer) Status() cmtconn.ConnectionStatus {
	return cmtconn.ConnectionStatus{RecvMonitor: flowrate.Status{Idle: p.idle}}
}

// A persistent peer silent for longer than the limit is picked for
// dropping (others and non-persistent peers are not), and once dropped it
// is redialed every second, without backing off, until it answers.
func TestSilentPeerDroppedAndRedialedFast(t *testing.T) {
	const (
		self     = "0000000000000000000000000000000000000000"
		peerA    = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		peerB    = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
		stranger = "cccccccccccccccccccccccccccccccccccccccc"
	)
	r := newPeerRedialer(fmt.Sprintf("%s@127.0.0.1:1000,%s@127.0.0.1:2000", peerA, peerB), self, 20*time.Second)
	peers := []p2p.Peer{
		silentPeer{id: peerA, idle: 6 * time.Second},
		silentPeer{id: peerB, idle: 200 * time.Millisecond},
		silentPeer{id: stranger, idle: time.Minute},
	}
	t0 := time.Unix(1_000_000, 0)
	got := r.silent(peers, peerSilenceLimit, t0)
	if len(got) != 1 || got[0].ID() != peerA {
		t.Fatalf("silent peers %v, want only %s", got, peerA)
	}
	sw := &fakeSwitch{connected: map[p2p.ID]bool{peerB: true}, dialing: map[p2p.ID]bool{}}
	r.dropped(peerA, t0)
	for i, want := range []int{0, 1, 1, 1, 1, 1} {
		now := t0.Add(time.Duration(i) * time.Second)
		if n := len(r.due(sw, now)); n != want {
			t.Fatalf("%ds after the drop: %d due, want %d", i, n, want)
		}
	}
	// Once the fast period is over, the pause grows again.
	later := t0.Add(redialFastFor + time.Second)
	if n := len(r.due(sw, later)); n != 1 {
		t.Fatalf("after the fast period: %d due, want 1", n)
	}
	if n := len(r.due(sw, later.Add(1500*time.Millisecond))); n != 0 {
		t.Fatalf("1.5s later: %d due, want 0 (backing off again)", n)
	}
}

// A node that was itself frozen (paused, starved) finds every peer silent
// when it resumes, before it has read what they sent meanwhile: the check
// that comes late after the previous one drops nobody; the next, on time,
// does drop a peer still silent.
func TestNoSilentPeerDroppedAfterOwnStall(t *testing.T) {
	const (
		self  = "0000000000000000000000000000000000000000"
		peerA = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	)
	r := newPeerRedialer(peerA+"@127.0.0.1:1000", self, 20*time.Second)
	peers := []p2p.Peer{silentPeer{id: peerA, idle: 7 * time.Second}}
	t0 := time.Unix(1_000_000, 0)
	if got := r.silent(nil, peerSilenceLimit, t0); len(got) != 0 {
		t.Fatalf("no peers: %v silent", got)
	}
	// The node was frozen for 7 s: the next check comes 7 s late.
	if got := r.silent(peers, peerSilenceLimit, t0.Add(7*time.Second)); len(got) != 0 {
		t.Fatalf("check right after a 7s stall found %v silent, want none", got)
	}
	if got := r.silent(peers, peerSilenceLimit, t0.Add(8*time.Second)); len(got) != 1 {
		t.Fatalf("check on time after the stall found %v silent, want %s", got, peerA)
	}
}

// A full node that the validator's peer filter refuses keeps redialing it,
// and joins once governance allows it: CometBFT's own redial loop alone
// gives up after the first refusals.
func TestRefusedPeerJoinsOnceAllowed(t *testing.T) {
	act := newActors(t)
	homeA, homeB, idB := validatorAndFullNode(t, act, false, func(c *cmtcfg.Config) {
		c.P2P.PersistentPeersMaxDialPeriod = 2 * time.Second
	})

	a := startNode(t, homeA)
	b := startNode(t, homeB)
	connected := func() bool { return a.Switch().Peers().Has(p2p.ID(idB)) }

	// Refused across ten blocks and five seconds, long enough for
	// CometBFT's own redial loop to end (it does within a second or two).
	h := a.Ledger().LastHeight()
	refusedUntil, giveUp := time.Now().Add(5*time.Second), time.Now().Add(30*time.Second)
	for a.Ledger().LastHeight() < h+10 || time.Now().Before(refusedUntil) {
		if connected() {
			t.Fatal("the validator admitted a node its state does not allow")
		}
		if time.Now().After(giveUp) {
			t.Fatalf("the validator is at height %d, not %d, after 30s", a.Ledger().LastHeight(), h+10)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if b.Ledger().LastHeight() != 0 {
		t.Fatalf("the refused node has height %d", b.Ledger().LastHeight())
	}

	allow := newTx(t, act.admin).nonce(0).propose(ledger.Action{AllowNode: &ledger.NodeRef{NodeID: idB}}, 1000).bytes()
	res, err := a.RPC().BroadcastTxSync(context.Background(), allow)
	if err != nil || res.Code != 0 {
		t.Fatalf("allow-node: %v %+v", err, res)
	}
	waitTx(t, a, res.Hash)
	waitFor(t, "the allowed node to connect", 30*time.Second, connected)
	target := a.Ledger().LastHeight()
	waitFor(t, fmt.Sprintf("the allowed node to sync to height %d", target), 30*time.Second, func() bool { return b.Ledger().LastHeight() >= target })
}
