package ledger

import (
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"testing"

	"github.com/tallyledger/tally/crypto"
)

// The property test: random blocks of valid and invalid transactions
// (transfers, mints, burns, proposals and votes for every governance
// action) run on the ledger and on a tiny model written from the rules;
// after every transaction the outcome codes, and after every block the
// balances, supplies, nonces, roles, freezes, assets, parameters,
// validators, nodes and proposals must agree, and every supply must equal
// the sum of its balances.

type mAccount struct {
	nonce  uint64
	roles  map[Role]bool
	frozen bool
	reason string
}

type mAsset struct {
	issuer crypto.Address
	supply uint64
	paused bool
}

type mProposal struct {
	proposer  crypto.Address
	action    Action
	expiry    uint64
	approvals []crypto.Address
	rejects   []crypto.Address
	status    string
}

type model struct {
	accounts   map[crypto.Address]*mAccount
	retired    map[crypto.Address]uint64
	balances   map[crypto.Address]map[string]uint64
	assets     map[string]*mAsset
	threshold  int
	receive    bool
	validators map[string]uint64
	nodes      map[string]bool
	proposals  map[uint64]*mProposal
	nextID     uint64
	signers    map[string]bool // validators that sign every commit
}

func newModel(g GenesisState) *model {
	m := &model{
		accounts: map[crypto.Address]*mAccount{}, retired: map[crypto.Address]uint64{},
		balances: map[crypto.Address]map[string]uint64{}, assets: map[string]*mAsset{},
		threshold: int(g.Params.AdminThreshold), receive: g.Params.FreezeBlocksReceive,
		validators: map[string]uint64{}, nodes: map[string]bool{}, proposals: map[uint64]*mProposal{},
		nextID: 1, signers: map[string]bool{},
	}
	for _, a := range g.Accounts {
		ma := &mAccount{nonce: a.Nonce, roles: map[Role]bool{RoleMember: true}, frozen: a.Frozen, reason: a.FrozenReason}
		for _, r := range a.Roles {
			ma.roles[r] = true
		}
		m.accounts[a.Address] = ma
	}
	for _, a := range g.Assets {
		m.assets[a.Symbol] = &mAsset{issuer: a.Issuer, paused: a.Paused}
	}
	for _, b := range g.Balances {
		m.credit(b.Address, b.Asset, b.Amount)
		m.assets[b.Asset].supply += b.Amount
	}
	for _, v := range g.Validators {
		m.validators[string(v.PubKey)] = v.Power
		m.signers[string(v.PubKey)] = true
	}
	for _, n := range g.AllowedNodes {
		m.nodes[n] = true
	}
	return m
}

func (m *model) clone() *model {
	c := *m
	c.accounts = map[crypto.Address]*mAccount{}
	for k, v := range m.accounts {
		a := *v
		a.roles = maps.Clone(v.roles)
		c.accounts[k] = &a
	}
	c.retired = maps.Clone(m.retired)
	c.balances = map[crypto.Address]map[string]uint64{}
	for k, v := range m.balances {
		c.balances[k] = maps.Clone(v)
	}
	c.assets = map[string]*mAsset{}
	for k, v := range m.assets {
		a := *v
		c.assets[k] = &a
	}
	c.validators = maps.Clone(m.validators)
	c.nodes = maps.Clone(m.nodes)
	c.proposals = map[uint64]*mProposal{}
	for k, v := range m.proposals {
		p := *v
		p.approvals = slices.Clone(v.approvals)
		p.rejects = slices.Clone(v.rejects)
		c.proposals[k] = &p
	}
	return &c
}

func (m *model) credit(a crypto.Address, asset string, n uint64) {
	if m.balances[a] == nil {
		m.balances[a] = map[string]uint64{}
	}
	m.balances[a][asset] += n
}

func (m *model) debit(a crypto.Address, asset string, n uint64) {
	m.balances[a][asset] -= n
	if m.balances[a][asset] == 0 {
		delete(m.balances[a], asset)
	}
}

