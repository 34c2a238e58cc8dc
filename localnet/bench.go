package localnet

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	rpchttp "github.com/cometbft/cometbft/rpc/client/http"
)

// BenchOptions configure one load run.
type BenchOptions struct {
	// Rate is the offered load in transactions per second over the whole
	// network.
	Rate int
	// Duration of the load: Rate x Duration transactions are signed
	// before the clock starts.
	Duration time.Duration
	// Batch is the number of transactions per JSON-RPC batch request
	// (default 10).
	Batch int
	// Lanes is the number of connections sending to each node (default
	// 4). Each lane owns its senders and sends its batches in order, so a
	// sender's nonces reach its node in order.
	Lanes int
	// Sync broadcasts with broadcast_tx_sync (CheckTx's answer counted as
	// admitted or rejected) instead of broadcast_tx_async.
	Sync bool
	// Senders are the wallet keys that send (Tally only); each sends to the
	// next one (the last to the first) through node (index mod N).
	// Default: every userN key, else alice and bob.
	Senders []string
	// Drain bounds the wait, after the load, for admitted transactions to
	// be committed (default 30 s or Duration, whichever is longer).
	Drain time.Duration
	// Progress, when set, is called about once a second during the run.
	Progress func(BenchProgress)
	// Profile, when set, receives node0's CPU profile (pprof format) taken
	// over the load (the network needs Options.Pprof).
	Profile io.Writer
}

// BenchProgress is a running count, for a progress line.
type BenchProgress struct {
	Elapsed   time.Duration
	Draining  bool // the load is over; waiting for commits
	Offered   int
	Rejected  int
	Committed int
	Height    int64
}

// BenchResult is what one load run measured.
type BenchResult struct {
	App      string        // "tally" or "kvstore"
	Rate     int           // offered transactions/s asked for
	Duration time.Duration // load duration asked for
	TxBytes  int           // size of each transaction

	Offered   int            // transactions sent
	Admitted  int            // of which the node accepted (Offered - Rejected)
	Rejected  int            // of which the node refused
	Reasons   map[string]int // rejections by reason
	Committed int            // admitted transactions found in blocks with code 0
	Failed    int            // found in blocks with a non-zero code (results read after the run)
	Lost      int            // admitted but never seen in a block by the end of the drain

	Blocks      int // blocks committed from the start of the load to the last commit
	MaxBlockTxs int

	OfferedTPS   float64 // Offered / the time the senders took
	CommittedTPS float64 // Committed / (last commit - start of the load)
	// Latency from submitting a transaction to seeing its block committed
	// (block polled every 20 ms), over committed transactions.
	P50, P95, P99, Max time.Duration
	// HostCPU is the host's busy share of all cores (0..1) over the run,
	// -1 where unknown.
	HostCPU float64
	// Timeline has one point per second from the start of the load.
	Timeline []BenchSecond
}

// BenchSecond is one second of a run.
type BenchSecond struct {
	Second    int
	Committed int           // transactions whose commit was seen in this second
	P50, Max  time.Duration // their latencies
}

// benchTx is one pre-signed transaction.
type benchTx struct {
	raw    []byte
	hash   [32]byte
	sender int // index of the sender whose nonce order it follows; -1 for none
}

// skippedReason is the rejection recorded for a transaction not sent
// because an earlier one of its sender was refused: its nonce could no
// longer be the next one.
const skippedReason = "not sent: an earlier transaction of its sender was refused"

// lane is one connection's ordered share of the load.
type lane struct {
	node int
	txs  []benchTx
}

