package ledger

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"runtime"
	"sync"

	"github.com/tallyledger/tally/ledger/smt"
)

// The state tree is a paged smt.Tree: the levels above its page depth in
// memory, the pages below in the store ("~" keys), written in the same
// synced batch as the state they commit to, with a marker naming the page
// depth and the height they are at. Open builds only the top, from the
// page summaries, and checks its root against the committed app hash; it
// rebuilds every page from the flat state only when the pages are missing
// (a store written before pages existed), from another height (a store a
// version without pages has written to), or do not match the app hash.

// pageSource reads tree pages from a store or snapshot.
type pageSource struct{ r Reader }

func (s pageSource) Page(p uint32) ([]byte, error) { return s.r.Get(TreePageKey(p)) }

func encodeTreeMeta(depth int, height int64) []byte {
	return binary.BigEndian.AppendUint64([]byte{byte(depth)}, uint64(height))
}

// readTreeMeta returns the page depth and height of the stored pages, ok
// false if there are none.
func readTreeMeta(r Reader) (depth int, height int64, ok bool, err error) {
	b, err := r.Get([]byte(metaTreeKey))
	if err != nil || b == nil {
		return 0, 0, false, err
	}
	if len(b) != 9 {
		return 0, 0, false, nil
	}
	return int(b[0]), int64(binary.BigEndian.Uint64(b[1:])), true, nil
}

// addPageWrites adds the stored form of a tree's changed pages to batch.
func addPageWrites(batch *Batch, ws []smt.PageWrite) {
	for _, w := range ws {
		if w.Data == nil {
			batch.Delete(TreePageKey(w.Page))
		} else {
			batch.Set(TreePageKey(w.Page), w.Data)
		}
		if w.Summary == nil {
			batch.Delete(TreeSummaryKey(w.Page))
		} else {
			batch.Set(TreeSummaryKey(w.Page), w.Summary)
		}
	}
}

// loadTree returns the state tree from the pages stored in snap, or nil
// (and why) if they cannot serve the committed state at height.
func loadTree(snap Reader, depth int, cache *smt.PageCache, height int64, appHash []byte) (*smt.Tree, string, error) {
	storedDepth, storedHeight, ok, err := readTreeMeta(snap)
	switch {
	case err != nil:
		return nil, "", fmt.Errorf("open ledger: read the state tree's marker: %w", err)
	case !ok:
		return nil, "no stored tree pages", nil
	case storedDepth != depth:
		return nil, fmt.Sprintf("tree pages stored at depth %d, expected %d", storedDepth, depth), nil
	case storedHeight != height:
		return nil, fmt.Sprintf("tree pages at height %d, state at %d", storedHeight, height), nil
	}
	tree, err := smt.OpenPaged(depth, pageSource{snap}, cache, func(yield func(uint32, []byte) error) error {
		return snap.Iterate([]byte(PrefixTreeSummary), func(key, value []byte) error {
			p, err := parseTreePage(key, PrefixTreeSummary)
			if err != nil {
				return fmt.Errorf("%w: %v", smt.ErrCorruptPage, err)
			}
			return yield(p, value)
		})
	})
	if errors.Is(err, smt.ErrCorruptPage) {
		return nil, err.Error(), nil
	}
	if err != nil {
		return nil, "", fmt.Errorf("open ledger: read the state tree: %w", err)
	}
	root, err := tree.Sum()
	if err != nil {
		return nil, "", fmt.Errorf("open ledger: %w", err)
	}
	want := appHash
	if height == 0 {
		want = make([]byte, 32)
	}
	if !bytes.Equal(root[:], want) {
		return nil, fmt.Sprintf("stored tree root %X, app hash %X", root[:], want), nil
	}
	return tree, "", nil
}

// storeBatchBytes is about how much a rebuild writes per batch.
const storeBatchBytes = 16 << 20

// writeTreePages replaces the stored tree pages with pages built from
// entries and returns the tree (reading from no source yet) and its root.
// The marker goes first (deleted) and last (written, synced, with height)
// only if the root equals want (nil: any root), so a crash or a mismatch
// leaves no marker and the next Open builds again.
func writeTreePages(store Store, depth int, cache *smt.PageCache, entries []smt.Entry, height int64, want []byte) (*smt.Tree, [32]byte, error) {
	var batch Batch
	size := 0
	flush := func(sync bool) error {
		if batch.Len() == 0 && !sync {
			return nil
		}
		err := store.Write(&batch, sync)
		batch, size = Batch{}, 0
		return err
	}
	batch.Delete([]byte(metaTreeKey))
	if err := flush(true); err != nil {
		return nil, [32]byte{}, err
	}
	for _, prefix := range []string{PrefixTreePage, PrefixTreeSummary} {
		err := store.Iterate([]byte(prefix), func(key, _ []byte) error {
			batch.Delete(bytes.Clone(key))
			if size += len(key); size >= storeBatchBytes {
				return flush(false)
			}
			return nil
		})
		if err != nil {
			return nil, [32]byte{}, err
		}
	}
	tree, err := smt.BuildPaged(depth, entries, cache, func(w smt.PageWrite) error {
		addPageWrites(&batch, []smt.PageWrite{w})
		if size += len(w.Data) + len(w.Summary) + 24; size >= storeBatchBytes {
			return flush(false)
		}
		return nil
	})
	if err != nil {
		return nil, [32]byte{}, err
	}
	root, err := tree.Sum()
	if err != nil {
		return nil, root, err
	}
	if want != nil && !bytes.Equal(root[:], want) {
		return tree, root, flush(true)
	}
	batch.Set([]byte(metaTreeKey), encodeTreeMeta(depth, height))
	return tree, root, flush(true)
}

