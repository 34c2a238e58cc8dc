package keystore

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"golang.org/x/crypto/chacha20poly1305"
	"golang.org/x/crypto/scrypt"

	"github.com/tallyledger/tally/crypto"
)

// The key file format, version 1 (JSON):
//
//	{
//	  "version": 1,
//	  "name": "alice",
//	  "address": "tally1...",
//	  "pubkey": "02...",                    // compressed secp256k1, hex
//	  "backend": "file",                    // or "test"
//	  "source": "mnemonic",                 // or "privkey"
//	  "hd_path": "m/44'/118'/0'/0/0",       // with source "mnemonic"
//	  "created_at": "2025-01-02T03:04:05Z", // optional
//	  "crypto": {                           // backend "file" only
//	    "kdf": "scrypt",
//	    "kdf_params": {"n": 65536, "r": 8, "p": 1, "salt": "<32 bytes hex>"},
//	    "password_check": "<32 bytes hex>",
//	    "cipher": "xchacha20-poly1305",
//	    "nonce": "<24 bytes hex>",
//	    "ciphertext": "<hex>"
//	  },
//	  "warning": "UNENCRYPTED ...",         // backend "test" only
//	  "secret": {"priv_key": "<hex>", "mnemonic": "..."} // backend "test" only
//	}
//
// scrypt derives 64 bytes from the password and salt: the first 32 are the
// XChaCha20-Poly1305 key; SHA-256 of the last 32 is password_check, which
// tells a wrong password apart from a damaged ciphertext (it reveals nothing
// an attacker could not learn by trying the AEAD). The ciphertext seals the
// JSON of the secret, with the name, address and public key as associated
// data, so none of them can be swapped without detection.
const (
	keyFileVersion = 1
	kdfScrypt      = "scrypt"
	cipherXChaCha  = "xchacha20-poly1305"
	scryptR        = 8
	scryptP        = 1
	saltSize       = 32
	checkSize      = 32
	maxKeyFileSize = 64 << 10
	// Bounds on KDF parameters read from a file, so that an edited file
	// cannot make the wallet allocate gigabytes or spin for hours.
	minScryptN      = 1 << 10
	maxScryptN      = 1 << 20
	maxScryptR      = 16
	maxScryptP      = 16
	maxScryptMemory = 1 << 30 // 128 * N * r bytes
)

type keyFile struct {
	Version   int            `json:"version"`
	Name      string         `json:"name"`
	Address   string         `json:"address"`
	PubKey    string         `json:"pubkey"`
	Backend   string         `json:"backend"`
	Source    string         `json:"source"`
	HDPath    string         `json:"hd_path,omitempty"`
	CreatedAt time.Time      `json:"created_at,omitzero"`
	Crypto    *cryptoSection `json:"crypto,omitempty"`
	Warning   string         `json:"warning,omitempty"`
	Secret    *payload       `json:"secret,omitempty"`
}

type cryptoSection struct {
	KDF           string    `json:"kdf"`
	KDFParams     kdfParams `json:"kdf_params"`
	PasswordCheck string    `json:"password_check"`
	Cipher        string    `json:"cipher"`
	Nonce         string    `json:"nonce"`
	Ciphertext    string    `json:"ciphertext"`
}

type kdfParams struct {
	N    int    `json:"n"`
	R    int    `json:"r"`
	P    int    `json:"p"`
	Salt string `json:"salt"`
}

// payload is the secret part of a key: encrypted with the file backend,
// in the clear with the test backend.
type payload struct {
	PrivKey  string `json:"priv_key"`
	Mnemonic string `json:"mnemonic,omitempty"`
}

// loadedKey is a key file whose public part has been validated.
type loadedKey struct {
	keyFile
	info KeyInfo
}

func newKeyFile(info KeyInfo) keyFile {
	return keyFile{
		Version:   keyFileVersion,
		Name:      info.Name,
		Address:   info.Address.String(),
		PubKey:    info.PubKey.String(),
		Backend:   info.Backend,
		Source:    info.Source,
		HDPath:    info.HDPath,
		CreatedAt: info.CreatedAt,
	}
}

// associatedData binds the ciphertext to the public fields of its file.
func associatedData(kf keyFile) []byte {
	return []byte("tally-keystore/1\x00" + kf.Name + "\x00" + kf.Address + "\x00" + kf.PubKey)
}

