package crypto

import (
	"encoding/binary"
	"math/big"
	"math/bits"
	"sync"
	"sync/atomic"

	"github.com/btcsuite/btcd/btcec/v2"
)

// Fixed-base verification for repeat keys (btcec backend).
//
// ECDSA verification computes X = u1 G + u2 Q, Q the public key. btcec
// has precomputed tables for G; for Q it runs a double-and-add of about
// 129 doublings and 86 additions, most of a verification. An account
// signs many transactions with one key, so for a key seen again this file
// precomputes a table of multiples of Q once; u2 Q is then a sum of
// table points with no doubling at all. u1 G is such a sum too, from a
// table of G's multiples built once per process, and both go into one
// sum, in the 64-bit field arithmetic of field.go and the point
// operations of point.go (a mixed addition 0.21 µs, where btcec's takes
// 0.98 µs; a field multiplication, by β for instance, 0.016 µs). A key
// without a table (its first signatures, or its table dropped) is
// verified in the same arithmetic too, u1 G from G's table and u2 Q by
// variable-base multiplication (varbase.go): 42 µs where btcec's
// verification takes 95, against 19 µs with a table
// (BenchmarkVerifyRepeatKey, one run).
//
// A key table's layout was chosen by counting the operations of each
// option, within the ~64 KiB a table may take (costed with btcec's
// operations, measured in one run when it was chosen: mixed addition
// 0.98 µs, doubling 0.38 µs, a multiplication by β 0.10 µs; btcec's u2 Q
// about 129 doublings and 86 additions, ~134 µs):
//
//   - unsigned 4-bit windows over 256 bits: 64 additions, 960 points;
//   - signed 5-bit windows over 256 bits: 52 additions, 832 points;
//   - signed 6-bit or wider windows over 256 bits: 1,376 points or more,
//     86 KiB and up: over the bound;
//   - the GLV endomorphism with signed 6-bit windows (chosen): u2 =
//     k1 + k2 λ with |k1|, |k2| < 2^128, so 22 windows of 6 bits cover
//     both halves: 44 additions and 22 multiplications by β (~9.6 µs
//     now, ~46 µs with btcec's arithmetic), 704 points, 44 KiB.
//     φ(x, y) = (β x, y) is λ times a point, so the k2 half reads the
//     same table with x multiplied by β: one field multiplication per
//     lookup instead of a second table. The fastest of the options that
//     fit; 7-bit windows would take 76 KiB.
//
// A point takes 64 bytes (x and y, 32 each; btcec's FieldVal took 80).
//
// G's table (gTable) is one per process, so it may be larger: GLV with
// signed 10-bit windows, 13 windows of 512 points, 6,656 points,
// 416 KiB, 26 additions and 13 multiplications by β (~5.8 µs). Measured
// on this code, per verification with a key table (BenchmarkVerifyRepeatKey
// with one key, its table in cache; BenchmarkVerifyManyKeys with 1,024
// keys in turn, their tables in memory), against signed 8-bit windows
// (17 windows of 128, 136 KiB, 34 additions): 18.5 µs against 20.3 µs
// with one key, 28.8 µs against 29.2 µs with many; 7-bit windows took
// 20.8 µs, 9-bit 19.0 µs with one key.
//
// With many tables, the points a verification adds are mostly in memory,
// not in the CPU's cache: every point the digits select is read once,
// all loads in flight together, before the first addition
// (touchDigits), and a key table's points start on a cache line. That
// took BenchmarkVerifyManyKeys from 28.7 µs to 20.6 µs per verification
// (three alternating runs of each build, 5,000 verifications each), and
// left the one-key figure as it was (19.0 µs).
//
// A negative digit adds the negated point (y -> -y); a table holds only
// positive multiples. Points are affine (z = 1), so every addition is a
// mixed addition.
//
// Verification with a table must answer exactly as btcec's
// ecdsa.Signature.Verify: that is consensus. It computes the same u1, u2
// with the same scalar functions, the same group element X (the order of
// the additions does not change a sum, and addAffine handles doublings
// and the point at infinity exactly), and ends with btcec's final check,
// transcribed below. fixedbase_test.go compares the two differentially
// and on crafted edge cases, field_test.go and point_test.go the
// arithmetic with math/big and btcec.

