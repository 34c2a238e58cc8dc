// Package e2e holds Tally's end-to-end tests: real tallyd binaries run as a
// four-validator localnet (package localnet) on this machine, driven over
// CometBFT's JSON-RPC and the ledger API, with validators killed, paused
// and restarted.
//
// TestMain builds ./cmd/tallyd once into a temporary directory; every test
// starts its own network on a free block of ports and stops it at the end.
// The default suite is bounded for a small machine (a few minutes on two
// cores); TALLY_E2E_LONG=1 adds heavier variants (repeated crashes under
// load, losing a third of the voting power):
//
//	go test ./e2e/
//	TALLY_E2E_LONG=1 go test -v -run Long ./e2e/
//
// Node logs stay in each test's temporary directory while it runs; a
// failing test prints the tail of the failing node's log.
package e2e
