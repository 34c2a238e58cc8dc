package crypto

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"math/big"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcec/v2/ecdsa"
)

// curveN is the order of secp256k1, written out here rather than taken from
// the library under test.
var curveN = mustBig("fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141")

func mustBig(h string) *big.Int {
	n, ok := new(big.Int).SetString(h, 16)
	if !ok {
		panic("bad hex " + h)
	}
	return n
}

func mustHex(t testing.TB, h string) []byte {
	t.Helper()
	b, err := hex.DecodeString(h)
	if err != nil {
		t.Fatalf("bad hex %q: %v", h, err)
	}
	return b
}

// scalar32 renders n as 32 big-endian bytes.
func scalar32(n *big.Int) []byte {
	return n.FillBytes(make([]byte, 32))
}

// sigOf builds a 64-byte r||s from two integers.
func sigOf(r, s *big.Int) []byte {
	return append(scalar32(r), scalar32(s)...)
}

// testKey returns the private key with scalar d.
func testKey(t testing.TB, d string) *PrivKey {
	t.Helper()
	b := mustHex(t, d)
	k, err := PrivKeyFromBytes(append(make([]byte, 32-len(b)), b...))
	if err != nil {
		t.Fatalf("PrivKeyFromBytes(%s): %v", d, err)
	}
	return k
}

// RFC 6979 deterministic ECDSA over secp256k1 with SHA-256, in low-S form:
// the vectors published on bitcointalk (topic 285142) and reproduced by
// many libraries' test suites.
var rfc6979Vectors = []struct {
	priv, msg, sig string
}{
	{
		"01", "Satoshi Nakamoto",
		"934b1ea10a4b3c1757e2b0c017d0b6143ce3c9a7e6a4a49860d7a6ab210ee3d8" +
			"2442ce9d2b916064108014783e923ec36b49743e2ffa1c4496f01a512aafd9e5",
	},
	{
		"01", "All those moments will be lost in time, like tears in rain. Time to die...",
		"8600dbd41e348fe5c9465ab92d23e3db8b98b873beecd930736488696438cb6b" +
			"547fe64427496db33bf66019dacbf0039c04199abb0122918601db38a72cfc21",
	},
	{
		"fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364140", "Satoshi Nakamoto",
		"fd567d121db66e382991534ada77a6bd3106f0a1098c231e47993447cd6af2d0" +
			"6b39cd0eb1bc8603e159ef5c20a5c8ad685a45b06ce9bebed3f153d10d93bed5",
	},
	{
		"f8b8af8ce3c7cca5e300d33939540c10d45ce001b8f252bfbc57ba0342904181", "Alan Turing",
		"7063ae83e7f62bbb171798131b4a0564b956930092b33b07b395615d9ec7e15c" +
			"58dfcc1e00a35e1572f366ffe34ba0fc47db1e7189759b9fb233c5b05ab388ea",
	},
	{
		"e91671c46231f833a6406ccbea0e3e392c76c167bac1cb013f6f1013980455c2",
		"There is a computer disease that anybody who works with computers knows about." +
			" It's a very serious disease and it interferes completely with the work." +
			" The trouble with computers is that you 'play' with them!",
		"b552edd27580141f3b2a5463048cb7cd3e047b97c9f98076c32dbdf85a68718b" +
			"279fa72dd19bfae05577e06c7c0c1900c371fcd5893f7e1d56a37d30174671f6",
	},
}

func TestSignRFC6979Vectors(t *testing.T) {
	for _, v := range rfc6979Vectors {
		t.Run(v.msg[:10], func(t *testing.T) {
			k := testKey(t, v.priv)
			sig := k.Sign([]byte(v.msg))
			if got := hex.EncodeToString(sig[:]); got != v.sig {
				t.Fatalf("Sign = %s\nwant   %s", got, v.sig)
			}
			if again := k.Sign([]byte(v.msg)); again != sig {
				t.Fatalf("Sign is not deterministic: %x then %x", sig, again)
			}
			if err := k.PubKey().Verify([]byte(v.msg), sig[:]); err != nil {
				t.Fatalf("Verify of the published signature: %v", err)
			}
		})
	}
}

func TestPubKeyOfGenerator(t *testing.T) {
	// d = 1 gives the generator point G; its compressed form is part of the
	// curve's definition (SEC 2).
	const g = "0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798"
	pub := testKey(t, "01").PubKey()
	if pub.String() != g {
		t.Fatalf("PubKey(1) = %s, want %s", pub, g)
	}
}

