package client

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	dbm "github.com/cometbft/cometbft-db"
	"github.com/cometbft/cometbft/light"
	lightdb "github.com/cometbft/cometbft/light/store/db"
	cmtcrypto "github.com/cometbft/cometbft/proto/tendermint/crypto"
	rpcclient "github.com/cometbft/cometbft/rpc/client"
	cmttypes "github.com/cometbft/cometbft/types"

	"github.com/tallyledger/tally/crypto"
	"github.com/tallyledger/tally/ledger"
	"github.com/tallyledger/tally/wire"
	"github.com/tallyledger/tally/wire/proofop"
)

// DefaultTrustPeriod is how long a trusted header stays trusted when
// TrustOptions.Period is 0.
const DefaultTrustPeriod = 14 * 24 * time.Hour

// TrustOptions say where a verifiable read starts trusting the chain.
type TrustOptions struct {
	// Height and Hash name a header the caller trusts (obtained from a
	// source other than the node). Both zero: the chain's first header,
	// checked against Root.
	Height int64
	Hash   []byte
	// Root is the trust root the wallet pinned (chain ID, genesis hash,
	// first header); a node whose chain differs is refused. nil: none
	// pinned yet, so the node's first header is trusted on first use and
	// the proof's Root is the one to pin.
	Root *TrustRoot
	// Period is how long a trusted header stays trusted. 0: DefaultTrustPeriod,
	// or, when starting from the node's height-1 header, the chain's age
	// plus DefaultTrustPeriod (that header is trusted anyway).
	Period time.Duration
	// Witnesses are CometBFT RPC addresses of other nodes the light client
	// checks the headers against (the node itself is refused as one);
	// empty: the headers are not cross-checked (CometBFT's light client
	// then uses the node as its own witness).
	Witnesses []string
	// Timeout bounds the whole read (default 30s).
	Timeout time.Duration
}

// ProvenKey is one state key checked against the app hash.
type ProvenKey struct {
	Key    string `json:"key"`
	Exists bool   `json:"exists"`
}

// AccountProof describes what ProveAccount verified.
type AccountProof struct {
	Height          int64  `json:"height"`        // the state read is the state after block Height...
	HeaderHeight    int64  `json:"header_height"` // ...committed in the verified header Height+1
	AppHash         string `json:"app_hash"`
	TrustedHeight   int64  `json:"trusted_height"`
	TrustedHash     string `json:"trusted_hash"`
	TrustedFromNode bool   `json:"trusted_from_node"` // the first header came from the node, unchecked: first use
	// Root is the node's trust root (chain ID, genesis hash, first header),
	// and RootPinned says it matched the wallet's pinned root in full.
	Root       *TrustRoot  `json:"trust_root,omitempty"`
	RootPinned bool        `json:"trust_root_pinned"`
	Witnesses  []string    `json:"witnesses"` // empty: not cross-checked
	Keys       []ProvenKey `json:"keys"`
}

