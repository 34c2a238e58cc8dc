// Package keystore is the wallet's key store: a directory holding one file
// per named secp256k1 key, used by the tally CLI and by localnet.
//
// A store has one of two backends, chosen when its directory is created
// and recorded in the directory's keyring.json:
//
//   - "file" (the default): each private key, and the BIP-39 mnemonic it came
//     from, is encrypted under a password. scrypt (N = 2^16, r = 8, p = 1 by
//     default) turns the password and a random salt into a key for
//     XChaCha20-Poly1305 with a random nonce. A wrong password is reported as
//     ErrWrongPassword ("wrong password for key \"alice\""); an altered or
//     damaged file as ErrCorruptKey, never a panic.
//   - "test": keys are stored UNENCRYPTED, for local test networks only. Each
//     file says so, and a store of one backend refuses the other's files
//     (ErrBackendMismatch) instead of reading them silently.
//
// Each key lives in <dir>/<name>.key (mode 0600; the directory is 0700) as
// JSON giving its name, address, public key (hex), backend, source (mnemonic
// or private key), derivation path, optional creation time and the secret
// (sealed, or in the clear for "test"); keyfile.go documents the format.
// Names are 1 to 40 characters of a-z, 0-9, '_' and '-', starting with a
// letter or digit. A name or an address can be stored only once. Files are
// written to a temporary file, fsynced and moved into place, so a crash never
// leaves a partial key file or damages an existing one. Reading the public
// part of a key (List, Get, Find, Lookup) never needs the password.
//
// Passwords come from a PasswordFunc, called only when a private key is
// encrypted or decrypted. StaticPassword and PasswordFromEnvOrFile serve
// scripts; TerminalPassword prompts without echo (twice for a new key).
//
//	pw := keystore.TerminalPassword
//	if p, ok, err := keystore.PasswordFromEnvOrFile("TALLY_PASSWORD", passwordFile); err != nil {
//		return err
//	} else if ok {
//		pw = keystore.StaticPassword(p)
//	}
//	ks, err := keystore.Open(home, keystore.Options{Password: pw})
//	info, mnemonic, err := ks.Create("alice") // show mnemonic once
//	key, err := ks.PrivKey("alice")           // asks for the password
//	sig := key.Sign(signBytes)
//
// Keys derived from a mnemonic use crypto.DerivationPath
// (m/44'/118'/0'/0/i), so the same mnemonic recovers the same address in
// other secp256k1 wallets that use that path.
package keystore
