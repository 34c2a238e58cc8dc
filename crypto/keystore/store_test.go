package keystore

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/tallyledger/tally/crypto"
)

const (
	abandonAbout = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about"
	// Published derivation of abandonAbout at m/44'/118'/0'/0/0 (see the
	// crypto package's tests).
	abandonPriv = "c4a48e2fce1481cd3294b4490f6678090ea98d3d0e5cd984558ab0968741b104"
	testPass    = "correct horse battery"
)

var fixedNow = time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)

// passwords records the calls a store makes to its PasswordFunc.
type passwords struct {
	password string
	err      error
	calls    []string // "name/create" or "name/open"
}

func (p *passwords) fn(name string, create bool) (string, error) {
	what := "open"
	if create {
		what = "create"
	}
	p.calls = append(p.calls, name+"/"+what)
	return p.password, p.err
}

// storeBuilder opens test stores: newStore(t).backend(BackendTest).open().
type storeBuilder struct {
	t    *testing.T
	dir  string
	opts Options
	pw   *passwords
}

func newStore(t *testing.T) *storeBuilder {
	t.Helper()
	pw := &passwords{password: testPass}
	return &storeBuilder{
		t:   t,
		dir: filepath.Join(t.TempDir(), "keys"),
		pw:  pw,
		opts: Options{
			Backend:  BackendFile,
			Password: pw.fn,
			ScryptN:  LightScryptN,
			Now:      func() time.Time { return fixedNow },
		},
	}
}

func (b *storeBuilder) backend(name string) *storeBuilder { b.opts.Backend = name; return b }
func (b *storeBuilder) in(dir string) *storeBuilder       { b.dir = dir; return b }
func (b *storeBuilder) password(pw string) *storeBuilder {
	b.pw.password = pw
	return b
}
func (b *storeBuilder) noPassword() *storeBuilder { b.opts.Password = nil; return b }

func (b *storeBuilder) open() *Store {
	b.t.Helper()
	s, err := Open(b.dir, b.opts)
	if err != nil {
		b.t.Fatalf("Open(%s): %v", b.dir, err)
	}
	return s
}

func mustImport(t *testing.T, s *Store, name, mnemonic string, index uint32) KeyInfo {
	t.Helper()
	info, err := s.ImportMnemonic(name, mnemonic, index)
	if err != nil {
		t.Fatalf("ImportMnemonic(%s): %v", name, err)
	}
	return info
}

func wantErr(t *testing.T, err, target error, mention string) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("error = %v, want %v", err, target)
	}
	if !strings.Contains(err.Error(), mention) {
		t.Fatalf("error %q does not mention %q", err, mention)
	}
}

