package crypto

import (
	"fmt"
	"math/big"
	"math/rand/v2"
	"sync"
	"testing"
	"unsafe"

	"github.com/btcsuite/btcd/btcec/v2"
)

// The fixed-base path (fixedbase.go, tablecache.go) must answer exactly
// as btcec. These tests check its parts against btcec's arithmetic (the
// constants, the split of a scalar, its digits, every table entry, sums
// of extreme digits), its verification on crafted edge cases, and, in
// TestFastVerifyMatchesReference, the whole path as the ledger calls it
// against the reference over the generated cases of differential_test.go.

// TestFastVerifyMatchesReference is the differential test of the table
// path: every case goes through a KeyCache that builds a key's table
// before its first verification, so every signature that reaches the backend
// is verified with a table. TALLY_DIFF_N and TALLY_DIFF_SEED as for
// TestVerifierMatchesReference:
//
//	TALLY_DIFF_N=5000000 go test -run TestFastVerifyMatchesReference -timeout 4h ./crypto/
//
// Run so on the 64-bit field arithmetic and G's table (seed 14): 5,000,000
// cases, 1,096,589 tables built, no disagreement.
func TestFastVerifyMatchesReference(t *testing.T) {
	if VerifierBackend != "btcec" {
		t.Skip("fixed-base tables are for the btcec backend")
	}
	var mu sync.Mutex
	var caches []*KeyCache
	runDifferential(t, diffCount(t, 100_000), diffSeed(t), func() *KeyCache {
		// 28 MiB of tables: the generator's pool keys keep theirs
		// a while among the fresh keys of other cases.
		c := NewKeyCacheWithTables(512, 512*TableBytes)
		c.tables.after = 0 // every key verifies with a table
		mu.Lock()
		caches = append(caches, c)
		mu.Unlock()
		return c
	})
	var builds int64
	for _, c := range caches {
		builds += c.tables.builds.Load()
	}
	if builds == 0 {
		t.Fatal("no table was built: the table path was not tested")
	}
	t.Logf("%d tables built", builds)
}

// TestEndomorphismConstants checks that λ and β are cube roots of one
// that belong together: λ G = (β Gx, Gy).
func TestEndomorphismConstants(t *testing.T) {
	lambda := new(big.Int).SetBytes(scalarBytes(&endoLambda))
	if new(big.Int).Exp(lambda, big.NewInt(3), curveN).Cmp(big.NewInt(1)) != 0 || lambda.Cmp(big.NewInt(1)) == 0 {
		t.Fatal("λ is not a non-trivial cube root of 1 modulo N")
	}
	betaBytes := endoBeta.bytes()
	beta := new(big.Int).SetBytes(betaBytes[:])
	if new(big.Int).Exp(beta, big.NewInt(3), curveP).Cmp(big.NewInt(1)) != 0 || beta.Cmp(big.NewInt(1)) == 0 {
		t.Fatal("β is not a non-trivial cube root of 1 modulo P")
	}
	var g, lg btcec.JacobianPoint
	btcec.GeneratorJacobian(&g)
	btcec.ScalarBaseMultNonConst(&endoLambda, &lg)
	lg.ToAffine()
	var gx, bx fieldElem
	gx.setFieldVal(&g.X)
	bx.mul(&gx, &endoBeta)
	if want := lg.X.Bytes(); bx.bytes() != *want || !g.Y.Equals(&lg.Y) {
		t.Fatal("λ G is not (β Gx, Gy): λ and β do not belong together")
	}
}

func scalarBytes(s *btcec.ModNScalar) []byte {
	b := s.Bytes()
	return b[:]
}

