// Package client is the Go client of a Tally node, used by the tally
// wallet, the tests and any program that submits or reads transactions.
//
// A Client talks to one node over two JSON-RPC endpoints: CometBFT's RPC
// (status, blocks, transactions, the event index, broadcast, proofs) and
// the ledger API, which listens two ports above it (26657 -> 26659) unless
// WithAPIURL says otherwise:
//
//	c, err := client.New("http://127.0.0.1:26657")
//	acct, err := c.Account(ctx, addr)        // nonce, pending nonce, roles, balances
//	sub, err := c.Submit(ctx, key, ledger.Body{Msg: ledger.Msg{Transfer: &ledger.Transfer{
//		To: bob, Asset: "TALLY", Amount: 25}}}, client.SubmitOptions{Wait: true})
//	fmt.Println(sub.Hash, sub.Result.Height)
//
// Submit takes the sender's pending nonce from the node (it counts the
// account's transactions already in the mempool), signs for the node's
// chain ID, broadcasts synchronously (CheckTx) and waits for the block.
// Failures are typed: *TxError carries the ledger's code and log (and
// errors.Is matches the ledger's sentinels, e.g. ledger.ErrInsufficient),
// *UnreachableError says which node could not be reached and why, and
// *TimeoutError says which transaction is not in a block after how long.
//
// Offline signing goes through two JSON files: an UnsignedTx (readable
// body, signer, chain ID and nonce when known) and a SignedTx (the
// canonical tx bytes in hex plus a readable copy that ReadSignedTx checks
// against them). BroadcastSigned refuses a file signed for another chain
// or whose transaction or nonce was already used.
//
// ProveAccount is a verifiable read: it checks the account record and its
// balances against the app hash of a header verified by CometBFT's light
// client, so a node that lies about them is caught. The trust root is
// either an explicit trusted height and header hash, or the chain's first
// header as the node reports it (then the node is trusted for that one
// header).
package client
