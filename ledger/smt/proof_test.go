package smt

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"math/rand"
	"testing"

	ics23 "github.com/cosmos/ics23/go"
)

func TestProofSpecIsSmtSpec(t *testing.T) {
	spec := ProofSpec()
	if !spec.SpecEquals(ics23.SmtSpec) {
		t.Fatal("ProofSpec differs from ics23.SmtSpec")
	}
	// SpecEquals skips some fields; compare the rest too.
	if !bytes.Equal(spec.LeafSpec.Prefix, ics23.SmtSpec.LeafSpec.Prefix) ||
		!bytes.Equal(spec.InnerSpec.EmptyChild, ics23.SmtSpec.InnerSpec.EmptyChild) ||
		spec.MaxDepth != ics23.SmtSpec.MaxDepth || spec.MinDepth != ics23.SmtSpec.MinDepth ||
		spec.PrehashKeyBeforeComparison != ics23.SmtSpec.PrehashKeyBeforeComparison {
		t.Fatal("ProofSpec differs from ics23.SmtSpec")
	}
}

// lookupIn returns a lookup that reads values from kv, as the flat store does.
func lookupIn(kv map[string]string) func([]byte) ([]byte, error) {
	return func(key []byte) ([]byte, error) {
		v, ok := kv[string(key)]
		if !ok {
			return nil, fmt.Errorf("no value for %X", key)
		}
		return []byte(v), nil
	}
}

// checkExistence proves every key of kv in tree and checks the proofs with
// this package and with ics23 itself.
func checkExistence(t *testing.T, tree *Tree, kv map[string]string) {
	t.Helper()
	root := tree.Root()
	for _, k := range sortedKeys(kv) {
		key, value := []byte(k), []byte(kv[k])
		proof, err := tree.ProveExistence(key, value)
		if err != nil {
			t.Fatalf("ProveExistence(%X): %v", key, err)
		}
		if err := VerifyExistence(root, proof, key, value); err != nil {
			t.Fatalf("VerifyExistence(%X): %v", key, err)
		}
		if !ics23.VerifyMembership(ics23.SmtSpec, root[:], proof, key, value) {
			t.Fatalf("ics23.VerifyMembership(%X) rejects the proof", key)
		}
		if calc, err := CalculateRoot(proof); err != nil || calc != root {
			t.Fatalf("CalculateRoot(%X) = %x, %v", key, calc, err)
		}
		if err := VerifyExistence(root, proof, key, []byte("other value")); err == nil {
			t.Fatalf("existence of %X verifies with another value", key)
		}
		if err := VerifyAbsence(root, proof, key); err == nil {
			t.Fatalf("an existence proof of %X passes as absence", key)
		}
	}
}

// checkAbsence proves that key is absent from tree and checks the proof.
func checkAbsence(t *testing.T, tree *Tree, kv map[string]string, key []byte) *ics23.NonExistenceProof {
	t.Helper()
	root := tree.Root()
	proof, err := tree.ProveAbsence(key, lookupIn(kv))
	if err != nil {
		t.Fatalf("ProveAbsence(%X): %v", key, err)
	}
	if err := VerifyAbsence(root, proof, key); err != nil {
		t.Fatalf("VerifyAbsence(%X): %v", key, err)
	}
	if !ics23.VerifyNonMembership(ics23.SmtSpec, root[:], proof, key) {
		t.Fatalf("ics23.VerifyNonMembership(%X) rejects the proof", key)
	}
	if calc, err := CalculateRoot(proof); err != nil || calc != root {
		t.Fatalf("CalculateRoot(absence of %X) = %x, %v", key, calc, err)
	}
	if err := VerifyExistence(root, proof, key, []byte("v")); err == nil {
		t.Fatalf("an absence proof of %X passes as existence", key)
	}
	return proof.GetNonexist()
}

