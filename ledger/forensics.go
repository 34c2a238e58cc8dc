package ledger

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/fxamacker/cbor/v2"
)

// OtherGroup names the state keys under no declared prefix (a damaged or
// foreign database: a healthy ledger has none).
const OtherGroup = "(other)"

// GroupHash is the hash of one group of state keys (StateGroups): SHA-256
// over the group's keys in ascending order, each key and value preceded by
// its length as a uvarint. It depends only on the group's key/values.
type GroupHash struct {
	Prefix string
	Keys   int
	Hash   [32]byte
}

// String is "PREFIX KEYS HASH", the form of logs and dumps.
func (g GroupHash) String() string { return fmt.Sprintf("%s %d %X", g.Prefix, g.Keys, g.Hash) }

// groupOf returns the declared group of a state key, OtherGroup if none.
func groupOf(key []byte) string {
	for _, p := range StateGroups {
		if strings.HasSuffix(p, ":") && bytes.HasPrefix(key, []byte(p)) || string(key) == p {
			return p
		}
	}
	return OtherGroup
}

// groupHasher accumulates GroupHashes over state entries fed in key order.
type groupHasher struct {
	hashes map[string]*groupState
}

type groupState struct {
	keys int
	h    interface {
		io.Writer
		Sum([]byte) []byte
	}
}

func newGroupHasher() *groupHasher { return &groupHasher{hashes: map[string]*groupState{}} }

func (g *groupHasher) add(key, value []byte) {
	name := groupOf(key)
	st := g.hashes[name]
	if st == nil {
		st = &groupState{h: sha256.New()}
		g.hashes[name] = st
	}
	st.keys++
	var n [binary.MaxVarintLen64]byte
	st.h.Write(n[:binary.PutUvarint(n[:], uint64(len(key)))])
	st.h.Write(key)
	st.h.Write(n[:binary.PutUvarint(n[:], uint64(len(value)))])
	st.h.Write(value)
}

// result lists every declared group (empty ones too, with the hash of
// nothing), then OtherGroup if any key fell in it.
func (g *groupHasher) result() []GroupHash {
	names := append([]string(nil), StateGroups...)
	if g.hashes[OtherGroup] != nil {
		names = append(names, OtherGroup)
	}
	out := make([]GroupHash, 0, len(names))
	for _, name := range names {
		gh := GroupHash{Prefix: name}
		st := g.hashes[name]
		if st == nil {
			gh.Hash = sha256.Sum256(nil)
		} else {
			gh.Keys = st.keys
			copy(gh.Hash[:], st.h.Sum(nil))
		}
		out = append(out, gh)
	}
	return out
}

// StateGroupHashes hashes every state entry of r, one hash per group of
// StateGroups (see GroupHash).
func StateGroupHashes(r Reader) ([]GroupHash, error) {
	g := newGroupHasher()
	err := r.Iterate([]byte(StatePrefix), func(key, value []byte) error {
		g.add(key, value)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("hash state groups: %w", err)
	}
	return g.result(), nil
}

// GroupHashes hashes the view's state one group at a time (see GroupHash).
func (v *View) GroupHashes() ([]GroupHash, error) { return StateGroupHashes(v.snap) }

// FormatGroupHashes is the one-line form of hashes for a log or an error.
func FormatGroupHashes(hashes []GroupHash) string {
	parts := make([]string, len(hashes))
	for i, g := range hashes {
		parts[i] = g.String()
	}
	return strings.Join(parts, ", ")
}

// A state dump is text, sorted and line-oriented so that two dumps diff
// well with any tool:
//
//	# tally state dump
//	chain_id CHAIN
//	height H
//	app_hash HEX
//	group PREFIX KEYS HASH          (one line per group)
//	KEY<TAB>VALUE-HEX<TAB>VALUE-AS-CBOR-DIAGNOSTIC
//
// Keys are printable ASCII without tabs; only the key and the hex value
// count when dumps are compared, the diagnostic is for reading.
const dumpMagic = "# tally state dump"

// DumpEntry is one state key/value of a Dump.
type DumpEntry struct {
	Key   string
	Value []byte
}

// Dump is a state dump read back by ReadDump.
type Dump struct {
	ChainID string
	Height  int64
	AppHash []byte
	Groups  []GroupHash
	Entries []DumpEntry // ascending by key
}

var diagMode, _ = cbor.DiagOptions{ByteStringEncoding: cbor.ByteStringBase16Encoding}.DiagMode()

// WriteDump writes every state entry of v to w as a dump (see Dump).
func (v *View) WriteDump(w io.Writer) error {
	hashes, err := v.GroupHashes()
	if err != nil {
		return err
	}
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "%s\nchain_id %s\nheight %d\napp_hash %X\n", dumpMagic, v.chainID, v.height, v.appHash)
	for _, g := range hashes {
		fmt.Fprintf(bw, "group %s\n", g)
	}
	err = v.snap.Iterate([]byte(StatePrefix), func(key, value []byte) error {
		diag, derr := diagMode.Diagnose(value)
		if derr != nil {
			diag = "(not CBOR)"
		}
		_, werr := fmt.Fprintf(bw, "%s\t%x\t%s\n", key, value, diag)
		return werr
	})
	if err != nil {
		return fmt.Errorf("dump state: %w", err)
	}
	return bw.Flush()
}

