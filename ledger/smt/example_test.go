package smt_test

import (
	"crypto/sha256"
	"fmt"

	"github.com/tallyledger/tally/ledger/smt"
)

func Example() {
	store := map[string][]byte{} // stands in for the flat LevelDB entries
	tree := smt.New()
	for key, value := range map[string]string{"balance/alice": "100", "balance/bob": "7"} {
		store[key] = []byte(value)
		if err := tree.Set([]byte(key), []byte(value)); err != nil {
			panic(err)
		}
	}
	appHash := tree.Root()

	// Commit: queries read the snapshot while the next block changes tree.
	committed := tree.Snapshot()
	tree.Delete([]byte("balance/bob"))

	proof, err := committed.ProveExistence([]byte("balance/bob"), []byte("7"))
	if err != nil {
		panic(err)
	}
	fmt.Println("bob has 7:", smt.VerifyExistence(appHash, proof, []byte("balance/bob"), []byte("7")) == nil)

	lookup := func(key []byte) ([]byte, error) { return store[string(key)], nil }
	absence, err := committed.ProveAbsence([]byte("balance/carol"), lookup)
	if err != nil {
		panic(err)
	}
	fmt.Println("carol has nothing:", smt.VerifyAbsence(appHash, absence, []byte("balance/carol")) == nil)
	fmt.Println("the next state differs:", tree.Root() != appHash)
	// Output:
	// bob has 7: true
	// carol has nothing: true
	// the next state differs: true
}

func ExampleBuild() {
	entries := []smt.Entry{
		{Key: []byte("balance/bob"), ValueHash: sha256.Sum256([]byte("7"))},
		{Key: []byte("balance/alice"), ValueHash: sha256.Sum256([]byte("100"))},
	}
	built, err := smt.Build(entries)
	if err != nil {
		panic(err)
	}
	tree := smt.New()
	_ = tree.Set([]byte("balance/alice"), []byte("100"))
	_ = tree.Set([]byte("balance/bob"), []byte("7"))
	fmt.Println(built.Root() == tree.Root(), built.Len())
	// Output: true 2
}
