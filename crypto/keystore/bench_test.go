package keystore

import (
	"fmt"
	"path/filepath"
	"testing"
)

// BenchmarkPrivKey measures decrypting a key, the wait a wallet user sees
// before each signature, for the default and the test scrypt cost.
func BenchmarkPrivKey(b *testing.B) {
	for _, n := range []int{DefaultScryptN, LightScryptN} {
		b.Run(fmt.Sprintf("scryptN=%d", n), func(b *testing.B) {
			s, err := Open(filepath.Join(b.TempDir(), "keys"), Options{Password: StaticPassword("correct horse"), ScryptN: n})
			if err != nil {
				b.Fatal(err)
			}
			if _, err := s.ImportMnemonic("alice", abandonAbout, 0); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := s.PrivKey("alice"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
