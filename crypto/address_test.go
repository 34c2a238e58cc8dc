package crypto

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"golang.org/x/crypto/ripemd160" //nolint:staticcheck // the address format is fixed by design
)

// refBech32 encodes data (8-bit bytes) as bech32 (BIP-173) with the given
// constant (1 for bech32, 0x2bc830a3 for bech32m). It is a straight
// transcription of the BIP's reference algorithm, written here so that the
// address tests do not check the library against itself.
func refBech32(hrp string, data []byte, constant uint32) string {
	const charset = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
	// 8-bit to 5-bit groups, padded.
	var five []byte
	acc, bits := uint32(0), uint(0)
	for _, b := range data {
		acc = acc<<8 | uint32(b)
		bits += 8
		for bits >= 5 {
			bits -= 5
			five = append(five, byte(acc>>bits)&31)
		}
	}
	if bits > 0 {
		five = append(five, byte(acc<<(5-bits))&31)
	}
	polymod := func(values []byte) uint32 {
		gen := [5]uint32{0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3}
		chk := uint32(1)
		for _, v := range values {
			top := chk >> 25
			chk = (chk&0x1ffffff)<<5 ^ uint32(v)
			for i := 0; i < 5; i++ {
				if (top>>i)&1 == 1 {
					chk ^= gen[i]
				}
			}
		}
		return chk
	}
	var values []byte
	for _, c := range []byte(hrp) {
		values = append(values, c>>5)
	}
	values = append(values, 0)
	for _, c := range []byte(hrp) {
		values = append(values, c&31)
	}
	values = append(values, five...)
	pm := polymod(append(values, 0, 0, 0, 0, 0, 0)) ^ constant
	var out strings.Builder
	out.WriteString(hrp)
	out.WriteByte('1')
	for _, v := range five {
		out.WriteByte(charset[v])
	}
	for i := 0; i < 6; i++ {
		out.WriteByte(charset[(pm>>(5*(5-i)))&31])
	}
	return out.String()
}

const bech32mConst = 0x2bc830a3

func refAddress(pub []byte) []byte {
	sh := sha256.Sum256(pub)
	r := ripemd160.New()
	r.Write(sh[:])
	return r.Sum(nil)
}

func TestRefBech32AgainstBIP173(t *testing.T) {
	// BIP-173 publishes HASH160 of the generator's compressed key (the
	// program of bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4).
	hash := mustHex(t, "751e76e8199196d454941c45d1b3a323f1433bd6")
	if got := refAddress(mustHex(t, "0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798")); !bytes.Equal(got, hash) {
		t.Fatalf("RIPEMD-160(SHA-256(G)) = %x, want %x (BIP-173)", got, hash)
	}
	// The published Cosmos address of the "abandon ... about" key and the
	// same 20 bytes under another prefix, both from public wallet test
	// suites, pin the reference encoder on whole-byte payloads.
	cosmos := "cosmos19rl4cm2hmr8afy4kldpxz3fka4jguq0auqdal4"
	raw := decodeRef(t, cosmos)
	if got := refBech32("cosmos", raw, 1); got != cosmos {
		t.Fatalf("refBech32 = %s, want %s", got, cosmos)
	}
	if got := refBech32("neutron", raw, 1); got != "neutron19rl4cm2hmr8afy4kldpxz3fka4jguq0aclyl9j" {
		t.Fatalf("refBech32(neutron) = %s", got)
	}
}

// decodeRef reads the 20 payload bytes of a bech32 string without checking
// its checksum (the test re-encodes and compares instead).
func decodeRef(t testing.TB, s string) []byte {
	t.Helper()
	const charset = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
	data := s[strings.LastIndexByte(s, '1')+1 : len(s)-6]
	var out []byte
	acc, bits := uint32(0), uint(0)
	for _, c := range []byte(data) {
		v := strings.IndexByte(charset, c)
		if v < 0 {
			t.Fatalf("bad bech32 char %q", c)
		}
		acc = acc<<5 | uint32(v)
		bits += 5
		if bits >= 8 {
			bits -= 8
			out = append(out, byte(acc>>bits))
		}
	}
	return out
}

func TestAddressFromPubKeyKnownVector(t *testing.T) {
	// Private key 1: public key G; HASH160(G) is published in BIP-173.
	pub := testKey(t, "01").PubKey()
	addr := pub.Address()
	want := mustHex(t, "751e76e8199196d454941c45d1b3a323f1433bd6")
	if !bytes.Equal(addr[:], want) {
		t.Fatalf("Address(G) = %x, want %x", addr[:], want)
	}
	if got, ref := addr.String(), refBech32("tally", want, 1); got != ref {
		t.Fatalf("String() = %s, reference encoder gives %s", got, ref)
	}
	const pinned = "tally1w508d6qejxtdg4y5r3zarvary0c5xw7khrywfr"
	if addr.String() != pinned {
		t.Fatalf("String() = %s, want %s", addr, pinned)
	}
}

