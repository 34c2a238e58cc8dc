package e2e

import (
	"context"
	"crypto/sha256"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/tallyledger/tally/crypto"
	"github.com/tallyledger/tally/explorer"
	"github.com/tallyledger/tally/wire"
)

// The explorer's browser test drives headless Chromium (Debian's chromium
// package; .ci/run installs it) against a localnet started here. Set
// TALLY_EXPLORER_SCREENSHOTS=docs/explorer (relative to the repository, or
// absolute) to write the page screenshots there; otherwise they go to the
// test's temporary directory. TALLY_CHROMIUM names another browser binary.

const noChromium = "no Chromium installed (Debian: apt-get install chromium; or set TALLY_CHROMIUM): the explorer's browser test is skipped"

// chromiumPath finds a Chromium to drive, or "" when none is installed.
func chromiumPath() string {
	if p := os.Getenv("TALLY_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "headless-shell"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// browser is one headless Chromium tab on the explorer of a node.
type browser struct {
	t       *testing.T
	ctx     context.Context
	base    string // http://127.0.0.1:port/explorer/
	shots   string // where screenshots go
	written []string
}

func newBrowser(t *testing.T, apiURL string) *browser {
	t.Helper()
	bin := chromiumPath()
	if bin == "" {
		t.Skip(noChromium)
	}
	// Chromium's profile, its singleton directories (which it leaves
	// behind when killed), crash reports and caches go into the test's
	// directory, not /tmp or the home directory.
	tmp := t.TempDir()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(bin),
		chromedp.UserDataDir(filepath.Join(tmp, "profile")),
		chromedp.Env("TMPDIR="+tmp, "HOME="+tmp, "XDG_CONFIG_HOME="+filepath.Join(tmp, "config"), "XDG_CACHE_HOME="+filepath.Join(tmp, "cache")),
		chromedp.NoSandbox, // CI runs as root
		chromedp.DisableGPU,
		chromedp.WindowSize(1280, 900),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.Flag("font-render-hinting", "none"),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(t.Context(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx, chromedp.WithLogf(t.Logf))
	t.Cleanup(func() { cancelCtx(); cancelAlloc() })
	shots := t.TempDir()
	if d := os.Getenv("TALLY_EXPLORER_SCREENSHOTS"); d != "" {
		if !filepath.IsAbs(d) {
			d = filepath.Join("..", d) // tests run in e2e/
		}
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		shots = d
	}
	b := &browser{t: t, ctx: ctx, base: apiURL + explorer.Path, shots: shots}
	// The first run starts the browser, which lives as long as this run's
	// context: the test's, not a shorter one.
	if err := chromedp.Do(ctx, chromedp.Navigate(b.base)); err != nil {
		t.Fatalf("open %s in Chromium: %v", b.base, err)
	}
	return b
}

func (b *browser) run(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 60*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
}

// evalJS runs a JavaScript expression in the page and returns its value.
func evalJS[T any](b *browser, expr string) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 60*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		b.t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// waitJS waits until the expression is true.
func (b *browser) waitJS(what, expr string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 60*time.Second)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](expr, chromedp.WithPollingInterval(100*time.Millisecond))); err != nil {
		state, _ := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.body.dataset.state + ' ' + location.hash`))
		text, _ := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.body.innerText.slice(0, 600)`))
		b.t.Fatalf("%s: %v (page %s)\n%s", what, err, state, text)
	}
}

// open goes to the explorer's route (such as "#/blocks") and waits until
// the page is drawn in the given state ("ready", "notfound").
func (b *browser) open(route, state string) {
	b.t.Helper()
	evalJS[bool](b, fmt.Sprintf(`location.hash = %q; true`, route))
	b.waitPage(route, state)
}

func (b *browser) waitPage(route, state string) {
	b.t.Helper()
	b.waitJS("page "+route+" "+state, fmt.Sprintf(`document.body.dataset.state === %q && document.getElementById('view').dataset.route === %q`, state, route))
	b.checkClean(route)
}

// checkClean fails on text that means the page showed a missing value or
// an internal error.
func (b *browser) checkClean(route string) {
	b.t.Helper()
	text := evalJS[string](b, `document.body.innerText`)
	for _, bad := range []string{"undefined", "NaN", "[object Object]", "TypeError", "ReferenceError"} {
		if strings.Contains(text, bad) {
			b.t.Errorf("page %s shows %q:\n%s", route, bad, text)
		}
	}
}

