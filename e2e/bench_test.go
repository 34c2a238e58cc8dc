package e2e

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/tallyledger/tally/localnet"
)

// BenchmarkLocalnetStart measures a fresh four-validator network from
// launching the processes to the first committed block.
//
//	go test ./e2e -run '^$' -bench LocalnetStart -benchtime 3x
func BenchmarkLocalnetStart(b *testing.B) {
	var first, all time.Duration
	for b.Loop() {
		net := startNet(b, localnet.Options{Validators: 4})
		first += net.FirstBlock
		all += net.AllStarted
		if err := net.Stop(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(first.Milliseconds())/float64(b.N), "ms-to-first-block")
	b.ReportMetric(float64(all.Milliseconds())/float64(b.N), "ms-to-all-nodes")
}

// BenchmarkLocalnetTransfers offers transfers at several rates for 20 s
// each to one four-validator network (eight funded senders spread over the
// nodes) and reports committed transfers/s and submit-to-commit latency.
//
//	go test ./e2e -run '^$' -bench LocalnetTransfers -benchtime 1x
func BenchmarkLocalnetTransfers(b *testing.B) {
	net := startNet(b, localnet.Options{Validators: 4, Users: 8})
	for _, rate := range []int{50, 200, 500} {
		b.Run(fmt.Sprintf("offered=%d", rate), func(b *testing.B) {
			for b.Loop() {
				ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
				res, err := localnet.Bench(ctx, net, localnet.BenchOptions{Rate: rate, Duration: 20 * time.Second})
				cancel()
				if err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(res.OfferedTPS, "offered-tx/s")
				b.ReportMetric(res.CommittedTPS, "committed-tx/s")
				b.ReportMetric(float64(res.P50.Milliseconds()), "p50-ms")
				b.ReportMetric(float64(res.Rejected), "rejected")
				b.ReportMetric(float64(res.Lost), "lost")
			}
		})
	}
}
