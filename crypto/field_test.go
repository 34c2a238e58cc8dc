package crypto

import (
	"encoding/binary"
	"math/big"
	"math/rand/v2"
	"testing"

	"github.com/btcsuite/btcd/btcec/v2"
)

// fieldFromBig returns v, below 2^256, as a field element, unreduced.
func fieldFromBig(v *big.Int) fieldElem {
	var b [32]byte
	v.FillBytes(b[:])
	var f fieldElem
	return *f.setBytes(&b)
}

// bigFromField returns the limbs of f as an integer, unreduced.
func bigFromField(f *fieldElem) *big.Int {
	b := f.bytesUnreduced()
	return new(big.Int).SetBytes(b[:])
}

// edgeFieldValues are inputs at the borders of the representation: 0,
// 1, P-1, P, P+1, 2^256-1 (every representative of a value below 2^256
// is allowed), limbs all ones or all zeros in every pattern, values that
// carry across every limb when 1 or fieldC is added, and the largest
// values whose reductions fold twice.
func edgeFieldValues() []fieldElem {
	one := big.NewInt(1)
	two256 := new(big.Int).Lsh(one, 256)
	var out []fieldElem
	for _, v := range []*big.Int{
		new(big.Int), one, big.NewInt(2), big.NewInt(fieldC),
		new(big.Int).Sub(curveP, one), curveP, new(big.Int).Add(curveP, one),
		new(big.Int).Add(curveP, big.NewInt(fieldC-1)),
		new(big.Int).Sub(two256, one), new(big.Int).Sub(two256, big.NewInt(2)),
		new(big.Int).Sub(two256, big.NewInt(fieldC)),
		new(big.Int).Sub(two256, big.NewInt(fieldC+1)),
		new(big.Int).Lsh(one, 255), new(big.Int).Sub(new(big.Int).Lsh(one, 255), one),
		new(big.Int).Lsh(one, 128), new(big.Int).Sub(new(big.Int).Lsh(one, 128), one),
		new(big.Int).Sub(new(big.Int).Lsh(one, 64), one),
		new(big.Int).Sub(curveP, big.NewInt(fieldC)),
		curveN, new(big.Int).Sub(curveN, one),
	} {
		out = append(out, fieldFromBig(v))
	}
	// Every pattern of all-ones and all-zeros limbs, and of limbs one
	// below all ones.
	for mask := range 16 {
		var a, b fieldElem
		for i := range 4 {
			if mask&(1<<i) != 0 {
				a[i] = ^uint64(0)
				b[i] = ^uint64(0) - 1
			}
		}
		out = append(out, a, b)
	}
	return out
}

// randomFieldValue returns a random 256-bit value, sometimes near 0, P
// or 2^256, sometimes with limbs at their extremes.
func randomFieldValue(rng *rand.Rand) fieldElem {
	var f fieldElem
	for i := range f {
		switch rng.IntN(8) {
		case 0:
			f[i] = 0
		case 1:
			f[i] = ^uint64(0)
		default:
			f[i] = rng.Uint64()
		}
	}
	switch rng.IntN(8) {
	case 0: // P + small: a representative above P
		f = fieldPrime
		f[0] += rng.Uint64N(fieldC)
	case 1: // P - small
		f = fieldPrime
		f[0] -= uint64(rng.IntN(1 << 20))
	}
	return f
}

