package wire

import (
	"fmt"

	"github.com/tallyledger/tally/crypto"
)

// Methods of the ledger JSON-RPC API, and the result each returns.
const (
	MethodStatus      = "status"       // StatusResult
	MethodAccount     = "account"      // AccountResult; params: address
	MethodBalances    = "balances"     // BalancesResult; params: address
	MethodAssets      = "assets"       // AssetsResult
	MethodAsset       = "asset"        // AssetResult; params: symbol
	MethodTx          = "tx"           // TxResult; params: hash
	MethodHistory     = "history"      // HistoryResult; params: address, page, per_page
	MethodValidators  = "validators"   // ValidatorsResult
	MethodNodes       = "nodes"        // NodesResult
	MethodProposals   = "proposals"    // ProposalsResult
	MethodProposal    = "proposal"     // ProposalResult; params: id
	MethodParams      = "params"       // ParamsResult
	MethodBroadcastTx = "broadcast_tx" // BroadcastResult; params: tx
)

// Parameter names of the ledger API methods. Integers are passed as
// decimal strings (CometBFT's convention), addresses as tally1...,
// hashes and transactions as hex.
const (
	ParamAddress = "address"
	ParamSymbol  = "symbol"
	ParamHash    = "hash"
	ParamPage    = "page"
	ParamPerPage = "per_page"
	ParamID      = "id"
	ParamTx      = "tx"
)

// History paging (CometBFT's tx_search caps per_page at 100).
const (
	DefaultHistoryPerPage = 30
	MaxHistoryPerPage     = 100
)

// ABCI query paths the node answers (CometBFT's abci_query).
const (
	// QueryPathStore: Data is a raw state key or its key path
	// (proofop.KeyPath); with prove=true the answer carries a tally:smt
	// proof against the app hash.
	QueryPathStore = "/store"
	// QueryPathAccount + "<tally1...>": the account as AccountResult JSON.
	QueryPathAccount = "/account/"
	// QueryPathFilterAddr + "<ip:port>": CometBFT's peer filter by address.
	QueryPathFilterAddr = "/p2p/filter/addr/"
	// QueryPathFilterID + "<node-id>": CometBFT's peer filter by node ID.
	QueryPathFilterID = "/p2p/filter/id/"
	// QueryPathTx + "<64 hex digits>": a committed transaction as TxResult
	// JSON, from the ledger's own index (code QueryCodeNotFound when no
	// block holds it).
	QueryPathTx = "/tx/"
	// QueryPathHistory + "<tally1...>/<page>/<per page>": one page of an
	// account's history, newest first, as HistoryResult JSON, from the
	// ledger's own index (HistoryPath builds it).
	QueryPathHistory = "/history/"
)

// QueryCodeNotFound is the abci_query code of a transaction, account or
// record the node does not have (Codespace "tally").
const QueryCodeNotFound uint32 = 102

// HistoryPath is the abci_query path of page page (from 1) of perPage
// transactions of addr's history.
func HistoryPath(addr crypto.Address, page, perPage uint64) string {
	return fmt.Sprintf("%s%s/%d/%d", QueryPathHistory, addr, page, perPage)
}

// HistoryEventKey is the event attribute every transaction carries once
// per account it touches; HistoryQuery searches it.
const HistoryEventKey = "account.address"

// HistoryQuery is the tx_search query that finds every transaction that
// touched addr. (A parsed address cannot break out of the quotes.)
func HistoryQuery(addr crypto.Address) string {
	return fmt.Sprintf("%s='%s'", HistoryEventKey, addr)
}
