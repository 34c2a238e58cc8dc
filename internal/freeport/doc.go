// Package freeport finds free TCP ports on 127.0.0.1 for local networks
// and tests, and keeps processes that use it from choosing the same ones.
//
// A port that is free when probed can be taken by another process before
// the program meant to listen on it does. Two things make that rare:
//
//   - Ports are chosen in [Lo, Hi), below Linux's ephemeral range
//     (32768-60999), so outgoing connections, which take ephemeral ports,
//     never land on them.
//   - On Linux each port found is reserved for this process by binding the
//     abstract Unix socket "@tally-port-N" before the port is probed. The
//     kernel drops the reservation when the process exits, so no file is
//     left behind. Another process using this package skips a reserved port,
//     and does not even probe it (a probe is a short listen, which could
//     make the owner's own listen fail).
//
// A reservation lasts until Release or the end of the process: release the
// ports when the servers using them are stopped for good (keeping them
// through a restart of a server), so that a process that starts many
// networks does not run out of blocks.
//
//	base, err := freeport.Find(400, func(base int) []int { return []int{base, base + 1} })
//	...run servers on base and base+1, stop them...
//	freeport.Release(base, base+1)
//
// Processes that do not use this package (another program on a fixed port)
// can still take a port between the probe and its use: callers that start
// servers detect that ("address already in use") and try other ports.
//
// The reservations are process-wide state by nature: a port belongs to the
// whole process, not to one caller.
package freeport
