package app

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"

	"github.com/cometbft/cometbft/libs/log"

	"github.com/tallyledger/tally/ledger"
)

// DumpInfo describes a state dump written by DumpState.
type DumpInfo struct {
	Height  int64
	AppHash []byte
	Entries int
}

// DumpState writes the ledger state of the stopped node at home as a
// sorted, diffable text dump (ledger.View.WriteDump). height is the height
// asked for, 0 for the latest: the ledger keeps only its latest state, so
// any other height is refused with the way to get it. A running node (its
// data directory locked) is refused.
func DumpState(home string, height int64, w io.Writer) (*DumpInfo, error) {
	c, _, err := LoadConfig(home)
	if err != nil {
		return nil, err
	}
	l, err := openStoppedLedger(home, c.DBDir(), "dumping its state")
	if err != nil {
		return nil, err
	}
	defer l.Close()
	v := l.View()
	if height != 0 && height != v.Height() {
		return nil, fmt.Errorf("the node at %s holds the state at height %d only (the ledger keeps no older states): to dump height %d, restore a backup taken at that height into another home (tallyd restore) and dump that", home, v.Height(), height)
	}
	if err := v.WriteDump(w); err != nil {
		return nil, err
	}
	return &DumpInfo{Height: v.Height(), AppHash: v.AppHash(), Entries: v.Entries()}, nil
}

// DiffDumpFiles reads two dumps written by DumpState and compares them.
func DiffDumpFiles(pathA, pathB string) (*ledger.DumpDiff, error) {
	a, err := readDumpFile(pathA)
	if err != nil {
		return nil, err
	}
	b, err := readDumpFile(pathB)
	if err != nil {
		return nil, err
	}
	return ledger.DiffDumps(a, b), nil
}

func readDumpFile(path string) (*ledger.Dump, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ledger.ReadDump(f, path)
}

// cometAppHashMismatch is the text of CometBFT's error for a block whose
// header's app hash differs from the state this node computed
// (state.validateBlock); the consensus prevote and the block sync reactor
// log it.
const cometAppHashMismatch = "wrong Block.Header.AppHash"

// ledgerViewer is what the divergence logger reads.
type ledgerViewer interface {
	View() *ledger.View
}

// divergenceLogger passes every log on, and when CometBFT logs that a
// block's header disagrees with the app hash this node computed, logs the
// forensics of the divergence once per height: the height, the node's app
// hash and one hash per key prefix of its state, to compare with a healthy
// node's ("tallyd debug dump" prints them at the top).
type divergenceLogger struct {
	log.Logger
	shared *divergenceState
}

type divergenceState struct {
	mu       sync.Mutex
	ledger   ledgerViewer // set once the ledger is open
	reported int64        // the last height reported
}

func newDivergenceLogger(next log.Logger) *divergenceLogger {
	return &divergenceLogger{Logger: next, shared: &divergenceState{reported: -1}}
}

// watch starts the forensics on l.
func (d *divergenceLogger) watch(l ledgerViewer) {
	d.shared.mu.Lock()
	defer d.shared.mu.Unlock()
	d.shared.ledger = l
}

func (d *divergenceLogger) With(keyvals ...any) log.Logger {
	return &divergenceLogger{Logger: d.Logger.With(keyvals...), shared: d.shared}
}

func (d *divergenceLogger) Error(msg string, keyvals ...any) {
	d.Logger.Error(msg, keyvals...)
	for _, kv := range keyvals {
		if s := fmt.Sprint(kv); strings.Contains(s, cometAppHashMismatch) {
			d.reportDivergence(s)
			return
		}
	}
}

// reportDivergence logs the forensics of the node's state, once per
// height. The state hashed is the committed one the header disagrees with.
func (d *divergenceLogger) reportDivergence(cometErr string) {
	d.shared.mu.Lock()
	defer d.shared.mu.Unlock()
	if d.shared.ledger == nil {
		return
	}
	v := d.shared.ledger.View()
	if v.Height() == d.shared.reported {
		return
	}
	d.shared.reported = v.Height()
	groups, err := v.GroupHashes()
	kv := []any{"height", v.Height(), "app_hash", fmt.Sprintf("%X", v.AppHash()), "next_block", v.Height() + 1, "comet_err", cometErr}
	if err != nil {
		kv = append(kv, "err", err)
	}
	for _, g := range groups {
		kv = append(kv, "state "+g.Prefix, fmt.Sprintf("%d keys %X", g.Keys, g.Hash))
	}
	d.Logger.Error("app hash disagrees with the network: this node's state after the height below differs from the one the next block's header commits to; compare these per-prefix state hashes with a healthy node's (tallyd debug dump), then diff the dumps (tallyd debug diff)", kv...)
}
