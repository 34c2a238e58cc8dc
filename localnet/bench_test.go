package localnet

import (
	"crypto/sha256"
	"errors"
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
}

// TestTrackerAccounting follows transactions through submission, refusal
// and blocks: a refused one is rejected, one with a non-zero code failed,
// one never seen is lost, and latency runs from submission to the block.
func TestTrackerAccounting(t *testing.T) {
	tx := func(s string) benchTx { return benchTx{raw: []byte(s), hash: sha256.Sum256([]byte(s))} }
	a, b, c, d, e := tx("a"), tx("b"), tx("c"), tx("d"), tx("e")
	began := time.Now()
	tr := &tracker{began: began, submitted: map[[32]byte]time.Time{}, reasons: map[string]int{}}
	tr.submit([]benchTx{a, b, c})
	tr.answered([]benchTx{a, b, c}, []string{"", "", "mempool is full: 12"}, nil)
	tr.submit([]benchTx{d, e})
	tr.answered([]benchTx{d, e}, nil, errors.New("connection refused"))
	tr.submit([]benchTx{tx("f")})
	tr.answered([]benchTx{tx("f")}, []string{""}, nil)
	tr.block(7, [][]byte{[]byte("a"), []byte("x"), []byte("b")}, began.Add(1500*time.Millisecond))
	tr.commits[1].failed = true // as checkResults marks b (code 5)

	res := &BenchResult{Reasons: tr.reasons}
	tr.fill(res, 2*time.Second)
	if res.Offered != 6 || res.Rejected != 3 || res.Admitted != 3 || res.Committed != 1 || res.Failed != 1 || res.Lost != 1 {
		t.Fatalf("offered %d rejected %d admitted %d committed %d failed %d lost %d, want 6 3 3 1 1 1",
			res.Offered, res.Rejected, res.Admitted, res.Committed, res.Failed, res.Lost)
	}
	if res.Reasons["mempool is full: N"] != 1 || res.Reasons["connection refused"] != 2 {
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
