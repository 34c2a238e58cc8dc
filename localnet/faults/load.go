package faults

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/tallyledger/tally/client"
	"github.com/tallyledger/tally/crypto"
	"github.com/tallyledger/tally/ledger"
	"github.com/tallyledger/tally/localnet"
)

// Acked is a transaction that a node reported committed.
type Acked struct {
	Hash   string
	Sender crypto.Address
	Height int64
	Node   string // the node that reported it
}

// Load sends transfers of 1 unit of localnet.Asset from each sender to
// a receiver, one transaction at a time per sender, each through a
// client.Failover over every node (sender k starting at node k), and
// records every transaction a node reported committed.
type Load struct {
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu       sync.Mutex
	acked    []Acked
	failed   []error // submissions that ended without a commit
	switches int
}

// StartLoad starts the senders; Stop ends them.
func StartLoad(ctx context.Context, net *localnet.Net, senders []*crypto.PrivKey, to crypto.Address, pace time.Duration) (*Load, error) {
	var clients []*client.Client
	for i := 0; i < net.Len(); i++ {
		c, err := client.New(net.RPCURL(i), client.WithAPIURL(net.APIURL(i)), client.WithRequestTimeout(3*time.Second), client.WithPollInterval(100*time.Millisecond))
		if err != nil {
			return nil, err
		}
		clients = append(clients, c)
	}
	ctx, cancel := context.WithCancel(ctx)
	l := &Load{cancel: cancel}
	for k, key := range senders {
		order := append(append([]*client.Client{}, clients[k%len(clients):]...), clients[:k%len(clients)]...)
		f := &client.Failover{Nodes: order, OnSwitch: func(string, string, error) { l.mu.Lock(); l.switches++; l.mu.Unlock() }}
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			l.send(ctx, net.ChainID(), f, key, to, pace)
		}()
	}
	return l, nil
}

func (l *Load) send(ctx context.Context, chainID string, f *client.Failover, key *crypto.PrivKey, to crypto.Address, pace time.Duration) {
	from := key.PubKey().Address()
	nonce, known := uint64(0), false
	for ctx.Err() == nil {
		if !known {
			var err error
			for _, c := range f.Nodes {
				if nonce, err = c.NextNonce(ctx, from); err == nil {
					known = true
					break
				}
			}
			if !known {
				sleep(ctx, pace)
				continue
			}
		}
		body := ledger.Body{Nonce: nonce, Msg: ledger.Msg{Transfer: &ledger.Transfer{To: to, Asset: localnet.Asset, Amount: 1}}}
		tx := ledger.NewSignedTx(chainID, body, key).Encode()
		res, rep, err := f.Commit(ctx, tx)
		switch {
		case res != nil:
			l.mu.Lock()
			l.acked = append(l.acked, Acked{Hash: res.Hash, Sender: from, Height: res.Height, Node: rep.Node})
			l.mu.Unlock()
			nonce++
		case ctx.Err() != nil:
			return // in doubt: not acknowledged, so not counted
		default:
			l.mu.Lock()
			l.failed = append(l.failed, err)
			l.mu.Unlock()
			known = false
		}
		sleep(ctx, pace)
	}
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// Acked returns the transactions acknowledged so far.
func (l *Load) Acked() []Acked {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]Acked(nil), l.acked...)
}

// Stop ends the senders and returns what was acknowledged, how many
// submissions moved to another node, and the submissions that failed.
func (l *Load) Stop() (acked []Acked, switches int, failed error) {
	l.cancel()
	l.wg.Wait()
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]Acked(nil), l.acked...), l.switches, errors.Join(l.failed...)
}

// String summarizes the load.
func (l *Load) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return fmt.Sprintf("%d acknowledged, %d node switches, %d failed", len(l.acked), l.switches, len(l.failed))
}
