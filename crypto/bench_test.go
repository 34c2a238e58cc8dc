package crypto

import (
	"crypto/sha256"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcec/v2"
)

// Benchmarks hold the cost figures behind the performance model: every
// validator verifies every transaction's signature.

// benchSample is one key, a message of about a transfer's sign bytes and
// its signature, as the verification benchmarks use them.
func benchSample(b *testing.B) (PubKey, []byte, Signature) {
	k := testKey(b, "c0ffee")
	msg := make([]byte, 200)
	return k.PubKey(), msg, k.Sign(msg)
}

// benchBtcecKey parses pub for the btcec backend.
func benchBtcecKey(b *testing.B, pub PubKey) *btcecKey {
	bk := new(btcecKey)
	if !parseBtcec(bk, (*[PubKeySize]byte)(pub[:])) {
		b.Fatal("key does not parse")
	}
	return bk
}

func BenchmarkSign(b *testing.B) {
	k := testKey(b, "c0ffee")
	msg := make([]byte, 200) // about the size of a transfer's sign bytes
	b.ReportAllocs()
	for b.Loop() {
		k.Sign(msg)
	}
}

func BenchmarkVerify(b *testing.B) {
	pub, msg, sig := benchSample(b)
	b.ReportAllocs()
	for b.Loop() {
		if err := pub.Verify(msg, sig[:]); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyParallel(b *testing.B) {
	pub, msg, sig := benchSample(b)
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

// BenchmarkVerifyBackends verifies one signature with a parsed key (as
// through a KeyCache) on btcec and, in a build with -tags libsecp256k1, on
// libsecp256k1 too: the same work (shape checks, SHA-256, ECDSA). The two
// alternate within one loop, so that a busy machine slows both alike, and
// the ratio is reported as btcec/backend.
func BenchmarkVerifyBackends(b *testing.B) {
	pub, msg, sig := benchSample(b)
	bk := benchBtcecKey(b, pub)
	vk, err := pub.VerifyingKey()
	if err != nil {
		b.Fatal(err)
	}
	var onBtcec, onBackend time.Duration
	for b.Loop() {
		start := time.Now()
		if err := checkSignatureShape(sig[:]); err != nil {
			b.Fatal(err)
		}
		h := sha256.Sum256(msg)
		if !bk.verifyHash(&h, (*[SignatureSize]byte)(&sig)) {
			b.Fatal("signature does not verify")
		}
		mid := time.Now()
		if err := vk.Verify(msg, sig[:]); err != nil {
			b.Fatal(err)
		}
		onBtcec += mid.Sub(start)
		onBackend += time.Since(mid)
	}
	b.ReportMetric(float64(onBtcec.Nanoseconds())/float64(b.N), "btcec-ns/verify")
	b.ReportMetric(float64(onBackend.Nanoseconds())/float64(b.N), VerifierBackend+"-ns/verify")
	b.ReportMetric(float64(onBtcec)/float64(onBackend), "btcec/"+VerifierBackend)
}

// BenchmarkVerifyRepeatKey verifies with a key that has its fixed-base
// table (a repeat key of a KeyCache) and with the same key without one,
// each through VerifyingKey.Verify as the ledger calls it (shape checks,
// SHA-256, ECDSA). "ratio" alternates the two within one loop, so that a
// busy machine slows both alike, and reports without/with.
func BenchmarkVerifyRepeatKey(b *testing.B) {
	k := testKey(b, "c0ffee")
	pub := k.PubKey()
	msgs := make([][]byte, 16)
	sigs := make([]Signature, len(msgs))
	for i := range msgs {
		msgs[i] = make([]byte, 200)
		msgs[i][0] = byte(i)
		sigs[i] = k.Sign(msgs[i])
	}
	fast, err := NewKeyCache(16).VerifyingKey(pub[:])
	if err != nil {
		b.Fatal(err)
	}
	for range tableAfterUses + 1 { // make it a repeat key: its table is built
		if err := fast.Verify(msgs[0], sigs[0][:]); err != nil {
			b.Fatal(err)
		}
	}
	slow, err := NewKeyCacheWithTables(16, 0).VerifyingKey(pub[:])
	if err != nil {
		b.Fatal(err)
	}
	verify := func(b *testing.B, vk *VerifyingKey, i int) {
		if err := vk.Verify(msgs[i%len(msgs)], sigs[i%len(msgs)][:]); err != nil {
			b.Fatal(err)
		}
	}
	for _, c := range []struct {
		name string
		vk   *VerifyingKey
	}{{"table", fast}, {"no-table", slow}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				verify(b, c.vk, i)
				i++
			}
		})
	}
	b.Run("ratio", func(b *testing.B) {
		var withTable, without time.Duration
		i := 0
		for b.Loop() {
			start := time.Now()
			verify(b, fast, i)
			mid := time.Now()
			verify(b, slow, i)
			withTable += mid.Sub(start)
			without += time.Since(mid)
			i++
		}
		b.ReportMetric(float64(withTable.Nanoseconds())/float64(b.N), "table-ns/verify")
		b.ReportMetric(float64(without.Nanoseconds())/float64(b.N), "no-table-ns/verify")
		b.ReportMetric(float64(without)/float64(withTable), "no-table/table")
	})
}

// BenchmarkKeyTableBuild is the cost of one key's table, also in
// verifications without a table (variable base, varbase.go) measured in
// the same loop.
func BenchmarkKeyTableBuild(b *testing.B) {
	pub, msg, sig := benchSample(b)
	bk := benchBtcecKey(b, pub)
	var q btcec.JacobianPoint
	bk.pub.AsJacobian(&q)
	h := sha256.Sum256(msg)
	var build, verify time.Duration
	b.ReportAllocs()
	for b.Loop() {
		start := time.Now()
		if newKeyTable(&q) == nil {
			b.Fatal("no table")
		}
		mid := time.Now()
		if !verifyVarBase(&bk.q, bk.pub, &h, (*[SignatureSize]byte)(&sig)) {
			b.Fatal("signature does not verify")
		}
		build += mid.Sub(start)
		verify += time.Since(mid)
	}
	b.ReportMetric(float64(build.Nanoseconds())/float64(b.N), "build-ns")
	b.ReportMetric(float64(build)/float64(verify), "verifies/build")
}

// BenchmarkVerifyManyKeys verifies in turn with 1,024 repeat keys, each
// with its table (44 MiB of tables in all, more than a server's
// last-level cache): the tables are read from memory, not cache, as at a
// node whose many senders each sign now and then.
func BenchmarkVerifyManyKeys(b *testing.B) {
	const n = 1024
	rng := rand.New(rand.NewPCG(14, 40))
	c := NewKeyCacheWithTables(n, n*TableBytes)
	c.tables.after = 0 // a table at the first verification
	vks := make([]*VerifyingKey, n)
	msgs := make([][]byte, n)
	sigs := make([]Signature, n)
	for i := range n {
		k, err := GenerateKey(rngReader{rng})
		if err != nil {
			b.Fatal(err)
		}
		pub := k.PubKey()
		if vks[i], err = c.VerifyingKey(pub[:]); err != nil {
			b.Fatal(err)
		}
		msgs[i] = randBytes(rng, 200)
		sigs[i] = k.Sign(msgs[i])
		if err := vks[i].Verify(msgs[i], sigs[i][:]); err != nil {
			b.Fatal(err)
		}
	}
	if c.Tables() != n {
		b.Fatalf("%d tables held, want %d", c.Tables(), n)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if err := vks[i].Verify(msgs[i], sigs[i][:]); err != nil {
			b.Fatal(err)
		}
		i = (i + 1) % n
	}
}
