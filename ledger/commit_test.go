package ledger

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tallyledger/tally/crypto"
)

// scriptedBlocks returns n blocks of random transactions (valid and
// invalid, governance included), drawn once so that every ledger under
// test gets the same bytes.
func scriptedBlocks(t testing.TB, g GenesisState, n int, seed uint64) [][][]byte {
	t.Helper()
	m := newModel(g)
	gen := &txGen{
		r:      rand.New(rand.NewPCG(seed, 1)),
		m:      m,
		people: []identity{alice, bob, carol, dave, erin, issuer, admin1, admin2, admin3, stranger},
		assets: []string{"TALLY", "USD", "BIG", "EUR"},
		nodes:  []string{nodeA, nodeB},
	}
	var blocks [][][]byte
	for h := 1; h <= n; h++ {
		gen.height = uint64(h)
		m.beginBlock(uint64(h))
		pending := map[crypto.Address]uint64{}
		var txs [][]byte
		for range gen.r.IntN(10) {
			raw, tx, ok := gen.next(pending)
			m.apply(uint64(h), tx, ok)
			txs = append(txs, raw)
		}
		blocks = append(blocks, txs)
	}
	return blocks
}

// runBlocks applies blocks from height from (1-based) and returns the app
// hash after each.
func runBlocks(t testing.TB, l *Ledger, g GenesisState, blocks [][][]byte, from int) [][]byte {
	t.Helper()
	var hashes [][]byte
	for i := from; i <= len(blocks); i++ {
		res, err := l.FinalizeBlock(BlockInfo{Height: int64(i), Signers: allSigners(g.Validators)}, blocks[i-1])
		if err != nil {
			t.Fatalf("FinalizeBlock(%d): %v", i, err)
		}
		if err := l.Commit(); err != nil {
			t.Fatalf("Commit(%d): %v", i, err)
		}
		if !bytes.Equal(res.AppHash, l.LastAppHash()) || l.LastHeight() != int64(i) {
			t.Fatalf("after Commit(%d): height %d, hash %X, block said %X", i, l.LastHeight(), l.LastAppHash(), res.AppHash)
		}
		hashes = append(hashes, res.AppHash)
	}
	return hashes
}

