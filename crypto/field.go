package crypto

import (
	"encoding/binary"
	"math/bits"

	"github.com/btcsuite/btcd/btcec/v2"
)

// Field arithmetic modulo P = 2^256 - 2^32 - 977 for the fixed-base path.
//
// btcec's FieldVal keeps 10 limbs of 26 bits, a layout for 32-bit
// multiplications; on a 64-bit machine math/bits gives the full 128-bit
// product of two 64-bit words (one instruction on amd64 and arm64), so
// four 64-bit limbs need 16 word products per multiplication, 10 per
// squaring, where 10x26 needs 100 and 55. The reduction is cheap because
// 2^256 = fieldC (mod P), a 33-bit constant: the high half of a product
// folds into the low half with four more word products.
//
// Four 64-bit limbs rather than libsecp256k1's five of 52 bits: in Go,
// without a 128-bit type, a 5x52 multiplication (25 word products into
// 128-bit sums, its reduction) took 22 ns where this one takes 16 ns
// (BenchmarkFieldMul; measured in one run on an AMD EPYC), and 5x52
// saves only the carries of additions, which are few here.
//
// A fieldElem holds any 256-bit representative of its value: between
// operations a value may be in [P, 2^256), and normalize brings it below
// P only where a value is compared or encoded. Every operation takes
// inputs below 2^256 and returns a result below 2^256, so no bound needs
// tracking. field_test.go checks each against math/big.

// fieldElem is a value modulo P as four little-endian 64-bit limbs.
type fieldElem [4]uint64

// fieldC is 2^256 - P, so 2^256 = fieldC (mod P).
const fieldC = 0x1000003d1

// fieldPrime is P itself, as limbs.
var fieldPrime = fieldElem{0xfffffffefffffc2f, 0xffffffffffffffff, 0xffffffffffffffff, 0xffffffffffffffff}

// mulAdd returns a b + c + d as (hi, lo); it cannot overflow 128 bits.
func mulAdd(a, b, c, d uint64) (hi, lo uint64) {
	hi, lo = bits.Mul64(a, b)
	var carry uint64
	lo, carry = bits.Add64(lo, c, 0)
	hi += carry
	lo, carry = bits.Add64(lo, d, 0)
	hi += carry
	return hi, lo
}

// reduce sets z to the 512-bit t modulo P, below 2^256.
func (z *fieldElem) reduce(t0, t1, t2, t3, t4, t5, t6, t7 uint64) {
	// t = lo + 2^256 hi = lo + fieldC hi: below 2^256 + 2^290.
	h, r0 := mulAdd(t4, fieldC, t0, 0)
	h, r1 := mulAdd(t5, fieldC, t1, h)
	h, r2 := mulAdd(t6, fieldC, t2, h)
	r4, r3 := mulAdd(t7, fieldC, t3, h)
	// Fold r4 < 2^34 the same way: r4 fieldC < 2^68.
	hi, lo := bits.Mul64(r4, fieldC)
	var c uint64
	r0, c = bits.Add64(r0, lo, 0)
	r1, c = bits.Add64(r1, hi, c)
	r2, c = bits.Add64(r2, 0, c)
	r3, c = bits.Add64(r3, 0, c)
	// A carry out leaves a value below 2^68 (r1 < 16): one more fieldC
	// cannot carry past r1.
	r0, c = bits.Add64(r0, fieldC&-c, 0)
	r1 += c
	z[0], z[1], z[2], z[3] = r0, r1, r2, r3
}

