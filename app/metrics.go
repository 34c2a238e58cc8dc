package app

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/tallyledger/tally/ledger"
)

// MetricsNamespace prefixes every series of the app ("tally_...").
const MetricsNamespace = "tally"

// Metrics are the app's Prometheus series, on a registry of their own (one
// per node, so that several nodes in one process do not collide). The node
// serves them beside CometBFT's own series on CometBFT's Prometheus listen
// address.
//
// The timings here read the wall clock to observe how long work took; they
// are never an input of the state machine.
type Metrics struct {
	registry *prometheus.Registry

	txChecked   *prometheus.CounterVec // code
	txCheckedOK prometheus.Counter     // txChecked{code="ok"}, the common case, without a label lookup
	txExecuted  *prometheus.CounterVec // result, code
	blockExec   prometheus.Histogram
	blockCommit prometheus.Histogram
	treeUpdate  prometheus.Histogram
	blockTxs    prometheus.Histogram
	height      prometheus.Gauge
	misbehavior *prometheus.CounterVec // type, validator
	diskFree    prometheus.Gauge
}

// NewMetrics creates the app's series on a new registry.
func NewMetrics() *Metrics {
	durations := []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}
	m := &Metrics{
		registry: prometheus.NewRegistry(),
		txChecked: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: MetricsNamespace, Name: "txs_checked_total",
			Help: "Transactions checked for the mempool (CheckTx, new and recheck), by result code name (ok = admitted).",
		}, []string{"code"}),
		txExecuted: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: MetricsNamespace, Name: "txs_executed_total",
			Help: "Transactions executed in blocks, by result (accepted or rejected) and code name.",
		}, []string{"result", "code"}),
		blockExec: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: MetricsNamespace, Name: "block_execution_seconds",
			Help: "Time to execute a block (FinalizeBlock: signatures, transactions, tree update).", Buckets: durations,
		}),
		blockCommit: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: MetricsNamespace, Name: "block_commit_seconds",
			Help: "Time to commit a block (one synced LevelDB batch).", Buckets: durations,
		}),
		treeUpdate: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: MetricsNamespace, Name: "tree_update_seconds",
			Help: "Time to apply a block's changes to the state tree and compute the app hash.", Buckets: durations,
		}),
		blockTxs: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: MetricsNamespace, Name: "block_txs",
			Help:    "Transactions per executed block.",
			Buckets: []float64{0, 1, 10, 100, 500, 1000, 2000, 5000, 10000},
		}),
		height: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: MetricsNamespace, Name: "height",
			Help: "Last committed height of the ledger.",
		}),
		misbehavior: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: MetricsNamespace, Name: "misbehavior_total",
			Help: "Evidence of validator misbehaviour (double signing) in executed blocks, by type and validator address.",
		}, []string{"type", "validator"}),
		diskFree: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: MetricsNamespace, Name: "disk_free_bytes",
			Help: "Free space on the fullest file system holding the node's data (databases, consensus WAL, sign state), measured every second; the node stops below min_free_disk_mib.",
		}),
	}
	m.txCheckedOK = m.txChecked.WithLabelValues(ledger.CodeOK.String())
	m.registry.MustRegister(m.txChecked, m.txExecuted, m.blockExec, m.blockCommit, m.treeUpdate, m.blockTxs, m.height, m.misbehavior, m.diskFree)
	return m
}

// Gatherer returns the registry holding the app's series.
func (m *Metrics) Gatherer() prometheus.Gatherer { return m.registry }

// TreeUpdateHook is the ledger.Options.TreeUpdate hook that times tree
// updates.
func (m *Metrics) TreeUpdateHook(int) func() {
	start := time.Now()
	return func() { m.treeUpdate.Observe(time.Since(start).Seconds()) }
}

// WatchLedger adds the series read from the ledger when scraped: state size
// (keys, accounts), open proposals and the signature cache.
func (m *Metrics) WatchLedger(l *ledger.Ledger) {
	m.registry.MustRegister(&ledgerCollector{ledger: l})
	m.height.Set(float64(l.LastHeight()))
}

func (m *Metrics) checked(code ledger.Code) {
	if m == nil {
		return
	}
	if code == ledger.CodeOK {
		m.txCheckedOK.Inc()
		return
	}
	m.txChecked.WithLabelValues(code.String()).Inc()
}

func (m *Metrics) misbehaved(kind, validator string) {
	if m == nil {
		return
	}
	m.misbehavior.WithLabelValues(kind, validator).Inc()
}

// startBlock returns the function that records a block's execution.
func (m *Metrics) startBlock() func(res *ledger.BlockResult) {
	if m == nil {
		return func(*ledger.BlockResult) {}
	}
	start := time.Now()
	return func(res *ledger.BlockResult) {
		m.blockExec.Observe(time.Since(start).Seconds())
		if res == nil {
			return
		}
		m.blockTxs.Observe(float64(len(res.TxResults)))
		for _, r := range res.TxResults {
			result := "accepted"
			if r.Code != ledger.CodeOK {
				result = "rejected"
			}
			m.txExecuted.WithLabelValues(result, r.Code.String()).Inc()
		}
	}
}

