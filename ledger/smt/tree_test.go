package smt

import (
	"errors"
	"math/rand"
	"testing"
)

// The keys of the hand-computed trees, with the leading bits of their paths
// (SHA-256 of the key), which decide where their leaves sit.
var handKeys = map[string]string{
	"k0":  "11010001",
	"k1":  "01101010",
	"k2":  "00000001",
	"k30": "00000100",
}

func TestHandKeysHaveTheirPaths(t *testing.T) {
	for key, bits := range handKeys {
		if got := pathBits(key, len(bits)); got != bits {
			t.Fatalf("path of %q starts %s, the tables assume %s", key, got, bits)
		}
	}
}

// wrapLeft returns n inner nodes above sub, each with sub's side on the
// left and an empty right: the chain above two leaves that share n leading
// path bits, all 0.
func wrapLeft(sub [32]byte, n int) [32]byte {
	for range n {
		sub = innerOf(sub, zeroHash)
	}
	return sub
}

func TestSmallTreeRoots(t *testing.T) {
	tests := []struct {
		name string
		kv   map[string]string
		want [32]byte
	}{
		{"empty", nil, zeroHash},
		{"one leaf is the root", map[string]string{"k0": "a"},
			leafOf("k0", "a")},
		{"two leaves parting at bit 0", map[string]string{"k1": "a", "k0": "b"},
			innerOf(leafOf("k1", "a"), leafOf("k0", "b"))},
		{"two leaves parting at bit 1", map[string]string{"k2": "a", "k1": "b"},
			innerOf(innerOf(leafOf("k2", "a"), leafOf("k1", "b")), zeroHash)},
		{"two leaves parting at bit 5", map[string]string{"k2": "a", "k30": "b"},
			wrapLeft(innerOf(leafOf("k2", "a"), leafOf("k30", "b")), 5)},
		{"three leaves", map[string]string{"k2": "a", "k1": "b", "k0": "c"},
			innerOf(innerOf(leafOf("k2", "a"), leafOf("k1", "b")), leafOf("k0", "c"))},
		{"three leaves, two deep", map[string]string{"k2": "a", "k30": "b", "k0": "c"},
			innerOf(wrapLeft(innerOf(leafOf("k2", "a"), leafOf("k30", "b")), 4), leafOf("k0", "c"))},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tree := treeOf(t, tc.kv)
			if got := tree.Root(); got != tc.want {
				t.Fatalf("Root = %x, want %x", got, tc.want)
			}
			if got := modelRoot(tc.kv); got != tc.want {
				t.Fatalf("model root = %x, want %x", got, tc.want)
			}
			if tree.Len() != len(tc.kv) {
				t.Fatalf("Len = %d, want %d", tree.Len(), len(tc.kv))
			}
			built, err := Build(entriesOf(tc.kv))
			if err != nil {
				t.Fatal(err)
			}
			if got := built.Root(); got != tc.want {
				t.Fatalf("Build root = %x, want %x", got, tc.want)
			}
		})
	}
}

func TestDeleteCollapsesLeaves(t *testing.T) {
	tree := treeOf(t, map[string]string{"k2": "a", "k30": "b", "k0": "c"})
	tree.Delete([]byte("k0"))
	if got, want := tree.Root(), wrapLeft(innerOf(leafOf("k2", "a"), leafOf("k30", "b")), 5); got != want {
		t.Fatalf("after deleting k0: %x, want %x", got, want)
	}
	// k2 is alone: its leaf moves from depth 6 to the root.
	tree.Delete([]byte("k30"))
	if got, want := tree.Root(), leafOf("k2", "a"); got != want {
		t.Fatalf("after deleting k30: %x, want the k2 leaf %x", got, want)
	}
	tree.Delete([]byte("k2"))
	if got := tree.Root(); got != zeroHash || tree.Len() != 0 {
		t.Fatalf("after deleting all: root %x, Len %d", got, tree.Len())
	}
}

func TestSetDeleteHasLen(t *testing.T) {
	tree := New()
	if err := tree.Set([]byte("a"), []byte("1")); err != nil {
		t.Fatal(err)
	}
	if err := tree.Set([]byte("a"), []byte("2")); err != nil {
		t.Fatal(err)
	}
	if !tree.Has([]byte("a")) || tree.Has([]byte("b")) || tree.Len() != 1 {
		t.Fatalf("Has(a)=%v Has(b)=%v Len=%d", tree.Has([]byte("a")), tree.Has([]byte("b")), tree.Len())
	}
	if vh, ok := tree.ValueHash([]byte("a")); !ok || vh != valueHashOf([]byte("2")) {
		t.Fatalf("ValueHash(a) = %x, %v", vh, ok)
	}
	if got, want := tree.Root(), leafOf("a", "2"); got != want {
		t.Fatalf("overwritten value: root %x, want %x", got, want)
	}
	before := tree.Root()
	tree.Delete([]byte("absent"))
	tree.Delete(nil)
	if tree.Root() != before || tree.Len() != 1 {
		t.Fatal("deleting an absent key changed the tree")
	}
	if err := tree.SetHash([]byte("b"), valueHashOf([]byte("x"))); err != nil {
		t.Fatal(err)
	}
	if got, want := tree.Root(), modelRoot(map[string]string{"a": "2", "b": "x"}); got != want {
		t.Fatalf("SetHash: root %x, want %x", got, want)
	}
}

