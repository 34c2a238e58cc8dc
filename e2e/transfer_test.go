package e2e

import (
	"fmt"
	"testing"
	"time"

	"github.com/tallyledger/tally/localnet"
)

func defaultOpts() localnet.Options { return localnet.Options{Validators: 4} }

// Transfers signed with the wallet's keys and broadcast to one node are
// committed, visible on all four nodes (abci_query and the ledger API),
// and found by tx_search on their events.
func TestTransfersCommittedOnEveryNode(t *testing.T) {
	net := startNet(t, defaultOpts())
	ctx := testCtx(t, 90*time.Second)
	w := openWallet(t, net)
	alice, bob := w.key("alice"), w.addr("bob")

	const n = 5
	var txs [][]byte
	var sum uint64
	for i := uint64(0); i < n; i++ {
		amount := 10 + i
		sum += amount
		tx := transfer(net.ChainID(), alice, bob, amount, i)
		res, err := net.Client(0).BroadcastTxSync(ctx, tx)
		if err != nil {
			t.Fatalf("broadcast transfer %d: %v", i, err)
		}
		if res.Code != 0 {
			t.Fatalf("transfer %d rejected: code %d: %s", i, res.Code, res.Log)
		}
		txs = append(txs, tx)
	}
	var top int64
	for i, tx := range txs {
		res := waitTx(ctx, t, net, 0, tx)
		if res.TxResult.Code != 0 {
			t.Fatalf("transfer %d failed in block %d: code %d: %s", i, res.Height, res.TxResult.Code, res.TxResult.Log)
		}
		top = max(top, res.Height)
	}
	if err := net.WaitAll(ctx, top); err != nil {
		t.Fatal(err)
	}

	aliceAddr := alice.PubKey().Address()
	for i := 0; i < net.Len(); i++ {
		a := queryAccount(ctx, t, net, i, aliceAddr)
		b := queryAccount(ctx, t, net, i, bob)
		if got := balanceOf(t, a, localnet.Asset); got != localnet.InitialBalance-sum {
			t.Errorf("node%d: alice holds %d, want %d", i, got, localnet.InitialBalance-sum)
		}
		if got := balanceOf(t, b, localnet.Asset); got != localnet.InitialBalance+sum {
			t.Errorf("node%d: bob holds %d, want %d", i, got, localnet.InitialBalance+sum)
		}
		if uint64(a.Nonce) != uint64(n) {
			t.Errorf("node%d: alice's next nonce %d, want %d", i, a.Nonce, n)
		}

		acct := apiAccount(ctx, t, net, i, bob)
		if got := balanceOf(t, acct, localnet.Asset); got != localnet.InitialBalance+sum {
			t.Errorf("node%d ledger API: bob holds %d, want %d", i, got, localnet.InitialBalance+sum)
		}

		q := fmt.Sprintf("transfer.sender='%s'", aliceAddr)
		found, err := net.Client(i).TxSearch(ctx, q, false, nil, nil, "asc")
		if err != nil {
			t.Fatalf("node%d tx_search %s: %v", i, q, err)
		}
		if found.TotalCount != n {
			t.Errorf("node%d: tx_search %s found %d transactions, want %d", i, q, found.TotalCount, n)
		}
		for _, r := range found.Txs {
			if !hasEventAttr(r.TxResult.Events, "transfer", "recipient", bob.String()) {
				t.Errorf("node%d: tx %X has no transfer.recipient=%s event", i, r.Hash, bob)
			}
		}
	}
}