// keyOutside returns a key whose path sorts before (below) or after all of
// the keys in kv.
func keyOutside(kv map[string]string, below bool) []byte {
	for i := 0; ; i++ {
		candidate := fmt.Appendf(nil, "outside-%d", i)
		p := sha256.Sum256(candidate)
		outside := true
		for k := range kv {
			kp := sha256.Sum256([]byte(k))
			c := bytes.Compare(p[:], kp[:])
			if (below && c >= 0) || (!below && c <= 0) {
				outside = false
				break
			}
		}
		if outside {
			return candidate
		}
	}
}

func TestProofsOnSmallTrees(t *testing.T) {
	tests := []struct {
		name string
		kv   map[string]string
	}{
		{"one leaf", map[string]string{"k0": "a"}},
		{"two leaves at depth 1", map[string]string{"k1": "a", "k0": "b"}},
		{"two leaves at depth 6", map[string]string{"k2": "a", "k30": "b"}},
		{"a shallow leaf beside a deep pair", map[string]string{"k2": "a", "k30": "b", "k0": "c"}},
		{"three leaves", map[string]string{"k2": "a", "k1": "b", "k0": "c"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tree := treeOf(t, tc.kv)
			checkExistence(t, tree, tc.kv)
			for i := range 64 {
				checkAbsence(t, tree, tc.kv, fmt.Appendf(nil, "absent-%d", i))
			}
			if p := checkAbsence(t, tree, tc.kv, keyOutside(tc.kv, true)); p.Left != nil || p.Right == nil {
				t.Fatal("a key left of every leaf has a left neighbour")
			}
			if p := checkAbsence(t, tree, tc.kv, keyOutside(tc.kv, false)); p.Right != nil || p.Left == nil {
				t.Fatal("a key right of every leaf has a right neighbour")
			}
		})
	}
}

func TestProofsOnRandomTree(t *testing.T) {
	rng := rand.New(rand.NewSource(9))
	kv := randomKV(rng, 400)
	tree := treeOf(t, kv)
	checkExistence(t, tree, kv)
	bothSides := 0
	for i := range 400 {
		p := checkAbsence(t, tree, kv, fmt.Appendf(nil, "absent-%d", i))
		if p.Left != nil && p.Right != nil {
			bothSides++
		}
	}
	if bothSides < 390 {
		t.Fatalf("only %d of 400 absence proofs have two neighbours", bothSides)
	}
	checkAbsence(t, tree, kv, keyOutside(kv, true))
	checkAbsence(t, tree, kv, keyOutside(kv, false))

	// Deletes leave proofs sound, including leaves that moved up.
	for i, k := range sortedKeys(kv) {
		if i%4 != 0 {
			tree.Delete([]byte(k))
			delete(kv, k)
		}
	}
	checkExistence(t, tree, kv)
	for i := range 100 {
		checkAbsence(t, tree, kv, fmt.Appendf(nil, "absent-%d", i))
	}
}

func TestAbsenceInEmptyTree(t *testing.T) {
	tree := New()
	key := []byte("anything")
	proof, err := tree.ProveAbsence(key, nil)
	if err != nil {
		t.Fatal(err)
	}
	np := proof.GetNonexist()
	if np == nil || np.Left != nil || np.Right != nil || !bytes.Equal(np.Key, key) {
		t.Fatalf("empty-tree proof has the wrong form: %v", proof)
	}
	if err := VerifyAbsence(zeroHash, proof, key); err != nil {
		t.Fatalf("empty-tree proof rejected: %v", err)
	}
	if calc, err := CalculateRoot(proof); err != nil || calc != zeroHash {
		t.Fatalf("CalculateRoot = %x, %v", calc, err)
	}
	if err := VerifyAbsence(leafOf("k0", "a"), proof, key); !errors.Is(err, ErrInvalidProof) {
		t.Fatalf("empty-tree proof accepted against a non-empty root: %v", err)
	}
	if err := VerifyAbsence(zeroHash, proof, []byte("another key")); err == nil {
		t.Fatal("empty-tree proof accepted for another key")
	}
	// As documented: ics23 has no form for an empty tree.
	if ics23.VerifyNonMembership(ics23.SmtSpec, zeroHash[:], proof, key) {
		t.Fatal("ics23 now accepts the empty-tree form; update the documentation")
	}
	if _, err := tree.ProveExistence(key, []byte("v")); !errors.Is(err, ErrKeyNotFound) {
		t.Fatalf("ProveExistence in an empty tree: %v", err)
	}
}

