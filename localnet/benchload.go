package localnet

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tallyledger/tally/app"
	"github.com/tallyledger/tally/crypto"
	"github.com/tallyledger/tally/crypto/keystore"
	"github.com/tallyledger/tally/ledger"
)

// tallyLoad signs total transfers of Asset, one unit each: sender s goes
// through node s mod N, in lane (s div N) mod lanes of that node, in nonce
// order from its pending nonce, to the next sender.
func tallyLoad(ctx context.Context, n *Net, total, lanesPerNode int, names []string) ([]*lane, error) {
	senders, err := n.loadSenders(ctx, names)
	if err != nil {
		return nil, err
	}
	nodes := n.Len()
	byLane := map[int][]*benchSender{}
	for i, s := range senders {
		li := (i%nodes)*lanesPerNode + (i/nodes)%lanesPerNode
		byLane[li] = append(byLane[li], s)
	}
	var lanes []*lane
	var laneSenders [][]*benchSender
	for li := 0; li < nodes*lanesPerNode; li++ {
		if len(byLane[li]) > 0 {
			lanes = append(lanes, &lane{node: li / lanesPerNode})
			laneSenders = append(laneSenders, byLane[li])
		}
	}
	// Plan who sends what, then sign on every core.
	type job struct {
		lane, index int
		s           *benchSender
		sender      int
		nonce       uint64
	}
	var jobs []job
	for li, l := range lanes {
		count := total / len(lanes)
		if li < total%len(lanes) {
			count++
		}
		l.txs = make([]benchTx, count)
		ss := laneSenders[li]
		for i := range count {
			s := ss[i%len(ss)]
			jobs = append(jobs, job{lane: li, index: i, s: s, sender: s.index, nonce: s.nonce})
			s.nonce++
		}
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= len(jobs) {
					return
				}
				j := jobs[i]
				body := ledger.Body{Nonce: j.nonce, Msg: ledger.Msg{Transfer: &ledger.Transfer{To: j.s.to, Asset: Asset, Amount: 1}}}
				raw := ledger.NewSignedTx(n.ChainID(), body, j.s.key).Encode()
				lanes[j.lane].txs[j.index] = benchTx{raw: raw, hash: sha256.Sum256(raw), sender: j.sender}
			}
		})
	}
	wg.Wait()
	return lanes, nil
}

// TransferSize is the encoded size of a typical Tally transfer (a 3-byte
// nonce), the size of the kvstore baseline's transactions.
func TransferSize() int {
	seed := sha256.Sum256([]byte("tally bench sample key"))
	key, err := crypto.PrivKeyFromBytes(seed[:])
	if err != nil {
		panic(err) // a fixed valid scalar
	}
	body := ledger.Body{Nonce: 1000, Msg: ledger.Msg{Transfer: &ledger.Transfer{To: key.PubKey().Address(), Asset: Asset, Amount: 1}}}
	return len(ledger.NewSignedTx(DefaultChainID, body, key).Encode())
}

// kvstoreLoad makes total distinct key=value transactions of TransferSize
// bytes, spread over lanesPerNode lanes per node.
func kvstoreLoad(n *Net, total, lanesPerNode int) ([]*lane, error) {
	size := TransferSize()
	run := strconv.FormatInt(time.Now().UnixNano(), 36)
	lanes := make([]*lane, n.Len()*lanesPerNode)
	for li := range lanes {
		count := total / len(lanes)
		if li < total%len(lanes) {
			count++
		}
		l := &lane{node: li / lanesPerNode, txs: make([]benchTx, count)}
		for i := range count {
			raw := fmt.Appendf(nil, "bench-%s-%d-%d=", run, li, i)
			if len(raw) >= size {
				return nil, fmt.Errorf("bench: kvstore key %q longer than a transfer (%d bytes)", raw, size)
			}
			raw = append(raw, bytes.Repeat([]byte{'v'}, size-len(raw))...)
			l.txs[i] = benchTx{raw: raw, hash: sha256.Sum256(raw), sender: -1}
		}
		lanes[li] = l
	}
	return lanes, nil
}

type benchSender struct {
	index int
	key   *crypto.PrivKey
	to    crypto.Address
	nonce uint64
}

// loadSenders opens the wallet keys and their pending nonces (asked of
// the node each sender is pinned to).
func (n *Net) loadSenders(ctx context.Context, names []string) ([]*benchSender, error) {
	if len(names) == 0 {
		for _, k := range n.manifest.Keys {
			if strings.HasPrefix(k.Name, "user") {
				names = append(names, k.Name)
			}
		}
		if len(names) == 0 {
			names = []string{"alice", "bob"}
		}
	}
	if len(names) < 2 {
		return nil, errors.New("bench: need at least two senders")
	}
	ks, err := keystore.Open(n.WalletDir(), keystore.Options{Backend: keystore.BackendTest})
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	var senders []*benchSender
	for i, name := range names {
		key, err := ks.PrivKey(name)
		if err != nil {
			return nil, fmt.Errorf("bench: %w", err)
		}
		lc, err := n.LedgerClient(i % n.Len())
		if err != nil {
			return nil, fmt.Errorf("bench: %w", err)
		}
		nonce, err := lc.NextNonce(ctx, key.PubKey().Address())
		if err != nil {
			return nil, fmt.Errorf("bench: nonce of %s: %w", name, err)
		}
		senders = append(senders, &benchSender{index: i, key: key, nonce: nonce})
	}
	for i, s := range senders {
		s.to = senders[(i+1)%len(senders)].key.PubKey().Address()
	}
	return senders, nil
}

