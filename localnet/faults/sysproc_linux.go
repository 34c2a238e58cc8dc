package faults

import "syscall"

// childSysProcAttr puts a process this package starts in its own process
// group and has the kernel kill it if the test process dies first.
func childSysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
