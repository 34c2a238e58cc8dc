package smt

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"runtime"
	"slices"
	"sort"
	"sync"
)

// A paged tree keeps only the top of the tree in memory: the levels above
// a page depth d. Below it, the tree is cut into 2^d pages, page p holding
// the leaves whose paths start with the d bits of p; a page with two or
// more leaves is stored outside the tree (the caller's store) and stands in
// memory as a stub that knows only its root hash. A page with one leaf is
// that leaf, in memory, and moves up like any lone leaf; an empty page is
// nothing. The root, the proofs and every hash are those of the same keys
// in an all-in-memory tree: paging changes where nodes live, not what they
// are.
//
// Writes to a paged tree are collected per page and applied by Sum (or
// Root): each changed page is read once (from the pages written since the
// last persist, the page cache, or the PageSource), changed, rehashed from
// its leaves, and put back into the top, whose changed nodes are then
// hashed once. PageWrites returns the changed pages to store, in the same
// batch as the state they commit to; Persisted returns the tree reading
// from the store that now holds them.

// DefaultPageDepth is the page depth a node uses: 2^20 pages, a few leaves
// each at ten million keys, and two million nodes or fewer in memory.
const DefaultPageDepth = 20

// MaxPageDepth is the deepest page depth a paged tree takes.
const MaxPageDepth = 24

// PageSource reads stored pages. Page returns the data of page p as
// PageWrites gave it, or nil if there is none. It is called from several
// goroutines at once.
type PageSource interface {
	Page(p uint32) ([]byte, error)
}

// PageWrite is what to store for one page: Data under the page's data key
// and Summary under its summary key; a nil field means delete that key.
// OpenPaged reads the summaries back at start-up; the data is read when a
// page is needed.
type PageWrite struct {
	Page    uint32
	Data    []byte
	Summary []byte
}

// ErrCorruptPage marks stored page data or a summary that does not decode
// or does not hash to what the tree above it says.
var ErrCorruptPage = errors.New("smt: corrupt tree page")

// paging is a paged tree's state besides its top.
type paging struct {
	depth   int
	src     PageSource
	cache   *PageCache
	pending map[uint32][]pendingChange // writes not applied yet, in order
	written map[uint32]*pageContent    // pages changed since the last persist
	err     error                      // sticky: the tree is unusable after it
}

type pendingChange struct {
	key       string
	path      [32]byte
	valueHash [32]byte
	del       bool
}

// pageLeaf is a leaf of a page with its path and hash.
type pageLeaf struct {
	path      [32]byte
	valueHash [32]byte
	hash      [32]byte
	key       string
}

// pageContent is one page's leaves sorted by path and the root of their
// subtree. It never changes once made, so trees and the cache share it.
type pageContent struct {
	leaves []pageLeaf
	hash   [32]byte
}

var emptyPage = &pageContent{}

// NewPaged returns an empty paged tree with the given page depth that reads
// pages from src through cache (nil: no cache).
func NewPaged(depth int, src PageSource, cache *PageCache) (*Tree, error) {
	if depth < 1 || depth > MaxPageDepth {
		return nil, fmt.Errorf("smt: page depth %d, expected 1 to %d", depth, MaxPageDepth)
	}
	return &Tree{pg: &paging{depth: depth, src: src, cache: cache}}, nil
}

// Paged reports whether the tree keeps its lower levels in pages, and the
// page depth.
func (t *Tree) Paged() (depth int, ok bool) {
	if t.pg == nil {
		return 0, false
	}
	return t.pg.depth, true
}

// pageOf returns the page of path at depth: its first depth bits.
func pageOf(path *[32]byte, depth int) uint32 {
	v := uint32(path[0])<<24 | uint32(path[1])<<16 | uint32(path[2])<<8 | uint32(path[3])
	return v >> (32 - uint(depth))
}

// pageBit returns bit i (from the most significant) of a depth-bit page.
func pageBit(p uint32, depth, i int) int {
	return int(p>>uint(depth-1-i)) & 1
}

func (pg *paging) add(c pendingChange) {
	if pg.pending == nil {
		pg.pending = map[uint32][]pendingChange{}
	}
	p := pageOf(&c.path, pg.depth)
	pg.pending[p] = append(pg.pending[p], c)
}

