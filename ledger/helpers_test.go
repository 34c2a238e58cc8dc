package ledger

import (
	"crypto/sha256"
	"fmt"
	"strings"
	"testing"

	"github.com/tallyledger/tally/crypto"
)

// Test identities: deterministic keys, so failures reproduce.
type identity struct {
	name string
	key  *crypto.PrivKey
	addr crypto.Address
}

func newIdentity(name string) identity {
	seed := sha256.Sum256([]byte("tally test key " + name))
	k, err := crypto.PrivKeyFromBytes(seed[:])
	if err != nil {
		panic(err)
	}
	return identity{name: name, key: k, addr: k.PubKey().Address()}
}

var (
	alice    = newIdentity("alice")
	bob      = newIdentity("bob")
	carol    = newIdentity("carol")
	issuer   = newIdentity("issuer")
	admin1   = newIdentity("admin1")
	admin2   = newIdentity("admin2")
	admin3   = newIdentity("admin3")
	stranger = newIdentity("stranger") // never registered
)

const testChainID = "tally-test"

// validatorKey returns a deterministic 32-byte validator public key.
func validatorKey(i int) []byte {
	h := sha256.Sum256([]byte(fmt.Sprintf("validator %d", i)))
	return h[:]
}

// testGenesis: three admins (threshold 2), an issuer of TALLY and USD,
// alice and bob funded, carol registered with nothing, four validators of
// power 10.
func testGenesis() GenesisState {
	g := GenesisState{
		Params: Params{AdminThreshold: 2},
		Accounts: []Account{
			{Address: admin1.addr, Roles: []Role{RoleAdmin}},
			{Address: admin2.addr, Roles: []Role{RoleAdmin}},
			{Address: admin3.addr, Roles: []Role{RoleAdmin}},
			{Address: issuer.addr, Roles: []Role{RoleIssuer}},
			{Address: alice.addr},
			{Address: bob.addr},
			{Address: carol.addr},
		},
		Assets: []Asset{
			{Symbol: "TALLY", Issuer: issuer.addr},
			{Symbol: "USD", Issuer: issuer.addr},
		},
		Balances: []GenesisBalance{
			{Address: alice.addr, Asset: "TALLY", Amount: 100},
			{Address: bob.addr, Asset: "TALLY", Amount: 50},
			{Address: issuer.addr, Asset: "TALLY", Amount: 1000},
			{Address: alice.addr, Asset: "USD", Amount: 7},
		},
		AllowedNodes: []string{strings.Repeat("ab", 20)},
	}
	for i := range 4 {
		g.Validators = append(g.Validators, Validator{PubKey: validatorKey(i), Power: 10})
	}
	return g
}

// allSigners returns the CometBFT addresses of every validator of g.
func allSigners(vals []Validator) [][]byte {
	var out [][]byte
	for _, v := range vals {
		a := CometBFTAddress(v.PubKey)
		out = append(out, a[:])
	}
	return out
}

// txb builds a signed transaction: newTx(t).from(alice).to(bob).amount(5).
type txb struct {
	t        testing.TB
	signer   identity
	body     Body
	chainID  string
	nonceSet bool
	msgSet   bool
	after    func(*Tx) // alters the signed transaction (signature tests)
	assetSym string
	amt      uint64
	dest     *crypto.Address
	kind     string
}

func newTx(t testing.TB) *txb {
	return &txb{t: t, chainID: testChainID, signer: alice, assetSym: "TALLY", amt: 1, kind: "transfer"}
}

func (b *txb) from(id identity) *txb        { b.signer = id; return b }
func (b *txb) to(id identity) *txb          { a := id.addr; b.dest = &a; return b }
func (b *txb) toAddr(a crypto.Address) *txb { b.dest = &a; return b }
func (b *txb) amount(n uint64) *txb         { b.amt = n; return b }
func (b *txb) asset(s string) *txb          { b.assetSym = s; return b }
func (b *txb) nonce(n uint64) *txb          { b.body.Nonce, b.nonceSet = n, true; return b }
func (b *txb) expiry(h uint64) *txb         { b.body.Expiry = h; return b }
func (b *txb) chain(id string) *txb         { b.chainID = id; return b }
func (b *txb) memo(m string) *txb           { b.body.Memo = m; return b }
func (b *txb) tamper(f func(*Tx)) *txb      { b.after = f; return b }
func (b *txb) mint() *txb                   { b.kind = "mint"; return b }
func (b *txb) burn() *txb                   { b.kind = "burn"; return b }
func (b *txb) msg(m Msg) *txb               { b.body.Msg, b.msgSet = m, true; return b }
func (b *txb) vote(id uint64, ok bool) *txb {
	return b.msg(Msg{Vote: &Vote{Proposal: id, Approve: ok}})
}
func (b *txb) propose(a Action, exp uint64) *txb {
	return b.msg(Msg{Propose: &Propose{Action: a, Expiry: exp}})
}

