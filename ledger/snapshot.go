package ledger

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/tallyledger/tally/ledger/smt"
)

// SnapshotFormat is the version of the state snapshot layout: chunks of
// sorted key/values, each chunk named by its SHA-256 in the manifest.
const SnapshotFormat uint32 = 1

// DefaultSnapshotChunkBytes is the size a snapshot chunk is cut at (CometBFT
// accepts chunks of up to 16 MB).
const DefaultSnapshotChunkBytes = 4 << 20

// SnapshotManifest describes a state snapshot: the height and app hash it
// shows, how many key/values it holds and the SHA-256 of every chunk. It is
// the snapshot's metadata in state sync, so a chunk can be checked the
// moment it arrives.
type SnapshotManifest struct {
	Height  int64    `cbor:"1,keyasint"`
	AppHash []byte   `cbor:"2,keyasint"`
	Entries uint64   `cbor:"3,keyasint"`
	Chunks  [][]byte `cbor:"4,keyasint"`
}

// Encode returns the manifest's canonical encoding.
func (m *SnapshotManifest) Encode() []byte { return mustMarshal(m) }

// DecodeSnapshotManifest decodes and checks a manifest.
func DecodeSnapshotManifest(b []byte) (*SnapshotManifest, error) {
	var m SnapshotManifest
	if err := UnmarshalState(b, &m); err != nil {
		return nil, fmt.Errorf("decode snapshot manifest: %w", err)
	}
	switch {
	case m.Height <= 0:
		return nil, fmt.Errorf("snapshot manifest: height %d", m.Height)
	case len(m.AppHash) != 32:
		return nil, fmt.Errorf("snapshot manifest: app hash of %d bytes, expected 32", len(m.AppHash))
	case len(m.Chunks) == 0:
		return nil, errors.New("snapshot manifest: no chunks")
	}
	for i, h := range m.Chunks {
		if len(h) != sha256.Size {
			return nil, fmt.Errorf("snapshot manifest: chunk %d hash of %d bytes", i, len(h))
		}
	}
	return &m, nil
}