// decodeKeyFile parses and checks everything in a key file that can be
// checked without the password.
func decodeKeyFile(name, backend string, b []byte) (*loadedKey, error) {
	var kf keyFile
	if err := decodeStrict(b, &kf); err != nil {
		return nil, corrupt(name, "not a key file: %v", err)
	}
	if kf.Version != keyFileVersion {
		return nil, corrupt(name, "version %d, expected %d", kf.Version, keyFileVersion)
	}
	if kf.Name != name {
		return nil, corrupt(name, "the file %s%s holds key %q", name, keyFileExt, kf.Name)
	}
	switch kf.Backend {
	case BackendFile, BackendTest:
	default:
		return nil, corrupt(name, "backend %q, expected %q or %q", kf.Backend, BackendFile, BackendTest)
	}
	if kf.Backend != backend {
		what := "encrypted"
		if kf.Backend == BackendTest {
			what = "UNENCRYPTED"
		}
		return nil, fmt.Errorf("%w: key %q is stored %s by the %q backend, but this key store uses the %q backend",
			ErrBackendMismatch, name, what, kf.Backend, backend)
	}
	pubBytes, err := hex.DecodeString(kf.PubKey)
	if err != nil {
		return nil, corrupt(name, "pubkey is not hex: %v", err)
	}
	pub, err := crypto.ParsePubKey(pubBytes)
	if err != nil {
		return nil, corrupt(name, "pubkey: %v", err)
	}
	addr, err := crypto.ParseAddress(kf.Address)
	if err != nil {
		return nil, corrupt(name, "address: %v", err)
	}
	if addr != pub.Address() {
		return nil, corrupt(name, "address %s does not belong to pubkey %s (expected %s)", addr, pub, pub.Address())
	}
	switch kf.Source {
	case SourceMnemonic:
		var idx uint32
		if _, err := fmt.Sscanf(kf.HDPath, crypto.DerivationPath, &idx); err != nil || fmt.Sprintf(crypto.DerivationPath, idx) != kf.HDPath {
			return nil, corrupt(name, "hd_path %q, expected %q", kf.HDPath, fmt.Sprintf(crypto.DerivationPath, 0)+" with any last index")
		}
	case SourcePrivKey:
		if kf.HDPath != "" {
			return nil, corrupt(name, "hd_path %q given for an imported private key", kf.HDPath)
		}
	default:
		return nil, corrupt(name, "source %q, expected %q or %q", kf.Source, SourceMnemonic, SourcePrivKey)
	}
	switch kf.Backend {
	case BackendFile:
		if kf.Crypto == nil || kf.Secret != nil {
			return nil, corrupt(name, "an encrypted key needs a \"crypto\" section and no clear \"secret\"")
		}
		if err := kf.Crypto.check(); err != nil {
			return nil, corrupt(name, "%v", err)
		}
	case BackendTest:
		if kf.Secret == nil || kf.Crypto != nil {
			return nil, corrupt(name, "a test key needs a clear \"secret\" section and no \"crypto\"")
		}
	}
	return &loadedKey{
		keyFile: kf,
		info: KeyInfo{
			Name:      kf.Name,
			Address:   addr,
			PubKey:    pub,
			Backend:   kf.Backend,
			Source:    kf.Source,
			HDPath:    kf.HDPath,
			CreatedAt: kf.CreatedAt,
		},
	}, nil
}

func (c *cryptoSection) check() error {
	if c.KDF != kdfScrypt {
		return fmt.Errorf("kdf %q, expected %q", c.KDF, kdfScrypt)
	}
	if c.Cipher != cipherXChaCha {
		return fmt.Errorf("cipher %q, expected %q", c.Cipher, cipherXChaCha)
	}
	p := c.KDFParams
	if err := checkScryptN(p.N); err != nil {
		return err
	}
	if p.R < 1 || p.R > maxScryptR || p.P < 1 || p.P > maxScryptP {
		return fmt.Errorf("scrypt r=%d p=%d, expected 1 <= r <= %d and 1 <= p <= %d", p.R, p.P, maxScryptR, maxScryptP)
	}
	if 128*p.N*p.R > maxScryptMemory {
		return fmt.Errorf("scrypt n=%d r=%d needs %d MiB, expected at most %d MiB", p.N, p.R, 128*p.N*p.R>>20, maxScryptMemory>>20)
	}
	for _, f := range []struct {
		name, value string
		size        int
	}{
		{"salt", p.Salt, saltSize},
		{"password_check", c.PasswordCheck, checkSize},
		{"nonce", c.Nonce, chacha20poly1305.NonceSizeX},
	} {
		b, err := hex.DecodeString(f.value)
		if err != nil || len(b) != f.size {
			return fmt.Errorf("%s is not %d bytes of hex", f.name, f.size)
		}
	}
	ct, err := hex.DecodeString(c.Ciphertext)
	if err != nil || len(ct) <= chacha20poly1305.Overhead {
		return fmt.Errorf("ciphertext is not hex of more than %d bytes", chacha20poly1305.Overhead)
	}
	return nil
}

func checkScryptN(n int) error {
	if n < minScryptN || n > maxScryptN || n&(n-1) != 0 {
		return fmt.Errorf("scrypt cost N=%d, expected a power of two from %d to %d", n, minScryptN, maxScryptN)
	}
	return nil
}