// applyPages applies the pending writes page by page: pages are read and
// rehashed in parallel, then put into the top in page order.
func (t *Tree) applyPages() error {
	pg := t.pg
	pages := slices.Sorted(maps.Keys(pg.pending))
	olds := make([]*pageContent, len(pages))
	news := make([]*pageContent, len(pages))
	errs := make([]error, len(pages))
	work := func(i int) {
		p := pages[i]
		old, err := t.pageContent(p)
		if err != nil {
			errs[i] = err
			return
		}
		olds[i] = old
		news[i], errs[i] = old.apply(pg.pending[p], pg.depth)
	}
	workers := min(runtime.GOMAXPROCS(0), (len(pages)+63)/64)
	if workers <= 1 {
		for i := range pages {
			work(i)
		}
	} else {
		var wg sync.WaitGroup
		var next sync.Mutex
		at := 0
		for range workers {
			wg.Go(func() {
				for {
					next.Lock()
					i := at
					at++
					next.Unlock()
					if i >= len(pages) {
						return
					}
					work(i)
				}
			})
		}
		wg.Wait()
	}
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	pg.pending = nil
	if pg.written == nil {
		pg.written = map[uint32]*pageContent{}
	}
	changed := 0
	for i, p := range pages {
		old, cur := olds[i], news[i]
		if cur.hash == old.hash && len(cur.leaves) == len(old.leaves) {
			continue
		}
		t.size += len(cur.leaves) - len(old.leaves)
		t.root = setPage(t.root, 0, p, pg.depth, cur.summaryNode(p))
		pg.written[p] = cur
		if len(cur.leaves) > 1 {
			pg.cache.add(cur)
		}
		changed++
	}
	t.writes = changed
	return nil
}

// pageContent returns the current leaves of page p: a page written since
// the last persist, else what the top says (nothing, a lone leaf, or a
// stub whose page is read and checked against the stub's hash).
func (t *Tree) pageContent(p uint32) (*pageContent, error) {
	if c, ok := t.pg.written[p]; ok {
		return c, nil
	}
	n := t.root
	for depth := 0; ; depth++ {
		switch {
		case n == nil:
			return emptyPage, nil
		case n.leaf != nil:
			path := pathOfString(n.leaf.key)
			if pageOf(&path, t.pg.depth) != p {
				return emptyPage, nil
			}
			return &pageContent{leaves: []pageLeaf{{path: path, valueHash: n.leaf.valueHash, hash: n.hash, key: n.leaf.key}}, hash: n.hash}, nil
		case n.stub:
			return t.loadPage(n.page, n.hash)
		case depth >= t.pg.depth:
			return nil, fmt.Errorf("%w: inner node below page depth %d on the way to page %x", ErrCorruptPage, t.pg.depth, p)
		}
		if pageBit(p, t.pg.depth, depth) == 0 {
			n = n.left
		} else {
			n = n.right
		}
	}
}

// loadPage returns the content of the stored page p whose root is hash.
func (t *Tree) loadPage(p uint32, hash [32]byte) (*pageContent, error) {
	if c, ok := t.pg.written[p]; ok && c.hash == hash {
		return c, nil
	}
	if c := t.pg.cache.get(hash); c != nil {
		return c, nil
	}
	if t.pg.src == nil {
		return nil, fmt.Errorf("smt: page %x is stored, but the tree has no page source", p)
	}
	data, err := t.pg.src.Page(p)
	if err != nil {
		return nil, fmt.Errorf("smt: read tree page %x: %w", p, err)
	}
	if data == nil {
		return nil, fmt.Errorf("%w: page %x is missing from the store", ErrCorruptPage, p)
	}
	c, err := decodePage(p, t.pg.depth, data)
	if err != nil {
		return nil, err
	}
	if c.hash != hash {
		return nil, fmt.Errorf("%w: page %x hashes to %X, the tree above it holds %X", ErrCorruptPage, p, c.hash, hash)
	}
	t.pg.cache.add(c)
	return c, nil
}

