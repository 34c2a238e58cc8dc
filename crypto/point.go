package crypto

import "github.com/btcsuite/btcd/btcec/v2"

// Point arithmetic on secp256k1 (y^2 = x^3 + 7, so a = 0) over fieldElem,
// for the fixed-base path: the sum of table points that verification
// needs, a mixed addition per point, with the rare doubling. Every
// special case is handled exactly (point_test.go compares with btcec),
// since verification must give btcec's answer for every input.

// affinePoint is a point (x, y) of the curve, never the point at infinity.
type affinePoint struct {
	x, y fieldElem
}

// jacobianPoint is (x/z^2, y/z^3); z = 0 (mod P) is the point at infinity.
// The zero value is the point at infinity.
type jacobianPoint struct {
	x, y, z fieldElem
}

var fieldOne = fieldElem{1}

// isInfinity tells whether p is the point at infinity.
func (p *jacobianPoint) isInfinity() bool { return p.z.isZero() }

// addAffine sets p = p + q, with madd-2007-bl (7 multiplications, 4
// squarings) for distinct points, q if p is at infinity, the doubling
// if p = q and the point at infinity if p = -q.
func (p *jacobianPoint) addAffine(q *affinePoint) {
	if p.isInfinity() {
		p.x, p.y, p.z = q.x, q.y, fieldOne
		return
	}
	var z1z1, u2, s2, h, rr fieldElem
	z1z1.square(&p.z)
	u2.mul(&q.x, &z1z1)
	s2.mul(&q.y, &p.z).mul(&s2, &z1z1)
	h.sub(&u2, &p.x)
	rr.sub(&s2, &p.y)
	if h.isZero() {
		// Same x: p = q or p = -q.
		if rr.isZero() {
			p.double()
		} else {
			*p = jacobianPoint{}
		}
		return
	}
	var hh, i, j, v, t fieldElem
	hh.square(&h)
	i.double(&hh).double(&i) // 4 h^2
	j.mul(&h, &i)
	rr.double(&rr)
	v.mul(&p.x, &i)
	// x3 = r^2 - j - 2v
	var x3 fieldElem
	x3.square(&rr).sub(&x3, &j).sub(&x3, t.double(&v))
	// y3 = r (v - x3) - 2 y1 j
	var y3 fieldElem
	y3.mul(&rr, v.sub(&v, &x3))
	t.mul(&p.y, &j).double(&t)
	y3.sub(&y3, &t)
	// z3 = (z1 + h)^2 - z1z1 - hh
	p.z.add(&p.z, &h).square(&p.z).sub(&p.z, &z1z1).sub(&p.z, &hh)
	p.x, p.y = x3, y3
}

// double sets p = 2p with dbl-2009-l (2 multiplications, 5 squarings).
// The point at infinity stays there (z3 = 2 y1 z1 = 0); no point of the
// curve has y = 0, so no other point goes there.
func (p *jacobianPoint) double() {
	var a, b, c, d, e, f, t fieldElem
	a.square(&p.x)
	b.square(&p.y)
	c.square(&b)
	// d = 2 ((x1 + b)^2 - a - c)
	d.add(&p.x, &b).square(&d).sub(&d, &a).sub(&d, &c).double(&d)
	e.double(&a).add(&e, &a)
	f.square(&e)
	// z3 = 2 y1 z1, before y1 is overwritten.
	p.z.mul(&p.y, &p.z).double(&p.z)
	// x3 = f - 2d
	p.x.sub(&f, t.double(&d))
	// y3 = e (d - x3) - 8c
	t.sub(&d, &p.x)
	p.y.mul(&e, &t)
	c.double(&c).double(&c).double(&c)
	p.y.sub(&p.y, &c)
}

// setJacobian sets p to btcec's q.
func (p *jacobianPoint) setJacobian(q *btcec.JacobianPoint) {
	p.x.setFieldVal(&q.X)
	p.y.setFieldVal(&q.Y)
	p.z.setFieldVal(&q.Z)
}
