// Package crypto owns Tally's account keys: secp256k1 key pairs (btcec/v2),
// ECDSA signatures over SHA-256 in the 64-byte low-S form, addresses and
// BIP-39 mnemonics with HD derivation.
//
// It knows nothing about transactions or consensus: it signs and verifies
// byte strings, and names keys by address.
//
// Signatures are r||s, 32 bytes each, big-endian, with s in the lower half
// of the curve order. High-S signatures are rejected: a signature and its
// "mirror" (r, N-s) would otherwise both be valid, and a relayer could
// change a transaction's bytes (and hash) without its signer.
//
// Verification is consensus, so its rules (key and signature shapes,
// ranges, low S, SHA-256) are checked in Go, by the same code in every
// build, and only then handed to a backend for the curve arithmetic:
// btcec by default, libsecp256k1 through cgo in a build with
// `-tags libsecp256k1` (VerifierBackend says which). Both answer the same
// for every input; differential_test.go compares the build's path with the
// btcec reference, over millions of cases with TALLY_DIFF_N.
//
// With btcec, verification runs in 64-bit field arithmetic of its own
// rather than btcec's, about 2.2 times as fast for a key seen for the
// first time, and a KeyCache speeds up keys that sign again: once a key
// has verified twelve valid signatures, its next verification builds a
// table of its multiples (44 KiB, at most DefaultTableMemory of them per
// cache), with which it and each later one need no point doublings,
// about 2.2 times as fast again; the answers stay btcec's, which
// fixedbase_test.go and varbase_test.go check differentially.
//
// Addresses are RIPEMD-160(SHA-256(compressed public key)), 20 bytes, shown
// as bech32 with the human-readable prefix "tally":
//
//	key, _ := crypto.GenerateKey(rand.Reader)
//	sig := key.Sign([]byte("message"))
//	err := key.PubKey().Verify([]byte("message"), sig[:]) // nil
//	fmt.Println(key.PubKey().Address()) // tally1...
//
// Keys derived from a mnemonic follow BIP-32/BIP-44 on the path
// m/44'/118'/0'/0/i (DerivationPath), the path most secp256k1 wallets of
// BFT chains use, so a mnemonic can be recovered in other tools.
package crypto