// apply returns the page with changes applied in order.
func (c *pageContent) apply(changes []pendingChange, depth int) (*pageContent, error) {
	leaves := make([]pageLeaf, len(c.leaves), len(c.leaves)+len(changes))
	copy(leaves, c.leaves)
	for i := range changes {
		ch := &changes[i]
		at, found := sort.Find(len(leaves), func(j int) int { return bytes.Compare(ch.path[:], leaves[j].path[:]) })
		if found && leaves[at].key != ch.key {
			return nil, fmt.Errorf("%w: keys %X and %X", ErrPathCollision, leaves[at].key, ch.key)
		}
		switch {
		case ch.del && found:
			leaves = slices.Delete(leaves, at, at+1)
		case ch.del:
		case found:
			leaves[at].valueHash = ch.valueHash
			leaves[at].hash = leafHash(&ch.path, &ch.valueHash)
		default:
			leaves = slices.Insert(leaves, at, pageLeaf{path: ch.path, valueHash: ch.valueHash, hash: leafHash(&ch.path, &ch.valueHash), key: ch.key})
		}
	}
	return &pageContent{leaves: leaves, hash: subtreeHash(leaves, depth)}, nil
}

// subtreeHash returns the root of the subtree at depth holding leaves,
// which are sorted by path and agree on their first depth bits.
func subtreeHash(leaves []pageLeaf, depth int) [32]byte {
	switch len(leaves) {
	case 0:
		return emptyHash
	case 1:
		return leaves[0].hash
	}
	split := sort.Search(len(leaves), func(i int) bool { return bitAt(&leaves[i].path, depth) == 1 })
	left := subtreeHash(leaves[:split], depth+1)
	right := subtreeHash(leaves[split:], depth+1)
	return innerHash(&left, &right)
}

// subtreeNodes is subtreeHash building the nodes, for proofs.
func subtreeNodes(leaves []pageLeaf, depth int) *node {
	switch len(leaves) {
	case 0:
		return nil
	case 1:
		l := &leaves[0]
		return &node{hash: l.hash, leaf: &leaf{key: l.key, valueHash: l.valueHash}}
	}
	split := sort.Search(len(leaves), func(i int) bool { return bitAt(&leaves[i].path, depth) == 1 })
	return joined(subtreeNodes(leaves[:split], depth+1), subtreeNodes(leaves[split:], depth+1))
}

// summaryNode returns what page p is in the top: nothing, its lone leaf,
// or a stub.
func (c *pageContent) summaryNode(p uint32) *node {
	switch len(c.leaves) {
	case 0:
		return nil
	case 1:
		l := &c.leaves[0]
		return &node{hash: l.hash, leaf: &leaf{key: l.key, valueHash: l.valueHash}}
	}
	return &node{hash: c.hash, stub: true, page: p}
}

// setPage returns the top subtree n at depth with page p replaced by s
// (nil, a leaf or a stub), collapsing lone leaves as the tree requires.
func setPage(n *node, depth int, p uint32, pageDepth int, s *node) *node {
	if depth == pageDepth {
		return s
	}
	var left, right *node
	inner := n != nil && n.leaf == nil
	switch {
	case inner:
		left, right = n.left, n.right
	case n != nil:
		// A lone leaf stands for this whole subtree: keep it on its side
		// unless it is the page being replaced.
		path := pathOfString(n.leaf.key)
		switch {
		case pageOf(&path, pageDepth) == p:
		case bitAt(&path, depth) == 0:
			left = n
		default:
			right = n
		}
	}
	if pageBit(p, pageDepth, depth) == 0 {
		left = setPage(left, depth+1, p, pageDepth, s)
	} else {
		right = setPage(right, depth+1, p, pageDepth, s)
	}
	if n, ok := collapsed(left, right); ok {
		return n
	}
	if !inner {
		return &node{left: left, right: right, dirty: true}
	}
	if left == n.left && right == n.right {
		return n
	}
	n = own(n)
	n.left, n.right = left, right
	return n
}

// expand returns n, or for a stub the page's subtree built from its stored
// leaves (hashed, not dirty, belonging to no tree).
func (t *Tree) expand(n *node) (*node, error) {
	if n == nil || !n.stub {
		return n, nil
	}
	c, err := t.loadPage(n.page, n.hash)
	if err != nil {
		return nil, err
	}
	return subtreeNodes(c.leaves, t.pg.depth), nil
}

