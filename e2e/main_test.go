package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	coretypes "github.com/cometbft/cometbft/rpc/core/types"

	"github.com/tallyledger/tally/crypto"
	"github.com/tallyledger/tally/crypto/keystore"
	"github.com/tallyledger/tally/internal/testutil"
	"github.com/tallyledger/tally/ledger"
	"github.com/tallyledger/tally/localnet"
	"github.com/tallyledger/tally/wire"
)

// The tallyd and tally executables TestMain builds for every test.
var tallydBinary, tallyBinary string

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	bins, err := testutil.Build(testutil.Tallyd, testutil.Tally)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer bins.Remove()
	tallydBinary, tallyBinary = bins.Path(testutil.Tallyd), bins.Path(testutil.Tally)
	return m.Run()
}

// longTests reports whether the heavier variants run (TALLY_E2E_LONG=1).
func longTests() bool { return os.Getenv("TALLY_E2E_LONG") == "1" }

// startNet generates and starts a network of n validators on free ports
// and stops it when the test ends.
func startNet(t testing.TB, opts localnet.Options) *localnet.Net {
	t.Helper()
	if opts.Validators == 0 {
		opts.Validators = 4
	}
	opts.Binary = tallydBinary
	opts.CometTxIndex = true // the tests also search CometBFT's index by event
	dir := filepath.Join(t.TempDir(), "net")
	// Another process can take a port between its probe and a node's use
	// of it: StartOnFreePorts then tries other ports.
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
	defer cancel()
	net, err := localnet.StartOnFreePorts(ctx, dir, opts, 3)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := net.Stop(); err != nil {
			t.Errorf("stop network: %v", err)
		}
	})
	t.Logf("network in %s: first block after %s", dir, net.FirstBlock)
	return net
}

// testCtx is a context bounded by d and by the test's end.
func testCtx(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), d)
	t.Cleanup(cancel)
	return ctx
}

// wallet opens the network's test-backend key store.
type wallet struct {
	t  *testing.T
	ks *keystore.Store
}

func openWallet(t *testing.T, net *localnet.Net) *wallet {
	t.Helper()
	ks, err := keystore.Open(net.WalletDir(), keystore.Options{Backend: keystore.BackendTest})
	if err != nil {
		t.Fatal(err)
	}
	return &wallet{t: t, ks: ks}
}

func (w *wallet) key(name string) *crypto.PrivKey {
	w.t.Helper()
	k, err := w.ks.PrivKey(name)
	if err != nil {
		w.t.Fatal(err)
	}
	return k
}

func (w *wallet) addr(name string) crypto.Address {
	return w.key(name).PubKey().Address()
}

// transfer builds signed transfer bytes.
func transfer(chainID string, from *crypto.PrivKey, to crypto.Address, amount, nonce uint64) []byte {
	body := ledger.Body{Nonce: nonce, Msg: ledger.Msg{Transfer: &ledger.Transfer{To: to, Asset: localnet.Asset, Amount: amount}}}
	return ledger.NewSignedTx(chainID, body, from).Encode()
}

// queryAccount reads an account through abci_query /account/<addr> on node i.
func queryAccount(ctx context.Context, t *testing.T, net *localnet.Net, i int, addr crypto.Address) wire.AccountResult {
	t.Helper()
	res, err := net.Client(i).ABCIQuery(ctx, wire.QueryPathAccount+addr.String(), nil)
	if err != nil {
		t.Fatalf("node%d abci_query account %s: %v", i, addr, err)
	}
	if res.Response.Code != 0 {
		t.Fatalf("node%d abci_query account %s: code %d: %s", i, addr, res.Response.Code, res.Response.Log)
	}
	var a wire.AccountResult
	if err := json.Unmarshal(res.Response.Value, &a); err != nil {
		t.Fatalf("node%d account %s: %v in %s", i, addr, err, res.Response.Value)
	}
	return a
}

func balanceOf(t *testing.T, a wire.AccountResult, asset string) uint64 {
	t.Helper()
	for _, b := range a.Balances {
		if b.Asset == asset {
			return uint64(b.Amount)
		}
	}
	return 0
}

// apiAccount reads an account through the ledger JSON-RPC API of node i.
func apiAccount(ctx context.Context, t *testing.T, net *localnet.Net, i int, addr crypto.Address) wire.AccountResult {
	t.Helper()
	var a wire.AccountResult
	apiCall(ctx, t, net.APIURL(i), wire.MethodAccount, map[string]string{wire.ParamAddress: addr.String()}, &a)
	return a
}

// apiCall calls a method of the ledger JSON-RPC API at url and decodes its
// result into out; a JSON-RPC error fails the test.
func apiCall(ctx context.Context, t *testing.T, url, method string, params map[string]string, out any) {
	t.Helper()
	if params == nil {
		params = map[string]string{}
	}
	body, err := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": 1, "method": method, "params": params})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("ledger API %s at %s: %v", method, url, err)
	}
	defer res.Body.Close()
	var env struct {
		Result json.RawMessage `json:"result"`
		Error  json.RawMessage `json:"error"`
	}
	if err := json.NewDecoder(res.Body).Decode(&env); err != nil {
		t.Fatalf("ledger API %s at %s: %v", method, url, err)
	}
	if len(env.Error) > 0 || len(env.Result) == 0 {
		t.Fatalf("ledger API %s %v at %s: %s", method, params, url, env.Error)
	}
	if err := json.Unmarshal(env.Result, out); err != nil {
		t.Fatalf("ledger API %s: %v in %s", method, err, env.Result)
	}
}

// waitTx polls node i until the transaction is in a block.
func waitTx(ctx context.Context, t *testing.T, net *localnet.Net, i int, tx []byte) *coretypes.ResultTx {
	t.Helper()
	hash := ledger.TxHash(tx)
	for {
		res, err := net.Client(i).Tx(ctx, hash[:], false)
		if err == nil {
			return res
		}
		select {
		case <-ctx.Done():
			t.Fatalf("node%d: transaction %X not committed: %v (last error: %v)", i, hash, ctx.Err(), err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// waitFor polls cond until it holds or ctx ends.
func waitFor(ctx context.Context, t *testing.T, what string, cond func() (bool, error)) {
	t.Helper()
	var lastErr error
	for {
		ok, err := cond()
		if ok {
			return
		}
		lastErr = err
		select {
		case <-ctx.Done():
			t.Fatalf("%s: %v (last error: %v)", what, ctx.Err(), lastErr)
		case <-time.After(100 * time.Millisecond):
		}
	}
}
