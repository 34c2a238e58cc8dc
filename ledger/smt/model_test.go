package smt

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"math/rand"
	"slices"
	"testing"
)

// This file holds the test oracle: the root of a set of key/values computed
// from scratch, straight from the hashing rules, with no code shared with the
// tree. It is slow on purpose: simple enough to check by reading.

var zeroHash [32]byte

func hashOf(parts ...[]byte) [32]byte {
	return sha256.Sum256(bytes.Join(parts, nil))
}

// leafOf is SHA-256(0x00 || SHA-256(key) || SHA-256(value)).
func leafOf(key, value string) [32]byte {
	k, v := sha256.Sum256([]byte(key)), sha256.Sum256([]byte(value))
	return hashOf([]byte{0}, k[:], v[:])
}

// innerOf is SHA-256(0x01 || left || right).
func innerOf(left, right [32]byte) [32]byte {
	return hashOf([]byte{1}, left[:], right[:])
}

type modelEntry struct {
	path       [32]byte
	key, value string
}

// modelRoot computes the root of the key/values in m from nothing.
func modelRoot(m map[string]string) [32]byte {
	entries := make([]modelEntry, 0, len(m))
	for k, v := range m {
		entries = append(entries, modelEntry{sha256.Sum256([]byte(k)), k, v})
	}
	slices.SortFunc(entries, func(a, b modelEntry) int { return bytes.Compare(a.path[:], b.path[:]) })
	return modelSubtree(entries, 0)
}

// modelSubtree is the root of the sorted entries, which share their first
// depth path bits: zero if none, the leaf if one, else the inner node over
// the entries whose next bit is 0 and those whose next bit is 1.
func modelSubtree(entries []modelEntry, depth int) [32]byte {
	switch len(entries) {
	case 0:
		return zeroHash
	case 1:
		return leafOf(entries[0].key, entries[0].value)
	}
	split := 0
	for split < len(entries) && entries[split].path[depth/8]&(0x80>>(depth%8)) == 0 {
		split++
	}
	return innerOf(modelSubtree(entries[:split], depth+1), modelSubtree(entries[split:], depth+1))
}

// pathBits returns the first n bits of key's path as a string of 0s and 1s.
func pathBits(key string, n int) string {
	p := sha256.Sum256([]byte(key))
	var s []byte
	for i := range n {
		s = append(s, '0'+(p[i/8]>>(7-i%8))&1)
	}
	return string(s)
}

// randomKV returns n distinct keys of ledger-like shape with values.
func randomKV(rng *rand.Rand, n int) map[string]string {
	m := make(map[string]string, n)
	for len(m) < n {
		k := make([]byte, 1+rng.Intn(40))
		rng.Read(k)
		m[string(k)] = fmt.Sprintf("value-%d", rng.Int63())
	}
	return m
}

// sortedKeys returns the keys of m in byte order, so tests iterate
// deterministically.
func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// treeOf builds a tree by setting m's entries in key order.
func treeOf(t testing.TB, m map[string]string) *Tree {
	t.Helper()
	tree := New()
	for _, k := range sortedKeys(m) {
		if err := tree.Set([]byte(k), []byte(m[k])); err != nil {
			t.Fatalf("Set(%X): %v", k, err)
		}
	}
	return tree
}

func TestModelMatchesHandComputedRoots(t *testing.T) {
	// The oracle itself, on the smallest cases worked out by hand.
	if got := modelRoot(nil); got != zeroHash {
		t.Fatalf("empty: %x", got)
	}
	if got := modelRoot(map[string]string{"k1": "a"}); got != leafOf("k1", "a") {
		t.Fatalf("one leaf: %x", got)
	}
	if got, want := modelRoot(map[string]string{"k1": "a", "k0": "b"}), innerOf(leafOf("k1", "a"), leafOf("k0", "b")); got != want {
		t.Fatalf("two leaves: %x, want %x", got, want)
	}
}
