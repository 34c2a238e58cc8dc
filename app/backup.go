package app

import (
	"archive/tar"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	cmtjson "github.com/cometbft/cometbft/libs/json"
	"github.com/cometbft/cometbft/libs/log"
	"github.com/cometbft/cometbft/privval"

	"github.com/tallyledger/tally/ledger"
)

// BackupInfo describes the ledger state held by a backup.
type BackupInfo struct {
	ChainID string
	Height  int64
	AppHash []byte
}

// Archive directories of a backup: the node's data directory (CometBFT's
// databases, the ledger, the validator's last-sign state) and its
// configuration (config files, genesis, node and validator keys).
const (
	backupDataDir   = "data"
	backupConfigDir = "config"
)

// Backup writes the data directory and configuration of the stopped node
// at home to w as a gzipped tar. It refuses a running node (its ledger
// database is locked) and holds the lock while it copies, so the node
// cannot start meanwhile. The ledger is opened first, which checks that
// the state matches its app hash: a corrupt ledger is not backed up. The
// archive holds the node's keys: keep it as safe as the home.
func Backup(home string, w io.Writer) (*BackupInfo, error) {
	c, _, err := LoadConfig(home)
	if err != nil {
		return nil, err
	}
	// A store that would lose writes on opening is not backed up.
	if err := checkLevelJournals(c, home, log.NewNopLogger()); err != nil {
		return nil, err
	}
	l, err := openStoppedLedger(home, c.DBDir(), "backing it up")
	if err != nil {
		return nil, err
	}
	defer l.Close()
	info := &BackupInfo{ChainID: l.ChainID(), Height: l.LastHeight(), AppHash: l.LastAppHash()}

	gz := gzip.NewWriter(w)
	tw := tar.NewWriter(gz)
	if err := addTree(tw, c.DBDir(), backupDataDir); err != nil {
		return nil, fmt.Errorf("back up %s: %w", c.DBDir(), err)
	}
	if err := addTree(tw, filepath.Join(home, ConfigDir), backupConfigDir); err != nil {
		return nil, fmt.Errorf("back up %s: %w", filepath.Join(home, ConfigDir), err)
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	if err := gz.Close(); err != nil {
		return nil, err
	}
	return info, nil
}

// openStoppedLedger opens the ledger of a node that must not be running.
func openStoppedLedger(home, dbDir, doing string) (*ledger.Ledger, error) {
	st, err := ledger.OpenLevelDBStore(filepath.Join(dbDir, LedgerDBName))
	if err != nil {
		if isLockedErr(err) {
			return nil, fmt.Errorf("the node at %s is running (its data directory %s is locked): stop it before %s", home, dbDir, doing)
		}
		return nil, err
	}
	// A stopped node's ledger is checked entry by entry against its app
	// hash before a backup or a dump copies it.
	l, err := ledger.Open(st, ledger.Options{VerifyState: true})
	if err != nil {
		st.Close()
		return nil, err
	}
	return l, nil
}

// addTree writes every regular file and directory under dir to tw, named
// under prefix.
func addTree(tw *tar.Writer, dir, prefix string) error {
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		name := path.Join(prefix, filepath.ToSlash(rel))
		fi, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case d.IsDir():
			return tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: name + "/", Mode: int64(fi.Mode().Perm()), ModTime: fi.ModTime()})
		case fi.Mode().IsRegular():
		default:
			return nil // LevelDB keeps only regular files; skip anything else
		}
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: int64(fi.Mode().Perm()), Size: fi.Size(), ModTime: fi.ModTime()}); err != nil {
			return err
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		if n, err := io.Copy(tw, f); err != nil {
			return err
		} else if n != fi.Size() {
			return fmt.Errorf("%s changed while being backed up", p)
		}
		return nil
	})
}

// RestoreOptions adjust Restore.
type RestoreOptions struct {
	// Force replaces a data directory that already holds data.
	Force bool
}

