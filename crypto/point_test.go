package crypto

import (
	"encoding/binary"
	"math/rand/v2"
	"testing"

	"github.com/btcsuite/btcd/btcec/v2"
)

// randomJacobian returns k G for a random k in btcec's Jacobian form,
// with a random z (not 1) so that the point code meets general input,
// and the same point as an affine point.
func randomJacobian(rng *rand.Rand) (btcec.JacobianPoint, affinePoint) {
	k := randScalar(rng)
	var p btcec.JacobianPoint
	btcec.ScalarBaseMultNonConst(&k, &p)
	return rescaled(rng, &p)
}

// rescaled returns p with a random z, and p as an affine point.
func rescaled(rng *rand.Rand, p *btcec.JacobianPoint) (btcec.JacobianPoint, affinePoint) {
	a := *p
	a.ToAffine()
	var aff affinePoint
	aff.x.setFieldVal(&a.X)
	aff.y.setFieldVal(&a.Y)
	// (x z^2, y z^3, z) is the same point.
	var z, z2, z3 btcec.FieldVal
	zb := randBytes(rng, 32)
	z.SetByteSlice(zb)
	if z.IsZero() {
		z.SetInt(1)
	}
	z2.SquareVal(&z)
	z3.Mul2(&z2, &z)
	var out btcec.JacobianPoint
	out.X.Mul2(&a.X, &z2).Normalize()
	out.Y.Mul2(&a.Y, &z3).Normalize()
	out.Z.Set(&z).Normalize()
	return out, aff
}

// checkSame fails unless our point p and btcec's want are the same
// point, the point at infinity included.
func checkSame(t *testing.T, what string, p *jacobianPoint, want *btcec.JacobianPoint) {
	t.Helper()
	got := p.jacobian()
	if !samePoint(&got, want) {
		t.Fatalf("%s: %v differs from btcec's %v", what, got, *want)
	}
}

// TestAddAffineMatchesBtcec compares the mixed addition with btcec's
// AddNonConst on random points and on its special cases: the sum at
// infinity plus a point, p + p (a doubling), p + (-p) (infinity), each
// with p in Jacobian form with z = 1 and z != 1, and G + (-G), G + G.
func TestAddAffineMatchesBtcec(t *testing.T) {
	rng := rand.New(rand.NewPCG(14, 30))
	add := func(what string, pj *btcec.JacobianPoint, q *affinePoint) {
		t.Helper()
		var p jacobianPoint
		p.setJacobian(pj)
		qj := btcec.JacobianPoint{X: q.x.fieldVal(), Y: q.y.fieldVal()}
		qj.Z.SetInt(1)
		var want btcec.JacobianPoint
		btcec.AddNonConst(pj, &qj, &want)
		p.addAffine(q)
		checkSame(t, what, &p, &want)
	}
	for range 2000 {
		pj, _ := randomJacobian(rng)
		_, q := randomJacobian(rng)
		add("random", &pj, &q)
	}
	var g btcec.JacobianPoint
	btcec.GeneratorJacobian(&g)
	points := []btcec.JacobianPoint{g}
	for range 50 {
		p, _ := randomJacobian(rng)
		points = append(points, p)
	}
	for _, p := range points {
		pz, aff := rescaled(rng, &p)
		var neg affinePoint
		neg.x = aff.x
		neg.y.negate(&aff.y)

		// Infinity plus a point, in both of btcec's spellings of infinity.
		add("infinity + q", &btcec.JacobianPoint{}, &aff)
		var inf jacobianPoint
		inf.x, inf.y = aff.x, aff.y // z = 0: x and y do not matter
		inf.addAffine(&aff)
		checkSame(t, "infinity (x, y, 0) + q", &inf, &pz)

		// p + p and p + (-p), p with z = 1 and with z != 1.
		var one btcec.JacobianPoint
		one.X, one.Y = aff.x.fieldVal(), aff.y.fieldVal()
		one.Z.SetInt(1)
		for _, pj := range []btcec.JacobianPoint{one, pz} {
			add("p + p", &pj, &aff)
			add("p + (-p)", &pj, &neg)
			var acc jacobianPoint
			acc.setJacobian(&pj)
			acc.addAffine(&neg)
			if !acc.isInfinity() {
				t.Fatal("p + (-p) is not the point at infinity")
			}
			// And on from infinity: (p + (-p)) + p = p.
			acc.addAffine(&aff)
			checkSame(t, "p + (-p) + p", &acc, &pj)
		}
	}
}

// TestDoubleMatchesBtcec compares the doubling with btcec's
// DoubleNonConst on random points, G, and the point at infinity.
func TestDoubleMatchesBtcec(t *testing.T) {
	rng := rand.New(rand.NewPCG(14, 31))
	var g btcec.JacobianPoint
	btcec.GeneratorJacobian(&g)
	points := []btcec.JacobianPoint{g, {}}
	for range 2000 {
		p, _ := randomJacobian(rng)
		points = append(points, p)
	}
	for _, pj := range points {
		var p jacobianPoint
		p.setJacobian(&pj)
		var want btcec.JacobianPoint
		btcec.DoubleNonConst(&pj, &want)
		p.double()
		checkSame(t, "2p", &p, &want)
		// Twice more, from unreduced coordinates.
		btcec.DoubleNonConst(&want, &want)
		btcec.DoubleNonConst(&want, &want)
		p.double()
		p.double()
		checkSame(t, "8p", &p, &want)
	}
}

// TestAddAffineChains sums long random chains of points, some repeated
// and some negated so that the sum meets p, -p and infinity on the way,
// and compares with btcec's sum.
func TestAddAffineChains(t *testing.T) {
	rng := rand.New(rand.NewPCG(14, 32))
	for range 50 {
		var pool []affinePoint
		var poolJ []btcec.JacobianPoint
		for range 4 {
			pj, aff := randomJacobian(rng)
			pj.ToAffine()
			pool = append(pool, aff)
			poolJ = append(poolJ, pj)
		}
		var acc jacobianPoint
		var want btcec.JacobianPoint
		for range 200 {
			i := rng.IntN(len(pool))
			q, qj := pool[i], poolJ[i]
			if rng.IntN(2) == 0 {
				q.y.negate(&q.y)
				qj.Y.Negate(1).Normalize()
			}
			acc.addAffine(&q)
			btcec.AddNonConst(&want, &qj, &want)
			checkSame(t, "chain", &acc, &want)
		}
	}
}

func BenchmarkAddAffine(b *testing.B) {
	rng := rand.New(rand.NewPCG(14, 33))
	pj, _ := randomJacobian(rng)
	_, q := randomJacobian(rng)
	var p jacobianPoint
	p.setJacobian(&pj)
	for b.Loop() {
		p.addAffine(&q)
	}
}

// Conversions to btcec's forms, for comparing with it.

// fieldVal returns z as a normalized btcec FieldVal.
func (z *fieldElem) fieldVal() btcec.FieldVal {
	b := z.bytes()
	var f btcec.FieldVal
	f.SetBytes(&b)
	return f
}

// jacobian returns p in btcec's form.
func (p *jacobianPoint) jacobian() btcec.JacobianPoint {
	x, y, z := p.x.fieldVal(), p.y.fieldVal(), p.z.fieldVal()
	return btcec.MakeJacobianPoint(&x, &y, &z)
}

// bytes returns z below P as 32 big-endian bytes.
func (z *fieldElem) bytes() [32]byte {
	n := *z
	n.normalize()
	var b [32]byte
	for i := range 4 {
		binary.BigEndian.PutUint64(b[24-8*i:], n[i])
	}
	return b
}