// build signs the transaction; without an explicit nonce it takes the
// next one from next (a per-sender counter kept by the caller).
func (b *txb) build(next map[crypto.Address]uint64) *Tx {
	body := b.body
	if !b.msgSet {
		dest := bob.addr
		if b.dest != nil {
			dest = *b.dest
		}
		switch b.kind {
		case "transfer":
			body.Msg = Msg{Transfer: &Transfer{To: dest, Asset: b.assetSym, Amount: b.amt}}
		case "mint":
			body.Msg = Msg{Mint: &Mint{To: dest, Asset: b.assetSym, Amount: b.amt}}
		case "burn":
			body.Msg = Msg{Burn: &Burn{Asset: b.assetSym, Amount: b.amt}}
		}
	}
	if !b.nonceSet && next != nil {
		body.Nonce = next[b.signer.addr]
		next[b.signer.addr]++
	}
	tx := NewSignedTx(b.chainID, body, b.signer.key)
	if b.after != nil {
		b.after(tx)
	}
	return tx
}

func (b *txb) bytes(next map[crypto.Address]uint64) []byte {
	return b.build(next).Encode()
}

// testChain is a ledger with the test genesis, driven block by block.
type testChain struct {
	t       testing.TB
	store   Store
	l       *Ledger
	height  int64
	signers [][]byte // signers reported for the next block
	nonces  map[crypto.Address]uint64
}

func newTestChain(t testing.TB, g GenesisState) *testChain {
	t.Helper()
	return newTestChainOn(t, NewMemStore(), g)
}

func newTestChainOn(t testing.TB, store Store, g GenesisState) *testChain {
	t.Helper()
	l, err := Open(store, Options{})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if _, err := l.InitChain(testChainID, 1, g); err != nil {
		t.Fatalf("InitChain: %v", err)
	}
	c := &testChain{t: t, store: store, l: l, signers: allSigners(g.Validators), nonces: map[crypto.Address]uint64{}}
	t.Cleanup(func() { _ = c.l.Close() })
	return c
}

// refreshNonces reloads the next nonces of the test identities from the
// committed state.
func (c *testChain) refreshNonces() {
	c.nonces = map[crypto.Address]uint64{}
	for _, id := range []identity{alice, bob, carol, issuer, admin1, admin2, admin3, stranger} {
		if a, err := c.l.View().Account(id.addr); err == nil && a != nil {
			c.nonces[id.addr] = a.Nonce
		}
	}
}

// block executes and commits one block of transaction builders and raw
// transactions, failing the test on a storage error.
func (c *testChain) block(txs ...any) *BlockResult {
	c.t.Helper()
	if c.height > 0 {
		c.refreshNonces()
	}
	var raws [][]byte
	for _, x := range txs {
		switch v := x.(type) {
		case *txb:
			raws = append(raws, v.bytes(c.nonces))
		case []byte:
			raws = append(raws, v)
		default:
			c.t.Fatalf("block: unexpected %T", x)
		}
	}
	return c.blockRaw(raws...)
}

func (c *testChain) blockRaw(raws ...[]byte) *BlockResult {
	c.t.Helper()
	h := c.l.nextHeight
	res, err := c.l.FinalizeBlock(BlockInfo{Height: h, Signers: c.signers}, raws)
	if err != nil {
		c.t.Fatalf("FinalizeBlock(%d): %v", h, err)
	}
	if err := c.l.Commit(); err != nil {
		c.t.Fatalf("Commit(%d): %v", h, err)
	}
	c.height = h
	c.refreshNonces()
	return res
}

// one executes a one-transaction block and returns its result.
func (c *testChain) one(b *txb) TxResult {
	c.t.Helper()
	return c.block(b).TxResults[0]
}

func (c *testChain) view() *View { return c.l.View() }

func (c *testChain) balance(id identity, asset string) uint64 {
	c.t.Helper()
	n, err := c.view().Balance(id.addr, asset)
	if err != nil {
		c.t.Fatal(err)
	}
	return n
}

func (c *testChain) account(id identity) *Account {
	c.t.Helper()
	a, err := c.view().Account(id.addr)
	if err != nil {
		c.t.Fatal(err)
	}
	return a
}

func (c *testChain) supply(sym string) uint64 {
	c.t.Helper()
	a, err := c.view().Asset(sym)
	if err != nil || a == nil {
		c.t.Fatalf("asset %s: %v", sym, err)
	}
	return a.Supply
}

func wantResult(t testing.TB, r TxResult, code Code, logPart string) {
	t.Helper()
	if r.Code != code {
		t.Fatalf("code %v (%d) log %q, want %v", r.Code, r.Code, r.Log, code)
	}
	if logPart != "" && !strings.Contains(r.Log, logPart) {
		t.Fatalf("log %q does not contain %q", r.Log, logPart)
	}
}
