package localnet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	rpchttp "github.com/cometbft/cometbft/rpc/client/http"

	"github.com/tallyledger/tally/app"
	"github.com/tallyledger/tally/crypto"
	"github.com/tallyledger/tally/crypto/keystore"
	"github.com/tallyledger/tally/ledger"
)

// BenchOptions configure one load run.
type BenchOptions struct {
	// Rate is the offered load in transfers per second, spread evenly over
	// the senders.
	Rate int
	// Duration of the load.
	Duration time.Duration
	// Senders are the wallet keys that send; each sends to the next one
	// (the last to the first) through node (index mod N). Default: every
	// userN key, else alice and bob.
	Senders []string
}

// BenchResult is what one load run measured. Rates are over the committed
// blocks of the run, timed by their header times.
type BenchResult struct {
	Rate     int           // offered transfers/s asked for
	Duration time.Duration // load duration
	Sent     int           // transfers broadcast
	Accepted int           // of which CheckTx admitted
	Rejected int           // of which CheckTx refused (or the RPC failed)
	// FirstRejection is the log of the first refusal, if any.
	FirstRejection string

	Blocks      int           // blocks committed during the run
	Span        time.Duration // header time of the last block minus that of the block before the first
	Committed   int           // successful transfers in those blocks
	Failed      int           // transfers in those blocks with a non-zero code
	MaxBlockTxs int           // the largest block

	// Derived.
	OfferedPerSec   float64 // Sent / Duration
	BlocksPerSec    float64
	CommittedPerSec float64
}

// Bench offers transfers at opts.Rate for opts.Duration to the running
// network, then waits for the mempools to drain (up to 30 s) and measures,
// from the blocks, how many were committed and how fast. Senders pace
// themselves; a sender that cannot keep up sends as fast as its node
// accepts, which shows as OfferedPerSec below Rate.
func Bench(ctx context.Context, n *Net, opts BenchOptions) (*BenchResult, error) {
	if opts.Rate <= 0 || opts.Duration <= 0 {
		return nil, fmt.Errorf("bench: rate %d and duration %s must be positive", opts.Rate, opts.Duration)
	}
	senders, err := n.loadSenders(ctx, opts.Senders)
	if err != nil {
		return nil, err
	}
	startHeight, err := n.Height(ctx, 0)
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	res := &BenchResult{Rate: opts.Rate, Duration: opts.Duration}
	var sent, accepted, rejected atomic.Int64
	var firstRejection sync.Once

	perSender := float64(opts.Rate) / float64(len(senders))
	interval := time.Duration(float64(time.Second) / perSender)
	began := time.Now()
	end := began.Add(opts.Duration)
	var wg sync.WaitGroup
	for si, s := range senders {
		wg.Add(1)
		go func(si int, s *benchSender) {
			defer wg.Done()
			// Stagger the senders over one interval.
			next := began.Add(interval * time.Duration(si) / time.Duration(len(senders)))
			for {
				if now := time.Now(); now.Before(next) {
					select {
					case <-ctx.Done():
						return
					case <-time.After(next.Sub(now)):
					}
				}
				if !time.Now().Before(end) || ctx.Err() != nil {
					return
				}
				next = next.Add(interval)
				sent.Add(1)
				if err := s.send(ctx); err != nil {
					rejected.Add(1)
					firstRejection.Do(func() { res.FirstRejection = err.Error() })
					continue
				}
				accepted.Add(1)
			}
		}(si, s)
	}
	wg.Wait()
	res.Sent, res.Accepted, res.Rejected = int(sent.Load()), int(accepted.Load()), int(rejected.Load())
	res.OfferedPerSec = float64(res.Sent) / time.Since(began).Seconds()
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}

	endHeight, err := n.waitDrained(ctx, 30*time.Second)
	if err != nil {
		return nil, err
	}
	if err := n.countBlocks(ctx, startHeight, endHeight, res); err != nil {
		return nil, err
	}
	if s := res.Span.Seconds(); s > 0 {
		res.BlocksPerSec = float64(res.Blocks) / s
		res.CommittedPerSec = float64(res.Committed) / s
	}
	return res, nil
}

type benchSender struct {
	key     *crypto.PrivKey
	to      crypto.Address
	chainID string
	node    *rpchttp.HTTP
	nonce   uint64
}

