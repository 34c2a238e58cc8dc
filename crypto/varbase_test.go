package crypto

import (
	"crypto/sha256"
	"fmt"
	"math/big"
	"math/rand/v2"
	"testing"

	"github.com/btcsuite/btcd/btcec/v2"
)

// The variable-base path (varbase.go) must answer exactly as btcec, as
// the table path does. These tests check its parts against btcec and
// math/big (the full addition and its special cases, the NAF digits,
// k Q for every width), and TestNoTableVerifyMatchesReference the whole
// path as the ledger calls it; TestFastVerifyEdgeCases runs the crafted
// signatures on both paths.

// TestNoTableVerifyMatchesReference is the differential test of the path
// without tables: every case goes through a KeyCache that keeps no
// tables, so every signature that reaches the backend is verified by
// variable-base multiplication. TALLY_DIFF_N and TALLY_DIFF_SEED as for
// TestVerifierMatchesReference:
//
//	TALLY_DIFF_N=2000000 GOMAXPROCS=1 go test -run TestNoTableVerifyMatchesReference -timeout 4h ./crypto/
//
// Run so on the code that introduced the path: 2,000,000 cases with seed
// 14 (236 s) and 3,000,000 with TALLY_DIFF_SEED=15 (347 s), no
// disagreement; and FuzzVerifierMatchesReference, which covers this path
// too, for 3 minutes with GOMAXPROCS=1 (840,440 executions), no failure.
func TestNoTableVerifyMatchesReference(t *testing.T) {
	if VerifierBackend != "btcec" {
		t.Skip("variable-base verification is for the btcec backend")
	}
	runDifferential(t, diffCount(t, 100_000), diffSeed(t), func() *KeyCache {
		c := NewKeyCacheWithTables(512, 0)
		if c.tables != nil {
			t.Fatal("a cache without table memory keeps tables")
		}
		return c
	})
}

// TestAddJacobianMatchesBtcec compares the full addition with btcec's
// AddNonConst on random points, both with z != 1, and on its special
// cases: either side at infinity (in both of btcec's spellings), p + p
// and p + (-p) with the two sides at different z, G + G and G + (-G).
func TestAddJacobianMatchesBtcec(t *testing.T) {
	rng := rand.New(rand.NewPCG(14, 40))
	add := func(what string, pj, qj *btcec.JacobianPoint) {
		t.Helper()
		var p, q jacobianPoint
		p.setJacobian(pj)
		q.setJacobian(qj)
		var want btcec.JacobianPoint
		btcec.AddNonConst(pj, qj, &want)
		p.addJacobian(&q)
		checkSame(t, what, &p, &want)
	}
	for range 2000 {
		pj, _ := randomJacobian(rng)
		qj, _ := randomJacobian(rng)
		add("random", &pj, &qj)
	}
	var g btcec.JacobianPoint
	btcec.GeneratorJacobian(&g)
	points := []btcec.JacobianPoint{g}
	for range 50 {
		p, _ := randomJacobian(rng)
		points = append(points, p)
	}
	for _, p := range points {
		p1, aff := rescaled(rng, &p)
		p2, _ := rescaled(rng, &p)
		var one btcec.JacobianPoint
		one.X, one.Y = aff.x.fieldVal(), aff.y.fieldVal()
		one.Z.SetInt(1)
		neg1, neg2 := p1, p2
		neg1.Y.Negate(1).Normalize()
		neg2.Y.Negate(1).Normalize()

		// Infinity on either side, (0, 0, 0) and (x, y, 0).
		inf := btcec.JacobianPoint{}
		infXY := btcec.JacobianPoint{X: p1.X, Y: p1.Y}
		for _, i := range []btcec.JacobianPoint{inf, infXY} {
			add("infinity + q", &i, &p1)
			add("p + infinity", &p1, &i)
			add("infinity + infinity", &i, &inf)
		}
		// p + p and p + (-p): same z, different z, z = 1 on one side.
		for _, pair := range [][2]*btcec.JacobianPoint{{&p1, &p1}, {&p1, &p2}, {&one, &p2}, {&p2, &one}} {
			add("p + p", pair[0], pair[1])
		}
		for _, pair := range [][2]*btcec.JacobianPoint{{&p1, &neg1}, {&p1, &neg2}, {&one, &neg2}, {&neg1, &one}} {
			add("p + (-p)", pair[0], pair[1])
			var acc, q jacobianPoint
			acc.setJacobian(pair[0])
			q.setJacobian(pair[1])
			acc.addJacobian(&q)
			if !acc.isInfinity() {
				t.Fatal("p + (-p) is not the point at infinity")
			}
		}
	}
}

