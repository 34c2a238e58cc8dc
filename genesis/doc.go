// Package genesis owns Tally's app_state inside CometBFT's genesis.json:
// its JSON form (AppState), its validation, its conversion into the
// ledger's initial state, and the edits `tallyd genesis` makes.
//
// The app_state looks like this (addresses bech32, amounts decimal
// strings; asset supplies are the sums of the balances; the validators are
// the genesis document's own):
//
//	{"params":{"admin_threshold":1,"freeze_blocks_receive":false},
//	 "accounts":[{"address":"tally1...","roles":["admin","member"]}],
//	 "assets":[{"symbol":"TALLY","issuer":"tally1..."}],
//	 "balances":[{"address":"tally1...","asset":"TALLY","amount":"1000000"}],
//	 "allowed_nodes":["<40-hex node id>"]}
//
// Building one step by step, as `tallyd genesis add-account|add-asset|
// add-balance|allow-node` does:
//
//	doc, _, _ := ... // the CometBFT genesis document
//	s := genesis.Default()
//	_ = s.AddAccount(admin, "admin")
//	_ = s.AddAsset("TALLY", admin)
//	_ = s.AddBalance(admin, "TALLY", "1000000")
//	if err := s.Validate(); err != nil { ... } // names every problem
//	_ = genesis.Write(path, doc, s)
//
// At InitChain the app turns it into the ledger's state:
//
//	vals, _ := genesis.ValidatorsFromABCI(req.Validators)
//	g, err := s.ToLedger(vals)
//	appHash, err := l.InitChain(req.ChainId, req.InitialHeight, g)
//
// Load reads and validates a genesis file in one step, with errors that
// name the file and every problem in it.
package genesis
