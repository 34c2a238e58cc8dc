package crypto

import (
	"errors"
	"fmt"
	"strings"

	"github.com/btcsuite/btcd/btcutil/hdkeychain"
	"github.com/btcsuite/btcd/chaincfg"
	bip39 "github.com/cosmos/go-bip39"
)

// DerivationPath is the BIP-44 path of the i-th key of a mnemonic, printed
// with %d for the index.
const DerivationPath = "m/44'/118'/0'/0/%d"

// ErrBadMnemonic is returned for phrases that are not valid BIP-39 English
// mnemonics.
var ErrBadMnemonic = errors.New("invalid mnemonic")

// NewMnemonic returns a fresh 24-word BIP-39 mnemonic (256 bits of entropy).
func NewMnemonic() (string, error) {
	entropy, err := bip39.NewEntropy(256)
	if err != nil {
		return "", err
	}
	return bip39.NewMnemonic(entropy)
}

// NormalizeMnemonic folds whitespace and case so that a phrase typed by a
// person matches the one that was written down.
func NormalizeMnemonic(m string) string {
	return strings.Join(strings.Fields(strings.ToLower(m)), " ")
}

// KeyFromMnemonic derives the private key at DerivationPath with the given
// index from a BIP-39 mnemonic and optional passphrase.
func KeyFromMnemonic(mnemonic, passphrase string, index uint32) (*PrivKey, error) {
	if index >= hdkeychain.HardenedKeyStart {
		return nil, fmt.Errorf("key index %d is too large: expected less than %d (the last step of %s is not hardened)",
			index, uint32(hdkeychain.HardenedKeyStart), DerivationPath)
	}
	m := NormalizeMnemonic(mnemonic)
	if err := checkMnemonic(m); err != nil {
		return nil, err
	}
	seed, err := bip39.NewSeedWithErrorChecking(m, passphrase)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadMnemonic, err)
	}
	master, err := hdkeychain.NewMaster(seed, &chaincfg.MainNetParams)
	if err != nil {
		return nil, fmt.Errorf("derive master key: %w", err)
	}
	k := master
	for _, step := range []uint32{
		hdkeychain.HardenedKeyStart + 44,
		hdkeychain.HardenedKeyStart + 118,
		hdkeychain.HardenedKeyStart + 0,
		0,
		index,
	} {
		if k, err = k.Derive(step); err != nil {
			return nil, fmt.Errorf("derive %s: %w", fmt.Sprintf(DerivationPath, index), err)
		}
	}
	ec, err := k.ECPrivKey()
	if err != nil {
		return nil, fmt.Errorf("derive %s: %w", fmt.Sprintf(DerivationPath, index), err)
	}
	return PrivKeyFromBytes(ec.Serialize())
}

// checkMnemonic explains what is wrong with a normalized phrase: the word
// count, the first word that is not in the English list, or the checksum.
// go-bip39's own messages ("Invalid mnemonic") say none of that.
func checkMnemonic(m string) error {
	words := strings.Fields(m)
	switch len(words) {
	case 12, 15, 18, 21, 24:
	default:
		return fmt.Errorf("%w: %d words, expected 12, 15, 18, 21 or 24", ErrBadMnemonic, len(words))
	}
	for i, w := range words {
		if _, ok := bip39.ReverseWordMap[w]; !ok {
			return fmt.Errorf("%w: word %d (%q) is not in the BIP-39 English word list", ErrBadMnemonic, i+1, w)
		}
	}
	if _, err := bip39.MnemonicToByteArray(m); err != nil {
		return fmt.Errorf("%w: checksum does not match (a word is wrong or out of order)", ErrBadMnemonic)
	}
	return nil
}
