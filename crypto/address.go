package crypto

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"

	"github.com/btcsuite/btcd/btcutil/bech32"
	"golang.org/x/crypto/ripemd160" //nolint:staticcheck // the address format is fixed by design
)

// AddressPrefix is the bech32 human-readable part of Tally addresses.
const AddressPrefix = "tally"

// AddressSize is the length of an address in bytes.
const AddressSize = 20

// ErrBadAddress is returned for strings that are not Tally addresses.
var ErrBadAddress = errors.New("invalid address")

// Address is RIPEMD-160(SHA-256(compressed public key)).
type Address [AddressSize]byte

// AddressFromPubKey hashes a compressed public key into an address.
func AddressFromPubKey(pub []byte) Address {
	sh := sha256.Sum256(pub)
	r := ripemd160.New()
	r.Write(sh[:])
	var a Address
	copy(a[:], r.Sum(nil))
	return a
}

// String returns the bech32 form, tally1...
func (a Address) String() string {
	conv, err := bech32.ConvertBits(a[:], 8, 5, true)
	if err != nil {
		panic(err) // cannot happen for 20 bytes
	}
	s, err := bech32.Encode(AddressPrefix, conv)
	if err != nil {
		panic(err)
	}
	return s
}

// IsZero reports whether a is the all-zero address.
func (a Address) IsZero() bool { return a == Address{} }

// Compare orders addresses bytewise.
func (a Address) Compare(b Address) int { return bytes.Compare(a[:], b[:]) }

// MarshalText encodes the address as bech32.
func (a Address) MarshalText() ([]byte, error) { return []byte(a.String()), nil }

// UnmarshalText parses a bech32 address.
func (a *Address) UnmarshalText(b []byte) error {
	p, err := ParseAddress(string(b))
	if err != nil {
		return err
	}
	*a = p
	return nil
}

// ParseAddress parses a bech32 tally1... address, checking its prefix,
// checksum and length. Mixed case is rejected, as bech32 requires; an
// all-upper-case address is accepted (BIP-173) and means the same bytes.
// A bech32m checksum is rejected, so that each address has one lower-case
// spelling.
func ParseAddress(s string) (Address, error) {
	var a Address
	hrp, data, version, err := bech32.DecodeGeneric(s)
	if err != nil {
		return a, fmt.Errorf("%w %q: %v", ErrBadAddress, s, err)
	}
	if version != bech32.Version0 {
		return a, fmt.Errorf("%w %q: bech32m checksum, expected bech32", ErrBadAddress, s)
	}
	if hrp != AddressPrefix {
		return a, fmt.Errorf("%w %q: prefix %q, expected %q", ErrBadAddress, s, hrp, AddressPrefix)
	}
	raw, err := bech32.ConvertBits(data, 5, 8, false)
	if err != nil {
		return a, fmt.Errorf("%w %q: %v", ErrBadAddress, s, err)
	}
	if len(raw) != AddressSize {
		return a, fmt.Errorf("%w %q: %d bytes, expected %d", ErrBadAddress, s, len(raw), AddressSize)
	}
	copy(a[:], raw)
	return a, nil
}