func TestRoundTrip(t *testing.T) {
	for _, backend := range []string{BackendFile, BackendTest} {
		t.Run(backend, func(t *testing.T) {
			b := newStore(t).backend(backend)
			s := b.open()
			if s.Backend() != backend || s.Dir() != b.dir {
				t.Fatalf("Backend, Dir = %q, %q", s.Backend(), s.Dir())
			}

			want, err := crypto.KeyFromMnemonic(abandonAbout, "", 0)
			if err != nil {
				t.Fatal(err)
			}
			alice := mustImport(t, s, "alice", strings.ToUpper(abandonAbout)+"\n", 0)
			if alice.Address != want.PubKey().Address() || alice.PubKey != want.PubKey() {
				t.Fatalf("alice = %s, want %s", alice.Address, want.PubKey().Address())
			}
			if alice.Name != "alice" || alice.Backend != backend || alice.Source != SourceMnemonic ||
				alice.HDPath != "m/44'/118'/0'/0/0" || !alice.CreatedAt.Equal(fixedNow) {
				t.Fatalf("alice = %+v", alice)
			}

			bobKey, _ := crypto.GenerateKey(bytes.NewReader(bytes.Repeat([]byte{7}, 32)))
			bob, err := s.ImportPrivKey("bob", hex.EncodeToString(bobKey.Bytes()))
			if err != nil {
				t.Fatal(err)
			}
			if bob.Address != bobKey.PubKey().Address() || bob.Source != SourcePrivKey || bob.HDPath != "" {
				t.Fatalf("bob = %+v", bob)
			}

			carol, mnemonic, err := s.Create("carol")
			if err != nil {
				t.Fatal(err)
			}
			if n := len(strings.Fields(mnemonic)); n != 24 {
				t.Fatalf("Create returned a %d-word mnemonic, want 24", n)
			}
			ck, err := crypto.KeyFromMnemonic(mnemonic, "", 0)
			if err != nil || ck.PubKey().Address() != carol.Address {
				t.Fatalf("Create's mnemonic does not derive carol's address: %v", err)
			}

			// Everything reads back, also through a store opened afresh
			// with the recorded backend.
			for _, st := range []*Store{s, newStore(t).in(b.dir).backend("").open()} {
				list, err := st.List()
				if err != nil {
					t.Fatal(err)
				}
				if len(list) != 3 || list[0].Name != "alice" || list[1].Name != "bob" || list[2].Name != "carol" {
					t.Fatalf("List = %+v", list)
				}
				if list[0].Address != alice.Address || list[1].Address != bob.Address || list[2].Address != carol.Address {
					t.Fatal("List addresses differ from the imported ones")
				}
				got, err := st.Get("bob")
				if err != nil || got.Address != bob.Address || got.PubKey != bob.PubKey {
					t.Fatalf("Get(bob) = %+v, %v", got, err)
				}
				found, err := st.Find(alice.Address)
				if err != nil || found.Name != "alice" {
					t.Fatalf("Find(alice) = %+v, %v", found, err)
				}
				for _, q := range []string{"carol", carol.Address.String(), strings.ToUpper(carol.Address.String())} {
					if got, err := st.Lookup(q); err != nil || got.Name != "carol" {
						t.Fatalf("Lookup(%s) = %+v, %v", q, got, err)
					}
				}

				priv, err := st.PrivKey("alice")
				if err != nil {
					t.Fatal(err)
				}
				if hex.EncodeToString(priv.Bytes()) != abandonPriv {
					t.Fatalf("PrivKey(alice) = %x, want %s", priv.Bytes(), abandonPriv)
				}
				sig := priv.Sign([]byte("hello"))
				if err := alice.PubKey.Verify([]byte("hello"), sig[:]); err != nil {
					t.Fatalf("signature by the stored key: %v", err)
				}

				sec, err := st.Export("alice")
				if err != nil {
					t.Fatal(err)
				}
				if sec != (Secret{Mnemonic: abandonAbout, HDPath: "m/44'/118'/0'/0/0", PrivKey: abandonPriv}) {
					t.Fatalf("Export(alice) = %+v", sec)
				}
				sec, err = st.Export("bob")
				if err != nil || sec != (Secret{PrivKey: hex.EncodeToString(bobKey.Bytes())}) {
					t.Fatalf("Export(bob) = %+v, %v", sec, err)
				}
				sec, err = st.Export("carol")
				if err != nil || sec.Mnemonic != mnemonic {
					t.Fatalf("Export(carol) = %+v, %v", sec, err)
				}
			}
		})
	}
}

func TestImportMnemonicIndex(t *testing.T) {
	s := newStore(t).open()
	k1 := mustImport(t, s, "one", abandonAbout, 1)
	// Published: cosmos1jrkmdcwgq94uaamx6zax2luewlhf7u4kucx3kz.
	if k1.PubKey.String() != "03a9a0776157f1dee1fe2d65628747059a8796de9a379f3015c4dcf483f64840a6" || k1.HDPath != "m/44'/118'/0'/0/1" {
		t.Fatalf("index 1 = %+v", k1)
	}
	sec, err := s.Export("one")
	if err != nil || sec.HDPath != "m/44'/118'/0'/0/1" || sec.Mnemonic != abandonAbout {
		t.Fatalf("Export = %+v, %v", sec, err)
	}
}

