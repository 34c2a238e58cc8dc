package testutil

import (
	"fmt"
	"strings"
	"sync"
	"testing"
)

// TestSyncBuffer writes from several goroutines while reading: every
// write arrives whole (run with -race to check the locking).
func TestSyncBuffer(t *testing.T) {
	var b SyncBuffer
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 100 {
				fmt.Fprintf(&b, "w%d-%03d\n", w, i)
			}
		}()
	}
	for range 10 {
		_ = b.String() // reads while the writers write
	}
	wg.Wait()
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	if len(lines) != 400 {
		t.Fatalf("%d lines, want 400", len(lines))
	}
	seen := map[string]bool{}
	for _, l := range lines {
		if len(l) != len("w0-000") || seen[l] {
			t.Fatalf("line %q torn or repeated", l)
		}
		seen[l] = true
	}
}

func TestBuildUnknownPackage(t *testing.T) {
	if _, err := Build("github.com/tallyledger/tally/cmd/nope"); err == nil || !strings.Contains(err.Error(), "go build") {
		t.Fatalf("Build of a missing package: %v", err)
	}
}
