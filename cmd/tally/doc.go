// Command tally is the Tally wallet: it keeps secp256k1 keys, signs and
// submits transactions (also offline) and queries a node.
//
// Keys live in the home directory (--home, $TALLY_HOME, default ~/.tally),
// encrypted under a password (the "file" backend) or, for local test
// networks only, unencrypted ("test"); the backend is chosen when the home
// is created. Passwords come from --password-file, $TALLY_PASSWORD or a
// prompt without echo.
//
//	tally keys add alice                       # prints a 24-word mnemonic once
//	tally send alice bob 25TALLY               # signs, broadcasts, waits for the block
//	tally query account bob --prove            # verified against a light-client header
//	tally gov propose admin freeze bob --reason "court order 17"
//
// Offline signing takes three steps, each possibly on its own machine:
//
//	tally send alice bob 25TALLY --generate-only --out unsigned.json
//	tally tx sign unsigned.json --from alice --out signed.json   # no node needed
//	tally tx broadcast signed.json
//
// The node is --node (CometBFT RPC, default http://127.0.0.1:26657); the
// ledger API is taken two ports above it unless --api says otherwise. The
// home's config file (tally config set node URL) remembers them, the chain
// ID and the output format; a flag wins over the environment ($TALLY_NODE,
// $TALLY_API, $TALLY_CHAIN_ID, $TALLY_OUTPUT), which wins over the file.
// --output json prints exactly one JSON document on stdout. Every failure
// is one line on stderr ("Error: ...", or with --output json a JSON
// {"error":{"code","exit_code","message"}}) and a non-zero exit status: 1
// failure, 2 usage error (an unknown command comes with "did you mean"),
// 3 a transaction submitted but not yet in a block (wait for it with
// `tally tx wait HASH`, never send it again). The conventions shared with
// tallyd live in cmd/internal/cliconv.
//
// The commands are thin: they parse arguments, call the client package
// (the node client, transaction files, proofs) and crypto/keystore, and
// format the result.
package main
