package crypto

import (
	"bytes"
	"errors"
	"math/big"
	"strings"
	"testing"
)

func FuzzParseAddress(f *testing.F) {
	good := Address{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20}
	for _, s := range []string{
		good.String(),
		strings.ToUpper(good.String()),
		Address{}.String(),
		"tally1w508d6qejxtdg4y5r3zarvary0c5xw7khrywfr",
		"cosmos19rl4cm2hmr8afy4kldpxz3fka4jguq0auqdal4",
		refBech32(AddressPrefix, good[:], bech32mConst),
		refBech32(AddressPrefix, good[:19], 1),
		"tally1",
		"",
		"TALLY1w508d6qejxtdg4y5r3zarvary0c5xw7khrywfr",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := ParseAddress(s)
		if err != nil {
			if !errors.Is(err, ErrBadAddress) {
				t.Fatalf("ParseAddress(%q) error %v does not wrap ErrBadAddress", s, err)
			}
			return
		}
		// One address, one spelling (up to the case BIP-173 allows).
		if got := a.String(); got != strings.ToLower(s) {
			t.Fatalf("ParseAddress(%q) = %s: not the canonical spelling", s, got)
		}
		back, err := ParseAddress(a.String())
		if err != nil || back != a {
			t.Fatalf("round trip of %q: %v, %v", s, back, err)
		}
	})
}

// FuzzVerify checks two things: Verify never panics and never accepts a
// high-S or out-of-range signature for arbitrary inputs; and for a real
// signature by a fixed key, any change to the signature or the message is
// rejected.
func FuzzVerify(f *testing.F) {
	k := testKey(f, "c0ffee")
	pub := k.PubKey()
	sig := k.Sign([]byte("seed"))
	f.Add([]byte("seed"), sig[:], pub[:], []byte{})
	f.Add([]byte("seed"), sig[:], pub[:], []byte{1})
	f.Add([]byte{}, make([]byte, 64), pub[:], []byte{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff})
	f.Add([]byte("x"), bytes.Repeat([]byte{0xff}, 64), make([]byte, 33), []byte{0x80})
	f.Add([]byte("seed"), sig[:63], pub[1:], []byte("tamper"))
	half := new(big.Int).Rsh(curveN, 1)
	f.Fuzz(func(t *testing.T, msg, sig, pubBytes, delta []byte) {
		// Arbitrary inputs.
		if p, err := ParsePubKey(pubBytes); err == nil {
			if err := p.Verify(msg, sig); err == nil {
				r := new(big.Int).SetBytes(sig[:32])
				s := new(big.Int).SetBytes(sig[32:])
				if r.Sign() == 0 || s.Sign() == 0 || r.Cmp(curveN) >= 0 || s.Cmp(half) > 0 {
					t.Fatalf("accepted out-of-range or high-S signature %x", sig)
				}
			}
		} else if !errors.Is(err, ErrBadPubKey) {
			t.Fatalf("ParsePubKey error %v does not wrap ErrBadPubKey", err)
		}

		// A real signature and changes to it.
		good := k.Sign(msg)
		if err := pub.Verify(msg, good[:]); err != nil {
			t.Fatalf("valid signature rejected: %v", err)
		}
		changed := good
		nonzero := false
		for i := 0; i < len(delta) && i < SignatureSize; i++ {
			changed[i] ^= delta[i]
			nonzero = nonzero || delta[i] != 0
		}
		if nonzero {
			if err := pub.Verify(msg, changed[:]); err == nil {
				t.Fatalf("signature changed by %x still verifies", delta)
			}
		}
		if len(delta) > 0 {
			if err := pub.Verify(append(bytes.Clone(msg), delta...), good[:]); err == nil {
				t.Fatalf("signature verifies for the message extended by %x", delta)
			}
		}
	})
}
