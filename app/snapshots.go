package app

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"sync"

	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/cometbft/cometbft/libs/log"

	"github.com/tallyledger/tally/ledger"
)

// SnapshotsDir is where a node keeps its state snapshots, inside db_dir:
// one directory per height holding the manifest and the chunk files.
const SnapshotsDir = "snapshots"

const (
	manifestFile = "manifest"
	chunkPattern = "chunk-%06d"
)

// snapshotStore writes state snapshots in the background and serves them
// to state-syncing peers. A snapshot is written to <height>.tmp and renamed
// when complete, so a listed snapshot is always whole.
type snapshotStore struct {
	dir      string
	interval int64
	keep     int
	logger   log.Logger

	mu      sync.Mutex
	running bool
	wg      sync.WaitGroup
}

func newSnapshotStore(dir string, interval int64, keep int, logger log.Logger) *snapshotStore {
	return &snapshotStore{dir: dir, interval: interval, keep: max(keep, 1), logger: logger}
}

// maybeTake starts writing a snapshot of v if its height is due and no
// snapshot is being written; it never blocks.
func (s *snapshotStore) maybeTake(v *ledger.View) {
	if s == nil || s.interval <= 0 || v.Height()%s.interval != 0 {
		return
	}
	s.mu.Lock()
	if s.running {
		s.mu.Unlock()
		s.logger.Info("skipping snapshot: the previous one is still being written", "height", v.Height())
		return
	}
	s.running = true
	s.wg.Add(1)
	s.mu.Unlock()
	go func() {
		defer s.wg.Done()
		defer func() {
			s.mu.Lock()
			s.running = false
			s.mu.Unlock()
		}()
		if err := s.write(v); err != nil {
			s.logger.Error("state snapshot failed", "height", v.Height(), "err", err)
			return
		}
		if err := s.prune(); err != nil {
			s.logger.Error("pruning old snapshots", "err", err)
		}
	}()
}

// wait waits for a snapshot being written (before the ledger closes).
func (s *snapshotStore) wait() {
	if s != nil {
		s.wg.Wait()
	}
}

func (s *snapshotStore) write(v *ledger.View) error {
	final := filepath.Join(s.dir, strconv.FormatInt(v.Height(), 10))
	if _, err := os.Stat(final); err == nil {
		return nil
	}
	tmp := final + ".tmp"
	if err := os.RemoveAll(tmp); err != nil {
		return err
	}
	if err := os.MkdirAll(tmp, 0o700); err != nil {
		return err
	}
	m, err := v.WriteSnapshot(0, func(i int, chunk []byte) error {
		return os.WriteFile(filepath.Join(tmp, fmt.Sprintf(chunkPattern, i)), chunk, 0o600)
	})
	if err == nil {
		err = os.WriteFile(filepath.Join(tmp, manifestFile), m.Encode(), 0o600)
	}
	if err == nil {
		err = os.Rename(tmp, final)
	}
	if err != nil {
		os.RemoveAll(tmp)
		return err
	}
	s.logger.Info("state snapshot written", "height", m.Height, "chunks", len(m.Chunks), "entries", m.Entries, "app_hash", fmt.Sprintf("%X", m.AppHash))
	return nil
}

