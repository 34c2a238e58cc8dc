package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/tallyledger/tally/cmd/internal/cliconv"
	"github.com/tallyledger/tally/crypto"
	"github.com/tallyledger/tally/localnet"
)

func newLocalnetBenchCmd(e env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure committed tx/s and submit-to-commit latency of a local network, against CometBFT's own ceiling",
		Long: `Start a fresh local network (in a temporary directory unless --dir is given)
and offer it transfers at each rate of --rates for --duration. Every
transfer is signed before the clock starts (funded senders user1..userN,
each pinned to one node so its nonces arrive in order) and offered open
loop in JSON-RPC batches of broadcast_tx_sync. A transaction the node
refuses for now (mempool full, too many pending for its sender) is sent
again, in its sender's order, until --retry after the load; one refused
for good ends its sender's load. A watcher reads each new block and
matches its transactions to the time they were first offered.

Reported per run: offered, admitted and committed tx/s, submit-to-commit
latency (p50/p95/p99/max), refusals retried and rejections by reason, lost
transactions (admitted by CheckTx, never committed: must be 0) and the
host's CPU use. --profile DIR also takes node0's CPU profile over each
run's load.

--baseline kvstore runs the same network (same ports, consensus and mempool
settings, same load shape, transactions of the same size) with CometBFT's
kvstore example application in place of the ledger, and reports Tally's
best committed tx/s as a percentage of the baseline's: the share of the
consensus engine's ceiling that the ledger reaches on this machine. Only
ratios from one run mean much on a shared machine; --repeat alternates the
two apps (tally, kvstore, tally, kvstore...) to show the spread.`,
		Example: `  tallyd localnet bench --baseline kvstore
  tallyd localnet bench --rates 1000,2000,3000,5000,7000 --duration 20s --baseline kvstore --repeat 2 --plot bench.png
  tallyd localnet bench --baseline kvstore --output json`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			fs := cmd.Flags()
			rates, _ := fs.GetIntSlice("rates")
			duration, _ := fs.GetDuration("duration")
			baseline, _ := fs.GetString("baseline")
			repeat, _ := fs.GetInt("repeat")
			output, _ := fs.GetString("output")
			plotFile, _ := fs.GetString("plot")
			profileDir, _ := fs.GetString("profile")
			opts := benchRunOptions{BenchOptions: localnet.BenchOptions{Duration: duration}}
			opts.Batch, _ = fs.GetInt("batch")
			opts.Lanes, _ = fs.GetInt("lanes")
			opts.Retry, _ = fs.GetDuration("retry")
			opts.Async, _ = fs.GetBool("async")
			for _, r := range rates {
				if r <= 0 {
					return &cliconv.UsageError{Err: fmt.Errorf("--rates has %d, expected positive rates", r)}
				}
			}
			switch {
			case len(rates) == 0:
				return &cliconv.UsageError{Err: fmt.Errorf("--rates is empty, expected rates such as 500,1000")}
			case duration <= 0:
				return &cliconv.UsageError{Err: fmt.Errorf("--duration %s, expected a positive duration", duration)}
			case baseline != "" && baseline != "kvstore":
				return &cliconv.UsageError{Err: fmt.Errorf("--baseline %q, expected kvstore (or nothing)", baseline)}
			case repeat < 1:
				return &cliconv.UsageError{Err: fmt.Errorf("--repeat %d, expected at least 1", repeat)}
			case output != "text" && output != "json":
				return &cliconv.UsageError{Err: fmt.Errorf("--output %q, expected text or json", output)}
			case opts.Retry <= 0:
				return &cliconv.UsageError{Err: fmt.Errorf("--retry %s, expected a positive duration", opts.Retry)}
			case opts.Batch < 1 || opts.Lanes < 1:
				return &cliconv.UsageError{Err: fmt.Errorf("--batch %d and --lanes %d must be at least 1", opts.Batch, opts.Lanes)}
			}
			dir, o, err := networkOptions(cmd)
			if err != nil {
				return err
			}
			if !fs.Changed("timeout-propose") {
				o.TimeoutPropose = benchTimeoutPropose
			}
			if o.Binary, err = e.executable(); err != nil {
				return fmt.Errorf("find the tallyd executable: %w", err)
			}
			o.LogLevel, _ = fs.GetString("log-level")
			o.Pprof = profileDir != ""
			if profileDir != "" {
				if err := os.MkdirAll(profileDir, 0o755); err != nil {
					return fmt.Errorf("--profile: %w", err)
				}
			}
			// An existing network in --dir is reused only for a plain run;
			// otherwise every run gets a fresh network of its own.
			reuse := fs.Changed("dir") && baseline == "" && repeat == 1
			if _, err := localnet.LoadManifest(dir); !reuse || err != nil || fs.Changed("users") {
				// A network made here gets the bench's senders; a reused
				// one keeps its own unless --users asks (Init then says
				// how it differs).
				o.Users, _ = fs.GetInt("users")
			}
			if !reuse {
				o.Reset = true
				if !fs.Changed("dir") {
					tmp, err := os.MkdirTemp("", "tally-bench-")
					if err != nil {
						return err
					}
					defer os.RemoveAll(tmp)
					dir = tmp
				}
			}

			ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			apps := []string{localnet.AppTally}
			if baseline == "kvstore" {
				apps = append(apps, localnet.AppKVStore)
			}
			progress := e.stderr
			var runs []*localnet.BenchResult
			for rep := 1; rep <= repeat; rep++ {
				for _, a := range apps {
					netDir := dir
					ao := o
					ao.App = a
					if !reuse {
						netDir = filepath.Join(dir, fmt.Sprintf("%s-%d", appName(a), rep))
					}
					ro := opts
					if profileDir != "" {
						ro.ProfilePrefix = filepath.Join(profileDir, fmt.Sprintf("%s-%d", appName(a), rep))
					}
					rs, err := benchNetwork(ctx, progress, netDir, ao, rates, ro)
					runs = append(runs, rs...)
					if err != nil {
						return err
					}
				}
			}
			if plotFile != "" {
				if err := localnet.WriteBenchPlot(plotFile, runs); err != nil {
					return err
				}
			}
			if output == "json" {
				printUnsaturated(e.stderr, runs)
				return writeBenchJSON(e.stdout, runs, baseline != "")
			}
			printBenchTable(e.stdout, runs, baseline != "")
			if plotFile != "" {
				fmt.Fprintf(e.stdout, "Plot: %s\n", plotFile)
			}
			return nil
		},
	}
	addNetworkFlags(cmd.Flags(), 200)
	fs := cmd.Flags()
	fs.Lookup("dir").DefValue = "a temporary directory"
	fs.Lookup("timeout-propose").DefValue = benchTimeoutPropose.String()
	fs.Lookup("timeout-propose").Usage = "consensus timeout_propose of the benchmarked networks (both apps)"
	fs.IntSlice("rates", []int{250, 500, 1000, 2000}, "offered transactions per second, one run each")
	fs.Duration("duration", 20*time.Second, "duration of each run's load")
	fs.String("baseline", "", `also run the same network with CometBFT's kvstore example app ("kvstore") and compare`)
	fs.Int("repeat", 1, "run every app this many times, alternating (tally, kvstore, tally, kvstore...)")
	fs.Int("batch", 10, "transactions per JSON-RPC batch")
	fs.Int("lanes", 4, "connections sending to each node, each owning its senders")
	fs.Bool("async", false, "broadcast with broadcast_tx_async: CheckTx's refusals are then neither retried nor seen, and count as lost")
	fs.Duration("retry", 10*time.Second, "how long after the load a transaction refused for now (mempool full, too many pending) is still sent again")
	fs.String("output", "text", "text (a table) or json")
	fs.String("plot", "", "write a PNG of committed tx/s and latency over time to this file")
	fs.String("log-level", "", "node log level; default from each node's config.toml")
	fs.String("profile", "", "write node0's CPU profile over each run's load to DIR/<app>-<repeat>-<rate>.pprof (read with go tool pprof -top)")
	return cmd
}