func TestFileFormat(t *testing.T) {
	for _, backend := range []string{BackendFile, BackendTest} {
		t.Run(backend, func(t *testing.T) {
			b := newStore(t).backend(backend)
			s := b.open()
			info := mustImport(t, s, "alice", abandonAbout, 0)
			raw, err := os.ReadFile(filepath.Join(b.dir, "alice.key"))
			if err != nil {
				t.Fatal(err)
			}
			var m map[string]any
			if err := json.Unmarshal(raw, &m); err != nil {
				t.Fatal(err)
			}
			for k, want := range map[string]any{
				"version": 1.0, "name": "alice", "address": info.Address.String(), "pubkey": info.PubKey.String(),
				"backend": backend, "source": "mnemonic", "hd_path": "m/44'/118'/0'/0/0", "created_at": "2025-03-04T05:06:07Z",
			} {
				if m[k] != want {
					t.Errorf("%s = %v, want %v", k, m[k], want)
				}
			}
			secretInClear := bytes.Contains(raw, []byte(abandonPriv)) && bytes.Contains(raw, []byte(abandonAbout))
			switch backend {
			case BackendFile:
				if secretInClear || bytes.Contains(raw, []byte("abandon")) || bytes.Contains(raw, []byte(abandonPriv)) {
					t.Fatal("the file backend wrote the secret in the clear")
				}
				c := m["crypto"].(map[string]any)
				p := c["kdf_params"].(map[string]any)
				if c["kdf"] != "scrypt" || c["cipher"] != "xchacha20-poly1305" || p["n"] != float64(LightScryptN) || p["r"] != 8.0 || p["p"] != 1.0 {
					t.Fatalf("crypto = %v", c)
				}
				if m["secret"] != nil || m["warning"] != nil {
					t.Fatal("an encrypted key file has a clear secret or a warning")
				}
			case BackendTest:
				if !secretInClear {
					t.Fatal("the test backend should store the secret in the clear")
				}
				if w, _ := m["warning"].(string); !strings.Contains(w, "UNENCRYPTED") {
					t.Fatalf("warning = %q", w)
				}
				if m["crypto"] != nil {
					t.Fatal("a test key file has a crypto section")
				}
			}
		})
	}
}

func TestSaltAndNonceAreFresh(t *testing.T) {
	b := newStore(t)
	s := b.open()
	mustImport(t, s, "a", abandonAbout, 0)
	mustImport(t, s, "b", abandonAbout, 1)
	ca, cb := cryptoOf(t, b.dir, "a"), cryptoOf(t, b.dir, "b")
	if ca.KDFParams.Salt == cb.KDFParams.Salt || ca.Nonce == cb.Nonce {
		t.Fatal("two keys share a salt or a nonce")
	}
}

func cryptoOf(t *testing.T, dir, name string) cryptoSection {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(dir, name+".key"))
	if err != nil {
		t.Fatal(err)
	}
	var kf keyFile
	if err := json.Unmarshal(raw, &kf); err != nil || kf.Crypto == nil {
		t.Fatalf("read %s: %v", name, err)
	}
	return *kf.Crypto
}

func TestCreatedAtOptional(t *testing.T) {
	b := newStore(t)
	b.opts.Now = func() time.Time { return time.Time{} }
	s := b.open()
	info := mustImport(t, s, "alice", abandonAbout, 0)
	raw, _ := os.ReadFile(filepath.Join(b.dir, "alice.key"))
	if bytes.Contains(raw, []byte("created_at")) || !info.CreatedAt.IsZero() {
		t.Fatal("created_at written although Now returned the zero time")
	}
	got, err := s.Get("alice")
	if err != nil || !got.CreatedAt.IsZero() {
		t.Fatalf("Get = %+v, %v", got, err)
	}
}

func TestDefaultScryptN(t *testing.T) {
	b := newStore(t)
	b.opts.ScryptN = 0
	s := b.open()
	if _, err := s.ImportPrivKey("alice", abandonPriv); err != nil {
		t.Fatal(err)
	}
	if n := cryptoOf(t, b.dir, "alice").KDFParams.N; n != DefaultScryptN || n < 1<<15 {
		t.Fatalf("scrypt N = %d, want %d", n, DefaultScryptN)
	}
	// A store with another cost still reads the key with its own.
	if _, err := newStore(t).in(b.dir).open().PrivKey("alice"); err != nil {
		t.Fatal(err)
	}
}

