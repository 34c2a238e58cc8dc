package ledger

import (
	"encoding/hex"
	"fmt"
	"strconv"

	"github.com/tallyledger/tally/crypto"
)

// The storage layout. Every key the ledger reads or writes is declared and
// built here; nothing else concatenates key bytes.
//
// State keys (committed by the app hash) are printable ASCII, start with
// "/" and contain no other "/" or "%", so a raw key is also a valid
// CometBFT key path (light clients check absence proofs with the raw key as
// the path). Binary parts are lower-case hex, symbols upper case, numbers
// fixed-width hex so that key order is numeric order: every value has
// exactly one key.
//
// Metadata keys (height, app hash) start with "!", the transaction index's
// keys with "#" and the state tree's stored pages with "~"; all live
// outside the tree.
const (
	// StatePrefix prefixes every key committed by the app hash.
	StatePrefix = "/"

	PrefixAccount      = "/acct:"     // + hex(address) -> Account
	PrefixBalance      = "/bal:"      // + hex(address) + ":" + symbol -> amount (never 0)
	PrefixHoldings     = "/holds:"    // + hex(address) -> sorted symbols of the assets it holds (absent: none)
	PrefixAsset        = "/asset:"    // + symbol -> Asset
	PrefixValidator    = "/val:"      // + hex(ed25519 public key) -> Validator
	PrefixNode         = "/node:"     // + node ID (40 hex digits) -> true
	PrefixProposal     = "/prop:"     // + 16 hex digits of the ID -> Proposal
	PrefixOpenProposal = "/openprop:" // + 16 hex digits of the expiry height + ":" + 16 of the ID -> true
	PrefixAdmin        = "/admin:"    // + hex(address) -> true (index of admins)
	PrefixRetiredNonce = "/retired:"  // + hex(address) -> next nonce of a removed account
	KeyParams          = "/params"    // -> Params
	KeyChainID         = "/chain_id"  // -> chain ID string
	KeyNextProposalID  = "/next_prop" // -> next proposal ID (absent = 1)
	metaHeightKey      = "!height"    // -> last committed height (8 bytes big endian)
	// The transaction index (index.go), outside the tree.
	PrefixTxIndex      = "#tx:"      // + hex(tx hash) -> TxRecord
	PrefixHistory      = "#hist:"    // + hex(address) + ":" + 16 hex digits of the sequence number -> tx hash
	PrefixHistoryCount = "#hcount:"  // + hex(address) -> number of history entries (8 bytes big endian)
	metaAppHashKey     = "!app_hash" // -> last committed app hash
	metaEntriesKey     = "!entries"  // -> number of state entries (a size hint for Open)
	// The state tree's levels below its page depth (package smt, paged
	// tree), derived from the state and written in the same batch as it.
	PrefixTree        = "~"
	PrefixTreePage    = "~page:" // + 6 hex digits of the page -> its leaves (pages of 2 or more)
	PrefixTreeSummary = "~sum:"  // + 6 hex digits of the page -> leaf count, root hash, a lone leaf
	metaTreeKey       = "~tree"  // -> page depth (1 byte) + height the pages are at (8 bytes big endian)
	balanceSep        = ':'
)

// StateGroups lists every declared state key prefix (and single state
// key), in key order: forensics hashes the state one group at a time so
// that two diverging nodes see at once which part of the state differs.
var StateGroups = []string{
	PrefixAccount, PrefixAdmin, PrefixAsset, PrefixBalance, KeyChainID, PrefixHoldings,
	KeyNextProposalID, PrefixNode, PrefixOpenProposal, KeyParams, PrefixProposal,
	PrefixRetiredNonce, PrefixValidator,
}

// AccountKey is the key of addr's Account record.
func AccountKey(addr crypto.Address) []byte {
	return hexKey(PrefixAccount, addr[:], 0)
}

// BalancePrefix prefixes every balance key of addr.
func BalancePrefix(addr crypto.Address) []byte {
	return append(hexKey(PrefixBalance, addr[:], 1), balanceSep)
}

// BalanceKey is the key of addr's balance of asset.
func BalanceKey(addr crypto.Address, asset string) []byte {
	return append(append(hexKey(PrefixBalance, addr[:], 1+len(asset)), balanceSep), asset...)
}

// HoldingsKey is the key of the set of assets addr holds (a non-zero
// balance of): proving it makes a proven read of the account's balances
// complete.
func HoldingsKey(addr crypto.Address) []byte {
	return hexKey(PrefixHoldings, addr[:], 0)
}

// AssetKey is the key of the Asset record with the given symbol.
func AssetKey(symbol string) []byte { return []byte(PrefixAsset + symbol) }

// ValidatorKey is the key of the validator with the given ed25519 key.
func ValidatorKey(pubKey []byte) []byte { return hexKey(PrefixValidator, pubKey, 0) }

// NodeKey is the key marking node ID id as allowed to connect.
func NodeKey(id string) []byte { return []byte(PrefixNode + id) }

// ProposalKey is the key of proposal id.
func ProposalKey(id uint64) []byte { return appendUint(PrefixProposal, id) }

