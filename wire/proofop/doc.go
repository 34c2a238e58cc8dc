// Package proofop carries the ledger's state proofs through CometBFT: it
// wraps the ics23 proofs of package ledger/smt in a merkle.ProofOperator of
// type "tally:smt", decodes them, and verifies query answers against an app
// hash the way CometBFT's light client does.
//
// # Key paths
//
// A proof operation consumes one key-path segment, the raw ledger key. Both
// sides spell a key as KeyPath(key), "/x:" and the key in upper-case hex:
//
//   - the node's Query handler takes KeyPath(key) as the query data and
//     returns it as ResponseQuery.Key, with the value (nil when absent) and
//     ProofOps holding one operation;
//   - CometBFT's light/rpc client checks a value against the key path that
//     its KeyPathFn builds, and absence against ResponseQuery.Key itself
//     (which must start with "/"); LightClientKeyPath makes the two agree.
//
// # Serving a proof (the ABCI Query handler)
//
//	committed := tree.Snapshot() // taken at Commit
//	proof, err := committed.ProveExistence(key, value)
//	op, err := proofop.NewExistenceOp(key, proof)
//	resp := abci.ResponseQuery{Key: []byte(proofop.KeyPath(key)), Value: value,
//		Height: height, ProofOps: op.ProofOps()}
//
// and for an absent key, committed.ProveAbsence(key, store.Get) with
// NewAbsenceOp and a nil Value.
//
// # Checking a proof (the wallet)
//
// With a trusted app hash (from the header at height+1):
//
//	err := proofop.Verify(appHash, resp.ProofOps, key, resp.Value)
//
// or through CometBFT's light client:
//
//	c := lrpc.NewClient(rpc, lightClient, lrpc.KeyPathFn(proofop.LightClientKeyPath))
//	c.RegisterOpDecoder(proofop.ProofOpType, proofop.Decoder)
//	res, err := c.ABCIQueryWithOptions(ctx, path, []byte(proofop.KeyPath(key)), opts)
package proofop
