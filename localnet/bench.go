package localnet

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
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
	// Async broadcasts with broadcast_tx_async instead of
	// broadcast_tx_sync: the node answers before CheckTx runs, so a
	// transaction CheckTx refuses is neither retried nor counted as
	// rejected, and shows as lost.
	Async bool
	// Retry is how long after the load's last scheduled batch a lane
	// still resends the transactions the node refused for now (mempool
	// full, too many pending for the sender, an earlier nonce not in yet,
	// no answer); default 10 s. What is still refused then counts as
	// rejected.
	Retry time.Duration
	// Senders are the wallet keys that send (Tally only); each sends to the
	// next one (the last to the first) through node (index mod N).
	// Default: every userN key, else alice and bob.
	Senders []string
	// Drain bounds the wait, after the load, for admitted transactions to
	// be committed: the wait ends once none has come in a block for Drain
	// (default 30 s or Duration, whichever is longer), or after four
	// times Drain.
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
	Retried   int
	Committed int
	Height    int64
}

// BenchResult is what one load run measured.
type BenchResult struct {
	App      string        // "tally" or "kvstore"
	Rate     int           // offered transactions/s asked for
	Duration time.Duration // load duration asked for
	TxBytes  int           // size of each transaction

	Offered  int            // transactions offered (each counted once, however often it was sent)
	Admitted int            // of which the node accepted (Offered - Rejected)
	Rejected int            // of which the node refused for good (or still refused when the retries ended)
	Reasons  map[string]int // rejections by reason
	// Retried counts the refusals that were retried (a transaction refused
	// for now is sent again, see BenchOptions.Retry), by reason in
	// RetryReasons.
	Retried      int
	RetryReasons map[string]int
	Committed    int // admitted transactions found in blocks with code 0
	Failed       int // found in blocks with a non-zero code (results read after the run)
	Lost         int // admitted (CheckTx accepted them) but never seen in a block by the end of the drain

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
	if opts.Retry <= 0 {
		opts.Retry = 10 * time.Second
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
	res := &BenchResult{App: n.AppName(), Rate: opts.Rate, Duration: opts.Duration, Reasons: map[string]int{}, RetryReasons: map[string]int{}, HostCPU: -1}
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

	tr := newTracker(total, res.Reasons, res.RetryReasons)
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

	// Each lane offers a batch every interval, staggered over one interval.
	method := "broadcast_tx_sync"
	if opts.Async {
		method = "broadcast_tx_async"
	}
	interval := time.Duration(float64(time.Second) * float64(opts.Batch) * float64(len(lanes)) / float64(opts.Rate))
	giveUp := began.Add(opts.Duration + opts.Retry)
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
			first := began.Add(interval * time.Duration(li) / time.Duration(len(lanes)))
			runLane(ctx, l, bc, tr, method, opts.Batch, first, interval, giveUp)
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
	sent := tr.lastOffer().Sub(began) + interval
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}

	// Drain: until every admitted transaction is seen in a block, or no
	// more of them has come in a block for opts.Drain (at most four
	// times that in all): a slow network's late commits are not lost.
	last, lastCommits := time.Now(), -1
	end := last.Add(4 * opts.Drain)
	for !tr.settled() && ctx.Err() == nil {
		now := time.Now()
		if c := tr.progress().Committed; c != lastCommits {
			last, lastCommits = now, c
		}
		if now.Sub(last) >= opts.Drain || !now.Before(end) {
			break
		}
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

// runLane offers l's transactions, batch txs every interval from first,
// and sends them with their retries in order: each interval up to two
// requests of batch transactions (CometBFT's default limit of a JSON-RPC
// batch is 10) from the lane's queue (the transactions offered and not yet
// admitted), so a sender's nonces reach the node in order and a backlog of
// retries can be caught up. A transaction refused for now (outcome.retry)
// stays in the queue and holds back its sender's later ones until the
// next interval, when it goes again; the lane's other senders go on, as
// they would through a gateway serving many accounts (a node with no room
// at all holds the whole lane). One refused for good ends its sender's
// load (its later nonces can no longer be next). At giveUp, what the queue
// still holds is rejected.
func runLane(ctx context.Context, l *lane, bc *batchClient, tr *tracker, method string, batch int, first time.Time, interval time.Duration, giveUp time.Time) {
	q := newLaneQueue()
	next, offered := first, 0
	for ctx.Err() == nil {
		if offered >= len(l.txs) && (len(q.pending()) == 0 || !time.Now().Before(giveUp)) {
			break
		}
		if d := time.Until(next); d > 0 {
			select {
			case <-ctx.Done():
				return
			case <-time.After(d):
			}
		}
		next = next.Add(interval)
		q.release()
		if offered < len(l.txs) {
			fresh := l.txs[offered:min(offered+batch, len(l.txs))]
			offered += len(fresh)
			tr.offer(fresh)
			q.push(fresh)
		}
		// A second request catches up a backlog.
		for range 2 {
			send := q.take(batch, tr)
			if len(send) == 0 {
				break
			}
			outs, err := bc.broadcast(ctx, method, send)
			if err != nil {
				outs = make([]outcome, len(send))
				for i := range outs {
					outs[i] = outcome{reason: err.Error(), retry: true, full: true}
				}
			}
			q.settle(send, outs, tr)
		}
	}
	for _, tx := range q.pending() {
		reason := "not sent when the retries ended (its lane was still resending earlier ones)"
		if last := q.last[tx.hash]; last != "" {
			reason = "not admitted when the retries ended; last refused with: " + last
		}
		tr.reject(tx, reason)
	}
}

// laneQueue is a lane's transactions offered and not yet admitted, in
// order: buf[head:]. Taking from and putting back at the head move head
// and touch only the transactions concerned, so a long backlog (a load
// far above the network's peak) is not copied at every request.
type laneQueue struct {
	buf     []benchTx
	head    int
	refused map[int]bool        // senders with a transaction refused for good
	held    map[int]bool        // senders with a transaction refused for now, this interval
	full    bool                // the node refused for now whatever the sender, this interval
	last    map[[32]byte]string // the last refusal of a transaction retried
}

func newLaneQueue() *laneQueue {
	return &laneQueue{refused: map[int]bool{}, held: map[int]bool{}, last: map[[32]byte]string{}}
}

// pending returns the transactions waiting, in order.
func (q *laneQueue) pending() []benchTx { return q.buf[q.head:] }

// push appends newly offered transactions, first reclaiming the space
// before the head once it is most of the buffer.
func (q *laneQueue) push(txs []benchTx) {
	if q.head > len(q.buf)/2 {
		q.buf = q.buf[:copy(q.buf, q.buf[q.head:])]
		q.head = 0
	}
	q.buf = append(q.buf, txs...)
}

// release lets every sender send again: a new interval begins.
func (q *laneQueue) release() {
	clear(q.held)
	q.full = false
}

// take removes up to max transactions from the queue to send them, in
// order: it passes over (and leaves in place) those of senders held this
// interval, and rejects on the way those of senders refused for good.
func (q *laneQueue) take(max int, tr *tracker) []benchTx {
	if q.full {
		return nil
	}
	var send, keep []benchTx
	i := q.head
	for ; i < len(q.buf) && len(send) < max; i++ {
		tx := q.buf[i]
		switch {
		case tx.sender >= 0 && q.refused[tx.sender]:
			tr.reject(tx, skippedReason)
			delete(q.last, tx.hash)
		case tx.sender >= 0 && q.held[tx.sender]:
			keep = append(keep, tx)
		default:
			send = append(send, tx)
		}
	}
	// The held ones go back just before the rest, in order, into slots
	// already read.
	q.head = i - len(keep)
	copy(q.buf[q.head:i], keep)
	return send
}

// settle records the node's answers to send and puts the transactions
// refused for now back at the head of the queue, in their order (before
// any later one of their senders), holding their senders (or, for a node
// with no room, the lane) until the next interval; it returns how many
// those are.
func (q *laneQueue) settle(send []benchTx, outs []outcome, tr *tracker) int {
	var again []benchTx
	for i, tx := range send {
		o := outcome{reason: "no answer in the batch", retry: true, full: true}
		if i < len(outs) {
			o = outs[i]
		}
		switch {
		case o.reason == "":
			tr.admit(tx)
			delete(q.last, tx.hash)
		case o.retry:
			tr.retried(o.reason)
			q.last[tx.hash] = o.reason
			again = append(again, tx)
			if o.full || tx.sender < 0 {
				q.full = true
			} else {
				q.held[tx.sender] = true
			}
		default:
			tr.reject(tx, o.reason)
			delete(q.last, tx.hash)
			if tx.sender >= 0 {
				q.refused[tx.sender] = true
			}
		}
	}
	if len(again) <= q.head { // the slots they were taken from
		q.head -= len(again)
		copy(q.buf[q.head:], again)
	} else {
		q.buf, q.head = append(again, q.pending()...), 0
	}
	return len(again)
}

// AppName names the application the network runs: "tally" or "kvstore".
func (n *Net) AppName() string {
	if n.opts.App == AppKVStore {
		return "kvstore"
	}
	return "tally"
}

// tracker follows every offered transaction to its admission and its
// block.
type tracker struct {
	began time.Time

	mu       sync.Mutex
	waiting  map[[32]byte]*offeredTx // offered, not yet seen in a block nor rejected
	offered  int
	last     time.Time // of the last offer
	rejected int
	retries  int
	reasons  map[string]int // rejections
	retryBy  map[string]int // refusals retried
	commits  []commitRecord // one per transaction seen in a block
	blocks   int
	maxBlock int
	height   atomic.Int64
}

// offeredTx is an offered transaction waiting for its block.
type offeredTx struct {
	at       time.Time // first offered: latency runs from here
	admitted bool      // the node accepted it
}

func newTracker(total int, reasons, retryReasons map[string]int) *tracker {
	return &tracker{waiting: make(map[[32]byte]*offeredTx, total), reasons: reasons, retryBy: retryReasons}
}

// offer records transactions offered now.
func (t *tracker) offer(batch []benchTx) {
	now := time.Now()
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, tx := range batch {
		t.waiting[tx.hash] = &offeredTx{at: now}
	}
	t.offered += len(batch)
	t.last = now
}

// lastOffer is when the last transactions were offered.
func (t *tracker) lastOffer() time.Time {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.last
}

// admit records that the node accepted tx.
func (t *tracker) admit(tx benchTx) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if w := t.waiting[tx.hash]; w != nil {
		w.admitted = true
	}
}

// retried counts a refusal that will be retried.
func (t *tracker) retried(reason string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.retries++
	t.retryBy[shortReason(reason)]++
}

// reject records that tx is refused for good (unless it is already in a
// block: an answer lost in transport may hide an admission).
func (t *tracker) reject(tx benchTx, reason string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, ok := t.waiting[tx.hash]; !ok {
		return
	}
	delete(t.waiting, tx.hash)
	t.rejected++
	t.reasons[shortReason(reason)]++
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
		w, ok := t.waiting[h]
		if !ok {
			continue
		}
		delete(t.waiting, h)
		t.commits = append(t.commits, commitRecord{height: height, index: i, latency: at.Sub(w.at), since: at.Sub(t.began)})
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

// settled says whether every admitted transaction is in a block.
func (t *tracker) settled() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, w := range t.waiting {
		if w.admitted {
			return false
		}
	}
	return true
}

func (t *tracker) progress() BenchProgress {
	t.mu.Lock()
	defer t.mu.Unlock()
	return BenchProgress{Offered: t.offered, Rejected: t.rejected, Retried: t.retries, Committed: len(t.commits), Height: t.height.Load()}
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
	// Transactions never answered (the run was cut short) are rejected;
	// the admitted ones not in a block are lost.
	for _, w := range t.waiting {
		if w.admitted {
			res.Lost++
		} else {
			t.rejected++
			t.reasons["not answered"]++
		}
	}
	res.Offered, res.Rejected, res.Retried = t.offered, t.rejected, t.retries
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

// bech32Address matches an account address in a rejection's log.
var bech32Address = regexp.MustCompile(`\btally1[02-9ac-hj-np-z]{38}\b`)

// shortReason keeps the first line of a rejection with its numbers (nonces,
// sizes, hashes' digits) replaced by "N", so that reasons group.
func shortReason(s string) string {
	s = bech32Address.ReplaceAllString(firstLine(s), "ADDRESS")
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