// TestAddJacobianChains sums long random chains of Jacobian points at
// random z, some repeated and some negated so that the sum meets p, -p
// and infinity on the way, and compares with btcec's sum.
func TestAddJacobianChains(t *testing.T) {
	rng := rand.New(rand.NewPCG(14, 41))
	for range 50 {
		var pool []btcec.JacobianPoint
		for range 4 {
			pj, _ := randomJacobian(rng)
			pool = append(pool, pj)
		}
		var acc jacobianPoint
		var want btcec.JacobianPoint
		for range 200 {
			qj, _ := rescaled(rng, &pool[rng.IntN(len(pool))])
			if rng.IntN(2) == 0 {
				qj.Y.Negate(1).Normalize()
			}
			var q jacobianPoint
			q.setJacobian(&qj)
			acc.addJacobian(&q)
			btcec.AddNonConst(&want, &qj, &want)
			checkSame(t, "chain", &acc, &want)
		}
	}
}

// TestWNAF checks the NAF digits of every width against their defining
// properties: they recompose the scalar, every nonzero digit is odd and
// below 2^(w-1) in absolute value and followed by w-1 zeros, the count
// returned ends at the last nonzero digit; and scalars of 2^130 or more
// are refused. Scalars: the border ones, halves near 2^128, windows of
// all ones and of 2^(w-1) (carries at every window edge), random ones of
// every size up to 130 bits.
func TestWNAF(t *testing.T) {
	rng := rand.New(rand.NewPCG(14, 42))
	one := big.NewInt(1)
	two := func(e uint) *big.Int { return new(big.Int).Lsh(one, e) }
	var values []*big.Int
	for _, k := range interestingScalars() {
		values = append(values, new(big.Int).SetBytes(scalarBytes(&k)))
	}
	values = append(values,
		new(big.Int), one, big.NewInt(2), big.NewInt(3),
		new(big.Int).Sub(two(128), one), two(128), new(big.Int).Add(two(128), one),
		new(big.Int).Sub(two(129), one), two(129), new(big.Int).Sub(two(130), one),
		two(130), new(big.Int).Sub(curveN, one),
		new(big.Int).Sub(two(128), new(big.Int).Lsh(one, 127)),
	)
	for w := 2; w <= 7; w++ {
		pattern := func(window int64, bits uint) *big.Int { // window repeated over bits
			v := new(big.Int)
			for i := uint(0); i+uint(w) <= bits; i += uint(w) {
				v.Lsh(v, uint(w)).Or(v, big.NewInt(window))
			}
			return v
		}
		for _, bits := range []uint{127, 128, 129, 130} {
			values = append(values, pattern(1<<(w-1), bits), pattern(1<<w-1, bits), pattern(1<<(w-1)+1, bits), pattern(1<<(w-1)-1, bits))
		}
	}
	for range 3000 {
		v := new(big.Int).SetBytes(randBytes(rng, 17))
		values = append(values, v.Rsh(v, uint(rng.IntN(136))))
	}
	tested := 0
	for w := 2; w <= 7; w++ {
		for _, v := range values {
			k := scalarFromBig(v)
			kv := new(big.Int).SetBytes(scalarBytes(&k)) // v modulo N
			var d [varBaseDigits]int8
			used, ok := wnaf(&k, w, d[:])
			if fits := kv.Cmp(two(varBaseDigits-1)) < 0; ok != fits {
				t.Fatalf("w %d: %x: fits %v, want %v", w, kv, ok, fits)
			} else if !ok {
				continue
			}
			sum := new(big.Int)
			last, zeros := -1, w
			for i := varBaseDigits - 1; i >= 0; i-- {
				sum.Lsh(sum, 1).Add(sum, big.NewInt(int64(d[i])))
			}
			for i, di := range d {
				if di == 0 {
					zeros++
					continue
				}
				if di%2 == 0 || int(di) >= 1<<(w-1) || int(di) <= -(1<<(w-1)) {
					t.Fatalf("w %d: %x: digit %d is %d", w, kv, i, di)
				}
				if zeros < w-1 {
					t.Fatalf("w %d: %x: digit %d follows another within %d positions", w, kv, i, w)
				}
				last, zeros = i, 0
			}
			if sum.Cmp(kv) != 0 {
				t.Fatalf("w %d: %x: digits %v sum to %x", w, kv, d, sum)
			}
			if used != last+1 {
				t.Fatalf("w %d: %x: %d digits used, the last nonzero is %d", w, kv, used, last)
			}
			tested++
		}
	}
	t.Logf("%d digit strings recompose their scalars", tested)
}