const (
	tableWindowBits = 6
	tableDigits     = 1 << (tableWindowBits - 1) // |digit| <= 32
	tableWindows    = 22                         // 132 bits >= the 128 of k1, k2
	tablePoints     = tableWindows * tableDigits // 704
	// tableBytes is the memory of one key's table: two field elements
	// (x, y) of 32 bytes per point.
	tableBytes = tablePoints * 64

	// G's table: see the comment above.
	gWindowBits = 10
	gDigits     = 1 << (gWindowBits - 1) // |digit| <= 512
	gWindows    = 13                     // 130 bits >= the 128 of k1, k2
	gPoints     = gWindows * gDigits     // 6,656

	maxWindows = max(tableWindows, gWindows)
)

// keyTable holds m 2^(6j) Q for j < 22, 1 <= m <= 32, at index
// 32 j + m - 1.
type keyTable struct {
	// points come first: a table is a large allocation, so it starts on
	// a page and each 64-byte point fills one cache line (see touchDigits).
	points [tablePoints]affinePoint
	pub    *btcec.PublicKey // Q itself, for the rare fallback
}

// The secp256k1 endomorphism and the basis of the lattice used to split
// a scalar (published constants; see "Guide to Elliptic Curve
// Cryptography", section 3.5, and SEC 2). λ^3 = 1 mod N, β^3 = 1 mod P,
// and λ (x, y) = (β x, y) for this pair (TestEndomorphismConstants).
var (
	endoLambda = scalarFromHex("5363ad4cc05c30e0a5261c028812645a122e22ea20816678df02967c1b23bd72")
	endoBeta   = fieldFromHex("7ae96a2b657c07106e64479eac3434e99cf0497512f58995c1396c28719501ee")

	// Of the short basis vectors (a1, b1), (a2, b2) of the lattice of
	// (x, y) with x + y λ = 0 mod N, the split needs b1 and b2 = a1
	// (a2 = 0x114ca50f7a8e2f3f657c1108d9d44cfd8 bounds the halves).
	endoA1 = bigFromHex("3086d221a7d46bcde86c90e49284eb15")
	endoB1 = new(big.Int).Neg(bigFromHex("e4437ed6010e88286f547fa90abfe4c3"))

	// -b1 and -b2 modulo N.
	endoNegB1 = scalarFromBig(new(big.Int).Neg(endoB1))
	endoNegB2 = scalarFromBig(new(big.Int).Neg(endoA1))

	// g1 = round(2^384 b2 / N), g2 = round(2^384 (-b1) / N): c_i =
	// round(k g_i / 2^384) approximates the rounded coordinates of k in
	// the basis without a division.
	endoG1 = limbsFromBig(roundDiv(new(big.Int).Lsh(endoA1, 384), secpN))
	endoG2 = limbsFromBig(roundDiv(new(big.Int).Lsh(new(big.Int).Neg(endoB1), 384), secpN))

	secpN = bigFromHex("fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141")

	// orderAsField is N as a field element, for the final check's r + N;
	// primeMinusOrder is P - N, the bound below which r + N < P.
	orderAsField    = fieldFromHex(secpN.Text(16))
	primeMinusOrder = fieldFromHex("14551231950b75fc4402da1722fc9baee")
)

// gTable holds m 2^(10j) G for j < 13, 1 <= m <= 512, at index
// 512 j + m - 1, built at the process's first verification (about
// 2.4 ms).
var gTable = sync.OnceValue(func() []affinePoint {
	var g btcec.JacobianPoint
	btcec.GeneratorJacobian(&g)
	points := make([]affinePoint, gPoints)
	if !multiplesTable(&g, gWindowBits, points) {
		panic("crypto: a multiple of G in its table is the point at infinity")
	}
	return points
})

// newKeyTable builds the table of the affine, normalized point q. It
// returns nil if a multiple comes out as the point at infinity, which
// cannot happen for a point of the curve (the largest multiple,
// 32 * 2^126, is far below the group order).
func newKeyTable(q *btcec.JacobianPoint) *keyTable {
	t := &keyTable{pub: btcec.NewPublicKey(&q.X, &q.Y)}
	if !multiplesTable(q, tableWindowBits, t.points[:]) {
		return nil
	}
	return t
}

