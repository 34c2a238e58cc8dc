package smt

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"math/rand"
	"slices"
	"testing"
)

// pageStore is a PageSource over maps, standing in for the ledger's store.
type pageStore struct {
	data map[uint32][]byte
	sums map[uint32][]byte
}

func newPageStore() *pageStore {
	return &pageStore{data: map[uint32][]byte{}, sums: map[uint32][]byte{}}
}

func (s *pageStore) Page(p uint32) ([]byte, error) { return s.data[p], nil }

// write stores the writes, as the ledger's commit batch does.
func (s *pageStore) write(ws []PageWrite) {
	for _, w := range ws {
		set := func(m map[uint32][]byte, v []byte) {
			if v == nil {
				delete(m, w.Page)
			} else {
				m[w.Page] = bytes.Clone(v)
			}
		}
		set(s.data, w.Data)
		set(s.sums, w.Summary)
	}
}

func (s *pageStore) summaries(yield func(uint32, []byte) error) error {
	for _, p := range slices.Sorted(maps.Keys(s.sums)) {
		if err := yield(p, s.sums[p]); err != nil {
			return err
		}
	}
	return nil
}

// persist stores t's changed pages and returns the tree reading them.
func persist(t testing.TB, tree *Tree, s *pageStore) *Tree {
	t.Helper()
	ws, err := tree.PageWrites()
	if err != nil {
		t.Fatal(err)
	}
	s.write(ws)
	next, err := tree.Persisted(s)
	if err != nil {
		t.Fatal(err)
	}
	return next
}

