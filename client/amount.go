package client

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/tallyledger/tally/ledger"
)

// ParseAmount reads an amount written as <integer><ASSET>, e.g. 25TALLY:
// a positive decimal integer below 2^64 followed by an asset symbol
// (2 to 12 upper-case letters and digits, starting with a letter).
func ParseAmount(s string) (asset string, amount uint64, err error) {
	bad := func(why string) error {
		return fmt.Errorf("bad amount %q: %s", s, why)
	}
	usage := "expected <integer><ASSET>, e.g. 25TALLY"
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	digits, symbol := s[:i], s[i:]
	if strings.HasPrefix(s, "-") {
		return "", 0, bad("amounts are positive, " + usage)
	}
	if digits != "" && symbol == "" {
		return "", 0, bad("no asset: write the amount and asset together, e.g. " + digits + "TALLY")
	}
	if digits == "" || symbol == "" {
		return "", 0, bad(usage)
	}
	if len(digits) > 1 && digits[0] == '0' {
		return "", 0, bad("leading zero, " + usage)
	}
	amount, perr := strconv.ParseUint(digits, 10, 64)
	if perr != nil {
		return "", 0, bad(fmt.Sprintf("%s is above the largest amount %d", digits, uint64(1<<64-1)))
	}
	if amount == 0 {
		return "", 0, bad("amount must be positive, " + usage)
	}
	if symbol != strings.TrimSpace(symbol) || strings.ContainsAny(symbol, ".,_-") {
		return "", 0, bad("whole units only, " + usage)
	}
	if verr := ledger.ValidateSymbol(symbol); verr != nil {
		return "", 0, bad(fmt.Sprintf("asset symbol %q must be 2 to 12 upper-case letters and digits, starting with a letter; %s", symbol, usage))
	}
	return symbol, amount, nil
}

// FormatAmount writes an amount the way ParseAmount reads it.
func FormatAmount(asset string, amount uint64) string {
	return strconv.FormatUint(amount, 10) + asset
}
