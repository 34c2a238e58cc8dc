package app

import (
	"errors"
	"fmt"
	"math"

	"github.com/tallyledger/tally/crypto"
	"github.com/tallyledger/tally/ledger"
	"github.com/tallyledger/tally/wire"
)

// Transaction and history lookups from the ledger's own index, shared by
// the abci_query paths and the ledger API.

// errTxNotFound is returned for a hash no committed block holds.
var errTxNotFound = errors.New("not found")

// lookupTx returns the committed transaction with the given hash.
func lookupTx(v *ledger.View, hash []byte) (*wire.TxResult, error) {
	if len(hash) != 32 {
		return nil, fmt.Errorf("hash is %d bytes, expected 32 (64 hex digits)", len(hash))
	}
	rec, err := v.TxByHash([32]byte(hash))
	if err != nil {
		return nil, fmt.Errorf("look up transaction %s: %w", wire.UpperHex(hash), err)
	}
	if rec == nil {
		return nil, fmt.Errorf("transaction %s %w (not committed yet, or never)", wire.UpperHex(hash), errTxNotFound)
	}
	r := wire.DescribeTxRecord(rec)
	return &r, nil
}

// historyPage checks the paging (0 means the default; per page at most
// wire.MaxHistoryPerPage, page at most MaxInt64) and returns the page.
func historyPage(v *ledger.View, addr crypto.Address, page, perPage uint64) (*wire.HistoryResult, error) {
	if page == 0 {
		page = 1
	}
	if perPage == 0 {
		perPage = wire.DefaultHistoryPerPage
	}
	if perPage > wire.MaxHistoryPerPage {
		return nil, fmt.Errorf("per_page %d is above the maximum %d", perPage, wire.MaxHistoryPerPage)
	}
	if page > math.MaxInt64 {
		return nil, fmt.Errorf("page %d is above the maximum %d", page, int64(math.MaxInt64))
	}
	h, err := v.History(addr, page, perPage)
	if err != nil {
		return nil, fmt.Errorf("read the history of %s: %w", addr, err)
	}
	return wire.DescribeHistory(addr, page, perPage, h), nil
}
