package e2e

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	cmttypes "github.com/cometbft/cometbft/types"

	"github.com/tallyledger/tally/app"
	"github.com/tallyledger/tally/client"
	"github.com/tallyledger/tally/crypto"
	"github.com/tallyledger/tally/genesis"
	"github.com/tallyledger/tally/localnet"
	"github.com/tallyledger/tally/wire"
)

// The governance tests drive the real tally and tallyd binaries against a
// four-validator localnet with three admins (admin, admin2, admin3) and an
// approval threshold of 2: a proposal executes only with a second admin's
// approval.

// govNet is a running localnet with three admins and the wallet to drive
// it. Its validators that are not paused settle on each transaction's block
// before the next step, so that any node can be asked next.
type govNet struct {
	t      *testing.T
	net    *localnet.Net
	paused map[int]bool // validators paused by the test
}

func startGovNet(t *testing.T) *govNet {
	t.Helper()
	net := startNet(t, localnet.Options{Validators: 4, Admins: 3})
	if got := net.Manifest().AdminThreshold; got != 2 {
		t.Fatalf("localnet with 3 admins has threshold %d, want 2", got)
	}
	_, st := loadGenesis(t, net)
	if st.Params.AdminThreshold != 2 {
		t.Fatalf("genesis admin threshold %d, want 2", st.Params.AdminThreshold)
	}
	for _, name := range []string{"admin", "admin2", "admin3"} {
		k, ok := net.Manifest().Key(name)
		if !ok || !strings.Contains(strings.Join(k.Roles, ","), "admin") {
			t.Fatalf("wallet key %s: %+v, want an admin", name, k)
		}
	}
	return &govNet{t: t, net: net, paused: map[int]bool{}}
}

func loadGenesis(t *testing.T, net *localnet.Net) (*cmttypes.GenesisDoc, *genesis.AppState) {
	t.Helper()
	doc, st, err := genesis.Load(filepath.Join(net.Home(0), app.GenesisFile))
	if err != nil {
		t.Fatal(err)
	}
	return doc, st
}

// cliRun is one run of a binary.
type cliRun struct {
	args           []string
	code           int
	stdout, stderr string
}

func (r cliRun) String() string {
	return fmt.Sprintf("%s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(r.args, " "), r.code, r.stdout, r.stderr)
}

// runBinary runs bin with a bounded time and no TALLY_* settings from the
// environment.
func runBinary(t *testing.T, bin string, args ...string) cliRun {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "TALLY_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	r := cliRun{args: append([]string{filepath.Base(bin)}, args...), stdout: out.String(), stderr: errb.String()}
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit) && ctx.Err() == nil:
		r.code = exit.ExitCode()
	default:
		t.Fatalf("run %s: %v\n%s", strings.Join(r.args, " "), err, r)
	}
	return r
}

// tally runs the wallet on the localnet's wallet home against node i.
func (g *govNet) tally(i int, args ...string) cliRun {
	g.t.Helper()
	return runBinary(g.t, tallyBinary, append([]string{"--home", g.net.WalletDir(), "--node", g.net.RPCURL(i)}, args...)...)
}

// ok runs the wallet and fails the test unless it exits 0; it returns
// standard output.
func (g *govNet) ok(i int, args ...string) string {
	g.t.Helper()
	r := g.tally(i, args...)
	if r.code != 0 {
		g.t.Fatalf("%s", r)
	}
	return r.stdout
}

// fails runs the wallet and checks that it exits non-zero with one error
// line on stderr that contains every one of wants; it returns that line.
// The wallet's warning that the localnet's keys are not encrypted is not
// the error: it is left out.
func (g *govNet) fails(i int, wants []string, args ...string) string {
	g.t.Helper()
	r := g.tally(i, args...)
	var lines []string
	for _, l := range strings.Split(strings.TrimSpace(r.stderr), "\n") {
		if !strings.HasPrefix(l, "warning: the keys in ") {
			lines = append(lines, l)
		}
	}
	line := strings.Join(lines, "\n")
	if r.code == 0 || strings.Contains(line, "\n") || !strings.HasPrefix(line, "Error: ") {
		g.t.Fatalf("want one error line and a non-zero exit:\n%s", r)
	}
	for _, w := range wants {
		if !strings.Contains(line, w) {
			g.t.Fatalf("error line lacks %q:\n%s", w, r)
		}
	}
	g.t.Logf("%s\n\t%s", strings.Join(r.args, " "), line)
	if m := failedRE.FindStringSubmatch(line); m != nil {
		h, _ := strconv.ParseInt(m[1], 10, 64)
		g.settle(h) // a failed transaction is in a block too
	}
	return line
}

