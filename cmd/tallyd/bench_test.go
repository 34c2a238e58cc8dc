package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/tallyledger/tally/localnet"
)

// TestLocalnetBenchBaseline runs the bench with the kvstore baseline on
// two-validator networks of real processes, at a low rate, and checks the
// JSON document: one run per app, every admitted transaction committed,
// a ratio, and the plot written.
func TestLocalnetBenchBaseline(t *testing.T) {
	dir := t.TempDir()
	plot := filepath.Join(dir, "bench.png")
	r := runProcess(t, "localnet", "bench", "--dir", filepath.Join(dir, "nets"), "--validators", "2", "--users", "4",
		"--base-port", strconv.Itoa(freeBase(t)), "--rates", "40", "--duration", "3s",
		"--baseline", "kvstore", "--output", "json", "--plot", plot).wantOK(t)
	var doc struct {
		Runs []struct {
			App          string  `json:"app"`
			Rate         int     `json:"rate"`
			OfferedTPS   float64 `json:"offered_tps"`
			CommittedTPS float64 `json:"committed_tps"`
			P50          *int64  `json:"p50_ms"`
			P95          *int64  `json:"p95_ms"`
			P99          *int64  `json:"p99_ms"`
			Rejected     *int    `json:"rejected"`
			Lost         *int    `json:"lost"`
		} `json:"runs"`
		Ratio *float64 `json:"ratio"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
		t.Fatalf("output is not the JSON document: %v\n%s", err, r.stdout)
	}
	if len(doc.Runs) != 2 || doc.Runs[0].App != "tally" || doc.Runs[1].App != "kvstore" {
		t.Fatalf("runs %+v, want tally then kvstore", doc.Runs)
	}
	for _, run := range doc.Runs {
		if run.Rate != 40 || run.OfferedTPS <= 0 || run.CommittedTPS <= 0 || run.P50 == nil || run.P95 == nil || run.P99 == nil || run.Rejected == nil || run.Lost == nil {
			t.Fatalf("incomplete run %+v", run)
		}
		if *run.Lost != 0 || *run.Rejected != 0 {
			t.Errorf("%s: rejected %d, lost %d at 40 tx/s, want 0", run.App, *run.Rejected, *run.Lost)
		}
		if *run.P50 <= 0 || *run.P50 > *run.P95 || *run.P95 > *run.P99 {
			t.Errorf("%s: latencies p50 %d p95 %d p99 %d not ordered", run.App, *run.P50, *run.P95, *run.P99)
		}
	}
	// The built binary's library, which need not be this test's.
	if want := "signatures verified with "; !strings.Contains(r.stderr, want) {
		t.Errorf("progress does not say %q:\n%s", want, r.stderr)
	}
	if doc.Ratio == nil || *doc.Ratio <= 0 {
		t.Errorf("ratio %v, want a positive ratio", doc.Ratio)
	}
	if st, err := os.Stat(plot); err != nil || st.Size() == 0 {
		t.Errorf("plot not written: %v", err)
	}
}

func TestLocalnetBenchBadFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--rates", "0"}, "--rates has 0"},
		{[]string{"--duration", "0s"}, "--duration 0s"},
		{[]string{"--baseline", "simapp"}, `--baseline "simapp"`},
		{[]string{"--repeat", "0"}, "--repeat 0"},
		{[]string{"--output", "yaml"}, `--output "yaml"`},
	} {
		args := append([]string{"localnet", "bench"}, tc.args...)
		runInProcess(t, args...).wantError(t, 2, tc.want)
	}
}

// An app whose highest offered rate was committed nearly in full was not
// driven to its peak; one that fell short of it, or did better at a
// lower rate, was.
func TestBenchUnsaturated(t *testing.T) {
	run := func(app string, rate int, offered, committed float64) *localnet.BenchResult {
		return &localnet.BenchResult{App: app, Rate: rate, Offered: int(offered) * 12, OfferedTPS: offered, CommittedTPS: committed}
	}
	withRetries := func(r *localnet.BenchResult, offered, retried int) *localnet.BenchResult {
		r.Offered, r.Retried = offered, retried
		return r
	}
	for _, c := range []struct {
		name string
		runs []*localnet.BenchResult
		want []string
	}{
		{"both below their peaks", []*localnet.BenchResult{
			run("tally", 1000, 990, 980), run("tally", 2000, 1990, 1950),
			run("kvstore", 1000, 990, 985), run("kvstore", 2000, 1990, 1960),
		}, []string{"tally@2000", "kvstore@2000"}},
		{"both saturated", []*localnet.BenchResult{
			run("tally", 2500, 2480, 2456), run("tally", 6000, 5500, 2513),
			run("kvstore", 3000, 2987, 2854), run("kvstore", 7000, 6900, 5860),
		}, nil},
		{"best below the top rate", []*localnet.BenchResult{
			run("tally", 2000, 1990, 1950), run("tally", 2100, 1900, 1800),
		}, nil},
		{"refused for a full mempool at the top rate", []*localnet.BenchResult{
			run("kvstore", 4500, 4480, 4397), withRetries(run("kvstore", 7000, 6987, 6600), 84000, 12956),
		}, nil},
		{"repeat runs of one rate", []*localnet.BenchResult{
			run("kvstore", 7000, 6960, 4000), run("kvstore", 7000, 6960, 6800),
		}, []string{"kvstore@7000"}},
	} {
		var got []string
		for _, u := range unsaturated(c.runs) {
			got = append(got, fmt.Sprintf("%s@%d", u.App, u.Rate))
		}
		if fmt.Sprint(got) != fmt.Sprint(c.want) {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
	var b strings.Builder
	printBenchTable(&b, []*localnet.BenchResult{run("tally", 500, 495, 490), run("kvstore", 500, 495, 493)}, true)
	if want := "kvstore committed 100% of its highest offered rate (500/s): its peak was not reached"; !strings.Contains(b.String(), want) {
		t.Errorf("table does not say %q:\n%s", want, b.String())
	}
}