// WriteSnapshot cuts the view's state into chunks of about chunkBytes
// (DefaultSnapshotChunkBytes if 0) of sorted key/values and hands each to
// emit in order; it returns the manifest. The view is a fixed LevelDB
// snapshot, so this may run in the background while blocks commit.
func (v *View) WriteSnapshot(chunkBytes int, emit func(index int, chunk []byte) error) (*SnapshotManifest, error) {
	if v.height == 0 {
		return nil, errors.New("no committed state to snapshot yet")
	}
	if chunkBytes <= 0 {
		chunkBytes = DefaultSnapshotChunkBytes
	}
	m := &SnapshotManifest{Height: v.height, AppHash: bytes.Clone(v.appHash)}
	var buf []byte
	flush := func() error {
		sum := sha256.Sum256(buf)
		if err := emit(len(m.Chunks), buf); err != nil {
			return err
		}
		m.Chunks = append(m.Chunks, sum[:])
		buf = nil
		return nil
	}
	err := v.snap.Iterate([]byte(StatePrefix), func(key, value []byte) error {
		buf = binary.AppendUvarint(buf, uint64(len(key)))
		buf = append(buf, key...)
		buf = binary.AppendUvarint(buf, uint64(len(value)))
		buf = append(buf, value...)
		m.Entries++
		if len(buf) >= chunkBytes {
			return flush()
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("snapshot at height %d: %w", v.height, err)
	}
	if len(buf) > 0 || len(m.Chunks) == 0 {
		if err := flush(); err != nil {
			return nil, fmt.Errorf("snapshot at height %d: %w", v.height, err)
		}
	}
	return m, nil
}

// ErrBadChunk marks a snapshot chunk that does not match its manifest or
// is malformed: fetch it again, from another peer.
var ErrBadChunk = errors.New("bad snapshot chunk")

// ErrSnapshotMismatch marks a restored state whose root differs from the
// snapshot's app hash: the whole snapshot is wrong.
var ErrSnapshotMismatch = errors.New("restored state does not match the snapshot's app hash")

// Restore rebuilds an empty ledger from a snapshot, chunk by chunk.
type Restore struct {
	l       *Ledger
	m       *SnapshotManifest
	next    int
	lastKey []byte
	entries uint64
	// leaves are the restored key/values' tree entries, hashed as their
	// chunks arrive, so that Finish builds the tree without reading the
	// state back; keys holds their keys' bytes.
	leaves []smt.Entry
	keys   []byte
}

// BeginRestore starts restoring m into the ledger, which must hold no state
// (a node that has not executed a block). State keys left by an earlier,
// unfinished restore are deleted first.
func (l *Ledger) BeginRestore(m *SnapshotManifest) (*Restore, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil, ErrClosed
	}
	if l.LastHeight() != 0 || l.genesis != nil || l.pending != nil {
		return nil, fmt.Errorf("cannot restore a snapshot into a ledger that holds state (height %d)", l.LastHeight())
	}
	if err := l.wipeState(); err != nil {
		return nil, err
	}
	return &Restore{l: l, m: m}, nil
}

// wipeState deletes every state key and tree page (an unfinished
// restore's).
func (l *Ledger) wipeState() error {
	var b Batch
	for _, prefix := range []string{StatePrefix, PrefixTree} {
		err := l.store.Iterate([]byte(prefix), func(key, _ []byte) error {
			b.Delete(bytes.Clone(key))
			return nil
		})
		if err != nil {
			return fmt.Errorf("clear state for a restore: %w", err)
		}
	}
	if b.Len() == 0 {
		return nil
	}
	return l.store.Write(&b, true)
}

// Apply checks chunk index against the manifest (its hash, key order and
// form) and writes its key/values. Chunks come in order; a chunk that does
// not match is an ErrBadChunk and changes nothing.
func (r *Restore) Apply(index int, chunk []byte) error {
	if index != r.next {
		return fmt.Errorf("%w: chunk %d arrived, expected chunk %d", ErrBadChunk, index, r.next)
	}
	if index >= len(r.m.Chunks) {
		return fmt.Errorf("%w: chunk %d of a snapshot of %d chunks", ErrBadChunk, index, len(r.m.Chunks))
	}
	if sum := sha256.Sum256(chunk); !bytes.Equal(sum[:], r.m.Chunks[index]) {
		return fmt.Errorf("%w: chunk %d has SHA-256 %X, the manifest says %X", ErrBadChunk, index, sum[:], r.m.Chunks[index])
	}
	var b Batch
	last := r.lastKey
	rest := chunk
	var n uint64
	for len(rest) > 0 {
		key, tail, err := readField(rest)
		if err != nil {
			return fmt.Errorf("%w: chunk %d: key: %v", ErrBadChunk, index, err)
		}
		value, tail, err := readField(tail)
		if err != nil {
			return fmt.Errorf("%w: chunk %d: value of %q: %v", ErrBadChunk, index, key, err)
		}
		rest = tail
		switch {
		case !IsStateKey(key):
			return fmt.Errorf("%w: chunk %d: %q is not a state key", ErrBadChunk, index, key)
		case last != nil && bytes.Compare(key, last) <= 0:
			return fmt.Errorf("%w: chunk %d: key %q is not after %q", ErrBadChunk, index, key, last)
		case len(value) == 0:
			return fmt.Errorf("%w: chunk %d: key %q has an empty value", ErrBadChunk, index, key)
		}
		b.Set(key, value)
		last = key
		n++
	}
	if err := r.l.store.Write(&b, false); err != nil {
		return fmt.Errorf("restore chunk %d: %w", index, err)
	}
	r.addLeaves(chunk)
	r.lastKey = bytes.Clone(last)
	r.entries += n
	r.next++
	return nil
}

// addLeaves appends the tree entries of an applied chunk (well formed:
// Apply checked it).
func (r *Restore) addLeaves(chunk []byte) {
	if r.keys == nil {
		r.keys = make([]byte, 0, len(chunk))
	}
	for rest := chunk; len(rest) > 0; {
		key, tail, _ := readField(rest)
		value, tail, _ := readField(tail)
		rest = tail
		if len(r.keys)+len(key) > cap(r.keys) {
			r.keys = make([]byte, 0, max(len(chunk), len(key)))
		}
		r.keys = append(r.keys, key...)
		r.leaves = append(r.leaves, smt.Entry{Key: r.keys[len(r.keys)-len(key):], ValueHash: sha256.Sum256(value)})
	}
}

// Done reports whether every chunk has been applied.
func (r *Restore) Done() bool { return r.next == len(r.m.Chunks) }

// Finish rebuilds the state tree from the restored key/values and checks
// its root against the snapshot's app hash (which the caller checked
// against a verified header); only then does it commit the height and app
// hash, and the ledger serves the restored state. On ErrSnapshotMismatch
// the restored keys are deleted again.
func (r *Restore) Finish() error {
	if !r.Done() {
		return fmt.Errorf("restore incomplete: %d of %d chunks applied", r.next, len(r.m.Chunks))
	}
	if r.entries != r.m.Entries {
		r.Abort()
		return fmt.Errorf("%w: %d key/values restored, the manifest says %d", ErrSnapshotMismatch, r.entries, r.m.Entries)
	}
	l := r.l
	l.mu.Lock()
	defer l.mu.Unlock()
	// The tree is built from the key/values the chunks carried, which are
	// exactly the state keys written (the state was empty before).
	leaves := r.leaves
	r.leaves, r.keys = nil, nil
	tree, root, err := writeTreePages(l.store, l.pageDepth, l.tree.Cache(), leaves, r.m.Height, r.m.AppHash)
	if err != nil {
		return fmt.Errorf("rebuild the restored state tree: %w", err)
	}
	if !bytes.Equal(root[:], r.m.AppHash) {
		_ = l.wipeState()
		return fmt.Errorf("%w: rebuilt root %X, snapshot app hash %X at height %d", ErrSnapshotMismatch, root[:], r.m.AppHash, r.m.Height)
	}
	snap, err := l.store.Snapshot()
	if err != nil {
		return err
	}
	chainID, err := getChainID(snap)
	snap.Release()
	if err != nil {
		return err
	}
	var b Batch
	b.Set([]byte(metaHeightKey), encodeHeight(r.m.Height))
	b.Set([]byte(metaEntriesKey), encodeHeight(int64(tree.Len())))
	b.Set([]byte(metaAppHashKey), bytes.Clone(r.m.AppHash))
	if err := l.store.Write(&b, true); err != nil {
		return fmt.Errorf("commit restored state: %w", err)
	}
	snap, err = l.store.Snapshot()
	if err != nil {
		return err
	}
	if l.tree, err = tree.Persisted(pageSource{snap}); err != nil {
		return err
	}
	l.nextHeight = r.m.Height + 1
	l.chainID.Store(&chainID)
	v := &View{height: r.m.Height, appHash: bytes.Clone(r.m.AppHash), chainID: chainID, snap: snap, tree: l.tree.Snapshot()}
	l.view.Store(v)
	l.resetCheck(newReadCache(snap), l.nextHeight)
	return nil
}

// Abort deletes what the restore wrote.
func (r *Restore) Abort() {
	r.l.mu.Lock()
	defer r.l.mu.Unlock()
	if r.l.LastHeight() == 0 {
		_ = r.l.wipeState()
	}
}

// readField reads one uvarint-length-prefixed field.
func readField(b []byte) (field, rest []byte, err error) {
	n, k := binary.Uvarint(b)
	if k <= 0 {
		return nil, nil, errors.New("bad length prefix")
	}
	if n > uint64(len(b)-k) {
		return nil, nil, fmt.Errorf("length %d beyond the chunk's end", n)
	}
	return b[k : k+int(n)], b[k+int(n):], nil
}
