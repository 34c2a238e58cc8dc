package ledger

import (
	"fmt"

	"github.com/tallyledger/tally/crypto"
)

// The transaction index: every transaction of every committed block by
// hash, and every account's history (the transactions whose "account"
// events name it) in order, with its length. Commit writes it in the same
// batch as the block's state, so it can never disagree with the balances,
// and it is rebuilt with the state when blocks are replayed. It is derived
// from the blocks, not part of the state: it lives outside the app hash
// (keys.go, "#" keys), so keeping it costs no tree updates and changes no
// consensus result.

// TxRecord is a committed transaction as the index keeps it.
type TxRecord struct {
	Height uint64  `cbor:"1,keyasint"`
	Index  uint32  `cbor:"2,keyasint"` // position in its block
	Tx     []byte  `cbor:"3,keyasint"`
	Code   Code    `cbor:"4,keyasint,omitempty"`
	Log    string  `cbor:"5,keyasint,omitempty"`
	Events []Event `cbor:"6,keyasint,omitempty"`
}

// Hash returns the transaction's hash.
func (r *TxRecord) Hash() [32]byte { return TxHash(r.Tx) }

// HistoryPage is one page of an account's history, newest first.
type HistoryPage struct {
	Total uint64 // transactions in the account's whole history
	Txs   []TxRecord
}

// indexBlock returns the index writes for a block: a record per
// transaction hash (the first execution of the same bytes is kept, as
// later copies fail their nonce, unless a later one succeeds: see below)
// and a history entry per account named by a transaction's account
// events. base is the committed store.
func indexBlock(base Reader, height int64, txs [][]byte, results []TxResult) ([]change, error) {
	var out []change
	seen := map[[32]byte]bool{}
	counts := map[crypto.Address]uint64{}
	var order []crypto.Address            // accounts in first-touched order: deterministic writes
	parsed := map[string]crypto.Address{} // event addresses decoded in this block
	for i, raw := range txs {
		hash := TxHash(raw)
		if seen[hash] {
			continue
		}
		seen[hash] = true
		r := results[i]
		// A success is the only one these bytes will ever have (it
		// consumed the nonce), and it replaces a failure recorded before
		// (bytes refused for a nonce ahead of the account's can be
		// included again once it catches up): no lookup. A failure is
		// recorded only if the bytes have no record yet.
		if r.Code != CodeOK {
			old, err := base.Get(TxIndexKey(hash))
			if err != nil {
				return nil, fmt.Errorf("index block %d: %w", height, err)
			}
			if old != nil {
				continue
			}
		}
		rec := TxRecord{Height: uint64(height), Index: uint32(i), Tx: raw, Code: r.Code, Log: r.Log, Events: r.Events}
		out = append(out, change{Key: TxIndexKey(hash), Value: mustMarshal(&rec)})
		for _, a := range touchedAccounts(r.Events, parsed) {
			n, ok := counts[a]
			if !ok {
				var err error
				if n, err = historyCount(base, a); err != nil {
					return nil, fmt.Errorf("index block %d: %w", height, err)
				}
				order = append(order, a)
			}
			out = append(out, change{Key: HistoryKey(a, n), Value: hash[:]})
			counts[a] = n + 1
		}
	}
	for _, a := range order {
		out = append(out, change{Key: HistoryCountKey(a), Value: encodeHeight(int64(counts[a]))})
	}
	return out, nil
}

// touchedAccounts lists the addresses of a result's account events, once
// each, in order. parsed remembers the addresses decoded so far (an
// account's events repeat through a block; decoding is bech32's checksum).
func touchedAccounts(events []Event, parsed map[string]crypto.Address) []crypto.Address {
	var out []crypto.Address
	for _, e := range events {
		if e.Type != "account" {
			continue
		}
		for _, at := range e.Attributes {
			if at.Key != "address" {
				continue
			}
			a, ok := parsed[at.Value]
			if !ok {
				var err error
				if a, err = crypto.ParseAddress(at.Value); err != nil {
					continue // the ledger writes these events itself: never happens
				}
				parsed[at.Value] = a
			}
			dup := false
			for _, x := range out {
				dup = dup || x == a
			}
			if !dup {
				out = append(out, a)
			}
		}
	}
	return out
}

func historyCount(r Reader, a crypto.Address) (uint64, error) {
	b, err := r.Get(HistoryCountKey(a))
	if err != nil || b == nil {
		return 0, err
	}
	n, err := decodeHeight(b)
	if err != nil {
		return 0, fmt.Errorf("history count of %s: %w", a, err)
	}
	return uint64(n), nil
}

// TxByHash returns the committed transaction with the given hash, or nil,
// nil if no committed block holds it.
func (v *View) TxByHash(hash [32]byte) (*TxRecord, error) {
	b, err := v.snap.Get(TxIndexKey(hash))
	if err != nil || b == nil {
		return nil, err
	}
	var rec TxRecord
	if err := decodeState(b, &rec); err != nil {
		return nil, err
	}
	return &rec, nil
}

// History returns page page (from 1) of perPage transactions of a's
// history, newest first, and the history's length. A page past the end is
// empty. It reads only the entries of the page.
func (v *View) History(a crypto.Address, page, perPage uint64) (*HistoryPage, error) {
	if page == 0 || perPage == 0 {
		return nil, fmt.Errorf("page %d, per page %d: both must be at least 1", page, perPage)
	}
	total, err := historyCount(v.snap, a)
	if err != nil {
		return nil, err
	}
	out := &HistoryPage{Total: total, Txs: []TxRecord{}}
	pages := total / perPage // no overflow, whatever the caller asks
	if total%perPage != 0 {
		pages++
	}
	if page-1 >= pages {
		return out, nil
	}
	newest := total - 1 - (page-1)*perPage
	for i := uint64(0); i < perPage && i <= newest; i++ {
		seq := newest - i
		h, err := v.snap.Get(HistoryKey(a, seq))
		if err != nil {
			return nil, err
		}
		if len(h) != 32 {
			return nil, fmt.Errorf("%w: history entry %d of %s is %d bytes, expected a 32-byte hash", ErrCorruptState, seq, a, len(h))
		}
		rec, err := v.TxByHash([32]byte(h))
		if err != nil {
			return nil, err
		}
		if rec == nil {
			return nil, fmt.Errorf("%w: history entry %d of %s names transaction %X, which is not indexed", ErrCorruptState, seq, a, h)
		}
		out.Txs = append(out.Txs, *rec)
	}
	return out, nil
}
