package e2e

import (
	"context"
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/tallyledger/tally/client"
	"github.com/tallyledger/tally/crypto"
	"github.com/tallyledger/tally/genesis"
	"github.com/tallyledger/tally/localnet"
)

// A fifth node joins a running four-validator network twice: by state sync
// (it restores a validator's snapshot) and by replaying every block. Both
// serve the same balances as the validators and agree with their app
// hashes. The default run uses a small network; the figures asked for in
// operations (100,000 funded accounts, height above 1,000) come from
//
//	TALLY_STATESYNC_ACCOUNTS=100000 TALLY_STATESYNC_HEIGHT=1010 go test ./e2e -run TestStateSyncJoin -v -timeout 60m
//
// which logs both join times.
func TestStateSyncJoin(t *testing.T) {
	accounts, height := 300, int64(45)
	if v := os.Getenv("TALLY_STATESYNC_ACCOUNTS"); v != "" {
		accounts, _ = strconv.Atoi(v)
	}
	if v := os.Getenv("TALLY_STATESYNC_HEIGHT"); v != "" {
		height, _ = strconv.ParseInt(v, 10, 64)
	}
	opts := localnet.Options{Validators: 4, TimeoutCommit: 100 * time.Millisecond, Binary: tallydBinary}
	base, err := localnet.FreeBasePort(6)
	if err != nil {
		t.Fatal(err)
	}
	opts.BasePort = base
	dir := filepath.Join(t.TempDir(), "net")
	if err := localnet.Init(dir, opts); err != nil {
		t.Fatal(err)
	}
	addrs := fundManyAccounts(t, dir, accounts)
	ctx := testCtx(t, 60*time.Minute)
	net, err := localnet.Start(ctx, dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := net.Stop(); err != nil {
			t.Errorf("stop network: %v", err)
		}
	})
	began := time.Now()
	if err := net.WaitHeight(ctx, 0, height); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d funded accounts; height %d after %s", accounts, height, time.Since(began).Round(time.Second))

	join := func(stateSync bool) (int, time.Duration) {
		t.Helper()
		j, err := localnet.PrepareJoiningNode(ctx, dir, stateSync)
		if err != nil {
			t.Fatal(err)
		}
		if err := localnet.AllowNode(ctx, dir, j.NodeID); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		i, err := net.AddNode(j.Home)
		if err != nil {
			t.Fatal(err)
		}
		if err := net.ServingBalances(ctx, i); err != nil {
			t.Fatal(err)
		}
		took := time.Since(start)
		// A generated account's balance and the app hash agree with node0.
		probe := addrs[len(addrs)/2]
		c, err := client.New(net.RPCURL(i), client.WithAPIURL(net.APIURL(i)))
		if err != nil {
			t.Fatal(err)
		}
		a, err := c.Account(ctx, probe)
		if err != nil || len(a.Balances) != 1 || a.Balances[0].Amount != 1000+uint64(len(addrs)/2) {
			t.Fatalf("node%d: account %s = %+v, %v", i, probe, a, err)
		}
		h, err := net.Height(ctx, 0)
		if err != nil {
			t.Fatal(err)
		}
		if err := net.WaitHeight(ctx, i, h+1); err != nil {
			t.Fatal(err)
		}
		assertSameAppHash(ctx, t, net, h, 0, i)
		return i, took
	}

	synced, tSync := join(true)
	if base := firstStoredBlock(ctx, t, net, synced); base <= 1 {
		t.Fatalf("node%d's block store starts at %d: it replayed instead of state syncing", synced, base)
	}
	if err := net.StopNode(synced); err != nil {
		t.Fatal(err)
	}
	replayed, tReplay := join(false)
	if base := firstStoredBlock(ctx, t, net, replayed); base != 1 {
		t.Fatalf("node%d's block store starts at %d, want 1 (replay)", replayed, base)
	}
	h, _ := net.Height(ctx, 0)
	t.Logf("join at height ~%d with %d funded accounts: state sync serves the validators' balances %s after the node's start; replaying every block %s",
		h, accounts, tSync.Round(10*time.Millisecond), tReplay.Round(10*time.Millisecond))
}

// firstStoredBlock is the lowest height node i's block store holds.
func firstStoredBlock(ctx context.Context, t *testing.T, net *localnet.Net, i int) int64 {
	t.Helper()
	st, err := net.Client(i).Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return st.SyncInfo.EarliestBlockHeight
}

// fundManyAccounts registers n generated accounts in every node's genesis,
// account k holding 1000+k TALLY, and returns their addresses.
func fundManyAccounts(t *testing.T, dir string, n int) []crypto.Address {
	t.Helper()
	m, err := localnet.LoadManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	path0 := filepath.Join(dir, m.Nodes[0].Home, "config", "genesis.json")
	doc, st, err := genesis.Load(path0)
	if err != nil {
		t.Fatal(err)
	}
	addrs := make([]crypto.Address, n)
	for k := range n {
		sum := sha256.Sum256([]byte(fmt.Sprintf("statesync account %d", k)))
		copy(addrs[k][:], sum[:])
		a := addrs[k].String()
		st.Accounts = append(st.Accounts, genesis.Account{Address: a, Roles: []string{"member"}})
		st.Balances = append(st.Balances, genesis.Balance{Address: a, Asset: localnet.Asset, Amount: strconv.Itoa(1000 + k)})
	}
	if err := st.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, nd := range m.Nodes {
		if err := genesis.Write(filepath.Join(dir, nd.Home, "config", "genesis.json"), doc, st); err != nil {
			t.Fatal(err)
		}
	}
	return addrs
}
