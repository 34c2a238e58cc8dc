package ledger

import (
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/tallyledger/tally/crypto"
)

// manyAdmins returns a genesis with n admins (and the usual accounts) and
// the admins' identities.
func manyAdmins(n int, threshold uint32) (GenesisState, []identity) {
	g := testGenesis()
	g.Params.AdminThreshold = threshold
	ids := make([]identity, n)
	for i := range ids {
		ids[i] = newIdentity(fmt.Sprintf("many-admin-%d", i))
		g.Accounts = append(g.Accounts, Account{Address: ids[i].addr, Roles: []Role{RoleAdmin}})
	}
	return g, ids
}

// A proposal whose vote lists outgrow the transaction decoder's limits
// (64 array elements) must stay readable: with 67+ admins and 65
// rejections, voting on it and its expiry used to fail every block.
func TestManyVotesDoNotHaltTheChain(t *testing.T) {
	g, ids := manyAdmins(67, 5) // 70 admins with admin1..3
	c := newTestChain(t, g)
	nonces := map[string]uint64{}
	tx := func(id identity, m Msg) []byte {
		b := newTx(t).from(id).msg(m).nonce(nonces[id.name])
		nonces[id.name]++
		return b.bytes(nil)
	}
	const expiry = 5
	res := c.blockRaw(tx(admin1, Msg{Propose: &Propose{Action: actThreshold(3), Expiry: expiry}}))
	wantResult(t, res.TxResults[0], CodeOK, "")
	var rejections [][]byte
	for i := range 65 {
		rejections = append(rejections, tx(ids[i], Msg{Vote: &Vote{Proposal: 1, Approve: false}}))
	}
	for i, r := range c.blockRaw(rejections...).TxResults {
		if r.Code != CodeOK {
			t.Fatalf("rejection %d: %v %s", i, r.Code, r.Log)
		}
	}
	p, err := c.view().Proposal(1)
	if err != nil {
		t.Fatalf("proposal with 65 rejections cannot be read: %v", err)
	}
	if p.Status != ProposalOpen || len(p.Rejections) != 65 {
		t.Fatalf("proposal %s with %d rejections, want open with 65", p.Status, len(p.Rejections))
	}
	// One more vote reads the proposal in a block.
	wantResult(t, c.blockRaw(tx(ids[65], Msg{Vote: &Vote{Proposal: 1, Approve: true}})).TxResults[0], CodeOK, "")
	// Blocks past the expiry close it and go on.
	for c.height <= expiry+1 {
		c.blockRaw()
	}
	if p, err = c.view().Proposal(1); err != nil || p.Status != ProposalExpired {
		t.Fatalf("proposal after expiry: %+v, %v; want expired", p, err)
	}
}

// The admin set is bounded (and with it a proposal's votes): a grant or a
// registration that would pass MaxAdmins is refused, and so is a genesis.
func TestAdminSetIsBounded(t *testing.T) {
	g, _ := manyAdmins(MaxAdmins-3, 1) // exactly MaxAdmins with admin1..3
	c := newTestChain(t, g)
	wantResult(t, c.one(propose(admin1, actGrant(alice, RoleAdmin))), CodeUnsafeChange, "above the maximum 100")
	wantResult(t, c.one(propose(admin1, actRegister(stranger, RoleAdmin))), CodeUnsafeChange, "above the maximum 100")
	wantResult(t, c.one(propose(admin1, actRegister(stranger))), CodeOK, "")

	g, _ = manyAdmins(MaxAdmins-2, 1)
	if err := g.Validate(); err == nil || !strings.Contains(err.Error(), "at most 100 allowed") {
		t.Fatalf("genesis with %d admins: %v, want refused", MaxAdmins+1, err)
	}
}

// Thresholds are compared as uint64: a threshold above 2^31 must be refused
// the same way on 32-bit and 64-bit nodes (int(uint32) is negative on
// 32-bit platforms). Run with GOARCH=386 to see the difference.
func TestHugeThresholdRefusedOnEveryPlatform(t *testing.T) {
	const huge = 1<<31 + 1
	c := newTestChain(t, testGenesis())
	wantResult(t, c.one(propose(admin1, actThreshold(huge))), CodeOK, "")
	wantResult(t, c.one(vote(admin2, 1, true)), CodeUnsafeChange, "above the number of admins")

	g := testGenesis()
	g.Params.AdminThreshold = huge
	if err := g.Validate(); err == nil || !strings.Contains(err.Error(), "above the number of admins") {
		t.Fatalf("genesis threshold %d: %v, want refused", uint32(huge), err)
	}
}

