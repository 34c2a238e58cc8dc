package ledger

import (
	"bytes"
	"sort"
	"strings"
)

// overlay buffers writes over a read-only base. Blocks execute on an
// overlay of the committed state, and each transaction on an overlay of its
// block's, so a failed transaction is dropped by forgetting its overlay.
// An overlay is used by one goroutine at a time.
type overlay struct {
	base   Reader
	writes map[string][]byte // nil value = deleted
}

func newOverlay(base Reader) *overlay {
	return &overlay{base: base, writes: map[string][]byte{}}
}

// Get reads key from the overlay, then from the base.
func (o *overlay) Get(key []byte) ([]byte, error) {
	if v, ok := o.writes[string(key)]; ok {
		return v, nil
	}
	return o.base.Get(key)
}

func (o *overlay) set(key, value []byte) {
	if len(value) == 0 {
		panic("ledger: empty value for key " + string(key)) // values are never empty: callers delete instead
	}
	o.writes[string(key)] = value
}

func (o *overlay) del(key []byte) { o.writes[string(key)] = nil }

// Iterate merges the overlay's writes with the base's entries under prefix,
// in key order.
func (o *overlay) Iterate(prefix []byte, fn func(key, value []byte) error) error {
	mine := o.sortedKeys(string(prefix))
	i := 0
	emitMine := func(upto string, inclusive bool) error {
		for i < len(mine) && (mine[i] < upto || inclusive && mine[i] == upto) {
			k := mine[i]
			i++
			if v := o.writes[k]; v != nil {
				if err := fn([]byte(k), v); err != nil {
					return err
				}
			}
		}
		return nil
	}
	err := o.base.Iterate(prefix, func(key, value []byte) error {
		k := string(key)
		if err := emitMine(k, false); err != nil {
			return err
		}
		if i < len(mine) && mine[i] == k {
			return emitMine(k, true) // overridden or deleted here
		}
		return fn(key, value)
	})
	if err != nil {
		return err
	}
	for ; i < len(mine); i++ {
		if v := o.writes[mine[i]]; v != nil {
			if err := fn([]byte(mine[i]), v); err != nil {
				return err
			}
		}
	}
	return nil
}

// sortedKeys returns the overlay's written keys under prefix, sorted.
func (o *overlay) sortedKeys(prefix string) []string {
	keys := make([]string, 0, len(o.writes))
	for k := range o.writes {
		if strings.HasPrefix(k, prefix) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	return keys
}

// mergeInto applies the overlay's writes to parent.
func (o *overlay) mergeInto(parent *overlay) {
	for k, v := range o.writes {
		parent.writes[k] = v
	}
}

// change is one key's new value (nil = deleted) and whether it differs
// from the base.
type change struct {
	Key   []byte
	Value []byte
}

// changes returns the writes that differ from the base, sorted by key, so
// that a write that restores a value leaves no trace.
func (o *overlay) changes() ([]change, error) {
	keys := o.sortedKeys("")
	out := make([]change, 0, len(keys))
	for _, k := range keys {
		old, err := o.base.Get([]byte(k))
		if err != nil {
			return nil, err
		}
		v := o.writes[k]
		if bytes.Equal(old, v) && (old == nil) == (v == nil) {
			continue
		}
		out = append(out, change{Key: []byte(k), Value: v})
	}
	return out, nil
}

// readCache remembers what a block read from an immutable snapshot, so
// that records read by many transactions (the asset, the params, a busy
// sender) and the final comparison in changes() do not go back to the
// store. It lives for one block (or one check state) and is used by one
// goroutine at a time.
type readCache struct {
	base  Reader
	reads map[string][]byte // nil value = absent
}

func newReadCache(base Reader) *readCache {
	return &readCache{base: base, reads: map[string][]byte{}}
}

func (c *readCache) Get(key []byte) ([]byte, error) {
	if v, ok := c.reads[string(key)]; ok {
		return v, nil
	}
	v, err := c.base.Get(key)
	if err != nil {
		return nil, err
	}
	c.reads[string(key)] = v
	return v, nil
}

func (c *readCache) Iterate(prefix []byte, fn func(key, value []byte) error) error {
	return c.base.Iterate(prefix, fn)
}
