package smt

import (
	"fmt"
	"maps"
	"runtime"
	"sync"
)

// Tree is a binary sparse Merkle tree over SHA-256 paths of keys.
//
// A Tree that is being written belongs to one goroutine: its writes, Root
// and proofs must not run at the same time as each other. A Snapshot is an
// independent Tree that shares the origin's nodes; as long as nobody writes
// to the snapshot itself, any number of goroutines may read it (Root, Has,
// ValueHash, proofs) while the origin is written.
//
// The zero Tree is an empty tree ready to use.
type Tree struct {
	root *node
	size int
	// writes counts the changes since the root was last computed, to decide
	// whether hashing them is worth more than one core.
	writes int
	// pg is set for a paged tree (paged.go): only the top is in memory.
	pg *paging
}

// node is a leaf (leaf != nil) or an inner node (leaf == nil, at least one
// child set). A subtree with exactly one leaf is always that leaf itself, so
// every inner node has at least two leaves below it.
//
// Nodes are shared between a tree and its snapshots, so a node whose hash is
// known (dirty == false) is never changed again. A dirty node was created by
// a write since the owning tree last computed its root; Snapshot computes the
// root first, so a dirty node is reachable from one tree only and that tree
// may update it in place.
type node struct {
	hash  [32]byte
	left  *node
	right *node
	leaf  *leaf
	dirty bool
	// stub marks the root of a stored page of a paged tree: hash is known,
	// left and right are nil, and the page's nodes are read when needed.
	stub bool
	page uint32
}

// leaf is what a leaf keeps: its original key, so proofs can name it, and
// the hash of its value. The value itself lives in the caller's store.
type leaf struct {
	key       string
	valueHash [32]byte
}

// New returns an empty tree.
func New() *Tree {
	return &Tree{}
}

// leafNode puts a leaf node and its leaf in one allocation.
type leafNode struct {
	node node
	leaf leaf
}

// newLeaf returns a leaf node with its hash computed; leaves are never dirty.
func newLeaf(key string, path, valueHash *[32]byte) *node {
	ln := &leafNode{leaf: leaf{key: key, valueHash: *valueHash}}
	ln.node = node{hash: leafHash(path, valueHash), leaf: &ln.leaf}
	return &ln.node
}

// Len returns the number of keys in the tree; for a paged tree, as of the
// last Sum or Root.
func (t *Tree) Len() int {
	return t.size
}

// Set commits value under key, replacing any earlier value.
func (t *Tree) Set(key, value []byte) error {
	if len(value) == 0 {
		return fmt.Errorf("%w for key %X (delete the key instead)", ErrEmptyValue, key)
	}
	return t.SetHash(key, valueHashOf(value))
}

// SetHash commits a value given only its SHA-256 hash, replacing any earlier
// value. It is what Set does after hashing the value.
func (t *Tree) SetHash(key []byte, valueHash [32]byte) error {
	if len(key) == 0 {
		return ErrEmptyKey
	}
	path := pathOf(key)
	if t.pg != nil {
		t.pg.add(pendingChange{key: string(key), path: path, valueHash: valueHash})
		return nil
	}
	root, err := t.insert(t.root, 0, &path, string(key), &valueHash)
	if err != nil {
		return err
	}
	t.noteWrite(root)
	return nil
}

// noteWrite installs the root that a write returned and counts the write
// unless it changed nothing. A write that changes nothing returns the same
// clean root and leaves the tree as it was, so a snapshot nobody changes
// is never written to.
func (t *Tree) noteWrite(root *node) {
	if root == t.root && (root == nil || !root.dirty) {
		return
	}
	t.root = root
	t.writes++
}

