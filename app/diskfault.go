package app

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"

	dbm "github.com/cometbft/cometbft-db"
	"github.com/cometbft/cometbft/libs/log"
)

// A disk that fills up (or fails) under a running node shows up as a
// failed write in one of several places: the ledger's commit batch,
// CometBFT's block store, state store, evidence store or tx index (each a
// LevelDB), the consensus WAL, the validator's sign state, a snapshot.
// CometBFT handles most of them by panicking, inside its consensus
// goroutine (which it recovers, logging a stack trace and stopping
// consensus while the process runs on, unable to commit) or in other
// goroutines (which ends the process with a Go panic trace). Neither
// tells the operator what happened or what to do.
//
// The node catches such a failure where it first surfaces (a write to a
// database it handed CometBFT, the ledger's commit, or an error that
// CometBFT logs), before CometBFT acts on it, and ends the process with
// one line naming the store and the way out. Ending the process at that
// point is a crash at a write that did not happen: every store is built
// to survive a crash at any instant (synced LevelDB batches, a WAL that
// CometBFT repairs, atomic file replacement), and the handshake at the
// next start replays what the node had not applied.

// DiskFault is a write (or read) of the node's data that failed because
// the disk is full or broken.
type DiskFault struct {
	// Store names what was being written: "ledger", "block store",
	// "consensus WAL"...
	Store string
	// Path is the store's file or directory ("" when unknown).
	Path string
	// Errno is the cause: ENOSPC, EDQUOT, EIO or EROFS.
	Errno syscall.Errno
	// Err is the error as the store reported it.
	Err error
	// Damaged is set when a read found the store's files damaged (no
	// Errno then).
	Damaged *StoreDamagedError
}

func (f *DiskFault) Error() string {
	if f.Damaged != nil {
		return f.Damaged.Error()
	}
	where := f.Store
	if f.Path != "" {
		where += " " + f.Path
	}
	switch f.Errno {
	case syscall.ENOSPC, syscall.EDQUOT:
		return fmt.Sprintf("disk full writing %s: %s; free space and start the node again", where, f.Errno)
	default:
		return fmt.Sprintf("disk error writing %s: %s; check the disk (the kernel log names the device), then start the node again", where, f.Errno)
	}
}

func (f *DiskFault) Unwrap() error { return f.Err }

// diskErrnos are the errors that mean the disk, not the data, is at fault.
var diskErrnos = []syscall.Errno{syscall.ENOSPC, syscall.EDQUOT, syscall.EIO, syscall.EROFS}

// pathBeforeErrno finds the file an error text names just before the
// errno's text ("write /x/data/blockstore.db/000004.log: no space left
// on device"), for errors that CometBFT or LevelDB flattened into text.
var pathBeforeErrno = regexp.MustCompile(`(/[^\s:"]+): (?:` + func() string {
	var alts []string
	for _, e := range diskErrnos {
		alts = append(alts, regexp.QuoteMeta(e.Error()))
	}
	return strings.Join(alts, "|")
}() + `)`)

// asDiskFault reports whether v (an error, or a value CometBFT
// recovered from a panic or logged) is a disk fault, and which.
func asDiskFault(v any) (*DiskFault, bool) {
	var err error
	switch x := v.(type) {
	case nil:
		return nil, false
	case error:
		err = x
	case string:
		err = errors.New(x)
	case fmt.Stringer:
		err = errors.New(x.String())
	default:
		return nil, false
	}
	var errno syscall.Errno
	found := false
	if errors.As(err, &errno) {
		for _, e := range diskErrnos {
			if errno == e {
				found = true
			}
		}
	}
	text := err.Error()
	if !found {
		for _, e := range diskErrnos {
			if strings.Contains(text, e.Error()) {
				errno, found = e, true
				break
			}
		}
	}
	if !found {
		return nil, false
	}
	path := ""
	var pe *fs.PathError
	if errors.As(err, &pe) {
		path = pe.Path
	} else if m := pathBeforeErrno.FindStringSubmatch(text); m != nil {
		path = m[1]
	}
	store, storePath := storeOf(path)
	return &DiskFault{Store: store, Path: storePath, Errno: errno, Err: err}, true
}

// stores maps a path element of the node's data directory to the store
// it holds.
var stores = []struct{ elem, name string }{
	{LedgerDBName, "ledger"},
	{"blockstore.db", "block store"},
	{"state.db", "state store"},
	{"evidence.db", "evidence store"},
	{"tx_index.db", "tx index"},
	{"cs.wal", "consensus WAL"},
	{"priv_validator_state.json", "validator sign state"},
	{SnapshotsDir, "snapshots"},
}

// cometAtomicTempPrefix starts the name of the temporary file through
// which CometBFT's tempfile.WriteFileAtomic replaces a file.
const cometAtomicTempPrefix = "write-file-atomic-"

