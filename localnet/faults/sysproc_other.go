//go:build !linux

package faults

import "syscall"

// childSysProcAttr puts a process this package starts in its own process
// group.
func childSysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
