package crypto

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"math/big"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcec/v2/ecdsa"
)

// Signature verification is consensus: every validator must accept and
// refuse exactly the same signatures, whichever backend its binary was
// built with. These tests compare the build's verification path (a
// KeyCache, then VerifyingKey.Verify, as the ledger calls them) with
// referenceVerify: btcec verification as Tally did it before backends
// existed, written out in one function, its range checks in math/big, so
// that it shares no code with the path under test. Error texts are
// compared too, since they reach transaction results.
//
// Built with -tags libsecp256k1 this is the differential test of
// libsecp256k1 against btcec; in a default build it checks that the split
// into rules and backend changed nothing.
//
// In a default build the key cache also verifies repeat keys with
// fixed-base tables; TestFastVerifyMatchesReference (fixedbase_test.go)
// runs the same comparison with a table for every key.
//
// TALLY_DIFF_N sets the number of generated cases (default 100,000 with
// libsecp256k1, 10,000 with btcec; 100,000 for the table test) and
// TALLY_DIFF_SEED another sequence:
//
//	TALLY_DIFF_N=5000000 go test -tags libsecp256k1 -run TestVerifierMatchesReference -timeout 4h ./crypto/

var (
	curveP = mustBig("fffffffffffffffffffffffffffffffffffffffffffffffffffffffefffffc2f")
	halfN  = new(big.Int).Rsh(curveN, 1)
)

// referenceVerify checks sig over SHA-256(msg) for the key pub, in the order
// the ledger does (key, then signature), with Tally's rules and errors.
func referenceVerify(pub, msg, sig []byte) error {
	if len(pub) != PubKeySize {
		return fmt.Errorf("%w: %d bytes, expected %d (compressed)", ErrBadPubKey, len(pub), PubKeySize)
	}
	if pub[0] != 0x02 && pub[0] != 0x03 {
		return fmt.Errorf("%w: prefix 0x%02x, expected 0x02 or 0x03 (compressed)", ErrBadPubKey, pub[0])
	}
	key, err := btcec.ParsePubKey(pub)
	if err != nil {
		return fmt.Errorf("%w: not a point on secp256k1", ErrBadPubKey)
	}
	if len(sig) != SignatureSize {
		return fmt.Errorf("%w: %d bytes, expected %d", ErrBadSignature, len(sig), SignatureSize)
	}
	r := new(big.Int).SetBytes(sig[:32])
	s := new(big.Int).SetBytes(sig[32:])
	switch {
	case r.Sign() == 0 || r.Cmp(curveN) >= 0:
		return fmt.Errorf("%w: r out of range", ErrBadSignature)
	case s.Sign() == 0 || s.Cmp(curveN) >= 0:
		return fmt.Errorf("%w: s out of range", ErrBadSignature)
	case s.Cmp(halfN) > 0:
		return ErrHighS
	}
	var rs, ss btcec.ModNScalar
	rs.SetByteSlice(sig[:32])
	ss.SetByteSlice(sig[32:])
	h := sha256.Sum256(msg)
	if !ecdsa.NewSignature(&rs, &ss).Verify(h[:], key) {
		return fmt.Errorf("%w: does not match the message and public key", ErrBadSignature)
	}
	return nil
}

// checkAgainstReference verifies one case through the build's path and the
// reference and returns a description of any difference and the
// reference's answer.
func checkAgainstReference(keys *KeyCache, c diffCase) (diff string, ref error) {
	ref = referenceVerify(c.pub, c.msg, c.sig)
	return compareWithReference(keys, c, ref), ref
}

func compareWithReference(keys *KeyCache, c diffCase, ref error) string {
	want := fmt.Sprint(ref)
	var got string
	if vk, err := keys.VerifyingKey(c.pub); err != nil {
		got = fmt.Sprint(err)
	} else {
		got = fmt.Sprint(vk.Verify(c.msg, c.sig))
	}
	if got != want {
		return fmt.Sprintf("%s: pub %x msg %x sig %x: build (%s) says %q, reference %q", c.kind, c.pub, c.msg, c.sig, VerifierBackend, got, want)
	}
	// ParsePubKey must refuse exactly the keys the reference refuses.
	_, perr := ParsePubKey(c.pub)
	if keyErr := referenceVerify(c.pub, nil, nil); keyIsBad(keyErr) != (perr != nil) || (perr != nil && perr.Error() != keyErr.Error()) {
		return fmt.Sprintf("%s: pub %x: ParsePubKey says %v, reference %v", c.kind, c.pub, perr, keyErr)
	}
	if c.valid && want != "<nil>" {
		return fmt.Sprintf("%s: pub %x msg %x sig %x: generated as valid, reference says %s", c.kind, c.pub, c.msg, c.sig, want)
	}
	return ""
}

