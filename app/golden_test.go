package app_test

// Golden consensus vectors: a fixed genesis and fixed blocks of signed
// transactions of every kind (transfers, mint, burn, every governance
// action proposed, approved, rejected, expired and executed, and the
// failures), driven through the ABCI application in-process as CometBFT
// would drive it. The file records, for every transaction, its exact bytes,
// hash, result code, log and events; for every block its events, validator
// updates and app hash; and at the end every key/value in the store, which
// pins the storage layout.
//
// A difference in bytes, codes or app hashes is a consensus change: nodes
// running the new code would disagree with the chain written by the old
// one. Logs and events are not hashed into blocks, but wallets, explorers
// and tx_search read them, so they are pinned too. Change the vectors only
// on purpose: regenerate them with
//
//	go test ./app -run TestGoldenVectors -update
//
// review the diff, and add a CHANGELOG line saying what changed in
// consensus and why.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/cometbft/cometbft/crypto/ed25519"
	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"

	"github.com/tallyledger/tally/app"
	"github.com/tallyledger/tally/crypto"
	"github.com/tallyledger/tally/genesis"
	"github.com/tallyledger/tally/ledger"
)

var updateGolden = flag.Bool("update", false, "rewrite the golden consensus vectors in testdata/golden")

const (
	goldenFile    = "testdata/golden/consensus.txt"
	goldenChainID = "tally-golden"
)

