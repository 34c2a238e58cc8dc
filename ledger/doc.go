// Package ledger is Tally's deterministic state machine: transactions and
// their canonical encoding, validation, execution, permissions and
// governance, the flat key/value state and its commitment (the app hash).
//
// It knows nothing of CometBFT: the app package adapts ABCI calls onto a
// Ledger. Blocks go in, results, events, validator updates and an app hash
// come out:
//
//	store, err := ledger.OpenLevelDBStore(dir) // or ledger.NewMemStore() in tests
//	l, err := ledger.Open(store, ledger.Options{})
//	appHash, err := l.InitChain("tally-1", 1, genesisState) // fresh ledger only
//	res := l.CheckTx(txBytes, false)                         // mempool admission
//	out, err := l.FinalizeBlock(ledger.BlockInfo{Height: 1, Signers: signers}, txs)
//	err = l.Commit()                                         // one synced batch
//	bal, err := l.View().Balance(addr, "TALLY")
//
// # State and app hash
//
// State is a set of flat key/values; keys.go declares every key. The app
// hash is the root of a sparse Merkle tree (package smt) over all of them,
// paged: its top levels in memory, the pages of leaves below in the store
// (tree.go). FinalizeBlock executes on an overlay of the committed state
// and updates a copy of the tree (O(changes x log(state)), each changed
// page read and rehashed once); Commit writes the changed pages, the
// overlay, the height and the app hash in one synced batch, so a crash
// leaves the old state or the new one, never a mix. Open builds the top
// from the stored page summaries and refuses a tree whose root differs
// from the committed app hash; without usable pages it rebuilds them from
// the flat entries and checks those. View gives consistent reads of the
// last committed state and ics23 proofs of presence and absence
// (View.Prove).
//
// # Transactions
//
// A transaction is authenticated when it decodes canonically, its
// signature verifies for the chain, its sender is registered, its nonce is
// the sender's next one and it has not expired. Unauthenticated
// transactions change nothing. An authenticated transaction in a block
// always consumes its nonce, even if its message then fails (a non-zero
// code); none of its other effects apply. Messages are transfer, mint and
// burn (by the asset's issuer), propose and vote (by admins). A proposal's
// action executes in the transaction whose approval reaches the admin
// threshold; if it fails then, that transaction fails with the action's
// code and the proposal stays open. Failures are *Error values with stable
// codes (errors.go) and a log that says what was wrong and what was
// expected ("nonce 7 used, account expects 9").
//
// CheckTx runs against a check state (committed state plus the mempool's
// admitted transactions), so an account can have several transactions in
// flight in nonce order; Commit resets it. Signatures verified by CheckTx
// are remembered (by transaction bytes and chain) so that FinalizeBlock
// verifies only the others, in parallel; a block's results never depend on
// that cache or on scheduling.
//
// Adding a message type: add the field in tx.go (with its Type and
// ValidateBasic cases), then a case in handlerFor (exec.go) and its
// handler. Adding a governance action: add the field in Action (tx.go) and
// one entry in the table of actions (actions.go) with the function that
// applies it; its name, validation, execution, event and the wallet's, the
// API's and the CLI's forms all derive from that entry.
//
// The package is deterministic: no clock, no randomness, no map iteration
// where order matters, no floats.
package ledger