// ProveAccount reads an account and its balances from the node and checks
// every value (and every absence) against the app hash of a header that
// CometBFT's light client verified from the trusted header in trust. The
// read is complete: the state holds, beside the account record, the set of
// assets the account has a balance of (its holdings), and that set is
// proven too, so a node cannot leave a balance out. PendingNonce is not
// provable and is set to the proven Nonce.
func (c *Client) ProveAccount(ctx context.Context, addr crypto.Address, trust TrustOptions) (*Account, *AccountProof, error) {
	timeout := trust.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	for _, w := range trust.Witnesses {
		if sameEndpoint(w, c.nodeURL) {
			return nil, nil, fmt.Errorf("witness %s is the queried node itself: a witness must be another node, or it checks nothing", w)
		}
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	chainID, err := c.ChainID(ctx)
	if err != nil {
		return nil, nil, err
	}
	if err := c.checkWitnesses(ctx, chainID, trust.Witnesses); err != nil {
		return nil, nil, err
	}
	proof := &AccountProof{Witnesses: append([]string{}, trust.Witnesses...)}
	witnesses := trust.Witnesses
	if len(witnesses) == 0 {
		witnesses = []string{c.nodeURL} // the light client needs one; it checks nothing
	}
	opts := light.TrustOptions{Period: trust.Period, Height: trust.Height, Hash: trust.Hash}
	if (trust.Height == 0) != (len(trust.Hash) == 0) {
		return nil, nil, errors.New("a trusted height and hash go together: give both or neither")
	}
	root, err := c.NodeTrustRoot(ctx)
	if err != nil {
		return nil, nil, err
	}
	proof.Root = root
	if trust.Root != nil {
		if err := checkTrustRoot(trust.Root, root, c.nodeURL); err != nil {
			return nil, nil, err
		}
		proof.RootPinned = trust.Root.Header1Hash != ""
	}
	if trust.Height == 0 {
		first, err := c.commit(ctx, root.Header1Height)
		if err != nil {
			return nil, nil, fmt.Errorf("fetch the chain's first header to trust: %w", err)
		}
		opts.Height, opts.Hash = root.Header1Height, first.Hash()
		proof.TrustedFromNode = !proof.RootPinned
		if opts.Period == 0 {
			opts.Period = time.Since(first.Time) + DefaultTrustPeriod
		}
	}
	if opts.Period == 0 {
		opts.Period = DefaultTrustPeriod
	}
	proof.TrustedHeight, proof.TrustedHash = opts.Height, strings.ToUpper(hex.EncodeToString(opts.Hash))

	lc, err := light.NewHTTPClient(ctx, chainID, opts, c.nodeURL, witnesses, lightdb.New(dbm.NewMemDB(), "tally"))
	if err != nil {
		return nil, nil, fmt.Errorf("light client: cannot start from trusted header %d %s: %v",
			opts.Height, proof.TrustedHash, err)
	}

	// The keys to prove: the account record, its holdings and a balance
	// per asset held, all at one height.
	values, symbols, height, err := c.queryAccountKeys(ctx, addr)
	if err != nil {
		return nil, nil, err
	}
	proof.Height, proof.HeaderHeight = height, height+1

	// The state after block H is committed in header H+1.
	if err := c.waitHeight(ctx, height+1); err != nil {
		return nil, nil, err
	}
	lb, err := lc.VerifyLightBlockAtHeight(ctx, height+1, time.Now())
	if err != nil {
		return nil, nil, fmt.Errorf("light client could not verify header %d from trusted header %d: %v", height+1, opts.Height, err)
	}
	proof.AppHash = lb.AppHash.String()

	for i, q := range values {
		if err := proofop.Verify(lb.AppHash, q.ops, q.key, q.value); err != nil {
			what := "account " + addr.String()
			switch {
			case i == 1:
				what = "the holdings (assets held) of " + addr.String()
			case i > 1:
				what = fmt.Sprintf("balance of %s in %s", addr, symbols[i-2])
			}
			return nil, nil, fmt.Errorf("proof for %s (key %s) does not match the app hash of verified header %d: %s",
				what, q.key, height+1, innermostReason(err))
		}
		proof.Keys = append(proof.Keys, ProvenKey{Key: string(q.key), Exists: q.value != nil})
	}

	if values[0].value == nil {
		return nil, proof, fmt.Errorf("account %s is not registered on the ledger (proven absent at height %d): %w", addr, height, ErrNotFound)
	}
	rec, err := ledger.DecodeAccount(values[0].value)
	if err != nil {
		return nil, nil, fmt.Errorf("proven account record of %s does not decode: %v", addr, err)
	}
	acct := &Account{
		Address: rec.Address.String(), Nonce: rec.Nonce, PendingNonce: rec.Nonce,
		Frozen: rec.Frozen, FrozenReason: rec.FrozenReason, Roles: []string{}, Balances: []Balance{},
	}
	for _, r := range rec.Roles {
		acct.Roles = append(acct.Roles, string(r))
	}
	for i, s := range symbols {
		v := values[i+2].value
		if v == nil {
			return nil, nil, fmt.Errorf("the proven holdings of %s list %s but its balance is proven absent at height %d: the node's state is inconsistent", addr, s, height)
		}
		amount, err := ledger.DecodeBalance(v)
		if err != nil {
			return nil, nil, fmt.Errorf("proven balance of %s in %s does not decode: %v", addr, s, err)
		}
		acct.Balances = append(acct.Balances, Balance{Asset: s, Amount: amount})
	}
	return acct, proof, nil
}

// queryAccountKeys reads, with proofs and at one height, the account
// record, its holdings and the balance of every asset the holdings list.
// The balance keys depend on the holdings, so the read repeats when the
// holdings changed between the two steps. It returns the answers (account,
// holdings, balances), the symbols and the height.
func (c *Client) queryAccountKeys(ctx context.Context, addr crypto.Address) ([]queriedValue, []string, int64, error) {
	base := [][]byte{ledger.AccountKey(addr), ledger.HoldingsKey(addr)}
	const attempts = 10
	var symbols []string
	for try := 0; try < attempts; try++ {
		keys := slices.Clone(base)
		for _, s := range symbols {
			keys = append(keys, ledger.BalanceKey(addr, s))
		}
		values, height, err := c.queryConsistent(ctx, keys)
		if err != nil {
			return nil, nil, 0, err
		}
		var held []string
		if v := values[1].value; v != nil {
			if held, err = ledger.DecodeHoldings(v); err != nil {
				return nil, nil, 0, fmt.Errorf("node %s: holdings of %s: %v", c.nodeURL, addr, err)
			}
		}
		if slices.Equal(held, symbols) {
			return values, symbols, height, nil
		}
		symbols = held
	}
	return nil, nil, 0, fmt.Errorf("node %s: the assets held by %s kept changing during %d attempts to read them at one height", c.nodeURL, addr, attempts)
}

// queriedValue is one proven abci_query answer.
type queriedValue struct {
	key   []byte
	value []byte // nil: absent
	ops   *cmtcrypto.ProofOps
}

// queryConsistent queries every key with a proof and returns answers that
// all read the same height; a block committed between two queries makes
// it start over.
func (c *Client) queryConsistent(ctx context.Context, keys [][]byte) ([]queriedValue, int64, error) {
	const attempts = 10
	for try := 0; try < attempts; try++ {
		out := make([]queriedValue, 0, len(keys))
		var height int64
		consistent := true
		for _, k := range keys {
			q, h, err := c.queryProven(ctx, k)
			if err != nil {
				return nil, 0, err
			}
			if height == 0 {
				height = h
			} else if h != height {
				consistent = false
				break
			}
			out = append(out, q)
		}
		if consistent {
			return out, height, nil
		}
	}
	return nil, 0, fmt.Errorf("node %s: the state kept changing during %d attempts to read %d keys at one height", c.nodeURL, attempts, len(keys))
}

// queryProven asks abci_query /store for key with a proof.
func (c *Client) queryProven(ctx context.Context, key []byte) (queriedValue, int64, error) {
	rctx, cancel := c.withTimeout(ctx)
	defer cancel()
	res, err := c.rpc.ABCIQueryWithOptions(rctx, wire.QueryPathStore, key, rpcclient.ABCIQueryOptions{Prove: true})
	if err != nil {
		return queriedValue{}, 0, wrapErr(c.nodeURL, "abci_query", err)
	}
	r := res.Response
	switch {
	case r.Code != 0:
		return queriedValue{}, 0, fmt.Errorf("node %s: abci_query %s %s: code %d: %s", c.nodeURL, wire.QueryPathStore, key, r.Code, r.Log)
	case !bytes.Equal(r.Key, key):
		return queriedValue{}, 0, fmt.Errorf("node %s answered a query for key %s with key %q", c.nodeURL, key, r.Key)
	case r.ProofOps == nil || len(r.ProofOps.Ops) == 0:
		return queriedValue{}, 0, fmt.Errorf("node %s returned no proof for key %s", c.nodeURL, key)
	case r.Height <= 0:
		return queriedValue{}, 0, fmt.Errorf("node %s returned height %d for key %s", c.nodeURL, r.Height, key)
	}
	v := r.Value
	if len(v) == 0 {
		v = nil
	}
	return queriedValue{key: key, value: v, ops: r.ProofOps}, r.Height, nil
}

// commit fetches the signed header at height.
func (c *Client) commit(ctx context.Context, height int64) (*cmttypes.SignedHeader, error) {
	rctx, cancel := c.withTimeout(ctx)
	defer cancel()
	res, err := c.rpc.Commit(rctx, &height)
	if err != nil {
		return nil, wrapErr(c.nodeURL, "commit", err)
	}
	return &res.SignedHeader, nil
}

// waitHeight waits until the node has a block at height.
func (c *Client) waitHeight(ctx context.Context, height int64) error {
	for {
		st, err := c.Status(ctx)
		if err != nil {
			return err
		}
		if st.LatestHeight >= height {
			return nil
		}
		if !c.pause(ctx) {
			return fmt.Errorf("node %s did not reach height %d (at %d): %w", c.nodeURL, height, st.LatestHeight, ctx.Err())
		}
	}
}

// innermostReason is the last part of a chain of wrapped messages ("a: b:
// c" gives "c"), which names what failed without repeating the key.
func innermostReason(err error) string {
	msg := err.Error()
	if i := strings.LastIndex(msg, ": "); i >= 0 && i+2 < len(msg) {
		return msg[i+2:]
	}
	return msg
}

// checkWitnesses asks each witness for its status first, so that a witness
// that cannot be reached, or that runs another chain, is named as such
// rather than as a failure of the light client.
func (c *Client) checkWitnesses(ctx context.Context, chainID string, witnesses []string) error {
	for _, w := range witnesses {
		wc, err := New(w, WithRequestTimeout(c.timeout))
		if err != nil {
			return fmt.Errorf("witness %q: %v", w, err)
		}
		st, err := wc.Status(ctx)
		var ue *UnreachableError
		switch {
		case errors.As(err, &ue):
			return &UnreachableError{URL: ue.URL, Reason: ue.Reason, Err: ue.Err, Role: "witness"}
		case err != nil:
			return fmt.Errorf("witness %s: %v", w, err)
		case st.ChainID != chainID:
			return fmt.Errorf("witness %s runs chain %q, the node runs %q", w, st.ChainID, chainID)
		}
	}
	return nil
}

// sameEndpoint reports whether two RPC addresses name the same node
// address (scheme, host and port, after normalizing).
func sameEndpoint(a, b string) bool {
	na, errA := NormalizeURL(a)
	nb, errB := NormalizeURL(b)
	if errA != nil || errB != nil {
		return strings.EqualFold(strings.TrimRight(a, "/"), strings.TrimRight(b, "/"))
	}
	ua, errA := url.Parse(na)
	ub, errB := url.Parse(nb)
	if errA != nil || errB != nil {
		return na == nb
	}
	ha, hb := ua.Hostname(), ub.Hostname()
	local := func(h string) bool { return h == "localhost" || h == "127.0.0.1" || h == "::1" }
	sameHost := strings.EqualFold(ha, hb) || local(ha) && local(hb)
	return sameHost && ua.Port() == ub.Port()
}
