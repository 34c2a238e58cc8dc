package fifocache

import (
	"sync"
	"testing"
)

func TestEvictsOldestFirst(t *testing.T) {
	c := New[int, string](2)
	c.Add(1, "a")
	c.Add(2, "b")
	c.Add(1, "x") // already held: keeps "a" and its place
	if v, _ := c.Get(1); v != "a" {
		t.Fatalf("Get(1) = %q, want the first value kept", v)
	}
	c.Add(3, "c")
	if _, ok := c.Get(1); ok {
		t.Fatal("the oldest entry was not dropped")
	}
	for _, k := range []int{2, 3} {
		if _, ok := c.Get(k); !ok {
			t.Fatalf("entry %d dropped, want it held", k)
		}
	}
	if c.Len() != 2 {
		t.Fatalf("Len = %d, want 2", c.Len())
	}
}

// TestDeleteThenAddAgain checks that a key deleted and added again (into
// another slot) is not dropped when the ring reaches its old slot.
func TestDeleteThenAddAgain(t *testing.T) {
	c := New[int, int](3)
	c.Add(1, 1) // slot 0
	c.Add(2, 2) // slot 1
	c.Add(3, 3) // slot 2
	c.Delete(2)
	c.Add(2, 20) // slot 0: drops 1
	c.Add(4, 4)  // slot 1, 2's old slot: drops nothing held
	if _, ok := c.Get(1); ok {
		t.Fatal("1 should have been dropped")
	}
	for k, want := range map[int]int{2: 20, 3: 3, 4: 4} {
		if v, ok := c.Get(k); !ok || v != want {
			t.Fatalf("Get(%d) = %d, %v; want %d, true", k, v, ok, want)
		}
	}
	c.Add(5, 5) // slot 2: drops 3, the oldest held
	if _, ok := c.Get(3); ok || c.Len() != 3 {
		t.Fatalf("3 held = %v, Len = %d; want 3 dropped and 3 entries", ok, c.Len())
	}
}

func TestNilHoldsNothing(t *testing.T) {
	var c *Cache[string, int]
	if New[string, int](0) != nil {
		t.Fatal("New(0) != nil")
	}
	c.Add("a", 1)
	c.Delete("a")
	if _, ok := c.Get("a"); ok || c.Len() != 0 {
		t.Fatal("a nil cache held an entry")
	}
}

func TestBoundedUnderConcurrency(t *testing.T) {
	const limit = 64
	c := New[int, int](limit)
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 1000; i++ {
				k := g*1000 + i
				c.Add(k, k)
				if i%3 == 0 {
					c.Delete(k - 1)
				}
				if v, ok := c.Get(k); ok && v != k {
					t.Errorf("Get(%d) = %d", k, v)
				}
			}
		}(g)
	}
	wg.Wait()
	if c.Len() > limit {
		t.Fatalf("Len = %d, above the limit %d", c.Len(), limit)
	}
}
