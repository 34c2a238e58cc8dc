package testutil

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// The executables of the module, by import path.
const (
	Tally  = "github.com/tallyledger/tally/cmd/tally"
	Tallyd = "github.com/tallyledger/tally/cmd/tallyd"
)

// Binaries are executables built into a temporary directory.
type Binaries struct {
	Dir   string
	paths map[string]string // import path -> executable
}

// Build compiles the main packages pkgs (import paths such as Tally and
// Tallyd) into a new temporary directory in one go build. The caller
// removes it with Remove once the tests are done.
func Build(pkgs ...string) (*Binaries, error) {
	dir, err := os.MkdirTemp("", "tally-test-bin-")
	if err != nil {
		return nil, err
	}
	b := &Binaries{Dir: dir, paths: map[string]string{}}
	args := append([]string{"build", "-o", dir + string(filepath.Separator)}, pkgs...)
	build := exec.Command("go", args...)
	if out, err := build.CombinedOutput(); err != nil {
		b.Remove()
		return nil, fmt.Errorf("go build %v: %v\n%s", pkgs, err, out)
	}
	for _, p := range pkgs {
		b.paths[p] = filepath.Join(dir, filepath.Base(p))
	}
	return b, nil
}

// Path returns the executable built for pkg; it panics for a package that
// was not built (a mistake in the test).
func (b *Binaries) Path(pkg string) string {
	p, ok := b.paths[pkg]
	if !ok {
		panic("testutil: " + pkg + " was not built")
	}
	return p
}

// Remove deletes the executables.
func (b *Binaries) Remove() {
	if b != nil && b.Dir != "" {
		os.RemoveAll(b.Dir)
	}
}
