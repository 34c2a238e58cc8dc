package crypto

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcec/v2/ecdsa"
)

// Sizes of the encoded forms.
const (
	PrivKeySize   = 32
	PubKeySize    = 33
	SignatureSize = 64
)

// Errors returned by parsing and verification.
var (
	ErrBadPubKey    = errors.New("invalid public key")
	ErrBadPrivKey   = errors.New("invalid private key")
	ErrBadSignature = errors.New("invalid signature")
	ErrHighS        = errors.New("signature is not in low-S form")
)

// PrivKey is a secp256k1 private key.
type PrivKey struct {
	key *btcec.PrivateKey
}

// PubKey is a compressed secp256k1 public key (33 bytes).
type PubKey [PubKeySize]byte

// Signature is an ECDSA signature r||s with low S.
type Signature [SignatureSize]byte

// GenerateKey makes a new private key from the entropy source r.
func GenerateKey(r io.Reader) (*PrivKey, error) {
	var b [PrivKeySize]byte
	for {
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return nil, fmt.Errorf("read entropy: %w", err)
		}
		if k, err := PrivKeyFromBytes(b[:]); err == nil {
			return k, nil
		}
	}
}

// PrivKeyFromBytes parses a 32-byte big-endian scalar in [1, N-1].
func PrivKeyFromBytes(b []byte) (*PrivKey, error) {
	if len(b) != PrivKeySize {
		return nil, fmt.Errorf("%w: %d bytes, expected %d", ErrBadPrivKey, len(b), PrivKeySize)
	}
	var s btcec.ModNScalar
	if overflow := s.SetByteSlice(b); overflow || s.IsZero() {
		return nil, fmt.Errorf("%w: scalar out of range", ErrBadPrivKey)
	}
	return &PrivKey{key: btcec.PrivKeyFromScalar(&s)}, nil
}

// Bytes returns the 32-byte private scalar. Handle with care.
func (k *PrivKey) Bytes() []byte { return k.key.Serialize() }

// PubKey returns the compressed public key.
func (k *PrivKey) PubKey() PubKey {
	var p PubKey
	copy(p[:], k.key.PubKey().SerializeCompressed())
	return p
}

// Sign signs SHA-256(msg) deterministically (RFC 6979) and returns r||s
// with low S.
func (k *PrivKey) Sign(msg []byte) Signature {
	h := sha256.Sum256(msg)
	sig := ecdsa.Sign(k.key, h[:]) // btcec always produces low-S
	var out Signature
	r, s := sig.R(), sig.S()
	r.PutBytesUnchecked(out[:32])
	s.PutBytesUnchecked(out[32:])
	return out
}

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

// parseCompressed parses (decompresses) a 33-byte compressed key.
func parseCompressed(b []byte) (*btcec.PublicKey, error) {
	if len(b) != PubKeySize {
		return nil, fmt.Errorf("%w: %d bytes, expected %d (compressed)", ErrBadPubKey, len(b), PubKeySize)
	}
	if b[0] != 0x02 && b[0] != 0x03 {
		return nil, fmt.Errorf("%w: prefix 0x%02x, expected 0x02 or 0x03 (compressed)", ErrBadPubKey, b[0])
	}
	pub, err := btcec.ParsePubKey(b)
	if err != nil {
		return nil, fmt.Errorf("%w: not a point on secp256k1", ErrBadPubKey)
	}
	return pub, nil
}

// String returns the public key in hex.
func (p PubKey) String() string { return hex.EncodeToString(p[:]) }

// Address returns the account address of this key.
func (p PubKey) Address() Address { return AddressFromPubKey(p[:]) }

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
// many signatures: parsing is a large part of one verification.
type VerifyingKey struct {
	pub *btcec.PublicKey
}

// VerifyingKey parses the key for verification.
func (p PubKey) VerifyingKey() (*VerifyingKey, error) {
	pub, err := parseCompressed(p[:])
	if err != nil {
		return nil, err
	}
	return &VerifyingKey{pub: pub}, nil
}

// Verify checks sig (r||s, low S) over SHA-256(msg), exactly as
// PubKey.Verify does.
func (k *VerifyingKey) Verify(msg, sig []byte) error {
	if err := checkSignatureShape(sig); err != nil {
		return err
	}
	var r, s btcec.ModNScalar
	r.SetByteSlice(sig[:32])
	s.SetByteSlice(sig[32:])
	h := sha256.Sum256(msg)
	if !ecdsa.NewSignature(&r, &s).Verify(h[:], k.pub) {
		return fmt.Errorf("%w: does not match the message and public key", ErrBadSignature)
	}
	return nil
}

// checkSignatureShape refuses a signature of the wrong length, with r or s
// zero or not below the group order, or with a high S.
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
