package app

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"

	cmtcfg "github.com/cometbft/cometbft/config"
)

// DefaultMinFreeDiskMiB is the free space (MiB) under which a node stops
// rather than run its disk full (min_free_disk_mib in app.toml).
const DefaultMinFreeDiskMiB = 256

// diskWatchInterval is how often a running node measures its free space.
const diskWatchInterval = time.Second

// LowDiskError says that the disk holding the node's data has less free
// space than the node's margin (min_free_disk_mib).
type LowDiskError struct {
	Dir       string
	Free, Min int64 // bytes
}

func (e *LowDiskError) Error() string {
	return fmt.Sprintf("data disk almost full: %s free on the disk holding %s, under min_free_disk_mib = %d (%s); free space and start the node again",
		mib(e.Free), e.Dir, e.Min>>20, AppConfigFile)
}

func mib(b int64) string {
	if b < 1<<20 {
		return fmt.Sprintf("%d KiB", b>>10)
	}
	return fmt.Sprintf("%d MiB", b>>20)
}

// diskSpace measures the free space of the file systems holding a node's
// data: its databases, the consensus WAL and the validator's sign state.
type diskSpace struct {
	dirs []string
	min  int64 // bytes; 0: no margin
	free func(dir string) (int64, error)
}

func newDiskSpace(c *cmtcfg.Config, ac *Config) diskSpace {
	seen := map[string]bool{}
	var dirs []string
	for _, d := range []string{c.DBDir(), filepath.Dir(c.Consensus.WalFile()), filepath.Dir(c.PrivValidatorStateFile())} {
		if !seen[d] {
			seen[d] = true
			dirs = append(dirs, d)
		}
	}
	return diskSpace{dirs: dirs, min: ac.MinFreeDiskMiB << 20, free: freeBytes}
}

// lowest returns the directory with the least free space, and that space.
func (d diskSpace) lowest() (dir string, free int64, err error) {
	free = -1
	for _, dd := range d.dirs {
		f, err := d.free(dd)
		if err != nil {
			return "", 0, err
		}
		if free < 0 || f < free {
			dir, free = dd, f
		}
	}
	return dir, free, nil
}

// check measures the space and returns a *LowDiskError under the margin.
func (d diskSpace) check() (dir string, free int64, err error) {
	dir, free, err = d.lowest()
	if err != nil {
		return "", 0, err
	}
	if d.min > 0 && free < d.min {
		return dir, free, &LowDiskError{Dir: dir, Free: free, Min: d.min}
	}
	return dir, free, nil
}

// low reports whether free is within twice the margin: the node warns
// (health, metric) before it stops.
func (d diskSpace) low(free int64) bool { return d.min > 0 && free < 2*d.min }

// freeBytes is the space an unprivileged writer has left on the file
// system holding dir (or its nearest existing parent).
func freeBytes(dir string) (int64, error) {
	for {
		var st syscall.Statfs_t
		err := syscall.Statfs(dir, &st)
		if err == nil {
			return int64(st.Bavail) * int64(st.Bsize), nil
		}
		parent := filepath.Dir(dir)
		if !errors.Is(err, os.ErrNotExist) || parent == dir {
			return 0, fmt.Errorf("free space of %s: %w", dir, err)
		}
		dir = parent
	}
}

// watchDisk measures the free space every diskWatchInterval for the
// metric and /health, and stops the node once it is under the margin,
// before a write fails: a clean stop, with HaltReason saying why.
func (n *Node) watchDisk() {
	defer n.workers.Done()
	t := time.NewTicker(diskWatchInterval)
	defer t.Stop()
	for {
		select {
		case <-n.quit:
			return
		case <-t.C:
		}
		dir, free, err := n.space.check()
		var low *LowDiskError
		switch {
		case errors.As(err, &low):
			n.recordDisk(dir, free)
			n.halt(err)
			return
		case err != nil:
			n.logger.Error("cannot measure the free disk space", "err", err)
		default:
			n.recordDisk(dir, free)
		}
	}
}

func (n *Node) recordDisk(dir string, free int64) {
	n.diskFree.Store(free)
	n.metrics.diskFree.Set(float64(free))
	if n.space.low(free) && !n.diskWarned.Swap(true) {
		n.logger.Error("data disk almost full: the node stops below min_free_disk_mib", "dir", dir, "free", mib(free), "min_free_disk_mib", n.space.min>>20)
	}
}

// halt stops the node from within (a worker must return right after):
// HaltReason tells why, Done is closed when it has stopped.
func (n *Node) halt(err error) {
	n.mu.Lock()
	if n.haltErr == nil {
		n.haltErr = err
	}
	n.mu.Unlock()
	n.logger.Error("stopping the node", "err", err)
	go func() { _ = n.Stop() }()
}

// HaltReason is why the node stopped by itself (its data disk almost
// full), or nil.
func (n *Node) HaltReason() error {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.haltErr
}

// Done is closed once the node has stopped, by Stop or by itself
// (HaltReason).
func (n *Node) Done() <-chan struct{} { return n.done }
