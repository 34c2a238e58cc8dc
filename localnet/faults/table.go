package faults

import (
	"fmt"
	"io"
	"time"
)

// Row is one line of the reliability table: a scenario on one kind of
// localnet with the invariants checked after it.
type Row struct {
	Localnet string // "processes" or "docker"
	Result
	Acked, Lost, Missing int
}

// WriteTable writes rows as a Markdown table.
func WriteTable(w io.Writer, rows []Row) {
	fmt.Fprintln(w, "| localnet | scenario | fault injected | blocks during fault (progressing / stalled side) | txs acknowledged | lost | silently missing | recovery | target | met |")
	fmt.Fprintln(w, "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
	for _, r := range rows {
		met := "yes"
		if r.Recovery > r.Target {
			met = "no"
		}
		fmt.Fprintf(w, "| %s | %s | %s | %d / %d | %d | %d | %d | %s | <= %s | %s |\n",
			r.Localnet, r.Scenario, r.Fault, r.Progress, r.Stalled, r.Acked, r.Lost, r.Missing,
			r.Recovery.Round(10*time.Millisecond), r.Target, met)
	}
}