// keyIsBad tells a key error from the signature error referenceVerify
// gives for a nil signature.
func keyIsBad(err error) bool {
	return err != nil && err.Error() != fmt.Sprintf("%v: 0 bytes, expected %d", ErrBadSignature, SignatureSize)
}

func TestVerifierMatchesReference(t *testing.T) {
	n := 10_000
	if VerifierBackend != "btcec" {
		n = 100_000
	}
	runDifferential(t, diffCount(t, n), diffSeed(t), func() *KeyCache {
		return NewKeyCache(64) // small: both hits and misses
	})
}

// diffCount is the number of cases to generate: TALLY_DIFF_N, else def.
func diffCount(t *testing.T, def int) int {
	v := os.Getenv("TALLY_DIFF_N")
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		t.Fatalf("TALLY_DIFF_N=%q, expected a count", v)
	}
	return n
}

// diffSeed is the generator's seed: TALLY_DIFF_SEED, else 14.
func diffSeed(t *testing.T) uint64 {
	v := os.Getenv("TALLY_DIFF_SEED")
	if v == "" {
		return 14
	}
	seed, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		t.Fatalf("TALLY_DIFF_SEED=%q, expected an unsigned integer", v)
	}
	return seed
}

// runDifferential compares the build's path with the reference on cases
// 0..n-1 of the sequence seed, on every core, each worker verifying
// through its own cache from newKeys, and reports the first difference.
func runDifferential(t *testing.T, n int, seed uint64, newKeys func() *KeyCache) {
	gen := newCaseGen(t, seed)

	workers := runtime.GOMAXPROCS(0)
	var (
		next     atomic.Int64
		mu       sync.Mutex
		firstBad = -1
		failure  string
		accepted = map[string][2]int{} // kind -> accepted, refused
	)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			keys := newKeys()
			local := map[string][2]int{}
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					break
				}
				c := gen.generate(i)
				d, ref := checkAgainstReference(keys, c)
				if d != "" {
					mu.Lock()
					if firstBad < 0 || i < firstBad {
						firstBad, failure = i, d
					}
					mu.Unlock()
					next.Store(int64(n)) // stop everyone
					break
				}
				counts := local[c.kind]
				if ref == nil {
					counts[0]++
				} else {
					counts[1]++
				}
				local[c.kind] = counts
			}
			mu.Lock()
			for k, v := range local {
				a := accepted[k]
				accepted[k] = [2]int{a[0] + v[0], a[1] + v[1]}
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	if firstBad >= 0 {
		t.Fatalf("case %d (TALLY_DIFF_SEED=%d): %s", firstBad, seed, failure)
	}
	kinds := make([]string, 0, len(accepted))
	for k := range accepted {
		kinds = append(kinds, k)
	}
	slices.Sort(kinds)
	for _, k := range kinds {
		t.Logf("%-28s accepted %7d refused %7d", k, accepted[k][0], accepted[k][1])
	}
	t.Logf("%d cases, seed %d, backend %s: no disagreement", n, seed, VerifierBackend)
}

// FuzzVerifierMatchesReference compares the build's verification with the
// reference on arbitrary keys, messages and signatures, seeded with every
// kind of case the generator makes. In a default build it also verifies
// through a cache that gives every key a table at once and through one
// that keeps no tables (variable base), and, for any key that parses and
// 64 bytes of signature, compares btcec's curve arithmetic with the
// table's and the variable base's directly, on (r, s) no rule has
// checked.
func FuzzVerifierMatchesReference(f *testing.F) {
	gen := newCaseGen(f, 14)
	for i := range 3 * len(caseKinds) {
		c := gen.generate(i)
		f.Add(c.pub, c.msg, c.sig)
	}
	keys := NewKeyCache(16)
	fast := NewKeyCacheWithTables(16, 16*TableBytes)
	fast.tables.after = 0
	slow := NewKeyCacheWithTables(16, 0)
	f.Fuzz(func(t *testing.T, pub, msg, sig []byte) {
		c := diffCase{kind: "fuzz", pub: pub, msg: msg, sig: sig}
		d, ref := checkAgainstReference(keys, c)
		if d == "" {
			d = compareWithReference(fast, c, ref)
		}
		if d == "" {
			d = compareWithReference(slow, c, ref)
		}
		if d != "" {
			t.Fatal(d)
		}
		if len(pub) != PubKeySize || (pub[0] != 2 && pub[0] != 3) || len(sig) != SignatureSize {
			return
		}
		var k btcecKey
		if !parseBtcec(&k, (*[PubKeySize]byte)(pub)) {
			return
		}
		var q btcec.JacobianPoint
		k.pub.AsJacobian(&q)
		h := sha256.Sum256(msg)
		s := (*[SignatureSize]byte)(sig)
		want := verifyBtcec(k.pub, &h, s)
		if got := newKeyTable(&q).verifyHash(&h, s); got != want {
			t.Fatalf("pub %x msg %x sig %x: table says %v, btcec %v", pub, msg, sig, got, want)
		}
		if got := verifyVarBase(&k.q, k.pub, &h, s); got != want {
			t.Fatalf("pub %x msg %x sig %x: variable base says %v, btcec %v", pub, msg, sig, got, want)
		}
	})
}

