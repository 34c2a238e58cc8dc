// Package smt is the ledger's state commitment: a binary sparse Merkle tree
// whose root is the app hash, and the ics23 proofs of what the state holds
// and does not hold.
//
// # What it owns
//
// The tree holds, for every state key, the key itself and the SHA-256 hash
// of its value; the values live in the flat store (LevelDB) that the tree
// commits to. A tree from New or Build lives in memory. A paged tree
// (NewPaged, OpenPaged, BuildPaged; paged.go) keeps only its top levels in
// memory and its lower levels in pages that the caller stores, read through
// a PageSource and a PageCache; its roots and proofs are those of the same
// keys in memory. The package does no I/O of its own, reads no clock, uses
// no randomness, and its root depends only on the set of key/values, never
// on the order in which they were written.
//
// # Hashing
//
// The hashing is fixed, compatible with ics23.SmtSpec:
//
//	path  = SHA-256(key)                       the leaf's place, bit 0 = MSB of byte 0, 0 = left
//	leaf  = SHA-256(0x00 || path || SHA-256(value))
//	inner = SHA-256(0x01 || left || right)
//	empty = 32 zero bytes                      an empty subtree, and the root of an empty tree
//
// A subtree holding exactly one leaf is that leaf, wherever it is, also
// after deletes: the leaf moves up. Values are never empty; deleting a key
// is how a value goes away. pokt-network/smt with SHA-256 gives the same
// roots, which the tests check.
//
// # Writing, committing and reading
//
// Set, SetHash and Delete change the tree; Root hashes only the nodes
// changed since it was last called (a 1,000-change block on a million keys
// costs a few milliseconds). A Tree has one writer at a time. Snapshot
// returns, in constant time, a tree that shares every node with the origin;
// nodes are never changed once hashed, so the snapshot can serve queries and
// proofs from many goroutines while the next block is applied to the origin.
//
// # Proofs
//
// ProveExistence and ProveAbsence return ics23 CommitmentProofs that ics23's
// own VerifyMembership and VerifyNonMembership accept with ProofSpec (which
// equals ics23.SmtSpec); VerifyExistence and VerifyAbsence are this
// package's verifiers, which also check that an absence proof names the key
// asked about (ics23 ignores that field) and turn panics on malformed input
// into errors. An absence proof shows the leaves just left and right of
// the key's path, with their keys and values, read through the lookup
// function from the flat store. In an empty tree there are no neighbours;
// ProveAbsence then returns a NonExistenceProof with only Key set, which
// VerifyAbsence accepts against the empty root alone and ics23 rejects.
// MarshalProof and UnmarshalProof carry proofs as bytes; UnmarshalProof
// accepts only the canonical encoding.
//
// # Example
//
//	tree := smt.New()
//	_ = tree.Set([]byte("balance/alice"), []byte("100"))
//	_ = tree.Set([]byte("balance/bob"), []byte("7"))
//	appHash := tree.Root()
//
//	committed := tree.Snapshot() // queries read this while the next block runs
//	proof, _ := committed.ProveExistence([]byte("balance/bob"), []byte("7"))
//	err := smt.VerifyExistence(appHash, proof, []byte("balance/bob"), []byte("7")) // nil
//
// The ABCI layer wraps these proofs in CometBFT ProofOps with package
// wire/proofop.
package smt
