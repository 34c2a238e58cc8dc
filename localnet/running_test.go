package localnet

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/syndtr/goleveldb/leveldb/storage"
)

// CheckNotRunning sees a node by its locked data directory and by a live
// PID file, and ignores a PID file whose process is gone.
func TestCheckNotRunning(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "net")
	if err := Init(dir, Options{Validators: 2, BasePort: 30400}); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := CheckNotRunning(ctx, dir); err != nil {
		t.Fatalf("fresh network: %v", err)
	}

	// A lock held on node1's ledger database, as a running node holds it.
	db := filepath.Join(dir, "node1", "data", "ledger.db")
	st, err := storage.OpenFile(db, false)
	if err != nil {
		t.Fatal(err)
	}
	var re *RunningError
	if err := CheckNotRunning(ctx, dir); !errors.As(err, &re) || re.Node != "node1" {
		t.Fatalf("locked data directory: err = %v, want a RunningError for node1", err)
	}
	if err := Init(dir, Options{Reset: true}); !errors.As(err, &re) {
		t.Fatalf("reset of a locked network: err = %v", err)
	}
	if _, err := LoadManifest(dir); err != nil {
		t.Fatalf("a refused reset deleted the network: %v", err)
	}
	st.Close()

	// A PID file naming a process that is gone does not count; one naming
	// a live process started on the home does (this test's process is
	// not, so it must not count either).
	home0 := filepath.Join(dir, "node0")
	for _, pid := range []int{1 << 30, os.Getpid()} {
		if err := os.WriteFile(filepath.Join(home0, PIDFileName), []byte(strconv.Itoa(pid)), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := CheckNotRunning(ctx, dir); err != nil {
			t.Fatalf("PID file with %d: %v", pid, err)
		}
	}
}
