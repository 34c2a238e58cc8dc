package app

import (
	"fmt"
	"io"
	"os"

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