// interestingScalars are scalars at the borders: small, near N and N/2,
// λ and its negation, powers of two around the 128 bits of a half.
func interestingScalars() []btcec.ModNScalar {
	one := big.NewInt(1)
	two128 := new(big.Int).Lsh(one, 128)
	var out []btcec.ModNScalar
	for _, v := range []*big.Int{
		one, big.NewInt(2), big.NewInt(3), big.NewInt(63), big.NewInt(64),
		new(big.Int).Sub(curveN, one), new(big.Int).Sub(curveN, big.NewInt(2)),
		halfN, new(big.Int).Add(halfN, one),
		new(big.Int).SetBytes(scalarBytes(&endoLambda)),
		new(big.Int).Sub(curveN, new(big.Int).SetBytes(scalarBytes(&endoLambda))),
		new(big.Int).Sub(two128, one), two128, new(big.Int).Add(two128, one),
		new(big.Int).Lsh(one, 255), new(big.Int).Sub(new(big.Int).Lsh(one, 256), one),
		new(big.Int).Sub(curveP, one),
	} {
		out = append(out, scalarFromBig(v))
	}
	return out
}

// TestSplitScalar checks k = k1 + k2 λ and that both halves fit the
// windows of the key tables and of G's, on the border scalars and on random ones.
func TestSplitScalar(t *testing.T) {
	rng := rand.New(rand.NewPCG(14, 3))
	scalars := interestingScalars()
	for range 20_000 {
		scalars = append(scalars, randScalar(rng))
	}
	bound := new(big.Int).Lsh(big.NewInt(1), 128)
	lambda := new(big.Int).SetBytes(scalarBytes(&endoLambda))
	for _, k := range scalars {
		k1, k2 := splitScalar(&k)
		sum := new(big.Int).Mul(new(big.Int).SetBytes(scalarBytes(&k2)), lambda)
		sum.Add(sum, new(big.Int).SetBytes(scalarBytes(&k1))).Mod(sum, curveN)
		if sum.Cmp(new(big.Int).SetBytes(scalarBytes(&k))) != 0 {
			t.Fatalf("k %x: k1 %x + k2 %x λ != k", scalarBytes(&k), scalarBytes(&k1), scalarBytes(&k2))
		}
		for _, h := range []btcec.ModNScalar{k1, k2} {
			if h.IsOverHalfOrder() {
				h.Negate()
			}
			var d [tableWindows]int16
			var dg [gWindows]int16
			if new(big.Int).SetBytes(scalarBytes(&h)).Cmp(bound) >= 0 || !signedDigits(&h, tableWindowBits, d[:]) || !signedDigits(&h, gWindowBits, dg[:]) {
				t.Fatalf("k %x: half %x is not below 2^128", scalarBytes(&k), scalarBytes(&h))
			}
		}
	}
}

// TestSignedDigits checks, for the widths of the key tables and of G's
// table, the digits of values whose windows are all at an extreme, and
// that values above the table's reach are refused.
func TestSignedDigits(t *testing.T) {
	for _, width := range []struct{ w, windows int }{{tableWindowBits, tableWindows}, {gWindowBits, gWindows}} {
		w, windows := width.w, width.windows
		half := int64(1) << (w - 1)
		pattern := func(window int64) *big.Int { // every window = window
			v := new(big.Int)
			for range windows {
				v.Lsh(v, uint(w)).Or(v, big.NewInt(window))
			}
			return v
		}
		one := big.NewInt(1)
		reach := uint(w * windows)
		values := []*big.Int{
			new(big.Int), one, big.NewInt(half), big.NewInt(half + 1), big.NewInt(2*half - 1), big.NewInt(2 * half),
			pattern(half), pattern(half - 1), pattern(half + 1), pattern(1),
			pattern(2*half - 1), // 2^reach - 1: every window carries, the last one out
			new(big.Int).Sub(new(big.Int).Lsh(one, 128), one), // all ones: -1 digits and carries
			new(big.Int).Lsh(one, 128),
			new(big.Int).Sub(new(big.Int).Lsh(one, reach-1), one),
			new(big.Int).Lsh(one, reach-1),
			new(big.Int).Lsh(one, reach),
			new(big.Int).Lsh(one, 200),
			new(big.Int).Sub(curveN, one),
		}
		for _, v := range values {
			k := scalarFromBig(v)
			d := make([]int16, windows)
			// The same recoding in math/big: take the low window, as a
			// digit above half less 2^w, subtract it, shift; it fits if
			// nothing is left after the last window.
			rest := new(big.Int).Set(v)
			for range windows {
				digit := new(big.Int).And(rest, big.NewInt(2*half-1))
				if digit.Int64() > half {
					digit.Sub(digit, big.NewInt(2*half))
				}
				rest.Sub(rest, digit).Rsh(rest, uint(w))
			}
			if ok, want := signedDigits(&k, w, d), rest.Sign() == 0; ok != want {
				t.Fatalf("w %d: %x: fits %v, want %v", w, v, ok, want)
			} else if !ok {
				continue
			}
			sum := new(big.Int)
			for j := windows - 1; j >= 0; j-- {
				if int64(d[j]) < -(half-1) || int64(d[j]) > half {
					t.Fatalf("w %d: %x: digit %d is %d, outside [%d, %d]", w, v, j, d[j], -(half - 1), half)
				}
				sum.Lsh(sum, uint(w)).Add(sum, big.NewInt(int64(d[j])))
			}
			if sum.Cmp(v) != 0 {
				t.Fatalf("w %d: %x: digits %v sum to %x", w, v, d, sum)
			}
		}
	}
}

