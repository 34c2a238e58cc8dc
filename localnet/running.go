package localnet

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/tallyledger/tally/app"
)

// PIDFileName is the file in a node's home holding the process ID of the
// `tallyd start` that Start runs there; it is removed when the process
// has exited and been reaped.
const PIDFileName = "tallyd.pid"

// RunningError says that a localnet directory is in use by running nodes,
// and how that was found out.
type RunningError struct {
	Dir    string
	Node   string // node0, node1...
	Reason string // "process 4242 runs on its home", "its data directory is locked"...
}

func (e *RunningError) Error() string {
	return fmt.Sprintf("the localnet in %s is running (%s: %s); stop it first (Ctrl-C in the terminal that runs `tallyd localnet start`)", e.Dir, e.Node, e.Reason)
}

// CheckNotRunning fails with a *RunningError when a node of the localnet
// in dir runs: a process recorded in a node's PID file is alive, a node's
// data directory is locked, or a node answers on its RPC port with its own
// node ID. A directory that is not a localnet has nothing running.
func CheckNotRunning(ctx context.Context, dir string) error {
	m, err := LoadManifest(dir)
	if errors.Is(err, ErrNotLocalnet) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, nd := range m.Nodes {
		home := filepath.Join(dir, nd.Home)
		running := func(reason string) error { return &RunningError{Dir: dir, Node: nd.Name, Reason: reason} }
		if pid, ok := livePID(home); ok {
			return running(fmt.Sprintf("process %d runs on its home %s", pid, home))
		}
		if err := app.CheckHomeNotInUse(home); err != nil {
			return running(err.Error())
		}
	}
	if len(m.Hosts) > 0 {
		return nil // the nodes run on other machines
	}
	for _, nd := range m.Nodes {
		if portFree(nd.Host, nd.Ports.RPC) == nil {
			continue
		}
		c, err := newRPCClient(rpcURL(nd))
		if err != nil {
			return err
		}
		if answersAs(ctx, c, nd.NodeID) {
			return &RunningError{Dir: dir, Node: nd.Name, Reason: "it answers at " + rpcURL(nd)}
		}
	}
	return nil
}

// writePIDFile records a node process's ID in its home.
func writePIDFile(home string, pid int) error {
	return os.WriteFile(filepath.Join(home, PIDFileName), []byte(strconv.Itoa(pid)+"\n"), 0o644)
}

// removePIDFile removes the PID file if it still names pid.
func removePIDFile(home string, pid int) {
	if got, err := readPIDFile(home); err == nil && got == pid {
		_ = os.Remove(filepath.Join(home, PIDFileName))
	}
}

func readPIDFile(home string) (int, error) {
	b, err := os.ReadFile(filepath.Join(home, PIDFileName))
	if err != nil {
		return 0, err
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return 0, fmt.Errorf("%s: not a process ID", filepath.Join(home, PIDFileName))
	}
	return pid, nil
}

// livePID returns the process recorded in home's PID file if it is alive
// and (where /proc tells) still a process started on that home, not an
// unrelated one that reuses the ID.
func livePID(home string) (int, bool) {
	pid, err := readPIDFile(home)
	if err != nil {
		return 0, false
	}
	if err := syscall.Kill(pid, 0); err != nil && !errors.Is(err, syscall.EPERM) {
		return 0, false
	}
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if errors.Is(err, fs.ErrNotExist) {
		if _, serr := os.Stat("/proc/self"); serr == nil {
			return 0, false // /proc works: the process is gone
		}
		return pid, true // no /proc on this system: trust the signal check
	}
	if err != nil {
		return pid, true
	}
	return pid, strings.Contains(string(cmdline), home)
}