// benchTimeoutPropose is the bench networks' timeout_propose: CometBFT's
// default, as a production node has it. A localnet's 1 s makes the
// validators vote nil on a proposal of thousands of transactions that a
// loaded machine cannot build and check in time, and every failed round
// makes the next proposal bigger still.
const benchTimeoutPropose = 3 * time.Second

func appName(app string) string {
	if app == localnet.AppKVStore {
		return "kvstore"
	}
	return "tally"
}

// benchNetwork starts the network in dir, runs every rate and stops it.
// benchRunOptions are one network's bench options: the load's, and where
// node0's profiles go ("" for none).
type benchRunOptions struct {
	localnet.BenchOptions
	ProfilePrefix string
}

func benchNetwork(ctx context.Context, w io.Writer, dir string, o localnet.Options, rates []int, opts benchRunOptions) ([]*localnet.BenchResult, error) {
	if err := localnet.Init(dir, o); err != nil {
		return nil, err
	}
	net, err := localnet.Start(ctx, dir, o)
	if err != nil {
		return nil, err
	}
	defer net.Stop()
	verifier := ""
	if net.AppName() == "tally" {
		verifier = fmt.Sprintf(", signatures verified with %s", crypto.VerifierBackend)
	}
	fmt.Fprintf(w, "%s: %d validators in %s, first block after %s%s\n", net.AppName(), net.Len(), dir, net.FirstBlock.Round(time.Millisecond), verifier)
	var runs []*localnet.BenchResult
	for _, rate := range rates {
		ro := opts
		ro.Rate = rate
		ro.Progress = func(p localnet.BenchProgress) {
			if int(p.Elapsed.Seconds())%5 != 0 {
				return
			}
			phase := "load"
			if p.Draining {
				phase = "drain"
			}
			fmt.Fprintf(w, "  %s @%d/s %s %3.0fs: offered %d, retried %d, rejected %d, committed %d, height %d\n",
				net.AppName(), rate, phase, p.Elapsed.Seconds(), p.Offered, p.Retried, p.Rejected, p.Committed, p.Height)
		}
		var prof *os.File
		if opts.ProfilePrefix != "" {
			f, err := os.Create(fmt.Sprintf("%s-%d.pprof", opts.ProfilePrefix, rate))
			if err != nil {
				return runs, fmt.Errorf("--profile: %w", err)
			}
			prof, ro.Profile = f, f
		}
		res, err := localnet.Bench(ctx, net, ro.BenchOptions)
		if prof != nil {
			if cerr := prof.Close(); err == nil && cerr != nil {
				err = fmt.Errorf("--profile: %w", cerr)
			}
		}
		if err != nil {
			return runs, err
		}
		fmt.Fprintf(w, "  %s @%d/s: committed %.0f tx/s, p50 %s, lost %d\n", res.App, rate, res.CommittedTPS, res.P50.Round(time.Millisecond), res.Lost)
		runs = append(runs, res)
	}
	return runs, net.Stop()
}