// mul sets z = a b and returns z.
func (z *fieldElem) mul(a, b *fieldElem) *fieldElem {
	a0, a1, a2, a3 := a[0], a[1], a[2], a[3]
	b0, b1, b2, b3 := b[0], b[1], b[2], b[3]
	var h, t0, t1, t2, t3, t4, t5, t6, t7 uint64
	h, t0 = bits.Mul64(a0, b0)
	h, t1 = mulAdd(a0, b1, h, 0)
	h, t2 = mulAdd(a0, b2, h, 0)
	t4, t3 = mulAdd(a0, b3, h, 0)

	h, t1 = mulAdd(a1, b0, t1, 0)
	h, t2 = mulAdd(a1, b1, t2, h)
	h, t3 = mulAdd(a1, b2, t3, h)
	t5, t4 = mulAdd(a1, b3, t4, h)

	h, t2 = mulAdd(a2, b0, t2, 0)
	h, t3 = mulAdd(a2, b1, t3, h)
	h, t4 = mulAdd(a2, b2, t4, h)
	t6, t5 = mulAdd(a2, b3, t5, h)

	h, t3 = mulAdd(a3, b0, t3, 0)
	h, t4 = mulAdd(a3, b1, t4, h)
	h, t5 = mulAdd(a3, b2, t5, h)
	t7, t6 = mulAdd(a3, b3, t6, h)
	z.reduce(t0, t1, t2, t3, t4, t5, t6, t7)
	return z
}

// square sets z = a^2 and returns z: the six cross products once,
// doubled, plus the four squares.
func (z *fieldElem) square(a *fieldElem) *fieldElem {
	a0, a1, a2, a3 := a[0], a[1], a[2], a[3]
	var h, u1, u2, u3, u4, u5, u6 uint64
	h, u1 = bits.Mul64(a0, a1)
	h, u2 = mulAdd(a0, a2, h, 0)
	u4, u3 = mulAdd(a0, a3, h, 0)
	h, u3 = mulAdd(a1, a2, u3, 0)
	u5, u4 = mulAdd(a1, a3, u4, h)
	u6, u5 = mulAdd(a2, a3, u5, 0)

	u7 := u6 >> 63
	u6 = u6<<1 | u5>>63
	u5 = u5<<1 | u4>>63
	u4 = u4<<1 | u3>>63
	u3 = u3<<1 | u2>>63
	u2 = u2<<1 | u1>>63
	u1 <<= 1

	s0h, t0 := bits.Mul64(a0, a0)
	s1h, s1l := bits.Mul64(a1, a1)
	s2h, s2l := bits.Mul64(a2, a2)
	s3h, s3l := bits.Mul64(a3, a3)
	var c, t1, t2, t3, t4, t5, t6, t7 uint64
	t1, c = bits.Add64(u1, s0h, 0)
	t2, c = bits.Add64(u2, s1l, c)
	t3, c = bits.Add64(u3, s1h, c)
	t4, c = bits.Add64(u4, s2l, c)
	t5, c = bits.Add64(u5, s2h, c)
	t6, c = bits.Add64(u6, s3l, c)
	t7, _ = bits.Add64(u7, s3h, c)
	z.reduce(t0, t1, t2, t3, t4, t5, t6, t7)
	return z
}

// add sets z = a + b and returns z.
func (z *fieldElem) add(a, b *fieldElem) *fieldElem {
	r0, c := bits.Add64(a[0], b[0], 0)
	r1, c := bits.Add64(a[1], b[1], c)
	r2, c := bits.Add64(a[2], b[2], c)
	r3, c := bits.Add64(a[3], b[3], c)
	// A carry is 2^256 = fieldC. A second carry leaves a value below
	// fieldC, to which a third fieldC adds without carrying.
	r0, c = bits.Add64(r0, fieldC&-c, 0)
	r1, c = bits.Add64(r1, 0, c)
	r2, c = bits.Add64(r2, 0, c)
	r3, c = bits.Add64(r3, 0, c)
	z[0], z[1], z[2], z[3] = r0+fieldC&-c, r1, r2, r3
	return z
}

