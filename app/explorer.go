package app

import (
	"net/http"
	"strings"

	"github.com/cometbft/cometbft/libs/log"
	cmttypes "github.com/cometbft/cometbft/types"

	"github.com/tallyledger/tally/explorer"
	"github.com/tallyledger/tally/genesis"
)

// apiPages are the pages the ledger API's address serves beside the
// methods: /health, and the explorer unless app.toml turns it off.
func (n *Node) apiPages(logger log.Logger) []page {
	pages := []page{{"/health", http.HandlerFunc(n.serveHealth)}}
	if n.appCfg.Explorer {
		pages = append(pages, page{explorer.Path, n.newExplorer(logger.With("module", "explorer"))})
	}
	return pages
}

// newExplorer is the block explorer's handler, reading this node in
// process.
func (n *Node) newExplorer(logger log.Logger) http.Handler {
	return explorer.New(explorer.Options{
		Chain:          n.rpc,
		Names:          n.names,
		MaxSubscribers: n.cfg.RPC.MaxSubscriptionClients,
		ReadLimit:      n.cfg.RPC.MaxBodyBytes,
		Logger:         logger,
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
