package crypto

import (
	"bytes"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	bip39 "github.com/cosmos/go-bip39"
)

// abandonAbout is the all-zero-entropy 12-word BIP-39 test mnemonic.
const abandonAbout = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about"

// Published derivations of abandonAbout on the path Tally uses (the
// Cosmos path), from public wallet test suites (cosmjs-compatible kits in
// several languages agree on them). Tally hashes the same compressed key the
// same way, so its address has the same 20 bytes under another prefix.
var abandonAboutVectors = []struct {
	index         uint32
	priv, pub     string
	cosmosAddress string
}{
	{
		0,
		"c4a48e2fce1481cd3294b4490f6678090ea98d3d0e5cd984558ab0968741b104",
		"024f4e2ad99c34d60b9ba6283c9431a8418af8673212961f97a77b6377fcd05b62",
		"cosmos19rl4cm2hmr8afy4kldpxz3fka4jguq0auqdal4",
	},
	{
		1,
		"c9ba8e1818baf4ceb063420dcedc7a482056a1580e4dbe797af3484aff7b8651",
		"03a9a0776157f1dee1fe2d65628747059a8796de9a379f3015c4dcf483f64840a6",
		"cosmos1jrkmdcwgq94uaamx6zax2luewlhf7u4kucx3kz",
	},
}

func TestKeyFromMnemonicPublishedVectors(t *testing.T) {
	for _, v := range abandonAboutVectors {
		k, err := KeyFromMnemonic(abandonAbout, "", v.index)
		if err != nil {
			t.Fatal(err)
		}
		if got := hex.EncodeToString(k.Bytes()); got != v.priv {
			t.Errorf("index %d: private key %s, want %s", v.index, got, v.priv)
		}
		if got := k.PubKey().String(); got != v.pub {
			t.Errorf("index %d: public key %s, want %s", v.index, got, v.pub)
		}
		want := decodeRef(t, v.cosmosAddress)
		if refBech32("cosmos", want, 1) != v.cosmosAddress {
			t.Fatalf("reference decoder/encoder disagree on %s", v.cosmosAddress)
		}
		addr := k.PubKey().Address()
		if !bytes.Equal(addr[:], want) {
			t.Errorf("index %d: address bytes %x, want %x (from %s)", v.index, addr[:], want, v.cosmosAddress)
		}
		if got, ref := addr.String(), refBech32(AddressPrefix, want, 1); got != ref {
			t.Errorf("index %d: String() = %s, want %s", v.index, got, ref)
		}
	}
	// The Tally spelling of index 0, pinned for readers (and grep).
	k, _ := KeyFromMnemonic(abandonAbout, "", 0)
	if got := k.PubKey().Address().String(); got != "tally19rl4cm2hmr8afy4kldpxz3fka4jguq0a377few" {
		t.Fatalf("index 0 address %s", got)
	}
}

// TestKeyFromMnemonicRegression pins values derived by this package for
// which no published vector was found: the largest index, a BIP-39
// passphrase, and a 24-word phrase. They guard against a change of
// derivation.
func TestKeyFromMnemonicRegression(t *testing.T) {
	abandonArt := strings.Repeat("abandon ", 23) + "art"
	tests := []struct {
		name, mnemonic, passphrase string
		index                      uint32
		pub                        string
	}{
		{"index 2^31-1", abandonAbout, "", 1<<31 - 1, "02b2c233d48d29cbc13ff47ce51384212a1832c0996ee4975ab9ad8e7ebf6611d2"},
		{"passphrase", abandonAbout, "TREZOR", 0, "03b6202a6a005a4f057412a1db4c00b471248db48a69dbfa289a99d0f42e2a5073"},
		{"24 words", abandonArt, "", 0, "02ba66a84cf7839af172a13e7fc9f5e7008cb8bca1585f8f3bafb3039eda3c1fdd"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, err := KeyFromMnemonic(tt.mnemonic, tt.passphrase, tt.index)
			if err != nil {
				t.Fatal(err)
			}
			if pub := k.PubKey().String(); pub != tt.pub {
				t.Fatalf("pubkey %s, want %s", pub, tt.pub)
			}
		})
	}
}

func TestKeyFromMnemonicHardenedIndexRejected(t *testing.T) {
	// The last step of the path is a normal (non-hardened) index; an index
	// of 2^31 or more would silently become a hardened one.
	if _, err := KeyFromMnemonic(abandonAbout, "", 1<<31); err == nil {
		t.Fatal("index 2^31 accepted")
	}
}

func TestNormalizeMnemonic(t *testing.T) {
	k0, err := KeyFromMnemonic(abandonAbout, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	variants := []string{
		"  " + abandonAbout + "\n",
		strings.ToUpper(abandonAbout),
		strings.ReplaceAll(abandonAbout, " ", "\t \n"),
		"Abandon ABANDON abandon abandon abandon abandon abandon abandon abandon abandon abandon About",
	}
	for _, v := range variants {
		if got := NormalizeMnemonic(v); got != abandonAbout {
			t.Errorf("NormalizeMnemonic(%q) = %q", v, got)
		}
		k, err := KeyFromMnemonic(v, "", 0)
		if err != nil {
			t.Errorf("KeyFromMnemonic(%q): %v", v, err)
			continue
		}
		if k.PubKey() != k0.PubKey() {
			t.Errorf("KeyFromMnemonic(%q) gives another key", v)
		}
	}
}

func TestKeyFromMnemonicRejects(t *testing.T) {
	tests := []struct {
		name, mnemonic, mention string
	}{
		{"empty", "", "0 words"},
		{"11 words", strings.Repeat("abandon ", 10) + "about", "11 words"},
		{"13 words", strings.Repeat("abandon ", 12) + "about", "13 words"},
		{"bad checksum", strings.Repeat("abandon ", 11) + "abandon", "checksum"},
		{"swapped words", "about " + strings.Repeat("abandon ", 11), "checksum"},
		{"unknown word", strings.Repeat("abandon ", 11) + "abandonx", `word 12 ("abandonx")`},
		{"unknown first word", "zzz " + strings.Repeat("abandon ", 10) + "about", `word 1 ("zzz")`},
		{"non-ascii word", "abandón " + strings.Repeat("abandon ", 10) + "about", "word 1"},
		{"24 words bad checksum", strings.Repeat("abandon ", 24), "checksum"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := KeyFromMnemonic(tt.mnemonic, "", 0)
			if !errors.Is(err, ErrBadMnemonic) {
				t.Fatalf("KeyFromMnemonic = %v, want ErrBadMnemonic", err)
			}
			if !strings.Contains(err.Error(), tt.mention) {
				t.Fatalf("error %q does not mention %q", err, tt.mention)
			}
		})
	}
}

func TestNewMnemonic(t *testing.T) {
	a, err := NewMnemonic()
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewMnemonic()
	if err != nil {
		t.Fatal(err)
	}
	if a == b {
		t.Fatal("two new mnemonics are equal")
	}
	for _, m := range []string{a, b} {
		words := strings.Split(m, " ")
		if len(words) != 24 {
			t.Fatalf("%d words, want 24", len(words))
		}
		if NormalizeMnemonic(m) != m {
			t.Fatalf("new mnemonic is not in normal form: %q", m)
		}
		if !bip39.IsMnemonicValid(m) {
			t.Fatalf("invalid mnemonic %q", m)
		}
		if _, err := KeyFromMnemonic(m, "", 0); err != nil {
			t.Fatalf("KeyFromMnemonic(new): %v", err)
		}
	}
}
