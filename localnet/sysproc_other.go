//go:build unix && !linux

package localnet

import "syscall"

// childSysProcAttr puts each node in its own process group, so a Ctrl-C in
// the terminal reaches only the supervisor, which then stops the nodes.
// Outside Linux there is no parent-death signal: a supervisor killed with
// SIGKILL leaves its nodes running.
func childSysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