func mustSum(t testing.TB, tree *Tree) [32]byte {
	t.Helper()
	root, err := tree.Sum()
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// sameProofs checks that the paged tree gives byte for byte the proofs the
// all-in-memory tree gives, for every key of kv and some absent keys, and
// that they verify.
func sameProofs(t *testing.T, paged, mem *Tree, kv map[string]string, absent []string) {
	t.Helper()
	root := mustSum(t, paged)
	for _, k := range sortedKeys(kv) {
		want, err := mem.ProveExistence([]byte(k), []byte(kv[k]))
		if err != nil {
			t.Fatal(err)
		}
		got, err := paged.ProveExistence([]byte(k), []byte(kv[k]))
		if err != nil {
			t.Fatalf("prove %q: %v", k, err)
		}
		wb, _ := MarshalProof(want)
		gb, _ := MarshalProof(got)
		if !bytes.Equal(wb, gb) {
			t.Fatalf("existence proof of %q differs from the in-memory tree's", k)
		}
		if err := VerifyExistence(root, got, []byte(k), []byte(kv[k])); err != nil {
			t.Fatal(err)
		}
	}
	for _, k := range absent {
		if _, ok := kv[k]; ok {
			continue
		}
		want, err := mem.ProveAbsence([]byte(k), lookupIn(kv))
		if err != nil {
			t.Fatal(err)
		}
		got, err := paged.ProveAbsence([]byte(k), lookupIn(kv))
		if err != nil {
			t.Fatalf("prove absence of %q: %v", k, err)
		}
		wb, _ := MarshalProof(want)
		gb, _ := MarshalProof(got)
		if !bytes.Equal(wb, gb) {
			t.Fatalf("absence proof of %q differs from the in-memory tree's", k)
		}
		if err := VerifyAbsence(root, got, []byte(k)); err != nil {
			t.Fatal(err)
		}
	}
}

// TestPagedMatchesInMemory applies random blocks of sets, updates and
// deletes to a paged tree and to an all-in-memory tree, at page depths
// from one level to the node's, persisting after every block and reopening
// from the stored summaries now and then: same roots, sizes, lookups and
// proofs byte for byte.
func TestPagedMatchesInMemory(t *testing.T) {
	for _, depth := range []int{1, 2, 4, 8, DefaultPageDepth} {
		t.Run(fmt.Sprintf("depth=%d", depth), func(t *testing.T) {
			rng := rand.New(rand.NewSource(int64(depth)))
			store := newPageStore()
			cache := NewPageCache(1 << 16)
			paged, err := NewPaged(depth, store, cache)
			if err != nil {
				t.Fatal(err)
			}
			mem := New()
			kv := map[string]string{}
			for block := range 30 {
				for range rng.Intn(40) {
					k := fmt.Sprintf("key-%d", rng.Intn(300))
					if rng.Intn(4) == 0 {
						paged.Delete([]byte(k))
						mem.Delete([]byte(k))
						delete(kv, k)
						continue
					}
					v := fmt.Sprintf("v%d", rng.Intn(1000))
					if err := paged.Set([]byte(k), []byte(v)); err != nil {
						t.Fatal(err)
					}
					if err := mem.Set([]byte(k), []byte(v)); err != nil {
						t.Fatal(err)
					}
					kv[k] = v
				}
				if got, want := mustSum(t, paged), mem.Root(); got != want {
					t.Fatalf("block %d: paged root %x, in-memory %x", block, got, want)
				}
				if paged.Len() != len(kv) {
					t.Fatalf("block %d: Len %d, want %d", block, paged.Len(), len(kv))
				}
				paged = persist(t, paged, store)
				if block%5 == 4 {
					// Start-up: the top from the summaries alone.
					paged, err = OpenPaged(depth, store, NewPageCache(1<<16), store.summaries)
					if err != nil {
						t.Fatal(err)
					}
					if got, want := mustSum(t, paged), mem.Root(); got != want || paged.Len() != len(kv) {
						t.Fatalf("block %d reopened: root %x len %d, want %x %d", block, got, paged.Len(), want, len(kv))
					}
				}
			}
			for k, v := range kv {
				vh, ok, err := paged.Lookup([]byte(k))
				if err != nil || !ok || vh != valueHashOf([]byte(v)) {
					t.Fatalf("Lookup %q = %x %v %v", k, vh, ok, err)
				}
			}
			var absent []string
			for i := range 40 {
				absent = append(absent, fmt.Sprintf("key-%d", 280+i))
			}
			sameProofs(t, paged, mem, kv, absent)
		})
	}
}

// TestPagedSnapshotIsolation: a snapshot of a paged tree keeps its root and
// proofs while the origin is written, persisted and written again.
func TestPagedSnapshotIsolation(t *testing.T) {
	store := newPageStore()
	paged, _ := NewPaged(2, store, nil)
	kv := randomKV(rand.New(rand.NewSource(3)), 50)
	for k, v := range kv {
		_ = paged.Set([]byte(k), []byte(v))
	}
	paged = persist(t, paged, store)
	snap := paged.Snapshot()
	root := mustSum(t, snap)
	for k := range kv {
		_ = paged.Set([]byte(k), []byte("changed"))
	}
	mustSum(t, paged)
	if mustSum(t, snap) != root {
		t.Fatal("snapshot root moved")
	}
	mem := treeOf(t, kv)
	sameProofs(t, snap, mem, kv, nil)
}

// TestBuildPagedMatchesBuild: the pages BuildPaged stores open to the tree
// Build gives, and duplicate keys are refused.
func TestBuildPagedMatchesBuild(t *testing.T) {
	for _, depth := range []int{1, 3, 8, DefaultPageDepth} {
		kv := randomKV(rand.New(rand.NewSource(int64(depth))), 500)
		store := newPageStore()
		built, err := BuildPaged(depth, entriesOf(kv), nil, func(w PageWrite) error { store.write([]PageWrite{w}); return nil })
		if err != nil {
			t.Fatal(err)
		}
		want := treeOf(t, kv).Root()
		if got := mustSum(t, built); got != want || built.Len() != len(kv) {
			t.Fatalf("depth %d: BuildPaged root %x len %d, want %x %d", depth, got, built.Len(), want, len(kv))
		}
		opened, err := OpenPaged(depth, store, nil, store.summaries)
		if err != nil {
			t.Fatal(err)
		}
		if got := mustSum(t, opened); got != want || opened.Len() != len(kv) {
			t.Fatalf("depth %d: reopened root %x len %d, want %x %d", depth, got, opened.Len(), want, len(kv))
		}
		sameProofs(t, opened, treeOf(t, kv), kv, []string{"absent-1", "absent-2"})
	}
	entries := entriesOf(map[string]string{"a": "1", "b": "2"})
	entries = append(entries, entries[0])
	if _, err := BuildPaged(4, entries, nil, func(PageWrite) error { return nil }); !errors.Is(err, ErrDuplicateKey) {
		t.Fatalf("duplicate key: %v", err)
	}
}

// TestPagedDetectsCorruptPages: a stored page that was changed, lost or
// mangled is an ErrCorruptPage when read, never a wrong root or proof.
func TestPagedDetectsCorruptPages(t *testing.T) {
	kv := randomKV(rand.New(rand.NewSource(5)), 200)
	store := newPageStore()
	if _, err := BuildPaged(3, entriesOf(kv), nil, func(w PageWrite) error { store.write([]PageWrite{w}); return nil }); err != nil {
		t.Fatal(err)
	}
	mangle := map[string]func([]byte) []byte{
		"value hash changed": func(b []byte) []byte { c := bytes.Clone(b); c[len(c)-1] ^= 1; return c },
		"truncated":          func(b []byte) []byte { return b[:len(b)-5] },
		"trailing byte":      func(b []byte) []byte { return append(bytes.Clone(b), 0) },
		"missing":            func([]byte) []byte { return nil },
	}
	for name, f := range mangle {
		t.Run(name, func(t *testing.T) {
			bad := &pageStore{data: maps.Clone(store.data), sums: store.sums}
			p := slices.Sorted(maps.Keys(bad.data))[0]
			bad.data[p] = f(bad.data[p])
			tree, err := OpenPaged(3, bad, nil, bad.summaries)
			if err != nil {
				t.Fatal(err)
			}
			failed := false
			for k, v := range kv {
				if _, err := tree.ProveExistence([]byte(k), []byte(v)); err != nil {
					if !errors.Is(err, ErrCorruptPage) {
						t.Fatalf("prove %q: %v, want ErrCorruptPage", k, err)
					}
					failed = true
				}
			}
			if !failed {
				t.Fatal("no proof failed on a corrupt page")
			}
		})
	}
	t.Run("summary", func(t *testing.T) {
		bad := &pageStore{data: store.data, sums: maps.Clone(store.sums)}
		p := slices.Sorted(maps.Keys(bad.sums))[0]
		bad.sums[p] = bad.sums[p][:10]
		if _, err := OpenPaged(3, bad, nil, bad.summaries); !errors.Is(err, ErrCorruptPage) {
			t.Fatalf("OpenPaged with a truncated summary: %v", err)
		}
	})
}

// FuzzPagedOps applies set/delete sequences, persisted in blocks at random
// points, to a paged tree of a small page depth and to an all-in-memory
// tree: the roots must agree after every block, also after reopening from
// the stored summaries, and every proof must match byte for byte.
func FuzzPagedOps(f *testing.F) {
	f.Add(byte(2), []byte{0, 1, 1, 0, 2, 2, 2, 1, 0, 3, 0, 0, 0, 5, 5})
	rng := rand.New(rand.NewSource(13))
	for d := range 4 {
		seed := make([]byte, 3*maxFuzzOps)
		rng.Read(seed)
		f.Add(byte(d), seed)
	}
	f.Fuzz(func(t *testing.T, depthByte byte, data []byte) {
		depth := 1 + int(depthByte)%6
		store := newPageStore()
		paged, err := NewPaged(depth, store, NewPageCache(4096))
		if err != nil {
			t.Fatal(err)
		}
		mem := New()
		model := map[string]string{}
		for i, op := range decodeTreeOps(data) {
			key := fuzzKey(op.key)
			switch op.kind {
			case 0, 1:
				_ = paged.Set([]byte(key), []byte(fuzzValue(op.value)))
				_ = mem.Set([]byte(key), []byte(fuzzValue(op.value)))
				model[key] = fuzzValue(op.value)
			case 2:
				paged.Delete([]byte(key))
				mem.Delete([]byte(key))
				delete(model, key)
			case 3:
				// End of a block: commit, and reopen every other time.
				if got, want := mustSum(t, paged), mem.Root(); got != want {
					t.Fatalf("op %d: paged root %x, in-memory %x", i, got, want)
				}
				paged = persist(t, paged, store)
				if op.value%2 == 0 {
					if paged, err = OpenPaged(depth, store, nil, store.summaries); err != nil {
						t.Fatal(err)
					}
				}
			}
		}
		if got, want := mustSum(t, paged), modelRoot(model); got != want || paged.Len() != len(model) {
			t.Fatalf("end: root %x len %d, model %x %d", got, paged.Len(), want, len(model))
		}
		paged = persist(t, paged, store)
		var absent []string
		for b := range fuzzKeys {
			absent = append(absent, fuzzKey(byte(b)))
		}
		sameProofs(t, paged, mem, model, absent)
	})
}