// Bench offers opts.Rate transactions/s for opts.Duration to the running
// network and measures them from submission to commit. Every transaction
// is built (and for Tally signed) before the clock starts; the lanes then
// send batches on a fixed schedule whatever the answers (open loop, except
// that a lane's next batch waits for the HTTP answer to its previous one,
// which keeps its senders' nonces in order), so a slow network shows as
// latency and rejections, not as a slower offer. A watcher reads every new
// block of node0 and matches its transactions to their submit times.
func Bench(ctx context.Context, n *Net, opts BenchOptions) (*BenchResult, error) {
	if opts.Rate <= 0 || opts.Duration <= 0 {
		return nil, fmt.Errorf("bench: rate %d and duration %s must be positive", opts.Rate, opts.Duration)
	}
	if opts.Batch <= 0 {
		opts.Batch = 10
	}
	if opts.Lanes <= 0 {
		opts.Lanes = 4
	}
	if opts.Drain <= 0 {
		opts.Drain = max(30*time.Second, opts.Duration)
	}
	total := int(float64(opts.Rate) * opts.Duration.Seconds())
	if total < 1 {
		return nil, fmt.Errorf("bench: rate %d for %s is no transaction", opts.Rate, opts.Duration)
	}
	// A node reports a height once the block is stored, a moment before
	// its application has committed it: one more block on every node makes
	// the state the senders' nonces are read from settled.
	if h, err := n.Height(ctx, 0); err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	} else if err := n.WaitAll(ctx, h+1); err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	res := &BenchResult{App: n.AppName(), Rate: opts.Rate, Duration: opts.Duration, Reasons: map[string]int{}, HostCPU: -1}
	var lanes []*lane
	var err error
	if n.opts.App == AppKVStore {
		lanes, err = kvstoreLoad(n, total, opts.Lanes)
	} else {
		lanes, err = tallyLoad(ctx, n, total, opts.Lanes, opts.Senders)
	}
	if err != nil {
		return nil, err
	}
	for _, l := range lanes {
		if len(l.txs) > 0 {
			res.TxBytes = len(l.txs[0].raw)
			break
		}
	}
	startHeight, err := n.Height(ctx, 0)
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}

	tr := &tracker{submitted: make(map[[32]byte]time.Time, total), reasons: res.Reasons}
	watchCtx, stopWatch := context.WithCancel(ctx)
	defer stopWatch()
	began := time.Now()
	tr.began = began
	cpu0, cpuErr := readHostCPU()
	watchDone := make(chan struct{})
	go func() {
		defer close(watchDone)
		tr.watch(watchCtx, n, startHeight)
	}()

	// Each lane sends a batch every interval, staggered over one interval.
	method := "broadcast_tx_async"
	if opts.Sync {
		method = "broadcast_tx_sync"
	}
	interval := time.Duration(float64(time.Second) * float64(opts.Batch) * float64(len(lanes)) / float64(opts.Rate))
	profDone := make(chan error, 1)
	if opts.Profile != nil {
		go func() { profDone <- fetchProfile(ctx, n.PprofURL(0), opts.Duration, opts.Profile) }()
	} else {
		profDone <- nil
	}
	var wg sync.WaitGroup
	for li, l := range lanes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			bc := newBatchClient(n.RPCURL(l.node))
			refused := map[int]bool{} // senders with a refused transaction
			next := began.Add(interval * time.Duration(li) / time.Duration(len(lanes)))
			for i := 0; i < len(l.txs) && ctx.Err() == nil; i += opts.Batch {
				if d := time.Until(next); d > 0 {
					select {
					case <-ctx.Done():
						return
					case <-time.After(d):
					}
				}
				next = next.Add(interval)
				batch := make([]benchTx, 0, opts.Batch)
				for _, tx := range l.txs[i:min(i+opts.Batch, len(l.txs))] {
					if tx.sender >= 0 && refused[tx.sender] {
						tr.skip()
						continue
					}
					batch = append(batch, tx)
				}
				if len(batch) == 0 {
					continue
				}
				tr.submit(batch)
				outcomes, err := bc.broadcast(ctx, method, batch)
				for _, k := range tr.answered(batch, outcomes, err) {
					if batch[k].sender >= 0 {
						refused[batch[k].sender] = true
					}
				}
			}
		}()
	}
	progress := func(draining bool) {
		if opts.Progress == nil {
			return
		}
		p := tr.progress()
		p.Elapsed, p.Draining = time.Since(began), draining
		opts.Progress(p)
	}
	sendDone := make(chan struct{})
	go func() { wg.Wait(); close(sendDone) }()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for sending := true; sending; {
		select {
		case <-sendDone:
			sending = false
		case <-tick.C:
			progress(false)
		}
	}
	sent := time.Since(began)
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}

	// Drain: until every admitted transaction is seen in a block, or the
	// limit passes.
	deadline := time.Now().Add(opts.Drain)
	for !tr.settled() && time.Now().Before(deadline) && ctx.Err() == nil {
		select {
		case <-tick.C:
			progress(true)
		case <-time.After(50 * time.Millisecond):
		}
	}
	stopWatch()
	<-watchDone
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	if cpuErr == nil {
		if cpu1, err := readHostCPU(); err == nil {
			res.HostCPU = cpu1.busySince(cpu0)
		}
	}
	if err := <-profDone; err != nil {
		return nil, err
	}
	if err := tr.checkResults(ctx, n); err != nil {
		return nil, err
	}
	tr.fill(res, sent)
	return res, nil
}

