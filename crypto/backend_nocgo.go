//go:build libsecp256k1 && !cgo

package crypto

// The libsecp256k1 backend calls the C library through cgo. Rather than
// fall back to btcec without a word, a build with the tag and
// CGO_ENABLED=0 stops here, on this one undefined name.
var _ = theLibsecp256k1BuildTagNeedsCgo

const VerifierBackend = "none"

type backendKey = btcecKey

func parseBackendKey(dst *backendKey, b *[PubKeySize]byte) bool { return false }