// batchClient posts JSON-RPC batches of broadcasts to one node over one
// kept-alive connection.
type batchClient struct {
	url  string
	http *http.Client
}

func newBatchClient(url string) *batchClient {
	return &batchClient{url: url, http: &http.Client{
		Timeout:   30 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: 1, DisableCompression: true},
	}}
}

type rpcRequest struct {
	JSONRPC string            `json:"jsonrpc"`
	ID      int               `json:"id"`
	Method  string            `json:"method"`
	Params  map[string]string `json:"params"`
}

type rpcResponse struct {
	ID     int `json:"id"`
	Result *struct {
		Code      uint32 `json:"code"`
		Log       string `json:"log"`
		Codespace string `json:"codespace"`
	} `json:"result"`
	Error *struct {
		Message string `json:"message"`
		Data    string `json:"data"`
	} `json:"error"`
}

// outcome is a node's answer to one transaction of a batch.
type outcome struct {
	reason string // "" when the node took the transaction
	// retry: refused for now (mempool full, too many pending for its
	// sender, an earlier nonce of its sender not in yet, no answer), worth
	// sending again.
	retry bool
	// full: refused for now because the node has no room at all (its
	// mempool is full), whoever the sender.
	full bool
}

// broadcast sends one batch and returns the node's answer to each
// transaction; the error is a transport failure (no answer at all).
func (c *batchClient) broadcast(ctx context.Context, method string, txs []benchTx) ([]outcome, error) {
	reqs := make([]rpcRequest, len(txs))
	for i, tx := range txs {
		reqs[i] = rpcRequest{JSONRPC: "2.0", ID: i, Method: method, Params: map[string]string{"tx": base64.StdEncoding.EncodeToString(tx.raw)}}
	}
	body, err := json.Marshal(reqs)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("broadcast: %w", err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("broadcast: %w", err)
	}
	var out []rpcResponse
	if err := json.Unmarshal(raw, &out); err != nil {
		// CometBFT answers a batch of one with a single response.
		var one rpcResponse
		if len(txs) != 1 || json.Unmarshal(raw, &one) != nil {
			return nil, fmt.Errorf("broadcast: HTTP %d: %s", resp.StatusCode, firstLine(string(raw)))
		}
		out = []rpcResponse{one}
	}
	outcomes := make([]outcome, len(txs))
	for i := range outcomes {
		outcomes[i] = outcome{reason: "no answer in the batch", retry: true}
	}
	for _, r := range out {
		if r.ID < 0 || r.ID >= len(txs) {
			continue
		}
		outcomes[r.ID] = r.outcome()
	}
	return outcomes, nil
}

// outcome classifies one answer.
func (r *rpcResponse) outcome() outcome {
	switch {
	case r.Error != nil:
		msg := strings.TrimSpace(r.Error.Message + ": " + r.Error.Data)
		switch {
		case strings.Contains(r.Error.Data, "tx already exists in cache"):
			return outcome{} // sent before, its answer lost: the node has it
		case strings.Contains(r.Error.Data, "mempool is full"):
			return outcome{reason: msg, retry: true, full: true}
		}
		return outcome{reason: msg}
	case r.Result == nil:
		return outcome{reason: "empty answer", retry: true}
	case r.Result.Code == 0:
		return outcome{}
	}
	reason := fmt.Sprintf("CheckTx code %d (%s): %s", r.Result.Code, r.Result.Codespace, r.Result.Log)
	if r.Result.Codespace == app.Codespace {
		switch ledger.Code(r.Result.Code) {
		case ledger.CodeTooManyPending:
			return outcome{reason: reason, retry: true}
		case ledger.CodeMempoolFull:
			return outcome{reason: reason, retry: true, full: true}
		case ledger.CodeBadNonce:
			// Ahead: an earlier nonce of the sender was refused for
			// now. A nonce already used is final.
			return outcome{reason: reason, retry: strings.Contains(r.Result.Log, "ahead")}
		}
	}
	return outcome{reason: reason}
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	if len(s) > 200 {
		s = s[:200]
	}
	return s
}

// hostCPU is the cumulative time of all cores from /proc/stat.
type hostCPU struct{ busy, total uint64 }

func readHostCPU() (hostCPU, error) {
	f, err := os.ReadFile("/proc/stat")
	if err != nil {
		return hostCPU{}, err
	}
	line, _, _ := strings.Cut(string(f), "\n")
	fields := strings.Fields(line)
	if len(fields) < 5 || fields[0] != "cpu" {
		return hostCPU{}, errors.New("/proc/stat: no cpu line")
	}
	var c hostCPU
	for i, s := range fields[1:] {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return hostCPU{}, err
		}
		c.total += v
		if i != 3 && i != 4 { // idle, iowait
			c.busy += v
		}
	}
	return c, nil
}

// busySince is the busy share of all cores between before and c.
func (c hostCPU) busySince(before hostCPU) float64 {
	if c.total <= before.total {
		return -1
	}
	return float64(c.busy-before.busy) / float64(c.total-before.total)
}
