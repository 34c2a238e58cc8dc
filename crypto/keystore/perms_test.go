package keystore

import (
	"os"
	"path/filepath"
	"testing"
)

// A key file others can read is refused on every read, with the chmod that
// fixes it, whatever the backend; the file fixed, the key opens.
func TestExposedKeyFileRefused(t *testing.T) {
	for _, backend := range []string{BackendFile, BackendTest} {
		t.Run(backend, func(t *testing.T) {
			s := newStore(t).backend(backend).open()
			if _, _, err := s.Create("alice"); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(s.Dir(), "alice"+keyFileExt)
			for _, mode := range []os.FileMode{0o644, 0o640, 0o604, 0o660} {
				if err := os.Chmod(path, mode); err != nil {
					t.Fatal(err)
				}
				_, err := s.PrivKey("alice")
				wantErr(t, err, ErrExposedFile, "run chmod 600 "+path)
			}
			if err := os.Chmod(path, 0o600); err != nil {
				t.Fatal(err)
			}
			if _, err := s.PrivKey("alice"); err != nil {
				t.Fatalf("key at 0600: %v", err)
			}
		})
	}
}

func TestCheckPrivateFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "pw")
	if err := os.WriteFile(p, []byte("secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := CheckPrivateFile(p); err != nil {
		t.Fatalf("0600: %v", err)
	}
	if err := CheckPrivateFile(filepath.Join(dir, "missing")); err != nil {
		t.Fatalf("missing file: %v", err)
	}
	os.Chmod(p, 0o644)
	wantErr(t, CheckPrivateFile(p), ErrExposedFile, "mode 0644")
}
