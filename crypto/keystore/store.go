package keystore

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/tallyledger/tally/crypto"
)

// Backends. The backend of a key store is chosen when the directory is first
// opened and recorded in its marker file; every key file records it too.
const (
	// BackendFile keeps each private key (and its mnemonic) encrypted under
	// a password: scrypt, then XChaCha20-Poly1305. The default.
	BackendFile = "file"
	// BackendTest keeps keys UNENCRYPTED. It exists for local test networks
	// and must be asked for explicitly.
	BackendTest = "test"
)

// Key sources, as reported in KeyInfo.Source.
const (
	SourceMnemonic = "mnemonic" // derived from a BIP-39 mnemonic at KeyInfo.HDPath
	SourcePrivKey  = "privkey"  // imported as a raw private key
)

// KDF cost and password policy.
const (
	// DefaultScryptN is the scrypt cost used when Options.ScryptN is 0
	// (64 MiB of memory with r=8).
	DefaultScryptN = 1 << 16
	// LightScryptN is a cheap cost for tests. Never use it for real keys.
	LightScryptN = 1 << 12
	// MinPasswordLength is the shortest password the file backend accepts
	// for a new key.
	MinPasswordLength = 8
)

// MarkerFile is the name of the file in a key store directory that records
// its backend.
const MarkerFile = "keyring.json"

// keyFileExt is the extension of key files: <name>.key.
const keyFileExt = ".key"

// Errors. Returned errors wrap these (test with errors.Is) and carry a
// message naming the key and what was expected.
var (
	ErrKeyNotFound     = errors.New("key not found")
	ErrKeyExists       = errors.New("key already exists")
	ErrAddressExists   = errors.New("address already stored")
	ErrBadName         = errors.New("invalid key name")
	ErrWrongPassword   = errors.New("wrong password")
	ErrNoPassword      = errors.New("no password")
	ErrWeakPassword    = errors.New("password too short")
	ErrCorruptKey      = errors.New("corrupt key file")
	ErrBackendMismatch = errors.New("key store backend mismatch")
)

// PasswordFunc returns the password of the named key. create is true when a
// new key is about to be encrypted (a terminal prompt should ask twice) and
// false when an existing key is decrypted. It is only called by the file
// backend, and only when a private key is written or read.
type PasswordFunc func(name string, create bool) (string, error)

// Options configure Open.
type Options struct {
	// Backend is BackendFile, BackendTest, or "" to use the directory's
	// recorded backend (BackendFile for a new directory).
	Backend string
	// Password supplies passwords for the file backend. May be nil for the
	// test backend or for read-only use (List, Get, Find, Delete).
	Password PasswordFunc
	// ScryptN is the scrypt cost for keys written from now on: a power of
	// two in [2^10, 2^20]; 0 means DefaultScryptN. Keys are always read with
	// the cost recorded in their file.
	ScryptN int
	// Now stamps created_at in new key files; nil means time.Now. Return the
	// zero time to leave created_at out.
	Now func() time.Time
}

// KeyInfo is the public part of a stored key; reading it never needs the
// password.
type KeyInfo struct {
	Name      string
	Address   crypto.Address
	PubKey    crypto.PubKey
	Backend   string    // BackendFile or BackendTest
	Source    string    // SourceMnemonic or SourcePrivKey
	HDPath    string    // m/44'/118'/0'/0/i for SourceMnemonic, "" otherwise
	CreatedAt time.Time // zero if the file does not record it
}

// Secret is what Export reveals.
type Secret struct {
	Mnemonic string // the BIP-39 phrase, "" for an imported private key
	HDPath   string // the derivation path of the key within Mnemonic
	PrivKey  string // the 32-byte private key in hex, always set
}

// Store is a directory of key files, one per key: <dir>/<name>.key, mode
// 0600, in a directory of mode 0700. Methods are safe for concurrent use
// within one process; two processes writing the same store at once may
// race on duplicate checks but never corrupt an existing key file.
type Store struct {
	dir      string
	backend  string
	password PasswordFunc
	scryptN  int
	now      func() time.Time
	rand     io.Reader

	mu sync.Mutex
}

var namePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,39}$`)

// ValidateName checks a key name: 1 to 40 characters of a-z, 0-9, '_' and
// '-', starting with a letter or digit.
func ValidateName(name string) error {
	if !namePattern.MatchString(name) {
		return fmt.Errorf("%w %q: expected 1-40 characters of a-z, 0-9, '_' or '-', starting with a letter or digit", ErrBadName, name)
	}
	return nil
}

type marker struct {
	Version int    `json:"version"`
	Backend string `json:"backend"`
}

// Open opens the key store in dir, creating the directory (mode 0700) and
// its marker if absent. It fails if opts.Backend names a backend other than
// the one the directory was created with.
func Open(dir string, opts Options) (*Store, error) {
	if dir == "" {
		return nil, errors.New("open key store: empty directory path")
	}
	switch opts.Backend {
	case "", BackendFile, BackendTest:
	default:
		return nil, fmt.Errorf("open key store: unknown backend %q, expected %q or %q", opts.Backend, BackendFile, BackendTest)
	}
	n := opts.ScryptN
	if n == 0 {
		n = DefaultScryptN
	}
	if err := checkScryptN(n); err != nil {
		return nil, fmt.Errorf("open key store: %w", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("open key store: %w", err)
	}
	backend, err := readOrInitMarker(dir, opts.Backend)
	if err != nil {
		return nil, err
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	return &Store{
		dir:      dir,
		backend:  backend,
		password: opts.Password,
		scryptN:  n,
		now:      now,
		rand:     rand.Reader,
	}, nil
}

func readOrInitMarker(dir, want string) (string, error) {
	path := filepath.Join(dir, MarkerFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		names, err := keyNames(dir)
		if err != nil {
			return "", err
		}
		if len(names) > 0 {
			return "", fmt.Errorf("open key store %s: it holds key files but no %s saying which backend wrote them", dir, MarkerFile)
		}
		if want == "" {
			want = BackendFile
		}
		data, _ := json.MarshalIndent(marker{Version: 1, Backend: want}, "", "  ")
		if err := WriteFileAtomic(filepath.Join(dir, MarkerFile), append(data, '\n'), true); err != nil {
			return "", fmt.Errorf("open key store: %w", err)
		}
		return want, nil
	}
	if err != nil {
		return "", fmt.Errorf("open key store: %w", err)
	}
	var m marker
	if err := decodeStrict(b, &m); err != nil {
		return "", fmt.Errorf("open key store: %s: %v", path, err)
	}
	if m.Version != 1 {
		return "", fmt.Errorf("open key store: %s: version %d, expected 1", path, m.Version)
	}
	if m.Backend != BackendFile && m.Backend != BackendTest {
		return "", fmt.Errorf("open key store: %s: backend %q, expected %q or %q", path, m.Backend, BackendFile, BackendTest)
	}
	if want != "" && want != m.Backend {
		return "", fmt.Errorf("%w: key store %s uses the %q backend, not %q", ErrBackendMismatch, dir, m.Backend, want)
	}
	return m.Backend, nil
}

// Dir returns the store's directory.
func (s *Store) Dir() string { return s.dir }

// Backend returns BackendFile or BackendTest.
func (s *Store) Backend() string { return s.backend }

// Create makes a new key from a fresh 24-word mnemonic (index 0) and returns
// the mnemonic. This is the only time the caller sees it unless it exports
// the key: show it to the user once, to write down.
func (s *Store) Create(name string) (KeyInfo, string, error) {
	mnemonic, err := crypto.NewMnemonic()
	if err != nil {
		return KeyInfo{}, "", fmt.Errorf("create key %q: %w", name, err)
	}
	info, err := s.ImportMnemonic(name, mnemonic, 0)
	if err != nil {
		return KeyInfo{}, "", err
	}
	return info, mnemonic, nil
}

// ImportMnemonic stores the key at m/44'/118'/0'/0/index of a BIP-39
// mnemonic (no BIP-39 passphrase). The phrase is normalized (case and
// spacing) and kept, encrypted, so that Export can show it again.
func (s *Store) ImportMnemonic(name, mnemonic string, index uint32) (KeyInfo, error) {
	if err := ValidateName(name); err != nil {
		return KeyInfo{}, err
	}
	m := crypto.NormalizeMnemonic(mnemonic)
	key, err := crypto.KeyFromMnemonic(m, "", index)
	if err != nil {
		return KeyInfo{}, fmt.Errorf("import key %q: %w", name, err)
	}
	return s.add(name, key, m, fmt.Sprintf(crypto.DerivationPath, index))
}

// ImportPrivKey stores a raw 32-byte private key given in hex (an optional
// 0x prefix and surrounding spaces are ignored).
func (s *Store) ImportPrivKey(name, privHex string) (KeyInfo, error) {
	if err := ValidateName(name); err != nil {
		return KeyInfo{}, err
	}
	h := strings.TrimPrefix(strings.TrimSpace(privHex), "0x")
	b, err := hex.DecodeString(h)
	if err != nil {
		return KeyInfo{}, fmt.Errorf("import key %q: private key is not hex: %v", name, err)
	}
	key, err := crypto.PrivKeyFromBytes(b)
	if err != nil {
		return KeyInfo{}, fmt.Errorf("import key %q: %w", name, err)
	}
	return s.add(name, key, "", "")
}

func (s *Store) add(name string, key *crypto.PrivKey, mnemonic, hdPath string) (KeyInfo, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	path := s.path(name)
	if _, err := os.Lstat(path); err == nil {
		return KeyInfo{}, fmt.Errorf("%w: key %q already exists", ErrKeyExists, name)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return KeyInfo{}, fmt.Errorf("add key %q: %w", name, err)
	}
	pub := key.PubKey()
	addr := pub.Address()
	existing, err := s.list()
	if err != nil {
		return KeyInfo{}, err
	}
	for _, k := range existing {
		if k.Address == addr {
			return KeyInfo{}, fmt.Errorf("%w: %s is already stored as key %q", ErrAddressExists, addr, k.Name)
		}
	}
	info := KeyInfo{
		Name:    name,
		Address: addr,
		PubKey:  pub,
		Backend: s.backend,
		Source:  SourcePrivKey,
		HDPath:  hdPath,
	}
	if mnemonic != "" {
		info.Source = SourceMnemonic
	}
	if t := s.now(); !t.IsZero() {
		info.CreatedAt = t.UTC().Truncate(time.Second)
	}
	secret := payload{PrivKey: hex.EncodeToString(key.Bytes()), Mnemonic: mnemonic}
	kf := newKeyFile(info)
	switch s.backend {
	case BackendTest:
		kf.Warning = "UNENCRYPTED test key: anyone who can read this file controls the account"
		kf.Secret = &secret
	default:
		pw, err := s.ask(name, true)
		if err != nil {
			return KeyInfo{}, err
		}
		if n := len([]rune(pw)); n < MinPasswordLength {
			return KeyInfo{}, fmt.Errorf("%w: password for key %q has %d characters, expected at least %d", ErrWeakPassword, name, n, MinPasswordLength)
		}
		sealed, err := seal(s.rand, pw, s.scryptN, associatedData(kf), secret)
		if err != nil {
			return KeyInfo{}, fmt.Errorf("encrypt key %q: %w", name, err)
		}
		kf.Crypto = sealed
	}
	data, err := json.MarshalIndent(kf, "", "  ")
	if err != nil {
		return KeyInfo{}, fmt.Errorf("encode key %q: %w", name, err)
	}
	if err := WriteFileAtomic(path, append(data, '\n'), false); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return KeyInfo{}, fmt.Errorf("%w: key %q already exists", ErrKeyExists, name)
		}
		return KeyInfo{}, fmt.Errorf("write key %q: %w", name, err)
	}
	return info, nil
}

// List returns every key, sorted by name. A key file that cannot be read,
// is corrupt or belongs to the other backend is an error naming it.
func (s *Store) List() ([]KeyInfo, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.list()
}

func (s *Store) list() ([]KeyInfo, error) {
	names, err := keyNames(s.dir)
	if err != nil {
		return nil, err
	}
	out := make([]KeyInfo, 0, len(names))
	for _, name := range names {
		kf, err := s.load(name)
		if err != nil {
			return nil, err
		}
		out = append(out, kf.info)
	}
	return out, nil
}

// Get returns the named key.
func (s *Store) Get(name string) (KeyInfo, error) {
	if err := ValidateName(name); err != nil {
		return KeyInfo{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	kf, err := s.load(name)
	if err != nil {
		return KeyInfo{}, err
	}
	return kf.info, nil
}

// Find returns the key with the given address.
func (s *Store) Find(addr crypto.Address) (KeyInfo, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	keys, err := s.list()
	if err != nil {
		return KeyInfo{}, err
	}
	for _, k := range keys {
		if k.Address == addr {
			return k, nil
		}
	}
	return KeyInfo{}, fmt.Errorf("%w: no key with address %s", ErrKeyNotFound, addr)
}

// Lookup resolves what a user typed: a tally1... address (Find) or a key
// name (Get). Names are at most 40 characters and addresses 44, so no
// string is both; a string that is neither gets the address error if it
// starts with "tally1" and the name error otherwise.
func (s *Store) Lookup(nameOrAddress string) (KeyInfo, error) {
	addr, addrErr := crypto.ParseAddress(nameOrAddress)
	if addrErr == nil {
		return s.Find(addr)
	}
	if ValidateName(nameOrAddress) != nil && strings.HasPrefix(strings.ToLower(nameOrAddress), crypto.AddressPrefix+"1") {
		return KeyInfo{}, addrErr
	}
	return s.Get(nameOrAddress)
}

// Delete removes the named key file. It needs no password: the CLI should
// ask the user to confirm first.
func (s *Store) Delete(name string) error {
	if err := ValidateName(name); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	err := os.Remove(s.path(name))
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%w: key %q not found", ErrKeyNotFound, name)
	}
	if err != nil {
		return fmt.Errorf("delete key %q: %w", name, err)
	}
	return syncDir(s.dir)
}

// PrivKey decrypts the named key (asking for its password with the file
// backend).
func (s *Store) PrivKey(name string) (*crypto.PrivKey, error) {
	key, _, _, err := s.open(name)
	return key, err
}

// Export decrypts the named key and returns its secrets: the mnemonic it
// came from, if any, and the private key.
func (s *Store) Export(name string) (Secret, error) {
	key, p, info, err := s.open(name)
	if err != nil {
		return Secret{}, err
	}
	return Secret{Mnemonic: p.Mnemonic, HDPath: info.HDPath, PrivKey: hex.EncodeToString(key.Bytes())}, nil
}

// open reads and decrypts a key and checks the secret against the public
// part of the file.
func (s *Store) open(name string) (*crypto.PrivKey, payload, KeyInfo, error) {
	fail := func(err error) (*crypto.PrivKey, payload, KeyInfo, error) { return nil, payload{}, KeyInfo{}, err }
	if err := ValidateName(name); err != nil {
		return fail(err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	kf, err := s.load(name)
	if err != nil {
		return fail(err)
	}
	var p payload
	switch s.backend {
	case BackendTest:
		p = *kf.Secret
	default:
		pw, err := s.ask(name, false)
		if err != nil {
			return fail(err)
		}
		p, err = unseal(pw, kf.Crypto, associatedData(kf.keyFile))
		if errors.Is(err, ErrWrongPassword) {
			return fail(fmt.Errorf("%w for key %q", ErrWrongPassword, name))
		}
		if err != nil {
			return fail(corrupt(name, "%v", err))
		}
	}
	key, err := p.check(kf.info)
	if err != nil {
		return fail(corrupt(name, "%v", err))
	}
	return key, p, kf.info, nil
}

func (s *Store) ask(name string, create bool) (string, error) {
	if s.password == nil {
		return "", fmt.Errorf("%w: key %q is encrypted and no password source was given", ErrNoPassword, name)
	}
	pw, err := s.password(name, create)
	if err != nil {
		return "", fmt.Errorf("password for key %q: %w", name, err)
	}
	return pw, nil
}

func (s *Store) path(name string) string { return filepath.Join(s.dir, name+keyFileExt) }

// load reads and validates the public part of a key file.
func (s *Store) load(name string) (*loadedKey, error) {
	path := s.path(name)
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: key %q not found", ErrKeyNotFound, name)
	}
	if err != nil {
		return nil, fmt.Errorf("read key %q: %w", name, err)
	}
	if !fi.Mode().IsRegular() {
		return nil, corrupt(name, "%s is not a regular file", path)
	}
	if fi.Size() > maxKeyFileSize {
		return nil, corrupt(name, "%d bytes, expected at most %d", fi.Size(), maxKeyFileSize)
	}
	if err := CheckPrivateFile(path); err != nil {
		return nil, fmt.Errorf("key %q: %w", name, err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read key %q: %w", name, err)
	}
	return decodeKeyFile(name, s.backend, b)
}

// keyNames lists the names of the key files in dir, sorted. Temporary files
// of interrupted writes and other files are ignored.
func keyNames(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("list keys: %w", err)
	}
	var names []string
	for _, e := range entries {
		n, ok := strings.CutSuffix(e.Name(), keyFileExt)
		if !ok || ValidateName(n) != nil {
			continue
		}
		names = append(names, n)
	}
	sort.Strings(names)
	return names, nil
}

func corrupt(name, format string, args ...any) error {
	return fmt.Errorf("%w for key %q: %s", ErrCorruptKey, name, fmt.Sprintf(format, args...))
}