// TestVarBaseMulMatchesBtcec compares k Q by variable base, for every
// width, with btcec's on the border scalars and random ones, for keys
// with small discrete logs (G, 2G, 3G, -G, -2G) and random keys.
func TestVarBaseMulMatchesBtcec(t *testing.T) {
	rng := rand.New(rand.NewPCG(14, 43))
	scalars := interestingScalars()
	for range 100 {
		scalars = append(scalars, randScalar(rng))
	}
	for _, qj := range testKeys(rng) {
		var q affinePoint
		q.x.setFieldVal(&qj.X)
		q.y.setFieldVal(&qj.Y)
		for w := 2; w <= 7; w++ {
			for _, k := range scalars {
				var want btcec.JacobianPoint
				btcec.ScalarMultNonConst(&k, &qj, &want)
				var acc jacobianPoint
				if !mulVarBase(&acc, &q, &k, w) {
					t.Fatalf("key %x, w %d, k %x: a half does not fit", qj.X.Bytes()[:], w, scalarBytes(&k))
				}
				if got := acc.jacobian(); !samePoint(&want, &got) {
					t.Fatalf("key %x, w %d, k %x: differs from btcec", qj.X.Bytes()[:], w, scalarBytes(&k))
				}
			}
		}
	}
}

// TestParsedKeyAffine checks the affine form kept at parsing against
// btcec's key.
func TestParsedKeyAffine(t *testing.T) {
	rng := rand.New(rand.NewPCG(14, 44))
	for range 100 {
		k, err := GenerateKey(rngReader{rng})
		if err != nil {
			t.Fatal(err)
		}
		pub := k.PubKey()
		var bk btcecKey
		if !parseBtcec(&bk, (*[PubKeySize]byte)(pub[:])) {
			t.Fatal("key does not parse")
		}
		var q btcec.JacobianPoint
		bk.pub.AsJacobian(&q)
		if bk.q.x.bytes() != *q.X.Bytes() || bk.q.y.bytes() != *q.Y.Bytes() {
			t.Fatalf("key %x: affine form differs from btcec's", pub)
		}
	}
}

// BenchmarkVerifyVarBaseWindow is u2 Q by variable base at each NAF width,
// and, "affine", with the odd multiples made affine by one inversion for
// mixed additions: what chose varBaseWindow and Jacobian multiples.
func BenchmarkVerifyVarBaseWindow(b *testing.B) {
	pub, msg, sig := benchSample(b)
	bk := benchBtcecKey(b, pub)
	h := sha256.Sum256(msg)
	_, _, u2, _ := verifyScalars(&h, (*[SignatureSize]byte)(&sig))
	for w := 3; w <= 7; w++ {
		b.Run(fmt.Sprintf("w%d", w), func(b *testing.B) {
			for b.Loop() {
				var acc jacobianPoint
				mulVarBase(&acc, &bk.q, &u2, w)
			}
		})
		b.Run(fmt.Sprintf("w%d-affine", w), func(b *testing.B) {
			for b.Loop() {
				var acc jacobianPoint
				mulVarBaseAffine(&acc, &bk.q, &u2, w)
			}
		})
	}
}

// mulVarBaseAffine is mulVarBase with affine odd multiples (one
// inversion, then mixed additions), for BenchmarkVerifyVarBaseWindow.
func mulVarBaseAffine(acc *jacobianPoint, q *affinePoint, k *btcec.ModNScalar, w int) bool {
	h, ok := nafHalves(k, w)
	if !ok {
		return false
	}
	n1, n2, neg1, neg2 := &h.n1, &h.n2, h.neg1, h.neg2
	n := 1 << (w - 2)
	var jac [1 << 5]jacobianPoint
	var odd, oddEndo [1 << 5]affinePoint
	oddMultiples(q, jac[:n])
	if !toAffine(jac[:n], odd[:n]) {
		return false
	}
	for i := range n {
		oddEndo[i] = odd[i]
		oddEndo[i].x.mul(&odd[i].x, &endoBeta)
	}
	pick := func(table []affinePoint, d int8, neg bool) affinePoint {
		if d < 0 {
			d, neg = -d, !neg
		}
		p := table[d>>1]
		if neg {
			p.y.negate(&p.y)
		}
		return p
	}
	*acc = jacobianPoint{}
	for i := h.top - 1; i >= 0; i-- {
		if !acc.isInfinity() {
			acc.double()
		}
		if d := n1[i]; d != 0 {
			p := pick(odd[:n], d, neg1)
			acc.addAffine(&p)
		}
		if d := n2[i]; d != 0 {
			p := pick(oddEndo[:n], d, neg2)
			acc.addAffine(&p)
		}
	}
	return true
}

func BenchmarkAddJacobian(b *testing.B) {
	rng := rand.New(rand.NewPCG(14, 45))
	pj, _ := randomJacobian(rng)
	qj, _ := randomJacobian(rng)
	var p, q jacobianPoint
	p.setJacobian(&pj)
	q.setJacobian(&qj)
	for b.Loop() {
		p.addJacobian(&q)
	}
}
