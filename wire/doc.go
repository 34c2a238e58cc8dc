// Package wire is the contract between a Tally node and its clients: what
// crosses the network, declared once and imported by both sides. The node
// (package app) answers with these types and the client (package client,
// the wallet, tests) decodes the same types, so the two cannot drift apart
// on a field, a method name or a query path.
//
// It holds:
//
//   - the ledger JSON-RPC API: method and parameter names (MethodAccount,
//     ParamAddress...) and their results (AccountResult, TxResult...), with
//     the Describe functions that build a result from the ledger's types.
//     Results are plain JSON: 64-bit numbers as decimal strings (Uint64,
//     Int64), addresses as tally1..., hashes in upper-case hex;
//   - the ABCI query paths (QueryPathStore, QueryPathAccount...) and the
//     tx_search query of an account's history (HistoryQuery);
//   - the readable JSON form of a transaction body (BodyView), which the
//     wallet's transaction files and its output use, converting both ways
//     without loss;
//   - in wire/proofop, the tally:smt proof operator that carries state
//     proofs through CometBFT's abci_query and verifies them.
//
// It depends on crypto, ledger and CometBFT's types, and on nothing of the
// node: a client imports wire and never app.
//
// The node describes an account:
//
//	res := wire.DescribeAccount(acct, balances, pendingNonce)
//
// and a client reads it back:
//
//	var res wire.AccountResult
//	err := call(ctx, wire.MethodAccount, map[string]any{wire.ParamAddress: addr.String()}, &res)
//	fmt.Println(uint64(res.Nonce), res.Balances)
//
// Adding an API method means a Method constant and its result type here,
// the handler in package app, and the call in package client.
package wire