// checkFieldOps compares every operation on a, b with math/big modulo P:
// the result must be below 2^256 (it is a fieldElem) and equal to the
// exact value modulo P; normalize must give the value below P.
func checkFieldOps(t testing.TB, a, b fieldElem) {
	t.Helper()
	x, y := bigFromField(&a), bigFromField(&b)
	mod := func(v *big.Int) *big.Int { return v.Mod(v, curveP) }
	check := func(op string, got fieldElem, want *big.Int) {
		t.Helper()
		g := bigFromField(&got)
		if mod(new(big.Int).Set(g)).Cmp(mod(want)) != 0 {
			t.Fatalf("%s of %x and %x: %x, want %x (mod P)", op, x, y, g, want)
		}
		n := got
		n.normalize()
		if bigFromField(&n).Cmp(want) != 0 {
			t.Fatalf("%s of %x and %x: normalized %x, want %x", op, x, y, bigFromField(&n), want)
		}
		if got.isZero() != (want.Sign() == 0) {
			t.Fatalf("%s of %x and %x: isZero %v for %x", op, x, y, got.isZero(), want)
		}
		w := fieldFromBig(want)
		if !got.equal(&w) {
			t.Fatalf("%s of %x and %x: %x does not equal %x", op, x, y, g, want)
		}
		if gb, wb := got.bytes(), w.bytes(); gb != wb {
			t.Fatalf("%s of %x and %x: bytes %x, want %x", op, x, y, gb, wb)
		}
	}
	var z fieldElem
	check("mul", *z.mul(&a, &b), new(big.Int).Mul(x, y))
	check("square", *z.square(&a), new(big.Int).Mul(x, x))
	check("add", *z.add(&a, &b), new(big.Int).Add(x, y))
	check("sub", *z.sub(&a, &b), new(big.Int).Sub(x, y))
	check("negate", *z.negate(&a), new(big.Int).Neg(x))
	check("double", *z.double(&a), new(big.Int).Lsh(x, 1))
	check("mul by β", *z.mul(&a, &endoBeta), new(big.Int).Mul(x, bigFromField(&endoBeta)))
	// In place, as the point code calls them.
	z = a
	check("mul in place", *z.mul(&z, &b), new(big.Int).Mul(x, y))
	z = a
	check("square in place", *z.square(&z), new(big.Int).Mul(x, x))
	z = b
	check("sub in place", *z.sub(&a, &z), new(big.Int).Sub(x, y))
	check("normalize", *z.set(a).normalize(), new(big.Int).Set(x))

	eq := mod(new(big.Int).Set(x)).Cmp(mod(new(big.Int).Set(y))) == 0
	if a.equal(&b) != eq {
		t.Fatalf("equal(%x, %x) = %v, want %v", x, y, a.equal(&b), eq)
	}
	na, nb := a, b
	na.normalize()
	nb.normalize()
	if lt := mod(new(big.Int).Set(x)).Cmp(mod(new(big.Int).Set(y))) < 0; na.lessThan(&nb) != lt {
		t.Fatalf("lessThan(%x, %x) = %v, want %v", x, y, na.lessThan(&nb), lt)
	}
}

// set copies a into z, for chaining in tests.
func (z *fieldElem) set(a fieldElem) *fieldElem {
	*z = a
	return z
}

// TestFieldOpsEdgeValues runs every pair of edge values through every
// operation.
func TestFieldOpsEdgeValues(t *testing.T) {
	edges := edgeFieldValues()
	for _, a := range edges {
		for _, b := range edges {
			checkFieldOps(t, a, b)
		}
	}
}

// TestFieldOpsRandom compares the operations with math/big on random
// values, many of them at the borders of a limb or of P.
func TestFieldOpsRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(14, 20))
	for range 100_000 {
		checkFieldOps(t, randomFieldValue(rng), randomFieldValue(rng))
	}
}

// TestFieldInverse checks the inverse against math/big on edge values
// (0 has none: it gives 0) and random ones.
func TestFieldInverse(t *testing.T) {
	rng := rand.New(rand.NewPCG(14, 25))
	values := edgeFieldValues()
	for range 300 {
		values = append(values, randomFieldValue(rng))
	}
	for _, a := range values {
		x := new(big.Int).Mod(bigFromField(&a), curveP)
		var z fieldElem
		z.inverse(&a)
		want := new(big.Int)
		if x.Sign() != 0 {
			want.ModInverse(x, curveP)
		}
		if got := bigFromField(z.normalize()); got.Cmp(want) != 0 {
			t.Fatalf("inverse of %x: %x, want %x", x, got, want)
		}
	}
}

// TestFieldReduce checks the reduction of 512-bit values modulo P on
// random ones and on crafted ones no product of random inputs reaches:
// the high half all ones (the first fold leaves its largest remainder,
// fieldC) and the low half such that the second fold carries out of 256
// bits and leaves a low limb of at least 2^64 - fieldC, so that the last
// correction carries into the second limb.
func TestFieldReduce(t *testing.T) {
	rng := rand.New(rand.NewPCG(14, 24))
	one := big.NewInt(1)
	two256 := new(big.Int).Lsh(one, 256)
	c := big.NewInt(fieldC)
	var values []*big.Int
	for range 10_000 {
		lo, hi := randomFieldValue(rng), randomFieldValue(rng)
		v := new(big.Int).Lsh(bigFromField(&hi), 256)
		values = append(values, v.Add(v, bigFromField(&lo)))
	}
	// High half 2^256 - 1, low half 2^256 + w - fieldC^2 + fieldC: the
	// second fold's sum is 2^256 + w.
	c2 := new(big.Int).Mul(c, c)
	for _, w := range []*big.Int{
		new(big.Int).Sub(new(big.Int).Lsh(one, 64), c),
		new(big.Int).Sub(new(big.Int).Lsh(one, 64), one),
		new(big.Int).Lsh(one, 64),
		new(big.Int).Sub(c2, new(big.Int).Add(c, one)),
		big.NewInt(0), big.NewInt(1),
	} {
		lo := new(big.Int).Add(two256, w)
		lo.Sub(lo, c2).Add(lo, c)
		v := new(big.Int).Lsh(new(big.Int).Sub(two256, one), 256)
		values = append(values, v.Add(v, lo))
	}
	values = append(values, new(big.Int).Sub(new(big.Int).Lsh(one, 512), one), new(big.Int))
	for _, v := range values {
		var limbs [8]uint64
		words := new(big.Int).Set(v)
		mask := new(big.Int).SetUint64(^uint64(0))
		for i := range limbs {
			limbs[i] = new(big.Int).And(words, mask).Uint64()
			words.Rsh(words, 64)
		}
		var z fieldElem
		z.reduce(limbs[0], limbs[1], limbs[2], limbs[3], limbs[4], limbs[5], limbs[6], limbs[7])
		want := new(big.Int).Mod(v, curveP)
		if got := bigFromField(&z); new(big.Int).Mod(got, curveP).Cmp(want) != 0 {
			t.Fatalf("reduce(%x) = %x, want %x (mod P)", v, got, want)
		}
	}
}

