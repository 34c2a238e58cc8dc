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
	// q is the key in the 64-bit field's affine form, for verification
	// without a table (varbase.go): converted once, at parsing.
	q affinePoint
	// tables holds the key's fixed-base table (fixedbase.go) once it
	// is a repeat key of a KeyCache that keeps tables.
	tables keyTables
}

// parseBtcec decompresses a 33-byte compressed key whose prefix has been
// checked; false if x is not below the field prime or has no y on the
// curve.
func parseBtcec(dst *btcecKey, b *[PubKeySize]byte) bool {
	pub, err := btcec.ParsePubKey(b[:])
	if err != nil {
		return false
	}
	var q btcec.JacobianPoint
	pub.AsJacobian(&q)
	dst.pub = pub
	dst.q.x.setFieldVal(&q.X)
	dst.q.y.setFieldVal(&q.Y)
	return true
}

// useTables lets the key keep a fixed-base table in c once it proves a
// repeat key.
func (k *btcecKey) useTables(c *tableCache) { k.tables.cache = c }

// verifyHash is plain ECDSA verification of (r, s) over hash. It reduces
// r, s and hash modulo N and does not look at the size of s: the caller
// checks the signature's shape first. It answers exactly as btcec does,
// faster: with the key's table if it has one (fixedbase.go), else by
// variable-base multiplication (varbase.go).
func (k *btcecKey) verifyHash(hash *[32]byte, sig *[SignatureSize]byte) bool {
	if t := k.tables.tableFor(k.pub); t != nil {
		return t.verifyHash(hash, sig)
	}
	if !verifyVarBase(&k.q, k.pub, hash, sig) {
		return false
	}
	k.tables.noteValid()
	return true
}

// verifyBtcec is btcec's ECDSA verification, the reference.
func verifyBtcec(pub *btcec.PublicKey, hash *[32]byte, sig *[SignatureSize]byte) bool {
	var r, s btcec.ModNScalar
	r.SetByteSlice(sig[:32])
	s.SetByteSlice(sig[32:])
	return ecdsa.NewSignature(&r, &s).Verify(hash[:], pub)
}