// memChain opens an in-memory ledger at genesis g, closed when the test
// ends, and returns it with the genesis app hash.
func memChain(t testing.TB, g GenesisState) (*Ledger, []byte) {
	t.Helper()
	l, err := Open(NewMemStore(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	hash, err := l.InitChain(testChainID, 1, g)
	if err != nil {
		t.Fatal(err)
	}
	return l, hash
}

func openLevel(t testing.TB, dir string) *Ledger {
	t.Helper()
	st, err := OpenLevelDBStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	l, err := Open(st, Options{})
	if err != nil {
		st.Close()
		t.Fatal(err)
	}
	return l
}

func TestDeterminism(t *testing.T) {
	g := rulesGenesis()
	blocks := scriptedBlocks(t, g, 30, 42)

	run := func(store Store, workers int) ([]byte, [][]byte) {
		l, err := Open(store, Options{VerifyWorkers: workers})
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		genesisHash, err := l.InitChain(testChainID, 1, g)
		if err != nil {
			t.Fatal(err)
		}
		return genesisHash, runBlocks(t, l, g, blocks, 1)
	}
	g1, want := run(NewMemStore(), 1)
	g2, got := run(NewMemStore(), 4)
	st, err := OpenLevelDBStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	g3, onDisk := run(st, 0)
	if !bytes.Equal(g1, g2) || !bytes.Equal(g1, g3) {
		t.Fatal("genesis app hashes differ")
	}
	for i := range want {
		if !bytes.Equal(want[i], got[i]) || !bytes.Equal(want[i], onDisk[i]) {
			t.Fatalf("height %d: app hashes differ: %X %X %X", i+1, want[i], got[i], onDisk[i])
		}
	}
	distinct := map[string]bool{}
	for _, h := range want {
		distinct[string(h)] = true
	}
	if len(distinct) < 10 {
		t.Fatalf("only %d distinct app hashes in 30 blocks: the blocks barely change state", len(distinct))
	}

	// An empty first block leaves the genesis state: same hash as InitChain.
	l, gh := memChain(t, g)
	res, err := l.FinalizeBlock(BlockInfo{Height: 1}, nil)
	if err != nil || !bytes.Equal(res.AppHash, gh) {
		t.Fatalf("empty first block: %X, genesis %X, %v", res.AppHash, gh, err)
	}
}

// A LevelDB ledger closed and reopened mid-way continues to the same
// hashes, and its state is the same as a ledger that never stopped.
func TestReopenContinues(t *testing.T) {
	g := rulesGenesis()
	blocks := scriptedBlocks(t, g, 24, 7)
	ref, _ := memChain(t, g)
	want := runBlocks(t, ref, g, blocks, 1)

	dir := t.TempDir()
	l := openLevel(t, dir)
	if _, err := l.InitChain(testChainID, 1, g); err != nil {
		t.Fatal(err)
	}
	for _, stop := range []int{8, 16, 24} {
		from := int(l.LastHeight()) + 1
		got := runBlocks(t, l, g, blocks[:stop], from)
		for i, h := range got {
			if !bytes.Equal(h, want[from-1+i]) {
				t.Fatalf("height %d: %X, want %X", from+i, h, want[from-1+i])
			}
		}
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		l = openLevel(t, dir)
		if l.LastHeight() != int64(stop) || !bytes.Equal(l.LastAppHash(), want[stop-1]) || l.ChainID() != testChainID {
			t.Fatalf("reopened at %d %X chain %q, want %d %X", l.LastHeight(), l.LastAppHash(), l.ChainID(), stop, want[stop-1])
		}
	}
	defer l.Close()
	// The reopened state reads like the reference.
	a, _ := l.View().Accounts()
	b, _ := ref.View().Accounts()
	if len(a) != len(b) {
		t.Fatalf("%d accounts, reference %d", len(a), len(b))
	}
	for i := range a {
		if a[i].Address != b[i].Address || a[i].Nonce != b[i].Nonce {
			t.Fatalf("account %d: %+v, reference %+v", i, a[i], b[i])
		}
	}
}

// crashStore applies only the first keep operations of the next batch
// and then fails, as a store without atomic batches would on a crash.
type crashStore struct {
	Store
	keep  int
	armed bool
}

var errCrash = errors.New("simulated crash during the batch write")

func (s *crashStore) Write(b *Batch, sync bool) error {
	if !s.armed {
		return s.Store.Write(b, sync)
	}
	s.armed = false
	if s.keep > 0 {
		part := &Batch{Ops: b.Ops[:min(s.keep, len(b.Ops))]}
		if err := s.Store.Write(part, sync); err != nil {
			return err
		}
	}
	return errCrash
}

// A commit interrupted at any point: with an atomic batch nothing is
// written and the node reopens at the old state; if a store tore a batch,
// Open refuses the mixed state instead of running on it.
func TestInterruptedCommit(t *testing.T) {
	g := rulesGenesis()
	blocks := scriptedBlocks(t, g, 6, 3)
	ref, _ := memChain(t, g)
	want := runBlocks(t, ref, g, blocks, 1)

	base := NewMemStore()
	l, _ := Open(base, Options{})
	l.InitChain(testChainID, 1, g)
	runBlocks(t, l, g, blocks[:5], 1)
	snap, _ := base.Snapshot()
	var ops int
	{
		res, err := l.FinalizeBlock(BlockInfo{Height: 6, Signers: allSigners(g.Validators)}, blocks[5])
		if err != nil {
			t.Fatal(err)
		}
		pages, err := l.pending.tree.PageWrites()
		if err != nil {
			t.Fatal(err)
		}
		// Each page write is two operations (data and summary), plus the
		// tree marker, height, entries and app hash.
		ops = len(l.pending.changes) + len(l.pending.index) + 2*len(pages) + 4
		if !bytes.Equal(res.AppHash, want[5]) {
			t.Fatal("block 6 hash differs from the reference")
		}
	}
	if ops < 4 {
		t.Fatalf("block 6 changes only %d keys", ops)
	}
	for keep := 0; keep <= ops; keep++ {
		// Restore the store as it was after block 5.
		mem := NewMemStore()
		var all Batch
		snap.Iterate(nil, func(k, v []byte) error { all.Set(bytes.Clone(k), bytes.Clone(v)); return nil })
		mem.Write(&all, true)
		cs := &crashStore{Store: mem}
		l, err := Open(cs, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := l.FinalizeBlock(BlockInfo{Height: 6, Signers: allSigners(g.Validators)}, blocks[5]); err != nil {
			t.Fatal(err)
		}
		cs.keep, cs.armed = keep, true
		err = l.Commit()
		if keep < ops && !errors.Is(err, errCrash) {
			t.Fatalf("keep %d: Commit returned %v", keep, err)
		}
		if keep == ops && err == nil {
			t.Fatal("crash store did not crash")
		}
		// The ledger in memory stays at the old state.
		if l.LastHeight() != 5 || !bytes.Equal(l.LastAppHash(), want[4]) {
			t.Fatalf("keep %d: ledger moved to %d after a failed commit", keep, l.LastHeight())
		}
		reopened, err := Open(mem, Options{})
		switch {
		case keep == 0:
			// Nothing written (an atomic batch that failed): the old state,
			// from which the block can run again.
			if err != nil || reopened.LastHeight() != 5 || !bytes.Equal(reopened.LastAppHash(), want[4]) {
				t.Fatalf("keep 0: reopened %v", err)
			}
			got := runBlocks(t, reopened, g, blocks, 6)
			if !bytes.Equal(got[0], want[5]) {
				t.Fatal("re-run block 6 gives another hash")
			}
		case keep == ops:
			if err != nil || reopened.LastHeight() != 6 || !bytes.Equal(reopened.LastAppHash(), want[5]) {
				t.Fatalf("keep all: reopened %v", err)
			}
		default:
			// A tear within the tree's pages leaves the old state, whose
			// pages Open rebuilds; a tear within the state is refused.
			if err == nil {
				if reopened.LastHeight() != 5 || !bytes.Equal(reopened.LastAppHash(), want[4]) {
					t.Fatalf("keep %d of %d: a torn batch opened as height %d", keep, ops, reopened.LastHeight())
				}
				if got := runBlocks(t, reopened, g, blocks, 6); !bytes.Equal(got[0], want[5]) {
					t.Fatalf("keep %d of %d: block 6 on the reopened state gives another hash", keep, ops)
				}
				continue
			}
			if !strings.Contains(err.Error(), "does not match its app hash") {
				t.Fatalf("keep %d: unclear error %v", keep, err)
			}
		}
	}
}

// LevelDB batches are atomic: cutting the journal anywhere inside the last
// batch's record reopens at the old state or the new one, never a mix.
func TestLevelDBTornWrite(t *testing.T) {
	g := rulesGenesis()
	blocks := scriptedBlocks(t, g, 4, 11)
	// A large last block, so that its batch spans several journal blocks.
	next := map[crypto.Address]uint64{}
	var big [][]byte
	for range 200 {
		big = append(big, newTx(t).from(issuer).mint().to(alice).amount(1).bytes(next))
	}
	blocks = append(blocks, big)
	ref, _ := memChain(t, g)
	want := runBlocks(t, ref, g, blocks, 1)

	dir := t.TempDir()
	l := openLevel(t, dir)
	l.InitChain(testChainID, 1, g)
	runBlocks(t, l, g, blocks[:4], 1)
	before := copyDir(t, dir, t.TempDir())
	runBlocks(t, l, g, blocks, 5)
	after := copyDir(t, dir, t.TempDir())
	l.Close()

	journal := findJournal(t, after)
	full, _ := os.ReadFile(journal)
	oldJournal, _ := os.ReadFile(filepath.Join(before, filepath.Base(journal)))
	if len(full) <= len(oldJournal) || !bytes.Equal(full[:len(oldJournal)], oldJournal) {
		t.Fatalf("journal did not grow by appending (%d -> %d bytes)", len(oldJournal), len(full))
	}
	seen := map[int64]bool{}
	step := max(1, (len(full)-len(oldJournal))/40)
	var cuts []int
	for cut := len(oldJournal); cut < len(full); cut += step {
		cuts = append(cuts, cut)
	}
	cuts = append(cuts, len(full)-1, len(full))
	for _, cut := range cuts {
		dir := copyDir(t, after, t.TempDir())
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(journal)), full[:cut], 0o644); err != nil {
			t.Fatal(err)
		}
		l := openLevel(t, dir) // Open checks the root against the app hash
		h := l.LastHeight()
		seen[h] = true
		if (h != 4 && h != 5) || !bytes.Equal(l.LastAppHash(), want[h-1]) {
			t.Fatalf("journal cut at %d: height %d hash %X", cut, h, l.LastAppHash())
		}
		l.Close()
	}
	if !seen[4] || !seen[5] {
		t.Fatalf("heights seen %v, want both the old (4) and the new (5) state", seen)
	}
}

func copyDir(t testing.TB, src, dst string) string {
	t.Helper()
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.IsDir() || e.Name() == "LOCK" {
			continue
		}
		in, err := os.Open(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out, err := os.Create(filepath.Join(dst, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(out, in); err != nil {
			t.Fatal(err)
		}
		in.Close()
		out.Close()
	}
	return dst
}

func findJournal(t testing.TB, dir string) string {
	t.Helper()
	matches, _ := filepath.Glob(filepath.Join(dir, "*.log"))
	var newest string
	for _, m := range matches {
		if m > newest {
			newest = m
		}
	}
	if newest == "" {
		t.Fatal("no journal file")
	}
	return newest
}

// Open refuses a state that does not match its app hash, and a second
// process cannot open a database in use.
func TestOpenRefusesCorruptState(t *testing.T) {
	dir := t.TempDir()
	l := openLevel(t, dir)
	g := testGenesis()
	l.InitChain(testChainID, 1, g)
	runBlocks(t, l, g, [][][]byte{nil, nil}, 1)

	if _, err := OpenLevelDBStore(dir); err == nil || !strings.Contains(err.Error(), "locked") {
		t.Fatalf("second open of a database in use: %v", err)
	}
	l.Close()

	st, _ := OpenLevelDBStore(dir)
	var b Batch
	b.Set(BalanceKey(carol.addr, "TALLY"), mustMarshal(uint64(1_000_000)))
	st.Write(&b, true)
	// Open checks the stored tree, not the entries: the tampered balance
	// shows when it is proven.
	l, err := Open(st, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := l.View().Prove(BalanceKey(carol.addr, "TALLY")); err == nil {
		t.Fatal("proof of a tampered balance")
	}
	// VerifyState checks every entry.
	_, err = Open(st, Options{VerifyState: true})
	if err == nil || !strings.Contains(err.Error(), "does not match its app hash at height 2") {
		t.Fatalf("Open of a tampered state: %v", err)
	}
	// So does Open when the tree's pages are gone.
	var drop Batch
	drop.Delete([]byte(metaTreeKey))
	st.Write(&drop, true)
	_, err = Open(st, Options{})
	if err == nil || !strings.Contains(err.Error(), "does not match its app hash at height 2") {
		t.Fatalf("Open of a tampered state without tree pages: %v", err)
	}
	// The error names the per-prefix hashes: the tampered balance counts
	// among the balances' keys.
	if hs, _ := StateGroupHashes(st); len(hs) > 0 {
		for _, g := range hs {
			if !strings.Contains(err.Error(), g.String()) {
				t.Errorf("error lacks the hash of group %s (%s): %v", g.Prefix, g, err)
			}
		}
	} else {
		t.Errorf("no group hashes of the tampered store")
	}
	st.Close()
}

// A view keeps showing its height while later blocks commit.
func TestViewIsASnapshot(t *testing.T) {
	for _, name := range []string{"memory", "leveldb"} {
		t.Run(name, func(t *testing.T) {
			var c *testChain
			if name == "memory" {
				c = newTestChain(t, testGenesis())
			} else {
				st, err := OpenLevelDBStore(t.TempDir())
				if err != nil {
					t.Fatal(err)
				}
				c = newTestChainOn(t, st, testGenesis())
			}
			c.block()
			old := c.view()
			res, err := c.l.FinalizeBlock(BlockInfo{Height: 2, Signers: c.signers}, [][]byte{newTx(t).from(alice).to(bob).amount(30).nonce(0).bytes(nil)})
			if err != nil || res.TxResults[0].Code != CodeOK {
				t.Fatal(err, res.TxResults)
			}
			if n, _ := c.l.View().Balance(alice.addr, "TALLY"); n != 100 {
				t.Fatalf("view shows %d before Commit", n)
			}
			if err := c.l.Commit(); err != nil {
				t.Fatal(err)
			}
			if n, _ := old.Balance(alice.addr, "TALLY"); n != 100 || old.Height() != 1 {
				t.Fatalf("old view shows %d at height %d", n, old.Height())
			}
			if n, _ := c.l.View().Balance(alice.addr, "TALLY"); n != 70 {
				t.Fatalf("new view shows %d", n)
			}
			v, p, err := old.Prove(BalanceKey(alice.addr, "TALLY"))
			if err != nil || verifyProof(old.AppHash(), p, BalanceKey(alice.addr, "TALLY"), v) != nil {
				t.Fatalf("old view's proof: %v", err)
			}
		})
	}
}