// tx runs a transaction command that must commit, waits until every
// validator that is not paused has its block, and returns the output and
// the height.
func (g *govNet) tx(i int, args ...string) (string, int64) {
	g.t.Helper()
	out := g.ok(i, args...)
	m := heightRE.FindStringSubmatch(out)
	if m == nil {
		g.t.Fatalf("no height in the output of %v:\n%s", args, out)
	}
	h, _ := strconv.ParseInt(m[1], 10, 64)
	g.settle(h)
	return out, h
}

// settle waits until every validator that is not paused has block h.
func (g *govNet) settle(h int64) {
	g.t.Helper()
	ctx, cancel := context.WithTimeout(g.t.Context(), 30*time.Second)
	defer cancel()
	for i := range g.net.Manifest().Nodes {
		if g.paused[i] {
			continue
		}
		if err := g.net.WaitHeight(ctx, i, h); err != nil {
			g.t.Fatal(err)
		}
	}
}

func (g *govNet) json(i int, out any, args ...string) {
	g.t.Helper()
	stdout := g.ok(i, append(args, "--output", "json")...)
	if err := json.Unmarshal([]byte(stdout), out); err != nil {
		g.t.Fatalf("tally %s: %v in\n%s", strings.Join(args, " "), err, stdout)
	}
}

func (g *govNet) account(i int, who string) client.Account {
	g.t.Helper()
	var a client.Account
	g.json(i, &a, "query", "account", who)
	return a
}

func (g *govNet) proposal(i int, id uint64) client.Proposal {
	g.t.Helper()
	var p client.Proposal
	g.json(i, &p, "gov", "show", strconv.FormatUint(id, 10))
	return p
}

func (g *govNet) addr(name string) string {
	g.t.Helper()
	k, ok := g.net.Manifest().Key(name)
	if !ok {
		g.t.Fatalf("no key %s in the localnet's wallet", name)
	}
	return k.Address
}

var (
	openRE     = regexp.MustCompile(`(?m)^proposal: (\d+) \(open;`)
	executedRE = regexp.MustCompile(`(?m)^proposal: (\d+) \(approved and executed\)`)
	heightRE   = regexp.MustCompile(`(?m)^height:\s+(\d+)`)
	failedRE   = regexp.MustCompile(`failed in block (\d+)`)
)

// propose makes admin propose the action through node i and checks that
// the proposal is open with the proposer's approval only: one admin is not
// a quorum.
func (g *govNet) propose(i int, admin string, action ...string) uint64 {
	g.t.Helper()
	out, _ := g.tx(i, append([]string{"gov", "propose", admin}, action...)...)
	m := openRE.FindStringSubmatch(out)
	if m == nil {
		g.t.Fatalf("gov propose %s %v did not leave the proposal open:\n%s", admin, action, out)
	}
	id, _ := strconv.ParseUint(m[1], 10, 64)
	p := g.proposal(i, id)
	if p.Status != "open" || len(p.Approvals) != 1 || p.Approvals[0] != g.addr(admin) || p.Action.Type != action[0] {
		g.t.Fatalf("proposal %d after `propose %s %v`: %+v, want open with %s's approval only", id, admin, action, p, admin)
	}
	return id
}

// approveExecutes makes admin approve proposal id through node i, checks
// that this second approval executed it, and returns the block height.
func (g *govNet) approveExecutes(i int, admin string, id uint64) int64 {
	g.t.Helper()
	out, _ := g.tx(i, "gov", "approve", admin, strconv.FormatUint(id, 10))
	return g.checkExecuted(i, id, out)
}

func (g *govNet) checkExecuted(i int, id uint64, out string) int64 {
	g.t.Helper()
	m := executedRE.FindStringSubmatch(out)
	if m == nil || m[1] != strconv.FormatUint(id, 10) {
		g.t.Fatalf("approval did not execute proposal %d:\n%s", id, out)
	}
	hm := heightRE.FindStringSubmatch(out)
	if hm == nil {
		g.t.Fatalf("no height in the approval's output:\n%s", out)
	}
	h, _ := strconv.ParseInt(hm[1], 10, 64)
	g.settle(h)
	p := g.proposal(i, id)
	if p.Status != "executed" || len(p.Approvals) != 2 || p.ExecutedHeight == nil || *p.ExecutedHeight != uint64(h) {
		g.t.Fatalf("proposal %d after its second approval at height %d: %+v", id, h, p)
	}
	return h
}

