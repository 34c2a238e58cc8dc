// Package app runs the Tally ledger under CometBFT.
//
// It has three parts:
//
//   - App, the ABCI 2.0 application: an adapter from CometBFT's calls
//     (InitChain, CheckTx, PrepareProposal, ProcessProposal, FinalizeBlock,
//     Commit, Info, Query) onto package ledger. It holds no ledger rules of
//     its own: codes, logs and events come from the ledger, and App only
//     converts them (and never returns a Go error where CometBFT would
//     panic on one).
//   - Node, the assembly of a full node in one process: CometBFT
//     (node.NewNode with a local ABCI client, so every ABCI call is
//     serialized), the ledger on LevelDB at <db_dir>/ledger.db, and the
//     ledger JSON-RPC API on its own address. NewNode checks the home before
//     starting anything and reports, in one line each, a missing or invalid
//     genesis, a ledger ahead of (or diverging from) the block store, a data
//     directory used by another process and a port already taken.
//   - The home helpers: InitHome writes a new node home, LoadConfig reads
//     config/config.toml (CometBFT) and config/app.toml (Tally), ResetHome
//     deletes the chain data of CometBFT and of the ledger together.
//
// A node in a few lines:
//
//	if err := app.InitHome(home, "val0", "tally-1"); err != nil { ... }
//	n, err := app.NewNode(home, app.NodeOptions{LogLevel: "info"})
//	if err != nil { ... }
//	if err := n.Start(); err != nil { ... }
//	defer n.Stop()
//
// Peers are filtered by the ledger: with filter_peers on (the default that
// InitHome writes) CometBFT asks the app about every peer, and Query answers
// /p2p/filter/id/<node-id> from the allowed-node list in state. CometBFT
// never checks a connected peer again, so after a block that denies a node
// the Node disconnects it.
//
// The ledger API (api_laddr in config/app.toml, default
// tcp://127.0.0.1:26659, two ports above CometBFT's RPC) is CometBFT's
// JSON-RPC server with Tally's methods: status, account, balances, assets,
// asset, tx, history, validators, nodes, proposals, proposal, params and
// broadcast_tx (names and result types are declared in package wire,
// which clients import too). It answers JSON-RPC 2.0 on POST /, URI requests on
// GET /<method>?arg=value, and both over a websocket at /websocket, with the
// body, batch and connection limits of the node's [rpc] section. Results
// are plain JSON (decimal strings for 64-bit numbers, tally1... addresses,
// upper-case hex hashes); a parameter that does not parse is error -32602,
// a call that fails (unknown account, transaction not found...) is -32603
// with the reason in "data":
//
//	curl -s localhost:26659 -d '{"jsonrpc":"2.0","id":1,"method":"account","params":{"address":"tally1..."}}'
//	curl -s 'localhost:26659/history?address=tally1...&page=1&per_page=10'
//
// ABCI query paths:
//
//	/store                   Data = a raw state key; prove=true adds a
//	                         tally:smt proof against the app hash
//	/account/<tally1...>     the account with its balances, as JSON
//	/p2p/filter/addr/<addr>  always accepted (peers are filtered by ID)
//	/p2p/filter/id/<id>      code 0 only for allowed node IDs
package app