// multiplesTable sets points, of windows 2^(w-1) entries, to m 2^(w j) q
// for j < windows, 1 <= m <= 2^(w-1), at index 2^(w-1) j + m - 1,
// affine; false if one is the point at infinity (not for a point of the
// curve: see newKeyTable).
func multiplesTable(q *btcec.JacobianPoint, w int, points []affinePoint) bool {
	digits := 1 << (w - 1)
	windows := len(points) / digits
	// The rows' bases 2^(w j) q, by doubling, made affine so that each
	// row is built by mixed additions of its base (the first a doubling,
	// which addAffine does).
	bases := make([]jacobianPoint, windows)
	bases[0].setJacobian(q)
	for j := 1; j < windows; j++ {
		bases[j] = bases[j-1]
		for range w {
			bases[j].double()
		}
	}
	affineBases := make([]affinePoint, windows)
	if !toAffine(bases, affineBases) {
		return false
	}
	jac := make([]jacobianPoint, len(points))
	for j := range windows {
		row := jac[j*digits : (j+1)*digits]
		base := &affineBases[j]
		row[0] = jacobianPoint{x: base.x, y: base.y, z: fieldOne}
		for m := 1; m < digits; m++ {
			row[m] = row[m-1]
			row[m].addAffine(base)
		}
	}
	return toAffine(jac, points)
}

// toAffine sets out[i] to jac[i], normalized, with one inversion
// (Montgomery's trick: prefix[i] is the product of the first i+1 z
// values; its inverse, walked back, yields each z^-1); false if a point
// is at infinity.
func toAffine(jac []jacobianPoint, out []affinePoint) bool {
	n := len(jac)
	prefix := make([]fieldElem, n)
	for i := range jac {
		if jac[i].isInfinity() {
			return false
		}
		if i == 0 {
			prefix[0] = jac[0].z
		} else {
			prefix[i].mul(&prefix[i-1], &jac[i].z)
		}
	}
	var inv fieldElem
	inv.inverse(&prefix[n-1])
	for i := n - 1; i >= 0; i-- {
		var zInv, zInv2, zInv3 fieldElem
		if i > 0 {
			zInv.mul(&inv, &prefix[i-1])
			inv.mul(&inv, &jac[i].z)
		} else {
			zInv = inv
		}
		zInv2.square(&zInv)
		zInv3.mul(&zInv2, &zInv)
		out[i].x.mul(&jac[i].x, &zInv2).normalize()
		out[i].y.mul(&jac[i].y, &zInv3).normalize()
	}
	return true
}

// verifyHash answers exactly as btcec's ecdsa.Signature.Verify for (r, s)
// = sig over hash and the table's key, reducing r, s and hash modulo N as
// it does.
func (t *keyTable) verifyHash(hash *[32]byte, sig *[SignatureSize]byte) bool {
	r, u1, u2, ok := verifyScalars(hash, sig)
	if !ok {
		return false
	}
	// X = u1 G + u2 Q, both from tables, into one sum. Should a half of
	// a split not fit its table, which the bounds of the split rule out,
	// btcec verifies instead.
	var X jacobianPoint // the point at infinity
	if !addScalarMul(&X, gTable(), gWindowBits, gWindows, &u1) ||
		!addScalarMul(&X, t.points[:], tableWindowBits, tableWindows, &u2) {
		return verifyBtcec(t.pub, hash, sig)
	}
	return verifyFinal(&X, &r)
}

// verifyScalars reads r and s from sig and returns r, u1 = e/s and u2 =
// r/s, e the hash modulo N; false if r or s is zero (after reduction).
// The steps and their order are btcec's (ecdsa/signature.go, Verify).
func verifyScalars(hash *[32]byte, sig *[SignatureSize]byte) (r, u1, u2 btcec.ModNScalar, ok bool) {
	var s btcec.ModNScalar
	r.SetByteSlice(sig[:32])
	s.SetByteSlice(sig[32:])
	if r.IsZero() || s.IsZero() {
		return r, u1, u2, false
	}
	var e, w btcec.ModNScalar
	e.SetByteSlice(hash[:])
	w.InverseValNonConst(&s)
	u1.Mul2(&e, &w)
	u2.Mul2(&r, &w)
	return r, u1, u2, true
}

