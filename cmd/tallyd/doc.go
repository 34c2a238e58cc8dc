// Command tallyd runs a Tally ledger node and the tools around it:
//
//	tallyd init <moniker> [--chain-id ID] [--base-port P]   create a node home
//	tallyd genesis add-account|add-asset|add-balance|allow-node|add-validator|set-threshold|validate|export
//	tallyd start [--log-level L] [--log-format plain|json]   run the node until SIGINT/SIGTERM
//	tallyd show-node-id | show-validator | version
//	tallyd reset [--yes]                                     delete chain data (CometBFT and ledger together)
//	tallyd localnet init|start|bench                         a network of validators on this machine
//
// Every command takes --home (default ~/.tallyd, or $TALLYD_HOME). Errors
// are one line on stderr with exit status 1; a command line that does not
// parse exits with status 2 and a hint to --help.
//
// The commands are thin: the node is package app, genesis editing package
// genesis, networks of local processes package localnet.
package main
