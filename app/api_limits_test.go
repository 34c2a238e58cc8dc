package app

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	rpctypes "github.com/cometbft/cometbft/rpc/jsonrpc/types"
)

func TestCheckBatch(t *testing.T) {
	sneaky := "[" + strings.TrimSuffix(strings.Repeat(`{"id":1,"ID":{},"method":"status"},`, 2000), ",") + "]"
	for _, tc := range []struct {
		name, body string
		want       string // "" accepted
	}{
		{"one request", `{"jsonrpc":"2.0","id":1,"method":"status"}`, ""},
		{"batch at the limit", "[" + strings.TrimSuffix(strings.Repeat(`{"id":1,"method":"status"},`, 10), ",") + "]", ""},
		{"batch over the limit", "[" + strings.TrimSuffix(strings.Repeat(`{"id":1,"method":"status"},`, 11), ",") + "]", "exceeds maximum (10)"},
		{"uncounted by CometBFT", sneaky, "exceeds maximum (10) allowed number of requests: 2000"},
		{"elements of any shape count", `[1,2,3,4,5,6,7,8,9,10,11]`, "exceeds maximum"},
		{"truncated batch", `[{"id":1,"method":"status"},`, "does not parse"},
		{"truncated object", `{"id":1,"method":`, "not a JSON-RPC request"},
		{"null", `null`, "not a JSON-RPC request"},
		{"empty batch", `[]`, "empty batch"},
		{"empty body", ``, "not a JSON-RPC request"},
	} {
		err := checkBatch([]byte(tc.body), 10)
		if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
}

// FuzzRequestParsing: whatever the body, the guard's count and the params
// rewrite agree: a body the guard accepts keeps its number of requests
// through withParams, and nothing panics. Its seed corpus runs in go test.
func FuzzRequestParsing(f *testing.F) {
	for _, s := range []string{
		`{"jsonrpc":"2.0","id":1,"method":"status"}`,
		`[{"id":1,"method":"status"},{"id":2,"method":"account","params":{"address":"x"}}]`,
		`[{"id":1,"ID":{},"method":"status"},{"id":1,"ID":{},"method":"status"}]`,
		`[{"params":null},{"params":[]},{}]`, `[1,"a",null]`, `{"id":1,"params":null}`, `[`, `{}`, ` [ ] `,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		out := withParams(body)
		if checkBatch(body, 0) != nil {
			return
		}
		t0 := bytes.TrimSpace(body)
		if t0[0] != '[' {
			return
		}
		var in, rewritten []json.RawMessage
		if err := json.Unmarshal(t0, &in); err != nil {
			t.Fatalf("accepted batch does not parse: %v", err)
		}
		if err := json.Unmarshal(bytes.TrimSpace(out), &rewritten); err != nil {
			t.Fatalf("rewritten batch does not parse: %v\n%s", err, out)
		}
		if len(in) != len(rewritten) {
			t.Fatalf("%d requests became %d after the rewrite", len(in), len(rewritten))
		}
	})
}

// A request whose client went away does not run (the rest of an
// abandoned batch costs nothing).
func TestClientGoneStopsTheRequest(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	req := httptest.NewRequest(http.MethodPost, "/", nil).WithContext(ctx)
	s := &apiServer{} // no node: a request that ran would panic
	if _, err := s.assets(&rpctypes.Context{HTTPReq: req}); err == nil || !strings.Contains(err.Error(), "client went away") {
		t.Fatalf("assets with the client gone: %v", err)
	}
	if _, err := s.history(&rpctypes.Context{HTTPReq: req}, addressParam{}, 0, 0); err == nil || !strings.Contains(err.Error(), "client went away") {
		t.Fatalf("history with the client gone: %v", err)
	}
}

// Websockets beyond the cap are refused while plain requests still run.
func TestWebsocketCap(t *testing.T) {
	release := make(chan struct{})
	entered := make(chan struct{}, 4)
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if isWebsocketUpgrade(r) {
			entered <- struct{}{}
			<-release // a websocket handler returns when its connection ends
		}
		io.WriteString(w, "ok")
	})
	srv := httptest.NewServer(newAPIGuard(next, 10, 1, nil))
	defer srv.Close()
	defer close(release)
	ws := func() *http.Response {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/websocket", nil)
		req.Header.Set("Upgrade", "websocket")
		req.Header.Set("Connection", "Upgrade")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Error(err)
			return nil
		}
		return res
	}
	go ws()
	select {
	case <-entered:
	case <-time.After(10 * time.Second):
		t.Fatal("first websocket never reached the handler")
	}
	if res := ws(); res == nil || res.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("second websocket over a cap of 1: %v", res)
	}
	if res, err := http.Get(srv.URL + "/status"); err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("plain request beside the websocket: %v %v", res, err)
	}
}

// One client address cannot hold more than its share of connections.
func TestConnectionsPerClientAddress(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	lim := limitPerIP(ln, 2)
	defer lim.Close()
	accepted := make(chan net.Conn, 8)
	go func() {
		for {
			c, err := lim.Accept()
			if err != nil {
				return
			}
			accepted <- c
		}
	}()
	dial := func() net.Conn {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	a, b := dial(), dial()
	defer a.Close()
	defer b.Close()
	sa, sb := <-accepted, <-accepted
	third := dial()
	defer third.Close()
	third.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := third.Read(make([]byte, 1)); err == nil {
		t.Fatal("a third connection from the same address was kept")
	}
	// One closed, one more may come in.
	sa.Close()
	fourth := dial()
	defer fourth.Close()
	select {
	case c := <-accepted:
		c.Close()
	case <-time.After(10 * time.Second):
		t.Fatal("a connection after one closed was not accepted")
	}
	sb.Close()
}
