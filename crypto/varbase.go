package crypto

import "github.com/btcsuite/btcd/btcec/v2"

// Variable-base verification, for a key without a table (btcec backend):
// its first signatures, and keys whose table was dropped from the cache.
//
// X = u1 G + u2 Q as in fixedbase.go, u1 G from G's table; u2 Q has no
// table, so it is computed per verification by the method libsecp256k1
// uses: u2 = k1 + k2 λ (splitScalar), each half about 128 bits, written
// in width-w NAF (odd digits below 2^(w-1) in absolute value, at least
// w-1 zeros after each nonzero digit), and the two halves interleaved
// (Straus) over one run of about 129 doublings, adding the odd multiples
// Q, 3Q, .., (2^(w-1)-1) Q for k1 and their images under φ, (β x, y, z),
// for k2. btcec's own u2 Q runs about 129 doublings and 86 additions in
// its 10x26-bit arithmetic.
//
// The odd multiples stay Jacobian, and the loop adds them with a full
// Jacobian addition (addJacobian, 0.28 µs; a mixed addition takes 0.21).
// Making them affine for mixed additions saves 4 multiplications and a
// squaring on each of the ~43 additions but costs a field inversion
// (inverse in field.go) per verification: u2 Q took 41.0 µs so at width
// 5 against 32.7 µs (BenchmarkVerifyVarBaseWindow), and was slower at
// every width.
//
// A verification without a table takes 42 µs where btcec's took 95
// (BenchmarkVerifyRepeatKey, no-table), of which u2 Q is about 33 µs
// (some 129 doublings of 0.14 µs, 43 additions and the 8 odd multiples),
// u1 G about 6 and the scalars (btcec's inverse of s) the rest. Measured
// in one run on an AMD EPYC.

// varBaseWindow is the NAF width of the variable-base multiplication: a
// table of 2^(w-2) points built per verification against about
// 2 * 129/(w+1) additions. u2 Q took 38.0 µs at width 3, 34.4 at 4,
// 32.7 at 5, 33.2 at 6 and 37.2 at 7 (BenchmarkVerifyVarBaseWindow,
// one run).
const varBaseWindow = 5

// varBaseDigits is the number of NAF positions: a half below 2^130 (the
// split gives halves below about 2^128) has a NAF of at most 131 digits.
const varBaseDigits = 131

// verifyVarBase answers exactly as btcec's ecdsa.Signature.Verify for
// (r, s) = sig over hash and the key q (pub in btcec's form, for the
// fallback).
func verifyVarBase(q *affinePoint, pub *btcec.PublicKey, hash *[32]byte, sig *[SignatureSize]byte) bool {
	r, u1, u2, ok := verifyScalars(hash, sig)
	if !ok {
		return false
	}
	// Should a half of a split not fit, which the bounds of the split
	// rule out, btcec verifies instead.
	var X jacobianPoint
	if !mulVarBase(&X, q, &u2, varBaseWindow) || !addScalarMul(&X, gTable(), gWindowBits, gWindows, &u1) {
		return verifyBtcec(pub, hash, sig)
	}
	return verifyFinal(&X, &r)
}

// mulVarBase sets acc to k q by the interleaved width-w NAFs of k's two
// halves (w from 2 to 7); false, with acc unchanged, if a half does not
// fit varBaseDigits.
func mulVarBase(acc *jacobianPoint, q *affinePoint, k *btcec.ModNScalar, w int) bool {
	h, ok := nafHalves(k, w)
	if !ok {
		return false
	}
	n1, n2, neg1, neg2 := &h.n1, &h.n2, h.neg1, h.neg2

	// The odd multiples m q, m = 2i+1, and their images φ(m q).
	var odd, oddEndo [1 << 5]jacobianPoint
	n := 1 << (w - 2)
	oddMultiples(q, odd[:n])
	for i := range n {
		oddEndo[i] = odd[i]
		oddEndo[i].x.mul(&odd[i].x, &endoBeta)
	}

	var p jacobianPoint
	*acc = jacobianPoint{}
	for i := h.top - 1; i >= 0; i-- {
		if !acc.isInfinity() {
			acc.double()
		}
		if d := n1[i]; d != 0 {
			selectOdd(&p, odd[:n], d, neg1)
			acc.addJacobian(&p)
		}
		if d := n2[i]; d != 0 {
			selectOdd(&p, oddEndo[:n], d, neg2)
			acc.addJacobian(&p)
		}
	}
	return true
}

// halvesNAF is a scalar's two GLV halves in width-w NAF: digits up to
// top, and whether each half was negated (shortHalves).
type halvesNAF struct {
	n1, n2     [varBaseDigits]int8
	top        int
	neg1, neg2 bool
}

