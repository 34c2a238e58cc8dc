package app

import (
	"net/http"
	"strings"

	cmttypes "github.com/cometbft/cometbft/types"

	"github.com/tallyledger/tally/explorer"
	"github.com/tallyledger/tally/genesis"
)

// explorer is the block explorer's handler, reading this node in process.
func (s *apiServer) explorer() http.Handler {
	return explorer.New(explorer.Options{
		Chain:          s.n.rpc,
		Names:          s.n.names,
		MaxSubscribers: s.n.cfg.RPC.MaxSubscriptionClients,
		ReadLimit:      s.conf.MaxBodyBytes,
		Logger:         s.logger.With("module", "explorer"),
	})
}

// genesisNames lists the names the genesis gives: the accounts' labels and
// the validators' names.
func genesisNames(doc *cmttypes.GenesisDoc, st *genesis.AppState) []explorer.Name {
	var names []explorer.Name
	if st != nil {
		for _, a := range st.Accounts {
			if a.Name != "" {
				names = append(names, explorer.Name{Name: a.Name, Address: a.Address, Kind: "account"})
			}
		}
	}
	if doc != nil {
		for _, v := range doc.Validators {
			if v.Name != "" {
				names = append(names, explorer.Name{Name: v.Name, Address: strings.ToUpper(v.Address.String()), Kind: "validator"})
			}
		}
	}
	return names
}
