package ledger

import (
	"github.com/tallyledger/tally/crypto"
)

// Account is a registered account. Only registered accounts send or
// receive. Nonce is the next nonce the account's next transaction must
// carry.
type Account struct {
	Address      crypto.Address `cbor:"1,keyasint" json:"address"`
	Nonce        uint64         `cbor:"2,keyasint" json:"nonce"`
	Roles        []Role         `cbor:"3,keyasint,omitempty" json:"roles"` // sorted, no duplicates
	Frozen       bool           `cbor:"4,keyasint,omitempty" json:"frozen"`
	FrozenReason string         `cbor:"5,keyasint,omitempty" json:"frozen_reason,omitempty"`
}

// HasRole reports whether the account holds role r.
func (a *Account) HasRole(r Role) bool {
	for _, x := range a.Roles {
		if x == r {
			return true
		}
	}
	return false
}

// Balance is an account's holding of one asset. Zero balances are not
// stored.
type Balance struct {
	Asset  string `json:"asset"`
	Amount uint64 `json:"amount,string"`
}

// Asset is a token issued on the ledger. Supply always equals the sum of
// every account's balance of the asset.
type Asset struct {
	Symbol string         `cbor:"1,keyasint" json:"symbol"`
	Issuer crypto.Address `cbor:"2,keyasint" json:"issuer"`
	Supply uint64         `cbor:"3,keyasint,omitempty" json:"supply,string"`
	Paused bool           `cbor:"4,keyasint,omitempty" json:"paused"`
}

// Params are the chain-wide parameters.
type Params struct {
	// AdminThreshold is how many admin approvals pass a proposal; at least
	// 1 and at most the number of admins.
	AdminThreshold uint32 `cbor:"1,keyasint" json:"admin_threshold"`
	// FreezeBlocksReceive makes frozen accounts unable to receive too.
	FreezeBlocksReceive bool `cbor:"2,keyasint,omitempty" json:"freeze_blocks_receive"`
}

// Validator is a consensus validator: a 32-byte ed25519 public key and its
// voting power (never 0 in state: power 0 removes it).
type Validator struct {
	PubKey []byte `cbor:"1,keyasint" json:"pub_key"`
	Power  uint64 `cbor:"2,keyasint" json:"power,string"`
}

// Proposal statuses.
const (
	ProposalOpen     = "open"
	ProposalExecuted = "executed"
	ProposalRejected = "rejected"
	ProposalExpired  = "expired"
)

// Proposal is a governance proposal. It passes (and its action executes)
// in the transaction whose approval brings the approvals of current admins
// to Params.AdminThreshold, at a height <= Expiry.
type Proposal struct {
	ID             uint64           `cbor:"1,keyasint" json:"id,string"`
	Proposer       crypto.Address   `cbor:"2,keyasint" json:"proposer"`
	Action         Action           `cbor:"3,keyasint" json:"action"`
	Expiry         uint64           `cbor:"4,keyasint" json:"expiry,string"`
	Approvals      []crypto.Address `cbor:"5,keyasint,omitempty" json:"approvals"`
	Rejections     []crypto.Address `cbor:"6,keyasint,omitempty" json:"rejections"`
	Status         string           `cbor:"7,keyasint" json:"status"`
	ExecutedHeight uint64           `cbor:"8,keyasint,omitempty" json:"executed_height,string"`
	// Height at which the proposal was created and at which it was closed
	// (executed, rejected or expired); 0 while open.
	CreatedHeight uint64 `cbor:"9,keyasint" json:"created_height,string"`
	ClosedHeight  uint64 `cbor:"10,keyasint,omitempty" json:"closed_height,string"`
}

// GenesisBalance is an initial balance.
type GenesisBalance struct {
	Address crypto.Address `json:"address"`
	Asset   string         `json:"asset"`
	Amount  uint64         `json:"amount,string"`
}

// GenesisState is the initial state handed to InitChain. Asset supplies are
// computed from the balances (a non-zero Supply must equal that sum).
type GenesisState struct {
	Params       Params
	Accounts     []Account
	Assets       []Asset
	Balances     []GenesisBalance
	Validators   []Validator
	AllowedNodes []string
	// Proposals, NextProposalID (0: the key is absent, so the next ID is 1)
	// and RetiredNonces carry the governance history of an exported chain
	// (View.Export); a new chain has none.
	Proposals      []Proposal
	NextProposalID uint64
	RetiredNonces  []RetiredNonce
}

