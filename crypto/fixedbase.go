package crypto

import (
	"encoding/binary"
	"math/big"
	"math/bits"

	"github.com/btcsuite/btcd/btcec/v2"
)

// Fixed-base verification for repeat keys (btcec backend).
//
// ECDSA verification computes X = u1 G + u2 Q, Q the public key. btcec
// has precomputed tables for G; for Q it runs a double-and-add of about
// 129 doublings and 86 additions, most of a verification. An account
// signs many transactions with one key, so for a key seen again this file
// precomputes a table of multiples of Q once; u2 Q is then a sum of
// table points with no doubling at all.
//
// The layout is chosen by counting the operations of each option, costed
// with btcec's own operations measured in one run on this code (mixed
// addition 0.98 µs, doubling 0.38 µs, a field multiplication by β
// 0.10 µs, the split and digits below 1.0 µs; btcec's u2 Q is about 129
// doublings and 86 additions, ~134 µs), within the ~64 KiB a table may
// take:
//
//   - unsigned 4-bit windows over 256 bits: 64 additions (~63 µs), 960
//     points, 75 KiB: over the bound;
//   - signed 5-bit windows over 256 bits: 52 additions (~51 µs), 832
//     points, 65 KiB: at the bound;
//   - signed 6-bit or wider windows over 256 bits: 1,376 points or more,
//     107 KiB and up: over;
//   - the GLV endomorphism with signed 6-bit windows (chosen): u2 =
//     k1 + k2 λ with |k1|, |k2| < 2^128, so 22 windows of 6 bits cover
//     both halves: 44 additions and 22 multiplications by β (~46 µs),
//     704 points, 55 KiB. φ(x, y) = (β x, y) is λ times a point, so the
//     k2 half reads the same table with x multiplied by β: one field
//     multiplication per lookup instead of a second table. The fastest
//     and the smallest of the options that fit; with 7-bit windows it
//     would take 95 KiB.
//
// A negative digit adds the negated point (y -> -y); a table holds only
// positive multiples. Points are affine (z = 1), so every addition takes
// btcec's cheaper mixed-addition path.
//
// Verification with a table must answer exactly as btcec's
// ecdsa.Signature.Verify: that is consensus. It computes the same u1, u2
// with the same scalar functions, the same group element X (the order of
// the additions does not change a sum, and btcec's AddNonConst handles
// doublings and the point at infinity), and ends with btcec's own final
// check, transcribed below. fixedbase_test.go compares the two
// differentially and on crafted edge cases.

const (
	tableWindowBits = 6
	tableDigits     = 1 << (tableWindowBits - 1) // |digit| <= 32
	tableWindows    = 22                         // 132 bits >= the 128 of k1, k2
	tablePoints     = tableWindows * tableDigits // 704
	// tableBytes is the memory of one key's table: two field values
	// (x, y) of 40 bytes per point.
	tableBytes = tablePoints * 80
)

// affinePoint is a normalized point with z = 1.
type affinePoint struct {
	x, y btcec.FieldVal
}

// keyTable holds m 2^(6j) Q for j < 22, 1 <= m <= 32, at index
// 32 j + m - 1.
type keyTable struct {
	q      btcec.JacobianPoint // Q itself, for the rare fallback
	points [tablePoints]affinePoint
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

	// orderAsField is N as a field value, for the final check's r + N.
	orderAsField = func() btcec.FieldVal {
		var f btcec.FieldVal
		f.SetByteSlice(secpN.Bytes())
		return f
	}()
)

// newKeyTable builds the table of the affine, normalized point q. It
// returns nil if a multiple comes out as the point at infinity, which
// cannot happen for a point of the curve (the largest multiple,
// 32 * 2^126, is far below the group order).
func newKeyTable(q *btcec.JacobianPoint) *keyTable {
	// Jacobian multiples first: each row by additions of the row's base,
	// the next base by doubling 32 base (64 = 2^6).
	jac := make([]btcec.JacobianPoint, tablePoints)
	base := *q
	for j := range tableWindows {
		row := jac[j*tableDigits : (j+1)*tableDigits]
		row[0] = base
		for m := 1; m < tableDigits; m++ {
			btcec.AddNonConst(&row[m-1], &base, &row[m])
		}
		if j+1 < tableWindows {
			btcec.DoubleNonConst(&row[tableDigits-1], &base)
		}
	}

	// To affine with one inversion (Montgomery's trick): prefix[i] is
	// the product of the first i+1 z values; its inverse, walked back,
	// yields each z^-1.
	prefix := make([]btcec.FieldVal, tablePoints)
	for i := range jac {
		if jac[i].Z.IsZero() {
			return nil
		}
		if i == 0 {
			prefix[0].Set(&jac[0].Z)
		} else {
			prefix[i].Mul2(&prefix[i-1], &jac[i].Z)
		}
	}
	t := &keyTable{q: *q}
	var inv btcec.FieldVal
	inv.Set(&prefix[tablePoints-1]).Inverse()
	for i := tablePoints - 1; i >= 0; i-- {
		var zInv, zInv2 btcec.FieldVal
		if i > 0 {
			zInv.Mul2(&inv, &prefix[i-1])
			inv.Mul(&jac[i].Z)
		} else {
			zInv.Set(&inv)
		}
		zInv2.SquareVal(&zInv)
		p := &t.points[i]
		p.x.Mul2(&jac[i].X, &zInv2).Normalize()
		p.y.Mul2(&jac[i].Y, zInv2.Mul(&zInv)).Normalize()
	}
	return t
}

