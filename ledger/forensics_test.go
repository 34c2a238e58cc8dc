package ledger

import (
	"bytes"
	"strings"
	"testing"
)

func dumpOf(t *testing.T, v *View) (*Dump, string) {
	t.Helper()
	var buf bytes.Buffer
	if err := v.WriteDump(&buf); err != nil {
		t.Fatal(err)
	}
	d, err := ReadDump(bytes.NewReader(buf.Bytes()), "dump")
	if err != nil {
		t.Fatalf("read back the dump: %v\n%s", err, buf.String())
	}
	return d, buf.String()
}

// Two chains that executed different blocks dump states whose diff names
// exactly the keys that differ, and the group hashes tell which prefixes.
func TestDumpDiffNamesTheDivergingKeys(t *testing.T) {
	a := newTestChain(t, testGenesis())
	b := newTestChain(t, testGenesis())
	a.one(newTx(t).from(alice).to(bob).amount(5))
	b.one(newTx(t).from(alice).to(carol).amount(5))

	da, text := dumpOf(t, a.view())
	db, _ := dumpOf(t, b.view())
	if da.Height != a.view().Height() || !bytes.Equal(da.AppHash, a.view().AppHash()) || da.ChainID != testChainID {
		t.Errorf("dump header: height %d app hash %X chain %q", da.Height, da.AppHash, da.ChainID)
	}
	if len(da.Groups) != len(StateGroups) {
		t.Errorf("dump has %d group hashes, expected %d", len(da.Groups), len(StateGroups))
	}
	if !strings.Contains(text, string(BalanceKey(bob.addr, "TALLY"))+"\t") {
		t.Errorf("dump does not list bob's balance:\n%s", text)
	}
	if d := DiffDumps(da, da); d.Differ() || len(d.Groups) != 0 {
		t.Errorf("a dump differs from itself: %+v", d)
	}

	d := DiffDumps(da, db)
	var got []string
	for _, c := range d.Changes {
		kind := "~"
		if c.A == nil {
			kind = "+"
		} else if c.B == nil {
			kind = "-"
		}
		got = append(got, kind+c.Key)
	}
	want := []string{
		"~" + string(BalanceKey(bob.addr, "TALLY")),
		"+" + string(BalanceKey(carol.addr, "TALLY")),
	}
	// Holdings change with a first balance; bob already held TALLY.
	if !bytes.Equal(mustGet(t, a.view(), HoldingsKey(carol.addr)), mustGet(t, b.view(), HoldingsKey(carol.addr))) {
		want = append(want, "+"+string(HoldingsKey(carol.addr)))
	}
	sortStrings(want)
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("changes:\n got %v\nwant %v", got, want)
	}
	var groups []string
	for _, g := range d.Groups {
		if !g.HashesDiffer {
			t.Errorf("group %s listed with equal hashes", g.Prefix)
		}
		groups = append(groups, g.Prefix)
	}
	if groups[0] != PrefixBalance {
		t.Errorf("groups that differ: %v, expected %s among them first", groups, PrefixBalance)
	}
	var out bytes.Buffer
	d.WriteText(&out)
	if !strings.Contains(out.String(), `group "/bal:" 1 added, 0 removed, 1 changed`) {
		t.Errorf("diff text:\n%s", out.String())
	}
}

func mustGet(t *testing.T, v *View, key []byte) []byte {
	t.Helper()
	b, err := v.Get(key)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// sortStrings sorts change lines by key, after their one-character kind.
func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j][1:] < s[j-1][1:]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

// Group hashes depend only on the key/values of each group: equal states
// give equal hashes, and a change moves only its own group's hash.
func TestGroupHashes(t *testing.T) {
	a := newTestChain(t, testGenesis())
	b := newTestChain(t, testGenesis())
	ha, _ := a.view().GroupHashes()
	hb, _ := b.view().GroupHashes()
	if FormatGroupHashes(ha) != FormatGroupHashes(hb) {
		t.Fatalf("equal states, different group hashes:\n%s\n%s", FormatGroupHashes(ha), FormatGroupHashes(hb))
	}
	st := NewMemStore()
	var batch Batch
	batch.Set(BalanceKey(alice.addr, "X"), []byte{1})
	batch.Set([]byte("/zzz"), []byte{2})
	st.Write(&batch, false)
	hs, err := StateGroupHashes(st)
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range hs {
		switch g.Prefix {
		case PrefixBalance, OtherGroup:
			if g.Keys != 1 {
				t.Errorf("group %s: %d keys, expected 1", g.Prefix, g.Keys)
			}
		default:
			if g.Keys != 0 {
				t.Errorf("group %s: %d keys, expected 0", g.Prefix, g.Keys)
			}
		}
	}
	if hs[len(hs)-1].Prefix != OtherGroup {
		t.Errorf("a key under no declared prefix is not reported as %s: %s", OtherGroup, FormatGroupHashes(hs))
	}
}

// ReadDump refuses what is not a dump, with the line at fault.
func TestReadDumpRejects(t *testing.T) {
	for name, text := range map[string]string{
		"not a dump":   "hello\n",
		"empty":        "",
		"bad hex":      dumpMagic + "\n/acct:00\tzz\tx\n",
		"out of order": dumpMagic + "\n/b\t01\t1\n/a\t01\t1\n",
		"unknown line": dumpMagic + "\nfoo bar\n",
	} {
		if _, err := ReadDump(strings.NewReader(text), "f"); err == nil {
			t.Errorf("%s: accepted", name)
		} else if !strings.HasPrefix(err.Error(), "f") {
			t.Errorf("%s: error does not name the file: %v", name, err)
		}
	}
}
