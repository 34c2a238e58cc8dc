package app

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	cmtcfg "github.com/cometbft/cometbft/config"
	"github.com/cometbft/cometbft/libs/log"
	cmttypes "github.com/cometbft/cometbft/types"

	"github.com/tallyledger/tally/explorer"
	"github.com/tallyledger/tally/genesis"
)

// The explorer is on the ledger API's address unless app.toml turns it off.
func TestExplorerSwitch(t *testing.T) {
	for _, on := range []bool{true, false} {
		n := &Node{cfg: cmtcfg.DefaultConfig(), appCfg: &Config{Explorer: on}}
		s := newAPIServer(apiBackend{}, "", n.cfg.RPC, log.NewNopLogger(), n.apiPages(log.NewNopLogger())...)
		srv := httptest.NewServer(s.handler())
		res, err := http.Get(srv.URL + explorer.Path)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		ct := res.Header.Get("Content-Type")
		switch {
		case on && (res.StatusCode != http.StatusOK || !strings.HasPrefix(ct, "text/html")):
			t.Errorf("explorer on: GET %s = %d %s, expected 200 text/html", explorer.Path, res.StatusCode, ct)
		case !on && res.StatusCode != http.StatusNotFound:
			t.Errorf("explorer off: GET %s = %d, expected 404", explorer.Path, res.StatusCode)
		}
		srv.Close()
	}
	if !DefaultConfig().Explorer {
		t.Error("the explorer is off by default, expected on")
	}
}

func TestGenesisNames(t *testing.T) {
	st := &genesis.AppState{Accounts: []genesis.Account{
		{Address: "tally1zuetgurvwe7gk4rk2gxvs2wcl5nwnly7sxchnl", Name: "alice"},
		{Address: "tally1fmnnau8pagjh527ld3ezgtemytup52a5u7wg3f"},
	}}
	doc := &cmttypes.GenesisDoc{Validators: []cmttypes.GenesisValidator{{Name: "node0", Address: []byte{0xab, 0x01}}}}
	got := genesisNames(doc, st)
	want := []explorer.Name{
		{Name: "alice", Address: "tally1zuetgurvwe7gk4rk2gxvs2wcl5nwnly7sxchnl", Kind: "account"},
		{Name: "node0", Address: "AB01", Kind: "validator"},
	}
	if len(got) != len(want) {
		t.Fatalf("names %v, expected %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("name %d = %v, expected %v", i, got[i], want[i])
		}
	}
}
