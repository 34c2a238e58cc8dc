package crypto

import (
	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcec/v2/ecdsa"
)

// btcecKey is a public key for the pure-Go backend. It is compiled into
// every build: it is the backend of default and CGO_ENABLED=0 builds, and
// the reference the libsecp256k1 backend is tested against.
type btcecKey struct {
	pub *btcec.PublicKey
}

// parseBtcec decompresses a 33-byte compressed key whose prefix has been
// checked; false if x is not below the field prime or has no y on the
// curve.
func parseBtcec(dst *btcecKey, b *[PubKeySize]byte) bool {
	pub, err := btcec.ParsePubKey(b[:])
	if err != nil {
		return false
	}
	dst.pub = pub
	return true
}

// verifyHash is plain ECDSA verification of (r, s) over hash. It reduces
// r, s and hash modulo N and does not look at the size of s: the caller
// checks the signature's shape first.
func (k *btcecKey) verifyHash(hash *[32]byte, sig *[SignatureSize]byte) bool {
	var r, s btcec.ModNScalar
	r.SetByteSlice(sig[:32])
	s.SetByteSlice(sig[32:])
	return ecdsa.NewSignature(&r, &s).Verify(hash[:], k.pub)
}