// storeOf names the store holding path, and returns the store's own path
// (its directory, rather than one of LevelDB's numbered files).
func storeOf(path string) (name, storePath string) {
	if path == "" {
		return "node data", ""
	}
	elems := strings.Split(filepath.ToSlash(path), "/")
	// CometBFT replaces the sign state (and, in config/, the address book)
	// through a temporary file "write-file-atomic-N" beside it.
	if last := elems[len(elems)-1]; strings.HasPrefix(last, cometAtomicTempPrefix) {
		dir := filepath.Dir(path)
		if filepath.Base(dir) == ConfigDir {
			return "address book", dir
		}
		return "validator sign state", dir
	}
	for i, e := range elems {
		for _, s := range stores {
			if strings.HasPrefix(e, s.elem) {
				return s.name, filepath.FromSlash(strings.Join(elems[:i+1], "/"))
			}
		}
	}
	return "node data", path
}

// diskFaultGate hands the first disk fault to the node's handler, which
// ends the process.
type diskFaultGate struct {
	once   sync.Once
	handle func(*DiskFault)
	logger log.Logger
}

func newDiskFaultGate(handle func(*DiskFault), logger log.Logger) *diskFaultGate {
	if handle == nil {
		handle = ExitOnDiskFault
	}
	return &diskFaultGate{handle: handle, logger: logger}
}

// check hands v to the handler if it is a disk fault (the first one only)
// and reports whether it was one. The handler ends the process; a handler
// that returns (in tests) lets the caller go on with the error.
func (g *diskFaultGate) check(v any) bool {
	f, ok := asDiskFault(v)
	if !ok {
		return false
	}
	g.once.Do(func() {
		g.logger.Error("stopping the node: cannot write its data", "err", f.Error())
		g.handle(f)
	})
	return true
}

// storeDamaged hands a damaged store found by a read to the handler, as
// a disk fault: the node cannot go on serving from it.
func (g *diskFaultGate) storeDamaged(e *StoreDamagedError) {
	g.once.Do(func() {
		g.logger.Error("stopping the node: a store is damaged", "err", e.Error())
		g.handle(&DiskFault{Store: e.Store, Path: e.Path, Err: e, Damaged: e})
	})
}

// ExitOnDiskFault is the default NodeOptions.OnDiskFault: it prints
// "Error: " and the fault on stderr and ends the process with status 1.
func ExitOnDiskFault(f *DiskFault) {
	fmt.Fprintf(os.Stderr, "Error: %s\n", f)
	os.Exit(1)
}

// diskFaultLogger passes CometBFT's logs on, except an error log carrying
// a disk fault (a failed WAL write, a block store panic that CometBFT's
// consensus recovered, with its stack trace), which goes to the gate
// instead.
type diskFaultLogger struct {
	log.Logger
	gate *diskFaultGate
}

func (l *diskFaultLogger) With(keyvals ...any) log.Logger {
	return &diskFaultLogger{Logger: l.Logger.With(keyvals...), gate: l.gate}
}

func (l *diskFaultLogger) Error(msg string, keyvals ...any) {
	for i := 1; i < len(keyvals); i += 2 {
		if l.gate.check(keyvals[i]) {
			return
		}
	}
	l.Logger.Error(msg, keyvals...)
}

// faultDB is a CometBFT database whose failed writes go to the gate
// before CometBFT sees them (it panics on most of them).
type faultDB struct {
	dbm.DB
	gate *diskFaultGate
	// damaged, when set, turns a read that finds the store damaged (a
	// table block failing its checksum) into the one line that names
	// the store and the way out (storecheck.go): the start-up checks do
	// not read every table.
	damaged func(cause string) *StoreDamagedError
}

func (d faultDB) seen(err error) error {
	if err != nil {
		if d.damaged != nil && isCorrupted(err) {
			d.gate.storeDamaged(d.damaged(err.Error()))
			return err
		}
		d.gate.check(err)
	}
	return err
}

func (d faultDB) Get(k []byte) ([]byte, error) {
	v, err := d.DB.Get(k)
	return v, d.seen(err)
}

func (d faultDB) Has(k []byte) (bool, error) {
	ok, err := d.DB.Has(k)
	return ok, d.seen(err)
}

func (d faultDB) Set(k, v []byte) error           { return d.seen(d.DB.Set(k, v)) }
func (d faultDB) SetSync(k, v []byte) error       { return d.seen(d.DB.SetSync(k, v)) }
func (d faultDB) Delete(k []byte) error           { return d.seen(d.DB.Delete(k)) }
func (d faultDB) DeleteSync(k []byte) error       { return d.seen(d.DB.DeleteSync(k)) }
func (d faultDB) Compact(start, end []byte) error { return d.seen(d.DB.Compact(start, end)) }
func (d faultDB) NewBatch() dbm.Batch             { return faultBatch{Batch: d.DB.NewBatch(), gate: d.gate} }

type faultBatch struct {
	dbm.Batch
	gate *diskFaultGate
}

func (b faultBatch) seen(err error) error {
	if err != nil {
		b.gate.check(err)
	}
	return err
}

func (b faultBatch) Write() error     { return b.seen(b.Batch.Write()) }
func (b faultBatch) WriteSync() error { return b.seen(b.Batch.WriteSync()) }
