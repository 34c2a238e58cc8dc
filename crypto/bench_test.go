package crypto

import (
	"testing"
)

// Benchmarks hold the cost figures behind the performance model: every
// validator verifies every transaction's signature.

func BenchmarkSign(b *testing.B) {
	k := testKey(b, "c0ffee")
	msg := make([]byte, 200) // about the size of a transfer's sign bytes
	b.ReportAllocs()
	for b.Loop() {
		k.Sign(msg)
	}
}

func BenchmarkVerify(b *testing.B) {
	k := testKey(b, "c0ffee")
	pub := k.PubKey()
	msg := make([]byte, 200)
	sig := k.Sign(msg)
	b.ReportAllocs()
	for b.Loop() {
		if err := pub.Verify(msg, sig[:]); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyParallel(b *testing.B) {
	k := testKey(b, "c0ffee")
	pub := k.PubKey()
	msg := make([]byte, 200)
	sig := k.Sign(msg)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := pub.Verify(msg, sig[:]); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

func BenchmarkParsePubKey(b *testing.B) {
	pub := testKey(b, "c0ffee").PubKey()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParsePubKey(pub[:]); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAddressString(b *testing.B) {
	a := testKey(b, "c0ffee").PubKey().Address()
	b.ReportAllocs()
	for b.Loop() {
		_ = a.String()
	}
}

func BenchmarkParseAddress(b *testing.B) {
	s := testKey(b, "c0ffee").PubKey().Address().String()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseAddress(s); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkKeyFromMnemonic(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := KeyFromMnemonic(abandonAbout, "", 0); err != nil {
			b.Fatal(err)
		}
	}
}