// fetchProfile writes the CPU profile of the node serving pprof at base,
// taken over d, to w.
func fetchProfile(ctx context.Context, base string, d time.Duration, w io.Writer) error {
	if base == "" {
		return errors.New("bench: a profile needs a network made with pprof on (Options.Pprof)")
	}
	secs := max(1, int(d.Round(time.Second)/time.Second))
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("%s/debug/pprof/profile?seconds=%d", base, secs), nil)
	if err != nil {
		return err
	}
	resp, err := (&http.Client{Timeout: d + time.Minute}).Do(req)
	if err != nil {
		return fmt.Errorf("bench: profile: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("bench: profile: HTTP %d from %s", resp.StatusCode, base)
	}
	if _, err := io.Copy(w, resp.Body); err != nil {
		return fmt.Errorf("bench: profile: %w", err)
	}
	return nil
}

// AppName names the application the network runs: "tally" or "kvstore".
func (n *Net) AppName() string {
	if n.opts.App == AppKVStore {
		return "kvstore"
	}
	return "tally"
}

// tracker follows every submitted transaction to its block.
type tracker struct {
	began time.Time

	mu        sync.Mutex
	submitted map[[32]byte]time.Time // waiting for their block
	offered   int
	rejected  int
	reasons   map[string]int
	commits   []commitRecord // one per transaction seen in a block
	blocks    int
	maxBlock  int
	height    atomic.Int64
}

func (t *tracker) submit(batch []benchTx) {
	now := time.Now()
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, tx := range batch {
		t.submitted[tx.hash] = now
	}
	t.offered += len(batch)
}

// skip records a transaction not sent (skippedReason).
func (t *tracker) skip() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.offered++
	t.rejected++
	t.reasons[skippedReason]++
}

// answered records the node's answers to a batch: a transport error or a
// per-transaction error (or non-zero CheckTx code) is a rejection. It
// returns the positions of the rejected transactions.
func (t *tracker) answered(batch []benchTx, outcomes []string, err error) (rejected []int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for i, tx := range batch {
		reason := ""
		switch {
		case err != nil:
			reason = err.Error()
		case i < len(outcomes):
			reason = outcomes[i]
		}
		if reason == "" {
			continue
		}
		if _, waiting := t.submitted[tx.hash]; !waiting {
			continue // already committed (cannot be refused any more)
		}
		delete(t.submitted, tx.hash)
		t.rejected++
		t.reasons[shortReason(reason)]++
		rejected = append(rejected, i)
	}
	return rejected
}

// commitRecord is one of the run's transactions found in a block.
type commitRecord struct {
	height  int64
	index   int           // in the block
	latency time.Duration // from submission to the block's commit
	since   time.Duration // the commit, from the start of the load
	failed  bool          // its result code is not 0 (see checkResults)
}

// block records a committed block's transactions, seen committed at at.
func (t *tracker) block(height int64, txs [][]byte, at time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.blocks++
	t.maxBlock = max(t.maxBlock, len(txs))
	for i, raw := range txs {
		h := sha256.Sum256(raw)
		sub, ok := t.submitted[h]
		if !ok {
			continue
		}
		delete(t.submitted, h)
		t.commits = append(t.commits, commitRecord{height: height, index: i, latency: at.Sub(sub), since: at.Sub(t.began)})
	}
}

// checkResults reads, after the run (so that the node's JSON encoding of
// results does not load it during the measurement), the result codes of
// the blocks holding the run's transactions and marks those that failed.
func (t *tracker) checkResults(ctx context.Context, n *Net) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	byHeight := map[int64][]int{}
	for i, r := range t.commits {
		byHeight[r.height] = append(byHeight[r.height], i)
	}
	c := n.Client(0)
	for h, idx := range byHeight {
		qctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		br, err := c.BlockResults(qctx, &h)
		cancel()
		if err != nil {
			return fmt.Errorf("bench: results of block %d: %w", h, err)
		}
		for _, i := range idx {
			if r := &t.commits[i]; r.index < len(br.TxsResults) && br.TxsResults[r.index].Code != 0 {
				r.failed = true
			}
		}
	}
	return nil
}

func (t *tracker) settled() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.submitted) == 0
}

func (t *tracker) progress() BenchProgress {
	t.mu.Lock()
	defer t.mu.Unlock()
	return BenchProgress{Offered: t.offered, Rejected: t.rejected, Committed: len(t.commits), Height: t.height.Load()}
}