// benchRun is one run in the JSON document.
type benchRun struct {
	App          string  `json:"app"`
	Rate         int     `json:"rate"`
	OfferedTPS   float64 `json:"offered_tps"`
	CommittedTPS float64 `json:"committed_tps"`
	P50          int64   `json:"p50_ms"`
	P95          int64   `json:"p95_ms"`
	P99          int64   `json:"p99_ms"`
	Retried      int     `json:"retried"`
	Rejected     int     `json:"rejected"`
	Lost         int     `json:"lost"`
}

// benchRatio is Tally's best committed tx/s over the baseline's (0 when
// either is missing).
func benchRatio(runs []*localnet.BenchResult) float64 {
	best := bestByApp(runs)
	if best["kvstore"] == 0 {
		return 0
	}
	return best["tally"] / best["kvstore"]
}

// bestByApp is each app's best committed tx/s over its runs.
func bestByApp(runs []*localnet.BenchResult) map[string]float64 {
	best := map[string]float64{}
	for _, r := range runs {
		best[r.App] = max(best[r.App], r.CommittedTPS)
	}
	return best
}

func writeBenchJSON(w io.Writer, runs []*localnet.BenchResult, withBaseline bool) error {
	doc := struct {
		Runs  []benchRun `json:"runs"`
		Ratio *float64   `json:"ratio"`
	}{Runs: []benchRun{}}
	for _, r := range runs {
		doc.Runs = append(doc.Runs, benchRun{
			App: r.App, Rate: r.Rate, OfferedTPS: round1(r.OfferedTPS), CommittedTPS: round1(r.CommittedTPS),
			P50: r.P50.Milliseconds(), P95: r.P95.Milliseconds(), P99: r.P99.Milliseconds(),
			Retried: r.Retried, Rejected: r.Rejected, Lost: r.Lost,
		})
	}
	if withBaseline {
		ratio := float64(int(benchRatio(runs)*1000+0.5)) / 1000
		doc.Ratio = &ratio
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(doc)
}

func round1(f float64) float64 { return float64(int64(f*10+0.5)) / 10 }

func printBenchTable(w io.Writer, runs []*localnet.BenchResult, withBaseline bool) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "app\trate (offered tx/s)\toffered\tadmitted\tcommitted tx/s\tp50 ms\tp95 ms\tp99 ms\tmax ms\tretried\trejected\tlost\tblocks\tmax txs/block\thost CPU\t")
	for _, r := range runs {
		cpu := "?"
		if r.HostCPU >= 0 {
			cpu = fmt.Sprintf("%.0f%%", 100*r.HostCPU)
		}
		fmt.Fprintf(tw, "%s\t%d (%.0f)\t%d\t%d\t%.0f\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%s\t\n",
			r.App, r.Rate, r.OfferedTPS, r.Offered, r.Admitted, r.CommittedTPS,
			r.P50.Milliseconds(), r.P95.Milliseconds(), r.P99.Milliseconds(), r.Max.Milliseconds(),
			r.Retried, r.Rejected, r.Lost, r.Blocks, r.MaxBlockTxs, cpu)
	}
	tw.Flush()
	if len(runs) > 0 {
		fmt.Fprintf(w, "Transactions of %d bytes.\n", runs[0].TxBytes)
	}
	for _, r := range runs {
		for _, reason := range sortedReasons(r.RetryReasons) {
			fmt.Fprintf(w, "retried (%s @%d/s): %d x %s\n", r.App, r.Rate, r.RetryReasons[reason], reason)
		}
		for _, reason := range r.SortedReasons() {
			fmt.Fprintf(w, "rejected (%s @%d/s): %d x %s\n", r.App, r.Rate, r.Reasons[reason], reason)
		}
	}
	if withBaseline {
		fmt.Fprintf(w, "Tally's best committed tx/s is %.1f%% of the kvstore baseline's on this network.\n", 100*benchRatio(runs))
	}
	printUnsaturated(w, runs)
}

