package app

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	cmtcfg "github.com/cometbft/cometbft/config"
	"github.com/cometbft/cometbft/consensus"
	cmtjson "github.com/cometbft/cometbft/libs/json"
	"github.com/cometbft/cometbft/libs/log"
	"github.com/cometbft/cometbft/privval"
	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"
	lerrors "github.com/syndtr/goleveldb/leveldb/errors"
	"github.com/syndtr/goleveldb/leveldb/journal"
	"github.com/syndtr/goleveldb/leveldb/storage"
	"google.golang.org/protobuf/encoding/protowire"
)

// Damaged files in the node's stores are found before anything is opened
// and reported as one line: which store, what is wrong, what would follow
// from starting anyway, and the documented way out (docs/reliability.md,
// "No silent loss"). Only what is provably safe is repaired: a journal
// whose newest writes were cut short (the ledger replays them from the
// block store; CometBFT's own consistency checks see the rest) and the
// tail of the consensus WAL (the validator's sign state, not the WAL,
// guards against signing twice).

// StoreDamagedError reports a damaged store.
type StoreDamagedError struct {
	Store       string // "ledger", "block store", ...
	Path        string
	Cause       string
	Consequence string
	WayOut      string
}

func (e *StoreDamagedError) Error() string {
	return fmt.Sprintf("%s %s is damaged (%s): %s; %s", e.Store, e.Path, e.Cause, e.Consequence, e.WayOut)
}

// levelStore describes one of the node's LevelDB databases.
type levelStore struct {
	name        string // as in messages
	dir         string // base name inside db_dir
	consequence string
}

// wayOutResync is the way out for a damaged chain store.
func wayOutResync(home string) string {
	return fmt.Sprintf("delete the node's chain data with `tallyd reset --home %s` and start it to sync again from its peers, or restore a backup with `tallyd restore --home %s --input FILE --force`", home, home)
}

var levelStores = []levelStore{
	{"ledger", LedgerDBName, "the ledger state or its transaction index would be wrong or incomplete"},
	{"block store", "blockstore.db", "blocks would be missing or wrong"},
	{"state store", "state.db", "CometBFT's state (validator sets, block results) would be wrong or missing"},
	{"evidence store", "evidence.db", "evidence of misbehaviour would be lost"},
	{"tx index", TxIndexDBName, "transaction and history lookups would miss entries"},
}

func (s levelStore) wayOut(home string) string {
	if s.dir == TxIndexDBName {
		return fmt.Sprintf("rebuild it from the block store with `tallyd reindex --home %s`", home)
	}
	return wayOutResync(home)
}

func (s levelStore) damaged(dbDir, home, cause string) *StoreDamagedError {
	return &StoreDamagedError{Store: s.name, Path: filepath.Join(dbDir, s.dir), Cause: cause, Consequence: s.consequence, WayOut: s.wayOut(home)}
}

// levelStoreByID finds the store of a CometBFT database ID ("blockstore",
// "state", "evidence", "tx_index").
func levelStoreByID(id string) (levelStore, bool) {
	for _, s := range levelStores {
		if s.dir == id+".db" {
			return s, true
		}
	}
	return levelStore{}, false
}

// isCorrupted reports whether err is goleveldb finding a damaged file.
func isCorrupted(err error) bool {
	var a *lerrors.ErrCorrupted
	var b *storage.ErrCorrupted
	return errors.As(err, &a) || errors.As(err, &b)
}

// checkLevelJournals reads the journals of every LevelDB store of the node
// as goleveldb will when it opens them. goleveldb skips what it cannot read
// and applies what follows: a damaged stretch in the middle of a journal
// silently loses writes that later ones assume (blocks, block results,
// transaction index entries). That is refused. A damaged tail (the newest
// writes, cut short by a crash or a full disk) is what goleveldb drops too;
// it is logged, and the checks that follow (the ledger against the block
// store, CometBFT's handshake) find a store that lost what another holds.
func checkLevelJournals(c *cmtcfg.Config, home string, logger log.Logger, skip ...string) error {
	dbDir := c.DBDir()
	for _, s := range levelStores {
		if slices.Contains(skip, s.dir) {
			continue
		}
		dir := filepath.Join(dbDir, s.dir)
		logs, err := filepath.Glob(filepath.Join(dir, "*.log"))
		if err != nil {
			return err
		}
		sort.Strings(logs)
		for _, f := range logs {
			rep, err := scanJournal(f)
			if err != nil {
				return s.damaged(dbDir, home, fmt.Sprintf("read journal %s: %v", filepath.Base(f), err))
			}
			if rep.dropped == 0 {
				continue
			}
			if rep.recordsAfter > 0 {
				return s.damaged(dbDir, home, fmt.Sprintf("journal %s: %d bytes unreadable (%s) before %d later writes",
					filepath.Base(f), rep.dropped, rep.reason, rep.recordsAfter))
			}
			logger.Error("store journal ends in unreadable bytes (writes cut short by a crash or a full disk): they are dropped",
				"store", s.name, "journal", f, "bytes", rep.dropped, "cause", rep.reason)
		}
	}
	return nil
}

