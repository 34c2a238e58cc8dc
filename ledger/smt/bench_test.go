package smt

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math/rand"
	"runtime"
	"testing"
)

// benchSizes are the state sizes of the benchmarks: 10k, 100k and 1M keys.
var benchSizes = []int{10_000, 100_000, 1_000_000}

// benchKey returns the i-th key, shaped like a ledger balance key: a prefix
// byte, a 20-byte address and an asset name.
func benchKey(i int) []byte {
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(i))
	addr := sha256.Sum256(n[:])
	key := make([]byte, 0, 26)
	key = append(key, 0x02)
	key = append(key, addr[:20]...)
	return append(key, "/TLY"...)
}

func benchValue(i, version int) []byte {
	return fmt.Appendf(nil, "balance %d version %d", i, version)
}

func benchEntries(n int) []Entry {
	entries := make([]Entry, n)
	for i := range entries {
		entries[i] = Entry{Key: benchKey(i), ValueHash: valueHashOf(benchValue(i, 0))}
	}
	return entries
}

func benchTree(b *testing.B, n int) *Tree {
	b.Helper()
	tree, err := Build(benchEntries(n))
	if err != nil {
		b.Fatal(err)
	}
	return tree
}

// BenchmarkBlockCommit measures one block: 1,000 changes to a tree of n keys
// (800 updates, 100 inserts, 100 deletes, so the size stays n), then Root,
// then Snapshot as Commit takes one for queries, so every block starts on
// shared nodes and pays for copying them.
func BenchmarkBlockCommit(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("keys=%d", n), func(b *testing.B) {
			tree := benchTree(b, n)
			tree.Snapshot()
			rng := rand.New(rand.NewSource(1))
			oldest, next := 0, n // the live keys are benchKey(oldest..next-1)
			version := 0
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				version++
				for c := range 1000 {
					switch {
					case c < 800:
						i := oldest + rng.Intn(next-oldest)
						if err := tree.Set(benchKey(i), benchValue(i, version)); err != nil {
							b.Fatal(err)
						}
					case c < 900:
						if err := tree.Set(benchKey(next), benchValue(next, version)); err != nil {
							b.Fatal(err)
						}
						next++
					default:
						tree.Delete(benchKey(oldest))
						oldest++
					}
				}
				tree.Root()
				tree.Snapshot()
			}
			b.StopTimer()
			if tree.Len() != n {
				b.Fatalf("Len %d, want %d", tree.Len(), n)
			}
		})
	}
}

// BenchmarkBuild measures rebuilding the tree from n flat entries, as a node
// does at start-up, and reports the heap the tree holds per key.
func BenchmarkBuild(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("keys=%d", n), func(b *testing.B) {
			entries := benchEntries(n)
			var tree *Tree
			b.ResetTimer()
			for range b.N {
				tree = nil
				var err error
				if tree, err = Build(entries); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(heapPerKey(&tree, n)), "heapB/key")
		})
	}
}

// heapPerKey returns the live heap that *tree holds, per key: the heap with
// the tree minus the heap once it is dropped.
func heapPerKey(tree **Tree, n int) uint64 {
	var with, without runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&with)
	runtime.KeepAlive(*tree)
	*tree = nil
	runtime.GC()
	runtime.ReadMemStats(&without)
	return (with.HeapAlloc - without.HeapAlloc) / uint64(n)
}

// BenchmarkProve measures proofs in a tree of 1M keys: proving existence,
// proving absence (with a map lookup standing in for the store), and
// verifying each.
func BenchmarkProve(b *testing.B) {
	const n = 1_000_000
	tree := benchTree(b, n)
	values := make(map[string][]byte, n)
	for i := range n {
		values[string(benchKey(i))] = benchValue(i, 0)
	}
	storeLookup := func(key []byte) ([]byte, error) { return values[string(key)], nil }
	root := tree.Root()

	b.Run("existence", func(b *testing.B) {
		b.ReportAllocs()
		for i := range b.N {
			k := i % n
			if _, err := tree.ProveExistence(benchKey(k), benchValue(k, 0)); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("absence", func(b *testing.B) {
		b.ReportAllocs()
		for i := range b.N {
			if _, err := tree.ProveAbsence(benchKey(n+i), storeLookup); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("verify-existence", func(b *testing.B) {
		proof, err := tree.ProveExistence(benchKey(7), benchValue(7, 0))
		if err != nil {
			b.Fatal(err)
		}
		b.ResetTimer()
		for range b.N {
			if err := VerifyExistence(root, proof, benchKey(7), benchValue(7, 0)); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("verify-absence", func(b *testing.B) {
		proof, err := tree.ProveAbsence(benchKey(n+7), storeLookup)
		if err != nil {
			b.Fatal(err)
		}
		b.ResetTimer()
		for range b.N {
			if err := VerifyAbsence(root, proof, benchKey(n+7)); err != nil {
				b.Fatal(err)
			}
		}
	})
}