// printUnsaturated says of each app not driven to its peak that its best
// rate is not its ceiling.
func printUnsaturated(w io.Writer, runs []*localnet.BenchResult) {
	for _, u := range unsaturated(runs) {
		fmt.Fprintf(w, "%s committed %.0f%% of its highest offered rate (%d/s): its peak was not reached, add higher --rates for its ceiling.\n", u.App, 100*u.CommittedTPS/u.OfferedTPS, u.Rate)
	}
}

// unsaturated returns, per app, its run at the highest rate offered if
// that run committed nearly all it was offered (90% or more), as much as
// any run of the app, and was hardly ever refused for now (retries under
// 1% of the offer: a full mempool is the app's limit showing): the app
// was not driven to its peak, so its best rate, and a ratio made of it,
// understates what it can do.
func unsaturated(runs []*localnet.BenchResult) []*localnet.BenchResult {
	var apps []string
	top := map[string]*localnet.BenchResult{}
	for _, r := range runs {
		if _, ok := top[r.App]; !ok {
			apps = append(apps, r.App)
		}
		if t := top[r.App]; t == nil || r.Rate > t.Rate || (r.Rate == t.Rate && r.CommittedTPS > t.CommittedTPS) {
			top[r.App] = r
		}
	}
	best := bestByApp(runs)
	var out []*localnet.BenchResult
	for _, app := range apps {
		t := top[app]
		if t.OfferedTPS > 0 && t.CommittedTPS >= 0.9*t.OfferedTPS && t.CommittedTPS >= 0.97*best[app] && t.Retried*100 < t.Offered {
			out = append(out, t)
		}
	}
	return out
}

// sortedReasons lists the reasons of counts, most frequent first.
func sortedReasons(counts map[string]int) []string {
	r := localnet.BenchResult{Reasons: counts}
	return r.SortedReasons()
}