// testKeys are public keys with small discrete logs (1, 2, 3, N-1, N-2:
// G, 2G, 3G, -G, -2G) and random ones, as affine points.
func testKeys(rng *rand.Rand) []btcec.JacobianPoint {
	var keys []btcec.JacobianPoint
	for _, d := range []*big.Int{
		big.NewInt(1), big.NewInt(2), big.NewInt(3),
		new(big.Int).Sub(curveN, big.NewInt(1)), new(big.Int).Sub(curveN, big.NewInt(2)),
	} {
		k := scalarFromBig(d)
		var q btcec.JacobianPoint
		btcec.ScalarBaseMultNonConst(&k, &q)
		q.ToAffine()
		keys = append(keys, q)
	}
	for range 3 {
		k := randScalar(rng)
		var q btcec.JacobianPoint
		btcec.ScalarBaseMultNonConst(&k, &q)
		q.ToAffine()
		keys = append(keys, q)
	}
	return keys
}

// tableUnderTest is a multiples table as verification reads it: the
// table of a key, or G's.
type tableUnderTest struct {
	name       string
	q          btcec.JacobianPoint
	points     []affinePoint
	w, windows int
}

// testTables are the tables of testKeys and G's table.
func testTables(rng *rand.Rand) []tableUnderTest {
	var out []tableUnderTest
	for _, q := range testKeys(rng) {
		out = append(out, tableUnderTest{fmt.Sprintf("key %x", q.X.Bytes()[:]), q, newKeyTable(&q).points[:], tableWindowBits, tableWindows})
	}
	var g btcec.JacobianPoint
	btcec.GeneratorJacobian(&g)
	return append(out, tableUnderTest{"G", g, gTable(), gWindowBits, gWindows})
}

// TestKeyTableEntries checks every entry of the tables of G, -G, a
// random key and of G's own table against btcec's scalar multiplication,
// and a table's size.
func TestKeyTableEntries(t *testing.T) {
	if size := unsafe.Sizeof(keyTable{}); size < TableBytes || size > TableBytes+256 {
		t.Fatalf("a table takes %d bytes, TableBytes says %d", size, TableBytes)
	}
	if len(gTable()) != gPoints {
		t.Fatalf("G's table has %d points, want %d", len(gTable()), gPoints)
	}
	rng := rand.New(rand.NewPCG(14, 4))
	tables := testTables(rng)
	for _, tab := range []tableUnderTest{tables[0], tables[3], tables[len(tables)-2], tables[len(tables)-1]} {
		digits := 1 << (tab.w - 1)
		if len(tab.points) != digits*tab.windows {
			t.Fatalf("%s: %d points, want %d", tab.name, len(tab.points), digits*tab.windows)
		}
		for j := range tab.windows {
			for m := 1; m <= digits; m++ {
				k := scalarFromBig(new(big.Int).Lsh(big.NewInt(int64(m)), uint(tab.w*j)))
				var want btcec.JacobianPoint
				btcec.ScalarMultNonConst(&k, &tab.q, &want)
				want.ToAffine()
				p := &tab.points[j*digits+m-1]
				if p.x.bytes() != *want.X.Bytes() || p.y.bytes() != *want.Y.Bytes() {
					t.Fatalf("%s: entry %d 2^(%d*%d) differs from btcec", tab.name, m, tab.w, j)
				}
			}
		}
	}
}