// One account cannot flood the mempool: CheckTx admits at most
// MaxPendingPerAccount of its transactions between two blocks, with a
// clear code; others are not affected, and the next block frees room.
func TestPendingTransactionsPerAccountAreCapped(t *testing.T) {
	c := newTestChain(t, testGenesis())
	c.block()
	next := map[crypto.Address]uint64{}
	for i := range DefaultMaxPendingPerAccount {
		if r := c.l.CheckTx(newTx(t).from(alice).to(bob).bytes(next), false); r.Code != CodeOK {
			t.Fatalf("pending tx %d: %v %s", i, r.Code, r.Log)
		}
	}
	over := newTx(t).from(alice).to(bob).bytes(next)
	wantResult(t, c.l.CheckTx(over, false), CodeTooManyPending, "64 transactions waiting for a block, at most 64")
	wantResult(t, c.l.CheckTx(newTx(t).from(bob).to(alice).bytes(next), false), CodeOK, "")
	c.block()
	wantResult(t, c.l.CheckTx(newTx(t).from(alice).to(bob).nonce(0).bytes(nil), false), CodeOK, "")

	l, err := Open(NewMemStore(), Options{MaxPendingPerAccount: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if _, err := l.InitChain(testChainID, 1, testGenesis()); err != nil {
		t.Fatal(err)
	}
	next = map[crypto.Address]uint64{}
	for i, want := range []Code{CodeOK, CodeOK, CodeTooManyPending} {
		if r := l.CheckTx(newTx(t).from(alice).to(bob).bytes(next), false); r.Code != want {
			t.Fatalf("tx %d with a cap of 2: %v %s, want %v", i, r.Code, r.Log, want)
		}
	}
}

// A transfer to oneself is refused: it changes nothing and cost nothing, so
// it was a free way to fill blocks.
func TestSelfTransferRefused(t *testing.T) {
	c := newTestChain(t, testGenesis())
	wantResult(t, c.l.CheckTx(newTx(t).from(alice).to(alice).nonce(0).bytes(nil), false), CodeSelfTransfer, "to the sender itself")
	wantResult(t, c.one(newTx(t).from(alice).to(alice)), CodeSelfTransfer, "to the sender itself")
	if got := c.balance(alice, "TALLY"); got != 100 {
		t.Fatalf("alice holds %d TALLY, want 100", got)
	}
}

// A proposal holds at most MaxAccountTxsPerBlock transactions of one sender.
func TestProposalBoundsTransactionsPerAccount(t *testing.T) {
	c := newTestChain(t, testGenesis())
	next := map[crypto.Address]uint64{}
	var txs [][]byte
	for range DefaultMaxAccountTxsPerBlock + 5 {
		txs = append(txs, newTx(t).from(alice).to(bob).bytes(next))
	}
	for range 3 {
		txs = append(txs, newTx(t).from(bob).to(alice).bytes(next))
	}
	got, err := c.l.PrepareTxs(BlockInfo{Height: 1, Signers: c.signers}, txs, 1<<30, func(b []byte) int64 { return int64(len(b)) })
	if err != nil {
		t.Fatal(err)
	}
	if want := DefaultMaxAccountTxsPerBlock + 3; len(got.Txs) != want {
		t.Fatalf("proposal holds %d transactions, want %d (%d of alice's, all 3 of bob's)", len(got.Txs), want, DefaultMaxAccountTxsPerBlock)
	}
	if o := got.Omitted[0]; o.Index != DefaultMaxAccountTxsPerBlock || !strings.Contains(o.Reason, "at most 64 per block") {
		t.Fatalf("first omitted %+v, want alice's 65th for the per-account bound", o)
	}
}

// ProcessTxs applies FinalizeBlock's validator-quorum check with the
// proposal's last commit: a block whose validator change would leave the
// last commit's signers without 2/3 of the power is refused before it is
// voted on, not accepted and then failed.
func TestProcessTxsChecksTheValidatorQuorum(t *testing.T) {
	g := testGenesis()
	g.Params.AdminThreshold = 1
	c := newTestChain(t, g)
	c.block()
	removal := propose(admin1, actPower(validatorKey(0), 0)).bytes(map[crypto.Address]uint64{admin1.addr: 0})
	one := CometBFTAddress(validatorKey(1)) // 10 of the 30 left: not more than 2/3
	if err := c.l.ProcessTxs(BlockInfo{Height: 2, Signers: [][]byte{one[:]}}, [][]byte{removal}); CodeOf(err) != CodeUnsafeChange {
		t.Fatalf("ProcessTxs with 1 of 4 signers: %v, want unsafe_change", err)
	}
	if err := c.l.ProcessTxs(BlockInfo{Height: 2, Signers: c.signers}, [][]byte{removal}); err != nil {
		t.Fatalf("ProcessTxs with every signer: %v", err)
	}
	// The proposer leaves it out with the same check, so an honest
	// proposal is never refused for it.
	size := func(b []byte) int64 { return int64(len(b)) }
	got, err := c.l.PrepareTxs(BlockInfo{Height: 2, Signers: [][]byte{one[:]}}, [][]byte{removal}, 1<<20, size)
	if err != nil || len(got.Txs) != 0 || len(got.Omitted) != 1 || got.Omitted[0].Code != CodeUnsafeChange {
		t.Fatalf("PrepareTxs with 1 of 4 signers: %+v, %v; want the removal left out", got, err)
	}
	// And CheckTx refuses it at once with the signers of the last commit
	// it knows, instead of letting it wait in the mempool for ever.
	c.signers = [][]byte{one[:]}
	c.block()
	wantResult(t, c.l.CheckTx(removal, false), CodeUnsafeChange, "not more than 2/3")
}

// A proposal's expiry is bounded: it cannot stay open for ever.
func TestProposalLifetimeIsBounded(t *testing.T) {
	c := newTestChain(t, testGenesis())
	c.block()
	h := uint64(c.height) + 1
	wantResult(t, c.one(newTx(t).from(admin1).propose(actPause("USD"), h+MaxProposalLifetime+1)), CodeInvalidAmount, "at most 1000000 allowed")
	wantResult(t, c.one(newTx(t).from(admin1).propose(actPause("USD"), h+1+MaxProposalLifetime)), CodeOK, "")
}

// countingStore counts the entries with a prefix that iterations over its
// snapshots read.
type countingStore struct {
	Store
	prefix string
	reads  *int
}

func (s countingStore) Snapshot() (Snapshot, error) {
	snap, err := s.Store.Snapshot()
	return countingSnapshot{snap, s.prefix, s.reads}, err
}

// countingSnapshot counts the entries with prefix its iterations read.
type countingSnapshot struct {
	Snapshot
	prefix string
	reads  *int
}

func (s countingSnapshot) Iterate(prefix []byte, fn func(key, value []byte) error) error {
	return s.Snapshot.Iterate(prefix, func(k, v []byte) error {
		if strings.HasPrefix(string(k), s.prefix) {
			*s.reads++
		}
		return fn(k, v)
	})
}

// Each block reads only the open proposals that expire (the index is
// ordered by expiry), not every open proposal.
func TestBlocksReadOnlyExpiringProposals(t *testing.T) {
	var reads int
	c := newTestChainOn(t, countingStore{NewMemStore(), PrefixOpenProposal, &reads}, testGenesis())
	var props []any
	for i := range 40 {
		props = append(props, newTx(t).from(admin1).propose(actPause("USD"), uint64(100+i)))
	}
	props = append(props, newTx(t).from(admin1).propose(actUnpause("USD"), 3))
	c.block(props...)
	c.block()
	reads = 0
	c.block() // height 3: nothing expires yet
	if reads > 1 {
		t.Fatalf("a block read %d open proposal entries, want at most 1 (the next to expire)", reads)
	}
	reads = 0
	res := c.block() // height 4: the last proposal expires
	if reads > 2 || len(res.Events) != 1 {
		t.Fatalf("expiring block read %d entries with events %v, want at most 2 and one expiry", reads, res.Events)
	}
}

// The admin count comes from the admin index, never from reading every
// account (the params API method did that).
func TestAdminCountReadsNoAccount(t *testing.T) {
	var reads int
	g := testGenesis()
	for i := range 200 {
		g.Accounts = append(g.Accounts, Account{Address: newIdentity(fmt.Sprintf("member-%d", i)).addr})
	}
	c := newTestChainOn(t, countingStore{NewMemStore(), PrefixAccount, &reads}, g)
	c.block()
	reads = 0
	n, err := c.view().AdminCount()
	if err != nil || n != 3 || reads != 0 {
		t.Fatalf("AdminCount = %d, %v after reading %d accounts; want 3 and none read", n, err, reads)
	}
}

// CheckTx admits no more than the mempool holds (Options.MaxMempoolTxs and
// MaxMempoolBytes), counting rechecked transactions, so CometBFT never
// finds its mempool full after CheckTx admitted a transaction (it would
// drop it without a word, its sender's later nonces stuck on the gap). A
// recheck is never refused for room, and the next block frees it.
func TestCheckTxAdmitsNoMoreThanTheMempoolHolds(t *testing.T) {
	open := func(opts Options) *Ledger {
		t.Helper()
		l, err := Open(NewMemStore(), opts)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = l.Close() })
		if _, err := l.InitChain(testChainID, 1, testGenesis()); err != nil {
			t.Fatal(err)
		}
		return l
	}
	l := open(Options{MaxMempoolTxs: 3})
	a0 := newTx(t).from(alice).to(bob).nonce(0).bytes(nil)
	a1 := newTx(t).from(alice).to(bob).nonce(1).bytes(nil)
	b0 := newTx(t).from(bob).to(alice).nonce(0).bytes(nil)
	c0 := newTx(t).from(issuer).to(alice).nonce(0).bytes(nil)
	for _, raw := range [][]byte{a0, a1, b0} {
		wantResult(t, l.CheckTx(raw, false), CodeOK, "")
	}
	wantResult(t, l.CheckTx(c0, false), CodeMempoolFull, "mempool is full: 3 transactions waiting for a block, at most 3")
	if got := CodeMempoolFull.String(); got != "mempool_full" {
		t.Errorf("code name %q", got)
	}
	// A block takes a0; the mempool rechecks a1 and b0, then has room for one.
	if _, err := l.FinalizeBlock(BlockInfo{Height: 1}, [][]byte{a0}); err != nil {
		t.Fatal(err)
	}
	if err := l.Commit(); err != nil {
		t.Fatal(err)
	}
	wantResult(t, l.CheckTx(a1, true), CodeOK, "")
	wantResult(t, l.CheckTx(b0, true), CodeOK, "")
	wantResult(t, l.CheckTx(c0, false), CodeOK, "")
	wantResult(t, l.CheckTx(newTx(t).from(issuer).to(alice).nonce(1).bytes(nil), false), CodeMempoolFull, "at most 3")
	// A recheck holds its place even when the count is at the bound.
	if _, err := l.FinalizeBlock(BlockInfo{Height: 2}, nil); err != nil {
		t.Fatal(err)
	}
	if err := l.Commit(); err != nil {
		t.Fatal(err)
	}
	for _, raw := range [][]byte{a1, b0, c0} {
		wantResult(t, l.CheckTx(raw, true), CodeOK, "")
	}

	// Bytes: room for two transactions of this size, not three.
	l = open(Options{MaxMempoolBytes: int64(2*len(a0) + 1)})
	wantResult(t, l.CheckTx(a0, false), CodeOK, "")
	wantResult(t, l.CheckTx(b0, false), CodeOK, "")
	wantResult(t, l.CheckTx(c0, false), CodeMempoolFull, "bytes of transactions waiting for a block")

	// Checked in parallel, exactly the bound is admitted.
	const bound = 40
	l = open(Options{MaxMempoolTxs: bound, MaxPendingPerAccount: -1})
	var raws [][]byte
	for n := range uint64(3 * bound) {
		raws = append(raws, newTx(t).from([]identity{alice, bob, issuer}[n%3]).to(carol).amount(1).nonce(n/3).bytes(nil))
	}
	var admitted, full atomic.Int64
	var wg sync.WaitGroup
	for g := range 3 {
		wg.Go(func() {
			for i := g; i < len(raws); i += 3 { // one sender per goroutine, in nonce order
				switch r := l.CheckTx(raws[i], false); r.Code {
				case CodeOK:
					admitted.Add(1)
				case CodeMempoolFull:
					full.Add(1)
				default:
					t.Errorf("tx %d: %v %s", i, r.Code, r.Log)
				}
			}
		})
	}
	wg.Wait()
	if admitted.Load() != bound || full.Load() != 2*bound {
		t.Errorf("admitted %d and refused %d as full, want %d and %d", admitted.Load(), full.Load(), bound, 2*bound)
	}
}