// TestFieldChains runs long chains of operations, each result the next
// input, against math/big, so that unreduced results feed every
// operation.
func TestFieldChains(t *testing.T) {
	rng := rand.New(rand.NewPCG(14, 21))
	for range 200 {
		a, b := randomFieldValue(rng), randomFieldValue(rng)
		x, y := bigFromField(&a), bigFromField(&b)
		for range 500 {
			switch rng.IntN(5) {
			case 0:
				a.mul(&a, &b)
				x.Mul(x, y)
			case 1:
				a.square(&a)
				x.Mul(x, x)
			case 2:
				a.add(&a, &b)
				x.Add(x, y)
			case 3:
				a.sub(&a, &b)
				x.Sub(x, y)
			case 4:
				a, b = b, a
				x, y = y, x
			}
			x.Mod(x, curveP)
			if n := a; bigFromField(n.normalize()).Cmp(x) != 0 {
				t.Fatalf("chain: %x, want %x", bigFromField(&n), x)
			}
		}
	}
}

// TestFieldConversions checks the conversions from and to btcec's
// FieldVal and bytes, on edge and random values.
func TestFieldConversions(t *testing.T) {
	rng := rand.New(rand.NewPCG(14, 22))
	values := edgeFieldValues()
	for range 1000 {
		values = append(values, randomFieldValue(rng))
	}
	for _, f := range values {
		want := new(big.Int).Mod(bigFromField(&f), curveP)
		fv := f.fieldVal()
		if got := new(big.Int).SetBytes(fv.Bytes()[:]); got.Cmp(want) != 0 {
			t.Fatalf("fieldVal of %x: %x, want %x", bigFromField(&f), got, want)
		}
		var back fieldElem
		back.setFieldVal(&fv)
		if bigFromField(&back).Cmp(want) != 0 {
			t.Fatalf("setFieldVal: %x, want %x", bigFromField(&back), want)
		}
		// An unnormalized FieldVal: btcec's sum of two values.
		var sum btcec.FieldVal
		sum.Add2(&fv, &fv)
		back.setFieldVal(&sum)
		if w := new(big.Int).Mod(new(big.Int).Lsh(want, 1), curveP); bigFromField(&back).Cmp(w) != 0 {
			t.Fatalf("setFieldVal of a sum: %x, want %x", bigFromField(&back), w)
		}
	}
}

// FuzzFieldOps compares the operations with math/big on arbitrary
// 256-bit inputs.
func FuzzFieldOps(f *testing.F) {
	edges := edgeFieldValues()
	for i, a := range edges {
		b := edges[(i*7+3)%len(edges)]
		ab, bb := a.bytesUnreduced(), b.bytesUnreduced()
		f.Add(ab[:], bb[:])
	}
	f.Fuzz(func(t *testing.T, x, y []byte) {
		if len(x) != 32 || len(y) != 32 {
			return
		}
		var a, b fieldElem
		a.setBytes((*[32]byte)(x))
		b.setBytes((*[32]byte)(y))
		checkFieldOps(t, a, b)
	})
}

// bytesUnreduced returns the limbs of z as 32 big-endian bytes, as they
// are.
func (z *fieldElem) bytesUnreduced() [32]byte {
	var b [32]byte
	for i := range 4 {
		binary.BigEndian.PutUint64(b[24-8*i:], z[i])
	}
	return b
}

func BenchmarkFieldMul(b *testing.B) {
	rng := rand.New(rand.NewPCG(14, 23))
	x, y := randomFieldValue(rng), randomFieldValue(rng)
	for b.Loop() {
		x.mul(&x, &y)
	}
}

func BenchmarkFieldSquare(b *testing.B) {
	rng := rand.New(rand.NewPCG(14, 23))
	x := randomFieldValue(rng)
	for b.Loop() {
		x.square(&x)
	}
}