// TestKeyTableDigitExtremes sums digit vectors at the extremes (all
// zero, all the highest digit, all the lowest, -1, alternating, one digit
// at either end) with either sign on either half, for the key tables and
// G's table, and compares with btcec's k Q.
func TestKeyTableDigitExtremes(t *testing.T) {
	rng := rand.New(rand.NewPCG(14, 5))
	lambda := new(big.Int).SetBytes(scalarBytes(&endoLambda))
	tested := 0
	for _, tab := range testTables(rng) {
		hi := int16(1) << (tab.w - 1) // the highest digit; the lowest is 1 - hi
		var vectors [][]int16
		fill := func(f func(j int) int16) {
			d := make([]int16, tab.windows)
			for j := range d {
				d[j] = f(j)
			}
			vectors = append(vectors, d)
		}
		fill(func(int) int16 { return 0 })
		fill(func(int) int16 { return hi })
		fill(func(int) int16 { return 1 - hi })
		fill(func(int) int16 { return -1 })
		fill(func(j int) int16 { return [2]int16{hi, 1 - hi}[j%2] })
		fill(func(j int) int16 { return [2]int16{hi, 0}[j%2] })
		fill(func(j int) int16 { return map[bool]int16{true: hi}[j == 0] })
		fill(func(j int) int16 { return map[bool]int16{true: 1 - hi}[j == tab.windows-1] })
		fill(func(j int) int16 { return int16(j%int(2*hi)) - (hi - 1) })
		value := func(d []int16, neg bool) *big.Int {
			v := new(big.Int)
			for j := len(d) - 1; j >= 0; j-- {
				v.Lsh(v, uint(tab.w)).Add(v, big.NewInt(int64(d[j])))
			}
			if neg {
				v.Neg(v)
			}
			return v
		}
		for _, d1 := range vectors {
			for _, d2 := range vectors {
				for signs := range 4 {
					neg1, neg2 := signs&1 == 1, signs&2 == 2
					k := value(d1, neg1)
					k.Add(k, new(big.Int).Mul(value(d2, neg2), lambda)).Mod(k, curveN)
					ks := scalarFromBig(k)
					var want btcec.JacobianPoint
					btcec.ScalarMultNonConst(&ks, &tab.q, &want)
					var acc jacobianPoint
					addDigits(&acc, tab.points, tab.w, d1, neg1, false)
					addDigits(&acc, tab.points, tab.w, d2, neg2, true)
					if got := acc.jacobian(); !samePoint(&want, &got) {
						t.Fatalf("%s, digits %v (neg %v) and %v (neg %v): table sum differs from btcec", tab.name, d1, neg1, d2, neg2)
					}
					tested++
				}
			}
		}
	}
	t.Logf("%d digit sums agree with btcec", tested)
}

// samePoint tells whether two normalized Jacobian points are the same,
// the point at infinity included, comparing affine x and y.
// (btcec's EquivalentNonConst is no test of a point under test: it adds
// the two, which for a wrong y with the right x gives infinity, taken for
// a match.)
func samePoint(a, b *btcec.JacobianPoint) bool {
	if isInfinity(a) || isInfinity(b) {
		return isInfinity(a) && isInfinity(b)
	}
	p, q := *a, *b
	p.ToAffine()
	q.ToAffine()
	return p.X.Normalize().Equals(q.X.Normalize()) && p.Y.Normalize().Equals(q.Y.Normalize())
}