func (s *benchSender) send(ctx context.Context) error {
	body := ledger.Body{Nonce: s.nonce, Msg: ledger.Msg{Transfer: &ledger.Transfer{To: s.to, Asset: Asset, Amount: 1}}}
	tx := ledger.NewSignedTx(s.chainID, body, s.key).Encode()
	res, err := s.node.BroadcastTxSync(ctx, tx)
	if err != nil {
		return err
	}
	if res.Code == 0 {
		s.nonce++
		return nil
	}
	if ledger.Code(res.Code) == ledger.CodeBadNonce {
		if n, qerr := PendingNonce(ctx, s.node, s.key.PubKey().Address()); qerr == nil {
			s.nonce = n
		}
	}
	return fmt.Errorf("code %d (%s): %s", res.Code, ledger.Code(res.Code), res.Log)
}

// PendingNonce asks a node (abci_query /account/<address>) for the nonce
// the account's next transaction must carry, counting transactions already
// in that node's mempool.
func PendingNonce(ctx context.Context, c *rpchttp.HTTP, addr crypto.Address) (uint64, error) {
	res, err := c.ABCIQuery(ctx, app.QueryPathAccount+addr.String(), nil)
	if err != nil {
		return 0, err
	}
	if res.Response.Code != 0 {
		return 0, fmt.Errorf("account %s: %s", addr, res.Response.Log)
	}
	var a app.AccountResult
	if err := json.Unmarshal(res.Response.Value, &a); err != nil {
		return 0, fmt.Errorf("account %s: %v", addr, err)
	}
	return strconv.ParseUint(a.PendingNonce, 10, 64)
}

// loadSenders opens the wallet keys and their pending nonces.
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
		c := n.Client(i % n.Len())
		nonce, err := PendingNonce(ctx, c, key.PubKey().Address())
		if err != nil {
			return nil, fmt.Errorf("bench: nonce of %s: %w", name, err)
		}
		senders = append(senders, &benchSender{key: key, chainID: n.ChainID(), node: c, nonce: nonce})
	}
	for i, s := range senders {
		s.to = senders[(i+1)%len(senders)].key.PubKey().Address()
	}
	return senders, nil
}

// waitDrained waits until node0's mempool is empty (or the limit passes)
// and returns the height by then.
func (n *Net) waitDrained(ctx context.Context, limit time.Duration) (int64, error) {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	c := n.Client(0)
	for {
		res, err := c.NumUnconfirmedTxs(ctx)
		if err == nil && res.Total == 0 {
			break
		}
		select {
		case <-ctx.Done():
			h, err := n.Height(context.Background(), 0)
			return h, err
		case <-time.After(pollInterval):
		}
	}
	// The last transactions may sit in a block whose results are not yet
	// indexed; one more block settles it.
	h, err := n.Height(ctx, 0)
	if err != nil {
		return 0, err
	}
	if err := n.WaitHeight(ctx, 0, h+1); err != nil {
		return 0, err
	}
	return h + 1, nil
}

// countBlocks fills the block-derived fields from blocks (from, to] of
// node0, leaving out empty blocks after the last transaction.
func (n *Net) countBlocks(ctx context.Context, from, to int64, res *BenchResult) error {
	type block struct {
		time    time.Time
		ok, bad int
	}
	c := n.Client(0)
	var blocks []block
	for h := from; h <= to; h++ {
		hh := h
		hdr, err := c.Header(ctx, &hh)
		if err != nil {
			return fmt.Errorf("bench: header %d: %w", h, err)
		}
		b := block{time: hdr.Header.Time}
		if h > from {
			br, err := c.BlockResults(ctx, &hh)
			if err != nil {
				return fmt.Errorf("bench: block results %d: %w", h, err)
			}
			for _, r := range br.TxsResults {
				if r.Code == 0 {
					b.ok++
				} else {
					b.bad++
				}
			}
		}
		blocks = append(blocks, b)
	}
	for len(blocks) > 2 && blocks[len(blocks)-1].ok+blocks[len(blocks)-1].bad == 0 {
		blocks = blocks[:len(blocks)-1]
	}
	if len(blocks) < 2 {
		return nil
	}
	for _, b := range blocks[1:] {
		res.Blocks++
		res.Committed += b.ok
		res.Failed += b.bad
		res.MaxBlockTxs = max(res.MaxBlockTxs, b.ok+b.bad)
	}
	res.Span = blocks[len(blocks)-1].time.Sub(blocks[0].time)
	return nil
}