// text returns the text of the first element matching the CSS selector.
func (b *browser) text(sel string) string {
	b.t.Helper()
	return evalJS[string](b, fmt.Sprintf(`(() => { const e = document.querySelector(%q); return e ? e.innerText.trim() : '<missing ' + %q + '>'; })()`, sel, sel))
}

// texts returns the texts of every element matching the selector.
func (b *browser) texts(sel string) []string {
	b.t.Helper()
	return evalJS[[]string](b, fmt.Sprintf(`[...document.querySelectorAll(%q)].map((e) => e.innerText.trim())`, sel))
}

func (b *browser) attrs(sel, attr string) []string {
	b.t.Helper()
	return evalJS[[]string](b, fmt.Sprintf(`[...document.querySelectorAll(%q)].map((e) => e.getAttribute(%q))`, sel, attr))
}

// screenshot saves the whole page as name.png.
func (b *browser) screenshot(name string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 60*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Fatalf("screenshot %s: %v", name, err)
	}
	p := filepath.Join(b.shots, name+".png")
	if err := os.WriteFile(p, png, 0o644); err != nil {
		b.t.Fatal(err)
	}
	b.written = append(b.written, p)
}

// search types q into the search box and submits it.
func (b *browser) search(q string) {
	b.t.Helper()
	b.run("search "+q, chromedp.SetValue(chromedp.CSS("#search-input"), q), chromedp.Click(chromedp.CSS("#search button")))
}

// dec is the decimal form of an API number, as the explorer shows it.
func dec(v any) string { return fmt.Sprint(v) }

// plain drops the thousands separators the explorer shows in amounts.
func plain(s string) string { return strings.ReplaceAll(s, ",", "") }

var hashRE = regexp.MustCompile(`(?m)^hash:\s+([0-9A-F]{64})`)