// TestKeyTableMulMatchesBtcec compares k Q through the table with btcec
// on the border scalars and random ones, for keys with small discrete
// logs, random keys and G (G's table).
func TestKeyTableMulMatchesBtcec(t *testing.T) {
	rng := rand.New(rand.NewPCG(14, 6))
	scalars := interestingScalars()
	for range 100 {
		scalars = append(scalars, randScalar(rng))
	}
	for _, tab := range testTables(rng) {
		for _, k := range scalars {
			var want btcec.JacobianPoint
			btcec.ScalarMultNonConst(&k, &tab.q, &want)
			var acc jacobianPoint
			if !addScalarMul(&acc, tab.points, tab.w, tab.windows, &k) {
				t.Fatalf("%s, k %x: a half does not fit the table", tab.name, scalarBytes(&k))
			}
			if got := acc.jacobian(); !samePoint(&want, &got) {
				t.Fatalf("%s, k %x: table differs from btcec", tab.name, scalarBytes(&k))
			}
		}
	}
}

// TestFastVerifyEdgeCases compares verification with a table, and
// without one (variable base, varbase.go), against btcec's on crafted
// signatures: hashes that are 0 or at least N, R.x >=
// N, r >= P - N (r + N past P), u1 G = u2 Q (a doubling), u1 G = -u2 Q
// (infinity), s at the edges of its inverse (1, 2, (N+1)/2, N/2, N-1),
// keys G, -G, 2G and others with small discrete logs, and r and s at
// their edges (0, N, above N: both sides reduce or refuse alike).
func TestFastVerifyEdgeCases(t *testing.T) {
	rng := rand.New(rand.NewPCG(14, 7))
	hashes := [][32]byte{
		{},
		[32]byte(scalar32(big.NewInt(1))),
		[32]byte(scalar32(new(big.Int).Sub(curveN, big.NewInt(1)))),
		[32]byte(scalar32(curveN)), // e = 0 too
		[32]byte(scalar32(new(big.Int).Add(curveN, big.NewInt(1)))),
		[32]byte(scalar32(curveP)),
		[32]byte(scalar32(new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 256), big.NewInt(1)))),
	}
	for range 4 {
		hashes = append(hashes, [32]byte(randBytes(rng, 32)))
	}
	var accepted, refused int
	check := func(what string, q *btcec.JacobianPoint, tab *keyTable, hash *[32]byte, sig []byte, want *bool) {
		t.Helper()
		pub := btcec.NewPublicKey(&q.X, &q.Y)
		s := [SignatureSize]byte(sig)
		ref := verifyBtcec(pub, hash, &s)
		if got := tab.verifyHash(hash, &s); got != ref {
			t.Fatalf("%s: hash %x, pub %x, sig %x: table says %v, btcec %v", what, hash[:], pub.SerializeCompressed(), sig, got, ref)
		}
		var aq affinePoint
		aq.x.setFieldVal(&q.X)
		aq.y.setFieldVal(&q.Y)
		if got := verifyVarBase(&aq, pub, hash, &s); got != ref {
			t.Fatalf("%s: hash %x, pub %x, sig %x: no-table path says %v, btcec %v", what, hash[:], pub.SerializeCompressed(), sig, got, ref)
		}
		if want != nil && *want != ref {
			t.Fatalf("%s: hash %x, pub %x, sig %x: btcec says %v, built to give %v", what, hash[:], pub.SerializeCompressed(), sig, ref, *want)
		}
		if ref {
			accepted++
		} else {
			refused++
		}
	}
	yes, no := true, false

	// Keys crafted for a signature, for every kind, with s random and
	// with s whose inverse is at an edge: 1 (inverse 1), 2 (inverse
	// (N+1)/2), (N+1)/2 (inverse 2), N/2, N-1 (inverse N-1, a high S the
	// rules refuse before a backend, which accepts it).
	sEdges := []btcec.ModNScalar{
		scalarFromBig(big.NewInt(1)), scalarFromBig(big.NewInt(2)),
		scalarFromBig(new(big.Int).Add(halfN, big.NewInt(1))), scalarFromBig(halfN),
		scalarFromBig(new(big.Int).Sub(curveN, big.NewInt(1))),
	}
	for _, hash := range hashes {
		var e btcec.ModNScalar
		e.SetBytes(&hash)
		for _, kind := range []string{"random R", "R.x >= N", "R.x >= N unreduced", "r + N >= P", "doubling", "infinity"} {
			for _, s := range append([]btcec.ModNScalar{randScalar(rng)}, sEdges...) {
				pub, sig, valid := craftSignatureWithS(rng, &e, kind, s)
				if pub == nil {
					continue // a zero hash leaves some kinds without a key
				}
				key, err := btcec.ParsePubKey(pub)
				if err != nil {
					t.Fatalf("%s: crafted key %x does not parse", kind, pub)
				}
				var q btcec.JacobianPoint
				key.AsJacobian(&q)
				tab := newKeyTable(&q)
				// The unreduced r >= N is reduced by both sides, which
				// then verify it: the rules refuse it before a backend.
				check("crafted "+kind, &q, tab, &hash, sig, map[bool]*bool{true: &yes, false: nil}[valid])
				for _, edge := range edgeScalars {
					for half := range 2 {
						mutated := append([]byte(nil), sig...)
						copy(mutated[32*half:], edge)
						check("crafted "+kind+" with edge r or s", &q, tab, &hash, mutated, nil)
					}
				}
			}
		}
	}

	// Keys with small discrete logs (and random ones), signed with a
	// nonce; with u1 G = -u2 Q; with a zero hash.
	for i, q := range testKeys(rng) {
		tab := newKeyTable(&q)
		d := []*big.Int{big.NewInt(1), big.NewInt(2), big.NewInt(3), new(big.Int).Sub(curveN, big.NewInt(1)), new(big.Int).Sub(curveN, big.NewInt(2))}
		if i >= len(d) {
			continue // random key: its discrete log is not kept
		}
		priv := scalarFromBig(d[i])
		for _, hash := range hashes {
			var e btcec.ModNScalar
			e.SetBytes(&hash)
			// A signature by the key: s = k^-1 (e + r d).
			k := randScalar(rng)
			var R btcec.JacobianPoint
			btcec.ScalarBaseMultNonConst(&k, &R)
			R.ToAffine()
			var r btcec.ModNScalar
			r.SetBytes(R.X.Bytes())
			s := new(btcec.ModNScalar).Mul2(&r, &priv)
			s.Add(&e).Mul(new(btcec.ModNScalar).InverseValNonConst(&k))
			if !s.IsZero() {
				check(fmt.Sprintf("key %dG signed", i), &q, tab, &hash, sigBytes(&r, s), &yes)
				neg := *s
				neg.Negate() // high S: btcec accepts it too
				check(fmt.Sprintf("key %dG signed, high S", i), &q, tab, &hash, sigBytes(&r, &neg), &yes)
			}
			// u1 G + u2 Q = (e + r d)/s G = 0 when e = -r d: choose r,
			// derive the hash.
			r = randScalar(rng)
			cancel := new(btcec.ModNScalar).Mul2(&r, &priv)
			cancel.Negate()
			cancelHash := cancel.Bytes()
			sr := randScalar(rng)
			check(fmt.Sprintf("key %dG, u1 G = -u2 Q", i), &q, tab, &cancelHash, sigBytes(&r, &sr), &no)
		}
	}
	if accepted == 0 || refused == 0 {
		t.Fatalf("%d accepted, %d refused: the cases do not cover both answers", accepted, refused)
	}
	t.Logf("%d accepted, %d refused: the table and no-table paths agree with btcec", accepted, refused)
}

