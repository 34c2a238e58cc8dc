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

// String returns the public key in hex.
func (p PubKey) String() string { return hex.EncodeToString(p[:]) }

// Address returns the account address of this key.
func (p PubKey) Address() Address { return AddressFromPubKey(p[:]) }