func TestProveErrors(t *testing.T) {
	kv := map[string]string{"k0": "a", "k1": "b", "k2": "c"}
	tree := treeOf(t, kv)
	if _, err := tree.ProveExistence([]byte("missing"), []byte("v")); !errors.Is(err, ErrKeyNotFound) {
		t.Fatalf("absent key: %v", err)
	}
	if _, err := tree.ProveExistence([]byte("k0"), []byte("not a")); !errors.Is(err, ErrValueMismatch) {
		t.Fatalf("wrong value: %v", err)
	}
	if _, err := tree.ProveExistence(nil, []byte("v")); !errors.Is(err, ErrEmptyKey) {
		t.Fatalf("empty key: %v", err)
	}
	if _, err := tree.ProveAbsence([]byte("k1"), lookupIn(kv)); !errors.Is(err, ErrKeyExists) {
		t.Fatalf("present key: %v", err)
	}
	stale := map[string]string{"k0": "stale", "k1": "stale", "k2": "stale"}
	if _, err := tree.ProveAbsence([]byte("missing"), lookupIn(stale)); !errors.Is(err, ErrValueMismatch) {
		t.Fatalf("store disagreeing with the tree: %v", err)
	}
	failing := func([]byte) ([]byte, error) { return nil, errors.New("disk on fire") }
	if _, err := tree.ProveAbsence([]byte("missing"), failing); err == nil {
		t.Fatal("a failing lookup went unnoticed")
	}
	if _, err := tree.ProveAbsence([]byte("missing"), nil); err == nil {
		t.Fatal("nil lookup accepted")
	}
}

func TestVerifyRejectsWrongForms(t *testing.T) {
	kv := map[string]string{"k0": "a", "k1": "b"}
	tree := treeOf(t, kv)
	root := tree.Root()
	for name, proof := range map[string]*ics23.CommitmentProof{
		"nil":   nil,
		"empty": {},
		"batch": {Proof: &ics23.CommitmentProof_Batch{Batch: &ics23.BatchProof{}}},
	} {
		if err := VerifyExistence(root, proof, []byte("k0"), []byte("a")); !errors.Is(err, ErrInvalidProof) {
			t.Fatalf("%s proof as existence: %v", name, err)
		}
		if err := VerifyAbsence(root, proof, []byte("zz")); !errors.Is(err, ErrInvalidProof) {
			t.Fatalf("%s proof as absence: %v", name, err)
		}
		if _, err := CalculateRoot(proof); !errors.Is(err, ErrInvalidProof) {
			t.Fatalf("%s proof CalculateRoot: %v", name, err)
		}
	}
	// An absence proof must name the key it is used for.
	proof, err := tree.ProveAbsence([]byte("absent-1"), lookupIn(kv))
	if err != nil {
		t.Fatal(err)
	}
	proof.GetNonexist().Key = []byte("absent-2")
	if err := VerifyAbsence(root, proof, []byte("absent-1")); !errors.Is(err, ErrInvalidProof) {
		t.Fatalf("absence proof naming another key: %v", err)
	}
}

func TestProofFromSnapshotAfterOriginMoves(t *testing.T) {
	kv := randomKV(rand.New(rand.NewSource(10)), 100)
	origin := treeOf(t, kv)
	snap := origin.Snapshot()
	for _, k := range sortedKeys(kv)[:50] {
		origin.Delete([]byte(k))
	}
	checkExistence(t, snap, kv)
	checkAbsence(t, snap, kv, []byte("absent"))
}

// flipEachByte calls check for every one-byte change of b (each bit of the
// byte inverted in turn, then the whole byte), restoring b in between.
func flipEachByte(b []byte, check func(i int, mask byte)) {
	for i := range b {
		for _, mask := range []byte{0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80, 0xff} {
			b[i] ^= mask
			check(i, mask)
			b[i] ^= mask
		}
	}
}