// TestBackendCoreMatchesBtcec compares the build backend's curve arithmetic
// with btcec's on hashes no message can be made to have (0, N, above N,
// all ones: both reduce modulo N), with signatures built to verify, to
// double a point, to reach infinity and to have R.x >= N.
func TestBackendCoreMatchesBtcec(t *testing.T) {
	hashes := [][]byte{
		make([]byte, 32),
		scalar32(big.NewInt(1)),
		scalar32(new(big.Int).Sub(curveN, big.NewInt(1))),
		scalar32(curveN),
		scalar32(new(big.Int).Add(curveN, big.NewInt(1))),
		scalar32(curveP),
		bytes.Repeat([]byte{0xff}, 32),
	}
	rng := rand.New(rand.NewPCG(14, 1))
	for range 8 {
		hashes = append(hashes, randBytes(rng, 32))
	}
	tested := 0
	for _, h := range hashes {
		hash := [32]byte(h)
		var e btcec.ModNScalar
		e.SetBytes(&hash)
		for _, kind := range []string{"random R", "R.x >= N", "r + N >= P", "doubling", "infinity"} {
			for range 4 {
				pub, sig, valid := craftSignature(rng, &e, kind)
				if pub == nil {
					continue
				}
				var ref btcecKey
				if !parseBtcec(&ref, (*[PubKeySize]byte)(pub)) {
					t.Fatalf("%s: crafted key %x does not parse", kind, pub)
				}
				var k backendKey
				if !parseBackendKey(&k, (*[PubKeySize]byte)(pub)) {
					t.Fatalf("%s: crafted key %x does not parse with %s", kind, pub, VerifierBackend)
				}
				s := [SignatureSize]byte(sig)
				want := ref.verifyHash(&hash, &s)
				if got := k.verifyHash(&hash, &s); got != want || want != valid {
					t.Fatalf("%s, hash %x, pub %x, sig %x: %s says %v, btcec %v, built to verify: %v", kind, h, pub, sig, VerifierBackend, got, want, valid)
				}
				tested++
			}
		}
	}
	// Only a zero hash (0 or N) leaves some kinds without a key.
	if least := len(hashes)*16 - 2*2*8; tested < least {
		t.Fatalf("%d crafted cases compared, expected at least %d", tested, least)
	}
	t.Logf("%d crafted cases over %d hashes: %s agrees with btcec", tested, len(hashes), VerifierBackend)
}

// diffCase is one input to compare; valid marks a case built to verify.
type diffCase struct {
	kind          string
	pub, msg, sig []byte
	valid         bool
}

// signedCase is a valid signature by a known key.
type signedCase struct {
	key *PrivKey
	pub PubKey
	msg []byte
	sig Signature
}

// caseGen makes case i from its own random stream, so that any case can
// be made again from (seed, i) whatever the number of workers.
type caseGen struct {
	seed          uint64
	pool          []signedCase
	gKey, negGKey *PrivKey // private keys 1 and N-1: public keys G and -G
}

var caseKinds = []string{
	"valid", "valid", "sig bit flipped", "sig byte replaced", "msg changed",
	"pub bit flipped", "pub bit flipped", "high S", "edge r or s", "edge r or s",
	"random x", "bad pub encoding", "bad sig length", "random bytes",
	"swapped r and s", "crafted",
}

