package client

import (
	"context"
	"strings"
	"testing"

	"github.com/tallyledger/tally/crypto"
)

func TestWitnessEqualToThePrimaryRefused(t *testing.T) {
	c, err := New("http://127.0.0.1:26657")
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"http://127.0.0.1:26657", "127.0.0.1:26657", "http://localhost:26657/", "tcp://127.0.0.1:26657"} {
		_, _, err := c.ProveAccount(context.Background(), crypto.Address{}, TrustOptions{Witnesses: []string{w}})
		if err == nil || !strings.Contains(err.Error(), "is the queried node itself") {
			t.Errorf("witness %s: %v", w, err)
		}
	}
	if sameEndpoint("http://127.0.0.1:26657", "http://127.0.0.1:26757") || sameEndpoint("http://10.0.0.1:26657", "http://10.0.0.2:26657") {
		t.Error("different nodes taken for the same")
	}
}

func TestTrustRootMismatch(t *testing.T) {
	pinned := &TrustRoot{ChainID: "a", GenesisHash: strings.Repeat("AB", 32)}
	node := &TrustRoot{ChainID: "a", GenesisHash: strings.Repeat("AB", 32), Header1Height: 1, Header1Hash: strings.Repeat("CD", 32)}
	if err := checkTrustRoot(pinned, node, "n"); err != nil {
		t.Fatalf("genesis-only pin: %v", err)
	}
	for what, change := range map[string]func(r *TrustRoot){
		"chain ID":     func(r *TrustRoot) { r.ChainID = "b" },
		"genesis hash": func(r *TrustRoot) { r.GenesisHash = strings.Repeat("EF", 32) },
		"header 1":     func(r *TrustRoot) { r.Header1Hash = strings.Repeat("EF", 32) },
	} {
		full := *node
		other := *node
		change(&other)
		if err := checkTrustRoot(&full, &other, "n"); err == nil || !strings.Contains(err.Error(), "does not match the pinned trust root: "+what) {
			t.Errorf("%s changed: %v", what, err)
		}
	}
	if err := (&TrustRoot{ChainID: "a", GenesisHash: "xyz"}).validate(); err == nil {
		t.Error("a bad genesis hash was accepted in a pin")
	}
}
