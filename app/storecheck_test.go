package app

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	dbm "github.com/cometbft/cometbft-db"
	cmtcfg "github.com/cometbft/cometbft/config"
	"github.com/cometbft/cometbft/consensus"
	"github.com/cometbft/cometbft/libs/log"
	"github.com/cometbft/cometbft/privval"
	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"
	"github.com/syndtr/goleveldb/leveldb"
	lerrors "github.com/syndtr/goleveldb/leveldb/errors"
)

// writeJournal makes a LevelDB database in dir whose journal holds n
// writes of about 1 KiB each, and returns the journal's path.
func writeJournal(t *testing.T, dir string, n int) string {
	t.Helper()
	db, err := leveldb.OpenFile(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		if err := db.Put([]byte{byte(i >> 8), byte(i)}, bytes.Repeat([]byte{byte(i)}, 1000), nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	logs, _ := filepath.Glob(filepath.Join(dir, "*.log"))
	if len(logs) != 1 {
		t.Fatalf("journals %v, want one", logs)
	}
	return logs[0]
}

func TestScanJournalTellsATornTailFromALossInTheMiddle(t *testing.T) {
	dir := t.TempDir()
	path := writeJournal(t, dir, 100) // about 100 KiB: four 32 KiB blocks
	clean, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if rep, err := scanJournal(path); err != nil || rep.dropped != 0 {
		t.Fatalf("intact journal: %+v, %v", rep, err)
	}

	// Cut short: the tail is lost, nothing follows it.
	if err := os.WriteFile(path, clean[:len(clean)/2+7], 0o644); err != nil {
		t.Fatal(err)
	}
	rep, err := scanJournal(path)
	if err != nil || rep.dropped == 0 || rep.recordsAfter != 0 {
		t.Fatalf("journal cut short: %+v, %v; want a dropped tail and no record after it", rep, err)
	}

	// Garbled in the first block: goleveldb would skip the rest of that
	// block and apply the later writes.
	garbled := bytes.Clone(clean)
	copy(garbled[1000:], bytes.Repeat([]byte{0xAA}, 16))
	if err := os.WriteFile(path, garbled, 0o644); err != nil {
		t.Fatal(err)
	}
	rep, err = scanJournal(path)
	if err != nil || rep.recordsAfter == 0 {
		t.Fatalf("journal garbled in its first block: %+v, %v; want later records found", rep, err)
	}

	// checkLevelJournals refuses it with one line naming the store.
	c := cmtcfg.DefaultConfig()
	c.SetRoot(t.TempDir())
	state := filepath.Join(c.DBDir(), "state.db")
	if err := os.MkdirAll(state, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(state, "000002.log"), garbled, 0o644); err != nil {
		t.Fatal(err)
	}
	err = checkLevelJournals(c, c.RootDir, log.NewNopLogger())
	var damaged *StoreDamagedError
	if !errors.As(err, &damaged) || damaged.Store != "state store" || !strings.Contains(err.Error(), "tallyd reset --home") {
		t.Fatalf("checkLevelJournals: %v", err)
	}
}

func TestConsensusWALTailDropped(t *testing.T) {
	c := cmtcfg.DefaultConfig()
	c.SetRoot(t.TempDir())
	path := c.Consensus.WalFile()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	enc := consensus.NewWALEncoder(&buf)
	var sizes []int
	for h := int64(1); h <= 5; h++ {
		if err := enc.Encode(&consensus.TimedWALMessage{Time: time.Unix(h, 0).UTC(), Msg: consensus.EndHeightMessage{Height: h}}); err != nil {
			t.Fatal(err)
		}
		sizes = append(sizes, buf.Len())
	}
	whole := buf.Bytes()
	for _, tc := range []struct {
		name string
		data []byte
		keep int
	}{
		{"intact", whole, len(whole)},
		{"cut mid-record", whole[:len(whole)-3], sizes[3]},
		{"garbled in the middle", append(append(bytes.Clone(whole[:sizes[1]+2]), 0xAA, 0xAA), whole[sizes[1]+4:]...), sizes[1]},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := os.WriteFile(path, tc.data, 0o600); err != nil {
				t.Fatal(err)
			}
			if err := checkConsensusWAL(c, log.NewNopLogger()); err != nil {
				t.Fatal(err)
			}
			got, _ := os.ReadFile(path)
			if !bytes.Equal(got, whole[:tc.keep]) {
				t.Fatalf("WAL holds %d bytes after the check, want the first %d", len(got), tc.keep)
			}
			aside, _ := filepath.Glob(path + ".damaged-*")
			if (len(aside) > 0) != (tc.keep != len(tc.data)) {
				t.Fatalf("original kept aside: %v", aside)
			}
			for _, a := range aside {
				os.Remove(a)
			}
		})
	}
}

func TestSignStateCheckedAgainstItsSignBytes(t *testing.T) {
	dir := t.TempDir()
	pv := privval.GenFilePV(filepath.Join(dir, "key.json"), filepath.Join(dir, "state.json"))
	vote := &cmtproto.Vote{Type: cmtproto.PrecommitType, Height: 31, Round: 2}
	if err := pv.SignVote("tally-test", vote); err != nil {
		t.Fatal(err)
	}
	st := pv.LastSignState
	if err := checkSignState(&st); err != nil {
		t.Fatalf("sign state as written: %v", err)
	}
	for _, bad := range []func(s *privval.FilePVLastSignState){
		func(s *privval.FilePVLastSignState) { s.Height = 11 },
		func(s *privval.FilePVLastSignState) { s.Round = 0 },
		func(s *privval.FilePVLastSignState) { s.Step = 2 },
		func(s *privval.FilePVLastSignState) { s.SignBytes = s.SignBytes[:len(s.SignBytes)-1] },
	} {
		s := pv.LastSignState
		s.SignBytes = bytes.Clone(s.SignBytes)
		bad(&s)
		if err := checkSignState(&s); err == nil {
			t.Errorf("damaged sign state %+v accepted", s)
		}
	}
	if err := checkSignState(&privval.FilePVLastSignState{}); err != nil {
		t.Errorf("fresh sign state: %v", err)
	}
	if err := checkSignState(&privval.FilePVLastSignState{Height: 40}); err != nil {
		t.Errorf("sign state written past the network's height: %v", err)
	}
}

// A read of one of CometBFT's databases that finds a damaged table block
// reaches the gate as the one line naming the store and the way out.
func TestFaultDBHandsDamagedReadsToTheGate(t *testing.T) {
	g, out, calls := recordingGate()
	s, _ := levelStoreByID("blockstore")
	db := faultDB{DB: corruptDB{dbm.NewMemDB()}, gate: g,
		damaged: func(cause string) *StoreDamagedError { return s.damaged("/h/data", "/h", cause) }}
	if _, err := db.Get([]byte("k")); err == nil {
		t.Fatal("Get of a damaged block: no error")
	}
	want := "block store /h/data/blockstore.db is damaged (leveldb/table: corruption on data-block (pos=0): checksum mismatch): blocks would be missing or wrong; delete the node's chain data with `tallyd reset --home /h`"
	if calls.Load() != 1 || !strings.HasPrefix(out.String(), want) {
		t.Fatalf("handler called %d times with %q", calls.Load(), out.String())
	}
}

type corruptDB struct{ dbm.DB }

func (corruptDB) Get([]byte) ([]byte, error) {
	return nil, &lerrors.ErrCorrupted{Err: errors.New("leveldb/table: corruption on data-block (pos=0): checksum mismatch")}
}
