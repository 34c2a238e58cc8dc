// Package faults injects faults into a running localnet, of local
// processes or of containers, through one Injector, drives a load of
// transfers through it, and checks the invariants that must hold after
// any fault.
//
// Faults: kill -9 one validator or all of them and restart; pause
// (SIGSTOP, or docker pause); partitions (3|1, 2|2 or any grouping) and
// heal; a slow and lossy link; a rolling restart; a data disk that fills
// while the node commits (MountSmallDisk puts a node's data on a tmpfs of
// its own, as root, before the start; in a docker localnet the bind mount
// of the node's home carries it into the container; FillDisk fills it
// from the host). In a docker localnet links are
// cut with iptables DROP rules and slowed with tc netem (or, without
// netem, thinned with iptables' random drop) inside each container's
// network namespace (nsenter, as root); in a process localnet every peer
// link runs through a userspace proxy of a Mesh, interposed before the
// network starts, that holds the bytes while the link is cut and delays
// them while it is degraded (Impairment).
//
// Each scenario method (KillOne, KillAll, PauseOne, PartitionMinority,
// PartitionHalves, SlowLossy, RollingRestart, DoubleSign, DiskFull)
// injects its fault, checks what must happen during it (the majority
// commits, a minority does not, a double signing ends as evidence in a
// block, a node whose disk is full stops with one line and no panic) and
// measures the recovery against RejoinTarget or HealTarget.
//
// Check verifies, over every node: the same block at every height; every
// transaction a node acknowledged found by hash at the same height and
// exactly once in its sender's history; the balances add up to the
// supply.
//
//	mesh, _ := faults.InterposeMesh(dir) // process localnet only, before Start
//	net, _ := localnet.Start(ctx, dir, opts)
//	inj := faults.New(net, mesh)
//	load, _ := faults.StartLoad(ctx, net, senders, bob, 50*time.Millisecond)
//	res, err := inj.PartitionMinority(ctx, 3, 10*time.Second)
//	rep, _ := faults.Check(ctx, net, load.Acked())
//	if err := rep.Err(); err != nil { ... }
package faults