func sigBytes(r, s *btcec.ModNScalar) []byte {
	rb, sb := r.Bytes(), s.Bytes()
	return append(rb[:], sb[:]...)
}

// TestTableBuiltOnceConcurrently verifies with one key from many
// goroutines (run with -race): the table is built once, after
// tableAfterUses valid signatures, and every answer is right.
func TestTableBuiltOnceConcurrently(t *testing.T) {
	if VerifierBackend != "btcec" {
		t.Skip("fixed-base tables are for the btcec backend")
	}
	c := NewKeyCache(16)
	k := testKey(t, "c0ffee")
	pub := k.PubKey()
	msgs := make([][]byte, 8)
	sigs := make([]Signature, len(msgs))
	for i := range msgs {
		msgs[i] = []byte{byte(i)}
		sigs[i] = k.Sign(msgs[i])
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 30 {
				vk, err := c.VerifyingKey(pub[:])
				if err != nil {
					t.Error(err)
					return
				}
				m := (g + i) % len(msgs)
				if err := vk.Verify(msgs[m], sigs[m][:]); err != nil {
					t.Errorf("valid signature refused: %v", err)
					return
				}
				if err := vk.Verify(msgs[(m+1)%len(msgs)], sigs[m][:]); err == nil {
					t.Error("signature over another message accepted")
					return
				}
			}
		}()
	}
	wg.Wait()
	if b := c.tables.builds.Load(); b != 1 {
		t.Fatalf("table built %d times, want once", b)
	}
	if n := c.Tables(); n != 1 {
		t.Fatalf("%d tables held, want 1", n)
	}
}