// watch reads every block after from that node0 (or, while it does not
// answer, another node) has committed. A block's commit time is when the
// node first reports it; the block is read once the next one is reported,
// when its results are surely saved.
func (t *tracker) watch(ctx context.Context, n *Net, from int64) {
	next := from + 1
	seenAt := map[int64]time.Time{}
	seenTop := from
	node := 0
	for ctx.Err() == nil {
		c := n.Client(node)
		qctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		st, err := c.Status(qctx)
		cancel()
		if err != nil {
			node = (node + 1) % n.Len()
			sleepCtx(ctx, 100*time.Millisecond)
			continue
		}
		latest := st.SyncInfo.LatestBlockHeight
		now := time.Now()
		for ; seenTop < latest; seenTop++ {
			seenAt[seenTop+1] = now
		}
		for ; next < latest && ctx.Err() == nil; next++ {
			if err := t.readBlock(ctx, c, next, seenAt[next]); err != nil {
				break
			}
			delete(seenAt, next)
		}
		t.height.Store(latest)
		sleepCtx(ctx, 20*time.Millisecond)
	}
}

func (t *tracker) readBlock(ctx context.Context, c *rpchttp.HTTP, h int64, seen time.Time) error {
	qctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	b, err := c.Block(qctx, &h)
	if err != nil {
		return err
	}
	txs := make([][]byte, len(b.Block.Txs))
	for i, tx := range b.Block.Txs {
		txs[i] = tx
	}
	t.block(h, txs, seen)
	return nil
}

// fill derives the result from the tracked transactions.
func (t *tracker) fill(res *BenchResult, sent time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	res.Offered, res.Rejected = t.offered, t.rejected
	res.Admitted = t.offered - t.rejected
	var lat []time.Duration
	var last time.Duration
	for _, r := range t.commits {
		if r.failed {
			res.Failed++
			continue
		}
		res.Committed++
		lat = append(lat, r.latency)
		last = max(last, r.since)
	}
	res.Lost = len(t.submitted)
	res.Blocks, res.MaxBlockTxs = t.blocks, t.maxBlock
	if s := sent.Seconds(); s > 0 {
		res.OfferedTPS = float64(t.offered) / s
	}
	if s := last.Seconds(); s > 0 {
		res.CommittedTPS = float64(res.Committed) / s
	}
	slices.Sort(lat)
	res.P50, res.P95, res.P99 = percentile(lat, 50), percentile(lat, 95), percentile(lat, 99)
	if len(lat) > 0 {
		res.Max = lat[len(lat)-1]
	}
	// One point per second.
	secs := map[int][]time.Duration{}
	lastSec := -1
	for _, r := range t.commits {
		if r.failed {
			continue
		}
		sec := int(r.since / time.Second)
		secs[sec] = append(secs[sec], r.latency)
		lastSec = max(lastSec, sec)
	}
	for sec := 0; sec <= lastSec; sec++ {
		l := secs[sec]
		slices.Sort(l)
		p := BenchSecond{Second: sec, Committed: len(l), P50: percentile(l, 50)}
		if len(l) > 0 {
			p.Max = l[len(l)-1]
		}
		res.Timeline = append(res.Timeline, p)
	}
}

// percentile of sorted durations (nearest rank), 0 when empty.
func percentile(sorted []time.Duration, p int) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := (len(sorted)*p + 99) / 100
	return sorted[min(max(i-1, 0), len(sorted)-1)]
}

// shortReason keeps the first line of a rejection with its numbers (nonces,
// sizes, hashes' digits) replaced by "N", so that reasons group.
func shortReason(s string) string {
	s = firstLine(s)
	var b strings.Builder
	inNumber := false
	for _, r := range s {
		if r >= '0' && r <= '9' {
			if !inNumber {
				b.WriteByte('N')
			}
			inNumber = true
			continue
		}
		inNumber = false
		b.WriteRune(r)
	}
	return b.String()
}

func sleepCtx(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

// SortedReasons lists the rejection reasons, most frequent first.
func (r *BenchResult) SortedReasons() []string {
	out := make([]string, 0, len(r.Reasons))
	for k := range r.Reasons {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool {
		if r.Reasons[out[i]] != r.Reasons[out[j]] {
			return r.Reasons[out[i]] > r.Reasons[out[j]]
		}
		return out[i] < out[j]
	})
	return out
}
