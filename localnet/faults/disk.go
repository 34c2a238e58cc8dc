package faults

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// ErrCannotMount is returned by MountSmallDisk when this process may not
// mount file systems (it is not root, or the kernel refuses tmpfs).
var ErrCannotMount = errors.New("faults: cannot mount a small file system")

// MountSmallDisk puts dir on a tmpfs of size bytes, so that filling it
// (FillDisk) leaves no space for whatever writes under dir: the files
// already in dir are copied onto it. The returned function unmounts it
// (detaching it if a process still holds it open) and must be called
// once every process using dir has stopped. Linux only; it needs root.
//
// For a docker localnet, mount it at the node's data directory before
// Start: the containers bind-mount the node homes recursively, so the
// container sees the tmpfs (and what FillDisk writes on the host).
func MountSmallDisk(dir string, size int64) (unmount func() error, err error) {
	if os.Geteuid() != 0 {
		return nil, fmt.Errorf("%w: mounting needs root", ErrCannotMount)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	saved := dir + ".before-mount"
	if err := os.Rename(dir, saved); err != nil {
		return nil, err
	}
	if err := os.Mkdir(dir, 0o700); err != nil {
		return nil, err
	}
	opts := fmt.Sprintf("size=%d,mode=0700", size)
	if err := syscall.Mount("tmpfs", dir, "tmpfs", syscall.MS_NOSUID|syscall.MS_NODEV, opts); err != nil {
		_ = os.Remove(dir)
		_ = os.Rename(saved, dir)
		return nil, fmt.Errorf("%w: tmpfs on %s: %v", ErrCannotMount, dir, err)
	}
	unmount = func() error {
		err := syscall.Unmount(dir, 0)
		if errors.Is(err, syscall.EBUSY) {
			err = syscall.Unmount(dir, syscall.MNT_DETACH)
		}
		if err != nil && !errors.Is(err, syscall.EINVAL) { // EINVAL: not mounted (any more)
			return fmt.Errorf("unmount %s: %w", dir, err)
		}
		return nil
	}
	if err := copyTree(saved, dir); err != nil {
		_ = unmount()
		return nil, err
	}
	if err := os.RemoveAll(saved); err != nil {
		_ = unmount()
		return nil, err
	}
	return unmount, nil
}

func copyTree(from, to string) error {
	return filepath.Walk(from, func(path string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(from, path)
		if err != nil {
			return err
		}
		dst := filepath.Join(to, rel)
		if info.IsDir() {
			return os.MkdirAll(dst, info.Mode().Perm())
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(dst, b, info.Mode().Perm())
	})
}

// FreeBytes is the space left to an unprivileged writer on the file
// system holding dir.
func FreeBytes(dir string) (int64, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, fmt.Errorf("statfs %s: %w", dir, err)
	}
	return int64(st.Bavail) * int64(st.Bsize), nil
}

// Filler is a file that takes up the free space of a file system.
type Filler struct {
	path string
	Size int64 // bytes written
}

// FillDisk writes a file in dir until the file system holding it has at
// most leave bytes free (0: until writes fail for lack of space).
func FillDisk(dir string, leave int64) (*Filler, error) {
	f := &Filler{path: filepath.Join(dir, "filler")}
	file, err := os.OpenFile(f.path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, err
	}
	defer file.Close()
	chunk := make([]byte, 1<<20)
	for _, size := range []int{1 << 20, 64 << 10, 4 << 10, 512} {
		for {
			if leave > 0 {
				free, err := FreeBytes(dir)
				if err != nil {
					return f, err
				}
				if free-leave < int64(size) {
					break
				}
			}
			n, err := file.Write(chunk[:size])
			f.Size += int64(n)
			if errors.Is(err, syscall.ENOSPC) {
				break
			}
			if err != nil {
				return f, err
			}
		}
	}
	return f, nil
}

// Remove deletes the file, freeing its space.
func (f *Filler) Remove() error {
	if err := os.Remove(f.path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}

// DiskFull fills the file system holding node i's data directory
// dataDir (a small one: MountSmallDisk) while the node commits, leaving
// leave bytes free (0: none). The node must stop by itself, with a
// non-zero status and one line starting "Error: " on its output, and no
// Go panic or stack trace; meanwhile the others must go on. Then the space
// is freed, the node started again, and the recovery is the time until it
// reaches the height the others had then. It returns the node's error
// line. On a docker localnet dataDir is the directory on the host (the
// tmpfs the node's container sees), the node's output its container's.
func (f *Injector) DiskFull(ctx context.Context, i int, dataDir string, leave int64) (Result, string, error) {
	r := Result{Scenario: "disk full while committing", Target: RejoinTarget}
	if leave > 0 {
		r.Scenario = "disk nearly full (low-space guard)"
	}
	logPath := f.net.LogFile(i)
	var offset int64
	if st, err := os.Stat(logPath); err == nil {
		offset = st.Size()
	}
	filler, err := FillDisk(dataDir, leave)
	if filler != nil {
		defer filler.Remove()
	}
	if err != nil {
		return r, "", err
	}
	r.Fault = fmt.Sprintf("node%d's data disk filled (%d MiB written, %d KiB left)", i, filler.Size>>20, leave>>10)
	rest := others(f.net.Len(), i)
	before := f.tip(ctx, rest)
	status, err := f.waitExit(ctx, i, time.Minute)
	if err != nil {
		return r, "", err
	}
	// The others go on while the node is down and the disk still full.
	if _, err := f.progress(ctx, rest, 3*time.Second); err != nil {
		return r, "", err
	}
	r.Progress = f.tip(ctx, rest) - before
	if r.Progress == 0 {
		return r, "", fmt.Errorf("the other validators committed nothing while node%d's disk was full", i)
	}
	out, err := readFrom(logPath, offset)
	if err != nil {
		return r, "", err
	}
	line, err := checkCleanStop(out, status)
	if err != nil {
		return r, line, fmt.Errorf("node%d on a full disk: %w", i, err)
	}
	if err := filler.Remove(); err != nil {
		return r, line, err
	}
	if err := f.Restart(i); err != nil {
		return r, line, err
	}
	r.Recovery, err = f.rejoin(ctx, i)
	return r, line, err
}

// waitExit waits until node i's process has exited, and returns how.
func (f *Injector) waitExit(ctx context.Context, i int, limit time.Duration) (string, error) {
	deadline := time.Now().Add(limit)
	t := time.NewTicker(50 * time.Millisecond)
	defer t.Stop()
	for {
		if status, exited := f.net.ExitStatus(i); exited {
			return status, nil
		}
		if time.Now().After(deadline) {
			return "", fmt.Errorf("node%d still running %s after its disk filled", i, limit)
		}
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-t.C:
		}
	}
}

// checkCleanStop checks a node's output after its disk filled: a
// non-zero exit status (not a signal), exactly one "Error: " line, and no
// panic or stack trace. It returns the error line.
func checkCleanStop(out, status string) (string, error) {
	var errLines []string
	var problems []string
	for _, l := range strings.Split(out, "\n") {
		switch {
		case strings.HasPrefix(l, "Error: "):
			errLines = append(errLines, l)
		case strings.HasPrefix(l, "panic: "), strings.HasPrefix(l, "fatal error: "),
			strings.HasPrefix(l, "goroutine ") && strings.HasSuffix(l, ":"),
			strings.Contains(l, "CONSENSUS FAILURE"), strings.Contains(l, "stack="):
			problems = append(problems, "a panic or stack trace: "+truncate(l, 200))
		}
	}
	line := ""
	if len(errLines) > 0 {
		line = errLines[0]
	}
	if status == "exit status 0" || strings.HasPrefix(status, "killed") {
		problems = append(problems, "the node ended with "+status+", want a non-zero exit status")
	}
	if len(errLines) != 1 {
		problems = append(problems, fmt.Sprintf("%d lines starting \"Error: \", want one: %q", len(errLines), errLines))
	}
	if len(problems) > 0 {
		return line, errors.New(strings.Join(problems, "; "))
	}
	return line, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

func readFrom(path string, offset int64) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	if offset > int64(len(b)) {
		offset = 0
	}
	return string(b[offset:]), nil
}
