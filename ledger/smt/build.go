package smt

import (
	"bytes"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
)

// Entry is one key and the SHA-256 hash of its value, as Build takes them.
type Entry struct {
	Key       []byte
	ValueHash [32]byte
}

// bucketBits is how many leading path bits Build partitions by: the entries
// of each of the 2^bucketBits buckets are sorted and built on their own, in
// parallel, then joined under the top bucketBits levels.
const bucketBits = 8

// buildItem is an entry with its path, as Build sorts them.
type buildItem struct {
	path  [32]byte
	entry int
}

// Build returns a tree holding entries, given in any order; its root is the
// root that setting them one by one would give. Keys must be distinct and
// non-empty. Build uses all cores; its result does not depend on scheduling.
func Build(entries []Entry) (*Tree, error) {
	// Counting sort on the leading path bits: bucket b holds the items whose
	// paths start with b, in items[starts[b]:starts[b+1]].
	paths := make([]buildItem, len(entries))
	var counts [1<<bucketBits + 1]int
	for i := range entries {
		if len(entries[i].Key) == 0 {
			return nil, fmt.Errorf("%w (entry %d)", ErrEmptyKey, i)
		}
		paths[i] = buildItem{path: pathOf(entries[i].Key), entry: i}
		counts[bucketOf(&paths[i].path)+1]++
	}
	starts := counts
	for b := 1; b < len(starts); b++ {
		starts[b] += starts[b-1]
	}
	items := make([]buildItem, len(entries))
	next := starts
	for i := range paths {
		b := bucketOf(&paths[i].path)
		items[next[b]] = paths[i]
		next[b]++
	}
	paths = nil

	// Sort and build every bucket's subtree; the workers take buckets in
	// turn and each bucket's result is stored in its own slot.
	var (
		subtrees [1 << bucketBits]*node
		errs     [1 << bucketBits]error
		nextB    atomic.Int64
		wg       sync.WaitGroup
	)
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for {
				b := int(nextB.Add(1) - 1)
				if b >= 1<<bucketBits {
					return
				}
				bucket := items[starts[b]:starts[b+1]]
				slices.SortFunc(bucket, func(x, y buildItem) int { return bytes.Compare(x.path[:], y.path[:]) })
				if errs[b] = checkDistinct(entries, bucket); errs[b] == nil {
					subtrees[b] = buildSorted(entries, bucket, bucketBits)
				}
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

// bucketOf returns the leading bucketBits bits of a path.
func bucketOf(path *[32]byte) int {
	return int(path[0]) >> (8 - bucketBits)
}

// checkDistinct reports two equal paths in a sorted bucket: the same key
// given twice, or two keys whose SHA-256 hashes collide.
func checkDistinct(entries []Entry, sorted []buildItem) error {
	for i := 1; i < len(sorted); i++ {
		if sorted[i].path != sorted[i-1].path {
			continue
		}
		a, b := entries[sorted[i-1].entry].Key, entries[sorted[i].entry].Key
		if bytes.Equal(a, b) {
			return fmt.Errorf("%w: %X", ErrDuplicateKey, a)
		}
		return fmt.Errorf("%w: keys %X and %X", ErrPathCollision, a, b)
	}
	return nil
}

// buildSorted returns the subtree at depth holding items, which are sorted
// by path and agree on the first depth bits. Every node is hashed.
func buildSorted(entries []Entry, items []buildItem, depth int) *node {
	switch len(items) {
	case 0:
		return nil
	case 1:
		e := &entries[items[0].entry]
		return newLeaf(string(e.Key), &items[0].path, &e.ValueHash)
	}
	// The first item going right at this depth; items agree on earlier bits.
	split, _ := slices.BinarySearchFunc(items, 1, func(it buildItem, bit int) int {
		return bitAt(&it.path, depth) - bit
	})
	left := buildSorted(entries, items[:split], depth+1)
	right := buildSorted(entries, items[split:], depth+1)
	return joined(left, right)
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

// joined returns the hashed node over two child subtrees, collapsing a lone
// leaf into its parent's place.
func joined(left, right *node) *node {
	switch {
	case left == nil && right == nil:
		return nil
	case left == nil && right.leaf != nil:
		return right
	case right == nil && left.leaf != nil:
		return left
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