// verifyFinal is btcec's final check of X = u1 G + u2 Q: refused at
// infinity, else verified if r z^2 == X.x (mod P), or, when r + N < P,
// if (r + N) z^2 == X.x: the affine x is r or r + N.
func verifyFinal(X *jacobianPoint, r *btcec.ModNScalar) bool {
	if X.isInfinity() {
		return false
	}
	var z2, rField, result fieldElem
	z2.square(&X.z)
	rBytes := r.Bytes()
	rField.setBytes(&rBytes)
	if result.mul(&rField, &z2).equal(&X.x) {
		return true
	}
	if !rField.lessThan(&primeMinusOrder) {
		return false
	}
	rField.add(&rField, &orderAsField)
	return result.mul(&rField, &z2).equal(&X.x)
}

// addScalarMul adds k P to acc, given points, the multiples table of P
// with w-bit windows (multiplesTable): k = k1 + k2 λ, then each half's
// signed digits select table points (for k2, through φ). False, with
// acc unchanged, if a half does not fit the windows.
func addScalarMul(acc *jacobianPoint, points []affinePoint, w, windows int, k *btcec.ModNScalar) bool {
	k1, k2, neg1, neg2 := shortHalves(k)
	var d1, d2 [maxWindows]int16
	if !signedDigits(&k1, w, d1[:windows]) || !signedDigits(&k2, w, d2[:windows]) {
		return false
	}
	if touchDigits(points, w, d1[:windows], d2[:windows]) == touchNever {
		touchMatches.Add(1) // uses the sum, so its loads stay: almost never runs
	}
	addDigits(acc, points, w, d1[:windows], neg1, false)
	addDigits(acc, points, w, d2[:windows], neg2, true)
	return true
}

// touchNever and touchMatches make addScalarMul use touchDigits' sum, so
// that the compiler keeps its loads, without a shared write on every
// verification (concurrent verifications would race on it and bounce its
// cache line between cores): the sum equals this value about once in
// 2^64 verifications, and then only a counter moves.
const touchNever = 0x9e3779b97f4a7c15

var touchMatches atomic.Uint64

// touchDigits reads one word of every table point the digits select
// before any is added, and returns their sum. A validator holds hundreds of tables, so most of
// those points are in memory, not in the CPU's cache; these independent
// loads overlap (dozens of cache misses in flight at once), where the
// additions, each waiting on its point, would take the misses one after
// the other (figures in the comment at the top of this file).
func touchDigits(points []affinePoint, w int, d1, d2 []int16) uint64 {
	row := 1 << (w - 1)
	var sum uint64
	for j, dj := range d1 {
		if dj != 0 {
			sum += points[j*row+abs16(dj)-1].x[0]
		}
		if dj := d2[j]; dj != 0 {
			sum += points[j*row+abs16(dj)-1].x[0]
		}
	}
	return sum
}

// addDigits adds to acc the sum over windows j of d[j] 2^(wj) P, or of
// φ(P) if endo, negated if neg, from P's multiples table.
func addDigits(acc *jacobianPoint, points []affinePoint, w int, d []int16, neg, endo bool) {
	row := 1 << (w - 1)
	var pt affinePoint
	for j, dj := range d {
		if dj == 0 {
			continue
		}
		p := &points[j*row+abs16(dj)-1]
		if endo {
			pt.x.mul(&p.x, &endoBeta)
		} else {
			pt.x = p.x
		}
		if (dj < 0) != neg {
			pt.y.negate(&p.y)
		} else {
			pt.y = p.y
		}
		acc.addAffine(&pt)
	}
}

func abs16(d int16) int {
	if d < 0 {
		return -int(d)
	}
	return int(d)
}

// signedDigits writes k as sum d[j] 2^(wj) with digits in
// [-2^(w-1)+1, 2^(w-1)]: a window above 2^(w-1) becomes its value minus
// 2^w and carries one into the next. False if k does not fit in
// len(d) windows.
func signedDigits(k *btcec.ModNScalar, w int, d []int16) bool {
	b := k.Bytes() // big-endian
	limbs := limbsFromBytes(&b)
	for i, l := range limbs {
		if below := len(d)*w - 64*i; below <= 0 && l != 0 || below > 0 && below < 64 && l>>below != 0 {
			return false
		}
	}
	half := uint64(1) << (w - 1)
	carry := uint64(0)
	for j := range d {
		bit := j * w
		v := limbs[bit/64] >> (bit % 64)
		if bit%64 > 64-w && bit/64+1 < 4 {
			v |= limbs[bit/64+1] << (64 - bit%64)
		}
		v = v&(1<<w-1) + carry
		carry = 0
		if v > half {
			d[j] = int16(int(v) - 1<<w)
			carry = 1
		} else {
			d[j] = int16(v)
		}
	}
	return carry == 0
}