type journalReport struct {
	dropped      int    // bytes goleveldb would skip
	reason       string // the first reason
	recordsAfter int    // whole records after the first skipped bytes
}

type dropCounter struct{ r *journalReport }

func (d dropCounter) Drop(err error) {
	var c *journal.ErrCorrupted
	if errors.As(err, &c) {
		if d.r.dropped == 0 {
			d.r.reason = c.Reason
		}
		d.r.dropped += max(c.Size, 1)
		return
	}
	if d.r.dropped == 0 {
		d.r.reason = err.Error()
	}
	d.r.dropped++
}

// scanJournal reads a goleveldb journal the way goleveldb's recovery does
// (checksums on, damaged blocks skipped).
func scanJournal(path string) (journalReport, error) {
	var rep journalReport
	f, err := os.Open(path)
	if err != nil {
		return rep, err
	}
	defer f.Close()
	jr := journal.NewReader(f, dropCounter{&rep}, false, true)
	for {
		rec, err := jr.Next()
		if err == io.EOF {
			return rep, nil
		}
		if err != nil {
			return rep, err
		}
		if _, err := io.Copy(io.Discard, rec); err != nil {
			if errors.Is(err, io.ErrUnexpectedEOF) || isCorrupted(err) {
				continue // skipped, and counted by the dropper
			}
			return rep, err
		}
		if rep.dropped > 0 {
			rep.recordsAfter++
		}
	}
}

// openErrDamaged turns goleveldb's refusal to open a damaged database
// (garbled or missing manifest, CURRENT or table file) into a
// StoreDamagedError; other errors are returned as they are.
func openErrDamaged(s levelStore, c *cmtcfg.Config, err error) error {
	if !isCorrupted(err) {
		return err
	}
	var a *lerrors.ErrCorrupted
	var b *storage.ErrCorrupted
	msg := err.Error()
	if errors.As(err, &a) {
		msg = a.Error()
	} else if errors.As(err, &b) {
		msg = b.Error()
	}
	return s.damaged(c.DBDir(), c.RootDir, msg)
}

// checkConsensusWAL drops the damaged tail of the consensus WAL's head
// file (from the first record that does not read back whole), keeping the
// original beside it as wal.damaged-<unix time>. It is what CometBFT's own
// repair does, done here so that it happens at every start (CometBFT
// repairs only when it replays the WAL, after block sync) and is said in
// one line. Safe: the WAL only lets a restarted validator resume the
// current height without waiting for its peers to resend their votes; what
// keeps it from signing twice is its sign state, which is checked apart.
// The caller must hold the data directory's lock (a running node's WAL
// has a tail being written).
func checkConsensusWAL(c *cmtcfg.Config, logger log.Logger) error {
	path := c.Consensus.WalFile()
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("consensus WAL %s: %w", path, err)
	}
	cr := &fullReader{r: bufio.NewReaderSize(f, 1<<20)}
	dec := consensus.NewWALDecoder(cr)
	var good int64
	var cause error
	for {
		_, err := dec.Decode()
		if errors.Is(err, io.EOF) && cr.n == good {
			break
		}
		if err != nil {
			if !consensus.IsDataCorruptionError(err) && !errors.Is(err, io.ErrUnexpectedEOF) {
				f.Close()
				return fmt.Errorf("consensus WAL %s: %w", path, err)
			}
			cause = err
			break
		}
		good = cr.n
	}
	f.Close()
	if cause == nil {
		return nil
	}
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	aside := fmt.Sprintf("%s.damaged-%d", path, time.Now().Unix())
	for n := 1; fileExists(aside); n++ {
		aside = fmt.Sprintf("%s.damaged-%d-%d", path, time.Now().Unix(), n)
	}
	if err := copyFile(path, aside); err != nil {
		return fmt.Errorf("consensus WAL %s is damaged (%v) and could not be kept aside for repair: %w", path, cause, err)
	}
	if err := truncateSync(path, good); err != nil {
		return fmt.Errorf("consensus WAL %s is damaged (%v) and could not be repaired: %w", path, cause, err)
	}
	logger.Error("consensus WAL repaired: its damaged tail was dropped (the votes in it are asked from peers again; the sign state still guards against signing twice)",
		"wal", path, "kept_from", good, "dropped_bytes", fi.Size()-good, "cause", cause.Error(), "original", aside)
	return nil
}

// fullReader reads whole buffers (the WAL decoder treats a short read as
// corruption) and counts the bytes consumed.
type fullReader struct {
	r io.Reader
	n int64
}

func (r *fullReader) Read(p []byte) (int, error) {
	n, err := io.ReadFull(r.r, p)
	r.n += int64(n)
	return n, err
}

// copyFile copies src to a new file dst (it must not exist), synced.
func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

