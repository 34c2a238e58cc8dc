package keystore

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// WriteFileAtomic writes data to path so that a crash at any instant leaves
// either the old file (or none) or the complete new one, never a partial
// file: the data goes to a temporary file (mode 0600) in the same directory,
// is fsynced, and is then moved into place, and the directory is fsynced.
//
// With overwrite false the move is a hard link, which fails with an error
// wrapping fs.ErrExist if path already exists, so that a concurrent writer
// cannot replace a key that appeared after the caller checked for it.
func WriteFileAtomic(path string, data []byte, overwrite bool) (err error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer func() {
		if f != nil {
			f.Close()
		}
		// After a successful link or rename this removes only the extra
		// link (or nothing).
		if rmErr := os.Remove(tmp); rmErr != nil && !errors.Is(rmErr, fs.ErrNotExist) && err == nil {
			err = rmErr
		}
	}()
	if err := f.Chmod(0o600); err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	err = f.Close()
	f = nil
	if err != nil {
		return err
	}
	if overwrite {
		err = os.Rename(tmp, path)
	} else {
		err = linkNoClobber(tmp, path)
	}
	if err != nil {
		return err
	}
	return syncDir(dir)
}

// linkNoClobber moves tmp to path unless path exists. Where hard links are
// not supported it falls back to a check followed by a rename.
func linkNoClobber(tmp, path string) error {
	err := os.Link(tmp, path)
	if err == nil || errors.Is(err, fs.ErrExist) {
		return err
	}
	if _, statErr := os.Lstat(path); statErr == nil {
		return fmt.Errorf("%s: %w", path, fs.ErrExist)
	}
	return os.Rename(tmp, path)
}

// syncDir makes a rename or removal in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, fs.ErrInvalid) {
		// Some platforms and file systems cannot sync a directory; the
		// rename itself is still atomic there.
		return fmt.Errorf("sync directory %s: %w", dir, err)
	}
	return nil
}