// OpenProposalKey indexes open proposals by expiry height, then ID, so that
// each block finds the proposals that expire without reading any other.
func OpenProposalKey(expiry, id uint64) []byte {
	return fmt.Appendf([]byte(PrefixOpenProposal), "%016x:%016x", expiry, id)
}

// parseOpenProposalKey returns the expiry height and the ID of an open
// proposal index key.
func parseOpenProposalKey(key []byte) (expiry, id uint64, err error) {
	s := string(key[len(PrefixOpenProposal):])
	if len(s) != 33 || s[16] != ':' {
		return 0, 0, fmt.Errorf("open proposal key %q: expected 16 hex digits, ':' and 16 hex digits after %q", key, PrefixOpenProposal)
	}
	if expiry, err = strconv.ParseUint(s[:16], 16, 64); err == nil {
		id, err = strconv.ParseUint(s[17:], 16, 64)
	}
	if err != nil {
		return 0, 0, fmt.Errorf("open proposal key %q: %v", key, err)
	}
	return expiry, id, nil
}

// AdminKey indexes admins so that the admin count is found without
// scanning every account.
func AdminKey(addr crypto.Address) []byte { return hexKey(PrefixAdmin, addr[:], 0) }

// ParamsKey is the key of the Params record.
func ParamsKey() []byte { return []byte(KeyParams) }

// ChainIDKey is the key of the chain ID.
func ChainIDKey() []byte { return []byte(KeyChainID) }

// NextProposalIDKey is the key of the next proposal ID.
func NextProposalIDKey() []byte { return []byte(KeyNextProposalID) }

// IsStateKey reports whether k is a key committed by the app hash.
func IsStateKey(k []byte) bool { return len(k) > 0 && k[0] == StatePrefix[0] }

// hexKey returns prefix followed by b in hex, with room for extra more
// bytes: one allocation for the whole key (keys are built on every read
// and write of the state).
func hexKey(prefix string, b []byte, extra int) []byte {
	k := make([]byte, len(prefix), len(prefix)+hex.EncodedLen(len(b))+extra)
	copy(k, prefix)
	return hex.AppendEncode(k, b)
}

func appendUint(prefix string, n uint64) []byte {
	return fmt.Appendf([]byte(prefix), "%016x", n)
}

// parseHexSuffix decodes the hex part of a key after prefix.
func parseHexSuffix(key []byte, prefix string, size int) ([]byte, error) {
	s := key[len(prefix):]
	if len(s) != 2*size {
		return nil, fmt.Errorf("key %q: %d hex digits after %q, expected %d", key, len(s), prefix, 2*size)
	}
	return hex.DecodeString(string(s))
}

// parseUintSuffix decodes the fixed-width number after prefix.
func parseUintSuffix(key []byte, prefix string) (uint64, error) {
	return strconv.ParseUint(string(key[len(prefix):]), 16, 64)
}

// addressFromKey decodes the address at the start of the key after prefix
// (account, balance and admin keys).
func addressFromKey(key []byte, prefix string) (crypto.Address, error) {
	var a crypto.Address
	if len(key) < len(prefix)+2*crypto.AddressSize {
		return a, fmt.Errorf("key %q too short for an address after %q", key, prefix)
	}
	b, err := hex.DecodeString(string(key[len(prefix) : len(prefix)+2*crypto.AddressSize]))
	if err != nil {
		return a, fmt.Errorf("key %q: %v", key, err)
	}
	copy(a[:], b)
	return a, nil
}

// RetiredNonceKey holds the next nonce of a removed account, so that
// re-registering it does not make its old transactions valid again.
func RetiredNonceKey(addr crypto.Address) []byte {
	return hexKey(PrefixRetiredNonce, addr[:], 0)
}

// TreePageKey is the key of the data of state tree page p.
func TreePageKey(p uint32) []byte { return fmt.Appendf([]byte(PrefixTreePage), "%06x", p) }

// TreeSummaryKey is the key of the summary of state tree page p.
func TreeSummaryKey(p uint32) []byte { return fmt.Appendf([]byte(PrefixTreeSummary), "%06x", p) }

// parseTreePage returns the page of a tree page or summary key.
func parseTreePage(key []byte, prefix string) (uint32, error) {
	s := key[len(prefix):]
	if len(s) != 6 {
		return 0, fmt.Errorf("tree key %q: expected 6 hex digits after %q", key, prefix)
	}
	p, err := strconv.ParseUint(string(s), 16, 32)
	if err != nil {
		return 0, fmt.Errorf("tree key %q: %v", key, err)
	}
	return uint32(p), nil
}

// TxIndexKey is the index key of a committed transaction by hash.
func TxIndexKey(hash [32]byte) []byte { return hexKey(PrefixTxIndex, hash[:], 0) }

// HistoryKey is the key of entry seq (from 0, oldest first) of addr's
// history.
func HistoryKey(addr crypto.Address, seq uint64) []byte {
	return fmt.Appendf(hexKey(PrefixHistory, addr[:], 17), ":%016x", seq)
}

// HistoryCountKey holds the length of addr's history.
func HistoryCountKey(addr crypto.Address) []byte {
	return hexKey(PrefixHistoryCount, addr[:], 0)
}