// approveExecutesLive is approveExecutes for a validator change, whose
// safety check counts only the validators whose precommit is in the last
// commit: on a loaded machine a live validator's precommit can miss one
// commit, and the ledger then refuses the change as unsafe (the vote is not
// recorded). The admin approves again, a bounded number of times.
func (g *govNet) approveExecutesLive(i int, admin string, id uint64) int64 {
	g.t.Helper()
	for attempt := 1; ; attempt++ {
		r := g.tally(i, "gov", "approve", admin, strconv.FormatUint(id, 10))
		if r.code == 0 {
			return g.checkExecuted(i, id, r.stdout)
		}
		if attempt == 3 || !strings.Contains(r.stderr, "unsafe_change") {
			g.t.Fatalf("approval of proposal %d:\n%s", id, r)
		}
		g.t.Logf("attempt %d: a precommit missed the last commit, the change was refused as unsafe; approving again: %s", attempt, strings.TrimSpace(r.stderr))
	}
}

// A key created after genesis can neither receive nor send until a
// register-account proposal passes, which one admin's proposal alone does
// not do; the second admin's approval executes it, and the new account
// then receives and sends.
func TestGovernanceRegisterAccountNeedsQuorum(t *testing.T) {
	g := startGovNet(t)
	r := g.ok(0, "keys", "add", "carol")
	if !strings.Contains(r, "mnemonic") {
		t.Fatalf("keys add output:\n%s", r)
	}
	carol := strings.TrimSpace(g.ok(0, "keys", "show", "carol", "-a"))
	alice := g.addr("alice")

	g.fails(0, []string{"unknown_account", "recipient " + carol + " is not a registered account"}, "send", "alice", carol, "5TALLY")
	g.fails(1, []string{carol, "is not registered"}, "send", "carol", alice, "1TALLY")

	id := g.propose(0, "admin", "register-account", carol, "--role", "member")
	// One approval of three, threshold 2: carol is still unknown.
	g.fails(1, []string{"unknown_account", "recipient " + carol + " is not a registered account"}, "send", "alice", carol, "5TALLY")
	// Only admins vote, once each.
	g.fails(0, []string{"unauthorized", "only admins may vote"}, "gov", "approve", "bob", strconv.FormatUint(id, 10))
	g.fails(0, []string{"already_voted"}, "gov", "approve", "admin", strconv.FormatUint(id, 10))
	if p := g.proposal(2, id); p.Status != "open" || len(p.Approvals) != 1 {
		t.Fatalf("proposal %d after refused votes: %+v", id, p)
	}

	g.approveExecutes(1, "admin2", id)
	a := g.account(2, carol)
	if a.Address != carol || a.Frozen || strings.Join(a.Roles, ",") != "member" || len(a.Balances) != 0 {
		t.Fatalf("carol after registration: %+v", a)
	}

	aliceBefore := g.account(0, "alice").Balance(localnet.Asset)
	g.tx(0, "send", "alice", carol, "5TALLY")
	if got := g.account(0, carol).Balance(localnet.Asset); got != 5 {
		t.Fatalf("carol holds %d TALLY after receiving 5", got)
	}
	g.tx(3, "send", "carol", "alice", "2TALLY")
	if got := g.account(3, carol).Balance(localnet.Asset); got != 3 {
		t.Fatalf("carol holds %d TALLY after sending 2 of 5", got)
	}
	if got := g.account(3, "alice").Balance(localnet.Asset); got != aliceBefore-3 {
		t.Fatalf("alice holds %d TALLY, want %d", got, aliceBefore-3)
	}
}

