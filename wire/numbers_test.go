package wire

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
)

func TestUint64JSON(t *testing.T) {
	tests := []struct {
		in      string
		want    Uint64
		wantErr bool
	}{
		{`"25"`, 25, false},
		{`25`, 25, false},
		{`"18446744073709551615"`, math.MaxUint64, false},
		{`""`, 0, false},
		{`null`, 0, false},
		{`"-1"`, 0, true},
		{`"1.5"`, 0, true},
		{`"18446744073709551616"`, 0, true},
		{`"0x10"`, 0, true},
	}
	for _, tt := range tests {
		var got Uint64
		err := json.Unmarshal([]byte(tt.in), &got)
		if (err != nil) != tt.wantErr || (!tt.wantErr && got != tt.want) {
			t.Errorf("Unmarshal(%s) = %d, %v; want %d, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
	b, err := json.Marshal(Uint64(math.MaxUint64))
	if err != nil || string(b) != `"18446744073709551615"` {
		t.Fatalf("Marshal = %s, %v", b, err)
	}
}

func TestInt64JSON(t *testing.T) {
	for in, want := range map[string]Int64{`"-7"`: -7, `12`: 12, `"9223372036854775807"`: math.MaxInt64} {
		var got Int64
		if err := json.Unmarshal([]byte(in), &got); err != nil || got != want {
			t.Errorf("Unmarshal(%s) = %d, %v; want %d", in, got, err, want)
		}
	}
	var n Int64
	if err := json.Unmarshal([]byte(`"9223372036854775808"`), &n); err == nil {
		t.Error("Unmarshal of 2^63 succeeded")
	}
	if b, _ := json.Marshal(Int64(-3)); string(b) != `"-3"` {
		t.Errorf("Marshal(-3) = %s", b)
	}
}

// TestResultJSONForm pins the JSON form of a result: 64-bit numbers are
// decimal strings, small codes are numbers.
func TestResultJSONForm(t *testing.T) {
	b, err := json.Marshal(AccountResult{Address: "tally1x", Nonce: 3, PendingNonce: 4,
		Roles: []string{"member"}, Balances: []BalanceResult{{Asset: "TALLY", Amount: 1 << 60}}})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"address":"tally1x","nonce":"3","pending_nonce":"4","frozen":false,"frozen_reason":"","roles":["member"],"balances":[{"asset":"TALLY","amount":"1152921504606846976"}]}`
	if string(b) != want {
		t.Fatalf("account JSON\n got %s\nwant %s", b, want)
	}
	b, _ = json.Marshal(TxResult{Hash: "AB", Height: 7, Index: 1, Code: 4, Events: []EventResult{}})
	if !strings.Contains(string(b), `"height":"7","index":1,"code":4`) {
		t.Fatalf("tx JSON %s", b)
	}
}

func TestParseUint(t *testing.T) {
	if n, err := ParseUint("power", ""); n != 0 || err != nil {
		t.Errorf(`ParseUint("") = %d, %v`, n, err)
	}
	if n, err := ParseUint("power", "10"); n != 10 || err != nil {
		t.Errorf(`ParseUint("10") = %d, %v`, n, err)
	}
	if _, err := ParseUint("power", "ten"); err == nil || !strings.Contains(err.Error(), `power "ten"`) {
		t.Errorf(`ParseUint("ten") error = %v`, err)
	}
}
