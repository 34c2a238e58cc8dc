package ledger

import (
	"math"
	"math/rand/v2"
	"testing"
)

// decodeUint gives exactly the decoder's answer: the same value for every
// balance the ledger writes, and for any other bytes the decoder's value
// or error.
func TestDecodeUintMatchesTheDecoder(t *testing.T) {
	check := func(b []byte) {
		t.Helper()
		var want uint64
		wantErr := decodeState(b, &want)
		got, err := decodeUint(b)
		if (err != nil) != (wantErr != nil) || got != want {
			t.Fatalf("% x: decodeUint %d, %v; decoder %d, %v", b, got, err, want, wantErr)
		}
	}
	for _, v := range []uint64{0, 1, 23, 24, 255, 256, 65535, 65536, math.MaxUint32, math.MaxUint32 + 1, math.MaxUint64} {
		b := mustMarshal(v)
		if got, ok := shortestCBORUint(b); !ok || got != v {
			t.Fatalf("%d encoded % x: read %d, %v", v, b, got, ok)
		}
		check(b)
		check(append(b, 0)) // trailing byte
		check(b[:len(b)-1]) // truncated (empty for small values)
	}
	// Longer forms than needed, other major types, garbage.
	for _, b := range [][]byte{{0x18, 0x05}, {0x19, 0x00, 0x10}, {0x1a, 0, 0, 0, 1}, {0x1b, 0, 0, 0, 0, 0, 0, 0, 1}, {0x20}, {0x41, 0x01}, {0xf6}, {0x1c}, {0xff}} {
		check(b)
	}
	rnd := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		b := make([]byte, 1+rnd.IntN(10))
		for i := range b {
			b[i] = byte(rnd.Uint32())
		}
		if rnd.IntN(2) == 0 {
			b[0] = byte(rnd.IntN(0x1c)) // mostly unsigned integer heads
		}
		check(b)
	}
}

// A cached asset record is handed out as a copy.
func TestAssetCacheHandsOutCopies(t *testing.T) {
	c := newTestChain(t, testGenesis())
	c.block()
	v := c.view()
	a, err := getAsset(v.snap, "TALLY")
	if err != nil || a == nil {
		t.Fatal(a, err)
	}
	a.Paused, a.Supply = true, 1
	b, err := getAsset(v.snap, "TALLY")
	if err != nil || b.Paused || b.Supply == 1 {
		t.Fatalf("second read %+v, %v: the first caller's changes leaked into the cache", b, err)
	}
}
