package app

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	dbm "github.com/cometbft/cometbft-db"
	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/cometbft/cometbft/libs/log"

	"github.com/tallyledger/tally/ledger"
)

// The places a full or failing disk surfaces, as errors or as the text
// CometBFT flattens them into, each named with its store and cause.
func TestAsDiskFault(t *testing.T) {
	data := "/srv/tally/data"
	cases := []struct {
		name  string
		v     any
		store string
		path  string
		errno syscall.Errno
	}{
		{"LevelDB write, as an error", &fs.PathError{Op: "write", Path: data + "/blockstore.db/000004.log", Err: syscall.ENOSPC},
			"block store", data + "/blockstore.db", syscall.ENOSPC},
		{"wrapped by CometBFT", fmt.Errorf("error writing batch to DB %q: (base 1, height 4): %w", "failed to save block",
			&fs.PathError{Op: "write", Path: data + "/state.db/000012.log", Err: syscall.ENOSPC}), "state store", data + "/state.db", syscall.ENOSPC},
		{"consensus WAL, logged", "write " + data + "/cs.wal/wal: no space left on device", "consensus WAL", data + "/cs.wal", syscall.ENOSPC},
		{"panic value recovered by consensus", "failed to apply block; error commit: write " + data + "/ledger.db/000007.log: input/output error",
			"ledger", data + "/ledger.db", syscall.EIO},
		{"sign state", &fs.PathError{Op: "open", Path: data + "/priv_validator_state.json.tmp123", Err: syscall.EDQUOT},
			"validator sign state", data + "/priv_validator_state.json.tmp123", syscall.EDQUOT},
		{"sign state, through CometBFT's temporary file", "write " + data + "/write-file-atomic-0513693912807840765: no space left on device",
			"validator sign state", data, syscall.ENOSPC},
		{"no path", syscall.EROFS, "node data", "", syscall.EROFS},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f, ok := asDiskFault(c.v)
			if !ok {
				t.Fatalf("%v: not a disk fault", c.v)
			}
			if f.Store != c.store || f.Path != c.path || f.Errno != c.errno {
				t.Fatalf("got store %q path %q errno %v, want %q %q %v", f.Store, f.Path, f.Errno, c.store, c.path, c.errno)
			}
		})
	}
	for _, v := range []any{nil, 42, errors.New("leveldb: closed"), "EOF", fs.ErrNotExist,
		&fs.PathError{Op: "open", Path: data + "/x", Err: syscall.EACCES}} {
		if f, ok := asDiskFault(v); ok {
			t.Errorf("%v taken for a disk fault: %v", v, f)
		}
	}
}

func TestDiskFaultMessage(t *testing.T) {
	full := &DiskFault{Store: "block store", Path: "/d/blockstore.db", Errno: syscall.ENOSPC}
	if got, want := full.Error(), "disk full writing block store /d/blockstore.db: no space left on device; free space and start the node again"; got != want {
		t.Errorf("got %q\nwant %q", got, want)
	}
	broken := &DiskFault{Store: "ledger", Path: "/d/ledger.db", Errno: syscall.EIO}
	if got := broken.Error(); !strings.HasPrefix(got, "disk error writing ledger /d/ledger.db: input/output error; check the disk") {
		t.Errorf("got %q", got)
	}
}

// recordingGate is a gate whose handler records the faults instead of
// ending the process.
func recordingGate() (*diskFaultGate, *bytes.Buffer, *atomic.Int32) {
	var out bytes.Buffer
	var calls atomic.Int32
	g := newDiskFaultGate(func(f *DiskFault) { calls.Add(1); fmt.Fprintln(&out, f) }, log.NewNopLogger())
	return g, &out, &calls
}

// CometBFT's consensus recovers its own panic (a block store write that
// failed) and logs it with a stack trace: the logger hands it to the gate
// and passes nothing on; other errors go through.
func TestDiskFaultLoggerTakesCometBFTFailures(t *testing.T) {
	g, out, calls := recordingGate()
	var logged bytes.Buffer
	l := (&diskFaultLogger{Logger: log.NewTMLogger(&logged), gate: g}).With("module", "consensus")
	l.Error("failed writing to WAL", "err", errors.New("peer sent garbage"))
	l.Error("CONSENSUS FAILURE!!!", "err", fmt.Errorf("error writing batch to DB: %w",
		&fs.PathError{Op: "write", Path: "/d/blockstore.db/000004.log", Err: syscall.ENOSPC}), "stack", "goroutine 287 [running]:...")
	l.Error("failed writing to WAL", "err", "write /d/cs.wal/wal: no space left on device")
	if calls.Load() != 1 {
		t.Fatalf("handler called %d times, want once", calls.Load())
	}
	if !strings.Contains(out.String(), "disk full writing block store /d/blockstore.db") {
		t.Errorf("handler got %q", out.String())
	}
	if s := logged.String(); strings.Contains(s, "goroutine") || strings.Contains(s, "CONSENSUS FAILURE") || !strings.Contains(s, "peer sent garbage") {
		t.Errorf("passed on:\n%s", s)
	}
}