func (m *model) admins() []crypto.Address {
	var out []crypto.Address
	for a, acct := range m.accounts {
		if acct.roles[RoleAdmin] {
			out = append(out, a)
		}
	}
	return out
}

// beginBlock closes proposals whose expiry has passed.
func (m *model) beginBlock(height uint64) {
	for _, p := range m.proposals {
		if p.status == ProposalOpen && p.expiry < height {
			p.status = ProposalExpired
		}
	}
}

// apply runs one transaction on the model and returns its code.
func (m *model) apply(height uint64, tx *Tx, sigOK bool) Code {
	if !sigOK {
		return CodeBadSignature
	}
	sender := tx.Sender()
	acct := m.accounts[sender]
	switch {
	case acct == nil:
		return CodeUnknownAccount
	case tx.Body.Nonce != acct.nonce:
		return CodeBadNonce
	case tx.Body.Expiry != 0 && height > tx.Body.Expiry:
		return CodeExpired
	}
	saved := m.clone()
	code := m.exec(height, sender, &tx.Body.Msg)
	if code != CodeOK {
		*m = *saved
	}
	if a := m.accounts[sender]; a != nil {
		a.nonce++
	} else {
		m.retired[sender]++ // the sender removed itself
	}
	return code
}

func (m *model) canReceive(a crypto.Address) Code {
	acct := m.accounts[a]
	if acct == nil {
		return CodeUnknownAccount
	}
	if acct.frozen && m.receive {
		return CodeFrozen
	}
	return CodeOK
}

func (m *model) exec(height uint64, sender crypto.Address, msg *Msg) Code {
	if m.accounts[sender].frozen {
		return CodeFrozen
	}
	switch {
	case msg.Transfer != nil:
		t := msg.Transfer
		asset := m.assets[t.Asset]
		switch {
		case t.To == sender:
			return CodeSelfTransfer
		case asset == nil:
			return CodeUnknownAsset
		case asset.paused:
			return CodeAssetPaused
		}
		if c := m.canReceive(t.To); c != CodeOK {
			return c
		}
		if m.balances[sender][t.Asset] < t.Amount {
			return CodeInsufficient
		}
		m.debit(sender, t.Asset, t.Amount)
		m.credit(t.To, t.Asset, t.Amount)
	case msg.Mint != nil, msg.Burn != nil:
		sym := ""
		if msg.Mint != nil {
			sym = msg.Mint.Asset
		} else {
			sym = msg.Burn.Asset
		}
		asset := m.assets[sym]
		switch {
		case asset == nil:
			return CodeUnknownAsset
		case asset.issuer != sender, !m.accounts[sender].roles[RoleIssuer]:
			return CodeUnauthorized
		case asset.paused:
			return CodeAssetPaused
		}
		if mt := msg.Mint; mt != nil {
			if c := m.canReceive(mt.To); c != CodeOK {
				return c
			}
			if asset.supply > math.MaxUint64-mt.Amount {
				return CodeOverflow
			}
			asset.supply += mt.Amount
			m.credit(mt.To, sym, mt.Amount)
		} else {
			if m.balances[sender][sym] < msg.Burn.Amount {
				return CodeInsufficient
			}
			asset.supply -= msg.Burn.Amount
			m.debit(sender, sym, msg.Burn.Amount)
		}
	case msg.Propose != nil:
		if !m.accounts[sender].roles[RoleAdmin] {
			return CodeUnauthorized
		}
		if msg.Propose.Expiry < height {
			return CodeExpired
		}
		p := &mProposal{proposer: sender, action: msg.Propose.Action, expiry: msg.Propose.Expiry, approvals: []crypto.Address{sender}, status: ProposalOpen}
		m.proposals[m.nextID] = p
		m.nextID++
		return m.tally(p)
	case msg.Vote != nil:
		if !m.accounts[sender].roles[RoleAdmin] {
			return CodeUnauthorized
		}
		p := m.proposals[msg.Vote.Proposal]
		switch {
		case p == nil:
			return CodeUnknownProposal
		case p.status != ProposalOpen, height > p.expiry:
			return CodeProposalClosed
		case slices.Contains(p.approvals, sender), slices.Contains(p.rejects, sender):
			return CodeAlreadyVoted
		}
		if msg.Vote.Approve {
			p.approvals = append(p.approvals, sender)
		} else {
			p.rejects = append(p.rejects, sender)
		}
		return m.tally(p)
	}
	return CodeOK
}