// insert returns n with the leaf for key set to valueHash. It returns n
// itself when nothing changes, so an unchanged write copies no nodes.
func (t *Tree) insert(n *node, depth int, path *[32]byte, key string, valueHash *[32]byte) (*node, error) {
	if n == nil {
		t.size++
		return newLeaf(key, path, valueHash), nil
	}
	if n.leaf != nil {
		if n.leaf.key == key {
			if n.leaf.valueHash == *valueHash {
				return n, nil
			}
			return newLeaf(n.leaf.key, path, valueHash), nil
		}
		return t.split(n, depth, path, key, valueHash)
	}
	if bitAt(path, depth) == 0 {
		child, err := t.insert(n.left, depth+1, path, key, valueHash)
		if err != nil || child == n.left {
			return n, err
		}
		n = own(n)
		n.left = child
	} else {
		child, err := t.insert(n.right, depth+1, path, key, valueHash)
		if err != nil || child == n.right {
			return n, err
		}
		n = own(n)
		n.right = child
	}
	return n, nil
}

// split replaces the leaf old, met at depth on the way to path, by the
// smallest subtree holding both old and a new leaf for key: inner nodes with
// one empty side down to the first bit where the two paths part.
func (t *Tree) split(old *node, depth int, path *[32]byte, key string, valueHash *[32]byte) (*node, error) {
	oldPath := pathOfString(old.leaf.key)
	fork := firstDifferingBit(&oldPath, path, depth)
	if fork == maxDepth {
		return nil, fmt.Errorf("%w: keys %X and %X", ErrPathCollision, old.leaf.key, key)
	}
	added := newLeaf(key, path, valueHash)
	sub := &node{dirty: true}
	if bitAt(path, fork) == 0 {
		sub.left, sub.right = added, old
	} else {
		sub.left, sub.right = old, added
	}
	for d := fork - 1; d >= depth; d-- {
		if bitAt(path, d) == 0 {
			sub = &node{left: sub, dirty: true}
		} else {
			sub = &node{right: sub, dirty: true}
		}
	}
	t.size++
	return sub, nil
}

// own returns a node of the writing tree that can be changed in place: n
// itself if it is dirty (so not shared), else a dirty copy of it.
func own(n *node) *node {
	if n.dirty {
		return n
	}
	c := *n
	c.dirty = true
	return &c
}

// Delete removes key from the tree. Deleting an absent key does nothing.
func (t *Tree) Delete(key []byte) {
	if len(key) == 0 {
		return
	}
	if t.pg != nil {
		t.pg.add(pendingChange{key: string(key), path: pathOf(key), del: true})
		return
	}
	if t.root == nil {
		return
	}
	path := pathOf(key)
	t.noteWrite(t.remove(t.root, 0, &path, string(key)))
}

// remove returns n without the leaf for key, collapsing any subtree left with
// a single leaf into that leaf. It returns n itself when key is absent.
func (t *Tree) remove(n *node, depth int, path *[32]byte, key string) *node {
	if n == nil {
		return nil
	}
	if n.leaf != nil {
		if n.leaf.key == key {
			t.size--
			return nil
		}
		return n
	}
	left, right := n.left, n.right
	if bitAt(path, depth) == 0 {
		left = t.remove(n.left, depth+1, path, key)
		if left == n.left {
			return n
		}
	} else {
		right = t.remove(n.right, depth+1, path, key)
		if right == n.right {
			return n
		}
	}
	// A leaf left alone in this subtree moves up to take its place. Its hash
	// does not depend on its depth, so the node is reused as it is.
	if n, ok := collapsed(left, right); ok {
		return n
	}
	n = own(n)
	n.left, n.right = left, right
	return n
}

// Has reports whether key is in the tree.
func (t *Tree) Has(key []byte) bool {
	_, ok := t.ValueHash(key)
	return ok
}

// ValueHash returns the SHA-256 hash of the value committed under key, and
// whether key is in the tree. A paged tree that cannot read a page answers
// false; Lookup returns the error.
func (t *Tree) ValueHash(key []byte) ([32]byte, bool) {
	vh, ok, _ := t.Lookup(key)
	return vh, ok
}

