package smt

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"math/rand"
	"testing"

	pokt "github.com/pokt-network/smt"
	"github.com/pokt-network/smt/kvstore/simplemap"
)

// pokt-network/smt with its default configuration hashes exactly as this
// tree does, so no option is needed:
//   - NewSparseMerkleTrie(store, sha256.New()) uses the given hasher for its
//     path hasher (path = SHA-256(key)) and its value hasher (SHA-256(value)),
//   - its leaf is SHA-256(0x00 || path || valueHash) and its inner node
//     SHA-256(0x01 || left || right), with 32 zero bytes for an empty child,
//   - a lone leaf sits at the top of its subtree, after deletes as well,
//   - its extension nodes (runs of single-child inner nodes) are hashed by
//     expanding them into those inner nodes, so they leave the root alone.
//
// Its empty root is 32 zero bytes too. Where it differs is outside the root:
// Delete of an absent key returns ErrKeyNotFound (here a no-op), and it stores
// no keys, only paths.
func newPokt() *pokt.SMT {
	return pokt.NewSparseMerkleTrie(simplemap.NewSimpleMap(), sha256.New())
}

func TestMatchesPoktRoots(t *testing.T) {
	for seed := int64(1); seed <= 4; seed++ {
		t.Run(fmt.Sprint("seed ", seed), func(t *testing.T) {
			rng := rand.New(rand.NewSource(seed))
			// A small key space, so sets overwrite and deletes hit often.
			keys := make([][]byte, 120)
			for i := range keys {
				keys[i] = fmt.Appendf(nil, "acct/%d/%d", seed, i)
			}
			ours, theirs := New(), newPokt()
			snapshots := map[[32]byte]*Tree{}
			for step := range 1500 {
				key := keys[rng.Intn(len(keys))]
				if rng.Intn(3) == 0 {
					ours.Delete(key)
					if err := theirs.Delete(key); err != nil && !errors.Is(err, pokt.ErrKeyNotFound) {
						t.Fatal(err)
					}
				} else {
					value := fmt.Appendf(nil, "%d", rng.Intn(4))
					if err := ours.Set(key, value); err != nil {
						t.Fatal(err)
					}
					if err := theirs.Update(key, value); err != nil {
						t.Fatal(err)
					}
				}
				got, want := ours.Root(), theirs.Root()
				if string(got[:]) != string(want) {
					t.Fatalf("step %d: root %x, pokt-network/smt %x", step, got, want)
				}
				if step%100 == 0 {
					snapshots[got] = ours.Snapshot()
				}
			}
			for root, snap := range snapshots {
				if snap.Root() != root {
					t.Fatalf("snapshot of %x now has root %x", root, snap.Root())
				}
			}
		})
	}
}

func TestMatchesPoktOnLargerBuild(t *testing.T) {
	kv := randomKV(rand.New(rand.NewSource(8)), 3000)
	theirs := newPokt()
	for _, k := range sortedKeys(kv) {
		if err := theirs.Update([]byte(k), []byte(kv[k])); err != nil {
			t.Fatal(err)
		}
	}
	built, err := Build(entriesOf(kv))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := built.Root(), theirs.Root(); string(got[:]) != string(want) {
		t.Fatalf("Build root %x, pokt-network/smt %x", got, want)
	}
}