// Sum is Root for a tree that may fail: a paged tree reads the pages its
// pending writes change, which can fail; the error then stays with the
// tree. An all-in-memory tree never fails.
func (t *Tree) Sum() ([32]byte, error) {
	if t.pg != nil {
		if t.pg.err == nil && len(t.pg.pending) > 0 {
			t.pg.err = t.applyPages()
		}
		if t.pg.err != nil {
			return emptyHash, t.pg.err
		}
	}
	return t.rootHash(), nil
}

// PageWrites returns, in page order, what to store for the pages changed
// since the tree was built, opened or last persisted. Store them in the
// same atomic write as the state the root commits to, then use Persisted.
func (t *Tree) PageWrites() ([]PageWrite, error) {
	if t.pg == nil {
		return nil, errors.New("smt: PageWrites on a tree that is not paged")
	}
	if _, err := t.Sum(); err != nil {
		return nil, err
	}
	out := make([]PageWrite, 0, len(t.pg.written))
	for _, p := range slices.Sorted(maps.Keys(t.pg.written)) {
		out = append(out, t.pg.written[p].write(p))
	}
	return out, nil
}

// write returns the PageWrite that stores c as page p.
func (c *pageContent) write(p uint32) PageWrite {
	w := PageWrite{Page: p}
	if len(c.leaves) == 0 {
		return w
	}
	w.Summary = encodeSummary(c)
	if len(c.leaves) > 1 {
		w.Data = encodePage(c)
	}
	return w
}

// Persisted returns a snapshot of the tree that reads its pages from src,
// which must hold every page PageWrites returned: the tree to keep after
// the write.
func (t *Tree) Persisted(src PageSource) (*Tree, error) {
	if t.pg == nil {
		return nil, errors.New("smt: Persisted on a tree that is not paged")
	}
	if _, err := t.Sum(); err != nil {
		return nil, err
	}
	s := t.Snapshot()
	s.pg.src = src
	s.pg.written = nil
	return s, nil
}

// encodePage is a page's stored form: the number of leaves, then each
// leaf's key (length-prefixed) and value hash, in path order.
func encodePage(c *pageContent) []byte {
	size := binary.MaxVarintLen64
	for i := range c.leaves {
		size += binary.MaxVarintLen64 + len(c.leaves[i].key) + 32
	}
	out := make([]byte, 0, size)
	out = binary.AppendUvarint(out, uint64(len(c.leaves)))
	for i := range c.leaves {
		l := &c.leaves[i]
		out = binary.AppendUvarint(out, uint64(len(l.key)))
		out = append(out, l.key...)
		out = append(out, l.valueHash[:]...)
	}
	return out
}

// decodePage reads a stored page p, checking that its leaves belong to it,
// in path order, at least two.
func decodePage(p uint32, depth int, data []byte) (*pageContent, error) {
	bad := func(why string) error { return fmt.Errorf("%w: page %x: %s", ErrCorruptPage, p, why) }
	n, k := binary.Uvarint(data)
	if k <= 0 || n < 2 || n > uint64(len(data)) {
		return nil, bad("bad leaf count")
	}
	data = data[k:]
	leaves := make([]pageLeaf, n)
	for i := range leaves {
		kl, k := binary.Uvarint(data)
		if k <= 0 || kl == 0 || kl > uint64(len(data)-k) || uint64(len(data)-k)-kl < 32 {
			return nil, bad(fmt.Sprintf("leaf %d is truncated", i))
		}
		l := &leaves[i]
		l.key = string(data[k : k+int(kl)])
		copy(l.valueHash[:], data[k+int(kl):])
		data = data[k+int(kl)+32:]
		l.path = pathOfString(l.key)
		if pageOf(&l.path, depth) != p {
			return nil, bad(fmt.Sprintf("key %X belongs to another page", l.key))
		}
		if i > 0 && bytes.Compare(leaves[i-1].path[:], l.path[:]) >= 0 {
			return nil, bad("leaves out of path order")
		}
		l.hash = leafHash(&l.path, &l.valueHash)
	}
	if len(data) != 0 {
		return nil, bad("trailing bytes")
	}
	return &pageContent{leaves: leaves, hash: subtreeHash(leaves, depth)}, nil
}