// Restore unpacks a backup made by Backup into the stopped node's home:
// the data directory (replaced; refused when it holds data unless Force)
// and the configuration files the home lacks (existing configuration and
// keys are kept). A validator's last-sign state already in the home is
// kept when it is ahead of the backup's, so the restored validator cannot
// sign twice at a height it signed after the backup. The restored ledger
// is opened and checked against its app hash before Restore returns.
func Restore(home string, r io.Reader, opts RestoreOptions) (*BackupInfo, error) {
	c, _, err := LoadConfig(home)
	if err != nil && !errors.Is(err, fs.ErrNotExist) && !strings.Contains(err.Error(), "not found") {
		return nil, err
	}
	dataDir := filepath.Join(home, "data")
	pvState := filepath.Join(dataDir, "priv_validator_state.json")
	if c != nil {
		dataDir, pvState = c.DBDir(), c.PrivValidatorStateFile()
	}
	if l, err := openStoppedLedger(home, dataDir, "restoring it"); err != nil && strings.Contains(err.Error(), "is running") {
		return nil, err
	} else if err == nil {
		l.Close()
	}
	if entries, err := os.ReadDir(dataDir); err == nil && len(entries) > 0 && !onlyEmptyLedger(dataDir, entries) && !opts.Force {
		return nil, fmt.Errorf("%s already holds data: restoring replaces it; pass --force to do so", dataDir)
	}
	keptPV, _ := os.ReadFile(pvState)
	// A damaged sign state would be replaced by the backup's, older one.
	if keptPV != nil {
		if _, err := parseSignState(pvState, keptPV); err != nil {
			return nil, fmt.Errorf("%w (tallyd restore refuses: the backup's sign state is older)", err)
		}
	}

	tmp := dataDir + ".restoring"
	if err := os.RemoveAll(tmp); err != nil {
		return nil, err
	}
	if err := extract(r, tmp, filepath.Join(home, ConfigDir)); err != nil {
		os.RemoveAll(tmp)
		return nil, fmt.Errorf("restore: %w", err)
	}
	if err := os.RemoveAll(dataDir); err != nil {
		return nil, err
	}
	if err := os.Rename(tmp, dataDir); err != nil {
		return nil, err
	}
	if keptPV != nil && signedLater(keptPV, pvState) {
		if err := os.WriteFile(pvState, keptPV, 0o600); err != nil {
			return nil, err
		}
	}
	l, err := openStoppedLedger(home, dataDir, "restoring it")
	if err != nil {
		return nil, fmt.Errorf("restored ledger: %w", err)
	}
	defer l.Close()
	return &BackupInfo{ChainID: l.ChainID(), Height: l.LastHeight(), AppHash: l.LastAppHash()}, nil
}

// onlyEmptyLedger reports whether a data directory holds nothing but what
// opening a fresh node leaves (an empty ledger database).
func onlyEmptyLedger(dir string, entries []os.DirEntry) bool {
	for _, e := range entries {
		if e.Name() != LedgerDBName {
			return false
		}
	}
	l, err := openStoppedLedger("", dir, "")
	if err != nil {
		return false
	}
	defer l.Close()
	return l.LastHeight() == 0
}

// signedLater reports whether the last-sign state kept (from before the
// restore) is ahead of the one at path (from the backup).
func signedLater(kept []byte, path string) bool {
	var a, b privval.FilePVLastSignState
	if cmtjson.Unmarshal(kept, &a) != nil {
		return false
	}
	restored, err := os.ReadFile(path)
	if err != nil || cmtjson.Unmarshal(restored, &b) != nil {
		return true
	}
	if a.Height != b.Height {
		return a.Height > b.Height
	}
	if a.Round != b.Round {
		return a.Round > b.Round
	}
	return a.Step > b.Step
}

// extract unpacks the archive: data/... under dataDir, config/... under
// configDir for the files that do not exist there yet. Names that leave
// their directory, links and devices are refused.
func extract(r io.Reader, dataDir, configDir string) error {
	gz, err := gzip.NewReader(r)
	if err != nil {
		return fmt.Errorf("not a tallyd backup (gzip): %w", err)
	}
	tr := tar.NewReader(gz)
	sawData := false
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("read backup: %w", err)
		}
		name := path.Clean(h.Name)
		if strings.HasPrefix(name, "/") || name == ".." || strings.HasPrefix(name, "../") {
			return fmt.Errorf("backup entry %q leaves its directory", h.Name)
		}
		top, rest, _ := strings.Cut(name, "/")
		var dst string
		switch top {
		case backupDataDir:
			dst = filepath.Join(dataDir, filepath.FromSlash(rest))
			sawData = true
		case backupConfigDir:
			dst = filepath.Join(configDir, filepath.FromSlash(rest))
		default:
			return fmt.Errorf("backup entry %q is neither under data/ nor config/", h.Name)
		}
		switch h.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(dst, 0o700); err != nil {
				return err
			}
		case tar.TypeReg:
			if top == backupConfigDir {
				if _, err := os.Stat(dst); err == nil {
					continue // keep the home's own configuration and keys
				}
			}
			if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
				return err
			}
			f, err := os.OpenFile(dst, os.O_CREATE|os.O_EXCL|os.O_WRONLY, os.FileMode(h.Mode).Perm()|0o600)
			if err != nil {
				return err
			}
			if _, err := io.Copy(f, tr); err != nil {
				f.Close()
				return err
			}
			if err := f.Close(); err != nil {
				return err
			}
		default:
			return fmt.Errorf("backup entry %q is not a file or directory", h.Name)
		}
	}
	if !sawData {
		return errors.New("the backup holds no data directory")
	}
	return nil
}
