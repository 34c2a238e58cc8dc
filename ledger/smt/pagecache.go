package smt

import (
	"container/list"
	"sync"
)

// PageCache keeps recently used pages of paged trees in memory, up to a
// bound in bytes, least recently used first out. Pages are found by their
// root hash, so one cache serves every version of a tree (the committed
// tree, the block being applied, the views queries read) and never returns
// a stale page. It is safe for concurrent use; a nil cache keeps nothing.
type PageCache struct {
	mu      sync.Mutex
	max     int
	used    int
	entries map[[32]byte]*list.Element
	lru     list.List // of *pageContent, most recent first
}

// NewPageCache returns a cache holding pages of about maxBytes in total.
func NewPageCache(maxBytes int) *PageCache {
	return &PageCache{max: maxBytes, entries: map[[32]byte]*list.Element{}}
}

// pageBytes is about what a page takes in memory.
func pageBytes(c *pageContent) int {
	n := 64
	for i := range c.leaves {
		n += 128 + len(c.leaves[i].key)
	}
	return n
}

func (pc *PageCache) get(hash [32]byte) *pageContent {
	if pc == nil {
		return nil
	}
	pc.mu.Lock()
	defer pc.mu.Unlock()
	e, ok := pc.entries[hash]
	if !ok {
		return nil
	}
	pc.lru.MoveToFront(e)
	return e.Value.(*pageContent)
}

func (pc *PageCache) add(c *pageContent) {
	if pc == nil {
		return
	}
	size := pageBytes(c)
	if size > pc.max {
		return
	}
	pc.mu.Lock()
	defer pc.mu.Unlock()
	if e, ok := pc.entries[c.hash]; ok {
		pc.lru.MoveToFront(e)
		return
	}
	pc.entries[c.hash] = pc.lru.PushFront(c)
	pc.used += size
	for pc.used > pc.max {
		last := pc.lru.Back()
		old := last.Value.(*pageContent)
		pc.lru.Remove(last)
		delete(pc.entries, old.hash)
		pc.used -= pageBytes(old)
	}
}

// Len returns the number of pages held.
func (pc *PageCache) Len() int {
	if pc == nil {
		return 0
	}
	pc.mu.Lock()
	defer pc.mu.Unlock()
	return len(pc.entries)
}
