package smt

import (
	"fmt"
	"math/rand"
	"testing"
)

// treeOp is one step decoded from fuzz input: three bytes each.
//
//	byte 0 mod 4: 0 or 1 set, 2 delete, 3 take a snapshot
//	byte 1 mod 64: which of 64 keys
//	byte 2: which of 256 values
type treeOp struct{ kind, key, value byte }

// The limits keep one run to about a millisecond, so the fuzzer can
// minimise what it finds.
const (
	maxFuzzOps = 120
	fuzzKeys   = 64
)

func decodeTreeOps(data []byte) []treeOp {
	var ops []treeOp
	for len(data) >= 3 && len(ops) < maxFuzzOps {
		ops = append(ops, treeOp{data[0] % 4, data[1] % fuzzKeys, data[2]})
		data = data[3:]
	}
	return ops
}

func fuzzKey(b byte) string   { return fmt.Sprintf("key-%d", b) }
func fuzzValue(b byte) string { return fmt.Sprintf("value-%d", b) }

// FuzzTreeOps applies set/delete sequences to a tree and to a map, and after
// every step compares the tree with the root recomputed from the map. At the
// end it checks snapshots, Build, and proofs for every key.
func FuzzTreeOps(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{0, 1, 1})
	f.Add([]byte{0, 1, 1, 0, 2, 2, 2, 1, 0, 2, 2, 0})
	f.Add([]byte{0, 1, 1, 3, 0, 0, 0, 1, 2, 2, 1, 0, 0, 7, 7, 3, 0, 0, 2, 7, 0})
	rng := rand.New(rand.NewSource(12))
	for range 4 {
		seed := make([]byte, 3*maxFuzzOps)
		rng.Read(seed)
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		tree := New()
		model := map[string]string{}
		type snapshot struct {
			tree *Tree
			root [32]byte
			len  int
		}
		var snapshots []snapshot
		for i, op := range decodeTreeOps(data) {
			key := fuzzKey(op.key)
			switch op.kind {
			case 0, 1:
				if err := tree.Set([]byte(key), []byte(fuzzValue(op.value))); err != nil {
					t.Fatal(err)
				}
				model[key] = fuzzValue(op.value)
			case 2:
				tree.Delete([]byte(key))
				delete(model, key)
			case 3:
				snapshots = append(snapshots, snapshot{tree.Snapshot(), modelRoot(model), len(model)})
			}
			if got, want := tree.Root(), modelRoot(model); got != want {
				t.Fatalf("op %d %+v: root %x, model %x", i, op, got, want)
			}
			if tree.Len() != len(model) {
				t.Fatalf("op %d: Len %d, model %d", i, tree.Len(), len(model))
			}
		}
		for i, s := range snapshots {
			if s.tree.Root() != s.root || s.tree.Len() != s.len {
				t.Fatalf("snapshot %d moved", i)
			}
		}
		built, err := Build(entriesOf(model))
		if err != nil {
			t.Fatal(err)
		}
		if built.Root() != tree.Root() {
			t.Fatalf("Build root %x, tree %x", built.Root(), tree.Root())
		}
		root := tree.Root()
		for b := range fuzzKeys {
			key := []byte(fuzzKey(byte(b)))
			if value, ok := model[string(key)]; ok {
				proof, err := tree.ProveExistence(key, []byte(value))
				if err != nil {
					t.Fatal(err)
				}
				if err := VerifyExistence(root, proof, key, []byte(value)); err != nil {
					t.Fatal(err)
				}
				continue
			}
			proof, err := tree.ProveAbsence(key, lookupIn(model))
			if err != nil {
				t.Fatal(err)
			}
			if err := VerifyAbsence(root, proof, key); err != nil {
				t.Fatal(err)
			}
		}
	})
}