func newCaseGen(t testing.TB, seed uint64) *caseGen {
	g := &caseGen{
		seed:    seed,
		gKey:    testKey(t, "01"),
		negGKey: testKey(t, fmt.Sprintf("%x", new(big.Int).Sub(curveN, big.NewInt(1)))),
	}
	rng := rand.New(rand.NewPCG(seed, ^uint64(0)))
	for range 128 {
		g.pool = append(g.pool, signRandom(rng))
	}
	return g
}

func signRandom(rng *rand.Rand) signedCase {
	k, err := GenerateKey(rngReader{rng})
	if err != nil {
		panic(err) // rngReader never fails
	}
	msg := randBytes(rng, rng.IntN(300))
	return signedCase{key: k, pub: k.PubKey(), msg: msg, sig: k.Sign(msg)}
}

// edgeScalars are 32-byte values at the borders of the signature's rules.
var edgeScalars = func() [][]byte {
	one := big.NewInt(1)
	var out [][]byte
	for _, v := range []*big.Int{
		big.NewInt(0), one, big.NewInt(2),
		halfN, new(big.Int).Sub(halfN, one), new(big.Int).Add(halfN, one),
		new(big.Int).Sub(curveN, one), curveN, new(big.Int).Add(curveN, one),
		new(big.Int).Sub(curveP, curveN), new(big.Int).Sub(new(big.Int).Sub(curveP, curveN), one),
		new(big.Int).Add(new(big.Int).Sub(curveP, curveN), one), // r + N just past, just below P
		new(big.Int).Sub(curveP, one), curveP,
		new(big.Int).Lsh(one, 255), new(big.Int).Sub(new(big.Int).Lsh(one, 256), one),
	} {
		out = append(out, scalar32(v))
	}
	return out
}()

func (g *caseGen) generate(i int) diffCase {
	rng := rand.New(rand.NewPCG(g.seed, uint64(i)))
	kind := caseKinds[rng.IntN(len(caseKinds))]
	base := g.pool[rng.IntN(len(g.pool))]
	c := diffCase{kind: kind, pub: bytes.Clone(base.pub[:]), msg: bytes.Clone(base.msg), sig: bytes.Clone(base.sig[:])}
	switch kind {
	case "valid":
		if rng.IntN(4) == 0 { // a fresh key and message now and then
			base = signRandom(rng)
		} else { // a pool key over a new message
			base.msg = randBytes(rng, rng.IntN(300))
			base.sig = base.key.Sign(base.msg)
		}
		c.pub, c.msg, c.sig, c.valid = base.pub[:], base.msg, base.sig[:], true
	case "sig bit flipped":
		bit := rng.IntN(SignatureSize * 8)
		c.sig[bit/8] ^= 1 << (bit % 8)
	case "sig byte replaced":
		c.sig[rng.IntN(SignatureSize)] = byte(rng.Uint32())
	case "msg changed":
		switch {
		case len(c.msg) > 0 && rng.IntN(2) == 0:
			bit := rng.IntN(len(c.msg) * 8)
			c.msg[bit/8] ^= 1 << (bit % 8)
		case len(c.msg) > 0 && rng.IntN(2) == 0:
			c.msg = c.msg[:rng.IntN(len(c.msg))]
		default:
			c.msg = append(c.msg, byte(rng.Uint32()))
		}
	case "pub bit flipped":
		bit := rng.IntN(PubKeySize * 8)
		c.pub[bit/8] ^= 1 << (bit % 8)
	case "high S":
		s := new(big.Int).SetBytes(c.sig[32:])
		copy(c.sig[32:], scalar32(new(big.Int).Sub(curveN, s)))
	case "edge r or s":
		e := edgeScalars[rng.IntN(len(edgeScalars))]
		if rng.IntN(2) == 0 {
			copy(c.sig[:32], e)
		} else {
			copy(c.sig[32:], e)
		}
		if rng.IntN(4) == 0 { // both
			copy(c.sig[:32], edgeScalars[rng.IntN(len(edgeScalars))])
		}
	case "random x":
		c.pub = append([]byte{0x02 + byte(rng.IntN(2))}, randBytes(rng, 32)...)
		if rng.IntN(4) == 0 { // x at or above the field prime
			x := new(big.Int).Add(curveP, new(big.Int).SetUint64(rng.Uint64()%(1<<32)))
			if x.BitLen() <= 256 {
				copy(c.pub[1:], scalar32(x))
			}
		}
	case "bad pub encoding":
		c.pub = badPubEncoding(rng, base)
	case "bad sig length":
		lengths := []int{0, 1, 32, 63, 65, 72, 128}
		l := lengths[rng.IntN(len(lengths))]
		c.sig = append(c.sig, randBytes(rng, max(0, l-len(c.sig)))...)[:l]
	case "random bytes":
		c.pub = randBytes(rng, PubKeySize)
		c.pub[0] = []byte{0x02, 0x03, byte(rng.Uint32())}[rng.IntN(3)]
		c.msg = randBytes(rng, rng.IntN(64))
		c.sig = randBytes(rng, SignatureSize)
	case "swapped r and s":
		c.sig = append(c.sig[32:], c.sig[:32]...)
	case "crafted":
		c.msg = randBytes(rng, rng.IntN(64))
		h := sha256.Sum256(c.msg)
		var e btcec.ModNScalar
		e.SetBytes(&h)
		kinds := []string{"random R", "R.x >= N", "R.x >= N unreduced", "r + N >= P", "doubling", "infinity", "key G", "key -G"}
		kind := kinds[rng.IntN(len(kinds))]
		c.kind = "crafted " + kind
		if kind == "key G" || kind == "key -G" {
			k := g.gKey
			if kind == "key -G" {
				k = g.negGKey
			}
			pub, sig := k.PubKey(), k.Sign(c.msg)
			c.pub, c.sig, c.valid = pub[:], sig[:], true
			break
		}
		pub, sig, valid := craftSignature(rng, &e, kind)
		if pub == nil { // a point at infinity, once in 2^256
			break
		}
		c.pub, c.sig, c.valid = pub, sig, valid
	}
	return c
}

