package wire

// Results of the ledger JSON-RPC API. Every value is plain JSON: numbers
// that may exceed 2^53 (heights, nonces, amounts, IDs) are decimal strings
// (Uint64, Int64, or a string where the field is left out when unset),
// addresses are bech32 (tally1...), hashes upper-case hex, validator keys
// base64 (as CometBFT shows them) and hex.

// StatusResult is the result of status.
type StatusResult struct {
	ChainID         string `json:"chain_id"`
	NodeID          string `json:"node_id"`
	Moniker         string `json:"moniker"`
	Version         string `json:"version"`
	Height          Int64  `json:"height"`        // latest block height
	AppHash         string `json:"app_hash"`      // app hash of the state after the latest block
	LedgerHeight    Int64  `json:"ledger_height"` // height of the ledger's committed state
	LatestBlockHash string `json:"latest_block_hash"`
	LatestBlockTime string `json:"latest_block_time"` // RFC 3339, UTC
	CatchingUp      bool   `json:"catching_up"`
}

// AccountResult is the result of account.
type AccountResult struct {
	Address      string          `json:"address"`
	Nonce        Uint64          `json:"nonce"`         // next nonce in the committed state
	PendingNonce Uint64          `json:"pending_nonce"` // next nonce counting transactions in the mempool
	Frozen       bool            `json:"frozen"`
	FrozenReason string          `json:"frozen_reason"`
	Roles        []string        `json:"roles"`
	Balances     []BalanceResult `json:"balances"`
}

// BalanceResult is one balance.
type BalanceResult struct {
	Asset  string `json:"asset"`
	Amount Uint64 `json:"amount"`
}

// BalancesResult is the result of balances.
type BalancesResult struct {
	Address  string          `json:"address"`
	Balances []BalanceResult `json:"balances"`
}

// AssetResult is one asset.
type AssetResult struct {
	Symbol string `json:"symbol"`
	Issuer string `json:"issuer"`
	Supply Uint64 `json:"supply"`
	Paused bool   `json:"paused"`
}

// AssetsResult is the result of assets.
type AssetsResult struct {
	Assets []AssetResult `json:"assets"`
}

// EventResult is an event of a transaction.
type EventResult struct {
	Type       string            `json:"type"`
	Attributes []AttributeResult `json:"attributes"`
}

// AttributeResult is an event attribute.
type AttributeResult struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// TxResult is the result of tx and an entry of history: the decoded
// transaction with its outcome.
type TxResult struct {
	Hash      string        `json:"hash"`
	Height    Int64         `json:"height"`
	Index     uint32        `json:"index"` // position in the block
	Code      uint32        `json:"code"`  // 0 = success; ledger.Code otherwise
	Codespace string        `json:"codespace,omitempty"`
	Log       string        `json:"log"`
	Events    []EventResult `json:"events"`
	Tx        *TxBodyResult `json:"tx,omitempty"`           // nil if the bytes do not decode
	DecodeErr string        `json:"decode_error,omitempty"` // why they do not
	Raw       string        `json:"raw,omitempty"`          // the transaction bytes, hex (ledger index answers)
}

// TxBodyResult is a decoded transaction.
type TxBodyResult struct {
	Type   string     `json:"type"` // transfer, mint, burn, propose, vote
	Sender string     `json:"sender"`
	PubKey string     `json:"pub_key"` // compressed secp256k1, hex
	Nonce  string     `json:"nonce"`
	Expiry string     `json:"expiry"` // 0 = never expires
	Memo   string     `json:"memo"`
	Msg    *MsgResult `json:"msg"`
}

// MsgResult holds the fields of a message; only those of its type are set.
type MsgResult struct {
	To       string        `json:"to,omitempty"`       // transfer, mint
	Asset    string        `json:"asset,omitempty"`    // transfer, mint, burn
	Amount   string        `json:"amount,omitempty"`   // transfer, mint, burn
	Action   *ActionResult `json:"action,omitempty"`   // propose
	Expiry   string        `json:"expiry,omitempty"`   // propose: last height it can pass
	Proposal string        `json:"proposal,omitempty"` // vote: proposal ID
	Approve  *bool         `json:"approve,omitempty"`  // vote
}

// ActionResult is the API's form of a governance action (Action):
// numbers as decimal strings, the validator key also in hex.
type ActionResult = Action[Uint64]

// HistoryResult is the result of history: one page of an account's
// transactions, newest first.
type HistoryResult struct {
	Address    string     `json:"address"`
	TotalCount Int64      `json:"total_count"`
	Page       Int64      `json:"page"`
	PerPage    Int64      `json:"per_page"`
	Txs        []TxResult `json:"txs"`
}

// ValidatorResult is one validator of the ledger's state.
type ValidatorResult struct {
	Address   string `json:"address"` // CometBFT address, upper-case hex
	PubKey    string `json:"pub_key"` // ed25519, base64
	PubKeyHex string `json:"pub_key_hex"`
	Power     Uint64 `json:"power"`
}

// ValidatorsResult is the result of validators.
type ValidatorsResult struct {
	Height     Int64             `json:"height"`
	TotalPower Uint64            `json:"total_power"`
	Validators []ValidatorResult `json:"validators"`
}

// NodeResult is a node ID the ledger allows, or a connected peer.
type NodeResult struct {
	ID        string `json:"id"`
	Allowed   bool   `json:"allowed"`
	Connected bool   `json:"connected"` // a peer of this node now
	Self      bool   `json:"self"`      // this node
}

// NodesResult is the result of nodes.
type NodesResult struct {
	Height Int64        `json:"height"`
	Nodes  []NodeResult `json:"nodes"`
}

// ProposalResult is the API's form of a governance proposal (Proposal):
// numbers as decimal strings, every height written ("0" while not reached).
type ProposalResult = Proposal[Uint64]

// ProposalsResult is the result of proposals.
type ProposalsResult struct {
	Proposals []ProposalResult `json:"proposals"`
}

// ParamsResult is the result of params.
type ParamsResult struct {
	AdminThreshold      uint32 `json:"admin_threshold"`
	FreezeBlocksReceive bool   `json:"freeze_blocks_receive"`
	Admins              Int64  `json:"admins"` // number of admins
}

// BroadcastResult is the result of broadcast_tx: the mempool's verdict.
type BroadcastResult struct {
	Hash      string `json:"hash"`
	Code      uint32 `json:"code"` // 0 = admitted to the mempool
	Codespace string `json:"codespace,omitempty"`
	Log       string `json:"log"`
}