// encodeSummary is what the top needs of a page at start-up: its number
// of leaves and root hash, and for a page of one leaf that leaf's value
// hash and key.
func encodeSummary(c *pageContent) []byte {
	out := binary.AppendUvarint(make([]byte, 0, 48), uint64(len(c.leaves)))
	out = append(out, c.hash[:]...)
	if len(c.leaves) == 1 {
		out = append(out, c.leaves[0].valueHash[:]...)
		out = append(out, c.leaves[0].key...)
	}
	return out
}

// decodeSummary returns the top node of page p from its summary, and its
// number of leaves.
func decodeSummary(p uint32, depth int, data []byte) (*node, int, error) {
	bad := func(why string) error { return fmt.Errorf("%w: summary of page %x: %s", ErrCorruptPage, p, why) }
	n, k := binary.Uvarint(data)
	if k <= 0 || n == 0 || n > 1<<40 || len(data)-k < 32 {
		return nil, 0, bad("bad leaf count or hash")
	}
	var hash [32]byte
	copy(hash[:], data[k:])
	rest := data[k+32:]
	if n > 1 {
		if len(rest) != 0 {
			return nil, 0, bad("trailing bytes")
		}
		return &node{hash: hash, stub: true, page: p}, int(n), nil
	}
	if len(rest) <= 32 {
		return nil, 0, bad("lone leaf without a key")
	}
	var vh [32]byte
	copy(vh[:], rest)
	key := string(rest[32:])
	path := pathOfString(key)
	if pageOf(&path, depth) != p {
		return nil, 0, bad(fmt.Sprintf("key %X belongs to another page", key))
	}
	if leafHash(&path, &vh) != hash {
		return nil, 0, bad("leaf does not hash to the summary's hash")
	}
	return &node{hash: hash, leaf: &leaf{key: key, valueHash: vh}}, 1, nil
}

// pageNode is one page's node in the top, as OpenPaged and BuildPaged
// gather them.
type pageNode struct {
	page uint32
	node *node
}

// OpenPaged returns the paged tree whose pages are stored in src, from the
// stored summaries of its non-empty pages: summaries calls yield for each,
// in ascending page order. Only the top is built (hashed on all cores);
// pages are read when a write or a proof needs them.
func OpenPaged(depth int, src PageSource, cache *PageCache, summaries func(yield func(page uint32, summary []byte) error) error) (*Tree, error) {
	t, err := NewPaged(depth, src, cache)
	if err != nil {
		return nil, err
	}
	var items []pageNode
	err = summaries(func(p uint32, summary []byte) error {
		if p >= 1<<uint(depth) {
			return fmt.Errorf("%w: page %x beyond page depth %d", ErrCorruptPage, p, depth)
		}
		if len(items) > 0 && p <= items[len(items)-1].page {
			return fmt.Errorf("%w: page %x listed after page %x", ErrCorruptPage, p, items[len(items)-1].page)
		}
		n, count, err := decodeSummary(p, depth, summary)
		if err != nil {
			return err
		}
		t.size += count
		items = append(items, pageNode{p, n})
		return nil
	})
	if err != nil {
		return nil, err
	}
	t.root = buildTop(items, 0, depth, parallelHashDepth(runtime.GOMAXPROCS(0)))
	return t, nil
}

// buildTop returns the top subtree at depth over the page nodes in items
// (sorted, agreeing on their first depth bits), hashed, the top levels
// levels in parallel.
func buildTop(items []pageNode, depth, pageDepth, levels int) *node {
	if len(items) == 0 {
		return nil
	}
	if depth == pageDepth {
		return items[0].node
	}
	split := sort.Search(len(items), func(i int) bool { return pageBit(items[i].page, pageDepth, depth) == 1 })
	var left, right *node
	if levels > 0 {
		var wg sync.WaitGroup
		wg.Go(func() { left = buildTop(items[:split], depth+1, pageDepth, levels-1) })
		right = buildTop(items[split:], depth+1, pageDepth, levels-1)
		wg.Wait()
	} else {
		left = buildTop(items[:split], depth+1, pageDepth, 0)
		right = buildTop(items[split:], depth+1, pageDepth, 0)
	}
	return joined(left, right)
}