func TestSignVerifyRoundTrip(t *testing.T) {
	keys := []string{
		"01",
		"02",
		"fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364140", // N-1
		"7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0", // N/2
		"c0ffee",
	}
	msgs := [][]byte{nil, {}, {0}, []byte("transfer 5 TALLY"), bytes.Repeat([]byte{0xab}, 10_000)}
	for _, d := range keys {
		k := testKey(t, d)
		pub := k.PubKey()
		for _, m := range msgs {
			sig := k.Sign(m)
			if err := pub.Verify(m, sig[:]); err != nil {
				t.Errorf("key %s msg %d bytes: Verify: %v", d, len(m), err)
			}
			if s := new(big.Int).SetBytes(sig[32:]); s.Cmp(new(big.Int).Rsh(curveN, 1)) > 0 {
				t.Errorf("key %s msg %d bytes: Sign produced high S %x", d, len(m), sig[32:])
			}
		}
	}
}

func TestSignAlwaysLowS(t *testing.T) {
	half := new(big.Int).Rsh(curveN, 1)
	k := testKey(t, "5eed")
	for i := 0; i < 300; i++ {
		msg := []byte{byte(i), byte(i >> 8)}
		sig := k.Sign(msg)
		if new(big.Int).SetBytes(sig[32:]).Cmp(half) > 0 {
			t.Fatalf("message %d: high S", i)
		}
	}
}

func TestVerifyRejects(t *testing.T) {
	k := testKey(t, "c0ffee")
	pub := k.PubKey()
	msg := []byte("pay bob 10")
	sig := k.Sign(msg)
	r := new(big.Int).SetBytes(sig[:32])
	s := new(big.Int).SetBytes(sig[32:])
	half := new(big.Int).Rsh(curveN, 1) // (N-1)/2: the largest low S
	one := big.NewInt(1)

	other := testKey(t, "beef").PubKey()
	flipped := sig
	flipped[10] ^= 0x01

	tests := []struct {
		name string
		pub  PubKey
		msg  []byte
		sig  []byte
		want error
	}{
		{"valid", pub, msg, sig[:], nil},
		{"high S (N - s)", pub, msg, sigOf(r, new(big.Int).Sub(curveN, s)), ErrHighS},
		{"S just over half", pub, msg, sigOf(r, new(big.Int).Add(half, one)), ErrHighS},
		{"S at half is low but wrong", pub, msg, sigOf(r, half), ErrBadSignature},
		{"r zero", pub, msg, sigOf(big.NewInt(0), s), ErrBadSignature},
		{"s zero", pub, msg, sigOf(r, big.NewInt(0)), ErrBadSignature},
		{"r = N", pub, msg, sigOf(curveN, s), ErrBadSignature},
		{"s = N", pub, msg, sigOf(r, curveN), ErrBadSignature},
		{"r = N + 1", pub, msg, sigOf(new(big.Int).Add(curveN, one), s), ErrBadSignature},
		{"r all ones", pub, msg, append(bytes.Repeat([]byte{0xff}, 32), sig[32:]...), ErrBadSignature},
		{"empty signature", pub, msg, nil, ErrBadSignature},
		{"63 bytes", pub, msg, sig[:63], ErrBadSignature},
		{"65 bytes", pub, msg, append(sig[:], 0), ErrBadSignature},
		{"tampered message", pub, []byte("pay bob 11"), sig[:], ErrBadSignature},
		{"message with extra byte", pub, append([]byte("pay bob 10"), 0), sig[:], ErrBadSignature},
		{"empty message", pub, nil, sig[:], ErrBadSignature},
		{"flipped signature bit", pub, msg, flipped[:], ErrBadSignature},
		{"other key", other, msg, sig[:], ErrBadSignature},
		{"zero public key", PubKey{}, msg, sig[:], ErrBadPubKey},
		{"off-curve public key", offCurvePubKey(t), msg, sig[:], ErrBadPubKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.pub.Verify(tt.msg, tt.sig)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Verify = %v, want nil", err)
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("Verify = %v, want %v", err, tt.want)
			}
		})
	}
}

// TestHighSIsOtherwiseValid shows that the mirror signature (r, N-s) would
// pass plain ECDSA, so that its rejection is the low-S rule at work.
func TestHighSIsOtherwiseValid(t *testing.T) {
	k := testKey(t, "c0ffee")
	msg := []byte("malleable?")
	sig := k.Sign(msg)
	s := new(big.Int).SetBytes(sig[32:])
	high := sigOf(new(big.Int).SetBytes(sig[:32]), new(big.Int).Sub(curveN, s))

	var rs, ss btcec.ModNScalar
	rs.SetByteSlice(high[:32])
	ss.SetByteSlice(high[32:])
	pk := k.PubKey()
	pub, err := btcec.ParsePubKey(pk[:])
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.Sum256(msg)
	if !ecdsa.NewSignature(&rs, &ss).Verify(h[:], pub) {
		t.Fatal("the mirrored signature should be valid plain ECDSA")
	}
	if err := k.PubKey().Verify(msg, high); !errors.Is(err, ErrHighS) {
		t.Fatalf("Verify(high S) = %v, want ErrHighS", err)
	}
}

