package localnet

import (
	"crypto/sha256"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestPercentile(t *testing.T) {
	var d []time.Duration
	for i := 1; i <= 100; i++ {
		d = append(d, time.Duration(i)*time.Millisecond)
	}
	for _, tc := range []struct {
		p    int
		want time.Duration
	}{{50, 50 * time.Millisecond}, {95, 95 * time.Millisecond}, {99, 99 * time.Millisecond}, {100, 100 * time.Millisecond}} {
		if got := percentile(d, tc.p); got != tc.want {
			t.Errorf("p%d = %s, want %s", tc.p, got, tc.want)
		}
	}
	if got := percentile(nil, 50); got != 0 {
		t.Errorf("p50 of nothing = %s, want 0", got)
	}
	if got := percentile([]time.Duration{7}, 99); got != 7 {
		t.Errorf("p99 of one = %s, want 7ns", got)
	}
}

func TestShortReasonGroups(t *testing.T) {
	a := shortReason("mempool is full: number of txs 5000 (max: 5000), total txs bytes 714000 (max: 1073741824)\nmore")
	b := shortReason("mempool is full: number of txs 4999 (max: 5000), total txs bytes 1 (max: 1073741824)")
	if a != b || a != "mempool is full: number of txs N (max: N), total txs bytes N (max: N)" {
		t.Errorf("reasons %q and %q, want one group", a, b)
	}
	c := shortReason("tally1qqqsyqcyq5rqwzqfpg9scrgwpugpzysnzs23v7 has 64 transactions waiting")
	d := shortReason("tally1zg69v7yszg69v7yszg69v7yszg69v7ys8xjdyn has 64 transactions waiting")
	if c != d || c != "ADDRESS has N transactions waiting" {
		t.Errorf("reasons %q and %q, want one group without the addresses", c, d)
	}
}

// TestTrackerAccounting follows transactions through offer, refusal
// and blocks: a refused one is rejected, one with a non-zero code failed,
// an admitted one never seen is lost, one never admitted is not lost, and
// latency runs from the offer to the block.
func TestTrackerAccounting(t *testing.T) {
	tx := func(s string) benchTx { return benchTx{raw: []byte(s), hash: sha256.Sum256([]byte(s)), sender: -1} }
	a, b, c, d, e, f := tx("a"), tx("b"), tx("c"), tx("d"), tx("e"), tx("f")
	began := time.Now()
	tr := newTracker(6, map[string]int{}, map[string]int{})
	tr.began = began
	tr.offer([]benchTx{a, b, c, d, e, f})
	for _, x := range []benchTx{a, b, f} {
		tr.admit(x)
	}
	tr.reject(c, "CheckTx code 7 (tally): insufficient funds 12")
	tr.reject(d, "connection refused")
	tr.reject(e, "connection refused")
	tr.block(7, [][]byte{[]byte("a"), []byte("x"), []byte("b")}, began.Add(1500*time.Millisecond))
	tr.commits[1].failed = true // as checkResults marks b (code 5)
	tr.reject(a, "late answer") // already in a block: not rejected

	res := &BenchResult{Reasons: tr.reasons}
	tr.fill(res, 2*time.Second)
	if res.Offered != 6 || res.Rejected != 3 || res.Admitted != 3 || res.Committed != 1 || res.Failed != 1 || res.Lost != 1 {
		t.Fatalf("offered %d rejected %d admitted %d committed %d failed %d lost %d, want 6 3 3 1 1 1",
			res.Offered, res.Rejected, res.Admitted, res.Committed, res.Failed, res.Lost)
	}
	if res.Reasons["CheckTx code N (tally): insufficient funds N"] != 1 || res.Reasons["connection refused"] != 2 {
		t.Errorf("reasons %v", res.Reasons)
	}
	if res.P50 < time.Second || res.P50 > 1500*time.Millisecond || res.Max != res.P50 {
		t.Errorf("latency p50 %s max %s, want one latency of about 1.5s", res.P50, res.Max)
	}
	if res.OfferedTPS != 3 {
		t.Errorf("offered %.1f tx/s, want 3", res.OfferedTPS)
	}
	if len(res.Timeline) != 2 || res.Timeline[1].Committed != 1 {
		t.Errorf("timeline %+v, want the commit in second 1", res.Timeline)
	}
}

// TestLaneRetriesInOrder: transactions refused for now go back to the
// head of the queue in their order and are admitted later, counted once
// as offered and never as rejected or lost; a sender refused for now is
// held until the next interval while the lane's other senders go on, and
// a node with no room holds the whole lane; one refused for good ends its
// sender's later transactions; what is still refused when the retries end
// is rejected, not lost.
func TestLaneRetriesInOrder(t *testing.T) {
	mk := func(s string, sender int) benchTx {
		return benchTx{raw: []byte(s), hash: sha256.Sum256([]byte(s)), sender: sender}
	}
	a1, a2, b1, c1, b2, c2, d1 := mk("a1", 0), mk("a2", 0), mk("b1", 1), mk("c1", 2), mk("b2", 1), mk("c2", 2), mk("d1", 3)
	tr := newTracker(7, map[string]int{}, map[string]int{})
	tr.began = time.Now()
	q := newLaneQueue()
	tr.offer([]benchTx{a1, a2, b1, c1, b2, c2, d1})
	q.push([]benchTx{a1, a2, b1, c1, b2, c2, d1})

	send := q.take(4, tr)
	if got := names(send); got != "a1 a2 b1 c1" {
		t.Fatalf("first request %q, want a1 a2 b1 c1", got)
	}
	pending := outcome{reason: "CheckTx code 19 (tally): has 64 transactions waiting", retry: true}
	ahead := outcome{reason: "CheckTx code 4 (tally): nonce 8 is ahead, account expects 7", retry: true}
	full := outcome{reason: "CheckTx code 21 (tally): mempool is full: 5000", retry: true, full: true}
	if n := q.settle(send, []outcome{pending, ahead, {}, {reason: "CheckTx code 7 (tally): insufficient"}}, tr); n != 2 {
		t.Fatalf("%d refused for now, want 2", n)
	}
	if got := names(q.pending()); got != "a1 a2 b2 c2 d1" {
		t.Fatalf("queue after the first answers %q, want a1 a2 b2 c2 d1 (refused for now first, in order)", got)
	}
	// Same interval: a's are held, c's sender was refused for good.
	send = q.take(4, tr)
	if got := names(send); got != "b2 d1" {
		t.Fatalf("second request %q, want b2 d1", got)
	}
	q.settle(send, []outcome{{}, full}, tr)
	if got := names(q.pending()); got != "d1 a1 a2" {
		t.Fatalf("queue %q, want d1 a1 a2", got)
	}
	if send = q.take(4, tr); len(send) != 0 {
		t.Fatalf("sent %q to a node with no room", names(send))
	}
	q.release()
	send = q.take(4, tr)
	if got := names(send); got != "d1 a1 a2" {
		t.Fatalf("next interval's request %q, want d1 a1 a2", got)
	}
	q.settle(send, []outcome{{}, {}, full}, tr)
	if got := names(q.pending()); got != "a2" {
		t.Fatalf("queue %q, want a2", got)
	}
	// The retries end with a2 still refused.
	for _, x := range q.pending() {
		tr.reject(x, "not admitted when the retries ended; last refused with: "+q.last[x.hash])
	}
	tr.block(3, [][]byte{a1.raw, b1.raw, b2.raw, d1.raw}, time.Now())

	res := &BenchResult{Reasons: tr.reasons}
	tr.fill(res, time.Second)
	if res.Offered != 7 || res.Admitted != 4 || res.Committed != 4 || res.Rejected != 3 || res.Lost != 0 || tr.retries != 4 {
		t.Fatalf("offered %d admitted %d committed %d rejected %d lost %d retried %d, want 7 4 4 3 0 4",
			res.Offered, res.Admitted, res.Committed, res.Rejected, res.Lost, tr.retries)
	}
	if res.Reasons[skippedReason] != 1 || res.Reasons["not admitted when the retries ended; last refused with: CheckTx code N (tally): mempool is full: N"] != 1 {
		t.Errorf("reasons %v", res.Reasons)
	}
}

func names(txs []benchTx) string {
	var s []string
	for _, x := range txs {
		s = append(s, string(x.raw))
	}
	return strings.Join(s, " ")
}

// TestOutcomeClassification: which answers are retried.
func TestOutcomeClassification(t *testing.T) {
	res := func(code uint32, space, log string) *rpcResponse {
		r := &rpcResponse{}
		r.Result = &struct {
			Code      uint32 `json:"code"`
			Log       string `json:"log"`
			Codespace string `json:"codespace"`
		}{code, log, space}
		return r
	}
	rpcErr := func(data string) *rpcResponse {
		r := &rpcResponse{}
		r.Error = &struct {
			Message string `json:"message"`
			Data    string `json:"data"`
		}{"Internal error", data}
		return r
	}
	for _, tc := range []struct {
		name      string
		r         *rpcResponse
		ok, retry bool
	}{
		{"accepted", res(0, "", ""), true, false},
		{"mempool full", rpcErr("mempool is full: number of txs 5000 (max: 5000)"), false, true},
		{"already in cache", rpcErr("tx already exists in cache"), true, false},
		{"too many pending", res(19, "tally", "has 64 transactions waiting"), false, true},
		{"no room (the ledger's own bound)", res(21, "tally", "mempool is full: 5000 transactions"), false, true},
		{"nonce ahead", res(4, "tally", "nonce 9 is ahead, account expects 7"), false, true},
		{"nonce used", res(4, "tally", "nonce 7 used, account expects 9"), false, false},
		{"insufficient", res(7, "tally", "insufficient TALLY"), false, false},
		{"other app's code 19", res(19, "sdk", "x"), false, false},
		{"too large", rpcErr("tx too large"), false, false},
	} {
		o := tc.r.outcome()
		if (o.reason == "") != tc.ok || o.retry != tc.retry {
			t.Errorf("%s: outcome %+v, want admitted %v retry %v", tc.name, o, tc.ok, tc.retry)
		}
	}
}

// TestLaneQueueKeepsEachSendersOrder drives a queue through many intervals
// of pushes, takes and answers (some refused for now, a node now and then
// full) and checks what the lane relies on: every transaction is admitted
// exactly once, each sender's in its order, whatever the head's moves and
// the buffer's reclaiming did.
func TestLaneQueueKeepsEachSendersOrder(t *testing.T) {
	const senders, perSender = 7, 60
	var all []benchTx
	for n := range perSender {
		for s := range senders {
			raw := []byte(fmt.Sprintf("%d/%d", s, n))
			all = append(all, benchTx{raw: raw, hash: sha256.Sum256(raw), sender: s})
		}
	}
	tr := newTracker(len(all), map[string]int{}, map[string]int{})
	tr.began = time.Now()
	q := newLaneQueue()
	rnd := rand.New(rand.NewPCG(3, 4))
	next := make([]int, senders) // next nonce each sender must have admitted
	offered := 0
	for round := 0; round < 2000 && (offered < len(all) || len(q.pending()) > 0); round++ {
		q.release()
		if offered < len(all) {
			fresh := all[offered:min(offered+5, len(all))]
			offered += len(fresh)
			tr.offer(fresh)
			q.push(fresh)
		}
		for range 2 {
			send := q.take(4, tr)
			if len(send) == 0 {
				break
			}
			outs := make([]outcome, len(send))
			refused := map[int]bool{}
			for i, tx := range send {
				var s, n int
				fmt.Sscanf(string(tx.raw), "%d/%d", &s, &n)
				switch {
				case refused[s] || rnd.IntN(4) == 0:
					refused[s] = true // a refusal holds the sender's later ones too
					outs[i] = outcome{reason: "for now", retry: true, full: rnd.IntN(10) == 0}
				case n != next[s]:
					t.Fatalf("sender %d sent nonce %d, expected %d", s, n, next[s])
				default:
					next[s]++
				}
			}
			q.settle(send, outs, tr)
		}
	}
	for s, n := range next {
		if n != perSender {
			t.Errorf("sender %d: %d admitted, want %d", s, n, perSender)
		}
	}
	if len(q.pending()) != 0 || tr.rejected != 0 {
		t.Errorf("%d still queued, %d rejected", len(q.pending()), tr.rejected)
	}
}

// The plot's committed rate is a centred moving average, cut at the ends, so that blocks committing every second or so do not show as
// a saw between a block and none.
func TestMovingAverage(t *testing.T) {
	tl := []BenchSecond{{Second: 0, Committed: 0}, {Second: 1, Committed: 3000}, {Second: 2, Committed: 0}, {Second: 3, Committed: 3000}, {Second: 4, Committed: 600}}
	got := movingAverage(tl, 3)
	want := []float64{1500, 1000, 2000, 1200, 1800}
	if len(got) != len(want) {
		t.Fatalf("%d points, want %d", len(got), len(want))
	}
	for i, w := range want {
		if got[i].X != float64(i) || got[i].Y != w {
			t.Errorf("point %d: (%v, %v), want (%d, %v)", i, got[i].X, got[i].Y, i, w)
		}
	}
	if got := movingAverage(tl, 5); got[2].Y != 1320 || got[0].Y != 1000 {
		t.Errorf("window of 5: %v, want 1000 first and 1320 in the middle", got)
	}
	if got := movingAverage(nil, 3); len(got) != 0 {
		t.Errorf("empty timeline gave %v", got)
	}
}

// WriteBenchPlot draws repeated runs of the same rate and refuses a file
// name that is not a PNG.
func TestWriteBenchPlot(t *testing.T) {
	var runs []*BenchResult
	for rep := range 2 {
		for _, app := range []string{"tally", "kvstore"} {
			for _, rate := range []int{1000, 3000} {
				r := &BenchResult{App: app, Rate: rate}
				for s := range 12 {
					r.Timeline = append(r.Timeline, BenchSecond{Second: s, Committed: (rate + 100*rep) * (s % 2) * 2, P50: time.Duration(400+s*10) * time.Millisecond})
				}
				runs = append(runs, r)
			}
		}
	}
	path := filepath.Join(t.TempDir(), "bench.png")
	if err := WriteBenchPlot(path, runs); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil || len(b) < 8 || string(b[1:4]) != "PNG" {
		t.Fatalf("not a PNG: %v", err)
	}
	if err := WriteBenchPlot(filepath.Join(t.TempDir(), "bench.svg"), runs); err == nil || !strings.Contains(err.Error(), "expected a .png") {
		t.Fatalf("svg name: %v, want a refusal", err)
	}
}