func TestOpenOptions(t *testing.T) {
	tests := []struct {
		name    string
		opts    Options
		mention string
	}{
		{"unknown backend", Options{Backend: "os"}, `unknown backend "os"`},
		{"scrypt N not a power of two", Options{ScryptN: 5000}, "power of two"},
		{"scrypt N too small", Options{ScryptN: 512}, "power of two"},
		{"scrypt N too large", Options{ScryptN: 1 << 21}, "power of two"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Open(filepath.Join(t.TempDir(), "k"), tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.mention) {
				t.Fatalf("Open = %v, want an error mentioning %q", err, tt.mention)
			}
		})
	}
	if _, err := Open("", Options{}); err == nil {
		t.Fatal("Open(\"\") succeeded")
	}
}

func TestFileModes(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("POSIX modes")
	}
	b := newStore(t).in(filepath.Join(t.TempDir(), "home", "keys"))
	s := b.open()
	mustImport(t, s, "alice", abandonAbout, 0)
	for path, want := range map[string]fs.FileMode{
		b.dir:                             0o700 | fs.ModeDir,
		filepath.Dir(b.dir):               0o700 | fs.ModeDir,
		filepath.Join(b.dir, "alice.key"): 0o600,
		filepath.Join(b.dir, MarkerFile):  0o600,
	} {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode() != want {
			t.Errorf("%s: mode %v, want %v", filepath.Base(path), fi.Mode(), want)
		}
	}
}

func TestWrongPassword(t *testing.T) {
	b := newStore(t)
	mustImport(t, b.open(), "alice", abandonAbout, 0)
	s := newStore(t).in(b.dir).password("not the password").open()
	_, err := s.PrivKey("alice")
	if !errors.Is(err, ErrWrongPassword) || err.Error() != `wrong password for key "alice"` {
		t.Fatalf("PrivKey = %v, want ErrWrongPassword for alice", err)
	}
	if _, err := s.Export("alice"); !errors.Is(err, ErrWrongPassword) {
		t.Fatalf("Export = %v, want ErrWrongPassword", err)
	}
	// The public part needs no password.
	if _, err := s.Get("alice"); err != nil {
		t.Fatal(err)
	}
}

