package wire

import (
	"bytes"
	"fmt"
	"strconv"
)

// Uint64 is an unsigned 64-bit number written in JSON as a decimal string
// ("25"), as CometBFT writes its 64-bit numbers, so that JavaScript clients
// do not round it. It reads a string or a bare number; empty and null read
// as 0.
type Uint64 uint64

// MarshalJSON writes the number as a quoted decimal.
func (n Uint64) MarshalJSON() ([]byte, error) {
	return strconv.AppendQuote(nil, strconv.FormatUint(uint64(n), 10)), nil
}

// UnmarshalJSON reads a quoted or bare decimal.
func (n *Uint64) UnmarshalJSON(b []byte) error {
	s, ok := numberText(b)
	if !ok {
		*n = 0
		return nil
	}
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return fmt.Errorf("expected an unsigned integer, got %s", b)
	}
	*n = Uint64(v)
	return nil
}

// Int64 is a signed 64-bit number (a block height, a count) written in
// JSON as a decimal string, read like Uint64.
type Int64 int64

// MarshalJSON writes the number as a quoted decimal.
func (n Int64) MarshalJSON() ([]byte, error) {
	return strconv.AppendQuote(nil, strconv.FormatInt(int64(n), 10)), nil
}

// UnmarshalJSON reads a quoted or bare decimal.
func (n *Int64) UnmarshalJSON(b []byte) error {
	s, ok := numberText(b)
	if !ok {
		*n = 0
		return nil
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return fmt.Errorf("expected an integer, got %s", b)
	}
	*n = Int64(v)
	return nil
}

// numberText returns the digits of a JSON number or string; false for null
// and the empty string.
func numberText(b []byte) (string, bool) {
	t := bytes.TrimSpace(b)
	if bytes.Equal(t, []byte("null")) {
		return "", false
	}
	if len(t) >= 2 && t[0] == '"' && t[len(t)-1] == '"' {
		t = t[1 : len(t)-1]
	}
	return string(t), len(t) > 0
}

// ParseUint reads an optional decimal string field of a result (one that
// is left out when unset): "" is 0.
func ParseUint(field, s string) (uint64, error) {
	if s == "" {
		return 0, nil
	}
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%s %q: expected a decimal integer below 2^64", field, s)
	}
	return v, nil
}