// nafHalves splits k and writes its halves in width-w NAF; false if a
// half does not fit varBaseDigits.
func nafHalves(k *btcec.ModNScalar, w int) (h halvesNAF, ok bool) {
	k1, k2, neg1, neg2 := shortHalves(k)
	top1, ok1 := wnaf(&k1, w, h.n1[:])
	top2, ok2 := wnaf(&k2, w, h.n2[:])
	h.top, h.neg1, h.neg2 = max(top1, top2), neg1, neg2
	return h, ok1 && ok2
}

// selectOdd sets p to d times the point whose odd multiples are odd,
// negated if neg.
func selectOdd(p *jacobianPoint, odd []jacobianPoint, d int8, neg bool) {
	if d < 0 {
		*p = odd[(-int(d))>>1]
		neg = !neg
	} else {
		*p = odd[int(d)>>1]
	}
	if neg {
		p.y.negate(&p.y)
	}
}

// oddMultiples sets out[i] to (2i+1) q, Jacobian: q, then 2q added on,
// len(out) - 1 times. No multiple below 2^6 of a point of the curve is
// the point at infinity, and addJacobian handles any case exactly anyway.
func oddMultiples(q *affinePoint, out []jacobianPoint) {
	out[0] = jacobianPoint{x: q.x, y: q.y, z: fieldOne}
	if len(out) == 1 {
		return
	}
	twice := out[0]
	twice.double()
	for i := 1; i < len(out); i++ {
		out[i] = twice
		out[i].addJacobian(&out[i-1])
	}
}

// wnaf writes k in width-w NAF into d, least significant digit first,
// and returns the number of digits up to the last nonzero one; false if
// k is not below 2^(len(d)-1), so that its NAF may not fit.
func wnaf(k *btcec.ModNScalar, w int, d []int8) (int, bool) {
	b := k.Bytes() // big-endian
	limbs := limbsFromBytes(&b)
	// Bits at len(d) - 1 and above must be zero: the last position
	// takes only a final carry.
	top := len(d) - 1
	for i, l := range limbs {
		if below := top - 64*i; below <= 0 && l != 0 || below > 0 && below < 64 && l>>below != 0 {
			return 0, false
		}
	}
	clear(d)
	bitAt := func(i int) uint64 {
		if i >= 256 {
			return 0
		}
		return limbs[i/64] >> (i % 64) & 1
	}
	bitsAt := func(i, n int) uint64 {
		v := limbs[i/64] >> (i % 64)
		if i%64+n > 64 && i/64+1 < 4 {
			v |= limbs[i/64+1] << (64 - i%64)
		}
		return v & (1<<n - 1)
	}
	used := 0 // one past the last nonzero digit
	carry := uint64(0)
	for bit := 0; bit < len(d); {
		if bitAt(bit) == carry {
			bit++
			continue
		}
		now := min(w, len(d)-bit)
		word := bitsAt(bit, now) + carry
		carry = word >> (w - 1) & 1
		d[bit] = int8(int64(word) - int64(carry<<w))
		used = bit + 1
		bit += now
	}
	if carry != 0 {
		return 0, false // not for k below 2^(len(d)-1)
	}
	return used, true
}

// addJacobian sets p = p + q, with add-2007-bl (11 multiplications, 5
// squarings) for distinct points, q if p is at infinity, p if q is, the
// doubling if p = q and the point at infinity if p = -q.
func (p *jacobianPoint) addJacobian(q *jacobianPoint) {
	if q.isInfinity() {
		return
	}
	if p.isInfinity() {
		*p = *q
		return
	}
	var z1z1, z2z2, u1, u2, s1, s2, h, rr fieldElem
	z1z1.square(&p.z)
	z2z2.square(&q.z)
	u1.mul(&p.x, &z2z2)
	u2.mul(&q.x, &z1z1)
	s1.mul(&p.y, &q.z).mul(&s1, &z2z2)
	s2.mul(&q.y, &p.z).mul(&s2, &z1z1)
	h.sub(&u2, &u1)
	rr.sub(&s2, &s1)
	if h.isZero() {
		// Same x: p = q or p = -q.
		if rr.isZero() {
			p.double()
		} else {
			*p = jacobianPoint{}
		}
		return
	}
	var i, j, v, t fieldElem
	i.double(&h).square(&i) // (2h)^2
	j.mul(&h, &i)
	rr.double(&rr)
	v.mul(&u1, &i)
	// x3 = r^2 - j - 2v
	var x3 fieldElem
	x3.square(&rr).sub(&x3, &j).sub(&x3, t.double(&v))
	// y3 = r (v - x3) - 2 s1 j
	var y3 fieldElem
	y3.mul(&rr, v.sub(&v, &x3))
	t.mul(&s1, &j).double(&t)
	y3.sub(&y3, &t)
	// z3 = ((z1 + z2)^2 - z1z1 - z2z2) h
	p.z.add(&p.z, &q.z).square(&p.z).sub(&p.z, &z1z1).sub(&p.z, &z2z2).mul(&p.z, &h)
	p.x, p.y = x3, y3
}