// verifyHash answers exactly as btcec's ecdsa.Signature.Verify for (r, s)
// = sig over hash and the table's key, reducing r, s and hash modulo N as
// it does.
func (t *keyTable) verifyHash(hash *[32]byte, sig *[SignatureSize]byte) bool {
	// The steps and their order are btcec's (ecdsa/signature.go, Verify).
	var r, s btcec.ModNScalar
	r.SetByteSlice(sig[:32])
	s.SetByteSlice(sig[32:])
	if r.IsZero() || s.IsZero() {
		return false
	}
	var e btcec.ModNScalar
	e.SetByteSlice(hash[:])
	w := new(btcec.ModNScalar).InverseValNonConst(&s)
	u1 := new(btcec.ModNScalar).Mul2(&e, w)
	u2 := new(btcec.ModNScalar).Mul2(&r, w)

	// X = u1 G + u2 Q, u2 Q from the table.
	var X, u1G, u2Q btcec.JacobianPoint
	btcec.ScalarBaseMultNonConst(u1, &u1G)
	t.mul(u2, &u2Q)
	btcec.AddNonConst(&u1G, &u2Q, &X)

	// Fail at infinity.
	if (X.X.IsZero() && X.Y.IsZero()) || X.Z.IsZero() {
		return false
	}
	// Verified if r z^2 == X.x (mod P), or, when r + N < P, if
	// (r + N) z^2 == X.x: the affine x is r or r + N.
	z := new(btcec.FieldVal).SquareVal(&X.Z)
	rBytes := r.Bytes()
	var rField btcec.FieldVal
	rField.SetBytes(&rBytes)
	result := new(btcec.FieldVal).Mul2(&rField, z).Normalize()
	if result.Equals(&X.X) {
		return true
	}
	if rField.IsGtOrEqPrimeMinusOrder() {
		return false
	}
	rField.Add(&orderAsField)
	result.Mul2(&rField, z).Normalize()
	return result.Equals(&X.X)
}

// mul sets result to k Q: k = k1 + k2 λ, then each half's signed 6-bit
// digits select table points (for k2, through φ). Should a half not fit
// the table, which the bounds of the split rule out, it falls back to
// btcec's double-and-add.
func (t *keyTable) mul(k *btcec.ModNScalar, result *btcec.JacobianPoint) {
	k1, k2 := splitScalar(k)
	// k1 Q = (-k1)(-Q): take the short, positive one and flip the point.
	neg1, neg2 := k1.IsOverHalfOrder(), k2.IsOverHalfOrder()
	if neg1 {
		k1.Negate()
	}
	if neg2 {
		k2.Negate()
	}
	var d1, d2 [tableWindows]int8
	if !signedDigits(&k1, &d1) || !signedDigits(&k2, &d2) {
		btcec.ScalarMultNonConst(k, &t.q, result)
		return
	}
	t.sumDigits(&d1, neg1, &d2, neg2, result)
}

// sumDigits sets result to the sum over windows j of d1[j] 2^(6j) Q and
// d2[j] 2^(6j) φ(Q), each negated if neg1 (neg2) is set.
func (t *keyTable) sumDigits(d1 *[tableWindows]int8, neg1 bool, d2 *[tableWindows]int8, neg2 bool, result *btcec.JacobianPoint) {
	var acc, pt btcec.JacobianPoint // acc starts at infinity
	pt.Z.SetInt(1)
	for j := range tableWindows {
		row := t.points[j*tableDigits : (j+1)*tableDigits]
		if d := d1[j]; d != 0 {
			p := &row[abs8(d)-1]
			pt.X.Set(&p.x)
			pt.Y.Set(&p.y)
			if (d < 0) != neg1 {
				pt.Y.Negate(1).Normalize()
			}
			btcec.AddNonConst(&acc, &pt, &acc)
		}
		if d := d2[j]; d != 0 {
			p := &row[abs8(d)-1]
			pt.X.Mul2(&p.x, &endoBeta).Normalize()
			pt.Y.Set(&p.y)
			if (d < 0) != neg2 {
				pt.Y.Negate(1).Normalize()
			}
			btcec.AddNonConst(&acc, &pt, &acc)
		}
	}
	result.Set(&acc)
}

func abs8(d int8) int {
	if d < 0 {
		return -int(d)
	}
	return int(d)
}

// signedDigits writes k, below 2^132, as sum d[j] 2^(6j) with digits in
// [-31, 32]: a window above 32 becomes its value minus 64 and carries one
// into the next. False if k does not fit in the 22 windows.
func signedDigits(k *btcec.ModNScalar, d *[tableWindows]int8) bool {
	b := k.Bytes() // big-endian
	limbs := limbsFromBytes(&b)
	if limbs[3] != 0 || limbs[2]>>(tableWindows*tableWindowBits-128) != 0 {
		return false
	}
	carry := uint64(0)
	for j := range tableWindows {
		bit := j * tableWindowBits
		v := limbs[bit/64] >> (bit % 64)
		if bit%64 > 64-tableWindowBits && bit/64+1 < 4 {
			v |= limbs[bit/64+1] << (64 - bit%64)
		}
		v = v&(1<<tableWindowBits-1) + carry
		carry = 0
		if v > tableDigits {
			d[j] = int8(int(v) - 1<<tableWindowBits)
			carry = 1
		} else {
			d[j] = int8(v)
		}
	}
	return carry == 0
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

func fieldFromHex(h string) btcec.FieldVal {
	var f btcec.FieldVal
	f.SetByteSlice(bigFromHex(h).Bytes())
	return f
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