// badPubEncoding spells the key of s wrongly: uncompressed, hybrid, with
// another prefix, or at another length.
func badPubEncoding(rng *rand.Rand, s signedCase) []byte {
	full := s.key.key.PubKey().SerializeUncompressed() // 0x04 || x || y
	switch rng.IntN(6) {
	case 0:
		return full
	case 1: // hybrid: 0x06 or 0x07 with y's parity
		return append([]byte{0x06 | full[64]&1}, full[1:]...)
	case 2: // a compressed key with an uncompressed or hybrid prefix
		return append([]byte{[]byte{0x00, 0x01, 0x04, 0x05, 0x06, 0x07, 0xff}[rng.IntN(7)]}, s.pub[1:]...)
	case 3:
		return s.pub[:rng.IntN(PubKeySize)]
	case 4:
		return append(s.pub[:], randBytes(rng, 1+rng.IntN(40))...)
	default: // x alone, as in BIP-340
		return s.pub[1:]
	}
}

// craftSignature builds a public key and a low-S signature (r, s) over the
// hash e without a private key, by choosing the point R first and solving
// for the key Q = r^-1 (s R - e G):
//
//   - "random R": R = kG for a random k; valid.
//   - "R.x >= N": R with an x coordinate in [N, P), r = x - N; valid,
//     and only if the verifier compares x modulo N.
//   - "R.x >= N unreduced": the same with r = x itself, which is >= N;
//     refused as out of range.
//   - "r + N >= P": R with a small x (below 2N - P), r = x + P - N, in
//     range; r + N = x (mod P), but x is compared with r + N only when
//     r + N < P, so refused.
//   - "doubling": Q chosen so that u1 G = u2 Q, the sum a doubling; valid.
//   - "infinity": Q chosen so that u1 G + u2 Q is the point at infinity;
//     refused.
//
// It returns nil if the key comes out as the point at infinity.
func craftSignature(rng *rand.Rand, e *btcec.ModNScalar, kind string) (pub, sig []byte, valid bool) {
	s := randScalar(rng)
	if s.IsOverHalfOrder() {
		s.Negate()
	}
	return craftSignatureWithS(rng, e, kind, s)
}

