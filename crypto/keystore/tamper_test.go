package keystore

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tallyledger/tally/crypto"
)

// jsonEdit changes a decoded key file.
type jsonEdit func(m map[string]any)

func set(path string, v any) jsonEdit {
	return func(m map[string]any) {
		keys := strings.Split(path, ".")
		for _, k := range keys[:len(keys)-1] {
			m = m[k].(map[string]any)
		}
		if v == nil {
			delete(m, keys[len(keys)-1])
			return
		}
		m[keys[len(keys)-1]] = v
	}
}

func get(m map[string]any, path string) string {
	keys := strings.Split(path, ".")
	for _, k := range keys[:len(keys)-1] {
		m = m[k].(map[string]any)
	}
	return m[keys[len(keys)-1]].(string)
}

// flipHex changes one nibble of a hex field at position i.
func flipHex(path string, i int) jsonEdit {
	return func(m map[string]any) {
		s := []byte(get(m, path))
		if s[i] == '0' {
			s[i] = '1'
		} else {
			s[i] = '0'
		}
		set(path, string(s))(m)
	}
}

func editKeyFile(t *testing.T, path string, edits ...jsonEdit) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	for _, e := range edits {
		e(m)
	}
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, out, 0o600); err != nil {
		t.Fatal(err)
	}
}

// otherKey is a second, valid key for swaps.
func otherKey(t *testing.T) (crypto.PubKey, crypto.Address) {
	k, err := crypto.KeyFromMnemonic(abandonAbout, "", 1)
	if err != nil {
		t.Fatal(err)
	}
	return k.PubKey(), k.PubKey().Address()
}