// startCommit returns the function that records a commit.
func (m *Metrics) startCommit() func(height int64) {
	if m == nil {
		return func(int64) {}
	}
	start := time.Now()
	return func(height int64) {
		m.blockCommit.Observe(time.Since(start).Seconds())
		m.height.Set(float64(height))
	}
}

// ledgerCollector reads the state-size series from the last committed view
// when scraped. Counting accounts reads every account key, so the count is
// kept per height and recomputed only after a new commit.
type ledgerCollector struct {
	ledger *ledger.Ledger

	mu            sync.Mutex
	countedHeight int64
	accounts      int
	openProps     int
}

var (
	descKeys = prometheus.NewDesc(MetricsNamespace+"_state_keys",
		"Keys in the committed state (leaves of the state tree).", nil, nil)
	descAccounts = prometheus.NewDesc(MetricsNamespace+"_state_accounts",
		"Registered accounts in the committed state.", nil, nil)
	descOpenProposals = prometheus.NewDesc(MetricsNamespace+"_proposals_open",
		"Open governance proposals in the committed state.", nil, nil)
	descSigHits = prometheus.NewDesc(MetricsNamespace+"_sig_cache_hits_total",
		"Signature checks answered by the cache of signatures verified in CheckTx.", nil, nil)
	descSigMisses = prometheus.NewDesc(MetricsNamespace+"_sig_cache_misses_total",
		"Signatures verified (not found in the cache).", nil, nil)
	descSigRatio = prometheus.NewDesc(MetricsNamespace+"_sig_cache_hit_ratio",
		"Share of signature checks answered by the cache since start (0 to 1).", nil, nil)
)

func (c *ledgerCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descKeys, descAccounts, descOpenProposals, descSigHits, descSigMisses, descSigRatio} {
		ch <- d
	}
}

func (c *ledgerCollector) Collect(ch chan<- prometheus.Metric) {
	v := c.ledger.View()
	ch <- prometheus.MustNewConstMetric(descKeys, prometheus.GaugeValue, float64(v.Entries()))
	c.mu.Lock()
	if c.countedHeight != v.Height() || c.countedHeight == 0 {
		if n, err := v.CountAccounts(); err == nil {
			c.accounts = n
		}
		if n, err := v.CountOpenProposals(); err == nil {
			c.openProps = n
		}
		c.countedHeight = v.Height()
	}
	accounts, open := c.accounts, c.openProps
	c.mu.Unlock()
	ch <- prometheus.MustNewConstMetric(descAccounts, prometheus.GaugeValue, float64(accounts))
	ch <- prometheus.MustNewConstMetric(descOpenProposals, prometheus.GaugeValue, float64(open))
	hits, misses := c.ledger.SigCacheStats()
	ch <- prometheus.MustNewConstMetric(descSigHits, prometheus.CounterValue, float64(hits))
	ch <- prometheus.MustNewConstMetric(descSigMisses, prometheus.CounterValue, float64(misses))
	ratio := 0.0
	if hits+misses > 0 {
		ratio = float64(hits) / float64(hits+misses)
	}
	ch <- prometheus.MustNewConstMetric(descSigRatio, prometheus.GaugeValue, ratio)
}

// listenMetrics binds CometBFT's Prometheus listen address when
// instrumentation.prometheus is on.
func (n *Node) listenMetrics() error {
	ic := n.cfg.Instrumentation
	if !ic.IsPrometheusEnabled() {
		return nil
	}
	ln, err := net.Listen("tcp", ic.PrometheusListenAddr)
	if err != nil {
		return fmt.Errorf("prometheus listen address %s: %w", ic.PrometheusListenAddr, err)
	}
	n.promLn = ln
	return nil
}

// serveMetrics serves GET /metrics: CometBFT's series (on Prometheus's
// default registry, where CometBFT registers them, with the Go runtime's)
// and the app's tally_ series.
func (n *Node) serveMetrics() {
	if n.promLn == nil {
		return
	}
	gather := prometheus.Gatherers{prometheus.DefaultGatherer, n.metrics.Gatherer()}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(gather, promhttp.HandlerOpts{MaxRequestsInFlight: n.cfg.Instrumentation.MaxOpenConnections}))
	n.promSrv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	srv, ln := n.promSrv, n.promLn
	go func() {
		if err := srv.Serve(ln); err != nil && err != http.ErrServerClosed {
			n.logger.Error("prometheus server stopped", "err", err)
		}
	}()
	n.logger.Info("prometheus metrics listening", "addr", ln.Addr().String())
}

func (n *Node) closeMetrics() {
	switch {
	case n.promSrv != nil:
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := n.promSrv.Shutdown(ctx); err != nil {
			n.promSrv.Close()
		}
	case n.promLn != nil:
		n.promLn.Close()
	}
}

// MetricsAddr returns the address the Prometheus listener is bound to
// (host:port), or "" when instrumentation is off or the node not started.
func (n *Node) MetricsAddr() string {
	if n.promLn == nil {
		return ""
	}
	return n.promLn.Addr().String()
}
