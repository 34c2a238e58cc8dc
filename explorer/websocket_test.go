package explorer

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	ctypes "github.com/cometbft/cometbft/rpc/core/types"
	cmttypes "github.com/cometbft/cometbft/types"
	"github.com/gorilla/websocket"
)

// eventChain is fakeChain with new-block events the test sends.
type eventChain struct {
	fakeChain
	events       chan ctypes.ResultEvent
	unsubscribed chan string
}

func (c *eventChain) Subscribe(_ context.Context, subscriber, query string, _ ...int) (<-chan ctypes.ResultEvent, error) {
	if query != cmttypes.EventQueryNewBlockHeader.String() {
		return nil, errFake
	}
	return c.events, nil
}

func (c *eventChain) UnsubscribeAll(_ context.Context, subscriber string) error {
	c.unsubscribed <- subscriber
	return nil
}

type wsReply struct {
	ID     string          `json:"id"`
	Result json.RawMessage `json:"result"`
	Error  *struct {
		Message string `json:"message"`
		Data    string `json:"data"`
	} `json:"error"`
}

func dialWS(t *testing.T, srv *httptest.Server, origin string) (*websocket.Conn, *http.Response, error) {
	t.Helper()
	u := "ws" + strings.TrimPrefix(srv.URL, "http") + Path + "websocket"
	h := http.Header{}
	if origin != "" {
		h.Set("Origin", origin)
	}
	return websocket.DefaultDialer.Dial(u, h)
}

func subscribe(t *testing.T, c *websocket.Conn) wsReply {
	t.Helper()
	if err := c.WriteJSON(map[string]any{"jsonrpc": "2.0", "id": "blocks", "method": "subscribe_blocks", "params": map[string]any{}}); err != nil {
		t.Fatal(err)
	}
	return readReply(t, c)
}

func readReply(t *testing.T, c *websocket.Conn) wsReply {
	t.Helper()
	if err := c.SetReadDeadline(time.Now().Add(10 * time.Second)); err != nil {
		t.Fatal(err)
	}
	var r wsReply
	if err := c.ReadJSON(&r); err != nil {
		t.Fatalf("read from the websocket: %v", err)
	}
	return r
}

// subscribe_blocks pushes each new block's height and time to a page of
// the same origin, and lets go of the subscription when the page leaves.
func TestSubscribeBlocks(t *testing.T) {
	chain := &eventChain{events: make(chan ctypes.ResultEvent, 1), unsubscribed: make(chan string, 4)}
	srv := httptest.NewServer(New(Options{Chain: chain, MaxSubscribers: 1}))
	defer srv.Close()

	c, _, err := dialWS(t, srv, srv.URL)
	if err != nil {
		t.Fatalf("a page of the same origin cannot open the websocket: %v", err)
	}
	if r := subscribe(t, c); r.Error != nil || r.ID != "blocks" {
		t.Fatalf("subscribe_blocks: %+v", r)
	}
	when := time.Date(2026, 11, 29, 12, 0, 0, 5, time.UTC)
	chain.events <- ctypes.ResultEvent{Data: cmttypes.EventDataNewBlockHeader{Header: cmttypes.Header{Height: 812, Time: when}}}
	r := readReply(t, c)
	var nb NewBlockResult
	if err := json.Unmarshal(r.Result, &nb); err != nil || r.ID != "blocks" {
		t.Fatalf("new block message %+v: %v", r, err)
	}
	if nb.Height != "812" || nb.Time != "2026-11-29T12:00:00.000000005Z" {
		t.Errorf("new block %+v, expected height 812 at 2026-11-29T12:00:00.000000005Z", nb)
	}

	// One subscriber allowed: a second page is told so.
	c2, _, err := dialWS(t, srv, "")
	if err != nil {
		t.Fatal(err)
	}
	if r := subscribe(t, c2); r.Error == nil || !strings.Contains(r.Error.Data, "the most this node allows") {
		t.Errorf("a subscription over the limit: %+v", r)
	}
	c2.Close()

	// Closing the page ends the subscription.
	c.Close()
	select {
	case s := <-chain.unsubscribed:
		if !strings.HasPrefix(s, "explorer:") {
			t.Errorf("unsubscribed %q", s)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the subscription outlived its websocket")
	}
}

func TestWebsocketRefusesOtherOrigins(t *testing.T) {
	srv := newTestServer(t)
	c, res, err := dialWS(t, srv, "http://evil.example")
	if err == nil {
		c.Close()
		t.Fatal("a page of another origin opened the explorer's websocket")
	}
	if res == nil || res.StatusCode != http.StatusForbidden {
		t.Errorf("cross-origin handshake: %v %v, expected 403", res, err)
	}
}
