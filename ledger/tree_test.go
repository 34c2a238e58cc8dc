package ledger

import (
	"bytes"
	"fmt"
	"testing"

	ics23 "github.com/cosmos/ics23/go"

	"github.com/tallyledger/tally/ledger/smt"
)

// checkTreeAgainstState compares the ledger's committed (paged) tree with
// the all-in-memory tree built from the view's flat state: same root, which
// is the app hash, and proofs of every state key and of absent keys that
// verify against it and equal the in-memory tree's byte for byte.
func checkTreeAgainstState(t *testing.T, l *Ledger) {
	t.Helper()
	v := l.View()
	mem, err := buildTree(v.snap, 0)
	if err != nil {
		t.Fatal(err)
	}
	root := mem.Root()
	if !bytes.Equal(root[:], v.AppHash()) {
		t.Fatalf("height %d: app hash %X, in-memory tree of the state %X", v.Height(), v.AppHash(), root[:])
	}
	if v.Entries() != mem.Len() {
		t.Fatalf("height %d: %d entries, the state holds %d", v.Height(), v.Entries(), mem.Len())
	}
	var keys [][]byte
	_ = v.snap.Iterate([]byte(StatePrefix), func(k, _ []byte) error { keys = append(keys, bytes.Clone(k)); return nil })
	for i := range 8 {
		keys = append(keys, fmt.Appendf(nil, "/absent:%d", i))
	}
	for _, k := range keys {
		value, proof, err := v.Prove(k)
		if err != nil {
			t.Fatalf("height %d: prove %q: %v", v.Height(), k, err)
		}
		if err := verifyProof(v.AppHash(), proof, k, value); err != nil {
			t.Fatalf("height %d: proof of %q: %v", v.Height(), k, err)
		}
		var want *ics23.CommitmentProof
		if value == nil {
			want, err = mem.ProveAbsence(k, v.snap.Get)
		} else {
			want, err = mem.ProveExistence(k, value)
		}
		if err != nil {
			t.Fatal(err)
		}
		got, _ := smt.MarshalProof(proof)
		wantBytes, _ := smt.MarshalProof(want)
		if !bytes.Equal(got, wantBytes) {
			t.Fatalf("height %d: proof of %q differs from the in-memory tree's", v.Height(), k)
		}
	}
}

// openLevelDepth opens the LevelDB ledger in dir with the given tree page
// depth.
func openLevelDepth(t *testing.T, dir string, depth int) *Ledger {
	t.Helper()
	st, err := OpenLevelDBStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	l, err := Open(st, Options{pageDepth: depth})
	if err != nil {
		st.Close()
		t.Fatal(err)
	}
	return l
}

// The state tree with its pages on disk: after every block of a random
// script (transfers, mints, burns, governance) the app hash equals the
// root of the all-in-memory tree over the state, and every proof matches
// it; after a restart the tree opens from its pages (no rebuild) with the
// same root, and the blocks that follow give the hashes of a node that
// never restarted. Small page depths put many leaves in a page; the
// node's depth leaves most pages with one.
func TestPagedStateTree(t *testing.T) {
	g := rulesGenesis()
	blocks := scriptedBlocks(t, g, 12, 7)
	ref, _ := memChain(t, g)
	want := runBlocks(t, ref, g, blocks, 1)
	for _, depth := range []int{1, 3, smt.DefaultPageDepth} {
		t.Run(fmt.Sprintf("depth=%d", depth), func(t *testing.T) {
			dir := t.TempDir()
			l := openLevelDepth(t, dir, depth)
			if _, err := l.InitChain(testChainID, 1, g); err != nil {
				t.Fatal(err)
			}
			for h := 1; h <= len(blocks); h++ {
				got := runBlocks(t, l, g, blocks[:h], h)
				if !bytes.Equal(got[0], want[h-1]) {
					t.Fatalf("block %d: app hash %X, the reference %X", h, got[0], want[h-1])
				}
				checkTreeAgainstState(t, l)
				if h%4 != 0 {
					continue
				}
				l.Close()
				st, err := OpenLevelDBStore(dir)
				if err != nil {
					t.Fatal(err)
				}
				snap, _ := st.Snapshot()
				height, appHash, _ := readMeta(snap)
				tree, why, err := loadTree(snap, depth, nil, height, appHash)
				snap.Release()
				if err != nil || tree == nil {
					t.Fatalf("block %d: the stored pages do not open: %v %s", h, err, why)
				}
				st.Close()
				l = openLevelDepth(t, dir, depth)
				checkTreeAgainstState(t, l)
			}
			l.Close()
		})
	}
}

// A store whose pages are missing, from another depth or another height
// (written by a version without pages), or damaged opens by rebuilding them
// from the state, and then opens from them again.
func TestTreePagesRebuilt(t *testing.T) {
	g := rulesGenesis()
	blocks := scriptedBlocks(t, g, 4, 9)
	dir := t.TempDir()
	l := openLevelDepth(t, dir, 3)
	l.InitChain(testChainID, 1, g)
	want := runBlocks(t, l, g, blocks, 1)
	l.Close()
	damage := map[string]func(st Store){
		"marker gone": func(st Store) {
			var b Batch
			b.Delete([]byte(metaTreeKey))
			st.Write(&b, true)
		},
		"older height": func(st Store) {
			var b Batch
			b.Set([]byte(metaTreeKey), encodeTreeMeta(3, 3))
			st.Write(&b, true)
		},
		"a summary damaged": func(st Store) {
			var b Batch
			_ = st.Iterate([]byte(PrefixTreeSummary), func(k, v []byte) error {
				if b.Len() == 0 {
					b.Set(bytes.Clone(k), append(bytes.Clone(v[:len(v)-1]), v[len(v)-1]^1))
				}
				return nil
			})
			st.Write(&b, true)
		},
		"a summary gone": func(st Store) {
			var b Batch
			_ = st.Iterate([]byte(PrefixTreeSummary), func(k, v []byte) error {
				if b.Len() == 0 {
					b.Delete(bytes.Clone(k))
				}
				return nil
			})
			st.Write(&b, true)
		},
	}
	for _, name := range []string{"marker gone", "older height", "a summary damaged", "a summary gone"} {
		st, err := OpenLevelDBStore(dir)
		if err != nil {
			t.Fatal(err)
		}
		damage[name](st)
		snap, _ := st.Snapshot()
		if tree, _, _ := loadTree(snap, 3, nil, 4, want[3]); tree != nil {
			t.Fatalf("%s: the damaged pages still open", name)
		}
		snap.Release()
		l, err := Open(st, Options{pageDepth: 3})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !bytes.Equal(l.LastAppHash(), want[3]) {
			t.Fatalf("%s: app hash %X", name, l.LastAppHash())
		}
		checkTreeAgainstState(t, l)
		snap, _ = st.Snapshot()
		if tree, why, _ := loadTree(snap, 3, nil, 4, want[3]); tree == nil {
			t.Fatalf("%s: the rebuilt pages do not open: %s", name, why)
		}
		snap.Release()
		l.Close()
	}
	// Another page depth rebuilds too.
	l = openLevelDepth(t, dir, 5)
	checkTreeAgainstState(t, l)
	l.Close()
}