// shortHalves splits k = k1 + k2 λ (splitScalar) and returns each half
// as its short, positive value, with whether it was negated: k1 P =
// (-k1)(-P), so a caller flips the point where neg is set.
func shortHalves(k *btcec.ModNScalar) (k1, k2 btcec.ModNScalar, neg1, neg2 bool) {
	k1, k2 = splitScalar(k)
	neg1, neg2 = k1.IsOverHalfOrder(), k2.IsOverHalfOrder()
	if neg1 {
		k1.Negate()
	}
	if neg2 {
		k2.Negate()
	}
	return k1, k2, neg1, neg2
}

// splitScalar returns k1, k2 with k = k1 + k2 λ (mod N), each within
// about 2^128 of zero (as a scalar, either small or N minus small): k2 =
// -(c1 b1 + c2 b2) with c1, c2 the rounded coordinates of k in the basis,
// k1 = k - k2 λ. k1 is defined from k2, so the sum holds whatever the
// rounding; only the sizes depend on it.
func splitScalar(k *btcec.ModNScalar) (k1, k2 btcec.ModNScalar) {
	kb := k.Bytes()
	kl := limbsFromBytes(&kb)
	c1 := mulShift384(&kl, &endoG1)
	c2 := mulShift384(&kl, &endoG2)
	c1.Mul(&endoNegB1)
	c2.Mul(&endoNegB2)
	k2.Add2(&c1, &c2)
	k1.Mul2(&k2, &endoLambda).Negate().Add(k)
	return k1, k2
}

// mulShift384 returns round(a g / 2^384) for 256-bit a and g, as a
// scalar (it is below 2^128).
func mulShift384(a, g *[4]uint64) btcec.ModNScalar {
	var p [8]uint64 // little-endian limbs of the 512-bit product
	for i := range 4 {
		var carry uint64
		for j := range 4 {
			hi, lo := bits.Mul64(a[i], g[j])
			var c uint64
			lo, c = bits.Add64(lo, p[i+j], 0)
			hi += c
			lo, c = bits.Add64(lo, carry, 0)
			hi += c
			p[i+j] = lo
			carry = hi
		}
		p[i+4] = carry
	}
	// Bits 384..511, plus bit 383 to round.
	lo, c := bits.Add64(p[6], p[5]>>63, 0)
	hi := p[7] + c
	var b [32]byte
	for i := range 8 {
		b[31-i] = byte(lo >> (8 * i))
		b[23-i] = byte(hi >> (8 * i))
	}
	var s btcec.ModNScalar
	s.SetBytes(&b)
	return s
}

func bigFromHex(h string) *big.Int {
	v, ok := new(big.Int).SetString(h, 16)
	if !ok {
		panic("bad constant " + h)
	}
	return v
}

func scalarFromHex(h string) btcec.ModNScalar { return scalarFromBig(bigFromHex(h)) }

// scalarFromBig reduces v modulo N.
func scalarFromBig(v *big.Int) btcec.ModNScalar {
	var b [32]byte
	new(big.Int).Mod(v, secpN).FillBytes(b[:])
	var s btcec.ModNScalar
	s.SetBytes(&b)
	return s
}

func fieldFromHex(h string) fieldElem {
	var b [32]byte
	bigFromHex(h).FillBytes(b[:])
	var f fieldElem
	return *f.setBytes(&b)
}

// roundDiv is a / b rounded to the nearest integer, for a, b > 0.
func roundDiv(a, b *big.Int) *big.Int {
	q := new(big.Int).Lsh(a, 1)
	q.Add(q, b)
	return q.Div(q, new(big.Int).Lsh(b, 1))
}

func limbsFromBig(v *big.Int) [4]uint64 {
	var b [32]byte
	v.FillBytes(b[:])
	return limbsFromBytes(&b)
}

// limbsFromBytes reads a big-endian 256-bit value as little-endian limbs.
func limbsFromBytes(b *[32]byte) [4]uint64 {
	var l [4]uint64
	for i := range 4 {
		l[i] = binary.BigEndian.Uint64(b[24-8*i:])
	}
	return l
}