// readEntries reads every state entry of r with the hash of its value.
// Reading the store is sequential; hashing the values is spread over the
// cores in chunks while the reading goes on.
func readEntries(r Reader, sizeHint int) ([]smt.Entry, error) {
	const chunkSize = 8192
	type chunk struct {
		entries []smt.Entry
		values  []byte
		ends    []int
	}
	newChunk := func() *chunk {
		return &chunk{entries: make([]smt.Entry, 0, chunkSize), values: make([]byte, 0, chunkSize*64), ends: make([]int, 0, chunkSize)}
	}
	work := make(chan *chunk, 4)
	var wg sync.WaitGroup
	for range max(1, runtime.GOMAXPROCS(0)) {
		wg.Go(func() {
			for c := range work {
				start := 0
				for i, end := range c.ends {
					c.entries[i].ValueHash = sha256.Sum256(c.values[start:end])
					start = end
				}
				c.values = nil
			}
		})
	}
	var chunks []*chunk
	cur := newChunk()
	keys := make([]byte, 0, chunkSize*48)
	err := r.Iterate([]byte(StatePrefix), func(key, value []byte) error {
		if len(value) == 0 {
			return fmt.Errorf("state key %q has an empty value", key)
		}
		if len(keys)+len(key) > cap(keys) {
			keys = make([]byte, 0, max(chunkSize*48, len(key)))
		}
		keys = append(keys, key...)
		cur.entries = append(cur.entries, smt.Entry{Key: keys[len(keys)-len(key):]})
		cur.values = append(cur.values, value...)
		cur.ends = append(cur.ends, len(cur.values))
		if len(cur.entries) == chunkSize {
			chunks = append(chunks, cur)
			work <- cur
			cur = newChunk()
		}
		return nil
	})
	chunks = append(chunks, cur)
	work <- cur
	close(work)
	wg.Wait()
	if err != nil {
		return nil, fmt.Errorf("open ledger: read state: %w", err)
	}
	entries := make([]smt.Entry, 0, max(sizeHint, len(chunks)*chunkSize))
	for _, c := range chunks {
		entries = append(entries, c.entries...)
	}
	return entries, nil
}

// buildTree rebuilds the all-in-memory state tree from every state entry
// of r (forensics and tests compare the paged tree with it).
func buildTree(r Reader, sizeHint int) (*smt.Tree, error) {
	entries, err := readEntries(r, sizeHint)
	if err != nil {
		return nil, err
	}
	tree, err := smt.Build(entries)
	if err != nil {
		return nil, fmt.Errorf("open ledger: rebuild state tree: %w", err)
	}
	return tree, nil
}

// rebuildTree builds and stores every tree page from the flat state in
// snap, checks the root against the committed app hash, and returns the
// tree with a snapshot that holds its pages (snap is released). A state
// whose root differs from its app hash is refused: the flat state itself
// does not match what was committed.
func rebuildTree(store Store, snap Snapshot, depth int, cache *smt.PageCache, height int64, appHash []byte) (*smt.Tree, Snapshot, error) {
	entries, err := readEntries(snap, entriesHint(snap))
	if err != nil {
		snap.Release()
		return nil, nil, err
	}
	if height == 0 {
		if len(entries) > 0 {
			snap.Release()
			return nil, nil, fmt.Errorf("ledger state holds %d entries but no committed height: the database is corrupt or not a Tally ledger", len(entries))
		}
		tree, err := smt.NewPaged(depth, pageSource{snap}, cache)
		if err != nil {
			snap.Release()
			return nil, nil, err
		}
		return tree, snap, nil
	}
	tree, root, err := writeTreePages(store, depth, cache, entries, height, appHash)
	entries = nil
	if err != nil {
		snap.Release()
		return nil, nil, fmt.Errorf("open ledger: rebuild state tree: %w", err)
	}
	if !bytes.Equal(root[:], appHash) {
		err := stateMismatch(snap, height, appHash, root)
		snap.Release()
		return nil, nil, err
	}
	snap.Release()
	if snap, err = store.Snapshot(); err != nil {
		return nil, nil, fmt.Errorf("open ledger: %w", err)
	}
	if tree, err = tree.Persisted(pageSource{snap}); err != nil {
		snap.Release()
		return nil, nil, err
	}
	return tree, snap, nil
}

// stateMismatch is the error for a flat state whose root is not the
// committed app hash, with the per-prefix hashes to compare.
func stateMismatch(snap Reader, height int64, appHash []byte, root [32]byte) error {
	groups, gerr := StateGroupHashes(snap)
	detail := FormatGroupHashes(groups)
	if gerr != nil {
		detail = gerr.Error()
	}
	return fmt.Errorf("ledger state does not match its app hash at height %d: committed %X, rebuilt from the stored entries %X (the database is corrupt or was changed outside tallyd); state hashes by key prefix (prefix, keys, hash), to compare with a healthy node's \"tallyd debug dump\": %s", height, appHash, root[:], detail)
}

// verifyState checks the flat state in snap against the app hash by
// building the whole tree from it in memory (what Options.VerifyState
// asks for): O(state) time and memory.
func verifyState(snap Reader, height int64, appHash []byte) error {
	if height == 0 {
		return nil
	}
	tree, err := buildTree(snap, entriesHint(snap))
	if err != nil {
		return err
	}
	if root := tree.Root(); !bytes.Equal(root[:], appHash) {
		return stateMismatch(snap, height, appHash, root)
	}
	return nil
}
