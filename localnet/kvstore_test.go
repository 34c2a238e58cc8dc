package localnet

import (
	"context"
	"testing"

	dbm "github.com/cometbft/cometbft-db"
	"github.com/cometbft/cometbft/abci/example/kvstore"
	abci "github.com/cometbft/cometbft/abci/types"
)

// A query that CometBFT's peer filter sends while the baseline node stops
// gets an error, not the kvstore example's panic on a closed database.
func TestKVStoreQueryAfterClose(t *testing.T) {
	db, err := dbm.NewGoLevelDB("kvstore", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	kv := &closableKVStore{Application: kvstore.NewApplication(db)}
	req := &abci.RequestQuery{Path: "/key", Data: []byte("k")}
	if _, err := kv.Query(context.Background(), req); err != nil {
		t.Fatalf("query of an open store: %v", err)
	}
	kv.close()
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := kv.Query(context.Background(), req); err == nil {
		t.Fatal("query after close answered")
	}
}
