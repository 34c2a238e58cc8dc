package e2e

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/syndtr/goleveldb/leveldb"
	"github.com/syndtr/goleveldb/leveldb/util"

	"github.com/tallyledger/tally/crypto"
	"github.com/tallyledger/tally/localnet"
	"github.com/tallyledger/tally/localnet/faults"
)

// Every store of a node, damaged on one stopped validator of a four-node
// network under load, either is repaired safely at start (said in the
// log) or stops the start with one line naming the store and the way
// out; the way out applied, the node rejoins with the same app hash, and
// at the end every transfer any node acknowledged is found on every node
// (faults.Check). See docs/reliability.md, "No silent loss".
func TestDamagedStoresRepairedOrRefused(t *testing.T) {
	net := startNet(t, localnet.Options{Validators: 4, Users: 2})
	ctx := testCtx(t, 12*time.Minute)
	w := openWallet(t, net)
	load, err := faults.StartLoad(ctx, net, []*crypto.PrivKey{w.key("user1"), w.key("user2")}, w.addr("bob"), 50*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	var stopLoad sync.Once
	t.Cleanup(func() { stopLoad.Do(func() { load.Stop() }) })

	const v = 3 // the damaged validator
	home := net.Home(v)
	data := filepath.Join(home, "data")
	backup := filepath.Join(t.TempDir(), "node3-backup.tar.gz")
	reset := func(t *testing.T) {
		run(ctx, t, tallydBinary, "reset", "--yes", "--home", home)
	}
	// writeSignStatePast writes the sign state the refusal names: past
	// every height this validator could have signed.
	writeSignStatePast := func(t *testing.T) {
		var top int64
		for i := 0; i < v; i++ {
			h, err := net.Height(ctx, i)
			if err != nil {
				t.Fatal(err)
			}
			top = max(top, h)
		}
		st := fmt.Sprintf(`{"height": "%d", "round": 0, "step": 0}`, top+2)
		if err := os.WriteFile(filepath.Join(data, "priv_validator_state.json"), []byte(st), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	restoreFromBackup := func(name string) func(*testing.T) {
		return func(t *testing.T) {
			extractFile(t, backup, "config/"+name, filepath.Join(home, "config", name))
		}
	}

	cases := []struct {
		name string
		// ready, if set, holds the stop until the node's files allow the damage.
		ready  func() (bool, error)
		damage func(t *testing.T)
		// refusal: what the one line of the refused start says; none for a repair.
		refusal []string
		// repaired: what the log says on the repaired start.
		repaired string
		// replayed: the ledger started behind the block store.
		replayed bool
		recover  func(t *testing.T)
		// onRead: the damage is found when the node reads it, not at start.
		onRead bool
	}{
		{
			name:     "consensus WAL cut mid-record",
			damage:   func(t *testing.T) { truncateBy(t, filepath.Join(data, "cs.wal", "wal"), 37) },
			repaired: "consensus WAL repaired",
		},
		{
			name:     "consensus WAL garbled",
			damage:   func(t *testing.T) { garbleAt(t, filepath.Join(data, "cs.wal", "wal"), -1) },
			repaired: "consensus WAL repaired",
		},
		{
			name:   "ledger journal cut short",
			ready:  journalAtLeast(data, "ledger.db", 4<<10),
			damage: func(t *testing.T) { truncateHalf(t, newestJournal(t, data, "ledger.db")) },
			// Usually the log says "store journal ends in unreadable bytes
			// ... store=ledger"; a cut that falls between two writes reads
			// as a clean end. Either way the ledger starts behind the block
			// store and CometBFT's handshake replays the blocks it lost.
			repaired: "ABCI Replay Blocks",
			replayed: true,
		},
		{
			name: "sign state not JSON",
			damage: func(t *testing.T) {
				if err := os.WriteFile(filepath.Join(data, "priv_validator_state.json"), []byte(`{"height": "12`), 0o600); err != nil {
					t.Fatal(err)
				}
			},
			refusal: []string{"validator sign state", "priv_validator_state.json", "is damaged", "is not reset", `"height"`},
			recover: func(t *testing.T) {
				// Not tallyd reset: it would set the sign state to height 0.
				if out, err := exec.CommandContext(ctx, tallydBinary, "reset", "--yes", "--home", home).CombinedOutput(); err == nil ||
					!strings.Contains(string(out), "validator sign state") {
					t.Errorf("tallyd reset on a damaged sign state: %v: %s", err, out)
				}
				writeSignStatePast(t)
			},
		},
		{
			name:  "sign state height garbled",
			ready: signedSomething(filepath.Join(data, "priv_validator_state.json")),
			damage: func(t *testing.T) {
				p := filepath.Join(data, "priv_validator_state.json")
				b, err := os.ReadFile(p)
				if err != nil {
					t.Fatal(err)
				}
				var st map[string]any
				if err := json.Unmarshal(b, &st); err != nil {
					t.Fatal(err)
				}
				h, _ := strconv.ParseInt(st["height"].(string), 10, 64)
				st["height"] = strconv.FormatInt(h-1, 10) // a digit flipped: still a number
				b, _ = json.Marshal(st)
				if err := os.WriteFile(p, b, 0o600); err != nil {
					t.Fatal(err)
				}
			},
			refusal: []string{"validator sign state", "is damaged", "the message it last signed", "is not reset"},
			recover: writeSignStatePast,
		},
		{
			name: "validator key garbled",
			damage: func(t *testing.T) {
				run(ctx, t, tallydBinary, "backup", "--home", home, "--output", backup)
				garbleAt(t, filepath.Join(home, "config", "priv_validator_key.json"), -1)
			},
			refusal: []string{"validator key", "priv_validator_key.json", "is damaged", "restore the file from a backup"},
			recover: restoreFromBackup("priv_validator_key.json"),
		},
		{
			name:    "node key cut short",
			damage:  func(t *testing.T) { truncateHalf(t, filepath.Join(home, "config", "node_key.json")) },
			refusal: []string{"node key", "node_key.json", "is damaged", "restore the file from a backup"},
			recover: restoreFromBackup("node_key.json"),
		},
		{
			name:    "genesis cut short",
			damage:  func(t *testing.T) { truncateHalf(t, filepath.Join(home, "config", "genesis.json")) },
			refusal: []string{"genesis file", "genesis.json", "is damaged", "copy config/genesis.json from another node"},
			recover: func(t *testing.T) {
				b, err := os.ReadFile(filepath.Join(net.Home(0), "config", "genesis.json"))
				if err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(home, "config", "genesis.json"), b, 0o600); err != nil {
					t.Fatal(err)
				}
			},
		},
		{
			name:    "block store journal garbled",
			ready:   journalAtLeast(data, "blockstore.db", 40<<10),
			damage:  func(t *testing.T) { garbleAt(t, newestJournal(t, data, "blockstore.db"), 1000) },
			refusal: []string{"block store", "blockstore.db", "is damaged", "later writes", "tallyd reset --home"},
			recover: reset,
		},
		{
			name:    "block store journal cut short",
			ready:   journalAtLeast(data, "blockstore.db", 8<<10),
			damage:  func(t *testing.T) { truncateHalf(t, newestJournal(t, data, "blockstore.db")) },
			refusal: []string{"ahead of the block store", "tallyd reset --home"},
			recover: reset,
		},
		{
			name:    "state store journal garbled",
			ready:   journalAtLeast(data, "state.db", 40<<10),
			damage:  func(t *testing.T) { garbleAt(t, newestJournal(t, data, "state.db"), 1000) },
			refusal: []string{"state store", "state.db", "is damaged", "later writes", "tallyd reset --home"},
			recover: reset,
		},
		{
			name:    "state store journal cut short",
			ready:   journalAtLeast(data, "state.db", 8<<10),
			damage:  func(t *testing.T) { truncateHalf(t, newestJournal(t, data, "state.db")) },
			refusal: []string{"handshake", "tallyd reset --home"},
			recover: reset,
		},
		{
			name:    "evidence store manifest garbled",
			damage:  func(t *testing.T) { garbleManifest(t, filepath.Join(data, "evidence.db")) },
			refusal: []string{"evidence store", "evidence.db", "is damaged", "manifest", "tallyd reset --home"},
			recover: reset,
		},
		{
			name:    "ledger manifest garbled",
			damage:  func(t *testing.T) { garbleManifest(t, filepath.Join(data, "ledger.db")) },
			refusal: []string{"ledger", "ledger.db", "is damaged", "manifest", "tallyd reset --home"},
			recover: reset,
		},
		{
			name:    "block store table garbled",
			damage:  func(t *testing.T) { compactAndGarbleTables(t, filepath.Join(data, "blockstore.db")) },
			onRead:  true,
			refusal: []string{"block store", "blockstore.db", "is damaged", "checksum", "tallyd reset --home"},
			recover: reset,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.ready != nil {
				waitFor(ctx, t, "node3's files ready for the damage", tc.ready)
			}
			if err := net.StopNode(v); err != nil {
				t.Fatal(err)
			}
			tc.damage(t)
			logFrom := fileSize(net.LogFile(v))
			if tc.onRead {
				// The node starts (or stops in its handshake); reading every
				// block makes it read the damaged one, and it stops.
				if err := net.RestartNode(v); err == nil {
					top, err := net.Height(ctx, 0)
					if err != nil {
						t.Fatal(err)
					}
					for h := int64(1); h <= top && net.Running(v); h++ {
						_, _ = net.Client(v).Block(ctx, &h)
					}
				}
				wctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
				defer cancel()
				waitFor(wctx, t, "node3 stops on the damaged block store", func() (bool, error) { return !net.Running(v), nil })
				b, _ := os.ReadFile(net.LogFile(v))
				out := string(b[logFrom:])
				if strings.Contains(out, "goroutine ") || strings.Contains(out, "panic:") {
					t.Errorf("node3 logged a Go panic:\n%s", tail(out, 40))
				}
				last := lastLine(out)
				for _, want := range append([]string{"Error: "}, tc.refusal...) {
					if !strings.Contains(last, want) {
						t.Errorf("node3's last line does not say %q: %s", want, last)
					}
				}
				t.Logf("stopped: %s", last)
				tc.recover(t)
			} else if tc.refusal != nil {
				out, started := startOnce(ctx, t, home)
				if started {
					t.Fatalf("tallyd started on the damaged store:\n%s", tail(out, 20))
				}
				if strings.Contains(out, "goroutine ") || strings.Contains(out, "panic:") {
					t.Errorf("start printed a Go panic:\n%s", out)
				}
				last := lastLine(out)
				if !strings.HasPrefix(last, "Error: ") {
					t.Errorf("last line of the refused start is not an error: %s", last)
				}
				for _, want := range tc.refusal {
					if !strings.Contains(last, want) {
						t.Errorf("refusal does not say %q: %s", want, last)
					}
				}
				t.Logf("refused: %s", last)
				tc.recover(t)
			}
			if err := net.RestartNode(v); err != nil {
				t.Fatal(err)
			}
			if tc.repaired != "" {
				wctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
				defer cancel()
				for {
					b, _ := os.ReadFile(net.LogFile(v))
					if int64(len(b)) > logFrom && strings.Contains(string(b[logFrom:]), tc.repaired) {
						break
					}
					if wctx.Err() != nil {
						t.Fatalf("node3's log does not say %q; it ends:\n%s", tc.repaired, tail(string(b[min(logFrom, int64(len(b))):]), 30))
					}
					time.Sleep(100 * time.Millisecond)
				}
			}
			if tc.replayed {
				b, _ := os.ReadFile(net.LogFile(v))
				m := replayRE.FindStringSubmatch(string(b[logFrom:]))
				if m == nil {
					t.Fatal("no ABCI Replay Blocks line in node3's log")
				}
				app, _ := strconv.ParseInt(m[1], 10, 64)
				store, _ := strconv.ParseInt(m[2], 10, 64)
				if app >= store {
					t.Errorf("the ledger started at height %d, the block store at %d: nothing was cut from the ledger", app, store)
				}
			}
			rejoined(ctx, t, net, v)
		})
		if t.Failed() {
			break
		}
	}

	if t.Failed() {
		return
	}
	var acked []faults.Acked
	stopLoad.Do(func() { acked, _, _ = load.Stop() })
	if len(acked) == 0 {
		t.Fatal("no transfer was acknowledged during the test")
	}
	var top int64
	for _, a := range acked {
		top = max(top, a.Height)
	}
	if err := net.WaitAll(ctx, top); err != nil {
		t.Fatal(err)
	}
	rep, err := faults.Check(ctx, net, acked)
	if err != nil {
		t.Fatal(err)
	}
	if err := rep.Err(); err != nil {
		t.Errorf("invariants broken after the damages: %v", err)
	}
	t.Logf("%d transfers acknowledged, all found on every node", len(acked))
}

var replayRE = regexp.MustCompile(`ABCI Replay Blocks\s+module=consensus appHeight=(\d+) storeHeight=(\d+)`)

// rejoined waits for node v to reach the others' height and compares
// its app hash there with node0's.
func rejoined(ctx context.Context, t *testing.T, net *localnet.Net, v int) {
	t.Helper()
	h, err := net.Height(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := net.WaitHeight(ctx, v, h); err != nil {
		t.Fatal(err)
	}
	a, err := net.AppHash(ctx, 0, h)
	if err != nil {
		t.Fatal(err)
	}
	b, err := net.AppHash(ctx, v, h)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Fatalf("node%d's app hash at height %d is %X, node0's %X", v, h, b, a)
	}
}

// startOnce runs `tallyd start` on home until it exits or says it has
// started (then it is stopped).
func startOnce(ctx context.Context, t *testing.T, home string) (string, bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	var out syncBuffer
	cmd := exec.CommandContext(ctx, tallydBinary, "start", "--home", home)
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	for {
		select {
		case <-done:
			return out.String(), false
		case <-time.After(100 * time.Millisecond):
			if strings.Contains(out.String(), "tally node started") {
				cmd.Process.Signal(os.Interrupt)
				<-done
				return out.String(), true
			}
		}
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func run(ctx context.Context, t *testing.T, name string, args ...string) {
	t.Helper()
	if out, err := exec.CommandContext(ctx, name, args...).CombinedOutput(); err != nil {
		t.Fatalf("%s %s: %v\n%s", filepath.Base(name), strings.Join(args, " "), err, out)
	}
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

func fileSize(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return fi.Size()
}

// newestJournal is the LevelDB journal being written in data/db.
func newestJournal(t *testing.T, data, db string) string {
	t.Helper()
	logs, _ := filepath.Glob(filepath.Join(data, db, "*.log"))
	if len(logs) == 0 {
		t.Fatalf("no journal in %s", filepath.Join(data, db))
	}
	sort.Strings(logs)
	return logs[len(logs)-1]
}

func journalAtLeast(data, db string, size int64) func() (bool, error) {
	return func() (bool, error) {
		logs, _ := filepath.Glob(filepath.Join(data, db, "*.log"))
		sort.Strings(logs)
		if len(logs) == 0 {
			return false, nil
		}
		return fileSize(logs[len(logs)-1]) >= size, nil
	}
}

// signedSomething holds until the sign state records a signed message.
func signedSomething(path string) func() (bool, error) {
	return func() (bool, error) {
		b, err := os.ReadFile(path)
		if err != nil {
			return false, err
		}
		var st struct {
			SignBytes string `json:"signbytes"`
		}
		_ = json.Unmarshal(b, &st)
		return st.SignBytes != "", nil
	}
}

func truncateBy(t *testing.T, path string, n int64) {
	t.Helper()
	if err := os.Truncate(path, fileSize(path)-n); err != nil {
		t.Fatal(err)
	}
}

func truncateHalf(t *testing.T, path string) {
	t.Helper()
	if err := os.Truncate(path, fileSize(path)/2); err != nil {
		t.Fatal(err)
	}
}

// garbleAt overwrites 16 bytes at off (-1: the middle of the file).
func garbleAt(t *testing.T, path string, off int64) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if off < 0 {
		off = fileSize(path) / 2
	}
	if _, err := f.WriteAt(bytes.Repeat([]byte{0xAA}, 16), off); err != nil {
		t.Fatal(err)
	}
}

func garbleManifest(t *testing.T, dir string) {
	t.Helper()
	manifests, _ := filepath.Glob(filepath.Join(dir, "MANIFEST-*"))
	if len(manifests) == 0 {
		t.Fatalf("no manifest in %s", dir)
	}
	sort.Strings(manifests)
	if err := os.WriteFile(manifests[len(manifests)-1], []byte("garbage, not a leveldb manifest at all"), 0o644); err != nil {
		t.Fatal(err)
	}
}

// extractFile writes the archive's entry name to dst (mode 0600).
func extractFile(t *testing.T, archive, name, dst string) {
	t.Helper()
	f, err := os.Open(archive)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			t.Fatalf("%s is not in %s", name, archive)
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Name != name {
			continue
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return
	}
}

// compactAndGarbleTables moves a stopped node's LevelDB database from its
// journal into table files (as a node does once its journal is full) and
// overwrites 16 bytes in every KiB of each table's blocks, so that any
// read of it finds a damaged block.
func compactAndGarbleTables(t *testing.T, dir string) {
	t.Helper()
	db, err := leveldb.OpenFile(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.CompactRange(util.Range{}); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	tables, _ := filepath.Glob(filepath.Join(dir, "*.ldb"))
	if len(tables) == 0 {
		t.Fatalf("no table in %s after compaction", dir)
	}
	for _, f := range tables {
		for off := int64(512); off < fileSize(f)-64; off += 1024 {
			garbleAt(t, f, off)
		}
	}
}
