//go:build !libsecp256k1

package crypto

// VerifierBackend names the library that verifies signatures in this
// build: btcec, pure Go, unless the binary is built with
// `-tags libsecp256k1` (and cgo).
const VerifierBackend = "btcec"

type backendKey = btcecKey

func parseBackendKey(dst *backendKey, b *[PubKeySize]byte) bool { return parseBtcec(dst, b) }
