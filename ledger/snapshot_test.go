package ledger

import (
	"bytes"
	"errors"
	"testing"
)

// A snapshot cut into small chunks restores into an empty ledger with the
// same app hash and balances; a chunk that differs from its manifest is
// refused (and changes nothing), and a manifest whose app hash the state
// does not match is refused whole, leaving the ledger empty.
func TestSnapshotRestore(t *testing.T) {
	c := newTestChain(t, testGenesis())
	c.block(newTx(t).from(alice).to(bob).amount(30))
	c.block(propose(admin1, actFreeze(bob, "audit")))
	v := c.view()
	var chunks [][]byte
	m, err := v.WriteSnapshot(256, func(i int, chunk []byte) error {
		if i != len(chunks) {
			t.Fatalf("chunk %d emitted after %d", i, len(chunks))
		}
		chunks = append(chunks, bytes.Clone(chunk))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(chunks) < 3 || m.Height != v.Height() || !bytes.Equal(m.AppHash, v.AppHash()) || int(m.Entries) != v.Entries() {
		t.Fatalf("manifest %+v with %d chunks for %d entries", m, len(chunks), v.Entries())
	}
	m2, err := DecodeSnapshotManifest(m.Encode())
	if err != nil || m2.Height != m.Height || len(m2.Chunks) != len(m.Chunks) {
		t.Fatalf("manifest round trip: %+v %v", m2, err)
	}

	restore := func(m *SnapshotManifest) (*Ledger, error) {
		l, err := Open(NewMemStore(), Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { l.Close() })
		r, err := l.BeginRestore(m)
		if err != nil {
			t.Fatal(err)
		}
		for i, ch := range chunks {
			if i == 1 {
				bad := bytes.Clone(ch)
				bad[len(bad)-1] ^= 1
				if err := r.Apply(i, bad); !errors.Is(err, ErrBadChunk) {
					t.Fatalf("tampered chunk: %v", err)
				}
			}
			if err := r.Apply(i, ch); err != nil {
				t.Fatalf("chunk %d: %v", i, err)
			}
		}
		return l, r.Finish()
	}

	l, err := restore(m)
	if err != nil {
		t.Fatalf("Finish: %v", err)
	}
	if l.LastHeight() != v.Height() || !bytes.Equal(l.LastAppHash(), v.AppHash()) {
		t.Fatalf("restored at %d %X, want %d %X", l.LastHeight(), l.LastAppHash(), v.Height(), v.AppHash())
	}
	if got, _ := l.View().Balance(bob.addr, "TALLY"); got != 80 {
		t.Fatalf("restored bob balance %d", got)
	}
	// The restored ledger executes the next block.
	if _, err := l.FinalizeBlock(BlockInfo{Height: v.Height() + 1, Signers: c.signers}, nil); err != nil {
		t.Fatal(err)
	}

	wrong := *m
	wrong.AppHash = bytes.Repeat([]byte{7}, 32)
	l2, err := restore(&wrong)
	if !errors.Is(err, ErrSnapshotMismatch) {
		t.Fatalf("restore with a wrong app hash: %v", err)
	}
	if l2.LastHeight() != 0 {
		t.Fatalf("ledger at height %d after a refused snapshot", l2.LastHeight())
	}
	if n, _ := countPrefix(l2.store, StatePrefix); n != 0 {
		t.Fatalf("%d state keys left after a refused snapshot", n)
	}
}
