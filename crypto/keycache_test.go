package crypto

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
)

// TestKeyCacheSameAnswers checks that verifying through the cache (miss and
// hit) answers exactly as PubKey.Verify does, for valid, altered, high-S,
// zero and out-of-range signatures, and that bad keys fail with
// ParsePubKey's error.
func TestKeyCacheSameAnswers(t *testing.T) {
	c := NewKeyCache(8)
	k := testKey(t, "c0ffee")
	pub := k.PubKey()
	msg := []byte("a message")
	sig := k.Sign(msg)
	altered := sig
	altered[5] ^= 1
	high := highS(t, sig)
	zero := Signature{}
	big := sig
	copy(big[:32], bytes.Repeat([]byte{0xff}, 32))
	for _, tc := range []struct {
		name string
		msg  []byte
		sig  []byte
	}{
		{"valid", msg, sig[:]},
		{"other message", []byte("another"), sig[:]},
		{"altered", msg, altered[:]},
		{"high S", msg, high[:]},
		{"zero", msg, zero[:]},
		{"r too large", msg, big[:]},
		{"short", msg, sig[:63]},
	} {
		want := fmt.Sprint(pub.Verify(tc.msg, tc.sig))
		for round := range 2 { // a miss, then a hit
			vk, err := c.VerifyingKey(pub[:])
			if err != nil {
				t.Fatal(err)
			}
			if got := fmt.Sprint(vk.Verify(tc.msg, tc.sig)); got != want {
				t.Errorf("%s (round %d): %s, want %s", tc.name, round, got, want)
			}
		}
	}
	offCurve := append([]byte{0x02}, bytes.Repeat([]byte{0xff}, 32)...)
	for _, bad := range [][]byte{nil, pub[:32], append([]byte{0x04}, pub[1:]...), offCurve} {
		_, want := ParsePubKey(bad)
		if _, err := c.VerifyingKey(bad); err == nil || want == nil || err.Error() != want.Error() {
			t.Errorf("key %x: %v, want %v", bad, err, want)
		}
	}
	if c.Len() != 1 {
		t.Errorf("cache holds %d keys, want 1 (bad keys are not kept)", c.Len())
	}
	var nilCache *KeyCache
	if vk, err := nilCache.VerifyingKey(pub[:]); err != nil || vk.Verify(msg, sig[:]) != nil {
		t.Errorf("a nil cache does not parse: %v", err)
	}
}

func highS(t *testing.T, sig Signature) Signature {
	t.Helper()
	// n - s, with n the group order.
	n := mustHex(t, "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141")
	var out Signature
	copy(out[:32], sig[:32])
	borrow := 0
	for i := 31; i >= 0; i-- {
		d := int(n[i]) - int(sig[32+i]) - borrow
		borrow = 0
		if d < 0 {
			d += 256
			borrow = 1
		}
		out[32+i] = byte(d)
	}
	return out
}

// TestKeyCacheBoundedAndConcurrent fills the cache past its limit from
// several goroutines (run with -race) and checks every answer and the
// bound.
func TestKeyCacheBoundedAndConcurrent(t *testing.T) {
	const limit = 16
	c := NewKeyCache(limit)
	keys := make([]*PrivKey, 40)
	for i := range keys {
		keys[i] = testKey(t, fmt.Sprintf("%04x", i+1))
	}
	msg := []byte("m")
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(g), 1))
			for range 200 {
				k := keys[r.IntN(len(keys))]
				pub := k.PubKey()
				sig := k.Sign(msg)
				vk, err := c.VerifyingKey(pub[:])
				if err != nil {
					t.Error(err)
					return
				}
				if err := vk.Verify(msg, sig[:]); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if n := c.Len(); n == 0 || n > limit {
		t.Errorf("cache holds %d keys, want 1..%d", n, limit)
	}
}

func BenchmarkVerifyCachedKey(b *testing.B) {
	k := testKey(b, "c0ffee")
	pub := k.PubKey()
	msg := make([]byte, 200)
	sig := k.Sign(msg)
	c := NewKeyCache(16)
	b.ReportAllocs()
	for b.Loop() {
		vk, err := c.VerifyingKey(pub[:])
		if err != nil {
			b.Fatal(err)
		}
		if err := vk.Verify(msg, sig[:]); err != nil {
			b.Fatal(err)
		}
	}
}

// TestZeroVerifyingKey checks that a VerifyingKey not made by parsing
// refuses every signature with an error: with libsecp256k1 an unparsed key
// would otherwise reach the C library, which aborts the process on it.
func TestZeroVerifyingKey(t *testing.T) {
	k := testKey(t, "c0ffee")
	sig := k.Sign([]byte("m"))
	var vk VerifyingKey
	if err := vk.Verify([]byte("m"), sig[:]); !errors.Is(err, ErrBadPubKey) {
		t.Fatalf("zero VerifyingKey: %v, want ErrBadPubKey", err)
	}
}