// deriveKeys runs scrypt and splits its output into the AEAD key and the
// password check.
func deriveKeys(password string, salt []byte, n, r, p int) (key []byte, check [32]byte, err error) {
	dk, err := scrypt.Key([]byte(password), salt, n, r, p, 32+checkSize)
	if err != nil {
		return nil, check, err
	}
	return dk[:32], sha256.Sum256(dk[32:]), nil
}

func seal(rand io.Reader, password string, n int, ad []byte, secret payload) (*cryptoSection, error) {
	salt := make([]byte, saltSize)
	nonce := make([]byte, chacha20poly1305.NonceSizeX)
	if _, err := io.ReadFull(rand, salt); err != nil {
		return nil, fmt.Errorf("read entropy: %w", err)
	}
	if _, err := io.ReadFull(rand, nonce); err != nil {
		return nil, fmt.Errorf("read entropy: %w", err)
	}
	key, check, err := deriveKeys(password, salt, n, scryptR, scryptP)
	if err != nil {
		return nil, err
	}
	aead, err := chacha20poly1305.NewX(key)
	if err != nil {
		return nil, err
	}
	plain, err := json.Marshal(secret)
	if err != nil {
		return nil, err
	}
	ct := aead.Seal(nil, nonce, plain, ad)
	clear(plain)
	clear(key)
	return &cryptoSection{
		KDF:           kdfScrypt,
		KDFParams:     kdfParams{N: n, R: scryptR, P: scryptP, Salt: hex.EncodeToString(salt)},
		PasswordCheck: hex.EncodeToString(check[:]),
		Cipher:        cipherXChaCha,
		Nonce:         hex.EncodeToString(nonce),
		Ciphertext:    hex.EncodeToString(ct),
	}, nil
}

// unseal decrypts a checked crypto section. It returns ErrWrongPassword when
// the password check fails and another error when the ciphertext does not
// authenticate or decode.
func unseal(password string, c *cryptoSection, ad []byte) (payload, error) {
	salt, _ := hex.DecodeString(c.KDFParams.Salt)
	want, _ := hex.DecodeString(c.PasswordCheck)
	nonce, _ := hex.DecodeString(c.Nonce)
	ct, _ := hex.DecodeString(c.Ciphertext)
	key, check, err := deriveKeys(password, salt, c.KDFParams.N, c.KDFParams.R, c.KDFParams.P)
	if err != nil {
		return payload{}, err
	}
	defer clear(key)
	if subtle.ConstantTimeCompare(check[:], want) != 1 {
		return payload{}, ErrWrongPassword
	}
	aead, err := chacha20poly1305.NewX(key)
	if err != nil {
		return payload{}, err
	}
	plain, err := aead.Open(nil, nonce, ct, ad)
	if err != nil {
		return payload{}, errors.New("ciphertext does not authenticate (the file was altered or damaged)")
	}
	defer clear(plain)
	var p payload
	if err := decodeStrict(plain, &p); err != nil {
		return payload{}, fmt.Errorf("decrypted secret: %v", err)
	}
	return p, nil
}

// check parses the secret and verifies that it is the key the file's public
// part describes (and, for a mnemonic, that the mnemonic derives it).
func (p payload) check(info KeyInfo) (*crypto.PrivKey, error) {
	b, err := hex.DecodeString(p.PrivKey)
	if err != nil {
		return nil, fmt.Errorf("priv_key is not hex: %v", err)
	}
	key, err := crypto.PrivKeyFromBytes(b)
	clear(b)
	if err != nil {
		return nil, fmt.Errorf("priv_key: %v", err)
	}
	if key.PubKey() != info.PubKey {
		return nil, fmt.Errorf("private key does not match pubkey %s", info.PubKey)
	}
	switch info.Source {
	case SourceMnemonic:
		var idx uint32
		if _, err := fmt.Sscanf(info.HDPath, crypto.DerivationPath, &idx); err != nil {
			return nil, fmt.Errorf("hd_path %q: %v", info.HDPath, err)
		}
		derived, err := crypto.KeyFromMnemonic(p.Mnemonic, "", idx)
		if err != nil {
			return nil, fmt.Errorf("mnemonic: %v", err)
		}
		if derived.PubKey() != info.PubKey {
			return nil, fmt.Errorf("mnemonic does not derive pubkey %s at %s", info.PubKey, info.HDPath)
		}
	case SourcePrivKey:
		if p.Mnemonic != "" {
			return nil, errors.New("a mnemonic is stored with an imported private key")
		}
	}
	return key, nil
}

// decodeStrict decodes one JSON value with no unknown fields and nothing
// after it.
func decodeStrict(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("trailing data after the JSON value")
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("trailing data after the JSON value")
	}
	return nil
}