// goldenKey derives a fixed secp256k1 account key from a name.
func goldenKey(t *testing.T, name string) *crypto.PrivKey {
	t.Helper()
	seed := sha256.Sum256([]byte("tally golden vectors: account " + name))
	k, err := crypto.PrivKeyFromBytes(seed[:])
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// goldenValidator derives a fixed ed25519 consensus key.
func goldenValidator(name string) ed25519.PrivKey {
	return ed25519.GenPrivKeyFromSecret([]byte("tally golden vectors: validator " + name))
}

// goldenNodeID derives a fixed node ID (40 lower-case hex digits).
func goldenNodeID(name string) string {
	h := sha256.Sum256([]byte("tally golden vectors: node " + name))
	return hex.EncodeToString(h[:20])
}

// goldenScenario builds the blocks: it signs transactions with fixed keys
// and tracks each sender's next nonce.
type goldenScenario struct {
	t      *testing.T
	keys   map[string]*crypto.PrivKey
	names  []string // in a fixed order, for the header
	next   map[string]uint64
	blocks []*goldenBlock
}

type goldenBlock struct {
	txs []goldenTx
}

type goldenTx struct {
	desc string
	raw  []byte
}

// txOpt changes how a transaction is built.
type txOpt func(*txSpec)

type txSpec struct {
	nonce    *uint64
	unauth   bool // the transaction is not authenticated: it consumes no nonce
	expiry   uint64
	memo     string
	chainID  string
	badSig   bool
	override []byte
}

func withNonce(n uint64) txOpt  { return func(s *txSpec) { s.nonce = &n; s.unauth = true } }
func withExpiry(h uint64) txOpt { return func(s *txSpec) { s.expiry = h } }
func withMemo(m string) txOpt   { return func(s *txSpec) { s.memo = m } }
func unauthenticated() txOpt    { return func(s *txSpec) { s.unauth = true } }
func signedFor(id string) txOpt { return func(s *txSpec) { s.chainID = id; s.unauth = true } }
func withBadSignature() txOpt   { return func(s *txSpec) { s.badSig = true; s.unauth = true } }
func rawBytes(b []byte) txOpt   { return func(s *txSpec) { s.override = b; s.unauth = true } }
func (s *goldenScenario) block() *goldenBlock {
	b := &goldenBlock{}
	s.blocks = append(s.blocks, b)
	return b
}

func (s *goldenScenario) addr(name string) crypto.Address {
	k, ok := s.keys[name]
	if !ok {
		s.t.Fatalf("no golden key %q", name)
	}
	return k.PubKey().Address()
}

// tx signs msg from the named account and appends it to block b.
func (s *goldenScenario) tx(b *goldenBlock, desc, from string, msg ledger.Msg, opts ...txOpt) {
	spec := txSpec{chainID: goldenChainID}
	for _, o := range opts {
		o(&spec)
	}
	if spec.override != nil {
		b.txs = append(b.txs, goldenTx{desc: desc, raw: spec.override})
		return
	}
	nonce := s.next[from]
	if spec.nonce != nil {
		nonce = *spec.nonce
	}
	if !spec.unauth {
		s.next[from]++
	}
	body := ledger.Body{Nonce: nonce, Expiry: spec.expiry, Msg: msg, Memo: spec.memo}
	key, ok := s.keys[from]
	if !ok {
		s.t.Fatalf("no golden key %q", from)
	}
	tx := ledger.NewSignedTx(spec.chainID, body, key)
	if spec.badSig {
		tx.Signature[10] ^= 0xff
	}
	b.txs = append(b.txs, goldenTx{desc: desc, raw: tx.Encode()})
}

func (s *goldenScenario) transfer(to, asset string, amount uint64) ledger.Msg {
	return ledger.Msg{Transfer: &ledger.Transfer{To: s.addr(to), Asset: asset, Amount: amount}}
}

func (s *goldenScenario) mint(to, asset string, amount uint64) ledger.Msg {
	return ledger.Msg{Mint: &ledger.Mint{To: s.addr(to), Asset: asset, Amount: amount}}
}

func burn(asset string, amount uint64) ledger.Msg {
	return ledger.Msg{Burn: &ledger.Burn{Asset: asset, Amount: amount}}
}

func propose(a ledger.Action, expiry uint64) ledger.Msg {
	return ledger.Msg{Propose: &ledger.Propose{Action: a, Expiry: expiry}}
}

func vote(id uint64, approve bool) ledger.Msg {
	return ledger.Msg{Vote: &ledger.Vote{Proposal: id, Approve: approve}}
}

// goldenGenesis is the fixed genesis: admins admin, admin2 and admin3
// (threshold 2), admin issues TALLY, alice holds 1000 TALLY and admin 200;
// bob and dave are members; carol and eve are not registered.
func (s *goldenScenario) genesis() *genesis.AppState {
	st := genesis.Default()
	st.Params.AdminThreshold = 2
	add := func(name string, roles ...string) {
		if err := st.AddAccount(s.addr(name).String(), roles...); err != nil {
			s.t.Fatal(err)
		}
	}
	add("admin", "admin")
	add("admin2", "admin")
	add("admin3", "admin")
	add("alice")
	add("bob")
	add("dave")
	for _, err := range []error{
		st.AddAsset("TALLY", s.addr("admin").String()),
		st.AddBalance(s.addr("alice").String(), "TALLY", "1000"),
		st.AddBalance(s.addr("admin").String(), "TALLY", "200"),
		st.AllowNode(goldenNodeID("node0")),
	} {
		if err != nil {
			s.t.Fatal(err)
		}
	}
	return st
}

// buildGoldenBlocks writes the scenario. Proposal IDs are assigned in
// order from 1; the comments give them.
func (s *goldenScenario) buildGoldenBlocks() {
	const far = 100 // a proposal expiry that is never reached
	val1 := goldenValidator("val1").PubKey().Bytes()
	node1 := goldenNodeID("node1")
	act := func(a ledger.Action) ledger.Msg { return propose(a, far) }

	// Height 1: transfers, mint, burn and the failures of authentication
	// and of the asset rules.
	b := s.block()
	s.tx(b, "transfer 100 TALLY alice -> bob", "alice", s.transfer("bob", "TALLY", 100))
	s.tx(b, "transfer 5 TALLY alice -> bob with a memo and an expiry", "alice", s.transfer("bob", "TALLY", 5), withMemo("coffee"), withExpiry(5))
	s.tx(b, "transfer 1 TALLY alice -> alice (to itself)", "alice", s.transfer("alice", "TALLY", 1))
	s.tx(b, "bad nonce: bob's nonce ahead", "bob", s.transfer("alice", "TALLY", 1), withNonce(7))
	s.tx(b, "bad nonce: alice's nonce 0 used", "alice", s.transfer("bob", "TALLY", 1), withNonce(0))
	s.tx(b, "insufficient funds: bob sends 10000 TALLY", "bob", s.transfer("alice", "TALLY", 10000))
	s.tx(b, "unknown recipient: alice -> carol", "alice", s.transfer("carol", "TALLY", 1))
	s.tx(b, "unknown sender: carol -> alice", "carol", s.transfer("alice", "TALLY", 1), unauthenticated())
	s.tx(b, "unknown asset: alice sends GOLD", "alice", s.transfer("bob", "GOLD", 1))
	s.tx(b, "mint 500 TALLY to bob by the issuer", "admin", s.mint("bob", "TALLY", 500))
	s.tx(b, "unauthorized: alice mints TALLY", "alice", s.mint("alice", "TALLY", 1))
	s.tx(b, "burn 50 TALLY by the issuer", "admin", burn("TALLY", 50))
	s.tx(b, "insufficient funds: the issuer burns 100000 TALLY", "admin", burn("TALLY", 100000))
	s.tx(b, "unauthorized: bob burns TALLY", "bob", burn("TALLY", 1))
	s.tx(b, "unknown asset: the issuer mints GOLD", "admin", s.mint("bob", "GOLD", 1))
	s.tx(b, "bad signature: alice's signature altered", "alice", s.transfer("bob", "TALLY", 1), withBadSignature())
	s.tx(b, "bad signature: alice signed for another chain", "alice", s.transfer("bob", "TALLY", 1), signedFor("other-chain"))
	s.tx(b, "malformed: bytes that are not a transaction", "", ledger.Msg{}, rawBytes([]byte("not a transaction")))
	s.tx(b, "malformed: empty message", "alice", ledger.Msg{}, unauthenticated())
	s.tx(b, "invalid amount: transfer of 0", "alice", s.transfer("bob", "TALLY", 0), unauthenticated())
	s.tx(b, "invalid amount: lower-case asset symbol", "alice", s.transfer("bob", "tally", 1), unauthenticated())
	s.tx(b, "transfer 1 TALLY bob -> alice", "bob", s.transfer("alice", "TALLY", 1))

	// Height 2: every governance action proposed and executed with the
	// threshold of 2, and the governance failures.
	b = s.block()
	s.tx(b, "propose #1 register-account carol", "admin", act(ledger.Action{RegisterAccount: &ledger.RegisterAccount{Address: s.addr("carol")}}))
	s.tx(b, "approve #1: executes", "admin2", vote(1, true))
	s.tx(b, "propose #2 create-asset GOLD issued by carol", "admin", act(ledger.Action{CreateAsset: &ledger.CreateAsset{Symbol: "GOLD", Issuer: s.addr("carol")}}))
	s.tx(b, "approve #2: executes", "admin2", vote(2, true))
	s.tx(b, "mint 1000 GOLD to carol by its issuer", "carol", s.mint("carol", "GOLD", 1000))
	s.tx(b, "transfer 10 GOLD carol -> bob", "carol", s.transfer("bob", "GOLD", 10))
	s.tx(b, "propose #3 grant-role issuer to bob", "admin", act(ledger.Action{GrantRole: &ledger.RoleChange{Address: s.addr("bob"), Role: ledger.RoleIssuer}}))
	s.tx(b, "approve #3: executes", "admin3", vote(3, true))
	s.tx(b, "propose #4 revoke-role issuer from bob", "admin", act(ledger.Action{RevokeRole: &ledger.RoleChange{Address: s.addr("bob"), Role: ledger.RoleIssuer}}))
	s.tx(b, "approve #4: executes", "admin3", vote(4, true))
	s.tx(b, "propose #5 freeze dave", "admin", act(ledger.Action{Freeze: &ledger.Freeze{Address: s.addr("dave"), Reason: "under review"}}))
	s.tx(b, "approve #5: executes", "admin2", vote(5, true))
	s.tx(b, "frozen sender: dave sends", "dave", s.transfer("alice", "TALLY", 1))
	s.tx(b, "propose #6 unfreeze dave", "admin", act(ledger.Action{Unfreeze: &ledger.AccountRef{Address: s.addr("dave")}}))
	s.tx(b, "approve #6: executes", "admin2", vote(6, true))
	s.tx(b, "propose #7 pause-asset GOLD", "admin", act(ledger.Action{PauseAsset: &ledger.AssetRef{Symbol: "GOLD"}}))
	s.tx(b, "approve #7: executes", "admin2", vote(7, true))
	s.tx(b, "asset paused: carol sends GOLD", "carol", s.transfer("bob", "GOLD", 1))
	s.tx(b, "asset paused: carol mints GOLD", "carol", s.mint("carol", "GOLD", 1))
	s.tx(b, "propose #8 unpause-asset GOLD", "admin", act(ledger.Action{UnpauseAsset: &ledger.AssetRef{Symbol: "GOLD"}}))
	s.tx(b, "approve #8: executes", "admin2", vote(8, true))
	s.tx(b, "propose #9 set-validator-power val1 to 1", "admin", act(ledger.Action{SetValidatorPower: &ledger.SetValidatorPower{PubKey: val1, Power: 1}}))
	s.tx(b, "approve #9: executes, a validator update", "admin2", vote(9, true))
	s.tx(b, "propose #10 allow-node node1", "admin", act(ledger.Action{AllowNode: &ledger.NodeRef{NodeID: node1}}))
	s.tx(b, "approve #10: executes", "admin3", vote(10, true))
	s.tx(b, "propose #11 deny-node node1", "admin", act(ledger.Action{DenyNode: &ledger.NodeRef{NodeID: node1}}))
	s.tx(b, "approve #11: executes", "admin3", vote(11, true))
	s.tx(b, "propose #12 remove-account dave", "admin", act(ledger.Action{RemoveAccount: &ledger.AccountRef{Address: s.addr("dave")}}))
	s.tx(b, "approve #12: executes", "admin2", vote(12, true))
	s.tx(b, "unauthorized: alice proposes", "alice", act(ledger.Action{Freeze: &ledger.Freeze{Address: s.addr("bob")}}))
	s.tx(b, "unknown proposal: vote on #99", "admin2", vote(99, true))
	s.tx(b, "proposal closed: vote on executed #1", "admin3", vote(1, true))
	s.tx(b, "expired: a proposal expiring at height 1", "admin", propose(ledger.Action{AllowNode: &ledger.NodeRef{NodeID: node1}}, 1))
	s.tx(b, "malformed: validator power above MaxValidatorPower", "admin",
		act(ledger.Action{SetValidatorPower: &ledger.SetValidatorPower{PubKey: val1, Power: ledger.MaxValidatorPower + 1}}), unauthenticated())
	s.tx(b, "malformed: unknown role", "admin",
		act(ledger.Action{RegisterAccount: &ledger.RegisterAccount{Address: s.addr("eve"), Roles: []ledger.Role{"root"}}}), unauthenticated())
	s.tx(b, "malformed: proposal without an action", "admin", act(ledger.Action{}), unauthenticated())
	s.tx(b, "expired: a transaction expiring at height 1", "alice", s.transfer("bob", "TALLY", 1), withExpiry(1), unauthenticated())

	// Height 3: rejection, votes on closed proposals, an action that fails
	// when it executes, and a removed account registered again.
	b = s.block()
	s.tx(b, "propose #13 freeze alice", "admin", act(ledger.Action{Freeze: &ledger.Freeze{Address: s.addr("alice"), Reason: "audit"}}))
	s.tx(b, "reject #13", "admin2", vote(13, false))
	s.tx(b, "reject #13: rejected", "admin3", vote(13, false))
	s.tx(b, "proposal closed: vote on rejected #13", "admin", vote(13, true))
	s.tx(b, "propose #14 grant-role admin to bob, expiring at height 3", "admin", propose(ledger.Action{GrantRole: &ledger.RoleChange{Address: s.addr("bob"), Role: ledger.RoleAdmin}}, 3))
	s.tx(b, "already voted: the proposer approves #14", "admin", vote(14, true))
	s.tx(b, "propose #15 set-validator-power val1 to 0 (remove)", "admin", act(ledger.Action{SetValidatorPower: &ledger.SetValidatorPower{PubKey: val1, Power: 0}}))
	s.tx(b, "approve #15: executes, a validator update", "admin2", vote(15, true))
	s.tx(b, "propose #16 remove-account alice", "admin", act(ledger.Action{RemoveAccount: &ledger.AccountRef{Address: s.addr("alice")}}))
	s.tx(b, "approve #16: cannot execute, alice holds TALLY", "admin2", vote(16, true))
	s.tx(b, "unknown sender: removed dave sends", "dave", s.transfer("alice", "TALLY", 1), withNonce(1))
	s.tx(b, "propose #17 register-account dave again", "admin", act(ledger.Action{RegisterAccount: &ledger.RegisterAccount{Address: s.addr("dave")}}))
	s.tx(b, "approve #17: executes, dave keeps its nonce", "admin3", vote(17, true))
	s.tx(b, "bad nonce: dave's nonce 0 used before removal", "dave", s.transfer("alice", "TALLY", 1), withNonce(0))

	// Height 4: #14 expires before the transactions; the threshold drops
	// to 1, so a proposal then executes in its own transaction.
	b = s.block()
	s.tx(b, "propose #18 set-threshold 1", "admin", act(ledger.Action{SetThreshold: &ledger.SetThreshold{Threshold: 1}}))
	s.tx(b, "approve #18: executes", "admin3", vote(18, true))
	s.tx(b, "propose #19 register-account eve with issuer: executes at once", "admin", act(ledger.Action{RegisterAccount: &ledger.RegisterAccount{Address: s.addr("eve"), Roles: []ledger.Role{ledger.RoleIssuer}}}))
	s.tx(b, "unsafe change: propose set-threshold 5", "admin", act(ledger.Action{SetThreshold: &ledger.SetThreshold{Threshold: 5}}))
	s.tx(b, "insufficient funds: eve sends TALLY", "eve", s.transfer("alice", "TALLY", 1))
	s.tx(b, "propose #20 revoke-role admin from admin3: executes at once", "admin2", act(ledger.Action{RevokeRole: &ledger.RoleChange{Address: s.addr("admin3"), Role: ledger.RoleAdmin}}))
	s.tx(b, "unauthorized: admin3 is no longer an admin", "admin3", vote(16, true))
	// Leave a removed account's nonce, a frozen account and a paused asset
	// in the final state, so that their records are pinned too.
	s.tx(b, "propose #21 remove-account eve: executes at once", "admin", act(ledger.Action{RemoveAccount: &ledger.AccountRef{Address: s.addr("eve")}}))
	s.tx(b, "propose #22 freeze bob: executes at once", "admin", act(ledger.Action{Freeze: &ledger.Freeze{Address: s.addr("bob"), Reason: "lost key"}}))
	s.tx(b, "propose #23 pause-asset GOLD: executes at once", "admin", act(ledger.Action{PauseAsset: &ledger.AssetRef{Symbol: "GOLD"}}))

	// Height 5: an empty block.
	s.block()
}

func newGoldenScenario(t *testing.T) *goldenScenario {
	s := &goldenScenario{t: t, keys: map[string]*crypto.PrivKey{}, next: map[string]uint64{}}
	for _, n := range []string{"admin", "admin2", "admin3", "alice", "bob", "carol", "dave", "eve"} {
		s.keys[n] = goldenKey(t, n)
		s.names = append(s.names, n)
	}
	return s
}

// TestGoldenVectors runs the scenario through the ABCI application on an
// in-memory store and compares everything CometBFT would see, and the
// stored state, with testdata/golden/consensus.txt.
func TestGoldenVectors(t *testing.T) {
	got := runGoldenVectors(t, false)
	// A validator checks each proposal (ProcessProposal) before executing
	// the decided block and may reuse that pass: the outcome must be the
	// one a replaying node, which only executes, computes. (Every block of
	// the scenario holds a failing transaction, so ProcessProposal rejects
	// it and nothing is reused here; ledger's TestProcessedBlockReuse
	// covers blocks whose pass is reused.)
	if processed := runGoldenVectors(t, true); processed != got {
		t.Errorf("ProcessProposal before each FinalizeBlock changed the consensus vectors")
	}
	if *updateGolden {
		if err := os.MkdirAll(filepath.Dir(goldenFile), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(goldenFile, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s", goldenFile)
		return
	}
	want, err := os.ReadFile(goldenFile)
	if err != nil {
		t.Fatalf("read golden vectors: %v (generate them with: go test ./app -run TestGoldenVectors -update)", err)
	}
	if got == string(want) {
		return
	}
	gl, wl := strings.Split(got, "\n"), strings.Split(string(want), "\n")
	for i := 0; i < max(len(gl), len(wl)); i++ {
		var g, w string
		if i < len(gl) {
			g = gl[i]
		}
		if i < len(wl) {
			w = wl[i]
		}
		if g != w {
			t.Fatalf("consensus changed: %s line %d differs\n want: %s\n  got: %s\n"+
				"A change to the golden vectors is a consensus change: if it is deliberate, regenerate them "+
				"(go test ./app -run TestGoldenVectors -update) and say in CHANGELOG.md what changed and why.",
				goldenFile, i+1, w, g)
		}
	}
}

// runGoldenVectors runs the scenario and prints its vectors; with
// processFirst each block goes through ProcessProposal before FinalizeBlock.
func runGoldenVectors(t *testing.T, processFirst bool) string {
	s := newGoldenScenario(t)
	s.buildGoldenBlocks()
	store := ledger.NewMemStore()
	l, err := ledger.Open(store, ledger.Options{VerifyWorkers: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	a := app.New(l, nil)
	ctx := context.Background()

	var out strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&out, format+"\n", args...) }
	p("# Tally golden consensus vectors (protocol version %d).", app.ProtocolVersion)
	p("# Generated by TestGoldenVectors in app/golden_test.go; a change here is a consensus change.")
	p("# Regenerate only on purpose: go test ./app -run TestGoldenVectors -update")
	p("")
	p("chain_id %s", goldenChainID)
	for _, n := range s.names {
		k := s.keys[n]
		pub := k.PubKey()
		p("account %-6s %s pubkey=%x", n, pub.Address(), pub[:])
	}
	val0 := goldenValidator("val0")
	p("validator val0 pubkey=%x address=%X power=10", val0.PubKey().Bytes(), val0.PubKey().Address())
	p("validator val1 pubkey=%x address=%X (not in genesis)", goldenValidator("val1").PubKey().Bytes(), goldenValidator("val1").PubKey().Address())

	appState, err := s.genesis().Marshal()
	if err != nil {
		t.Fatal(err)
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, appState); err != nil {
		t.Fatal(err)
	}
	p("genesis_app_state %s", compact.String())
	initRes, err := a.InitChain(ctx, &abci.RequestInitChain{
		ChainId:       goldenChainID,
		InitialHeight: 1,
		Validators:    []abci.ValidatorUpdate{abci.Ed25519ValidatorUpdate(val0.PubKey().Bytes(), 10)},
		AppStateBytes: appState,
	})
	if err != nil {
		t.Fatalf("InitChain: %v", err)
	}
	p("init_chain app_hash=%X", initRes.AppHash)

	for i, blk := range s.blocks {
		height := int64(i + 1)
		var lastCommit abci.CommitInfo
		if height > 1 { // the first block has no last commit
			lastCommit = abci.CommitInfo{Round: 0, Votes: []abci.VoteInfo{{
				Validator:   abci.Validator{Address: val0.PubKey().Address(), Power: 10},
				BlockIdFlag: cmtproto.BlockIDFlagCommit,
			}}}
		}
		txs := make([][]byte, len(blk.txs))
		for j, tx := range blk.txs {
			txs[j] = tx.raw
		}
		if processFirst {
			if _, err := a.ProcessProposal(ctx, &abci.RequestProcessProposal{Txs: txs, Height: height, ProposedLastCommit: lastCommit}); err != nil {
				t.Fatalf("ProcessProposal %d: %v", height, err)
			}
		}
		res, err := a.FinalizeBlock(ctx, &abci.RequestFinalizeBlock{Txs: txs, Height: height, DecidedLastCommit: lastCommit})
		if err != nil {
			t.Fatalf("FinalizeBlock %d: %v", height, err)
		}
		if len(res.TxResults) != len(txs) {
			t.Fatalf("FinalizeBlock %d: %d results for %d transactions", height, len(res.TxResults), len(txs))
		}
		p("")
		p("block %d txs=%d", height, len(txs))
		for _, ev := range res.Events {
			p("  block_event %s", formatEvent(ev))
		}
		for j, tx := range blk.txs {
			r := res.TxResults[j]
			p("  tx %d.%d %s", height, j, tx.desc)
			p("    hash %s", ledger.TxHashString(tx.raw))
			p("    bytes %x", tx.raw)
			p("    code %d %s codespace=%q", r.Code, ledger.Code(r.Code), r.Codespace)
			p("    log %q", r.Log)
			p("    gas wanted=%d used=%d data=%x", r.GasWanted, r.GasUsed, r.Data)
			for _, ev := range r.Events {
				p("    event %s", formatEvent(ev))
			}
		}
		for _, u := range res.ValidatorUpdates {
			p("  validator_update pubkey=%x power=%d", u.PubKey.GetEd25519(), u.Power)
		}
		if res.ConsensusParamUpdates != nil {
			p("  consensus_param_updates %v", res.ConsensusParamUpdates)
		}
		p("  app_hash %X", res.AppHash)
		if _, err := a.Commit(ctx, &abci.RequestCommit{}); err != nil {
			t.Fatalf("Commit %d: %v", height, err)
		}
		info, err := a.Info(ctx, &abci.RequestInfo{})
		if err != nil {
			t.Fatal(err)
		}
		if info.LastBlockHeight != height || !bytes.Equal(info.LastBlockAppHash, res.AppHash) {
			t.Fatalf("after Commit %d: Info reports height %d app hash %X, expected %d and %X",
				height, info.LastBlockHeight, info.LastBlockAppHash, height, res.AppHash)
		}
	}

	// The stored state, every key (state and metadata) in order: the
	// storage layout. The state tree's pages ("~" keys) are left out: they
	// are derived from the state, depend on the page depth, and the
	// ledger's tree tests check them against the all-in-memory tree.
	p("")
	p("store after height %d (key value-hex)", len(s.blocks))
	err = store.Iterate(nil, func(k, v []byte) error {
		if bytes.HasPrefix(k, []byte(ledger.PrefixTree)) {
			return nil
		}
		p("  %s %x", printableKey(k), v)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out.String()
}

func formatEvent(ev abci.Event) string {
	var b strings.Builder
	b.WriteString(ev.Type)
	for _, a := range ev.Attributes {
		fmt.Fprintf(&b, " %s=%s", a.Key, a.Value)
		if !a.Index {
			b.WriteString("(unindexed)")
		}
	}
	return b.String()
}

// printableKey shows a key as text when it is printable ASCII, as hex
// otherwise.
func printableKey(k []byte) string {
	for _, c := range k {
		if c <= ' ' || c > '~' {
			return "0x" + hex.EncodeToString(k)
		}
	}
	return string(k)
}