func TestTamperedFileBackend(t *testing.T) {
	otherPub, otherAddr := otherKey(t)
	tests := []struct {
		name string
		edit []jsonEdit
		raw  func([]byte) []byte
		// readErr is the error of Get/List (public part), or nil if the
		// public part still reads and decryption must catch it.
		readErr error
		openErr error
		mention string
	}{
		{name: "ciphertext bit", edit: []jsonEdit{flipHex("crypto.ciphertext", 10)}, openErr: ErrCorruptKey, mention: "does not authenticate"},
		{name: "ciphertext tag", edit: []jsonEdit{flipHex("crypto.ciphertext", 0)}, openErr: ErrCorruptKey, mention: "does not authenticate"},
		{name: "ciphertext truncated", edit: []jsonEdit{func(m map[string]any) {
			c := get(m, "crypto.ciphertext")
			set("crypto.ciphertext", c[:len(c)-2])(m)
		}}, openErr: ErrCorruptKey, mention: "does not authenticate"},
		{name: "ciphertext too short", edit: []jsonEdit{set("crypto.ciphertext", "00")}, readErr: ErrCorruptKey, mention: "ciphertext"},
		{name: "nonce", edit: []jsonEdit{flipHex("crypto.nonce", 3)}, openErr: ErrCorruptKey, mention: "does not authenticate"},
		// A changed salt, cost or check value cannot be told from a wrong
		// password: both make the derived key differ.
		{name: "salt", edit: []jsonEdit{flipHex("crypto.kdf_params.salt", 5)}, openErr: ErrWrongPassword, mention: `wrong password for key "alice"`},
		{name: "password check", edit: []jsonEdit{flipHex("crypto.password_check", 5)}, openErr: ErrWrongPassword, mention: "wrong password"},
		{name: "kdf n lowered", edit: []jsonEdit{set("crypto.kdf_params.n", float64(LightScryptN/2))}, openErr: ErrWrongPassword, mention: "wrong password"},
		{name: "kdf n huge", edit: []jsonEdit{set("crypto.kdf_params.n", float64(1<<30))}, readErr: ErrCorruptKey, mention: "scrypt cost"},
		{name: "kdf n not a power of two", edit: []jsonEdit{set("crypto.kdf_params.n", 5000.0)}, readErr: ErrCorruptKey, mention: "power of two"},
		{name: "kdf memory", edit: []jsonEdit{set("crypto.kdf_params.n", float64(1<<20)), set("crypto.kdf_params.r", 16.0)}, readErr: ErrCorruptKey, mention: "MiB"},
		{name: "kdf r zero", edit: []jsonEdit{set("crypto.kdf_params.r", 0.0)}, readErr: ErrCorruptKey, mention: "r=0"},
		{name: "kdf p huge", edit: []jsonEdit{set("crypto.kdf_params.p", 1e6)}, readErr: ErrCorruptKey, mention: "p=1000000"},
		{name: "kdf name", edit: []jsonEdit{set("crypto.kdf", "pbkdf2")}, readErr: ErrCorruptKey, mention: `kdf "pbkdf2"`},
		{name: "cipher name", edit: []jsonEdit{set("crypto.cipher", "aes-128-ctr")}, readErr: ErrCorruptKey, mention: `cipher "aes-128-ctr"`},
		{name: "salt not hex", edit: []jsonEdit{set("crypto.kdf_params.salt", "xyz")}, readErr: ErrCorruptKey, mention: "salt"},
		{name: "salt short", edit: []jsonEdit{set("crypto.kdf_params.salt", "abcd")}, readErr: ErrCorruptKey, mention: "salt"},
		{name: "nonce short", edit: []jsonEdit{set("crypto.nonce", "abcd")}, readErr: ErrCorruptKey, mention: "nonce"},
		{name: "no crypto section", edit: []jsonEdit{set("crypto", nil)}, readErr: ErrCorruptKey, mention: `"crypto"`},
		{name: "clear secret added", edit: []jsonEdit{set("secret", map[string]any{"priv_key": abandonPriv})}, readErr: ErrCorruptKey, mention: `"secret"`},
		{name: "address of another key", edit: []jsonEdit{set("address", otherAddr.String())}, readErr: ErrCorruptKey, mention: "does not belong to pubkey"},
		{name: "address invalid", edit: []jsonEdit{set("address", "tally1xyz")}, readErr: ErrCorruptKey, mention: "address"},
		{name: "pubkey and address of another key", edit: []jsonEdit{set("pubkey", otherPub.String()), set("address", otherAddr.String())}, openErr: ErrCorruptKey, mention: "does not authenticate"},
		{name: "pubkey off curve", edit: []jsonEdit{set("pubkey", "02"+strings.Repeat("00", 31)+"05")}, readErr: ErrCorruptKey, mention: "pubkey"},
		{name: "pubkey not hex", edit: []jsonEdit{set("pubkey", "nothex")}, readErr: ErrCorruptKey, mention: "pubkey"},
		{name: "hd_path index", edit: []jsonEdit{set("hd_path", "m/44'/118'/0'/0/1")}, openErr: ErrCorruptKey, mention: "does not derive"},
		{name: "hd_path garbage", edit: []jsonEdit{set("hd_path", "m/44'/60'/0'/0/0")}, readErr: ErrCorruptKey, mention: "hd_path"},
		{name: "hd_path trailing", edit: []jsonEdit{set("hd_path", "m/44'/118'/0'/0/0x")}, readErr: ErrCorruptKey, mention: "hd_path"},
		{name: "source privkey", edit: []jsonEdit{set("source", "privkey"), set("hd_path", nil)}, openErr: ErrCorruptKey, mention: "mnemonic is stored"},
		{name: "source unknown", edit: []jsonEdit{set("source", "ledger")}, readErr: ErrCorruptKey, mention: `source "ledger"`},
		{name: "name inside", edit: []jsonEdit{set("name", "bob")}, readErr: ErrCorruptKey, mention: `holds key "bob"`},
		{name: "version", edit: []jsonEdit{set("version", 2.0)}, readErr: ErrCorruptKey, mention: "version 2"},
		{name: "backend unknown", edit: []jsonEdit{set("backend", "os")}, readErr: ErrCorruptKey, mention: `backend "os"`},
		{name: "unknown field", edit: []jsonEdit{set("extra", "x")}, readErr: ErrCorruptKey, mention: "extra"},
		{name: "created_at garbage", edit: []jsonEdit{set("created_at", "yesterday")}, readErr: ErrCorruptKey, mention: "not a key file"},
		{name: "truncated JSON", raw: func(b []byte) []byte { return b[:len(b)/2] }, readErr: ErrCorruptKey, mention: "not a key file"},
		{name: "empty file", raw: func([]byte) []byte { return nil }, readErr: ErrCorruptKey, mention: "not a key file"},
		{name: "trailing data", raw: func(b []byte) []byte { return append(b, []byte(`{"x":1}`)...) }, readErr: ErrCorruptKey, mention: "trailing"},
		{name: "not JSON", raw: func([]byte) []byte { return []byte("\x00\x01binary") }, readErr: ErrCorruptKey, mention: "not a key file"},
		{name: "JSON array", raw: func([]byte) []byte { return []byte("[1,2]") }, readErr: ErrCorruptKey, mention: "not a key file"},
		{name: "huge file", raw: func(b []byte) []byte { return append(b, make([]byte, maxKeyFileSize)...) }, readErr: ErrCorruptKey, mention: "bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newStore(t)
			s := b.open()
			mustImport(t, s, "alice", abandonAbout, 0)
			path := filepath.Join(b.dir, "alice.key")
			if tt.raw != nil {
				raw, _ := os.ReadFile(path)
				if err := os.WriteFile(path, tt.raw(raw), 0o600); err != nil {
					t.Fatal(err)
				}
			} else {
				editKeyFile(t, path, tt.edit...)
			}

			_, getErr := s.Get("alice")
			_, listErr := s.List()
			_, keyErr := s.PrivKey("alice")
			_, exportErr := s.Export("alice")
			if tt.readErr != nil {
				wantErr(t, getErr, tt.readErr, tt.mention)
				wantErr(t, listErr, tt.readErr, `"alice"`)
				wantErr(t, keyErr, tt.readErr, tt.mention)
				return
			}
			if getErr != nil || listErr != nil {
				t.Fatalf("public part should still read: Get %v, List %v", getErr, listErr)
			}
			wantErr(t, keyErr, tt.openErr, tt.mention)
			wantErr(t, exportErr, tt.openErr, tt.mention)
			if !strings.Contains(keyErr.Error(), `"alice"`) {
				t.Fatalf("error %q does not name the key", keyErr)
			}
		})
	}
}