// BuildPaged builds the paged tree holding entries (in any order, keys
// distinct and non-empty) and hands every non-empty page to emit, in page
// order, to be stored. The tree returned has no page source: once the
// writes are stored, use Persisted; it reads pages through cache. Pages
// are built on all cores, a group at a time, so that only one group's
// encoded pages are held at once.
func BuildPaged(depth int, entries []Entry, cache *PageCache, emit func(PageWrite) error) (*Tree, error) {
	t, err := NewPaged(depth, nil, cache)
	if err != nil {
		return nil, err
	}
	type item struct {
		path  [32]byte
		entry int
	}
	items := make([]item, len(entries))
	pages := 1 << uint(depth)
	starts := make([]int, pages+1)
	var wg sync.WaitGroup
	workers := max(1, runtime.GOMAXPROCS(0))
	chunk := (len(entries) + workers - 1) / workers
	firstEmpty := make([]int, workers)
	for w := range workers {
		firstEmpty[w] = -1
		wg.Go(func() {
			for i := w * chunk; i < min((w+1)*chunk, len(entries)); i++ {
				if len(entries[i].Key) == 0 {
					firstEmpty[w] = i
					return
				}
				items[i] = item{pathOf(entries[i].Key), i}
			}
		})
	}
	wg.Wait()
	for _, i := range firstEmpty {
		if i >= 0 {
			return nil, fmt.Errorf("%w (entry %d)", ErrEmptyKey, i)
		}
	}
	// Counting sort by page, then each page's few items by path.
	for i := range items {
		starts[pageOf(&items[i].path, depth)+1]++
	}
	for p := range pages {
		starts[p+1] += starts[p]
	}
	sorted := make([]item, len(items))
	at := slices.Clone(starts[:pages])
	for _, it := range items {
		p := pageOf(&it.path, depth)
		sorted[at[p]] = it
		at[p]++
	}
	items, at = nil, nil

	var nodes []pageNode
	const group = 4096
	type built struct {
		node  *node
		write PageWrite
		err   error
	}
	results := make([]built, group)
	for first := 0; first < pages; first += group {
		last := min(first+group, pages)
		var next sync.Mutex
		cur := first
		for range workers {
			wg.Go(func() {
				for {
					next.Lock()
					p := cur
					cur++
					next.Unlock()
					if p >= last {
						return
					}
					r := &results[p-first]
					*r = built{}
					its := sorted[starts[p]:starts[p+1]]
					if len(its) == 0 {
						continue
					}
					slices.SortFunc(its, func(a, b item) int { return bytes.Compare(a.path[:], b.path[:]) })
					leaves := make([]pageLeaf, len(its))
					for i, it := range its {
						e := &entries[it.entry]
						if i > 0 && its[i-1].path == it.path {
							other := entries[its[i-1].entry].Key
							if bytes.Equal(other, e.Key) {
								r.err = fmt.Errorf("%w: %X", ErrDuplicateKey, e.Key)
							} else {
								r.err = fmt.Errorf("%w: keys %X and %X", ErrPathCollision, other, e.Key)
							}
							break
						}
						leaves[i] = pageLeaf{path: it.path, valueHash: e.ValueHash, hash: leafHash(&it.path, &e.ValueHash), key: string(e.Key)}
					}
					if r.err != nil {
						continue
					}
					c := &pageContent{leaves: leaves, hash: subtreeHash(leaves, depth)}
					r.node = c.summaryNode(uint32(p))
					r.write = c.write(uint32(p))
				}
			})
		}
		wg.Wait()
		for p := first; p < last; p++ {
			r := &results[p-first]
			if r.err != nil {
				return nil, r.err
			}
			if r.node == nil {
				continue
			}
			nodes = append(nodes, pageNode{uint32(p), r.node})
			if err := emit(r.write); err != nil {
				return nil, err
			}
		}
	}
	t.size = len(entries)
	t.root = buildTop(nodes, 0, depth, parallelHashDepth(runtime.GOMAXPROCS(0)))
	return t, nil
}

// Cache returns the page cache a paged tree reads through (nil if none or
// not paged).
func (t *Tree) Cache() *PageCache {
	if t.pg == nil {
		return nil
	}
	return t.pg.cache
}