// TestExplorerInBrowser opens every page of node0's explorer in headless
// Chromium on a localnet with transfers, a new asset and proposals, and
// checks what it shows against the ledger API's JSON; then searches, sees
// a new transfer arrive on an open account page, and sees the node stop
// and come back.
func TestExplorerInBrowser(t *testing.T) {
	if chromiumPath() == "" {
		t.Skip(noChromium)
	}
	g := startGovNet(t)
	api := g.net.APIURL(0)

	// Some history: transfers, an asset created by quorum, a proposal left open.
	out, _ := g.tx(0, "send", "alice", "bob", "25TALLY", "--memo", "first invoice")
	m := hashRE.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no hash in the output of send:\n%s", out)
	}
	txHash := m[1]
	g.tx(1, "send", "bob", "alice", "3TALLY")
	id := g.propose(0, "admin", "create-asset", "EUR", "--issuer", "alice")
	g.approveExecutes(1, "admin2", id)
	g.tx(0, "mint", "alice", "bob", "1500000EUR")
	openID := g.propose(0, "admin", "freeze", "bob", "--reason", "KYC review pending")

	b := newBrowser(t, api)
	alice, bob := g.addr("alice"), g.addr("bob")

	t.Run("overview", func(t *testing.T) {
		b.open("#/", "ready")
		var st wire.StatusResult
		apiCall(t.Context(), t, api, "status", nil, &st)
		if got := b.text(`[data-field="chain_id"]`); got != st.ChainID {
			t.Errorf("chain ID %q, API says %q", got, st.ChainID)
		}
		shown, err := strconv.ParseInt(plain(b.text(`[data-field="height"]`)), 10, 64)
		apiHeight := int64(st.Height)
		if err != nil || shown < apiHeight-5 || shown > apiHeight+5 {
			t.Errorf("height %d (%v), API says %d", shown, err, apiHeight)
		}
		var vals wire.ValidatorsResult
		apiCall(t.Context(), t, api, "validators", nil, &vals)
		rows := b.attrs(`tr[data-validator]`, "data-validator")
		powers := b.texts(`tr[data-validator] [data-field="power"]`)
		if len(rows) != len(vals.Validators) {
			t.Fatalf("%d validator rows, API has %d", len(rows), len(vals.Validators))
		}
		for i, v := range vals.Validators {
			if rows[i] != v.Address || plain(powers[i]) != dec(v.Power) {
				t.Errorf("validator row %d: %s power %s, API says %s power %d", i, rows[i], powers[i], v.Address, v.Power)
			}
		}
		signed := b.texts(`tr[data-validator] [data-field="signed"]`)
		for i, s := range signed {
			if !regexp.MustCompile(`\d+/\d+`).MatchString(s) {
				t.Errorf("validator %d signed column %q, expected n/m", i, s)
			}
		}
		netInfo, err := g.net.Client(0).NetInfo(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if got := b.text(`[data-field="peers"]`); got != strconv.Itoa(netInfo.NPeers) {
			t.Errorf("peers %q, CometBFT net_info says %d", got, netInfo.NPeers)
		}
		// Read together: the page redraws on every block.
		chart := evalJS[[]string](b, `[document.querySelector('[data-field="height"]').innerText, String(document.querySelectorAll('svg.chart .bars rect').length)]`)
		if h, err := strconv.ParseInt(plain(chart[0]), 10, 64); err != nil || chart[1] != strconv.FormatInt(min(h, 200), 10) {
			t.Errorf("the activity chart has %s bars at height %s, expected one per block, at most 200", chart[1], chart[0])
		}
		b.screenshot("overview")
	})

	t.Run("blocks", func(t *testing.T) {
		var tx wire.TxResult
		apiCall(t.Context(), t, api, "tx", map[string]string{"hash": txHash}, &tx)
		height := int64(tx.Height)
		b.open("#/blocks", "ready")
		// Height and transactions of each row, read in one go (the list
		// redraws on every block), against CometBFT's block metas.
		rows := evalJS[[]string](b, `[...document.querySelectorAll('tr[data-height]')].map((r) => r.dataset.height + ' ' + r.querySelector('[data-field="num_txs"]').innerText)`)
		if len(rows) == 0 {
			t.Fatal("no rows in the block list")
		}
		top, _ := strconv.ParseInt(strings.Fields(rows[0])[0], 10, 64)
		if want := min(top, 20); int64(len(rows)) != want {
			t.Errorf("%d rows in the block list with the latest at %d, expected %d", len(rows), top, want)
		}
		info, err := g.net.Client(0).BlockchainInfo(t.Context(), top-int64(len(rows))+1, top)
		if err != nil {
			t.Fatal(err)
		}
		for i, meta := range info.BlockMetas {
			if i >= len(rows) {
				break
			}
			if want := fmt.Sprintf("%d %d", meta.Header.Height, meta.NumTxs); rows[i] != want {
				t.Errorf("block list row %d: %q, CometBFT says %q (height, transactions)", i, rows[i], want)
			}
		}
		b.screenshot("blocks")

		b.open("#/block/"+dec(tx.Height), "ready")
		blk, err := g.net.Client(0).Block(t.Context(), &height)
		if err != nil {
			t.Fatal(err)
		}
		if got := b.text(`[data-field="hash"]`); got != blk.BlockID.Hash.String() {
			t.Errorf("block hash %s, CometBFT says %s", got, blk.BlockID.Hash)
		}
		if got := b.text(`[data-field="num_txs"]`); got != strconv.Itoa(len(blk.Block.Txs)) {
			t.Errorf("block has %s transactions shown, %d in the block", got, len(blk.Block.Txs))
		}
		if got := b.text(`[data-field="app_hash"]`); got != blk.Block.AppHash.String() {
			t.Errorf("app hash %s, CometBFT says %s", got, blk.Block.AppHash)
		}
		if got := b.attrs(`tr[data-tx]`, "data-tx"); !contains(got, txHash) {
			t.Errorf("block %v lists transactions %v, expected %s among them (hashed in the browser)", tx.Height, got, txHash)
		}
		if row := b.text(`tr[data-tx="` + txHash + `"]`); !strings.Contains(row, "transfer") || !strings.Contains(row, "25 TALLY") || !strings.Contains(row, "Success") {
			t.Errorf("decoded transaction row %q, expected a successful transfer of 25 TALLY", row)
		}
		b.screenshot("block")
	})

	t.Run("transaction", func(t *testing.T) {
		var tx wire.TxResult
		apiCall(t.Context(), t, api, "tx", map[string]string{"hash": txHash}, &tx)
		b.open("#/tx/"+txHash, "ready")
		for field, want := range map[string]string{
			"hash":       tx.Hash,
			"type":       tx.Tx.Type,
			"sender":     tx.Tx.Sender + " alice",
			"nonce":      dec(tx.Tx.Nonce),
			"memo":       tx.Tx.Memo,
			"pub_key":    tx.Tx.PubKey,
			"msg_to":     tx.Tx.Msg.To + " bob",
			"msg_asset":  tx.Tx.Msg.Asset,
			"msg_amount": dec(tx.Tx.Msg.Amount),
		} {
			if got := plain(b.text(`[data-field="` + field + `"]`)); got != want {
				t.Errorf("%s: %q, API says %q", field, got, want)
			}
		}
		if got := b.text(`[data-field="height"]`); !strings.HasPrefix(plain(got), "#"+dec(tx.Height)+" ") {
			t.Errorf("block %q, API says %v", got, tx.Height)
		}
		if got := b.text(`[data-field="result"]`); tx.Code != 0 || got != "Success" {
			t.Errorf("result %q, API code %d", got, tx.Code)
		}
		events := evalJS[int](b, `document.querySelectorAll('.event').length`)
		if events != len(tx.Events) {
			t.Errorf("%d events shown, API has %d", events, len(tx.Events))
		}
		b.screenshot("transaction")
	})

	t.Run("account", func(t *testing.T) {
		var a wire.AccountResult
		apiCall(t.Context(), t, api, "account", map[string]string{"address": bob}, &a)
		var hist wire.HistoryResult
		apiCall(t.Context(), t, api, "history", map[string]string{"address": bob, "per_page": "20"}, &hist)
		b.open("#/account/"+bob, "ready")
		for field, want := range map[string]string{
			"address": a.Address, "name": "bob", "nonce": dec(a.Nonce), "pending_nonce": dec(a.PendingNonce),
			"roles": strings.Join(a.Roles, ", "), "frozen": map[bool]string{true: "frozen", false: "active"}[a.Frozen],
		} {
			if got := b.text(`[data-field="` + field + `"]`); got != want {
				t.Errorf("%s: %q, API says %q", field, got, want)
			}
		}
		for _, bal := range a.Balances {
			if got := plain(b.text(`tr[data-asset="` + bal.Asset + `"] [data-field="amount"]`)); got != dec(bal.Amount) {
				t.Errorf("balance %v: %q, API says %d", bal.Asset, got, bal.Amount)
			}
		}
		rows := b.attrs(`tr[data-tx]`, "data-tx")
		if len(rows) != len(hist.Txs) {
			t.Fatalf("%d history rows, API has %d", len(rows), len(hist.Txs))
		}
		for i := range rows {
			if rows[i] != hist.Txs[i].Hash {
				t.Errorf("history row %d: %s, API says %s", i, rows[i], hist.Txs[i].Hash)
			}
		}
		if got := b.text(`[data-field="history_page"]`); !strings.Contains(got, dec(hist.TotalCount)+" transaction") {
			t.Errorf("history pager %q, API total %v", got, hist.TotalCount)
		}
		b.screenshot("account")

		// A valid address that is not registered: a plain not-found message.
		seed := sha256.Sum256([]byte("a key nobody registered"))
		k, err := crypto.PrivKeyFromBytes(seed[:])
		if err != nil {
			t.Fatal(err)
		}
		stranger := k.PubKey().Address().String()
		b.open("#/account/"+stranger, "notfound")
		msg := b.text(`[data-field="message"]`)
		if !regexp.MustCompile(`^no account ` + stranger + ` on chain ` + g.net.ChainID() + ` at height \d+$`).MatchString(msg) {
			t.Errorf("not-found message %q", msg)
		}
		b.screenshot("not-found")
	})

	t.Run("assets", func(t *testing.T) {
		var as wire.AssetsResult
		apiCall(t.Context(), t, api, "assets", nil, &as)
		b.open("#/assets", "ready")
		if got := b.attrs(`tr[data-asset]`, "data-asset"); len(got) != len(as.Assets) {
			t.Fatalf("assets %v, API has %d", got, len(as.Assets))
		}
		for _, a := range as.Assets {
			row := `tr[data-asset="` + a.Symbol + `"] `
			if got := plain(b.text(row + `[data-field="supply"]`)); got != dec(a.Supply) {
				t.Errorf("%v supply %q, API says %d", a.Symbol, got, a.Supply)
			}
			if got := b.attrs(row+`[data-field="issuer"] a[data-address]`, "data-address"); len(got) != 1 || got[0] != a.Issuer {
				t.Errorf("%s issuer %v, API says %s", a.Symbol, got, a.Issuer)
			}
			want := map[bool]string{true: "Paused", false: "Active"}[a.Paused]
			if got := b.text(row + `[data-field="paused"]`); got != want {
				t.Errorf("%s status %q, API paused=%v", a.Symbol, got, a.Paused)
			}
		}
		b.screenshot("assets")
	})

	t.Run("governance", func(t *testing.T) {
		var ps wire.ProposalsResult
		apiCall(t.Context(), t, api, "proposals", nil, &ps)
		var params wire.ParamsResult
		apiCall(t.Context(), t, api, "params", nil, &params)
		b.open("#/governance", "ready")
		if got, want := b.text(`[data-field="threshold"]`), fmt.Sprintf("%d of %s", params.AdminThreshold, dec(params.Admins)); got != want {
			t.Errorf("threshold %q, API says %q", got, want)
		}
		for _, p := range ps.Proposals {
			row := `tr[data-proposal="` + dec(p.ID) + `"]`
			if got, want := b.text(row+` [data-field="approvals"]`), fmt.Sprintf("%d of %d", len(p.Approvals), params.AdminThreshold); got != want {
				t.Errorf("proposal %v approvals %q, API says %q", p.ID, got, want)
			}
			if got := b.text(row); !strings.Contains(got, p.Status) || !strings.Contains(got, p.Action.Type) {
				t.Errorf("proposal %v row %q, API says %s %s", p.ID, got, p.Status, p.Action.Type)
			}
		}
		if n := len(b.attrs(`tr[data-proposal]`, "data-proposal")); n != len(ps.Proposals) {
			t.Errorf("%d proposal rows, API has %d", n, len(ps.Proposals))
		}
		b.screenshot("governance")

		var p wire.ProposalResult
		apiCall(t.Context(), t, api, "proposal", map[string]string{"id": dec(openID)}, &p)
		b.open("#/proposal/"+dec(openID), "ready")
		for field, want := range map[string]string{
			"status":    p.Status,
			"approvals": fmt.Sprintf("%d of %d needed", len(p.Approvals), params.AdminThreshold),
			"proposer":  p.Proposer + " admin",
			"expiry":    "height " + dec(p.Expiry),
		} {
			if got := plain(b.text(`[data-field="` + field + `"]`)); got != want {
				t.Errorf("proposal %d %s: %q, API says %q", openID, field, got, want)
			}
		}
		if got := b.text(`[data-field="action"]`); !strings.HasPrefix(got, p.Action.Type+" ") || !strings.Contains(got, p.Action.Reason) {
			t.Errorf("proposal %d action %q, API says %s (%s)", openID, got, p.Action.Type, p.Action.Reason)
		}
	})

	t.Run("network", func(t *testing.T) {
		var nodes wire.NodesResult
		apiCall(t.Context(), t, api, "nodes", nil, &nodes)
		b.open("#/network", "ready")
		if n := len(b.attrs(`tr[data-node]`, "data-node")); n != len(nodes.Nodes) {
			t.Fatalf("%d node rows, API has %d", n, len(nodes.Nodes))
		}
		for _, n := range nodes.Nodes {
			row := `tr[data-node="` + n.ID + `"] `
			allowed := map[bool]string{true: "allowed", false: "not allowed"}[n.Allowed]
			if got := b.text(row + `[data-field="allowed"]`); got != allowed {
				t.Errorf("node %s: %q, API allowed=%v", n.ID, got, n.Allowed)
			}
			conn := map[bool]string{true: "connected", false: "not connected"}[n.Connected]
			if n.Self {
				conn = "this node"
			}
			if got := b.text(row + `[data-field="connected"]`); got != conn {
				t.Errorf("node %s: %q, API connected=%v self=%v", n.ID, got, n.Connected, n.Self)
			}
		}
		b.screenshot("network")
	})

	t.Run("search", func(t *testing.T) {
		var tx wire.TxResult
		apiCall(t.Context(), t, api, "tx", map[string]string{"hash": txHash}, &tx)
		var vals wire.ValidatorsResult
		apiCall(t.Context(), t, api, "validators", nil, &vals)
		for _, tc := range []struct{ query, route string }{
			{dec(tx.Height), "#/block/" + dec(tx.Height)},
			{strings.ToLower(txHash), "#/tx/" + txHash},
			{alice, "#/account/" + alice},
			{"bob", "#/account/" + bob},
			{"eur", "#/asset/EUR"},
		} {
			b.open("#/", "ready")
			b.search(tc.query)
			b.waitPage(tc.route, "ready")
		}
		// A validator by its genesis name.
		b.search("node1")
		b.waitJS("validator page", `document.body.dataset.state === 'ready' && location.hash.startsWith('#/validator/')`)
		hash := evalJS[string](b, `location.hash`)
		addr := strings.TrimPrefix(hash, "#/validator/")
		found := false
		for _, v := range vals.Validators {
			found = found || v.Address == addr
		}
		if !found {
			t.Errorf("search node1 went to validator %s, not one of the API's validators", addr)
		}
		if got := b.text(`[data-field="name"]`); got != "node1" {
			t.Errorf("validator page name %q, expected node1", got)
		}
		// Nothing matches.
		b.search("no-such-thing")
		b.waitPage("#/search/no-such-thing", "notfound")
		if msg := b.text(`[data-field="message"]`); !strings.Contains(msg, "nothing on chain "+g.net.ChainID()) {
			t.Errorf("search miss says %q", msg)
		}
	})

	t.Run("live transfer", func(t *testing.T) {
		b.open("#/account/"+bob, "ready")
		evalJS[bool](b, `window.__sameDocument = true`)
		before := plain(b.text(`tr[data-asset="TALLY"] [data-field="amount"]`))
		out, _ := g.tx(2, "send", "alice", "bob", "7TALLY") // through another node
		m := hashRE.FindStringSubmatch(out)
		if m == nil {
			t.Fatalf("no hash in:\n%s", out)
		}
		b.waitJS("the new transfer on the open account page", `!!document.querySelector('tr[data-tx="`+m[1]+`"]')`)
		if !evalJS[bool](b, `window.__sameDocument === true`) {
			t.Error("the page was reloaded to show the transfer")
		}
		var a wire.AccountResult
		apiCall(t.Context(), t, api, "account", map[string]string{"address": bob}, &a)
		after := plain(b.text(`tr[data-asset="TALLY"] [data-field="amount"]`))
		if after == before || after != balanceString(a, "TALLY") {
			t.Errorf("TALLY balance %s -> %s, API says %s", before, after, balanceString(a, "TALLY"))
		}
	})

	t.Run("live overview", func(t *testing.T) {
		b.open("#/", "ready")
		evalJS[bool](b, `window.__sameDocument = true`)
		h0 := plain(b.text(`[data-field="height"]`))
		b.waitJS("the overview's height moves on", `document.querySelector('[data-field="height"]').innerText.replace(/,/g, '') !== `+strconv.Quote(h0))
		if !evalJS[bool](b, `window.__sameDocument === true`) {
			t.Error("the overview was reloaded to show a new block")
		}
	})

	t.Run("narrow screen", func(t *testing.T) {
		b.run("narrow", chromedp.EmulateViewport(390, 844))
		for _, route := range []string{"#/account/" + bob, "#/"} {
			b.open(route, "ready")
			if evalJS[bool](b, `document.documentElement.scrollWidth > document.documentElement.clientWidth + 1`) {
				t.Errorf("%s scrolls sideways on a 390 px screen", route)
			}
			b.screenshot(map[bool]string{true: "overview-narrow", false: "account-narrow"}[route == "#/"])
		}
		b.run("wide", chromedp.EmulateViewport(1280, 900))
	})

	t.Run("node unreachable", func(t *testing.T) {
		b.open("#/", "ready")
		if err := g.net.StopNode(0); err != nil {
			t.Fatal(err)
		}
		b.waitJS("the unreachable state", `document.body.dataset.state === 'unreachable' && !document.getElementById('banner').hidden`)
		if got := b.text(`#banner`); !strings.Contains(got, "Node unreachable") || !strings.Contains(got, "Retrying") {
			t.Errorf("banner %q", got)
		}
		b.checkClean("#/ (node stopped)")
		b.screenshot("unreachable")
		if err := g.net.RestartNode(0); err != nil {
			t.Fatal(err)
		}
		b.waitJS("the page back after the node restarts", `document.body.dataset.state === 'ready' && document.getElementById('banner').hidden`)
	})

	t.Logf("screenshots: %s", strings.Join(b.written, ", "))
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func balanceString(a wire.AccountResult, asset string) string {
	for _, b := range a.Balances {
		if b.Asset == asset {
			return dec(b.Amount)
		}
	}
	return "0"
}