// A freeze needs a quorum too; a frozen account's sends are refused with
// the reason given in the proposal, and after an unfreeze it sends again.
func TestGovernanceFreezeAndUnfreeze(t *testing.T) {
	g := startGovNet(t)
	const reason = "sanctions screening, case 2024-17"
	id := g.propose(0, "admin", "freeze", "bob", "--reason", reason)
	// Not frozen with one approval: bob still sends.
	g.tx(1, "send", "bob", "alice", "1TALLY")
	if a := g.account(1, "bob"); a.Frozen {
		t.Fatalf("bob frozen by a proposal with one approval: %+v", a)
	}

	g.approveExecutes(2, "admin3", id)
	a := g.account(3, "bob")
	if !a.Frozen || a.FrozenReason != reason {
		t.Fatalf("bob after the freeze: %+v", a)
	}
	before := a.Balance(localnet.Asset)
	g.fails(0, []string{"frozen", "account " + g.addr("bob") + " is frozen", "reason: " + reason}, "send", "bob", "alice", "1TALLY")
	g.fails(3, []string{"frozen", reason}, "send", "bob", "alice", "1TALLY")
	if got := g.account(0, "bob").Balance(localnet.Asset); got != before {
		t.Fatalf("frozen bob's balance moved from %d to %d", before, got)
	}

	id = g.propose(1, "admin2", "unfreeze", "bob")
	g.fails(1, []string{"frozen", reason}, "send", "bob", "alice", "1TALLY")
	g.approveExecutes(0, "admin", id)
	if a := g.account(2, "bob"); a.Frozen || a.FrozenReason != "" {
		t.Fatalf("bob after the unfreeze: %+v", a)
	}
	g.tx(2, "send", "bob", "alice", "4TALLY")
	if got := g.account(2, "bob").Balance(localnet.Asset); got != before-4 {
		t.Fatalf("bob holds %d TALLY after sending 4 of %d", got, before)
	}
}

// An asset created by quorum with alice as issuer: she mints, transfers
// and burns; bob, not the issuer, can neither mint nor burn. After every
// step the asset's supply equals the sum of the balances of every account
// on the ledger (genesis accounts and those registered since), on two
// nodes.
func TestGovernanceAssetSupplyMatchesBalances(t *testing.T) {
	g := startGovNet(t)
	const eur = "EUR"
	g.fails(0, []string{"does not exist"}, "query", "asset", eur)
	g.fails(0, []string{"unknown_asset"}, "mint", "alice", "alice", "1EUR")

	id := g.propose(0, "admin", "create-asset", eur, "--issuer", "alice")
	g.fails(1, []string{"does not exist"}, "query", "asset", eur)
	g.approveExecutes(1, "admin2", id)
	var asset client.Asset
	g.json(2, &asset, "query", "asset", eur)
	if asset.Symbol != eur || asset.Issuer != g.addr("alice") || asset.Supply != 0 || asset.Paused {
		t.Fatalf("EUR after creation: %+v", asset)
	}
	if roles := strings.Join(g.account(2, "alice").Roles, ","); !strings.Contains(roles, "issuer") {
		t.Fatalf("alice's roles after becoming EUR's issuer: %s", roles)
	}
	g.checkSupply(eur, 0, map[string]uint64{})

	g.tx(0, "mint", "alice", "alice", "1000EUR")
	g.checkSupply(eur, 1000, map[string]uint64{"alice": 1000})

	g.tx(1, "send", "alice", "bob", "300EUR")
	g.checkSupply(eur, 1000, map[string]uint64{"alice": 700, "bob": 300})

	g.tx(2, "burn", "alice", "100EUR")
	g.checkSupply(eur, 900, map[string]uint64{"alice": 600, "bob": 300})

	g.fails(3, []string{"unauthorized"}, "mint", "bob", "bob", "50EUR")
	g.fails(3, []string{"unauthorized"}, "burn", "bob", "50EUR")
	g.checkSupply(eur, 900, map[string]uint64{"alice": 600, "bob": 300})
}

