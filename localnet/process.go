package localnet

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"
)

// LogFileName is the name of the file in each node's home that receives the
// node process's stdout and stderr.
const LogFileName = "tallyd.log"

// runMarker starts the line that the log gets at each start of the node.
const runMarker = "=== "

// process is one running `tallyd start` child.
type process struct {
	exitState // done: the process has exited and been reaped
	cmd       *exec.Cmd
	log       *os.File
	stopped   bool // we sent SIGTERM (under mu)
	paused    bool // we sent SIGSTOP and no SIGCONT yet (under mu)
}

// startProcess runs `binary <command> --home home` (command "start", or the
// baseline's node command) with its output appended to home/tallyd.log and
// its process ID in home/tallyd.pid while it runs.
func startProcess(binary, command, home string, extraArgs []string) (*process, error) {
	logPath := filepath.Join(home, LogFileName)
	lf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open node log: %w", err)
	}
	fmt.Fprintf(lf, runMarker+"%s: %s %s --home %s\n", time.Now().UTC().Format(time.RFC3339Nano), filepath.Base(binary), command, home)
	args := append([]string{command, "--home", home}, extraArgs...)
	cmd := exec.Command(binary, args...)
	cmd.Stdout = lf
	cmd.Stderr = lf
	cmd.SysProcAttr = childSysProcAttr()
	if err := cmd.Start(); err != nil {
		lf.Close()
		return nil, fmt.Errorf("start %s: %w", binary, err)
	}
	p := &process{exitState: newExitState(), cmd: cmd, log: lf}
	pid := cmd.Process.Pid
	if err := writePIDFile(home, pid); err != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		lf.Close()
		return nil, fmt.Errorf("record the node's process ID: %w", err)
	}
	go func() {
		err := cmd.Wait()
		removePIDFile(home, pid)
		lf.Close()
		p.finish(err)
	}()
	return p, nil
}

func (p *process) pid() int { return p.cmd.Process.Pid }

func (p *process) signal(sig syscall.Signal) error {
	if p.exited() {
		return nil
	}
	p.mu.Lock()
	switch sig {
	case syscall.SIGKILL:
		p.killed = true
	case syscall.SIGTERM, syscall.SIGINT:
		p.stopped = true
	case syscall.SIGSTOP:
		p.paused = true
	case syscall.SIGCONT:
		p.paused = false
	}
	p.mu.Unlock()
	err := p.cmd.Process.Signal(sig)
	if errors.Is(err, os.ErrProcessDone) {
		return nil
	}
	return err
}

// stop sends SIGTERM (after SIGCONT if paused) and waits up to grace for
// the process to exit, then kills it. It returns the exit error of a
// process that did not exit cleanly on SIGTERM.
func (p *process) stop(grace time.Duration) error {
	p.mu.Lock()
	paused := p.paused
	p.mu.Unlock()
	if paused {
		_ = p.signal(syscall.SIGCONT)
	}
	if err := p.signal(syscall.SIGTERM); err != nil {
		return err
	}
	err := p.awaitStop(grace, p.kill)
	// Killed by SIGTERM itself: the node had not yet installed its handler,
	// which it does before opening anything, so nothing was left half done.
	if ws, ok := p.cmd.ProcessState.Sys().(syscall.WaitStatus); err != nil && p.exited() && ok && ws.Signaled() && ws.Signal() == syscall.SIGTERM {
		return nil
	}
	return err
}

// kill sends SIGKILL and waits for the process to be reaped.
func (p *process) kill() {
	_ = p.signal(syscall.SIGKILL)
	<-p.done
}

// tailFile returns the last n lines of a file, or a note that it could not
// be read.
func tailFile(path string, n int) string {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Sprintf("(cannot read %s: %v)", path, err)
	}
	defer f.Close()
	const maxRead = 64 << 10
	st, err := f.Stat()
	if err != nil {
		return fmt.Sprintf("(cannot read %s: %v)", path, err)
	}
	off := st.Size() - maxRead
	if off < 0 {
		off = 0
	}
	if _, err := f.Seek(off, io.SeekStart); err != nil {
		return fmt.Sprintf("(cannot read %s: %v)", path, err)
	}
	b, err := io.ReadAll(f)
	if err != nil {
		return fmt.Sprintf("(cannot read %s: %v)", path, err)
	}
	b = bytes.TrimRight(b, "\n")
	lines := bytes.Split(b, []byte("\n"))
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return string(bytes.Join(lines, []byte("\n")))
}

func (p *process) describeExit() string {
	if err := p.exitErr(); err == nil {
		return "exit status 0"
	}
	if ws, ok := p.cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return fmt.Sprintf("killed by signal %d (%v)", int(ws.Signal()), ws.Signal())
	}
	return p.exitErr().Error()
}
