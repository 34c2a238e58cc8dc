package localnet

import "syscall"

// childSysProcAttr puts each node in its own process group, so a Ctrl-C in
// the terminal reaches only the supervisor (which then stops the nodes in
// order), and asks the kernel to kill the node if the supervisor dies
// without stopping it.
func childSysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