func truncateSync(path string, size int64) error {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	if err := f.Truncate(size); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// signStateDamaged reports a damaged validator sign state. It is never
// reset or taken from a backup silently: it holds the last height, round
// and step the validator signed, and an older one lets it sign twice.
func signStateDamaged(path, cause string) error {
	return &StoreDamagedError{Store: "validator sign state", Path: path, Cause: cause,
		Consequence: "it records the last height, round and step this validator signed, and a guess could make it sign twice, so it is not reset",
		WayOut:      `write {"height": "<latest block height of a healthy node, read after this node stopped, plus 2>", "round": 0, "step": 0} to it, as docs/reliability.md ("No silent loss") describes`}
}

// parseSignState reads a sign state file's bytes, checking them.
func parseSignState(path string, b []byte) (*privval.FilePVLastSignState, error) {
	var st privval.FilePVLastSignState
	if err := cmtjson.Unmarshal(b, &st); err != nil {
		return nil, signStateDamaged(path, err.Error())
	}
	if err := checkSignState(&st); err != nil {
		return nil, signStateDamaged(path, err.Error())
	}
	return &st, nil
}

// checkSignStateFile checks the sign state at path, if there is one.
func checkSignStateFile(path string) error {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("validator sign state: %w", err)
	}
	_, err = parseSignState(path, b)
	return err
}

// nodeKeyDamaged turns a node key that does not load into one line.
func nodeKeyDamaged(c *cmtcfg.Config, err error) error {
	path := c.NodeKeyFile()
	if _, serr := os.Stat(path); serr != nil {
		return fmt.Errorf("node key %s: %w (tallyd init creates it)", path, err)
	}
	return &StoreDamagedError{Store: "node key", Path: path, Cause: err.Error(),
		Consequence: "a new key would give the node another ID, which its peers do not allow",
		WayOut:      "restore the file from a backup (config/node_key.json in a `tallyd backup` archive)"}
}

// genesisDamaged turns a genesis file that does not load, on a node that
// has chain data, into one line; a new node's genesis errors are kept.
func genesisDamaged(c *cmtcfg.Config, err error) error {
	path := c.GenesisFile()
	if _, serr := os.Stat(path); serr != nil {
		return err
	}
	if _, serr := os.Stat(filepath.Join(c.DBDir(), "state.db")); serr != nil {
		return err
	}
	cause := strings.TrimPrefix(err.Error(), "genesis file "+path+" ")
	return &StoreDamagedError{Store: "genesis file", Path: path, Cause: cause,
		Consequence: "the node cannot check its chain data against it",
		WayOut:      "copy config/genesis.json from another node of the network or from a backup (the node refuses one that differs from the genesis its data started from)"}
}

// checkSignState checks a sign state against the message it last signed:
// its sign bytes (a length-prefixed canonical vote or proposal) carry the
// height and round again, so a garbled height that still reads as a
// number is caught.
func checkSignState(st *privval.FilePVLastSignState) error {
	if st.Height < 0 || st.Round < 0 || st.Step < 0 || st.Step > 3 {
		return fmt.Errorf("height %d, round %d, step %d out of range", st.Height, st.Round, st.Step)
	}
	if len(st.SignBytes) == 0 {
		return nil // nothing signed yet, or written by hand past the network's height
	}
	n, l := protowire.ConsumeVarint(st.SignBytes)
	if l < 0 || uint64(len(st.SignBytes)-l) != n {
		return errors.New("its signed bytes are not one length-prefixed message")
	}
	var typ, height, round int64
	b := st.SignBytes[l:]
	for len(b) > 0 {
		num, wt, m := protowire.ConsumeTag(b)
		if m < 0 {
			return errors.New("its signed bytes do not decode")
		}
		b = b[m:]
		switch {
		case num == 1 && wt == protowire.VarintType:
			v, m := protowire.ConsumeVarint(b)
			if m < 0 {
				return errors.New("its signed bytes do not decode")
			}
			typ, b = int64(v), b[m:]
		case (num == 2 || num == 3) && wt == protowire.Fixed64Type:
			v, m := protowire.ConsumeFixed64(b)
			if m < 0 {
				return errors.New("its signed bytes do not decode")
			}
			if num == 2 {
				height = int64(v)
			} else {
				round = int64(v)
			}
			b = b[m:]
		default:
			m := protowire.ConsumeFieldValue(num, wt, b)
			if m < 0 {
				return errors.New("its signed bytes do not decode")
			}
			b = b[m:]
		}
	}
	step := map[int64]int8{int64(cmtproto.ProposalType): 1, int64(cmtproto.PrevoteType): 2, int64(cmtproto.PrecommitType): 3}[typ]
	if height != st.Height || round != int64(st.Round) || step != st.Step {
		return fmt.Errorf("it records height %d, round %d, step %d but the message it last signed is at height %d, round %d, step %d",
			st.Height, st.Round, st.Step, height, round, step)
	}
	return nil
}

func fileExists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}