// Lookup is ValueHash with the error of a paged tree that cannot read a
// page. It applies pending writes first, as Sum does.
func (t *Tree) Lookup(key []byte) ([32]byte, bool, error) {
	if len(key) == 0 {
		return [32]byte{}, false, nil
	}
	if _, err := t.Sum(); err != nil {
		return [32]byte{}, false, err
	}
	path := pathOf(key)
	n, _, err := t.walk(&path)
	if err != nil || n == nil || n.leaf.key != string(key) {
		return [32]byte{}, false, err
	}
	return n.leaf.valueHash, true, nil
}

// Root returns the root hash: 32 zero bytes for an empty tree. It hashes
// only the nodes written since the last call, bottom-up, on several cores
// when there are many.
//
// On a tree with nothing pending, such as a snapshot nobody writes to, Root
// only reads, so any number of goroutines may call it at once.
//
// A paged tree reads the pages its pending writes change, which can fail:
// use Sum, which returns the error; Root then returns 32 zero bytes.
func (t *Tree) Root() [32]byte {
	root, _ := t.Sum()
	return root
}

// rootHash hashes the dirty nodes of the top (all nodes of an all-in-memory
// tree) and returns the root.
func (t *Tree) rootHash() [32]byte {
	if t.writes != 0 {
		if t.root != nil && t.writes >= parallelHashWrites {
			rehashParallel(t.root, parallelHashDepth(runtime.GOMAXPROCS(0)))
		} else if t.root != nil {
			rehash(t.root)
		}
		t.writes = 0
	}
	if t.root == nil {
		return emptyHash
	}
	return t.root.hash
}

// parallelHashWrites is the number of pending writes from which Root hashes
// the top subtrees in parallel: below it, starting goroutines costs more
// than it saves.
const parallelHashWrites = 64

// parallelHashDepth returns how many levels from the root rehashParallel
// splits the work at to keep the given number of cores busy.
func parallelHashDepth(cores int) int {
	depth := 0
	for 1<<depth < cores && depth < 6 {
		depth++
	}
	return depth
}

// rehashParallel is rehash with the two subtrees of the nodes in the top
// levels levels hashed at the same time. Dirty nodes are reachable from one
// tree only, so the two goroutines never write the same node.
func rehashParallel(n *node, levels int) {
	if !n.dirty {
		return
	}
	if levels == 0 || n.left == nil || n.right == nil || !n.left.dirty || !n.right.dirty {
		rehash(n)
		return
	}
	var wg sync.WaitGroup
	wg.Go(func() { rehashParallel(n.left, levels-1) })
	rehashParallel(n.right, levels-1)
	wg.Wait()
	n.hash = innerHash(&n.left.hash, &n.right.hash)
	n.dirty = false
}

// rehash computes the hashes of the dirty nodes under n and of n itself.
func rehash(n *node) {
	if !n.dirty {
		return
	}
	left, right := &emptyHash, &emptyHash
	if n.left != nil {
		rehash(n.left)
		left = &n.left.hash
	}
	if n.right != nil {
		rehash(n.right)
		right = &n.right.hash
	}
	n.hash = innerHash(left, right)
	n.dirty = false
}

// Snapshot returns a copy of the tree in O(1) after the root is computed.
// Later writes to either tree never affect the other; the snapshot can be
// read (Root, Has, proofs) from many goroutines while the origin is written.
//
// A snapshot of a paged tree shares its page source and cache, and copies
// the table of pages written since the last persist (O(pages written)).
func (t *Tree) Snapshot() *Tree {
	t.Root()
	s := &Tree{root: t.root, size: t.size}
	if t.pg != nil {
		s.pg = &paging{depth: t.pg.depth, src: t.pg.src, cache: t.pg.cache, written: maps.Clone(t.pg.written), err: t.pg.err}
	}
	return s
}
