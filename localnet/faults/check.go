package faults

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/tallyledger/tally/client"
	"github.com/tallyledger/tally/crypto"
	"github.com/tallyledger/tally/localnet"
)

// IndexLagAllowance is how long Check lets a node's background indexing
// catch up before it counts an acknowledged transaction as lost or
// missing.
const IndexLagAllowance = 15 * time.Second

// Report is the outcome of Check.
type Report struct {
	Heights []int64 // each node's height when checked
	Acked   int     // acknowledged transactions checked
	Lost    int     // acknowledged, but not found by hash on some node
	Missing int     // found by hash, but not (exactly once) in the sender's history, or not in CometBFT's tx index, on some node
	// Problems lists every broken invariant, one line each.
	Problems []string
}

// Err is nil when every invariant held.
func (r *Report) Err() error {
	if len(r.Problems) == 0 {
		return nil
	}
	return errors.New(joinLines(r.Problems))
}

func joinLines(lines []string) string {
	var b bytes.Buffer
	for i, l := range lines {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(l)
	}
	return b.String()
}

// Check verifies the invariants over every node of net (all must be
// running and answering):
//   - every node has the same block (hash, hence header and app hash) at
//     every height it has;
//   - every acknowledged transaction is found by hash on every node, at
//     the height it was acknowledged at, exactly once in its sender's
//     history, and in CometBFT's own tx index (the `tx` RPC);
//   - on every node, the balances of the localnet's accounts add up to
//     the asset's supply.
func Check(ctx context.Context, net *localnet.Net, acked []Acked) (*Report, error) {
	r := &Report{Acked: len(acked)}
	var clients []*client.Client
	for i := 0; i < net.Len(); i++ {
		c, err := client.New(net.RPCURL(i), client.WithAPIURL(net.APIURL(i)))
		if err != nil {
			return nil, err
		}
		clients = append(clients, c)
		h, err := net.Height(ctx, i)
		if err != nil {
			return nil, fmt.Errorf("node%d: %w", i, err)
		}
		r.Heights = append(r.Heights, h)
	}
	if err := checkBlocks(ctx, net, r); err != nil {
		return nil, err
	}
	// CometBFT indexes a block's transactions after committing it, in the
	// background: a node that has just caught up may answer "not found"
	// for a moment. Only what stays missing counts.
	deadline := time.Now().Add(IndexLagAllowance)
	for {
		probe := &Report{}
		if err := checkAcked(ctx, clients, acked, probe); err != nil {
			return nil, err
		}
		if err := checkCometIndex(ctx, net, acked, probe); err != nil {
			return nil, err
		}
		if len(probe.Problems) == 0 || time.Now().After(deadline) {
			r.Lost, r.Missing = probe.Lost, probe.Missing
			r.Problems = append(r.Problems, probe.Problems...)
			break
		}
		sleep(ctx, 500*time.Millisecond)
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
	}
	if err := checkSupply(ctx, net, net.Manifest(), clients, r); err != nil {
		return nil, err
	}
	return r, nil
}

// checkBlocks compares every node's block hashes with the tallest node's.
func checkBlocks(ctx context.Context, net *localnet.Net, r *Report) error {
	ref := 0
	for i, h := range r.Heights {
		if h > r.Heights[ref] {
			ref = i
		}
	}
	hashes := func(i int, lo, hi int64) (map[int64][]byte, error) {
		res, err := net.Client(i).BlockchainInfo(ctx, lo, hi)
		if err != nil {
			return nil, fmt.Errorf("node%d blockchain %d-%d: %w", i, lo, hi, err)
		}
		out := map[int64][]byte{}
		for _, m := range res.BlockMetas {
			out[m.Header.Height] = m.BlockID.Hash
		}
		return out, nil
	}
	for lo := int64(1); lo <= r.Heights[ref]; lo += 20 {
		hi := min(lo+19, r.Heights[ref])
		want, err := hashes(ref, lo, hi)
		if err != nil {
			return err
		}
		for i, h := range r.Heights {
			if i == ref || h < lo {
				continue
			}
			got, err := hashes(i, lo, min(hi, h))
			if err != nil {
				return err
			}
			for height := lo; height <= min(hi, h); height++ {
				if !bytes.Equal(got[height], want[height]) {
					r.Problems = append(r.Problems, fmt.Sprintf("node%d block %d is %X, node%d's is %X", i, height, got[height], ref, want[height]))
				}
			}
		}
	}
	return nil
}