// TestTableAfterValidSignatures checks when a key gets its table:
// signatures that do not verify never count, tableAfterUses valid ones
// do, and the next verification builds it.
func TestTableAfterValidSignatures(t *testing.T) {
	if VerifierBackend != "btcec" {
		t.Skip("fixed-base tables are for the btcec backend")
	}
	c := NewKeyCache(16)
	k := testKey(t, "c0ffee")
	pub := k.PubKey()
	msg := []byte("m")
	sig := k.Sign(msg)
	vk, err := c.VerifyingKey(pub[:])
	if err != nil {
		t.Fatal(err)
	}
	for range 20 {
		if vk.Verify([]byte("other"), sig[:]) == nil {
			t.Fatal("signature over another message accepted")
		}
	}
	for i := range tableAfterUses + 2 {
		if c.tables.builds.Load() != 0 && i <= tableAfterUses {
			t.Fatalf("table built after %d valid signatures (and 20 invalid), want %d", i, tableAfterUses)
		}
		if err := vk.Verify(msg, sig[:]); err != nil {
			t.Fatal(err)
		}
	}
	if b := c.tables.builds.Load(); b != 1 {
		t.Fatalf("%d tables built after %d valid signatures, want 1", b, tableAfterUses+2)
	}
}

// TestTablesChangeNoAnswer verifies the same generated cases through a
// cache that keeps tables (each key's after two valid signatures, so
// that tables come and go often) and through one that keeps none: the
// answers, errors included, are the same, and the table memory stays
// within its bound, keys dropping their tables and building them again.
func TestTablesChangeNoAnswer(t *testing.T) {
	if VerifierBackend != "btcec" {
		t.Skip("fixed-base tables are for the btcec backend")
	}
	gen := newCaseGen(t, 15)
	const bound = 4
	with := NewKeyCacheWithTables(64, bound*TableBytes)
	with.tables.after = 2
	without := NewKeyCacheWithTables(64, TableBytes-1)
	if without.tables != nil {
		t.Fatal("a table memory below one table keeps tables")
	}
	answer := func(c *KeyCache, d diffCase) string {
		vk, err := c.VerifyingKey(d.pub)
		if err != nil {
			return err.Error()
		}
		return fmt.Sprint(vk.Verify(d.msg, d.sig))
	}
	for i := range 3000 {
		d := gen.generate(i)
		if a, b := answer(with, d), answer(without, d); a != b {
			t.Fatalf("case %d (%s): with tables %q, without %q", i, d.kind, a, b)
		}
		if n := with.Tables(); n > bound {
			t.Fatalf("%d tables held, bound %d", n, bound)
		}
	}
	if b := with.tables.builds.Load(); b <= bound {
		t.Fatalf("%d tables built: the bound of %d was never reached", b, bound)
	}
	if without.Tables() != 0 {
		t.Fatal("tables held without table memory")
	}
	t.Logf("%d tables built, %d held", with.tables.builds.Load(), with.Tables())
}