func TestSetRejectsEmptyKeyOrValue(t *testing.T) {
	tree := New()
	if err := tree.Set(nil, []byte("v")); !errors.Is(err, ErrEmptyKey) {
		t.Fatalf("empty key: %v", err)
	}
	if err := tree.Set([]byte("k"), nil); !errors.Is(err, ErrEmptyValue) {
		t.Fatalf("empty value: %v", err)
	}
	if err := tree.SetHash(nil, [32]byte{}); !errors.Is(err, ErrEmptyKey) {
		t.Fatalf("SetHash empty key: %v", err)
	}
	if tree.Len() != 0 || tree.Root() != zeroHash {
		t.Fatal("a rejected write changed the tree")
	}
}

func TestRootIndependentOfWriteOrder(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	kv := randomKV(rng, 300)
	keys := sortedKeys(kv)
	want := modelRoot(kv)
	for perm := range 6 {
		rng.Shuffle(len(keys), func(i, j int) { keys[i], keys[j] = keys[j], keys[i] })
		tree := New()
		for i, k := range keys {
			// Odd permutations write a stale value first and overwrite it.
			if perm%2 == 1 && i%3 == 0 {
				if err := tree.Set([]byte(k), []byte("stale")); err != nil {
					t.Fatal(err)
				}
				tree.Root()
			}
			if err := tree.Set([]byte(k), []byte(kv[k])); err != nil {
				t.Fatal(err)
			}
		}
		if got := tree.Root(); got != want {
			t.Fatalf("permutation %d: root %x, want %x", perm, got, want)
		}
	}
}

func TestDeletesRestorePreviousRoot(t *testing.T) {
	rng := rand.New(rand.NewSource(2))
	base := randomKV(rng, 200)
	tree := treeOf(t, base)
	baseRoot := tree.Root()
	extra := randomKV(rng, 150)
	for _, k := range sortedKeys(extra) {
		if _, clash := base[k]; clash {
			continue
		}
		if err := tree.Set([]byte(k), []byte(extra[k])); err != nil {
			t.Fatal(err)
		}
	}
	if tree.Root() == baseRoot {
		t.Fatal("adding keys did not change the root")
	}
	extraKeys := sortedKeys(extra)
	rng.Shuffle(len(extraKeys), func(i, j int) { extraKeys[i], extraKeys[j] = extraKeys[j], extraKeys[i] })
	for _, k := range extraKeys {
		if _, clash := base[k]; !clash {
			tree.Delete([]byte(k))
		}
	}
	if got := tree.Root(); got != baseRoot || tree.Len() != len(base) {
		t.Fatalf("after deleting the added keys: root %x Len %d, want %x and %d", got, tree.Len(), baseRoot, len(base))
	}
	// Deleting everything gives the empty root, whatever the order.
	for _, k := range sortedKeys(base) {
		tree.Delete([]byte(k))
	}
	if tree.Root() != zeroHash || tree.Len() != 0 {
		t.Fatalf("after deleting all: %x, Len %d", tree.Root(), tree.Len())
	}
}

func TestUnchangedWriteKeepsNodes(t *testing.T) {
	kv := randomKV(rand.New(rand.NewSource(3)), 50)
	tree := treeOf(t, kv)
	tree.Root()
	root := tree.root
	k := sortedKeys(kv)[7]
	if err := tree.Set([]byte(k), []byte(kv[k])); err != nil {
		t.Fatal(err)
	}
	if tree.root != root || tree.root.dirty {
		t.Fatal("writing the value a key already holds copied nodes")
	}
}

