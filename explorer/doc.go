// Package explorer is the node's built-in, read-only block explorer: static
// HTML, CSS and JavaScript embedded in tallyd and served by the ledger API
// server at /explorer/, plus the few read-only CometBFT queries the pages
// need, served on the same origin.
//
// The pages read only public JSON-RPC: the ledger API at the origin's root
// (POST / with application/json) and, under /explorer/, an allow-list of
// CometBFT's read-only methods answered by the node in process (status,
// block, blockchain, commit, validators, net_info), the names that the
// genesis gives to accounts and validators (names), and a websocket at
// /explorer/websocket whose one method, subscribe_blocks, pushes each new
// block's height and time. Nothing there signs, broadcasts or changes the
// node; no key ever reaches the browser.
//
// Serving CometBFT's methods from the ledger API's own origin, rather than
// letting the browser call CometBFT's RPC port, keeps the explorer working
// whatever CometBFT's RPC address and CORS settings are (or with that RPC
// off), and exposes only what the explorer reads.
//
// Use:
//
//	mux.Handle(explorer.Path, explorer.New(explorer.Options{Chain: localClient, Names: names}))
//
// The node mounts it unless app.toml says explorer = false.
package explorer
