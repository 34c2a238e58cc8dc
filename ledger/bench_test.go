package ledger

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/syndtr/goleveldb/leveldb/util"

	"github.com/tallyledger/tally/crypto"
	"github.com/tallyledger/tally/ledger/smt"
)

// Benchmarks hold performance figures; they assert nothing about time.
//
//	go test ./ledger -run '^$' -bench . -benchtime 3x

func benchSenders(n int) []identity {
	out := make([]identity, n)
	for i := range out {
		out[i] = newIdentity(fmt.Sprintf("sender %d", i))
	}
	return out
}

// signedTransfers signs count transfers from senders (round robin, in
// nonce order from the next map) to recipients.
func signedTransfers(tb testing.TB, senders []identity, to []crypto.Address, count int, next map[crypto.Address]uint64) [][]byte {
	out := make([][]byte, count)
	for i := range out {
		s := senders[i%len(senders)]
		out[i] = newTx(tb).from(s).toAddr(to[(i*7919)%len(to)]).amount(1).bytes(next)
	}
	return out
}

func BenchmarkVerifySignature(b *testing.B) {
	tx := newTx(b).from(alice).to(bob).amount(5).nonce(0).build(nil)
	for b.Loop() {
		if err := tx.VerifySignature(testChainID); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyParallel verifies 1,000 signatures with one worker per
// core, as FinalizeBlock does for transactions not seen by CheckTx.
func BenchmarkVerifyParallel(b *testing.B) {
	senders := benchSenders(50)
	raws := signedTransfers(b, senders, []crypto.Address{bob.addr}, 1000, map[crypto.Address]uint64{})
	v := &verifier{workers: runtime.GOMAXPROCS(0)}
	for b.Loop() {
		decoded := make([]*decodedTx, len(raws))
		for i, raw := range raws {
			decoded[i] = decodeTx(raw)
		}
		v.verifyAll(testChainID, decoded)
		for _, d := range decoded {
			if d.sigErr != nil {
				b.Fatal(d.sigErr)
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(raws)), "ns/sig")
}

// benchGenesis registers and funds the senders.
func benchGenesis(senders []identity) GenesisState {
	g := testGenesis()
	for _, s := range senders {
		g.Accounts = append(g.Accounts, Account{Address: s.addr})
		g.Balances = append(g.Balances, GenesisBalance{Address: s.addr, Asset: "TALLY", Amount: 1 << 40})
	}
	return g
}

// BenchmarkCheckTx validates transfers for the mempool: decode, signature
// (no cache), authentication and execution against the check state.
func BenchmarkCheckTx(b *testing.B) {
	benchCheckTxLoop(b, Options{SigCacheSize: -1}, false)
}

// BenchmarkRecheckTx is the mempool's recheck after a block: transfers
// CheckTx admitted before (their signatures cached) checked again, in
// order, on a fresh check state. What it measures is CheckTx's cost
// beside the signature: decoding, authentication, execution, events.
func BenchmarkRecheckTx(b *testing.B) {
	benchCheckTxLoop(b, Options{}, true)
}

// benchCheckTxLoop checks one transfer of each of 1,000 senders per pass
// (recheck says how), on a check state reset between passes; for a
// recheck, every transfer is admitted once first.
func benchCheckTxLoop(b *testing.B, opts Options, recheck bool) {
	senders := benchSenders(1000)
	g := benchGenesis(senders)
	l, err := Open(NewMemStore(), opts)
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	if _, err := l.InitChain(testChainID, 1, g); err != nil {
		b.Fatal(err)
	}
	raws := signedTransfers(b, senders, []crypto.Address{bob.addr, carol.addr}, len(senders), map[crypto.Address]uint64{})
	i := 0
	if recheck {
		for _, raw := range raws {
			if r := l.CheckTx(raw, false); r.Code != CodeOK {
				b.Fatal(r.Log)
			}
		}
		i = len(raws)
	}
	for b.Loop() {
		if i == len(raws) {
			b.StopTimer()
			l.resetCheck(l.genesis, 1)
			i = 0
			b.StartTimer()
		}
		if r := l.CheckTx(raws[i], recheck); r.Code != CodeOK {
			b.Fatal(r.Log)
		}
		i++
	}
}

// BenchmarkBlock1000Transfers applies and commits blocks of 1,000
// transfers on LevelDB: with every signature verified in FinalizeBlock
// (in parallel), and with signatures already verified by CheckTx.
func BenchmarkBlock1000Transfers(b *testing.B) {
	for _, cached := range []bool{false, true} {
		b.Run(fmt.Sprintf("sigs_cached=%v", cached), func(b *testing.B) {
			senders := benchSenders(200)
			g := benchGenesis(senders)
			l := openLevel(b, b.TempDir())
			defer l.Close()
			if _, err := l.InitChain(testChainID, 1, g); err != nil {
				b.Fatal(err)
			}
			var to []crypto.Address
			for _, s := range senders {
				to = append(to, s.addr)
			}
			next := map[crypto.Address]uint64{}
			signers := allSigners(g.Validators)
			for b.Loop() {
				b.StopTimer()
				raws := signedTransfers(b, senders, to, 1000, next)
				if cached {
					decoded := make([]*decodedTx, len(raws))
					for i, raw := range raws {
						decoded[i] = decodeTx(raw)
					}
					l.verify.verifyAll(testChainID, decoded)
				}
				b.StartTimer()
				res, err := l.FinalizeBlock(BlockInfo{Height: l.nextHeight, Signers: signers}, raws)
				if err != nil {
					b.Fatal(err)
				}
				if err := l.Commit(); err != nil {
					b.Fatal(err)
				}
				if res.TxResults[999].Code != CodeOK {
					b.Fatal(res.TxResults[999].Log)
				}
			}
		})
	}
}

// largeState writes a committed state of n accounts, each with a TALLY
// balance (2n+ keys), plus 100 funded senders, into a LevelDB store in
// dir, as a chain at height 1.
func largeState(b *testing.B, dir string, n int, senders []identity) []crypto.Address {
	st, err := OpenLevelDBStore(dir)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	g := benchGenesis(senders)
	ov := newOverlay(st)
	writeGenesis(ov, testChainID, &g)
	flush := func() {
		changes, err := ov.changes()
		if err != nil {
			b.Fatal(err)
		}
		var batch Batch
		for _, c := range changes {
			batch.Set(c.Key, c.Value)
		}
		if err := st.Write(&batch, false); err != nil {
			b.Fatal(err)
		}
		ov = newOverlay(st)
	}
	flush()
	// Every account holds 1000 TALLY: its balance and holdings records are
	// the same bytes for all, taken from one account written the ledger's
	// way. The records go in key order, one prefix at a time, which LevelDB
	// takes in far less time than random order.
	addrs := make([]crypto.Address, n)
	for i := range addrs {
		h := sha256.Sum256(fmt.Appendf(nil, "account %d", i))
		addrs[i] = crypto.Address(h[:20])
	}
	sorted := slices.Clone(addrs)
	slices.SortFunc(sorted, func(a, b crypto.Address) int { return bytes.Compare(a[:], b[:]) })
	scratch := newOverlay(NewMemStore())
	if err := putBalance(scratch, sorted[0], "TALLY", 1000); err != nil {
		b.Fatal(err)
	}
	balance, _ := scratch.Get(BalanceKey(sorted[0], "TALLY"))
	holdings, _ := scratch.Get(HoldingsKey(sorted[0]))
	for _, record := range []func(a crypto.Address) ([]byte, []byte){
		func(a crypto.Address) ([]byte, []byte) {
			return AccountKey(a), mustMarshal(&Account{Address: a, Roles: []Role{RoleMember}})
		},
		func(a crypto.Address) ([]byte, []byte) { return BalanceKey(a, "TALLY"), balance },
		func(a crypto.Address) ([]byte, []byte) { return HoldingsKey(a), holdings },
	} {
		var batch Batch
		for i, a := range sorted {
			batch.Set(record(a))
			if i%100_000 == 99_999 || i == len(sorted)-1 {
				if err := st.Write(&batch, false); err != nil {
					b.Fatal(err)
				}
				batch = Batch{}
			}
		}
	}
	asset, _ := getAsset(ov, "TALLY")
	asset.Supply += 1000 * uint64(n)
	putAsset(ov, asset)
	flush()
	entries, err := readEntries(st, 0)
	if err != nil {
		b.Fatal(err)
	}
	tree, root, err := writeTreePages(st, smt.DefaultPageDepth, nil, entries, 1, nil)
	if err != nil {
		b.Fatal(err)
	}
	entries = nil
	var meta Batch
	meta.Set([]byte(metaHeightKey), encodeHeight(1))
	meta.Set([]byte(metaAppHashKey), root[:])
	meta.Set([]byte(metaEntriesKey), encodeHeight(int64(tree.Len())))
	if err := st.Write(&meta, true); err != nil {
		b.Fatal(err)
	}
	return addrs
}

// BenchmarkStateSize measures start-up (Open: read every entry, rebuild the
// tree, check the root) and the cost of one block of 1,000 transfers
// (signatures cached: execution, tree update, one synced LevelDB batch) at
// 10k, 100k and 1M accounts, and the resident memory of a node holding
// that state. TALLY_BENCH_ACCOUNTS=10000000 (a comma-separated list) sets
// the sizes instead; 10M accounts take minutes to generate and several GiB.
//
//	TALLY_BENCH_ACCOUNTS=1000000,10000000 go test ./ledger -run '^$' -bench StateSize -benchtime 3x -timeout 2h
//
// TALLY_BENCH_STATE_DIR=DIR keeps the generated states in DIR for later
// runs (see benchStateDir); docs/architecture.md#state has the figures.
func BenchmarkStateSize(b *testing.B) {
	sizes := []int{10_000, 100_000, 1_000_000}
	if env := os.Getenv("TALLY_BENCH_ACCOUNTS"); env != "" {
		sizes = nil
		for _, f := range strings.Split(env, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil || n < 1 {
				b.Fatalf("TALLY_BENCH_ACCOUNTS=%q: expected account counts such as 10000000", env)
			}
			sizes = append(sizes, n)
		}
	}
	for _, n := range sizes {
		b.Run(fmt.Sprintf("accounts=%d", n), func(b *testing.B) {
			senders := benchSenders(100)
			start := time.Now()
			dir, addrs := benchStateDir(b, n, senders)
			b.Logf("state of %d accounts ready in %v", n, time.Since(start))
			b.Run("open", func(b *testing.B) {
				var cpu time.Duration
				for b.Loop() {
					c0 := processCPU()
					l := openLevel(b, dir)
					cpu += processCPU() - c0
					l.Close()
				}
				b.ReportMetric(cpu.Seconds()/float64(b.N), "s-cpu/op")
			})
			b.Run("resident", func(b *testing.B) {
				// The memory a node holds for the state: the heap after
				// Open, and the process's resident set.
				for b.Loop() {
					l := openLevel(b, dir)
					runtime.GC()
					debug.FreeOSMemory() // what earlier opens freed goes back to the system
					var ms runtime.MemStats
					runtime.ReadMemStats(&ms)
					b.ReportMetric(float64(ms.HeapInuse)/(1<<20), "MiB-heap")
					if rss, ok := residentMiB(); ok {
						b.ReportMetric(rss, "MiB-rss")
					}
					l.Close()
				}
			})
			b.Run("commit", func(b *testing.B) {
				l := openLevel(b, dir)
				defer l.Close()
				next := map[crypto.Address]uint64{}
				for _, s := range senders {
					a, _ := l.View().Account(s.addr)
					next[s.addr] = a.Nonce
				}
				signers := allSigners(benchGenesis(nil).Validators)
				var finalize, commit, treeTime, cpu time.Duration
				blocks := 0
				for b.Loop() {
					b.StopTimer()
					raws := signedTransfers(b, senders, addrs, 1000, next)
					decoded := make([]*decodedTx, len(raws))
					for i, raw := range raws {
						decoded[i] = decodeTx(raw)
					}
					l.verify.verifyAll(testChainID, decoded)
					prev := l.tree
					b.StartTimer()
					c0 := processCPU()
					t0 := time.Now()
					res, err := l.FinalizeBlock(BlockInfo{Height: l.nextHeight, Signers: signers}, raws)
					if err != nil {
						b.Fatal(err)
					}
					t1 := time.Now()
					changes := l.pending.changes
					if err := l.Commit(); err != nil {
						b.Fatal(err)
					}
					finalize += t1.Sub(t0)
					commit += time.Since(t1)
					cpu += processCPU() - c0
					blocks++
					// The tree update alone: the block's changes applied
					// again to the tree of the state before it.
					b.StopTimer()
					replay := prev.Snapshot()
					t2 := time.Now()
					if err := applyChanges(replay, changes); err != nil {
						b.Fatal(err)
					}
					replay.Root()
					treeTime += time.Since(t2)
					b.StartTimer()
					if res.TxResults[0].Code != CodeOK {
						b.Fatal(res.TxResults[0].Log)
					}
				}
				b.ReportMetric(float64(finalize.Microseconds())/1000/float64(blocks), "ms-finalize/op")
				// CPU time of the whole process (every goroutine, the
				// garbage collector, LevelDB's compactions) while the
				// blocks ran: on a loaded machine it moves far less than
				// the wall clock.
				b.ReportMetric(float64(cpu.Microseconds())/1000/float64(blocks), "ms-cpu/op")
				b.ReportMetric(float64(commit.Microseconds())/1000/float64(blocks), "ms-commit/op")
				b.ReportMetric(float64(treeTime.Microseconds())/1000/float64(blocks), "ms-tree/op")
			})
		})
	}
}

// benchStateDir returns a directory holding a committed state of n
// accounts (largeState) and the accounts' addresses. With
// TALLY_BENCH_STATE_DIR set, the state is kept in DIR/<n> and reused by
// later runs (generating ten million accounts takes many minutes), opened
// once first, untimed, so that a ledger needing to rebuild its tree pages
// does so before the timing starts.
func benchStateDir(b *testing.B, n int, senders []identity) (string, []crypto.Address) {
	root := os.Getenv("TALLY_BENCH_STATE_DIR")
	if root == "" {
		dir := b.TempDir()
		return dir, largeState(b, dir, n, senders)
	}
	dir := filepath.Join(root, strconv.Itoa(n))
	if _, err := os.Stat(filepath.Join(dir, "READY")); err != nil {
		if err := os.RemoveAll(dir); err != nil {
			b.Fatal(err)
		}
		addrs := largeState(b, dir, n, senders)
		if err := os.WriteFile(filepath.Join(dir, "READY"), nil, 0o644); err != nil {
			b.Fatal(err)
		}
		return dir, addrs
	}
	addrs := make([]crypto.Address, n)
	for i := range addrs {
		h := sha256.Sum256(fmt.Appendf(nil, "account %d", i))
		addrs[i] = crypto.Address(h[:20])
	}
	// Settle LevelDB (a rebuild of the tree's pages, earlier runs' blocks)
	// so that no compaction left over runs during the timed blocks.
	l := openLevel(b, dir)
	if ls, ok := l.store.(*levelStore); ok {
		if err := ls.db.CompactRange(util.Range{}); err != nil {
			b.Fatal(err)
		}
	}
	l.Close()
	return dir, addrs
}

// processCPU is the CPU time (user and system) this process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// residentMiB is this process's resident set size (Linux), in MiB.
func residentMiB() (float64, bool) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, false
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			return kb / 1024, err == nil
		}
	}
	return 0, false
}

// BenchmarkDecodeTx measures strict decoding of one transfer (CBOR decode,
// the canonical re-encoding check, ValidateBasic), which every pass over a
// block repeats.
func BenchmarkDecodeTx(b *testing.B) {
	raw := newTx(b).from(alice).to(bob).amount(5).nonce(0).bytes(nil)
	b.ReportAllocs()
	for b.Loop() {
		if d := decodeTx(raw); d.decodeErr != nil {
			b.Fatal(d.decodeErr)
		}
	}
}
