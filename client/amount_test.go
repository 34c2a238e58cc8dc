package client

import (
	"strings"
	"testing"
)

func TestParseAmount(t *testing.T) {
	tests := []struct {
		in      string
		asset   string
		amount  uint64
		wantErr string
	}{
		{in: "25TALLY", asset: "TALLY", amount: 25},
		{in: "1EUR", asset: "EUR", amount: 1},
		{in: "18446744073709551615USD2", asset: "USD2", amount: 1<<64 - 1},
		{in: "25", wantErr: `bad amount "25": no asset: write the amount and asset together, e.g. 25TALLY`},
		{in: "TALLY", wantErr: `bad amount "TALLY": expected <integer><ASSET>, e.g. 25TALLY`},
		{in: "", wantErr: `bad amount "": expected <integer><ASSET>`},
		{in: "0TALLY", wantErr: "amount must be positive"},
		{in: "007TALLY", wantErr: "leading zero"},
		{in: "18446744073709551616TALLY", wantErr: "above the largest amount"},
		{in: "2.5TALLY", wantErr: "whole units only"},
		{in: "25 TALLY", wantErr: "whole units only"},
		{in: "-5TALLY", wantErr: "amounts are positive"},
		{in: "25tally", wantErr: `asset symbol "tally" must be`},
		{in: "25T", wantErr: `asset symbol "T" must be`},
		{in: "25ABCDEFGHIJKLM", wantErr: "must be 2 to 12"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			asset, amount, err := ParseAmount(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseAmount(%q) error = %v, want one containing %q", tt.in, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseAmount(%q): %v", tt.in, err)
			}
			if asset != tt.asset || amount != tt.amount {
				t.Fatalf("ParseAmount(%q) = %d %s, want %d %s", tt.in, amount, asset, tt.amount, tt.asset)
			}
			if back := FormatAmount(asset, amount); back != tt.in {
				t.Fatalf("FormatAmount = %q, want %q", back, tt.in)
			}
		})
	}
}

func TestDeriveAPIURL(t *testing.T) {
	tests := []struct{ in, want, wantErr string }{
		{in: "http://127.0.0.1:26657", want: "http://127.0.0.1:26659"},
		{in: "127.0.0.1:26757", want: "http://127.0.0.1:26759"},
		{in: "tcp://localhost:1000", want: "http://localhost:1002"},
		{in: "https://node.example.com", want: "https://node.example.com:445"},
		{in: "http://[::1]:26657/", want: "http://[::1]:26659"},
		{in: "ftp://x:1", wantErr: `scheme "ftp"`},
		{in: "", wantErr: "empty node URL"},
		{in: "http://x:65535", wantErr: "port"},
	}
	for _, tt := range tests {
		got, err := DeriveAPIURL(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("DeriveAPIURL(%q) error = %v, want %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("DeriveAPIURL(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestNewUsesExplicitAPIURL(t *testing.T) {
	c, err := New("http://127.0.0.1:26657", WithAPIURL("http://10.0.0.9:9000"))
	if err != nil {
		t.Fatal(err)
	}
	if c.APIURL() != "http://10.0.0.9:9000" || c.NodeURL() != "http://127.0.0.1:26657" {
		t.Fatalf("urls = %s %s", c.NodeURL(), c.APIURL())
	}
}
