package e2e

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/tallyledger/tally/app"
	"github.com/tallyledger/tally/localnet/faults"
)

// A validator's data disk fills while it commits under load: the node
// stops by itself with one line saying which store could not be written
// (or that the disk is almost full) and what to do, a non-zero status and
// no Go panic or stack trace; the other three go on. Once the space is
// freed and the node started again, it catches up (same blocks, hence app
// hashes) and every acknowledged transfer is found on every node
// (faults.Check). Two validators have a small disk (tmpfs) of their own:
// node3 with the low-space guard off, so that writes really fail with
// ENOSPC somewhere in the commit path, filled to the last byte; node2
// with the guard at 16 MiB, left 8 MiB, which stops before any write
// fails. Needs root to mount them; skipped otherwise.
func TestFaultsDiskFull(t *testing.T) {
	ctx := testCtx(t, 10*time.Minute)
	diskFull(t, ctx, false, tallydBinary)
}

// The same on a docker localnet: the small disks are mounted on the host
// at the nodes' data directories before the containers start, so that
// the bind mount of each node's home (recursive) carries them into its
// container; the harness fills them from the host. The node's output is
// its container's (docker logs), its exit status the container's.
// Skipped where no Docker daemon answers or without root.
func TestFaultsDiskFullDockerLocalnet(t *testing.T) {
	ctx := testCtx(t, 12*time.Minute)
	bin := dockerTallyd(t, ctx)
	diskFull(t, ctx, true, bin)
}

func diskFull(t *testing.T, ctx context.Context, docker bool, binary string) {
	const (
		diskSize = 96 << 20
		guarded  = 2 // min_free_disk_mib = 16, filled to 8 MiB free
		unguard  = 3 // min_free_disk_mib = 0, filled to 0
	)
	dataDirs := map[int]string{} // as this process reaches them
	fn := startFaultNet(t, ctx, docker, binary, func(dir string) error {
		for node, minFree := range map[int]int{guarded: 16, unguard: 0} {
			home := filepath.Join(dir, fmt.Sprintf("node%d", node))
			if err := setAppConfig(filepath.Join(home, app.AppConfigFile), "min_free_disk_mib", fmt.Sprint(minFree)); err != nil {
				return err
			}
			dataDirs[node] = filepath.Join(home, "data")
			unmount, err := faults.MountSmallDisk(dataDirs[node], diskSize)
			if errors.Is(err, faults.ErrCannotMount) {
				t.Skipf("skipping: filling one node's disk needs a small file system for it: %v", err)
			}
			if err != nil {
				return err
			}
			t.Cleanup(func() {
				if err := unmount(); err != nil {
					t.Error(err)
				}
			})
		}
		return nil
	})
	t.Cleanup(func() {
		if t.Failed() {
			for _, node := range []int{guarded, unguard} {
				t.Logf("node%d's log:\n%s", node, logTail(fn.net.LogFile(node), 40))
			}
		}
	})
	if err := fn.net.WaitAll(ctx, 3); err != nil {
		t.Fatal(err)
	}
	// The data directory as the node names it in its line (in its
	// container, on a docker localnet).
	nodeData := func(i int) string { return path.Join(filepath.ToSlash(fn.net.NodeHome(i)), "data") }

	// The same node killed and restarted, for a recovery time to compare
	// with in the same run.
	fn.run(ctx, func() (faults.Result, error) { return fn.inj.KillOne(ctx, unguard, 3*time.Second) })

	var line string
	fn.run(ctx, func() (faults.Result, error) {
		res, l, err := fn.inj.DiskFull(ctx, unguard, dataDirs[unguard], 0)
		line = l
		return res, err
	})
	t.Logf("%s: node%d, its disk full: %s", fn.kind, unguard, line)
	if !regexp.MustCompile(`^Error: disk full writing .+ ` + regexp.QuoteMeta(nodeData(unguard)) + `\S*: no space left on device; free space and start the node again$`).MatchString(line) {
		t.Errorf("node%d's line %q does not name the store under %s, the cause and the way out", unguard, line, nodeData(unguard))
	}

	fn.run(ctx, func() (faults.Result, error) {
		res, l, err := fn.inj.DiskFull(ctx, guarded, dataDirs[guarded], 8<<20)
		line = l
		return res, err
	})
	t.Logf("%s: node%d, its disk almost full: %s", fn.kind, guarded, line)
	if !regexp.MustCompile(`^Error: data disk almost full: \d+ (MiB|KiB) free on the disk holding ` + regexp.QuoteMeta(nodeData(guarded)) + `, under min_free_disk_mib = 16 .*; free space and start the node again$`).MatchString(line) {
		t.Errorf("node%d's line %q does not say the disk is almost full, the margin and the way out", guarded, line)
	}
	fn.finish()
}

// setAppConfig sets one key of a node's app.toml.
func setAppConfig(path, key, value string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	re := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(key) + ` = .*$`)
	if !re.Match(b) {
		return fmt.Errorf("%s has no %s", path, key)
	}
	return os.WriteFile(path, re.ReplaceAll(b, []byte(key+" = "+value)), 0o600)
}
