// Package localnet generates and supervises a network of Tally validators
// running as local tallyd processes: four by default, on one machine, with
// a wallet whose keys are registered and funded in genesis. It backs
// `tallyd localnet` and the end-to-end tests, which start, stop, kill,
// pause and restart single validators through it.
//
// # Layout
//
// Init writes a network into a directory:
//
//	DIR/localnet.json        what Init made (Manifest): chain ID, nodes, ports, keys
//	DIR/node0 .. node{N-1}   node homes (config/, data/), one shared genesis
//	DIR/wallet               key store, unencrypted test backend: admin, alice, bob
//	DIR/wallet/config.json   the wallet's config: node0's RPC and API, the chain ID
//	DIR/nodeI/tallyd.log     node I's output while Start runs it
//
// Node i listens on 127.0.0.1 at BasePort+100i (p2p), +1 (CometBFT RPC)
// and +3 (ledger API); every other node is a persistent peer. Consensus
// timeouts suit one machine (timeout_commit 500ms). Genesis registers
// admin (admin, issuer), alice and bob (members), creates asset TALLY
// issued by admin, gives alice and bob 1,000,000 TALLY each, and allows
// exactly the validators' node IDs as peers. Options add admins
// (admin2..adminN, threshold N/2+1) and funded users (user1..userN).
//
// Init on an existing network reuses it (a second Start resumes the same
// chain); Options.Reset wipes it first. With Options.Hosts the network is
// meant for several machines: each node listens on all interfaces at the
// same ports and reaches its peers at their hosts; copy DIR/nodeI to host i
// and run `tallyd start --home` there.
//
// # Running
//
// Start runs `tallyd start --home DIR/nodeI` for every node, with the
// binary named in Options.Binary, and returns once every node has
// committed a block. The processes are in their own process group and, on
// Linux, die with the supervising process. The returned Net stops, kills,
// pauses (SIGSTOP) and restarts nodes, waits for heights and reads headers
// and app hashes over CometBFT's RPC:
//
//	if err := localnet.Init(dir, localnet.Options{BasePort: 30000}); err != nil { ... }
//	net, err := localnet.Start(ctx, dir, localnet.Options{Binary: tallydPath})
//	if err != nil { ... } // names the failing node and shows the end of its log
//	defer net.Stop()
//	net.KillNode(3)
//	_ = net.WaitHeight(ctx, 0, 20) // the other three keep committing
//	_ = net.RestartNode(3)
//	_ = net.WaitHeight(ctx, 3, 20) // node3 catches up
//
// Tests and tools that need a network on whatever ports are free use
// StartOnFreePorts, which runs Init and Start on ports FreeBasePort finds
// (below the ephemeral range, reserved against other processes that look
// for ports the same way until the Net is stopped) and, when another
// program takes a port before a node binds it (Start's *PortInUseError),
// makes the network again on other ports:
//
//	net, err := localnet.StartOnFreePorts(ctx, dir, localnet.Options{Binary: tallydPath}, 3)
//
// AddNode runs one more node from a home the caller prepared as an
// operator joining the network would (`tallyd init`, the network's
// genesis.json, the validators as persistent peers, ports of its own). It
// is supervised like the validators, under the next index; since the
// network filters peers, the validators admit it only once governance
// allows its node ID.
//
// Bench offers transfers at a fixed rate to a running network and measures
// blocks/s and committed transfers/s from the committed blocks.
package localnet