// checkSupply checks, on node0 and node3, that asset's supply is want,
// that it equals the sum of the asset's balances over every registered
// account, and that the holders hold exactly holders (by key name).
func (g *govNet) checkSupply(asset string, want uint64, holders map[string]uint64) {
	g.t.Helper()
	ctx := testCtx(g.t, 30*time.Second)
	accounts := registeredAccounts(ctx, g.t, g.net)
	wantBy := map[string]uint64{}
	for name, amount := range holders {
		wantBy[g.addr(name)] = amount
	}
	h, err := g.net.Height(ctx, 0)
	if err != nil {
		g.t.Fatal(err)
	}
	g.settle(h)
	for _, i := range []int{0, 3} {
		var a client.Asset
		g.json(i, &a, "query", "asset", asset)
		c, err := client.New(g.net.RPCURL(i), client.WithAPIURL(g.net.APIURL(i)))
		if err != nil {
			g.t.Fatal(err)
		}
		var sum uint64
		got := map[string]uint64{}
		for _, addr := range accounts {
			acct, err := c.Account(ctx, mustAddress(g.t, addr))
			if err != nil {
				g.t.Fatalf("node%d: account %s: %v", i, addr, err)
			}
			if b := acct.Balance(asset); b > 0 {
				sum += b
				got[addr] = b
			}
		}
		if a.Supply != want || sum != a.Supply {
			g.t.Fatalf("node%d: %s supply %d, balances of %d accounts sum to %d; want both %d", i, asset, a.Supply, len(accounts), sum, want)
		}
		if fmt.Sprint(got) != fmt.Sprint(wantBy) {
			g.t.Fatalf("node%d: %s holders %v, want %v", i, asset, got, wantBy)
		}
	}
}

// registeredAccounts lists every account ever registered: the genesis
// accounts and those registered by governance since (found by their
// governance events with tx_search).
func registeredAccounts(ctx context.Context, t *testing.T, net *localnet.Net) []string {
	t.Helper()
	_, st := loadGenesis(t, net)
	var out []string
	for _, a := range st.Accounts {
		out = append(out, a.Address)
	}
	perPage := 100
	res, err := net.Client(0).TxSearch(ctx, "governance.action='register-account'", false, nil, &perPage, "asc")
	if err != nil {
		t.Fatalf("tx_search register-account: %v", err)
	}
	if res.TotalCount > perPage {
		t.Fatalf("%d registrations: more than one page", res.TotalCount)
	}
	for _, r := range res.Txs {
		for _, e := range r.TxResult.Events {
			if e.Type != "governance" {
				continue
			}
			for _, a := range e.Attributes {
				if a.Key == "target" {
					out = append(out, a.Value)
				}
			}
		}
	}
	return out
}