// TestTamperedProofsFail changes every byte of serialized proofs, of keys,
// values and roots, and expects every change to be caught.
func TestTamperedProofsFail(t *testing.T) {
	kv := randomKV(rand.New(rand.NewSource(11)), 40)
	kv["k2"], kv["k30"] = "deep", "pair" // a leaf six levels down
	tree := treeOf(t, kv)
	root := tree.Root()

	type claim struct {
		name   string
		key    []byte
		value  []byte // nil for absence
		verify func(root [32]byte, proof *ics23.CommitmentProof, key, value []byte) error
	}
	exists := func(root [32]byte, proof *ics23.CommitmentProof, key, value []byte) error {
		return VerifyExistence(root, proof, key, value)
	}
	absent := func(root [32]byte, proof *ics23.CommitmentProof, key, _ []byte) error {
		return VerifyAbsence(root, proof, key)
	}
	claims := []claim{
		{"existence of a deep leaf", []byte("k2"), []byte("deep"), exists},
		{"existence", []byte(sortedKeys(kv)[0]), []byte(kv[sortedKeys(kv)[0]]), exists},
		{"absence between neighbours", []byte("absent-3"), nil, absent},
		{"absence at the left edge", keyOutside(kv, true), nil, absent},
		{"absence at the right edge", keyOutside(kv, false), nil, absent},
	}
	for _, c := range claims {
		t.Run(c.name, func(t *testing.T) {
			var proof *ics23.CommitmentProof
			var err error
			if c.value != nil {
				proof, err = tree.ProveExistence(c.key, c.value)
			} else {
				proof, err = tree.ProveAbsence(c.key, lookupIn(kv))
			}
			if err != nil {
				t.Fatal(err)
			}
			data, err := MarshalProof(proof)
			if err != nil {
				t.Fatal(err)
			}
			decoded, err := UnmarshalProof(data)
			if err != nil {
				t.Fatal(err)
			}
			if err := c.verify(root, decoded, c.key, c.value); err != nil {
				t.Fatalf("untampered proof fails: %v", err)
			}

			flipEachByte(data, func(i int, mask byte) {
				tampered, err := UnmarshalProof(data)
				if err != nil {
					return // caught by decoding
				}
				if err := c.verify(root, tampered, c.key, c.value); err == nil {
					t.Fatalf("proof byte %d of %d xor %#x still verifies", i, len(data), mask)
				}
			})
			flipEachByte(root[:], func(i int, mask byte) {
				if err := c.verify(root, decoded, c.key, c.value); err == nil {
					t.Fatalf("root byte %d xor %#x still verifies", i, mask)
				}
			})
			key := bytes.Clone(c.key)
			flipEachByte(key, func(i int, mask byte) {
				if err := c.verify(root, decoded, key, c.value); err == nil {
					t.Fatalf("key byte %d xor %#x still verifies", i, mask)
				}
			})
			if c.value != nil {
				value := bytes.Clone(c.value)
				flipEachByte(value, func(i int, mask byte) {
					if err := c.verify(root, decoded, c.key, value); err == nil {
						t.Fatalf("value byte %d xor %#x still verifies", i, mask)
					}
				})
			}
		})
	}
}

func TestUnmarshalProofIsStrict(t *testing.T) {
	tree := treeOf(t, map[string]string{"k0": "a", "k1": "b"})
	proof, err := tree.ProveExistence([]byte("k0"), []byte("a"))
	if err != nil {
		t.Fatal(err)
	}
	data, err := MarshalProof(proof)
	if err != nil {
		t.Fatal(err)
	}
	// An unknown field (number 15, varint) appended: same proof, other bytes.
	if _, err := UnmarshalProof(append(bytes.Clone(data), 15<<3, 1)); !errors.Is(err, ErrInvalidProof) {
		t.Fatalf("unknown field accepted: %v", err)
	}
	if _, err := UnmarshalProof(data[:len(data)-1]); !errors.Is(err, ErrInvalidProof) {
		t.Fatalf("truncated proof accepted: %v", err)
	}
}
