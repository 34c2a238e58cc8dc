package app

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/cometbft/cometbft/libs/log"

	"github.com/tallyledger/tally/ledger"
)

// When CometBFT logs that a block's header disagrees with this node's app
// hash (as its prevote and block sync do), the node logs the height, its
// app hash and the per-prefix state hashes, once per height; other error
// logs pass through untouched.
func TestDivergenceLoggerReportsTheStateOnce(t *testing.T) {
	c := newTestChain(t, ledger.NewMemStore())
	c.block()
	var buf bytes.Buffer
	d := newDivergenceLogger(log.NewTMLogger(&buf))
	logger := d.With("module", "consensus")
	cometErr := errors.New("wrong Block.Header.AppHash.  Expected 01, got 02")

	logger.Error("prevote step: consensus deems this block invalid; prevoting nil", "err", cometErr)
	if strings.Contains(buf.String(), "disagrees") {
		t.Fatalf("reported before the ledger is watched:\n%s", buf.String())
	}
	d.watch(c.l)
	logger.Error("some other failure", "err", errors.New("boom"))
	if strings.Contains(buf.String(), "disagrees") {
		t.Fatalf("an unrelated error reported as a divergence:\n%s", buf.String())
	}
	logger.Error("prevote step: consensus deems this block invalid; prevoting nil", "err", cometErr)
	logger.Error("Error in validation", "height", 3, "err", cometErr)
	out := buf.String()
	if n := strings.Count(out, "app hash disagrees with the network"); n != 1 {
		t.Fatalf("%d divergence reports for one height, expected 1:\n%s", n, out)
	}
	v := c.l.View()
	groups, _ := v.GroupHashes()
	for _, want := range []string{
		fmt.Sprintf("height=%d", v.Height()),
		fmt.Sprintf("app_hash=%X", v.AppHash()),
		fmt.Sprintf("%d keys %X", groups[0].Keys, groups[0].Hash),
		"module=consensus",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("divergence report lacks %q:\n%s", want, out)
		}
	}

	c.block()
	logger.Error("Error in validation", "err", cometErr)
	if n := strings.Count(buf.String(), "app hash disagrees with the network"); n != 2 {
		t.Errorf("%d reports after a new height, expected 2", n)
	}
}