// checkAcked finds every acknowledged transaction by hash and in its
// sender's history on every node.
func checkAcked(ctx context.Context, clients []*client.Client, acked []Acked, r *Report) error {
	bySender := map[string][]Acked{}
	var senders []string
	for _, a := range acked {
		s := a.Sender.String()
		if _, ok := bySender[s]; !ok {
			senders = append(senders, s)
		}
		bySender[s] = append(bySender[s], a)
	}
	sort.Strings(senders)
	for i, c := range clients {
		lost := map[string]bool{}
		for _, a := range acked {
			res, err := c.Tx(ctx, a.Hash)
			switch {
			case errors.Is(err, client.ErrNotFound):
				lost[a.Hash] = true
				r.Problems = append(r.Problems, fmt.Sprintf("node%d: transaction %s, reported committed at height %d by %s, is not found", i, a.Hash, a.Height, a.Node))
			case err != nil:
				return fmt.Errorf("node%d tx %s: %w", i, a.Hash, err)
			case res.Height != a.Height:
				r.Problems = append(r.Problems, fmt.Sprintf("node%d: transaction %s at height %d, reported committed at height %d", i, a.Hash, res.Height, a.Height))
			}
		}
		r.Lost = max(r.Lost, len(lost))
		missing := 0
		for _, s := range senders {
			seen, err := history(ctx, c, s)
			if err != nil {
				return fmt.Errorf("node%d history %s: %w", i, s, err)
			}
			for _, a := range bySender[s] {
				if n := seen[a.Hash]; n != 1 && !lost[a.Hash] {
					missing++
					r.Problems = append(r.Problems, fmt.Sprintf("node%d: transaction %s is %d times in the history of %s, want once", i, a.Hash, n, s))
				}
			}
		}
		r.Missing = max(r.Missing, missing)
	}
	return nil
}

// checkCometIndex finds every acknowledged transaction by hash in
// CometBFT's own tx index (its `tx` RPC) on every node.
func checkCometIndex(ctx context.Context, net *localnet.Net, acked []Acked, r *Report) error {
	for i := 0; i < net.Len(); i++ {
		missing := 0
		for _, a := range acked {
			hash, err := hex.DecodeString(a.Hash)
			if err != nil {
				return err
			}
			res, err := net.Client(i).Tx(ctx, hash, false)
			if err != nil && strings.Contains(err.Error(), "indexing is disabled") {
				break // this node runs without CometBFT's index
			}
			switch {
			case err != nil && strings.Contains(err.Error(), "not found"):
				missing++
				r.Problems = append(r.Problems, fmt.Sprintf("node%d: CometBFT's tx index lacks transaction %s of height %d", i, a.Hash, a.Height))
			case err != nil:
				return fmt.Errorf("node%d CometBFT tx %s: %w", i, a.Hash, err)
			case res.Height != a.Height:
				r.Problems = append(r.Problems, fmt.Sprintf("node%d: CometBFT's tx index has transaction %s at height %d, committed at %d", i, a.Hash, res.Height, a.Height))
			}
		}
		r.Missing = max(r.Missing, missing)
	}
	return nil
}

// history counts the hashes in an account's whole history. The pages
// come newest first and the load may add entries while they are read,
// which pushes older entries onto the next page: each entry is placed by
// its position from the oldest (the page's total less its place), so an
// entry read twice counts once, while a transaction recorded twice, at
// two positions, still counts twice.
func history(ctx context.Context, c *client.Client, addr string) (map[string]int, error) {
	const perPage = 100
	byPos := map[int]string{}
	for page, total := 1, 1; (page-1)*perPage < total; page++ {
		txs, t, err := c.History(ctx, addr, page, perPage)
		if err != nil {
			return nil, err
		}
		total = t
		for k, tx := range txs {
			pos := t - 1 - (page-1)*perPage - k
			if prev, ok := byPos[pos]; ok && prev != tx.Hash {
				return nil, fmt.Errorf("entry %d of the history changed from %s to %s while it was read", pos, prev, tx.Hash)
			}
			byPos[pos] = tx.Hash
		}
		if len(txs) == 0 {
			break
		}
	}
	seen := map[string]int{}
	for _, h := range byPos {
		seen[h]++
	}
	return seen, nil
}

// checkSupply adds up the localnet accounts' balances on every node. The
// reads are not one snapshot, so a sum is taken only when the node's
// height did not move while it was read (tried a few times).
func checkSupply(ctx context.Context, net *localnet.Net, m *localnet.Manifest, clients []*client.Client, r *Report) error {
	for i, c := range clients {
		var sum, supply uint64
		stable := false
		for attempt := 0; attempt < 20 && !stable; attempt++ {
			before, err := net.Height(ctx, i)
			if err != nil {
				return fmt.Errorf("node%d: %w", i, err)
			}
			if sum, supply, err = sumBalances(ctx, m, c); err != nil {
				return fmt.Errorf("node%d: %w", i, err)
			}
			after, err := net.Height(ctx, i)
			if err != nil {
				return fmt.Errorf("node%d: %w", i, err)
			}
			stable = before == after
		}
		if !stable {
			return fmt.Errorf("node%d: its height moved during each of 20 reads of the balances", i)
		}
		if sum != supply {
			r.Problems = append(r.Problems, fmt.Sprintf("node%d: balances of %s add up to %d, supply is %d", i, localnet.Asset, sum, supply))
		}
	}
	return nil
}

// sumBalances reads the asset's supply and every localnet account's
// balance of it.
func sumBalances(ctx context.Context, m *localnet.Manifest, c *client.Client) (sum, supply uint64, err error) {
	asset, err := c.Asset(ctx, localnet.Asset)
	if err != nil {
		return 0, 0, fmt.Errorf("asset %s: %w", localnet.Asset, err)
	}
	for _, k := range m.Keys {
		addr, err := crypto.ParseAddress(k.Address)
		if err != nil {
			return 0, 0, err
		}
		a, err := c.Account(ctx, addr)
		if err != nil {
			return 0, 0, fmt.Errorf("account %s: %w", k.Name, err)
		}
		sum += a.Balance(localnet.Asset)
	}
	return sum, asset.Supply, nil
}