func TestPasswordCalls(t *testing.T) {
	b := newStore(t)
	s := b.open()
	mustImport(t, s, "alice", abandonAbout, 0)
	if _, err := s.List(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get("alice"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.PrivKey("alice"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Export("alice"); err != nil {
		t.Fatal(err)
	}
	want := []string{"alice/create", "alice/open", "alice/open"}
	if strings.Join(b.pw.calls, " ") != strings.Join(want, " ") {
		t.Fatalf("password calls %v, want %v", b.pw.calls, want)
	}

	// The test backend never asks.
	tb := newStore(t).backend(BackendTest)
	ts := tb.open()
	mustImport(t, ts, "alice", abandonAbout, 0)
	if _, err := ts.PrivKey("alice"); err != nil {
		t.Fatal(err)
	}
	if len(tb.pw.calls) != 0 {
		t.Fatalf("test backend asked for passwords: %v", tb.pw.calls)
	}
}

func TestPasswordProblems(t *testing.T) {
	t.Run("no password source", func(t *testing.T) {
		b := newStore(t)
		mustImport(t, b.open(), "alice", abandonAbout, 0)
		s := newStore(t).in(b.dir).noPassword().open()
		_, err := s.PrivKey("alice")
		wantErr(t, err, ErrNoPassword, `key "alice"`)
		_, err = s.ImportPrivKey("bob", strings.Repeat("11", 32))
		wantErr(t, err, ErrNoPassword, `key "bob"`)
		if list, err := s.List(); err != nil || len(list) != 1 {
			t.Fatalf("List without a password = %v, %v", list, err)
		}
	})
	t.Run("password func fails", func(t *testing.T) {
		b := newStore(t)
		b.pw.err = errors.New("prompt cancelled")
		_, err := b.open().ImportPrivKey("bob", strings.Repeat("11", 32))
		if err == nil || !strings.Contains(err.Error(), "prompt cancelled") || !strings.Contains(err.Error(), `"bob"`) {
			t.Fatalf("error = %v", err)
		}
		if _, err := os.Stat(filepath.Join(b.dir, "bob.key")); !errors.Is(err, fs.ErrNotExist) {
			t.Fatal("a key file was written although the password failed")
		}
	})
	t.Run("too short", func(t *testing.T) {
		s := newStore(t).password("1234567").open()
		_, err := s.ImportPrivKey("bob", strings.Repeat("11", 32))
		wantErr(t, err, ErrWeakPassword, "at least 8")
	})
	t.Run("empty", func(t *testing.T) {
		s := newStore(t).password("").open()
		_, err := s.ImportPrivKey("bob", strings.Repeat("11", 32))
		wantErr(t, err, ErrWeakPassword, "0 characters")
	})
}

func TestNames(t *testing.T) {
	good := []string{"a", "0", "alice", "node-0", "my_key", "a" + strings.Repeat("b", 39)}
	bad := []string{"", "Alice", "-a", "_a", "a.b", "a b", "../x", "a/b", "é", "a" + strings.Repeat("b", 40), "alice\n"}
	for _, n := range good {
		if err := ValidateName(n); err != nil {
			t.Errorf("ValidateName(%q) = %v", n, err)
		}
	}
	s := newStore(t).backend(BackendTest).open()
	for _, n := range bad {
		if err := ValidateName(n); !errors.Is(err, ErrBadName) {
			t.Errorf("ValidateName(%q) = %v, want ErrBadName", n, err)
		}
		if _, err := s.ImportMnemonic(n, abandonAbout, 0); !errors.Is(err, ErrBadName) {
			t.Errorf("ImportMnemonic(%q) = %v, want ErrBadName", n, err)
		}
		for name, op := range map[string]func(string) error{
			"Get":     func(n string) error { _, err := s.Get(n); return err },
			"PrivKey": func(n string) error { _, err := s.PrivKey(n); return err },
			"Export":  func(n string) error { _, err := s.Export(n); return err },
			"Delete":  s.Delete,
		} {
			if err := op(n); !errors.Is(err, ErrBadName) {
				t.Errorf("%s(%q) = %v, want ErrBadName", name, n, err)
			}
		}
	}
	if _, err := s.ImportMnemonic(good[len(good)-1], abandonAbout, 0); err != nil {
		t.Fatalf("40-character name: %v", err)
	}
}

func TestDuplicates(t *testing.T) {
	b := newStore(t)
	s := b.open()
	mustImport(t, s, "alice", abandonAbout, 0)
	path := filepath.Join(b.dir, "alice.key")
	before, _ := os.ReadFile(path)
	b.pw.calls = nil

	_, err := s.ImportMnemonic("alice", abandonAbout, 1)
	wantErr(t, err, ErrKeyExists, `key "alice" already exists`)
	_, _, err = s.Create("alice")
	wantErr(t, err, ErrKeyExists, `"alice"`)
	_, err = s.ImportMnemonic("alice2", abandonAbout, 0)
	wantErr(t, err, ErrAddressExists, `already stored as key "alice"`)
	_, err = s.ImportPrivKey("alice3", abandonPriv)
	wantErr(t, err, ErrAddressExists, `"alice"`)

	if len(b.pw.calls) != 0 {
		t.Fatalf("asked for a password before refusing a duplicate: %v", b.pw.calls)
	}
	after, _ := os.ReadFile(path)
	if !bytes.Equal(before, after) {
		t.Fatal("a refused duplicate changed the existing key file")
	}
	if list, _ := s.List(); len(list) != 1 {
		t.Fatalf("List = %v", list)
	}
}

func TestDelete(t *testing.T) {
	b := newStore(t).backend(BackendTest)
	s := b.open()
	info := mustImport(t, s, "alice", abandonAbout, 0)
	if err := s.Delete("alice"); err != nil {
		t.Fatal(err)
	}
	_, err := s.Get("alice")
	wantErr(t, err, ErrKeyNotFound, `key "alice" not found`)
	_, err = s.Find(info.Address)
	wantErr(t, err, ErrKeyNotFound, info.Address.String())
	wantErr(t, s.Delete("alice"), ErrKeyNotFound, `"alice"`)
	// The address can be stored again, under another name.
	mustImport(t, s, "alice-again", abandonAbout, 0)
}

func TestNotFound(t *testing.T) {
	s := newStore(t).open()
	_, err := s.Get("nobody")
	wantErr(t, err, ErrKeyNotFound, `key "nobody" not found`)
	_, err = s.PrivKey("nobody")
	wantErr(t, err, ErrKeyNotFound, `"nobody"`)
	_, err = s.Lookup("nobody")
	wantErr(t, err, ErrKeyNotFound, `"nobody"`)
	// A short tally1... string is a valid key name.
	_, err = s.Lookup("tally1")
	wantErr(t, err, ErrKeyNotFound, `key "tally1" not found`)
	// An address with a typo in its checksum.
	bad := "tally19rl4cm2hmr8afy4kldpxz3fka4jguq0a377fex"
	_, err = s.Lookup(bad)
	wantErr(t, err, crypto.ErrBadAddress, "checksum")
	_, err = s.Lookup("Not A Name")
	wantErr(t, err, ErrBadName, `"Not A Name"`)
}

func TestLookupKeyNamedLikeAddressPrefix(t *testing.T) {
	s := newStore(t).backend(BackendTest).open()
	mustImport(t, s, "tally1", abandonAbout, 0)
	got, err := s.Lookup("tally1")
	if err != nil || got.Name != "tally1" {
		t.Fatalf("Lookup(tally1) = %+v, %v", got, err)
	}
}

func TestImportPrivKeyInput(t *testing.T) {
	s := newStore(t).backend(BackendTest).open()
	tests := []struct {
		name, in string
		ok       bool
		mention  string
	}{
		{"plain", abandonPriv, true, ""},
		{"0x and spaces", "  0x" + abandonPriv + "\n", true, ""},
		{"not hex", "zz" + abandonPriv[2:], false, "not hex"},
		{"31 bytes", abandonPriv[2:], false, "31 bytes"},
		{"zero", strings.Repeat("00", 32), false, "out of range"},
		{"order N", "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141", false, "out of range"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name := "k" + string(rune('a'+i))
			info, err := s.ImportPrivKey(name, tt.in)
			if !tt.ok {
				if err == nil || !strings.Contains(err.Error(), tt.mention) || !strings.Contains(err.Error(), name) {
					t.Fatalf("ImportPrivKey(%q) = %v, want an error naming the key and mentioning %q", tt.in, err, tt.mention)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Delete(info.Name); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestImportMnemonicInvalid(t *testing.T) {
	s := newStore(t).open()
	_, err := s.ImportMnemonic("alice", strings.Repeat("abandon ", 12), 0)
	wantErr(t, err, crypto.ErrBadMnemonic, "checksum")
	_, err = s.ImportMnemonic("alice", strings.Repeat("abandon ", 11)+"abandonx", 0)
	wantErr(t, err, crypto.ErrBadMnemonic, "abandonx")
	if list, _ := s.List(); len(list) != 0 {
		t.Fatalf("List = %v after failed imports", list)
	}
}

func TestListIgnoresOtherFiles(t *testing.T) {
	b := newStore(t).backend(BackendTest)
	s := b.open()
	for _, n := range []string{"zed", "alice", "m", "bob"} {
		if _, err := s.ImportPrivKey(n, hex.EncodeToString(bytes.Repeat([]byte{n[0]}, 32))); err != nil {
			t.Fatal(err)
		}
	}
	for _, junk := range []string{"README", "Upper.key", ".alice.key.tmp-123", "notes.txt", "bad name.key"} {
		if err := os.WriteFile(filepath.Join(b.dir, junk), []byte("junk"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	list, err := s.List()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, k := range list {
		names = append(names, k.Name)
	}
	if strings.Join(names, ",") != "alice,bob,m,zed" {
		t.Fatalf("List names = %v, want sorted alice,bob,m,zed", names)
	}
}