func TestAddressMatchesHashingRule(t *testing.T) {
	for _, d := range []string{"02", "c0ffee", "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364140"} {
		pub := testKey(t, d).PubKey()
		want := refAddress(pub[:])
		addr := pub.Address()
		if !bytes.Equal(addr[:], want) {
			t.Errorf("key %s: Address = %x, want RIPEMD-160(SHA-256(pub)) = %x", d, addr[:], want)
		}
		if a2 := AddressFromPubKey(pub[:]); a2 != addr {
			t.Errorf("key %s: AddressFromPubKey = %x, PubKey.Address = %x", d, a2, addr)
		}
		if got, ref := addr.String(), refBech32(AddressPrefix, want, 1); got != ref {
			t.Errorf("key %s: String = %s, reference %s", d, got, ref)
		}
	}
}

func TestAddressStringParseRoundTrip(t *testing.T) {
	addrs := []Address{
		{},
		{1},
		{19: 1},
		addrFromHex(t, "ffffffffffffffffffffffffffffffffffffffff"),
		addrFromHex(t, "751e76e8199196d454941c45d1b3a323f1433bd6"),
		testKey(t, "c0ffee").PubKey().Address(),
	}
	for _, a := range addrs {
		s := a.String()
		if !strings.HasPrefix(s, "tally1") || len(s) != len("tally1")+32+6 {
			t.Errorf("%x: String = %q, want tally1 + 38 characters", a[:], s)
		}
		got, err := ParseAddress(s)
		if err != nil {
			t.Errorf("ParseAddress(%s): %v", s, err)
			continue
		}
		if got != a {
			t.Errorf("ParseAddress(%s) = %x, want %x", s, got[:], a[:])
		}
		up, err := ParseAddress(strings.ToUpper(s))
		if err != nil || up != a {
			t.Errorf("ParseAddress(upper %s) = %x, %v; BIP-173 allows all-upper-case", s, up[:], err)
		}
	}
}

func addrFromHex(t testing.TB, h string) Address {
	var a Address
	copy(a[:], mustHex(t, h))
	return a
}

func TestParseAddressRejects(t *testing.T) {
	good := testKey(t, "c0ffee").PubKey().Address()
	s := good.String()
	lastSwapped := s[:len(s)-1] + string("qp"[boolIndex(s[len(s)-1] == 'q')])
	mixed := strings.ToUpper(s[:8]) + s[8:]
	tests := []struct {
		name, in, mention string
	}{
		{"empty", "", ""},
		{"no separator", "tallyqqqqqqqqqqqq", ""},
		{"wrong prefix", refBech32("cosmos", good[:], 1), `prefix "cosmos"`},
		{"prefix with suffix", refBech32("tallyx", good[:], 1), `prefix "tallyx"`},
		{"bad checksum", lastSwapped, "checksum"},
		{"mixed case", mixed, "case"},
		{"19 bytes", refBech32(AddressPrefix, good[:19], 1), "expected 20"},
		{"21 bytes", refBech32(AddressPrefix, append(good[:], 0), 1), "expected 20"},
		{"32 bytes", refBech32(AddressPrefix, bytes.Repeat([]byte{7}, 32), 1), "expected 20"},
		{"bech32m checksum", refBech32(AddressPrefix, good[:], bech32mConst), "bech32m"},
		{"invalid character b", s[:10] + "b" + s[11:], ""},
		{"space", " " + s, ""},
		{"too long", AddressPrefix + "1" + strings.Repeat("q", 90), ""},
		{"hex, not bech32", hex.EncodeToString(good[:]), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseAddress(tt.in)
			if !errors.Is(err, ErrBadAddress) {
				t.Fatalf("ParseAddress(%q) = %v, want ErrBadAddress", tt.in, err)
			}
			if !strings.Contains(err.Error(), tt.mention) {
				t.Fatalf("error %q does not mention %q", err, tt.mention)
			}
		})
	}
}

func boolIndex(b bool) int {
	if b {
		return 1
	}
	return 0
}

func TestAddressJSON(t *testing.T) {
	a := testKey(t, "c0ffee").PubKey().Address()
	b, err := json.Marshal(map[string]Address{"a": a})
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"a":"` + a.String() + `"}`; string(b) != want {
		t.Fatalf("json = %s, want %s", b, want)
	}
	var back map[string]Address
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back["a"] != a {
		t.Fatalf("round trip = %s, want %s", back["a"], a)
	}
	var bad Address
	if err := json.Unmarshal([]byte(`"cosmos19rl4cm2hmr8afy4kldpxz3fka4jguq0auqdal4"`), &bad); !errors.Is(err, ErrBadAddress) {
		t.Fatalf("Unmarshal(cosmos address) = %v, want ErrBadAddress", err)
	}
}

func TestAddressIsZeroCompare(t *testing.T) {
	var zero Address
	one := Address{19: 1}
	big := Address{0: 1}
	if !zero.IsZero() || one.IsZero() {
		t.Fatal("IsZero wrong")
	}
	if zero.Compare(one) != -1 || one.Compare(big) != -1 || big.Compare(one) != 1 || one.Compare(one) != 0 {
		t.Fatal("Compare does not order bytewise")
	}
}
