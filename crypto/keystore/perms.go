package keystore

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"runtime"
)

// ErrExposedFile marks a secret file that others than its owner may read.
var ErrExposedFile = errors.New("secret file readable by others")

// CheckPrivateFile refuses, as ssh does for its keys, a secret file (a
// wallet key, a validator or node key, a password file) that its group or
// other users may read or write, naming the chmod that fixes it. A missing
// file is not an error here: the caller's read reports it.
func CheckPrivateFile(path string) error {
	if runtime.GOOS == "windows" { // no Unix permission bits
		return nil
	}
	fi, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("check %s: %w", path, err)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return fmt.Errorf("%w: %s has mode %04o, so other users can read it: run chmod 600 %s", ErrExposedFile, path, perm, path)
	}
	return nil
}