// offCurvePubKey is a compressed key whose x has no y on the curve:
// 5^3 + 7 = 132 is not a square modulo p.
func offCurvePubKey(t testing.TB) PubKey {
	var p PubKey
	p[0] = 0x02
	p[32] = 5
	return p
}

func TestParsePubKey(t *testing.T) {
	k := testKey(t, "c0ffee")
	good := k.PubKey()
	uncompressed := k.key.PubKey().SerializeUncompressed()
	p := mustHex(t, "fffffffffffffffffffffffffffffffffffffffffffffffffffffffefffffc2f") // the field prime

	tests := []struct {
		name string
		in   []byte
		ok   bool
	}{
		{"compressed", good[:], true},
		{"generator 02", mustHex(t, "0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798"), true},
		{"generator with odd prefix", mustHex(t, "0379be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798"), true},
		{"empty", nil, false},
		{"32 bytes", good[1:], false},
		{"34 bytes", append(good[:], 0), false},
		{"uncompressed 65 bytes", uncompressed, false},
		{"hybrid prefix 06", append([]byte{0x06}, uncompressed[1:]...), false},
		{"prefix 04 with 33 bytes", append([]byte{0x04}, good[1:]...), false},
		{"prefix 00", append([]byte{0x00}, good[1:]...), false},
		{"x not on curve", mustHex(t, "02"+strings.Repeat("00", 31)+"05"), false},
		{"x = 0 (not on curve)", mustHex(t, "02"+strings.Repeat("00", 32)), false},
		{"x = p", append([]byte{0x02}, p...), false},
		{"x all ones", append([]byte{0x03}, bytes.Repeat([]byte{0xff}, 32)...), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParsePubKey(tt.in)
			if tt.ok {
				if err != nil {
					t.Fatalf("ParsePubKey = %v, want ok", err)
				}
				if !bytes.Equal(got[:], tt.in) {
					t.Fatalf("ParsePubKey = %x, want %x", got, tt.in)
				}
				return
			}
			if !errors.Is(err, ErrBadPubKey) {
				t.Fatalf("ParsePubKey = %v, want ErrBadPubKey", err)
			}
		})
	}
}

func TestPrivKeyFromBytes(t *testing.T) {
	n := scalar32(curveN)
	nMinus1 := scalar32(new(big.Int).Sub(curveN, big.NewInt(1)))
	tests := []struct {
		name string
		in   []byte
		ok   bool
	}{
		{"one", scalar32(big.NewInt(1)), true},
		{"N-1", nMinus1, true},
		{"zero", make([]byte, 32), false},
		{"N", n, false},
		{"N+1", scalar32(new(big.Int).Add(curveN, big.NewInt(1))), false},
		{"all ones", bytes.Repeat([]byte{0xff}, 32), false},
		{"31 bytes", nMinus1[1:], false},
		{"33 bytes", append([]byte{0}, nMinus1...), false},
		{"empty", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, err := PrivKeyFromBytes(tt.in)
			if !tt.ok {
				if !errors.Is(err, ErrBadPrivKey) {
					t.Fatalf("PrivKeyFromBytes = %v, want ErrBadPrivKey", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(k.Bytes(), tt.in) {
				t.Fatalf("Bytes() = %x, want %x", k.Bytes(), tt.in)
			}
		})
	}
}

// chunkReader yields chunks in turn, then fails.
type chunkReader struct{ chunks [][]byte }

func (r *chunkReader) Read(p []byte) (int, error) {
	if len(r.chunks) == 0 {
		return 0, io.ErrUnexpectedEOF
	}
	n := copy(p, r.chunks[0])
	r.chunks[0] = r.chunks[0][n:]
	if len(r.chunks[0]) == 0 {
		r.chunks = r.chunks[1:]
	}
	return n, nil
}

func TestGenerateKey(t *testing.T) {
	valid := scalar32(big.NewInt(42))
	t.Run("skips out-of-range scalars", func(t *testing.T) {
		r := &chunkReader{chunks: [][]byte{make([]byte, 32), scalar32(curveN), valid}}
		k, err := GenerateKey(r)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(k.Bytes(), valid) {
			t.Fatalf("GenerateKey = %x, want %x", k.Bytes(), valid)
		}
	})
	t.Run("entropy failure", func(t *testing.T) {
		if _, err := GenerateKey(&chunkReader{chunks: [][]byte{valid[:10]}}); err == nil {
			t.Fatal("GenerateKey with a failing reader succeeded")
		}
	})
}