// Options tune a Ledger without changing its results.
type Options struct {
	// VerifyWorkers is how many goroutines verify signatures in
	// FinalizeBlock; 0 means GOMAXPROCS.
	VerifyWorkers int
	// SigCacheSize bounds the cache of signatures verified by CheckTx;
	// 0 means DefaultSigCacheSize, negative disables the cache.
	SigCacheSize int
	// MaxPendingPerAccount bounds the transactions of one sender that
	// CheckTx admits between two blocks (CodeTooManyPending beyond it); 0
	// means DefaultMaxPendingPerAccount, negative means no bound.
	MaxPendingPerAccount int
	// MaxAccountTxsPerBlock bounds the transactions of one sender that
	// PrepareTxs puts in a block proposal; 0 means
	// DefaultMaxAccountTxsPerBlock, negative means no bound. It shapes only
	// this node's proposals, never the validity of a block.
	MaxAccountTxsPerBlock int
	// MaxMempoolTxs and MaxMempoolBytes bound the transactions (and their
	// bytes) CheckTx admits between two commits, rechecked ones included
	// (CodeMempoolFull beyond them); 0 means no bound. A node sets them to
	// its mempool's size and max_txs_bytes, so that no transaction CheckTx
	// admitted is then dropped by a full mempool.
	MaxMempoolTxs, MaxMempoolBytes int64
	// TreeUpdate, when set, is called as FinalizeBlock starts updating the
	// state tree with the number of changed keys; the function it returns
	// is called when the new root is computed. It lets a caller time the
	// update (the ledger reads no clock) and cannot change any result.
	TreeUpdate func(changes int) (done func())
	// KeyCacheSize bounds the cache of parsed (decompressed) public keys,
	// one per sending account; 0 means DefaultKeyCacheSize, negative
	// disables the cache.
	KeyCacheSize int
	// TreePageCacheBytes bounds the cache of state tree pages read from the
	// store (smt.PageCache); 0 means DefaultTreePageCacheBytes, negative
	// disables the cache.
	TreePageCacheBytes int
	// VerifyState makes Open rebuild the state tree from every state
	// entry, in memory, and refuse a state whose root is not the committed
	// app hash, as it does when the tree's pages are missing. Without it,
	// Open checks the stored tree (its root against the app hash, each
	// page against the tree above it when read), not the entries: a state
	// entry changed outside the ledger shows when it is proven (a value
	// mismatch) or changed by a block (an app hash other nodes disagree
	// with). It costs O(state) time and memory; offline tools set it.
	VerifyState bool

	// pageDepth is the state tree's page depth; 0 means
	// smt.DefaultPageDepth. Tests set small depths so that small states
	// have pages of many leaves.
	pageDepth int
}

// DefaultTreePageCacheBytes is the default bound of the tree page cache.
const DefaultTreePageCacheBytes = 64 << 20

// Defaults of Options.
const (
	DefaultSigCacheSize          = 100_000
	DefaultMaxPendingPerAccount  = 64
	DefaultMaxAccountTxsPerBlock = 64
)

// limitOrDefault resolves an Options bound: 0 is the default, negative is
// no bound (returned as 0).
func limitOrDefault(v, def int) int {
	switch {
	case v == 0:
		return def
	case v < 0:
		return 0
	}
	return v
}

// DefaultKeyCacheSize is the public key cache's default capacity (about
// 200 bytes a key).
const DefaultKeyCacheSize = 1 << 17

// Attribute is an event attribute; all are meant to be indexed.
type Attribute struct {
	Key   string
	Value string
}

// Event is an ABCI event.
type Event struct {
	Type       string
	Attributes []Attribute
}

// TxResult is the outcome of one transaction.
type TxResult struct {
	Code   Code
	Log    string
	Events []Event
}

// IsOK reports whether the transaction succeeded.
func (r TxResult) IsOK() bool { return r.Code == CodeOK }

// ValidatorUpdate is a change of the consensus validator set: an ed25519
// public key and its new power (0 removes it).
type ValidatorUpdate struct {
	PubKey []byte
	Power  int64
}

// BlockInfo is what the ledger needs to know about a block besides its
// transactions.
type BlockInfo struct {
	Height int64
	// Signers are the 20-byte CometBFT addresses of the validators that
	// signed the last commit (used by the validator-change safety check).
	Signers [][]byte
}

// BlockResult is the outcome of FinalizeBlock.
type BlockResult struct {
	TxResults        []TxResult
	Events           []Event
	AppHash          []byte
	ValidatorUpdates []ValidatorUpdate
}