func (m *model) tally(p *mProposal) Code {
	approvals, undecided := 0, 0
	for _, a := range m.admins() {
		switch {
		case slices.Contains(p.approvals, a):
			approvals++
		case !slices.Contains(p.rejects, a):
			undecided++
		}
	}
	switch {
	case approvals >= m.threshold:
		if c := m.action(&p.action); c != CodeOK {
			return c
		}
		p.status = ProposalExecuted
	case approvals+undecided < m.threshold:
		p.status = ProposalRejected
	}
	return CodeOK
}

func (m *model) adminSafe(delta int) Code {
	after := len(m.admins()) + delta
	if after < 1 || after < m.threshold {
		return CodeUnsafeChange
	}
	return CodeOK
}

func (m *model) action(a *Action) Code {
	switch {
	case a.RegisterAccount != nil:
		x := a.RegisterAccount
		if m.accounts[x.Address] != nil {
			return CodeConflict
		}
		acct := &mAccount{nonce: m.retired[x.Address], roles: map[Role]bool{RoleMember: true}}
		for _, r := range x.Roles {
			acct.roles[r] = true
		}
		delete(m.retired, x.Address)
		m.accounts[x.Address] = acct
	case a.RemoveAccount != nil:
		addr := a.RemoveAccount.Address
		acct := m.accounts[addr]
		if acct == nil {
			return CodeUnknownAccount
		}
		if len(m.balances[addr]) > 0 {
			return CodeConflict
		}
		for _, as := range m.assets {
			if as.issuer == addr {
				return CodeConflict
			}
		}
		if acct.roles[RoleAdmin] {
			if c := m.adminSafe(-1); c != CodeOK {
				return c
			}
		}
		delete(m.accounts, addr)
		if acct.nonce > 0 {
			m.retired[addr] = acct.nonce
		}
	case a.GrantRole != nil, a.RevokeRole != nil:
		x, grant := a.GrantRole, true
		if x == nil {
			x, grant = a.RevokeRole, false
		}
		acct := m.accounts[x.Address]
		switch {
		case acct == nil:
			return CodeUnknownAccount
		case acct.roles[x.Role] == grant:
			return CodeConflict
		case !grant && x.Role == RoleMember:
			return CodeConflict
		case !grant && x.Role == RoleAdmin:
			if c := m.adminSafe(-1); c != CodeOK {
				return c
			}
		}
		if grant {
			acct.roles[x.Role] = true
		} else {
			delete(acct.roles, x.Role)
		}
	case a.Freeze != nil, a.Unfreeze != nil:
		addr, frozen, reason := crypto.Address{}, true, ""
		if a.Freeze != nil {
			addr, reason = a.Freeze.Address, a.Freeze.Reason
		} else {
			addr, frozen = a.Unfreeze.Address, false
		}
		acct := m.accounts[addr]
		switch {
		case acct == nil:
			return CodeUnknownAccount
		case acct.frozen == frozen:
			return CodeConflict
		}
		acct.frozen, acct.reason = frozen, reason
	case a.CreateAsset != nil:
		x := a.CreateAsset
		if m.assets[x.Symbol] != nil {
			return CodeConflict
		}
		issuerAcct := m.accounts[x.Issuer]
		if issuerAcct == nil {
			return CodeUnknownAccount
		}
		issuerAcct.roles[RoleIssuer] = true
		m.assets[x.Symbol] = &mAsset{issuer: x.Issuer}
	case a.PauseAsset != nil, a.UnpauseAsset != nil:
		sym, paused := "", a.PauseAsset != nil
		if paused {
			sym = a.PauseAsset.Symbol
		} else {
			sym = a.UnpauseAsset.Symbol
		}
		asset := m.assets[sym]
		switch {
		case asset == nil:
			return CodeUnknownAsset
		case asset.paused == paused:
			return CodeConflict
		}
		asset.paused = paused
	case a.SetValidatorPower != nil:
		x := a.SetValidatorPower
		old, ok := m.validators[string(x.PubKey)]
		switch {
		case !ok && x.Power == 0:
			return CodeConflict
		case ok && old == x.Power:
			return CodeConflict
		}
		if x.Power == 0 {
			delete(m.validators, string(x.PubKey))
		} else {
			m.validators[string(x.PubKey)] = x.Power
		}
		var total, signed uint64
		for k, p := range m.validators {
			total += p
			if m.signers[k] {
				signed += p
			}
		}
		if len(m.validators) == 0 || signed*3 <= total*2 {
			return CodeUnsafeChange
		}
	case a.AllowNode != nil, a.DenyNode != nil:
		id, allow := "", a.AllowNode != nil
		if allow {
			id = a.AllowNode.NodeID
		} else {
			id = a.DenyNode.NodeID
		}
		if m.nodes[id] == allow {
			return CodeConflict
		}
		if allow {
			m.nodes[id] = true
		} else {
			delete(m.nodes, id)
		}
	case a.SetThreshold != nil:
		n := int(a.SetThreshold.Threshold)
		switch {
		case n == m.threshold:
			return CodeConflict
		case n > len(m.admins()):
			return CodeUnsafeChange
		}
		m.threshold = n
	}
	return CodeOK
}

