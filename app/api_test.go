package app

import (
	"strings"
	"testing"
)

func TestWithParams(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`{"jsonrpc":"2.0","id":1,"method":"account"}`, `{"id":1,"jsonrpc":"2.0","method":"account","params":{}}`},
		{`{"jsonrpc":"2.0","id":1,"method":"account","params":null}`, `{"id":1,"jsonrpc":"2.0","method":"account","params":{}}`},
		{`[{"id":1,"method":"a"},{"id":2,"method":"b","params":["x"]}]`, `[{"id":1,"method":"a","params":{}},{"id":2,"method":"b","params":["x"]}]`},
		{`{"id":1,"method":"a","params":{"address":"x"}}`, `{"id":1,"method":"a","params":{"address":"x"}}`},
		{`{not json`, `{not json`},
		{``, ``},
	} {
		if got := string(withParams([]byte(tc.in))); got != tc.want {
			t.Errorf("withParams(%s) = %s, expected %s", tc.in, got, tc.want)
		}
	}
}

func TestParamTypes(t *testing.T) {
	act := newActors(t)
	alice := addrOf(act.alice).String()
	// Quoted (JSON params) or bare (URI arguments).
	for _, in := range []string{`"` + alice + `"`, alice, " " + alice} {
		var a addressParam
		if err := a.UnmarshalJSON([]byte(in)); err != nil {
			t.Fatalf("address %q: %v", in, err)
		}
		if a.Address.String() != alice || a.required() != nil {
			t.Fatalf("address %q parsed as %s", in, a.Address)
		}
	}
	for _, bad := range []string{`123`, `{"a":1}`, `"tally1xyz"`, `"cosmos1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqnrql8a"`} {
		if err := (&addressParam{}).UnmarshalJSON([]byte(bad)); err == nil {
			t.Errorf("address %s accepted", bad)
		}
	}
	if err := (addressParam{}).required(); err == nil {
		t.Error("a missing address passes required()")
	}

	var u uintParam
	for in, want := range map[string]uintParam{`5`: 5, `"7"`: 7, `18446744073709551615`: 1<<64 - 1} {
		if err := u.UnmarshalJSON([]byte(in)); err != nil || u != want {
			t.Errorf("uint %s = %d %v, expected %d", in, u, err, want)
		}
	}
	for _, bad := range []string{`-1`, `1.5`, `"x"`, `18446744073709551616`} {
		if err := u.UnmarshalJSON([]byte(bad)); err == nil {
			t.Errorf("uint %s accepted", bad)
		}
	}

	var h hashParam
	hash := strings.Repeat("aB", 32)
	for _, in := range []string{`"` + hash + `"`, hash, `"0x` + hash + `"`} {
		if err := h.UnmarshalJSON([]byte(in)); err != nil || len(h.b) != 32 {
			t.Errorf("hash %s: %v", in, err)
		}
	}
	if err := h.UnmarshalJSON([]byte(`"abcd"`)); err == nil {
		t.Error("short hash accepted")
	}

	var tx txParam
	if err := tx.UnmarshalJSON([]byte(`"0a0b"`)); err != nil || len(tx.b) != 2 {
		t.Errorf("hex tx: %v %x", err, tx.b)
	}
	if err := tx.UnmarshalJSON([]byte(`"CgsM"`)); err != nil || len(tx.b) != 3 { // base64 of 0a0b0c
		t.Errorf("base64 tx: %v %x", err, tx.b)
	}
	if err := tx.UnmarshalJSON([]byte(`"***"`)); err == nil {
		t.Error("garbage tx accepted")
	}

	var sym symbolParam
	if err := sym.UnmarshalJSON([]byte(`"TALLY"`)); err != nil || sym.s != "TALLY" {
		t.Errorf("symbol: %v %q", err, sym.s)
	}
	if err := sym.UnmarshalJSON([]byte(`"tally"`)); err == nil || !strings.Contains(err.Error(), "upper-case") {
		t.Errorf("lower-case symbol: %v", err)
	}
}