// A transaction whose sender is not a registered account is refused by
// CheckTx before its signature is verified: made-up keys cost a validator
// no signature check. A registered sender's signature is still verified
// (once), and block execution still checks the signature first.
func TestCheckTxRefusesUnknownSenderBeforeVerifying(t *testing.T) {
	c := newTestChain(t, testGenesis())
	_, before := c.l.SigCacheStats()
	wantResult(t, c.l.CheckTx(newTx(t).from(stranger).to(alice).nonce(0).bytes(nil), false), CodeUnknownAccount, "is not a registered account")
	forged := newTx(t).from(stranger).to(alice).nonce(1).tamper(func(tx *Tx) { tx.Signature[5] ^= 1 }).bytes(nil)
	wantResult(t, c.l.CheckTx(forged, false), CodeUnknownAccount, "is not a registered account")
	if _, after := c.l.SigCacheStats(); after != before {
		t.Fatalf("%d signatures verified for unregistered senders, want 0", after-before)
	}
	wantResult(t, c.l.CheckTx(newTx(t).from(alice).to(bob).nonce(0).bytes(nil), false), CodeOK, "")
	if _, after := c.l.SigCacheStats(); after != before+1 {
		t.Fatalf("%d signatures verified for a registered sender, want 1", after-before)
	}
	// In a block, the bad signature is what the transaction fails on.
	wantResult(t, c.block(forged).TxResults[0], CodeBadSignature, "")
}