func TestTamperedTestBackend(t *testing.T) {
	otherPub, otherAddr := otherKey(t)
	otherPriv, _ := crypto.KeyFromMnemonic(abandonAbout, "", 1)
	tests := []struct {
		name    string
		edit    []jsonEdit
		readErr error
		openErr error
		mention string
	}{
		{name: "priv_key of another key", edit: []jsonEdit{set("secret.priv_key", hex.EncodeToString(otherPriv.Bytes()))}, openErr: ErrCorruptKey, mention: "does not match pubkey"},
		{name: "priv_key not hex", edit: []jsonEdit{set("secret.priv_key", "zz")}, openErr: ErrCorruptKey, mention: "not hex"},
		{name: "priv_key zero", edit: []jsonEdit{set("secret.priv_key", strings.Repeat("00", 32))}, openErr: ErrCorruptKey, mention: "priv_key"},
		{name: "mnemonic changed", edit: []jsonEdit{set("secret.mnemonic", strings.Repeat("abandon ", 23)+"art")}, openErr: ErrCorruptKey, mention: "does not derive"},
		{name: "mnemonic invalid", edit: []jsonEdit{set("secret.mnemonic", "abandon")}, openErr: ErrCorruptKey, mention: "mnemonic"},
		{name: "public part of another key", edit: []jsonEdit{set("pubkey", otherPub.String()), set("address", otherAddr.String())}, openErr: ErrCorruptKey, mention: "does not match pubkey"},
		{name: "no secret", edit: []jsonEdit{set("secret", nil)}, readErr: ErrCorruptKey, mention: `"secret"`},
		{name: "secret unknown field", edit: []jsonEdit{set("secret.extra", "x")}, readErr: ErrCorruptKey, mention: "extra"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newStore(t).backend(BackendTest)
			s := b.open()
			mustImport(t, s, "alice", abandonAbout, 0)
			editKeyFile(t, filepath.Join(b.dir, "alice.key"), tt.edit...)
			_, getErr := s.Get("alice")
			_, keyErr := s.PrivKey("alice")
			if tt.readErr != nil {
				wantErr(t, getErr, tt.readErr, tt.mention)
				return
			}
			if getErr != nil {
				t.Fatalf("Get: %v", getErr)
			}
			wantErr(t, keyErr, tt.openErr, tt.mention)
		})
	}
}