// craftSignatureWithS is craftSignature with s chosen by the caller.
func craftSignatureWithS(rng *rand.Rand, e *btcec.ModNScalar, kind string, s btcec.ModNScalar) (pub, sig []byte, valid bool) {
	var r btcec.ModNScalar
	var rBytes [32]byte
	var Q btcec.JacobianPoint
	switch kind {
	case "random R", "R.x >= N", "R.x >= N unreduced", "r + N >= P":
		var R btcec.JacobianPoint
		switch kind {
		case "random R":
			k := randScalar(rng)
			btcec.ScalarBaseMultNonConst(&k, &R)
			R.ToAffine()
		case "r + N >= P":
			R = pointWithSmallX(rng)
		default:
			R = pointWithLargeX(rng)
		}
		rBytes = *R.X.Bytes()
		r.SetBytes(&rBytes) // x modulo N
		switch kind {
		case "R.x >= N unreduced":
		case "r + N >= P":
			x := new(big.Int).SetBytes(rBytes[:])
			x.Add(x, curveP).Sub(x, curveN)
			r.SetByteSlice(x.Bytes())
			rBytes = r.Bytes()
		default:
			rBytes = r.Bytes()
		}
		valid = kind == "random R" || kind == "R.x >= N"
		// Q = r^-1 (s R - e G)
		var sR, eG, sum btcec.JacobianPoint
		btcec.ScalarMultNonConst(&s, &R, &sR)
		negE := *e
		negE.Negate()
		btcec.ScalarBaseMultNonConst(&negE, &eG)
		btcec.AddNonConst(&sR, &eG, &sum)
		rInv := r
		rInv.InverseNonConst()
		btcec.ScalarMultNonConst(&rInv, &sum, &Q)
	case "doubling":
		// u1 = e/s, R = 2 u1 G, r = R.x mod N, Q = (e/r) G: then
		// u2 Q = (r/s)(e/r) G = u1 G.
		sInv := s
		sInv.InverseNonConst()
		u1 := *e
		u1.Mul(&sInv)
		var u1G, R btcec.JacobianPoint
		btcec.ScalarBaseMultNonConst(&u1, &u1G)
		btcec.DoubleNonConst(&u1G, &R)
		if isInfinity(&R) {
			return nil, nil, false
		}
		R.ToAffine()
		r.SetBytes(R.X.Bytes())
		rBytes = r.Bytes()
		rInv := r
		rInv.InverseNonConst()
		q := *e
		q.Mul(&rInv)
		btcec.ScalarBaseMultNonConst(&q, &Q)
		valid = true
	case "infinity":
		// Q = -(e/r) G: u1 G + u2 Q = (e/s) G - (r/s)(e/r) G = 0.
		r = randScalar(rng)
		rBytes = r.Bytes()
		rInv := r
		rInv.InverseNonConst()
		q := *e
		q.Mul(&rInv).Negate()
		btcec.ScalarBaseMultNonConst(&q, &Q)
	default:
		panic("unknown crafted kind " + kind)
	}
	if isInfinity(&Q) || r.IsZero() {
		return nil, nil, false
	}
	Q.ToAffine()
	pub = btcec.NewPublicKey(&Q.X, &Q.Y).SerializeCompressed()
	sBytes := s.Bytes()
	return pub, append(rBytes[:], sBytes[:]...), valid
}

// isInfinity tells the point at infinity in either of btcec's spellings.
func isInfinity(p *btcec.JacobianPoint) bool {
	return p.Z.IsZero() || (p.X.IsZero() && p.Y.IsZero())
}

// pointWithLargeX returns an affine point whose x is in [N, P): about one
// x in 2^127 is, so it is looked for there directly.
func pointWithLargeX(rng *rand.Rand) btcec.JacobianPoint {
	span := new(big.Int).Sub(curveP, curveN)
	for {
		k := new(big.Int).SetBytes(randBytes(rng, 17))
		x := new(big.Int).Add(curveN, k.Mod(k, span))
		var fx, fy btcec.FieldVal
		fx.SetByteSlice(scalar32(x))
		if !btcec.DecompressY(&fx, rng.IntN(2) == 1, &fy) {
			continue
		}
		one := new(btcec.FieldVal).SetInt(1)
		return btcec.MakeJacobianPoint(&fx, &fy, one)
	}
}

// pointWithSmallX returns an affine point whose x is below 2^128, so
// below 2N - P: x + P - N is then a scalar below N.
func pointWithSmallX(rng *rand.Rand) btcec.JacobianPoint {
	for {
		var fx, fy btcec.FieldVal
		fx.SetByteSlice(randBytes(rng, 16))
		if !btcec.DecompressY(&fx, rng.IntN(2) == 1, &fy) {
			continue
		}
		one := new(btcec.FieldVal).SetInt(1)
		return btcec.MakeJacobianPoint(&fx, &fy, one)
	}
}

func randScalar(rng *rand.Rand) btcec.ModNScalar {
	for {
		var s btcec.ModNScalar
		if overflow := s.SetByteSlice(randBytes(rng, 32)); !overflow && !s.IsZero() {
			return s
		}
	}
}

func randBytes(rng *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	return b
}

// rngReader feeds a seeded stream to GenerateKey.
type rngReader struct{ rng *rand.Rand }

func (r rngReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(r.rng.Uint32())
	}
	return len(p), nil
}