// heights lists the complete snapshots, newest first.
func (s *snapshotStore) heights() ([]int64, error) {
	entries, err := os.ReadDir(s.dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var hs []int64
	for _, e := range entries {
		if h, err := strconv.ParseInt(e.Name(), 10, 64); err == nil && e.IsDir() && h > 0 {
			hs = append(hs, h)
		}
	}
	sort.Slice(hs, func(i, j int) bool { return hs[i] > hs[j] })
	return hs, nil
}

func (s *snapshotStore) prune() error {
	hs, err := s.heights()
	if err != nil {
		return err
	}
	for i, h := range hs {
		if i >= s.keep {
			if err := os.RemoveAll(filepath.Join(s.dir, strconv.FormatInt(h, 10))); err != nil {
				return err
			}
		}
	}
	return nil
}

func (s *snapshotStore) list() ([]*abci.Snapshot, error) {
	hs, err := s.heights()
	if err != nil {
		return nil, err
	}
	var out []*abci.Snapshot
	for _, h := range hs {
		raw, err := os.ReadFile(filepath.Join(s.dir, strconv.FormatInt(h, 10), manifestFile))
		if err != nil {
			return nil, err
		}
		m, err := ledger.DecodeSnapshotManifest(raw)
		if err != nil {
			return nil, err
		}
		sum := sha256.Sum256(raw)
		out = append(out, &abci.Snapshot{Height: uint64(h), Format: ledger.SnapshotFormat,
			Chunks: uint32(len(m.Chunks)), Hash: sum[:], Metadata: raw})
	}
	return out, nil
}

func (s *snapshotStore) chunk(height uint64, index uint32) ([]byte, error) {
	return os.ReadFile(filepath.Join(s.dir, strconv.FormatUint(height, 10), fmt.Sprintf(chunkPattern, index)))
}

// WithSnapshots makes the app write a state snapshot every interval blocks
// under dir (keeping the keep most recent) and serve them to state-syncing
// peers; interval 0 only serves what dir holds.
func WithSnapshots(dir string, interval int64, keep int) Option {
	return func(a *App) { a.snapshots = newSnapshotStore(dir, interval, keep, a.logger) }
}

// ListSnapshots lists the snapshots this node serves.
func (a *App) ListSnapshots(context.Context, *abci.RequestListSnapshots) (*abci.ResponseListSnapshots, error) {
	if a.snapshots == nil {
		return &abci.ResponseListSnapshots{}, nil
	}
	list, err := a.snapshots.list()
	if err != nil {
		a.logger.Error("listing snapshots", "err", err)
		return &abci.ResponseListSnapshots{}, nil
	}
	return &abci.ResponseListSnapshots{Snapshots: list}, nil
}

// LoadSnapshotChunk serves one chunk of a snapshot.
func (a *App) LoadSnapshotChunk(_ context.Context, req *abci.RequestLoadSnapshotChunk) (*abci.ResponseLoadSnapshotChunk, error) {
	if a.snapshots == nil || req.Format != ledger.SnapshotFormat {
		return &abci.ResponseLoadSnapshotChunk{}, nil
	}
	chunk, err := a.snapshots.chunk(req.Height, req.Chunk)
	if err != nil {
		a.logger.Info("snapshot chunk not served", "height", req.Height, "chunk", req.Chunk, "err", err)
		return &abci.ResponseLoadSnapshotChunk{}, nil
	}
	return &abci.ResponseLoadSnapshotChunk{Chunk: chunk}, nil
}

// OfferSnapshot accepts a snapshot whose manifest matches its hash and
// whose app hash is the one of the light-client-verified header CometBFT
// hands in, and starts restoring it.
func (a *App) OfferSnapshot(_ context.Context, req *abci.RequestOfferSnapshot) (*abci.ResponseOfferSnapshot, error) {
	reject := func(result abci.ResponseOfferSnapshot_Result, why string, kv ...any) (*abci.ResponseOfferSnapshot, error) {
		a.logger.Info("snapshot refused: "+why, append([]any{"height", req.Snapshot.GetHeight()}, kv...)...)
		return &abci.ResponseOfferSnapshot{Result: result}, nil
	}
	s := req.Snapshot
	if s == nil {
		return reject(abci.ResponseOfferSnapshot_REJECT, "no snapshot")
	}
	if s.Format != ledger.SnapshotFormat {
		return reject(abci.ResponseOfferSnapshot_REJECT_FORMAT, "unknown format", "format", s.Format)
	}
	if sum := sha256.Sum256(s.Metadata); string(sum[:]) != string(s.Hash) {
		return reject(abci.ResponseOfferSnapshot_REJECT_SENDER, "its manifest does not match its hash")
	}
	m, err := ledger.DecodeSnapshotManifest(s.Metadata)
	if err != nil {
		return reject(abci.ResponseOfferSnapshot_REJECT_SENDER, "bad manifest", "err", err)
	}
	switch {
	case uint64(m.Height) != s.Height || uint32(len(m.Chunks)) != s.Chunks:
		return reject(abci.ResponseOfferSnapshot_REJECT_SENDER, "manifest disagrees with the snapshot's height or chunk count")
	case string(m.AppHash) != string(req.AppHash):
		return reject(abci.ResponseOfferSnapshot_REJECT, "its app hash differs from the verified header's",
			"snapshot_app_hash", fmt.Sprintf("%X", m.AppHash), "verified_app_hash", fmt.Sprintf("%X", req.AppHash))
	}
	a.restoreMu.Lock()
	defer a.restoreMu.Unlock()
	if a.restore != nil {
		a.restore.Abort()
		a.restore = nil
	}
	r, err := a.ledger.BeginRestore(m)
	if err != nil {
		a.logger.Error("cannot restore a snapshot", "err", err)
		return &abci.ResponseOfferSnapshot{Result: abci.ResponseOfferSnapshot_ABORT}, nil
	}
	a.restore = r
	a.logger.Info("restoring snapshot", "height", m.Height, "chunks", len(m.Chunks), "entries", m.Entries, "app_hash", fmt.Sprintf("%X", m.AppHash))
	return &abci.ResponseOfferSnapshot{Result: abci.ResponseOfferSnapshot_ACCEPT}, nil
}

// ApplySnapshotChunk checks a chunk against the manifest and writes it; a
// bad chunk is fetched again from another peer (its sender rejected).
// After the last chunk the rebuilt state must match the snapshot's app
// hash, or the snapshot is rejected.
func (a *App) ApplySnapshotChunk(_ context.Context, req *abci.RequestApplySnapshotChunk) (*abci.ResponseApplySnapshotChunk, error) {
	a.restoreMu.Lock()
	defer a.restoreMu.Unlock()
	r := a.restore
	if r == nil {
		return &abci.ResponseApplySnapshotChunk{Result: abci.ResponseApplySnapshotChunk_ABORT}, nil
	}
	if err := r.Apply(int(req.Index), req.Chunk); err != nil {
		if errors.Is(err, ledger.ErrBadChunk) {
			a.logger.Info("bad snapshot chunk: fetching it again from another peer", "chunk", req.Index, "sender", req.Sender, "err", err)
			res := &abci.ResponseApplySnapshotChunk{Result: abci.ResponseApplySnapshotChunk_RETRY, RefetchChunks: []uint32{req.Index}}
			if req.Sender != "" {
				res.RejectSenders = []string{req.Sender}
			}
			return res, nil
		}
		a.logger.Error("cannot apply snapshot chunk", "chunk", req.Index, "err", err)
		return &abci.ResponseApplySnapshotChunk{Result: abci.ResponseApplySnapshotChunk_ABORT}, nil
	}
	if !r.Done() {
		return &abci.ResponseApplySnapshotChunk{Result: abci.ResponseApplySnapshotChunk_ACCEPT}, nil
	}
	a.restore = nil
	if err := r.Finish(); err != nil {
		if errors.Is(err, ledger.ErrSnapshotMismatch) {
			a.logger.Error("restored snapshot refused", "err", err)
			return &abci.ResponseApplySnapshotChunk{Result: abci.ResponseApplySnapshotChunk_REJECT_SNAPSHOT}, nil
		}
		a.logger.Error("cannot finish the snapshot restore", "err", err)
		return &abci.ResponseApplySnapshotChunk{Result: abci.ResponseApplySnapshotChunk_ABORT}, nil
	}
	a.logger.Info("snapshot restored", "height", a.ledger.LastHeight(), "app_hash", fmt.Sprintf("%X", a.ledger.LastAppHash()))
	return &abci.ResponseApplySnapshotChunk{Result: abci.ResponseApplySnapshotChunk_ACCEPT}, nil
}

// WithGenesisNodes gives the peer filter the genesis's allowed nodes for a
// node whose ledger is empty and gets no InitChain: one that state syncs
// must reach its peers before it has any state.
func WithGenesisNodes(ids []string) Option {
	return func(a *App) {
		if len(ids) == 0 {
			return
		}
		a.genesisNodes = make(map[string]bool, len(ids))
		for _, id := range ids {
			a.genesisNodes[id] = true
		}
	}
}

// WithRetainBlocks makes Commit ask CometBFT to prune blocks older than the
// last n (0 keeps every block), never a block from the oldest kept snapshot
// on: a node state syncing from it fetches the blocks after it here.
func WithRetainBlocks(n int64) Option {
	return func(a *App) { a.retainBlocks = n }
}

// retainHeight is the lowest height to keep after committing height; 0
// keeps everything.
func (a *App) retainHeight(height int64) int64 {
	if a.retainBlocks <= 0 || height <= a.retainBlocks {
		return 0
	}
	retain := height - a.retainBlocks + 1
	if s := a.snapshots; s != nil && s.interval > 0 {
		hs, err := s.heights()
		if err != nil || len(hs) == 0 {
			return 0 // no snapshot yet: keep the blocks a first one would need
		}
		retain = min(retain, hs[len(hs)-1])
	}
	return retain
}
