package explorer

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	ctypes "github.com/cometbft/cometbft/rpc/core/types"
)

// fakeChain answers the read-only queries with fixed values.
type fakeChain struct{}

var errFake = errors.New("not in this fake")

func (fakeChain) Status(context.Context) (*ctypes.ResultStatus, error) {
	return &ctypes.ResultStatus{SyncInfo: ctypes.SyncInfo{LatestBlockHeight: 42}}, nil
}
func (fakeChain) Block(context.Context, *int64) (*ctypes.ResultBlock, error) { return nil, errFake }
func (fakeChain) BlockchainInfo(context.Context, int64, int64) (*ctypes.ResultBlockchainInfo, error) {
	return &ctypes.ResultBlockchainInfo{LastHeight: 42}, nil
}
func (fakeChain) Commit(context.Context, *int64) (*ctypes.ResultCommit, error) { return nil, errFake }
func (fakeChain) Validators(context.Context, *int64, *int, *int) (*ctypes.ResultValidators, error) {
	return nil, errFake
}
func (fakeChain) NetInfo(context.Context) (*ctypes.ResultNetInfo, error) {
	return &ctypes.ResultNetInfo{NPeers: 3}, nil
}
func (fakeChain) Subscribe(context.Context, string, string, ...int) (<-chan ctypes.ResultEvent, error) {
	return nil, errFake
}
func (fakeChain) UnsubscribeAll(context.Context, string) error { return nil }

func newTestServer(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(New(Options{Chain: fakeChain{}, Names: []Name{{Name: "alice", Address: "tally1abc", Kind: "account"}}}))
	t.Cleanup(srv.Close)
	return srv
}

func get(t *testing.T, url string, header ...string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, string(b)
}

func TestStaticFiles(t *testing.T) {
	srv := newTestServer(t)
	for _, tc := range []struct{ path, contentType, contains string }{
		{"", "text/html; charset=utf-8", "<title>Tally explorer</title>"},
		{"index.html", "text/html; charset=utf-8", `src="app.js"`},
		{"app.js", "text/javascript; charset=utf-8", "subscribe_blocks"},
		{"chart.js", "text/javascript; charset=utf-8", "tallyChart"},
		{"sha256.js", "text/javascript; charset=utf-8", "tallySHA256"},
		{"style.css", "text/css; charset=utf-8", ".panel"},
		{"favicon.svg", "image/svg+xml", "<svg"},
	} {
		res, body := get(t, srv.URL+Path+tc.path)
		if res.StatusCode != http.StatusOK {
			t.Errorf("GET %s%s = %d, expected 200", Path, tc.path, res.StatusCode)
			continue
		}
		if ct := res.Header.Get("Content-Type"); ct != tc.contentType {
			t.Errorf("GET %s%s: Content-Type %q, expected %q", Path, tc.path, ct, tc.contentType)
		}
		if cc := res.Header.Get("Cache-Control"); cc != "no-cache" {
			t.Errorf("GET %s%s: Cache-Control %q, expected no-cache (revalidate, so an upgraded node never serves old pages)", Path, tc.path, cc)
		}
		if res.Header.Get("ETag") == "" || res.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("GET %s%s: ETag %q, X-Content-Type-Options %q", Path, tc.path, res.Header.Get("ETag"), res.Header.Get("X-Content-Type-Options"))
		}
		if !strings.Contains(body, tc.contains) {
			t.Errorf("GET %s%s: body lacks %q", Path, tc.path, tc.contains)
		}
		// Revalidation with the ETag is a 304 without a body.
		res2, body2 := get(t, srv.URL+Path+tc.path, "If-None-Match", res.Header.Get("ETag"))
		if res2.StatusCode != http.StatusNotModified || body2 != "" {
			t.Errorf("GET %s%s with its ETag = %d (%d bytes), expected 304", Path, tc.path, res2.StatusCode, len(body2))
		}
	}
	res, _ := get(t, srv.URL+Path)
	if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "connect-src 'self'") || !strings.Contains(csp, "script-src 'self'") {
		t.Errorf("index Content-Security-Policy %q, expected self-only scripts and connections", csp)
	}
	if res, _ := get(t, srv.URL+Path+"missing.js"); res.StatusCode != http.StatusNotFound {
		t.Errorf("GET a missing file = %d, expected 404", res.StatusCode)
	}
	post, err := http.Post(srv.URL+Path, "text/plain", strings.NewReader("x"))
	if err != nil {
		t.Fatal(err)
	}
	post.Body.Close()
	if post.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST %s = %d, expected 405", Path, post.StatusCode)
	}
}

// The explorer's JSON-RPC answers an allow-list of read-only methods, never
// cached, and nothing that writes.
func TestReadOnlyRPC(t *testing.T) {
	srv := newTestServer(t)
	rpc := func(method string) (map[string]json.RawMessage, *http.Response) {
		t.Helper()
		body := `{"jsonrpc":"2.0","id":1,"method":"` + method + `","params":{}}`
		res, err := http.Post(srv.URL+Path+"rpc/", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var out map[string]json.RawMessage
		if err := json.NewDecoder(res.Body).Decode(&out); err != nil {
			t.Fatalf("%s: %v", method, err)
		}
		return out, res
	}
	out, res := rpc("names")
	if cc := res.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("rpc Cache-Control %q, expected no-store", cc)
	}
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("rpc Content-Type %q, expected application/json", ct)
	}
	if got := string(out["result"]); got != `{"names":[{"name":"alice","address":"tally1abc","kind":"account"}]}` {
		t.Errorf("names = %s", got)
	}
	out, _ = rpc("net_info")
	if !strings.Contains(string(out["result"]), `"n_peers":"3"`) {
		t.Errorf("net_info = %s, expected CometBFT's JSON with n_peers \"3\"", out["result"])
	}
	for _, m := range []string{"broadcast_tx_sync", "broadcast_tx_commit", "unsafe_flush_mempool", "dial_peers", "abci_query", "subscribe_blocks"} {
		out, _ := rpc(m)
		if out["error"] == nil || !strings.Contains(string(out["error"]), "-32601") {
			t.Errorf("%s over HTTP: %s, expected method not found", m, out["error"])
		}
	}
	// URI form, as CometBFT's RPC has it.
	res, body := get(t, srv.URL+Path+"rpc/blockchain?minHeight=1&maxHeight=2")
	if res.StatusCode != http.StatusOK || !strings.Contains(body, `"last_height":"42"`) {
		t.Errorf("GET blockchain = %d %s", res.StatusCode, body)
	}
}

func TestSameOrigin(t *testing.T) {
	for _, tc := range []struct {
		origin, host string
		ok           bool
	}{
		{"", "127.0.0.1:26659", true},
		{"http://127.0.0.1:26659", "127.0.0.1:26659", true},
		{"http://evil.example", "127.0.0.1:26659", false},
		{"http://127.0.0.1:8080", "127.0.0.1:26659", false},
		{"::bad", "127.0.0.1:26659", false},
	} {
		r := httptest.NewRequest(http.MethodGet, "/explorer/websocket", nil)
		r.Host = tc.host
		if tc.origin != "" {
			r.Header.Set("Origin", tc.origin)
		}
		if got := sameOrigin(r); got != tc.ok {
			t.Errorf("origin %q to %s: allowed %v, expected %v", tc.origin, tc.host, got, tc.ok)
		}
	}
}