func mustAddress(t *testing.T, s string) crypto.Address {
	t.Helper()
	a, err := crypto.ParseAddress(s)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// joiningNode is a node home prepared the way an operator joins the
// network: `tallyd init`, the network's genesis copied in, the validators
// as persistent peers.
type joiningNode struct {
	home    string
	nodeID  string
	valAddr string // CometBFT validator address (hex)
	pubKey  string // ed25519 public key, base64, as show-validator prints it
}

func prepareJoiningNode(t *testing.T, net *localnet.Net) joiningNode {
	t.Helper()
	base, err := localnet.FreeBasePort(1)
	if err != nil {
		t.Fatal(err)
	}
	home := filepath.Join(t.TempDir(), "node4")
	tallyd := func(args ...string) string {
		t.Helper()
		r := runBinary(t, tallydBinary, args...)
		if r.code != 0 {
			t.Fatalf("%s", r)
		}
		return r.stdout
	}
	tallyd("init", "node4", "--home", home, "--chain-id", net.ChainID(), "--base-port", strconv.Itoa(base))
	j := joiningNode{home: home, nodeID: strings.TrimSpace(tallyd("show-node-id", "--home", home))}
	var val struct {
		Address string `json:"address"`
		PubKey  struct {
			Type  string `json:"type"`
			Value string `json:"value"`
		} `json:"pub_key"`
	}
	if err := json.Unmarshal([]byte(tallyd("show-validator", "--home", home)), &val); err != nil {
		t.Fatal(err)
	}
	if val.PubKey.Type != "tendermint/PubKeyEd25519" || val.Address == "" {
		t.Fatalf("show-validator: %+v", val)
	}
	j.valAddr, j.pubKey = val.Address, val.PubKey.Value

	// The network's genesis replaces the one-validator genesis of init.
	raw, err := os.ReadFile(filepath.Join(net.Home(0), app.GenesisFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(home, app.GenesisFile), raw, 0o644); err != nil {
		t.Fatal(err)
	}
	c, ac, err := app.LoadConfig(home)
	if err != nil {
		t.Fatal(err)
	}
	if !c.FilterPeers {
		t.Fatal("tallyd init wrote filter_peers = false")
	}
	var peers []string
	for _, nd := range net.Manifest().Nodes {
		peers = append(peers, fmt.Sprintf("%s@%s:%d", nd.NodeID, nd.Host, nd.Ports.P2P))
	}
	c.P2P.PersistentPeers = strings.Join(peers, ",")
	c.P2P.AllowDuplicateIP = true // every node on one machine
	c.P2P.AddrBookStrict = false
	// The network's consensus timeouts, so that its proposals come in
	// time, and its redial period.
	ref, _, err := app.LoadConfig(net.Home(0))
	if err != nil {
		t.Fatal(err)
	}
	c.P2P.PersistentPeersMaxDialPeriod = ref.P2P.PersistentPeersMaxDialPeriod
	rc, nc := ref.Consensus, c.Consensus
	nc.TimeoutPropose, nc.TimeoutProposeDelta = rc.TimeoutPropose, rc.TimeoutProposeDelta
	nc.TimeoutPrevote, nc.TimeoutPrevoteDelta = rc.TimeoutPrevote, rc.TimeoutPrevoteDelta
	nc.TimeoutPrecommit, nc.TimeoutPrecommitDelta = rc.TimeoutPrecommit, rc.TimeoutPrecommitDelta
	nc.TimeoutCommit, nc.PeerGossipSleepDuration = rc.TimeoutCommit, rc.PeerGossipSleepDuration
	if err := app.WriteConfig(home, c, ac); err != nil {
		t.Fatal(err)
	}
	return j
}

// peerIDs lists node i's connected peers (CometBFT /net_info).
func peerIDs(ctx context.Context, net *localnet.Net, i int) ([]string, error) {
	ni, err := net.Client(i).NetInfo(ctx)
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, p := range ni.Peers {
		ids = append(ids, string(p.NodeInfo.ID()))
	}
	return ids, nil
}

// commitSigners returns the validator addresses whose precommit for block
// h is in its commit (CometBFT /commit), and the commit's size (the
// validator set's size at h).
func commitSigners(ctx context.Context, t *testing.T, net *localnet.Net, i int, h int64) (map[string]bool, int) {
	t.Helper()
	res, err := net.Client(i).Commit(ctx, &h)
	if err != nil {
		t.Fatalf("node%d commit %d: %v", i, h, err)
	}
	signed := map[string]bool{}
	for _, s := range res.Commit.Signatures {
		if s.BlockIDFlag == cmttypes.BlockIDFlagCommit {
			signed[s.ValidatorAddress.String()] = true
		}
	}
	return signed, len(res.Commit.Signatures)
}

// validatorSet returns the validators of node i at height h (0: latest).
func validatorSet(ctx context.Context, t *testing.T, net *localnet.Net, i int, h int64) map[string]int64 {
	t.Helper()
	var hp *int64
	if h > 0 {
		hp = &h
	}
	perPage := 100
	res, err := net.Client(i).Validators(ctx, hp, nil, &perPage)
	if err != nil {
		t.Fatalf("node%d validators at %d: %v", i, h, err)
	}
	out := map[string]int64{}
	for _, v := range res.Validators {
		out[v.Address.String()] = v.VotingPower
	}
	return out
}

func height(ctx context.Context, t *testing.T, net *localnet.Net, i int) int64 {
	t.Helper()
	h, err := net.Height(ctx, i)
	if err != nil {
		t.Fatalf("node%d height: %v", i, err)
	}
	return h
}

// A fifth node joins as an operator would: initialised with tallyd, the
// chain's genesis, the validators as peers. The validators' peer filter
// keeps it out (never among their peers, its height stays 0) across
// several blocks, until an allow-node proposal passes; it then connects
// and syncs. A set-validator-power proposal makes it a validator that
// signs blocks; setting its power to 0 removes it and the chain goes on
// with the four, also once it is stopped. With one of the four paused, a
// proposal to remove a live validator is refused as unsafe (the live
// validators would hold only 2/3), while removing the paused one passes.
//
// Liveness throughout: the four original validators have power 10 each.
// With the fifth at 10 the four hold 40 of 50, more than 2/3 whether or
// not the fifth signs; every original validator runs until the fifth is
// removed. Then one of four is paused: 30 of 40 live, more than 2/3; once
// the paused one is removed, the three live ones hold all the power, and
// stay up to the end.
func TestGovernanceValidatorsAndNodeMembership(t *testing.T) {
	g := startGovNet(t)
	net := g.net
	ctx := testCtx(t, 3*time.Minute)
	doc, _ := loadGenesis(t, net)
	if len(doc.Validators) != 4 {
		t.Fatalf("genesis has %d validators, want 4", len(doc.Validators))
	}
	for _, v := range doc.Validators {
		if v.Power != 10 {
			t.Fatalf("genesis validator %s has power %d, want 10 (the liveness reasoning assumes equal powers of 10)", v.Name, v.Power)
		}
	}
	originals := net.Manifest().Nodes

	j := prepareJoiningNode(t, net)
	n5, err := net.AddNode(j.home)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("node4's log %s ends:\n%s", net.LogFile(n5), logTail(net.LogFile(n5), 40))
		}
	})
	if n5 != 4 || net.NodeID(n5) != j.nodeID {
		t.Fatalf("AddNode gave node%d with ID %s, want node4 with %s", n5, net.NodeID(n5), j.nodeID)
	}
	waitFor(ctx, t, "node4's RPC", func() (bool, error) {
		_, err := net.Height(ctx, n5)
		return err == nil, err
	})

	// Not allowed: across at least three new blocks no validator has it as
	// a peer and it has no block.
	h0 := height(ctx, t, net, 0)
	polls := 0
	waitFor(ctx, t, "three blocks with node4 kept out", func() (bool, error) {
		for i := range originals {
			ids, err := peerIDs(ctx, net, i)
			if err != nil {
				return false, err
			}
			for _, id := range ids {
				if id == j.nodeID {
					t.Fatalf("node%d has the unallowed node4 as a peer (peers %v)", i, ids)
				}
			}
		}
		if h := height(ctx, t, net, n5); h != 0 {
			t.Fatalf("unallowed node4 reached height %d", h)
		}
		polls++
		return polls >= 3 && height(ctx, t, net, 0) >= h0+3, nil
	})
	// ...because the validators' filter refused it, not for want of trying.
	waitFor(ctx, t, "a validator logging that its peer filter refused node4", func() (bool, error) {
		for i := range originals {
			b, err := os.ReadFile(net.LogFile(i))
			if err != nil {
				return false, err
			}
			if bytes.Contains(b, []byte("filtered ID<"+j.nodeID+">")) {
				return true, nil
			}
		}
		return false, nil
	})
	var nodes []wire.NodeResult
	g.json(0, &nodes, "query", "nodes")
	for _, nd := range nodes {
		if nd.ID == j.nodeID && (nd.Allowed || nd.Connected) {
			t.Fatalf("query nodes shows node4 as %+v before allow-node", nd)
		}
	}
	t.Logf("node4 kept out from height %d to %d", h0, height(ctx, t, net, 0))

	// allow-node: it connects to all four and syncs.
	id := g.propose(0, "admin", "allow-node", j.nodeID)
	g.approveExecutes(1, "admin2", id)
	waitFor(ctx, t, "every validator connected to node4", func() (bool, error) {
		for i := range originals {
			ids, err := peerIDs(ctx, net, i)
			if err != nil || !strings.Contains(strings.Join(ids, ","), j.nodeID) {
				return false, err
			}
		}
		return true, nil
	})
	if err := net.WaitHeight(ctx, n5, height(ctx, t, net, 0)); err != nil {
		t.Fatal(err)
	}
	g.json(0, &nodes, "query", "nodes")
	found := false
	for _, nd := range nodes {
		found = found || (nd.ID == j.nodeID && nd.Allowed && nd.Connected)
	}
	if !found {
		t.Fatalf("query nodes does not show node4 allowed and connected: %+v", nodes)
	}

	// set-validator-power 10: in the validator set two blocks later, and
	// its precommits in the commits.
	id = g.propose(2, "admin", "set-validator-power", j.pubKey, "10")
	added := g.approveExecutesLive(2, "admin3", id)
	waitFor(ctx, t, "node4 in the validator set", func() (bool, error) {
		return validatorSet(ctx, t, net, 0, 0)[j.valAddr] == 10, nil
	})
	if vals := validatorSet(ctx, t, net, 0, added+2); len(vals) != 5 || vals[j.valAddr] != 10 {
		t.Fatalf("validators at height %d (2 after the change): %v", added+2, vals)
	}
	signedAt := int64(0)
	for h := added + 2; signedAt == 0; h++ {
		if err := net.WaitHeight(ctx, 0, h+1); err != nil {
			t.Fatal(err)
		}
		signed, size := commitSigners(ctx, t, net, 0, h)
		if size != 5 {
			t.Fatalf("commit %d has %d signatures, want 5", h, size)
		}
		if signed[j.valAddr] {
			signedAt = h
		}
		if h > added+20 {
			t.Fatalf("node4 signed none of the commits %d..%d", added+2, h)
		}
	}
	var st client.Status
	g.json(n5, &st, "status")
	if st.VotingPower != 10 || st.ValidatorAddr != j.valAddr || st.CatchingUp {
		t.Fatalf("node4's status: %+v", st)
	}
	t.Logf("node4 became a validator at height %d and signed block %d", added+2, signedAt)

	// set-validator-power 0: the chain goes on with the four.
	id = g.propose(1, "admin2", "set-validator-power", j.pubKey, "0")
	removed := g.approveExecutesLive(3, "admin", id)
	if err := net.WaitHeight(ctx, 0, removed+5); err != nil {
		t.Fatal(err)
	}
	for h := removed + 2; h <= removed+4; h++ {
		vals := validatorSet(ctx, t, net, 0, h)
		signed, size := commitSigners(ctx, t, net, 0, h)
		if len(vals) != 4 || size != 4 || signed[j.valAddr] {
			t.Fatalf("height %d: %d validators %v, commit of %d signed by %v; want the four without node4", h, len(vals), vals, size, signed)
		}
	}
	if err := net.StopNode(n5); err != nil {
		t.Fatal(err)
	}
	stopped := height(ctx, t, net, 0)
	if err := net.WaitHeight(ctx, 0, stopped+3); err != nil {
		t.Fatal(err)
	}
	var vq struct {
		Validators []client.Validator `json:"validators"`
	}
	g.json(1, &vq, "query", "validators")
	if len(vq.Validators) != 4 {
		t.Fatalf("query validators after removing node4: %+v", vq.Validators)
	}

	// Pause node3: nodes 0-2 hold 30 of 40 and go on.
	if err := net.PauseNode(3); err != nil {
		t.Fatal(err)
	}
	g.paused[3] = true
	paused := height(ctx, t, net, 0)
	if err := net.WaitHeight(ctx, 0, paused+3); err != nil {
		t.Fatal(err)
	}
	if signed, _ := commitSigners(ctx, t, net, 0, paused+2); signed[originals[3].Validator] {
		t.Fatalf("paused node3 signed commit %d", paused+2)
	}
	pubKeyOf := func(i int) string {
		c, _, err := app.LoadConfig(net.Home(i))
		if err != nil {
			t.Fatal(err)
		}
		id, err := app.ReadIdentity(c)
		if err != nil {
			t.Fatal(err)
		}
		return base64.StdEncoding.EncodeToString(id.ValidatorPubKey.Bytes())
	}
	// Removing live node1 would leave 20 of 30 live: refused.
	id = g.propose(0, "admin", "set-validator-power", pubKeyOf(1), "0")
	g.fails(1, []string{"unsafe_change", fmt.Sprintf("proposal %d cannot execute", id), "not more than 2/3", "the chain could halt"},
		"gov", "approve", "admin2", strconv.FormatUint(id, 10))
	if p := g.proposal(2, id); p.Status != "open" || len(p.Approvals) != 1 {
		t.Fatalf("proposal %d after the refused approval: %+v, want open with one approval", id, p)
	}
	if vals := validatorSet(ctx, t, net, 0, 0); len(vals) != 4 || vals[originals[1].Validator] != 10 {
		t.Fatalf("validators after the refused removal: %v", vals)
	}
	// Removing paused node3 leaves 30 of 30 live: it passes.
	id = g.propose(0, "admin", "set-validator-power", pubKeyOf(3), "0")
	gone := g.approveExecutesLive(2, "admin3", id)
	if err := net.WaitHeight(ctx, 0, gone+4); err != nil {
		t.Fatal(err)
	}
	if vals := validatorSet(ctx, t, net, 0, 0); len(vals) != 3 || vals[originals[3].Validator] != 0 {
		t.Fatalf("validators after removing node3: %v", vals)
	}
	if err := net.ResumeNode(3); err != nil {
		t.Fatal(err)
	}
	delete(g.paused, 3)
	if err := net.WaitHeight(ctx, 3, height(ctx, t, net, 0)); err != nil {
		t.Fatal(err)
	}
}

// logTail returns the last n lines of a log file.
func logTail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
