package e2e

import (
	"bytes"
	"testing"
	"time"
)

// Four validators started from localnet all reach height 10 and agree on
// every block: same block hash, same app hash in every header, and the
// same app hash from their own execution (block_results) at every height.
func TestFourValidatorsAgree(t *testing.T) {
	net := startNet(t, defaultOpts())
	ctx := testCtx(t, 90*time.Second)
	const top = 10
	if err := net.WaitAll(ctx, top+1); err != nil {
		t.Fatal(err)
	}
	for h := int64(1); h <= top; h++ {
		ref, err := net.Header(ctx, 0, h)
		if err != nil {
			t.Fatal(err)
		}
		refApp, err := net.AppHash(ctx, 0, h)
		if err != nil {
			t.Fatal(err)
		}
		if len(ref.AppHash) == 0 || len(refApp) == 0 {
			t.Fatalf("height %d: empty app hash (header %X, results %X)", h, ref.AppHash, refApp)
		}
		for i := 1; i < net.Len(); i++ {
			hdr, err := net.Header(ctx, i, h)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(hdr.Hash(), ref.Hash()) {
				t.Errorf("height %d: node%d block hash %X, node0 %X", h, i, hdr.Hash(), ref.Hash())
			}
			if !bytes.Equal(hdr.AppHash, ref.AppHash) {
				t.Errorf("height %d: node%d header app hash %X, node0 %X", h, i, hdr.AppHash, ref.AppHash)
			}
			app, err := net.AppHash(ctx, i, h)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(app, refApp) {
				t.Errorf("height %d: node%d executed to app hash %X, node0 to %X", h, i, app, refApp)
			}
		}
		// The app hash a block's execution produced is what the next
		// header commits to.
		next, err := net.Header(ctx, 0, h+1)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(next.AppHash, refApp) {
			t.Errorf("height %d: executed to %X but header %d carries %X", h, refApp, h+1, next.AppHash)
		}
	}
	st, err := net.Client(0).Validators(ctx, nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if st.Total != 4 {
		t.Errorf("validator set has %d validators, want 4", st.Total)
	}
}
