package client

import "testing"

// BenchmarkSignTxFile measures signing an unsigned transaction file
// (readable body to canonical bytes, secp256k1 signature).
func BenchmarkSignTxFile(b *testing.B) {
	key := testKey(b, 1)
	u := NewUnsignedTx("tally-bench", key.PubKey().Address(), transferBody(b), true)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := u.Sign(key, "", nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReadSignedTx measures checking a signed transaction file
// (decode, consistency of the readable copy, signature).
func BenchmarkReadSignedTx(b *testing.B) {
	key := testKey(b, 1)
	s, err := NewUnsignedTx("tally-bench", key.PubKey().Address(), transferBody(b), true).Sign(key, "", nil)
	if err != nil {
		b.Fatal(err)
	}
	data := mustJSON(b, s)
	b.ReportAllocs()
	for b.Loop() {
		if _, _, _, err := ReadSignedTx(data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseAmount measures reading "25TALLY".
func BenchmarkParseAmount(b *testing.B) {
	for b.Loop() {
		if _, _, err := ParseAmount("25TALLY"); err != nil {
			b.Fatal(err)
		}
	}
}
