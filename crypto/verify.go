package crypto

import (
	"crypto/sha256"
	"fmt"

	"github.com/btcsuite/btcd/btcec/v2"
)

// Verification is split in two. This file holds Tally's rules, the same
// whichever library does the curve arithmetic: a key is 33 bytes,
// compressed (prefix 0x02 or 0x03); a signature is r||s, 64 bytes, with r
// and s in [1, N-1] and s at most N/2; the signed value is SHA-256 of the
// message. Only an input that passes these checks reaches a backend, which
// answers two questions: is this x a point on the curve, and does this
// (r, s) verify over this hash for this point. The backend is btcec
// (backend_btcec.go) unless the binary is built with the libsecp256k1 tag
// (backend_libsecp256k1.go); VerifierBackend says which.

// ParsePubKey parses a 33-byte compressed public key and checks that it is
// a point on the curve.
func ParsePubKey(b []byte) (PubKey, error) {
	var p PubKey
	if _, err := parseCompressed(b); err != nil {
		return p, err
	}
	copy(p[:], b)
	return p, nil
}

// Verify checks sig (r||s, low S) over SHA-256(msg). It returns nil when the
// signature is valid and an error saying why otherwise.
func (p PubKey) Verify(msg, sig []byte) error {
	if err := checkSignatureShape(sig); err != nil {
		return err
	}
	vk, err := p.VerifyingKey()
	if err != nil {
		return err
	}
	return vk.Verify(msg, sig)
}

// VerifyingKey is a public key parsed (decompressed) once, for verifying
// many signatures: parsing is a large part of one verification. Obtain one
// from PubKey.VerifyingKey or a KeyCache; the zero value verifies nothing.
type VerifyingKey struct {
	key    backendKey
	parsed bool
}

// VerifyingKey parses the key for verification.
func (p PubKey) VerifyingKey() (*VerifyingKey, error) {
	return parseCompressed(p[:])
}

// Verify checks sig (r||s, low S) over SHA-256(msg), exactly as
// PubKey.Verify does.
func (k *VerifyingKey) Verify(msg, sig []byte) error {
	if err := checkSignatureShape(sig); err != nil {
		return err
	}
	if !k.parsed {
		return fmt.Errorf("%w: verifying key was not parsed from a public key", ErrBadPubKey)
	}
	h := sha256.Sum256(msg)
	if !k.key.verifyHash(&h, (*[SignatureSize]byte)(sig)) {
		return fmt.Errorf("%w: does not match the message and public key", ErrBadSignature)
	}
	return nil
}

// parseCompressed parses (decompresses) a 33-byte compressed key.
func parseCompressed(b []byte) (*VerifyingKey, error) {
	if len(b) != PubKeySize {
		return nil, fmt.Errorf("%w: %d bytes, expected %d (compressed)", ErrBadPubKey, len(b), PubKeySize)
	}
	if b[0] != 0x02 && b[0] != 0x03 {
		return nil, fmt.Errorf("%w: prefix 0x%02x, expected 0x02 or 0x03 (compressed)", ErrBadPubKey, b[0])
	}
	vk := &VerifyingKey{}
	if !parseBackendKey(&vk.key, (*[PubKeySize]byte)(b)) {
		return nil, fmt.Errorf("%w: not a point on secp256k1", ErrBadPubKey)
	}
	vk.parsed = true
	return vk, nil
}

// checkSignatureShape refuses a signature of the wrong length, with r or s
// zero or not below the group order, or with a high S. Backends differ on
// these (btcec reduces an r or s >= N and accepts a high S; libsecp256k1
// refuses both), so no such signature may reach one.
func checkSignatureShape(sig []byte) error {
	if len(sig) != SignatureSize {
		return fmt.Errorf("%w: %d bytes, expected %d", ErrBadSignature, len(sig), SignatureSize)
	}
	var r, s btcec.ModNScalar
	if overflow := r.SetByteSlice(sig[:32]); overflow || r.IsZero() {
		return fmt.Errorf("%w: r out of range", ErrBadSignature)
	}
	if overflow := s.SetByteSlice(sig[32:]); overflow || s.IsZero() {
		return fmt.Errorf("%w: s out of range", ErrBadSignature)
	}
	if s.IsOverHalfOrder() {
		return ErrHighS
	}
	return nil
}