// sub sets z = a - b and returns z.
func (z *fieldElem) sub(a, b *fieldElem) *fieldElem {
	r0, c := bits.Sub64(a[0], b[0], 0)
	r1, c := bits.Sub64(a[1], b[1], c)
	r2, c := bits.Sub64(a[2], b[2], c)
	r3, c := bits.Sub64(a[3], b[3], c)
	// A borrow added 2^256 = fieldC: take it away. A second borrow
	// leaves a value of at least 2^256 - fieldC, from which a third
	// fieldC comes without borrowing.
	r0, c = bits.Sub64(r0, fieldC&-c, 0)
	r1, c = bits.Sub64(r1, 0, c)
	r2, c = bits.Sub64(r2, 0, c)
	r3, c = bits.Sub64(r3, 0, c)
	z[0], z[1], z[2], z[3] = r0-fieldC&-c, r1, r2, r3
	return z
}

// negate sets z = -a and returns z.
func (z *fieldElem) negate(a *fieldElem) *fieldElem {
	var zero fieldElem
	return z.sub(&zero, a)
}

// double sets z = 2a and returns z.
func (z *fieldElem) double(a *fieldElem) *fieldElem { return z.add(a, a) }

// normalize reduces z below P and returns z: a value below 2^256 is
// below 2P, so at most one P comes off, exactly when z + fieldC carries.
func (z *fieldElem) normalize() *fieldElem {
	r0, c := bits.Add64(z[0], fieldC, 0)
	r1, c := bits.Add64(z[1], 0, c)
	r2, c := bits.Add64(z[2], 0, c)
	r3, c := bits.Add64(z[3], 0, c)
	m := -c // all ones if z >= P
	z[0] = z[0]&^m | r0&m
	z[1] = z[1]&^m | r1&m
	z[2] = z[2]&^m | r2&m
	z[3] = z[3]&^m | r3&m
	return z
}

// isZero tells whether z = 0 (mod P): z is 0 or P.
func (z *fieldElem) isZero() bool {
	return z[0]|z[1]|z[2]|z[3] == 0 || *z == fieldPrime
}

// equal tells whether a = b (mod P).
func (z *fieldElem) equal(b *fieldElem) bool {
	var d fieldElem
	return d.sub(z, b).isZero()
}

// setBytes sets z to the big-endian 256-bit b, which may be P or more
// (it is then that value modulo P), and returns z.
func (z *fieldElem) setBytes(b *[32]byte) *fieldElem {
	for i := range 4 {
		z[i] = binary.BigEndian.Uint64(b[24-8*i:])
	}
	return z
}

// setFieldVal sets z to btcec's f and returns z.
func (z *fieldElem) setFieldVal(f *btcec.FieldVal) *fieldElem {
	n := *f
	var b [32]byte
	n.Normalize().PutBytes(&b)
	return z.setBytes(&b)
}

// fieldPrimeMinus2 is the exponent of an inversion, P - 2.
var fieldPrimeMinus2 = fieldElem{0xfffffffefffffc2d, 0xffffffffffffffff, 0xffffffffffffffff, 0xffffffffffffffff}

// inverse sets z = 1/a = a^(P-2) (0 if a = 0) and returns z: square and
// multiply over the bits of P - 2, about 256 squarings and 250
// multiplications (~7 µs). Only table building inverts, twice a table.
func (z *fieldElem) inverse(a *fieldElem) *fieldElem {
	x, r := *a, fieldOne
	for i := 255; i >= 0; i-- {
		r.square(&r)
		if fieldPrimeMinus2[i/64]>>(i%64)&1 == 1 {
			r.mul(&r, &x)
		}
	}
	*z = r
	return z
}

// lessThan tells whether z < b, both below P.
func (z *fieldElem) lessThan(b *fieldElem) bool {
	_, borrow := bits.Sub64(z[0], b[0], 0)
	_, borrow = bits.Sub64(z[1], b[1], borrow)
	_, borrow = bits.Sub64(z[2], b[2], borrow)
	_, borrow = bits.Sub64(z[3], b[3], borrow)
	return borrow == 1
}