// txGen draws random transactions, most of them plausible.
type txGen struct {
	r      *rand.Rand
	m      *model
	height uint64
	people []identity
	assets []string
	nodes  []string
}

func (g *txGen) person() identity { return g.people[g.r.IntN(len(g.people))] }

// holder picks someone holding sym, if anyone does.
func (g *txGen) holder(sym string) identity {
	for range 8 {
		p := g.person()
		if g.m.balances[p.addr][sym] > 0 {
			return p
		}
	}
	return g.person()
}

func (g *txGen) issuerOf(sym string) identity {
	if a := g.m.assets[sym]; a != nil {
		for _, p := range g.people {
			if p.addr == a.issuer {
				return p
			}
		}
	}
	return g.person()
}

func (g *txGen) admin() identity {
	var admins []identity
	for _, p := range g.people {
		if a := g.m.accounts[p.addr]; a != nil && a.roles[RoleAdmin] {
			admins = append(admins, p)
		}
	}
	if len(admins) == 0 {
		return g.person()
	}
	return admins[g.r.IntN(len(admins))]
}

func (g *txGen) openProposals() []uint64 {
	var ids []uint64
	for id, p := range g.m.proposals {
		if p.status == ProposalOpen {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids
}

func (g *txGen) amount() uint64 {
	switch g.r.IntN(20) {
	case 0:
		return math.MaxUint64 - uint64(g.r.IntN(3))
	case 1, 2:
		return uint64(g.r.IntN(2000)) + 1
	default:
		return uint64(g.r.IntN(30)) + 1
	}
}

func (g *txGen) action() Action {
	p := g.person()
	sym := g.assets[g.r.IntN(len(g.assets))]
	roles := []Role{RoleAdmin, RoleIssuer, RoleMember}
	switch g.r.IntN(13) {
	case 0:
		return actRegister(p, roles[g.r.IntN(3)])
	case 1:
		return actRemove(p)
	case 2:
		return actGrant(p, roles[g.r.IntN(3)])
	case 3:
		return actRevoke(p, roles[g.r.IntN(3)])
	case 4:
		return actFreeze(p, "reason "+strconv.Itoa(g.r.IntN(9)))
	case 5:
		return actUnfreeze(p)
	case 6:
		return actCreateAsset(sym, p)
	case 7:
		return actPause(sym)
	case 8:
		return actUnpause(sym)
	case 9:
		return actPower(validatorKey(g.r.IntN(6)), uint64(g.r.IntN(4))*5)
	case 10:
		return actAllow(g.nodes[g.r.IntN(len(g.nodes))])
	case 11:
		return actDeny(g.nodes[g.r.IntN(len(g.nodes))])
	default:
		return actThreshold(uint32(g.r.IntN(4)) + 1)
	}
}

// next returns a signed transaction and whether its signature is valid.
// Nonces come from the model's state plus the transactions already drawn
// for the block (pending).
func (g *txGen) next(pending map[crypto.Address]uint64) ([]byte, *Tx, bool) {
	from := g.person()
	to := g.person()
	sym := g.assets[g.r.IntN(len(g.assets))]
	plausible := g.r.IntN(4) != 0
	if plausible && g.r.IntN(2) == 0 {
		sym = "TALLY"
	}
	var b *txb
	switch k := g.r.IntN(20); {
	case k < 8:
		if plausible {
			from = g.holder(sym)
		}
		b = newTx(nil).from(from).toAddr(to.addr).asset(sym).amount(g.amount())
	case k < 10:
		if plausible {
			from = g.issuerOf(sym)
		}
		b = newTx(nil).from(from).mint().toAddr(to.addr).asset(sym).amount(g.amount())
	case k < 11:
		if plausible {
			from = g.issuerOf(sym)
		}
		b = newTx(nil).from(from).burn().asset(sym).amount(g.amount())
	case k < 15:
		if plausible {
			from = g.admin()
		}
		b = newTx(nil).from(from).propose(g.action(), g.height+uint64(g.r.IntN(4)))
	default:
		if plausible {
			from = g.admin()
		}
		id := uint64(g.r.IntN(int(g.m.nextID) + 1))
		if open := g.openProposals(); plausible && len(open) > 0 {
			id = open[g.r.IntN(len(open))]
		}
		b = newTx(nil).from(from).vote(id, g.r.IntN(4) != 0)
	}
	nonce := pending[from.addr]
	if a := g.m.accounts[from.addr]; a != nil && nonce < a.nonce {
		nonce = a.nonce
	}
	sigOK := true
	switch g.r.IntN(25) {
	case 0:
		nonce++
	case 1:
		if nonce > 0 {
			nonce--
		}
	case 2:
		b = b.expiry(g.height - 1)
	case 3:
		b = b.tamper(func(tx *Tx) { tx.Signature[3] ^= 4 })
		sigOK = false
	case 4:
		b = b.tamper(highS)
		sigOK = false
	case 5:
		b = b.expiry(g.height)
	}
	b = b.nonce(nonce)
	pending[from.addr] = nonce + 1
	tx := b.build(nil)
	return tx.Encode(), tx, sigOK
}

func TestModelProperty(t *testing.T) {
	seeds, blocks := 12, 40
	if os.Getenv("TALLY_SOAK") != "" {
		seeds, blocks = 200, 200
	}
	for seed := range seeds {
		t.Run(fmt.Sprintf("seed%d", seed), func(t *testing.T) { runModel(t, uint64(seed), blocks) })
	}
}

func runModel(t *testing.T, seed uint64, blocks int) {
	g := rulesGenesis()
	g.Params.AdminThreshold = uint32(1 + seed%2)
	g.Params.FreezeBlocksReceive = seed%3 == 0
	c := newTestChain(t, g)
	m := newModel(g)
	gen := &txGen{
		r:      rand.New(rand.NewPCG(seed, 0x7a11)),
		m:      m,
		people: []identity{alice, bob, carol, dave, erin, issuer, admin1, admin2, admin3, stranger},
		assets: []string{"TALLY", "USD", "BIG", "PAUSED", "EUR"},
		nodes:  []string{nodeA, nodeB},
	}
	var log []string
	for range blocks {
		height := uint64(c.l.nextHeight)
		gen.height = height
		m.beginBlock(height)
		pending := map[crypto.Address]uint64{}
		var raws [][]byte
		var want []Code
		for range gen.r.IntN(8) {
			raw, tx, sigOK := gen.next(pending)
			raws = append(raws, raw)
			want = append(want, m.apply(height, tx, sigOK))
			log = append(log, fmt.Sprintf("h%d %s %s nonce %d", height, tx.Body.Msg.Type(), actionName(tx), tx.Body.Nonce))
		}
		res := c.blockRaw(raws...)
		for i, r := range res.TxResults {
			if r.Code != want[i] {
				t.Fatalf("seed %d height %d tx %d (%s): ledger %v %q, model %v\nhistory:\n%v", seed, height, i, log[len(log)-len(raws)+i], r.Code, r.Log, want[i], tail(log, 15))
			}
		}
		compareModel(t, c, m, gen)
		checkSupplies(t, c)
	}
}

func actionName(tx *Tx) string {
	if tx.Body.Msg.Propose != nil {
		return tx.Body.Msg.Propose.Action.Type()
	}
	return ""
}

func tail(s []string, n int) []string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

func compareModel(t *testing.T, c *testChain, m *model, gen *txGen) {
	t.Helper()
	v := c.view()
	for _, p := range gen.people {
		a, err := v.Account(p.addr)
		if err != nil {
			t.Fatal(err)
		}
		ma := m.accounts[p.addr]
		if (a == nil) != (ma == nil) {
			t.Fatalf("height %d: %s registered: ledger %v, model %v", v.Height(), p.name, a != nil, ma != nil)
		}
		if a != nil {
			var roles []Role
			for r := range ma.roles {
				roles = append(roles, r)
			}
			slices.Sort(roles)
			if a.Nonce != ma.nonce || a.Frozen != ma.frozen || a.FrozenReason != ma.reason || !slices.Equal(a.Roles, roles) {
				t.Fatalf("height %d: %s: ledger %+v, model %+v roles %v", v.Height(), p.name, a, ma, roles)
			}
		}
		for _, sym := range gen.assets {
			n, err := v.Balance(p.addr, sym)
			if err != nil {
				t.Fatal(err)
			}
			if n != m.balances[p.addr][sym] {
				t.Fatalf("height %d: %s %s: ledger %d, model %d", v.Height(), p.name, sym, n, m.balances[p.addr][sym])
			}
		}
	}
	for _, sym := range gen.assets {
		a, _ := v.Asset(sym)
		ma := m.assets[sym]
		if (a == nil) != (ma == nil) || a != nil && (a.Supply != ma.supply || a.Paused != ma.paused || a.Issuer != ma.issuer) {
			t.Fatalf("height %d: asset %s: ledger %+v, model %+v", v.Height(), sym, a, ma)
		}
	}
	params, _ := v.Params()
	if int(params.AdminThreshold) != m.threshold {
		t.Fatalf("threshold: ledger %d, model %d", params.AdminThreshold, m.threshold)
	}
	vals, _ := v.Validators()
	if len(vals) != len(m.validators) {
		t.Fatalf("validators: ledger %d, model %d", len(vals), len(m.validators))
	}
	for _, val := range vals {
		if m.validators[string(val.PubKey)] != val.Power {
			t.Fatalf("validator %x: ledger %d, model %d", val.PubKey, val.Power, m.validators[string(val.PubKey)])
		}
	}
	nodes, _ := v.AllowedNodes()
	if len(nodes) != len(m.nodes) {
		t.Fatalf("nodes: ledger %v, model %v", nodes, m.nodes)
	}
	props, _ := v.Proposals()
	if len(props) != len(m.proposals) {
		t.Fatalf("proposals: ledger %d, model %d", len(props), len(m.proposals))
	}
	for _, p := range props {
		mp := m.proposals[p.ID]
		if mp == nil || p.Status != mp.status || !slices.Equal(p.Approvals, mp.approvals) || !slices.Equal(p.Rejections, mp.rejects) {
			t.Fatalf("proposal %d: ledger %+v, model %+v", p.ID, p, mp)
		}
	}
}
