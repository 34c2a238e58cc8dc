package smt

import (
	"fmt"
	"math"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
)

// Entry is one key and the SHA-256 hash of its value, as Build takes them.
type Entry struct {
	Key       []byte
	ValueHash [32]byte
}

// bucketBits is how many leading path bits Build partitions by: the entries
// of each of the 2^bucketBits buckets are built into a subtree on their
// own, in parallel, then joined under the top bucketBits levels.
const (
	bucketBits = 8
	buckets    = 1 << bucketBits
)

// buildItem is an entry's path and the index of its leaf, as Build
// partitions them. It holds no pointer, so the garbage collector neither
// scans the items nor slows down moving them.
type buildItem struct {
	path [32]byte
	leaf int32
}

// keyBlockSize is the size of the strings that Build copies keys into, so
// that the leaves' keys are substrings of a few allocations rather than one
// each. A deleted key's bytes stay until the other keys of its block are
// gone too.
const keyBlockSize = 64 << 10

// Build returns a tree holding entries, given in any order; its root is the
// root that setting them one by one would give. Keys must be distinct and
// non-empty. Build uses all cores; its result does not depend on scheduling.
func Build(entries []Entry) (*Tree, error) {
	if len(entries) > math.MaxInt32 {
		return nil, fmt.Errorf("smt: Build takes at most %d entries, not %d", math.MaxInt32, len(entries))
	}
	leaves, items, starts, err := bucketLeaves(entries)
	if err != nil {
		return nil, err
	}
	bb := builder{leaves: leaves}
	// Workers take buckets in turn; each bucket's result has its own slot.
	var (
		subtrees [buckets]*node
		errs     [buckets]error
		next     atomic.Int64
		wg       sync.WaitGroup
	)
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for {
				b := int(next.Add(1) - 1)
				if b >= buckets {
					return
				}
				subtrees[b], errs[b] = bb.subtree(items[starts[b]:starts[b+1]], bucketBits)
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return &Tree{root: joinBuckets(subtrees[:], 0), size: len(entries)}, nil
}

// bucketLeaves makes the leaves of entries, in parallel, and returns them
// with their items grouped by the leading bucketBits bits of their paths:
// bucket b is items[starts[b]:starts[b+1]].
func bucketLeaves(entries []Entry) (leaves []*node, items []buildItem, starts [buckets + 1]int, err error) {
	workers := runtime.GOMAXPROCS(0)
	chunk := (len(entries) + workers - 1) / workers
	leaves = make([]*node, len(entries))
	paths := make([]buildItem, len(entries))
	counts := make([][buckets]int, workers)
	firstEmpty := make([]int, workers)
	var wg sync.WaitGroup
	for w := range workers {
		firstEmpty[w] = -1
		wg.Go(func() {
			var keys strings.Builder
			for i := w * chunk; i < min((w+1)*chunk, len(entries)); i++ {
				e := &entries[i]
				if len(e.Key) == 0 {
					firstEmpty[w] = i
					return
				}
				if keys.Len()+len(e.Key) > keys.Cap() {
					keys = strings.Builder{}
					keys.Grow(max(keyBlockSize, len(e.Key)))
				}
				// Written bytes never change, so the substring stays valid.
				from := keys.Len()
				keys.Write(e.Key)
				key := keys.String()[from:]
				item := &paths[i]
				item.path = pathOf(e.Key)
				item.leaf = int32(i)
				leaves[i] = newLeaf(key, &item.path, &e.ValueHash)
				counts[w][bucketOf(&item.path)]++
			}
		})
	}
	wg.Wait()
	for _, i := range firstEmpty {
		if i >= 0 {
			return nil, nil, starts, fmt.Errorf("%w (entry %d)", ErrEmptyKey, i)
		}
	}
	// Each worker scatters its chunk to its own places in every bucket.
	offsets := make([][buckets]int, workers)
	at := 0
	for b := range buckets {
		starts[b] = at
		for w := range workers {
			offsets[w][b] = at
			at += counts[w][b]
		}
	}
	starts[buckets] = at
	items = make([]buildItem, len(entries))
	for w := range workers {
		wg.Go(func() {
			for i := w * chunk; i < min((w+1)*chunk, len(entries)); i++ {
				b := bucketOf(&paths[i].path)
				items[offsets[w][b]] = paths[i]
				offsets[w][b]++
			}
		})
	}
	wg.Wait()
	return leaves, items, starts, nil
}

// bucketOf returns the leading bucketBits bits of a path.
func bucketOf(path *[32]byte) int {
	return int(path[0]) >> (8 - bucketBits)
}

// builder holds the leaves that Build's items point to.
type builder struct {
	leaves []*node
}

// subtree returns the subtree at depth holding items, whose paths agree on
// their first depth bits; it reorders items. Every node is hashed.
func (bb builder) subtree(items []buildItem, depth int) (*node, error) {
	switch len(items) {
	case 0:
		return nil, nil
	case 1:
		return bb.leaves[items[0].leaf], nil
	case 2:
		return bb.pair(&items[0], &items[1], depth)
	}
	if depth == maxDepth {
		// More than two items agree on every bit: pair reports them.
		return bb.pair(&items[0], &items[1], depth)
	}
	// Partition in place: the items going left at this depth come first.
	lo, hi := 0, len(items)-1
	for lo <= hi {
		if bitAt(&items[lo].path, depth) == 0 {
			lo++
		} else {
			items[lo], items[hi] = items[hi], items[lo]
			hi--
		}
	}
	left, err := bb.subtree(items[:lo], depth+1)
	if err != nil {
		return nil, err
	}
	right, err := bb.subtree(items[lo:], depth+1)
	if err != nil {
		return nil, err
	}
	return joined(left, right), nil
}

// pair returns the subtree at depth holding exactly the two items a and b.
func (bb builder) pair(a, b *buildItem, depth int) (*node, error) {
	fork := firstDifferingBit(&a.path, &b.path, depth)
	if fork == maxDepth {
		ka, kb := bb.leaves[a.leaf].leaf.key, bb.leaves[b.leaf].leaf.key
		if ka == kb {
			return nil, fmt.Errorf("%w: %X", ErrDuplicateKey, ka)
		}
		return nil, fmt.Errorf("%w: keys %X and %X", ErrPathCollision, ka, kb)
	}
	if bitAt(&a.path, fork) == 1 {
		a, b = b, a
	}
	sub := joined(bb.leaves[a.leaf], bb.leaves[b.leaf])
	for d := fork - 1; d >= depth; d-- {
		if bitAt(&a.path, d) == 0 {
			sub = joined(sub, nil)
		} else {
			sub = joined(nil, sub)
		}
	}
	return sub, nil
}

// joinBuckets returns the subtree at depth over the bucket subtrees in
// subtrees, which cover every path that starts like the subtree's.
func joinBuckets(subtrees []*node, depth int) *node {
	if depth == bucketBits {
		return subtrees[0]
	}
	half := len(subtrees) / 2
	return joined(joinBuckets(subtrees[:half], depth+1), joinBuckets(subtrees[half:], depth+1))
}

// collapsed says what takes the place of a node over two child subtrees
// when it is not an inner node: nothing when both are empty, or a leaf left
// alone, which moves up (a leaf's hash does not depend on its depth).
func collapsed(left, right *node) (*node, bool) {
	switch {
	case left == nil && right == nil:
		return nil, true
	case left == nil && right.leaf != nil:
		return right, true
	case right == nil && left.leaf != nil:
		return left, true
	}
	return nil, false
}

// joined returns the hashed node over two child subtrees, collapsing a lone
// leaf into its parent's place.
func joined(left, right *node) *node {
	if n, ok := collapsed(left, right); ok {
		return n
	}
	n := &node{left: left, right: right}
	lh, rh := &emptyHash, &emptyHash
	if left != nil {
		lh = &left.hash
	}
	if right != nil {
		rh = &right.hash
	}
	n.hash = innerHash(lh, rh)
	return n
}