// A write to one of CometBFT's databases that fails for lack of space
// reaches the gate before CometBFT sees the error.
func TestFaultDBHandsWriteErrorsToTheGate(t *testing.T) {
	g, out, calls := recordingGate()
	db := faultDB{DB: fullDB{dbm.NewMemDB()}, gate: g}
	b := db.NewBatch()
	must(t, b.Set([]byte("k"), []byte("v")))
	if err := b.WriteSync(); !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("WriteSync: %v", err)
	}
	if err := db.SetSync([]byte("k"), []byte("v")); !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("SetSync: %v", err)
	}
	if calls.Load() != 1 || !strings.Contains(out.String(), "disk full writing tx index /d/tx_index.db") {
		t.Fatalf("handler called %d times with %q", calls.Load(), out.String())
	}
	if _, err := db.Get([]byte("k")); err != nil {
		t.Fatalf("a read that works: %v", err)
	}
}

var errTxIndexFull = &fs.PathError{Op: "write", Path: "/d/tx_index.db/000009.log", Err: syscall.ENOSPC}

// fullDB is a database on a full disk: every write fails.
type fullDB struct{ dbm.DB }

func (fullDB) SetSync([]byte, []byte) error { return errTxIndexFull }
func (d fullDB) NewBatch() dbm.Batch        { return fullBatch{d.DB.NewBatch()} }

type fullBatch struct{ dbm.Batch }

func (fullBatch) WriteSync() error { return errTxIndexFull }

// failingStore is a ledger store whose writes fail once fail is set.
type failingStore struct {
	ledger.Store
	fail error
}

func (s *failingStore) Write(b *ledger.Batch, sync bool) error {
	if s.fail != nil {
		return s.fail
	}
	return s.Store.Write(b, sync)
}

// The ledger's commit batch failing for lack of space goes to the gate
// before Commit returns the error to CometBFT (which would panic).
func TestCommitHandsDiskFaultsToTheGate(t *testing.T) {
	store := &failingStore{Store: ledger.NewMemStore()}
	c := newTestChain(t, store)
	c.block()
	g, out, calls := recordingGate()
	c.app.diskFault = g.check
	store.fail = &fs.PathError{Op: "write", Path: "/d/ledger.db/000003.log", Err: syscall.ENOSPC}
	c.finalize()
	if _, err := c.app.Commit(context.Background(), &abci.RequestCommit{}); err == nil {
		t.Fatal("Commit succeeded on a full disk")
	}
	if calls.Load() != 1 || !strings.Contains(out.String(), "disk full writing ledger /d/ledger.db") {
		t.Fatalf("handler called %d times with %q", calls.Load(), out.String())
	}
}

// A node does not start on a disk with less free space than its margin,
// and says so in one line with the setting.
func TestNodeRefusesToStartOnAFullDisk(t *testing.T) {
	act := newActors(t)
	home := initTestHome(t, act)
	c, ac, err := LoadConfig(home)
	must(t, err)
	ac.MinFreeDiskMiB = 1 << 40 // more than any disk holds
	must(t, WriteConfig(home, c, ac))
	_, err = NewNode(home, NodeOptions{})
	var low *LowDiskError
	if !errors.As(err, &low) {
		t.Fatalf("NewNode: %v, want a LowDiskError", err)
	}
	msg := err.Error()
	for _, want := range []string{"data disk almost full", filepath.Join(home, "data"), "min_free_disk_mib = 1099511627776", AppConfigFile, "free space and start the node again"} {
		if !strings.Contains(msg, want) {
			t.Errorf("%q does not say %q", msg, want)
		}
	}
	if _, err := os.Stat(filepath.Join(home, "data", LedgerDBName)); err == nil {
		t.Errorf("the ledger was opened (and written) before the check")
	}
}

// A running node reports a disk within twice its margin on /health (503)
// and the metric, and stops by itself, cleanly, once under the margin:
// Done is closed and HaltReason says why.
func TestNodeStopsWhenItsDiskIsAlmostFull(t *testing.T) {
	act := newActors(t)
	home := initTestHome(t, act)
	n, err := NewNode(home, NodeOptions{Logger: io.Discard})
	must(t, err)
	t.Cleanup(func() { _ = n.Stop() })
	var free atomic.Int64
	free.Store(1 << 40)
	n.space.min = 64 << 20
	n.space.free = func(string) (int64, error) { return free.Load(), nil }
	must(t, n.Start())
	waitHeight(t, n, 2)

	free.Store(100 << 20) // under twice the margin: a warning
	waitFor(t, "a low-disk warning on /health", 20*time.Second, func() bool {
		return strings.Contains(strings.Join(n.Health().Reasons, ";"), "data disk almost full: 100 MiB free; the node stops below 64 MiB")
	})
	if got := gaugeValue(t, n.metrics, "tally_disk_free_bytes"); got != 100<<20 {
		t.Errorf("tally_disk_free_bytes = %v, want %d", got, 100<<20)
	}

	free.Store(10 << 20) // under the margin: the node stops
	select {
	case <-n.Done():
	case <-time.After(30 * time.Second):
		t.Fatal("the node did not stop under its margin")
	}
	var low *LowDiskError
	if err := n.HaltReason(); !errors.As(err, &low) || low.Free != 10<<20 || low.Min != 64<<20 {
		t.Fatalf("HaltReason: %v", err)
	}
}

func gaugeValue(t *testing.T, m *Metrics, name string) float64 {
	t.Helper()
	families, err := m.Gatherer().Gather()
	must(t, err)
	for _, f := range families {
		if f.GetName() == name && len(f.GetMetric()) == 1 {
			return f.GetMetric()[0].GetGauge().GetValue()
		}
	}
	t.Fatalf("no gauge %s", name)
	return 0
}