func TestSnapshotIsolation(t *testing.T) {
	rng := rand.New(rand.NewSource(4))
	kv := randomKV(rng, 500)
	origin := treeOf(t, kv)
	snap := origin.Snapshot()
	snapRoot := snap.Root()
	if snapRoot != modelRoot(kv) || snap.Len() != len(kv) {
		t.Fatal("snapshot differs from its origin")
	}

	// Write the origin: the snapshot keeps the old state.
	keys := sortedKeys(kv)
	changed := make(map[string]string, len(kv))
	for k, v := range kv {
		changed[k] = v
	}
	for i, k := range keys {
		switch i % 3 {
		case 0:
			origin.Delete([]byte(k))
			delete(changed, k)
		case 1:
			if err := origin.Set([]byte(k), []byte("new")); err != nil {
				t.Fatal(err)
			}
			changed[k] = "new"
		}
	}
	if err := origin.Set([]byte("fresh key"), []byte("v")); err != nil {
		t.Fatal(err)
	}
	changed["fresh key"] = "v"
	if got := origin.Root(); got != modelRoot(changed) {
		t.Fatalf("origin root %x, want %x", got, modelRoot(changed))
	}
	if snap.Root() != snapRoot || snap.Len() != len(kv) || snap.Has([]byte("fresh key")) || !snap.Has([]byte(keys[0])) {
		t.Fatal("writes to the origin reached the snapshot")
	}

	// Write the snapshot: the origin keeps its state.
	originRoot := origin.Root()
	for _, k := range keys[:50] {
		snap.Delete([]byte(k))
	}
	if err := snap.Set([]byte("snapshot key"), []byte("v")); err != nil {
		t.Fatal(err)
	}
	if origin.Root() != originRoot || origin.Has([]byte("snapshot key")) {
		t.Fatal("writes to the snapshot reached the origin")
	}
	if snap.Root() == snapRoot {
		t.Fatal("writes to the snapshot did not change it")
	}

	// A snapshot taken with writes pending sees them; the two trees then part.
	if err := origin.Set([]byte("pending"), []byte("v")); err != nil {
		t.Fatal(err)
	}
	second := origin.Snapshot()
	origin.Delete([]byte("pending"))
	if !second.Has([]byte("pending")) || origin.Has([]byte("pending")) || origin.Root() != originRoot {
		t.Fatal("a snapshot with pending writes is not isolated")
	}
}

func TestSnapshotReadersWhileOriginIsWritten(t *testing.T) {
	// Run with -race: readers of a snapshot share nodes with a writer.
	rng := rand.New(rand.NewSource(5))
	kv := randomKV(rng, 2000)
	origin := treeOf(t, kv)
	snap := origin.Snapshot()
	want := snap.Root()
	keys := sortedKeys(kv)

	results := make(chan error, 4)
	for r := range 4 {
		go func() {
			for i := r; i < len(keys); i += 40 {
				proof, err := snap.ProveExistence([]byte(keys[i]), []byte(kv[keys[i]]))
				if err == nil {
					err = VerifyExistence(want, proof, []byte(keys[i]), []byte(kv[keys[i]]))
				}
				if err == nil && snap.Root() != want {
					err = errors.New("snapshot root moved")
				}
				if err != nil {
					results <- err
					return
				}
			}
			results <- nil
		}()
	}
	for i, k := range keys {
		if i%2 == 0 {
			origin.Delete([]byte(k))
		} else if err := origin.Set([]byte(k), []byte("changed")); err != nil {
			t.Fatal(err)
		}
		if i%100 == 0 {
			origin.Root()
		}
	}
	for range 4 {
		if err := <-results; err != nil {
			t.Fatal(err)
		}
	}
}

func entriesOf(kv map[string]string) []Entry {
	entries := make([]Entry, 0, len(kv))
	for _, k := range sortedKeys(kv) {
		entries = append(entries, Entry{Key: []byte(k), ValueHash: valueHashOf([]byte(kv[k]))})
	}
	return entries
}

func TestBuildMatchesSet(t *testing.T) {
	rng := rand.New(rand.NewSource(6))
	for _, n := range []int{0, 1, 2, 3, 17, 256, 5000} {
		kv := randomKV(rng, n)
		entries := entriesOf(kv)
		rng.Shuffle(len(entries), func(i, j int) { entries[i], entries[j] = entries[j], entries[i] })
		built, err := Build(entries)
		if err != nil {
			t.Fatal(err)
		}
		set := treeOf(t, kv)
		if built.Root() != set.Root() || built.Len() != n {
			t.Fatalf("%d entries: Build root %x Len %d, Set root %x", n, built.Root(), built.Len(), set.Root())
		}
		// The built tree takes writes like any other.
		for i, k := range sortedKeys(kv) {
			if i%2 == 0 {
				built.Delete([]byte(k))
				set.Delete([]byte(k))
			}
		}
		if err := built.Set([]byte("after build"), []byte("v")); err != nil {
			t.Fatal(err)
		}
		if err := set.Set([]byte("after build"), []byte("v")); err != nil {
			t.Fatal(err)
		}
		if built.Root() != set.Root() || built.Len() != set.Len() {
			t.Fatalf("%d entries: roots part after writes", n)
		}
	}
}

func TestBuildRejectsBadEntries(t *testing.T) {
	entries := entriesOf(randomKV(rand.New(rand.NewSource(7)), 100))
	dup := append(entries, Entry{Key: entries[42].Key, ValueHash: [32]byte{1}})
	if _, err := Build(dup); !errors.Is(err, ErrDuplicateKey) {
		t.Fatalf("duplicate key: %v", err)
	}
	triple := append(dup, Entry{Key: entries[42].Key, ValueHash: [32]byte{2}})
	if _, err := Build(triple); !errors.Is(err, ErrDuplicateKey) {
		t.Fatalf("key given three times: %v", err)
	}
	empty := append(entries, Entry{ValueHash: [32]byte{1}})
	if _, err := Build(empty); !errors.Is(err, ErrEmptyKey) {
		t.Fatalf("empty key: %v", err)
	}
}