// ReadDump parses a dump written by WriteDump; name is used in errors.
func ReadDump(r io.Reader, name string) (*Dump, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 64<<20)
	d := &Dump{}
	line := 0
	fail := func(format string, args ...any) error {
		return fmt.Errorf("%s line %d: %s", name, line, fmt.Sprintf(format, args...))
	}
	for sc.Scan() {
		line++
		text := sc.Text()
		if line == 1 {
			if text != dumpMagic {
				return nil, fail("expected %q: not a tally state dump (tallyd debug dump writes one)", dumpMagic)
			}
			continue
		}
		if key, rest, ok := strings.Cut(text, "\t"); ok {
			hexValue, _, _ := strings.Cut(rest, "\t")
			value, err := hex.DecodeString(hexValue)
			if err != nil || len(value) == 0 {
				return nil, fail("value of %q is not non-empty hex", key)
			}
			if n := len(d.Entries); n > 0 && d.Entries[n-1].Key >= key {
				return nil, fail("key %q is not after %q: dump keys must be in ascending order", key, d.Entries[n-1].Key)
			}
			d.Entries = append(d.Entries, DumpEntry{Key: key, Value: value})
			continue
		}
		field, arg, _ := strings.Cut(text, " ")
		var err error
		switch field {
		case "chain_id":
			d.ChainID = arg
		case "height":
			d.Height, err = strconv.ParseInt(arg, 10, 64)
		case "app_hash":
			d.AppHash, err = hex.DecodeString(arg)
		case "group":
			var g GroupHash
			var h string
			if _, err = fmt.Sscanf(arg, "%s %d %s", &g.Prefix, &g.Keys, &h); err == nil {
				var b []byte
				if b, err = hex.DecodeString(h); err == nil && len(b) == 32 {
					copy(g.Hash[:], b)
					d.Groups = append(d.Groups, g)
				} else if err == nil {
					err = fmt.Errorf("hash of %d bytes, expected 32", len(b))
				}
			}
		default:
			return nil, fail("unexpected line %q", text)
		}
		if err != nil {
			return nil, fail("%s: %v", field, err)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	if line == 0 {
		return nil, fmt.Errorf("%s is empty: not a tally state dump", name)
	}
	return d, nil
}

// KeyChange is one key that differs between two dumps: A or B is nil when
// the key is absent from that dump.
type KeyChange struct {
	Key  string
	A, B []byte
}

// GroupDiff counts the keys of one group that differ between two dumps.
type GroupDiff struct {
	Prefix                  string
	Added, Removed, Changed int
	HashA, HashB            [32]byte
	HashesDiffer            bool
}

// DumpDiff is the difference between dumps A and B.
type DumpDiff struct {
	Changes []KeyChange // ascending by key
	Groups  []GroupDiff // the groups with differences, in StateGroups order
}

// Differ reports whether the dumps hold different states.
func (d *DumpDiff) Differ() bool { return len(d.Changes) > 0 }

// DiffDumps compares the entries of two dumps key by key.
func DiffDumps(a, b *Dump) *DumpDiff {
	out := &DumpDiff{}
	counts := map[string]*GroupDiff{}
	count := func(key string) *GroupDiff {
		name := groupOf([]byte(key))
		if counts[name] == nil {
			counts[name] = &GroupDiff{Prefix: name}
		}
		return counts[name]
	}
	i, j := 0, 0
	for i < len(a.Entries) || j < len(b.Entries) {
		switch {
		case j == len(b.Entries) || i < len(a.Entries) && a.Entries[i].Key < b.Entries[j].Key:
			out.Changes = append(out.Changes, KeyChange{Key: a.Entries[i].Key, A: a.Entries[i].Value})
			count(a.Entries[i].Key).Removed++
			i++
		case i == len(a.Entries) || b.Entries[j].Key < a.Entries[i].Key:
			out.Changes = append(out.Changes, KeyChange{Key: b.Entries[j].Key, B: b.Entries[j].Value})
			count(b.Entries[j].Key).Added++
			j++
		default:
			if !bytes.Equal(a.Entries[i].Value, b.Entries[j].Value) {
				out.Changes = append(out.Changes, KeyChange{Key: a.Entries[i].Key, A: a.Entries[i].Value, B: b.Entries[j].Value})
				count(a.Entries[i].Key).Changed++
			}
			i++
			j++
		}
	}
	hashesOf := func(d *Dump) map[string][32]byte {
		m := map[string][32]byte{}
		for _, g := range d.Groups {
			m[g.Prefix] = g.Hash
		}
		return m
	}
	ha, hb := hashesOf(a), hashesOf(b)
	names := append(append([]string(nil), StateGroups...), OtherGroup)
	for _, name := range names {
		gd := counts[name]
		differ := ha[name] != hb[name]
		if gd == nil && !differ {
			continue
		}
		if gd == nil {
			gd = &GroupDiff{Prefix: name}
		}
		gd.HashA, gd.HashB, gd.HashesDiffer = ha[name], hb[name], differ
		out.Groups = append(out.Groups, *gd)
	}
	sort.SliceStable(out.Changes, func(x, y int) bool { return out.Changes[x].Key < out.Changes[y].Key })
	return out
}

// WriteText writes the diff for a reader: a per-group summary, then one
// line per key ("+" added in B, "-" removed from A, "~" changed) with the
// values as CBOR diagnostics.
func (d *DumpDiff) WriteText(w io.Writer) error {
	bw := bufio.NewWriter(w)
	if !d.Differ() {
		fmt.Fprintln(bw, "The dumps hold the same state.")
	}
	for _, g := range d.Groups {
		fmt.Fprintf(bw, "group %q %d added, %d removed, %d changed", g.Prefix, g.Added, g.Removed, g.Changed)
		if g.HashesDiffer {
			fmt.Fprintf(bw, " (hash %X in A, %X in B)", g.HashA, g.HashB)
		}
		fmt.Fprintln(bw)
	}
	for _, c := range d.Changes {
		switch {
		case c.A == nil:
			fmt.Fprintf(bw, "+ %s = %s\n", c.Key, diagnose(c.B))
		case c.B == nil:
			fmt.Fprintf(bw, "- %s = %s\n", c.Key, diagnose(c.A))
		default:
			fmt.Fprintf(bw, "~ %s: %s -> %s\n", c.Key, diagnose(c.A), diagnose(c.B))
		}
	}
	return bw.Flush()
}

func diagnose(v []byte) string {
	s, err := diagMode.Diagnose(v)
	if err != nil {
		return fmt.Sprintf("%x", v)
	}
	return s
}