func TestNotARegularFile(t *testing.T) {
	b := newStore(t)
	s := b.open()
	if err := os.Mkdir(filepath.Join(b.dir, "alice.key"), 0o700); err != nil {
		t.Fatal(err)
	}
	_, err := s.Get("alice")
	wantErr(t, err, ErrCorruptKey, "not a regular file")
}

func TestBackendMismatch(t *testing.T) {
	fileB := newStore(t)
	fileStore := fileB.open()
	mustImport(t, fileStore, "alice", abandonAbout, 0)
	testB := newStore(t).backend(BackendTest)
	testStore := testB.open()
	mustImport(t, testStore, "bob", abandonAbout, 1)

	t.Run("open with the other backend", func(t *testing.T) {
		_, err := Open(fileB.dir, Options{Backend: BackendTest})
		wantErr(t, err, ErrBackendMismatch, `uses the "file" backend, not "test"`)
		_, err = Open(testB.dir, Options{Backend: BackendFile})
		wantErr(t, err, ErrBackendMismatch, `uses the "test" backend, not "file"`)
	})
	t.Run("recorded backend is used", func(t *testing.T) {
		s, err := Open(testB.dir, Options{})
		if err != nil || s.Backend() != BackendTest {
			t.Fatalf("Open = %v, %v", s, err)
		}
	})
	t.Run("test key copied into a file store", func(t *testing.T) {
		copyFile(t, filepath.Join(testB.dir, "bob.key"), filepath.Join(fileB.dir, "bob.key"))
		defer os.Remove(filepath.Join(fileB.dir, "bob.key"))
		_, err := fileStore.Get("bob")
		wantErr(t, err, ErrBackendMismatch, `key "bob" is stored UNENCRYPTED by the "test" backend, but this key store uses the "file" backend`)
		_, err = fileStore.PrivKey("bob")
		wantErr(t, err, ErrBackendMismatch, "UNENCRYPTED")
		_, err = fileStore.List()
		wantErr(t, err, ErrBackendMismatch, `"bob"`)
	})
	t.Run("file key copied into a test store", func(t *testing.T) {
		copyFile(t, filepath.Join(fileB.dir, "alice.key"), filepath.Join(testB.dir, "alice.key"))
		defer os.Remove(filepath.Join(testB.dir, "alice.key"))
		_, err := testStore.PrivKey("alice")
		wantErr(t, err, ErrBackendMismatch, `key "alice" is stored encrypted by the "file" backend, but this key store uses the "test" backend`)
	})
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestMarker(t *testing.T) {
	t.Run("written on first open", func(t *testing.T) {
		b := newStore(t).backend("")
		b.open()
		raw, err := os.ReadFile(filepath.Join(b.dir, MarkerFile))
		if err != nil {
			t.Fatal(err)
		}
		var m marker
		if err := json.Unmarshal(raw, &m); err != nil || m != (marker{Version: 1, Backend: BackendFile}) {
			t.Fatalf("marker = %s (%v)", raw, err)
		}
	})
	t.Run("missing with key files present", func(t *testing.T) {
		b := newStore(t).backend(BackendTest)
		mustImport(t, b.open(), "alice", abandonAbout, 0)
		if err := os.Remove(filepath.Join(b.dir, MarkerFile)); err != nil {
			t.Fatal(err)
		}
		_, err := Open(b.dir, Options{})
		if err == nil || !strings.Contains(err.Error(), "no "+MarkerFile) {
			t.Fatalf("Open = %v", err)
		}
	})
	for _, tt := range []struct{ name, content, mention string }{
		{"garbage", "{", MarkerFile},
		{"unknown backend", `{"version":1,"backend":"os"}`, `backend "os"`},
		{"version", `{"version":7,"backend":"file"}`, "version 7"},
		{"unknown field", `{"version":1,"backend":"file","x":1}`, `"x"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, MarkerFile), []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := Open(dir, Options{})
			if err == nil || !strings.Contains(err.Error(), tt.mention) {
				t.Fatalf("Open = %v, want an error mentioning %q", err, tt.mention)
			}
		})
	}
}

func TestWriteFileAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "alice.key")
	if err := WriteFileAtomic(path, []byte("first"), false); err != nil {
		t.Fatal(err)
	}
	t.Run("no overwrite keeps the old file", func(t *testing.T) {
		err := WriteFileAtomic(path, []byte("second"), false)
		if !errors.Is(err, fs.ErrExist) {
			t.Fatalf("writeFileAtomic over an existing file = %v, want fs.ErrExist", err)
		}
		if b, _ := os.ReadFile(path); string(b) != "first" {
			t.Fatalf("content = %q, want first", b)
		}
	})
	t.Run("overwrite replaces the whole file", func(t *testing.T) {
		if err := WriteFileAtomic(path, []byte("2nd"), true); err != nil {
			t.Fatal(err)
		}
		if b, _ := os.ReadFile(path); string(b) != "2nd" {
			t.Fatalf("content = %q, want 2nd", b)
		}
		if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
			t.Fatalf("mode %v, want 0600", fi.Mode().Perm())
		}
	})
	t.Run("failed write leaves the old file", func(t *testing.T) {
		// Writing into a missing directory fails before anything is moved.
		if err := WriteFileAtomic(filepath.Join(dir, "missing", "alice.key"), []byte("x"), true); err == nil {
			t.Fatal("write into a missing directory succeeded")
		}
		if b, _ := os.ReadFile(path); string(b) != "2nd" {
			t.Fatalf("content = %q", b)
		}
	})
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Fatalf("directory holds %v, want only alice.key (no temporary files left)", names)
	}
}

func TestInterruptedWriteIsHarmless(t *testing.T) {
	// A crash between writing the temporary file and moving it into place
	// leaves a stray temporary file: the store ignores it and the key it
	// was meant to become can still be created.
	b := newStore(t).backend(BackendTest)
	s := b.open()
	if err := os.WriteFile(filepath.Join(b.dir, ".alice.key.tmp-42"), []byte(`{"version":1,"na`), 0o600); err != nil {
		t.Fatal(err)
	}
	if list, err := s.List(); err != nil || len(list) != 0 {
		t.Fatalf("List = %v, %v", list, err)
	}
	mustImport(t, s, "alice", abandonAbout, 0)
	if _, err := s.PrivKey("alice"); err != nil {
		t.Fatal(err)
	}
}

func TestConcurrentCreateDoesNotClobber(t *testing.T) {
	// Another process creates alice.key after this store checked for it
	// (here: while it asks for the password). The write must fail rather
	// than replace that key.
	b := newStore(t)
	other := []byte("written by another process")
	b.opts.Password = func(name string, create bool) (string, error) {
		if err := os.WriteFile(filepath.Join(b.dir, name+".key"), other, 0o600); err != nil {
			t.Fatal(err)
		}
		return testPass, nil
	}
	s := b.open()
	_, err := s.ImportMnemonic("alice", abandonAbout, 0)
	wantErr(t, err, ErrKeyExists, `key "alice" already exists`)
	if got, _ := os.ReadFile(filepath.Join(b.dir, "alice.key")); string(got) != string(other) {
		t.Fatalf("the other process's file was replaced: %q", got)
	}
	entries, _ := os.ReadDir(b.dir)
	if len(entries) != 2 { // keyring.json and alice.key
		t.Fatalf("%d entries left in the directory, want 2 (no temporary file)", len(entries))
	}
}
