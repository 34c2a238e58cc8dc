package e2e

import (
	"crypto/rand"
	"strings"
	"testing"
	"time"

	"github.com/tallyledger/tally/crypto"
	"github.com/tallyledger/tally/ledger"
)

// Malformed bytes, bad signatures, transactions for another chain,
// unknown senders and replays sent over RPC are rejected with a code and a
// log that says why, and the network keeps running.
func TestBadTransactionsRejected(t *testing.T) {
	net := startNet(t, defaultOpts())
	ctx := testCtx(t, 90*time.Second)
	w := openWallet(t, net)
	alice, bob := w.key("alice"), w.addr("bob")
	chainID := net.ChainID()

	// One good transfer first, so there is something to replay.
	first := transfer(chainID, alice, bob, 7, 0)
	if res, err := net.Client(1).BroadcastTxSync(ctx, first); err != nil || res.Code != 0 {
		t.Fatalf("good transfer: %v %+v", err, res)
	}
	committed := waitTx(ctx, t, net, 1, first)

	badSig := transfer(chainID, alice, bob, 7, 1)
	tx, err := ledger.DecodeTx(badSig)
	if err != nil {
		t.Fatal(err)
	}
	tx.Signature[10] ^= 0x01
	badSig = tx.Encode()

	stranger, err := crypto.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name    string
		tx      []byte
		code    ledger.Code
		logHas  string
		logHas2 string
	}{
		{"malformed bytes", []byte{0xde, 0xad, 0xbe, 0xef}, ledger.CodeMalformed, "decode", ""},
		{"trailing bytes", append(transfer(chainID, alice, bob, 1, 1), 0x00), ledger.CodeMalformed, "", ""},
		{"tampered signature", badSig, ledger.CodeBadSignature, "signature", ""},
		{"signed for another chain", transfer("other-chain", alice, bob, 7, 1), ledger.CodeBadSignature, "signature", ""},
		{"unregistered sender", transfer(chainID, stranger, bob, 1, 0), ledger.CodeUnknownAccount, stranger.PubKey().Address().String(), ""},
		{"replayed nonce", transfer(chainID, alice, bob, 8, 0), ledger.CodeBadNonce, "nonce", "1"},
		{"amount above balance", transfer(chainID, alice, bob, 5_000_000, 1), ledger.CodeInsufficient, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := net.Client(1).BroadcastTxSync(ctx, tt.tx)
			if err != nil {
				t.Fatalf("RPC error instead of a CheckTx rejection: %v", err)
			}
			if ledger.Code(res.Code) != tt.code {
				t.Fatalf("code %d (%s), want %d (%s); log: %s", res.Code, ledger.Code(res.Code), tt.code, tt.code, res.Log)
			}
			if res.Log == "" {
				t.Fatal("rejected without a log saying why")
			}
			for _, want := range []string{tt.logHas, tt.logHas2} {
				if want != "" && !strings.Contains(strings.ToLower(res.Log), strings.ToLower(want)) {
					t.Errorf("log %q does not mention %q", res.Log, want)
				}
			}
			t.Logf("code %d (%s): %s", res.Code, ledger.Code(res.Code), res.Log)
		})
	}

	// The exact bytes of a committed transaction, sent again, are refused
	// (by the mempool cache or, on a node that has not seen them, by the
	// nonce check) and never execute twice.
	for i := 0; i < net.Len(); i++ {
		res, err := net.Client(i).BroadcastTxSync(ctx, first)
		if err == nil && res.Code == 0 {
			t.Fatalf("node%d accepted a replay of a committed transaction", i)
		}
		if err == nil && ledger.Code(res.Code) != ledger.CodeBadNonce {
			t.Errorf("node%d: replay rejected with code %d, want %d (bad nonce): %s", i, res.Code, ledger.CodeBadNonce, res.Log)
		}
	}

	// The network is alive: every node commits two more blocks, and a
	// good transaction still goes through.
	h, err := net.Height(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := net.WaitAll(ctx, h+2); err != nil {
		t.Fatal(err)
	}
	next := transfer(chainID, alice, bob, 3, 1)
	if res, err := net.Client(2).BroadcastTxSync(ctx, next); err != nil || res.Code != 0 {
		t.Fatalf("good transfer after the bad ones: %v %+v", err, res)
	}
	r := waitTx(ctx, t, net, 2, next)
	if r.TxResult.Code != 0 {
		t.Fatalf("good transfer failed: %s", r.TxResult.Log)
	}
	if err := net.WaitHeight(ctx, 0, r.Height); err != nil {
		t.Fatal(err)
	}
	a := queryAccount(ctx, t, net, 0, alice.PubKey().Address())
	if got := balanceOf(t, a, "TALLY"); got != 1_000_000-7-3 {
		t.Errorf("alice holds %d after one 7 and one 3 transfer (block %d), want %d", got, committed.Height, 1_000_000-10)
	}
}
