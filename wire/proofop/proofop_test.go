package proofop

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/cometbft/cometbft/crypto/merkle"
	cmtbytes "github.com/cometbft/cometbft/libs/bytes"
	lrpc "github.com/cometbft/cometbft/light/rpc"
	cmtcrypto "github.com/cometbft/cometbft/proto/tendermint/crypto"
	rpcclient "github.com/cometbft/cometbft/rpc/client"
	ctypes "github.com/cometbft/cometbft/rpc/core/types"
	"github.com/cometbft/cometbft/types"
	ics23 "github.com/cosmos/ics23/go"

	"github.com/tallyledger/tally/ledger/smt"
)

// state is a small ledger state: the flat store and the tree over it.
type state struct {
	store map[string][]byte
	tree  *smt.Tree
}

func newState(t *testing.T, n int) *state {
	t.Helper()
	s := &state{store: map[string][]byte{}, tree: smt.New()}
	for i := range n {
		// Binary keys with '/' and bytes that URL encoding would escape.
		key := fmt.Appendf(nil, "\x02/acct/%d\x00\xff", i)
		value := fmt.Appendf(nil, "balance %d", i*7)
		s.store[string(key)] = value
		if err := s.tree.Set(key, value); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

func (s *state) lookup(key []byte) ([]byte, error) {
	v, ok := s.store[string(key)]
	if !ok {
		return nil, fmt.Errorf("no value for %X", key)
	}
	return v, nil
}

// query answers a proven query as the ABCI Query handler does: the
// response's Key is the key path, Value is nil for an absent key.
func (s *state) query(t *testing.T, key []byte) (value []byte, ops *cmtcrypto.ProofOps) {
	t.Helper()
	if v, ok := s.store[string(key)]; ok {
		proof, err := s.tree.ProveExistence(key, v)
		if err != nil {
			t.Fatal(err)
		}
		op, err := NewExistenceOp(key, proof)
		if err != nil {
			t.Fatal(err)
		}
		return v, op.ProofOps()
	}
	proof, err := s.tree.ProveAbsence(key, s.lookup)
	if err != nil {
		t.Fatal(err)
	}
	op, err := NewAbsenceOp(key, proof)
	if err != nil {
		t.Fatal(err)
	}
	return nil, op.ProofOps()
}

func absentKey(i int) []byte { return fmt.Appendf(nil, "\x02/acct/none-%d", i) }
func presentKey(i int) []byte {
	return fmt.Appendf(nil, "\x02/acct/%d\x00\xff", i)
}

func TestKeyPath(t *testing.T) {
	for _, key := range [][]byte{{0}, []byte("/a/b"), {0xff, 0x00, '/', '%'}, []byte("x:41")} {
		path := KeyPath(key)
		if path[0] != '/' {
			t.Fatalf("KeyPath(%X) = %q does not start with /", key, path)
		}
		back, err := KeyFromPath(path)
		if err != nil || !bytes.Equal(back, key) {
			t.Fatalf("KeyFromPath(%q) = %X, %v; want %X", path, back, err, key)
		}
		keys, err := merkle.KeyPathToKeys(path)
		if err != nil || len(keys) != 1 || !bytes.Equal(keys[0], key) {
			t.Fatalf("CometBFT reads %q as %X, %v", path, keys, err)
		}
	}
	if got := KeyPath([]byte{0xab, 0x01}); got != "/x:AB01" {
		t.Fatalf("KeyPath = %q", got)
	}
	for _, bad := range []string{"", "x:AB", "/x:ab01", "/AB", "/x:AB/x:01", "/x:", "/x:ABC"} {
		if key, err := KeyFromPath(bad); err == nil {
			t.Fatalf("KeyFromPath(%q) accepted: %X", bad, key)
		}
	}
}

func TestVerifyHonestProofs(t *testing.T) {
	s := newState(t, 50)
	root := s.tree.Root()
	for i := range 50 {
		key := presentKey(i)
		value, ops := s.query(t, key)
		if err := Verify(root[:], ops, key, value); err != nil {
			t.Fatalf("existence of %X: %v", key, err)
		}
		if err := Verify(root[:], ops, key, nil); err == nil {
			t.Fatalf("an existence proof of %X passes as absence", key)
		}
	}
	for i := range 50 {
		key := absentKey(i)
		_, ops := s.query(t, key)
		if err := Verify(root[:], ops, key, nil); err != nil {
			t.Fatalf("absence of %X: %v", key, err)
		}
		if err := Verify(root[:], ops, key, []byte{}); err != nil {
			t.Fatalf("absence of %X with an empty value: %v", key, err)
		}
		if err := Verify(root[:], ops, key, []byte("some value")); err == nil {
			t.Fatalf("an absence proof of %X passes as a value", key)
		}
	}
}

func TestVerifyOneLeafAndEmptyTrees(t *testing.T) {
	tests := []struct {
		name    string
		size    int    // leaves in the tree
		key     []byte // the key proven
		appHash []byte // nil: the tree's root
		wantErr bool
	}{
		{"one leaf, its value", 1, presentKey(0), nil, false},
		{"one leaf, an absent key", 1, absentKey(0), nil, false},
		{"empty tree, an absent key", 0, absentKey(0), nil, false},
		{"empty-tree absence against another app hash", 0, absentKey(0), bytes.Repeat([]byte{1}, 32), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newState(t, tt.size)
			root := s.tree.Root()
			appHash := tt.appHash
			if appHash == nil {
				appHash = root[:]
			}
			value, ops := s.query(t, tt.key)
			if err := Verify(appHash, ops, tt.key, value); (err != nil) != tt.wantErr {
				t.Fatalf("Verify = %v, want error %v", err, tt.wantErr)
			}
		})
	}
}

// flipEachByte calls check with each byte of b inverted in turn.
func flipEachByte(b []byte, check func(i int)) {
	for i := range b {
		b[i] ^= 0xff
		check(i)
		b[i] ^= 0xff
		b[i] ^= 0x01
		check(i)
		b[i] ^= 0x01
	}
}

func TestVerifyRejectsChanges(t *testing.T) {
	s := newState(t, 30)
	root := s.tree.Root()
	for _, key := range [][]byte{presentKey(3), absentKey(3)} {
		value, ops := s.query(t, key)
		if err := Verify(root[:], ops, key, value); err != nil {
			t.Fatal(err)
		}
		if value != nil {
			flipEachByte(value, func(i int) {
				if Verify(root[:], ops, key, value) == nil {
					t.Fatalf("changed value byte %d verifies", i)
				}
			})
		}
		r := root
		flipEachByte(r[:], func(i int) {
			if Verify(r[:], ops, key, value) == nil {
				t.Fatalf("changed app hash byte %d verifies", i)
			}
		})
		flipEachByte(ops.Ops[0].Data, func(i int) {
			if Verify(root[:], ops, key, value) == nil {
				t.Fatalf("changed op data byte %d of %d verifies", i, len(ops.Ops[0].Data))
			}
		})
		flipEachByte(ops.Ops[0].Key, func(i int) {
			if Verify(root[:], ops, key, value) == nil {
				t.Fatalf("changed op key byte %d verifies", i)
			}
		})
		for _, tamper := range []struct {
			name   string
			verify func() error
		}{
			{"another key", func() error { return Verify(root[:], ops, presentKey(4), value) }},
			{"a truncated app hash", func() error { return Verify(root[:31], ops, key, value) }},
			{"an op of another type", func() error {
				op := ops.Ops[0]
				op.Type = "simple:v"
				return Verify(root[:], &cmtcrypto.ProofOps{Ops: []cmtcrypto.ProofOp{op}}, key, value)
			}},
			{"two ops", func() error {
				return Verify(root[:], &cmtcrypto.ProofOps{Ops: []cmtcrypto.ProofOp{ops.Ops[0], ops.Ops[0]}}, key, value)
			}},
			{"no proof", func() error { return Verify(root[:], nil, key, value) }},
			{"no op", func() error { return Verify(root[:], &cmtcrypto.ProofOps{}, key, value) }},
		} {
			if tamper.verify() == nil {
				t.Fatalf("%X: %s verifies", key, tamper.name)
			}
		}
	}
}

func TestDecoder(t *testing.T) {
	s := newState(t, 10)
	_, ops := s.query(t, presentKey(1))
	op := ops.Ops[0]
	decoded, err := Decoder(op)
	if err != nil {
		t.Fatal(err)
	}
	if got := decoded.ProofOp(); got.Type != op.Type || !bytes.Equal(got.Key, op.Key) || !bytes.Equal(got.Data, op.Data) {
		t.Fatal("decoding and encoding again changes the op")
	}
	if !bytes.Equal(decoded.GetKey(), presentKey(1)) {
		t.Fatalf("GetKey = %X", decoded.GetKey())
	}

	batch, err := (&ics23.CommitmentProof{Proof: &ics23.CommitmentProof_Batch{Batch: &ics23.BatchProof{}}}).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name   string
		change func(op *cmtcrypto.ProofOp)
	}{
		{"another type", func(op *cmtcrypto.ProofOp) { op.Type = "simple:v" }},
		{"an op key differing from the proof's key", func(op *cmtcrypto.ProofOp) { op.Key = presentKey(2) }},
		{"non-canonical data (an unknown field)", func(op *cmtcrypto.ProofOp) { op.Data = append(bytes.Clone(op.Data), 15<<3, 1) }},
		{"a batch proof", func(op *cmtcrypto.ProofOp) { op.Data = batch }},
	} {
		bad := op
		tt.change(&bad)
		if _, err := Decoder(bad); !errors.Is(err, ErrInvalidOp) {
			t.Errorf("%s: %v, want ErrInvalidOp", tt.name, err)
		}
	}
	if _, err := decoded.Run([][]byte{[]byte("a"), []byte("b")}); err == nil {
		t.Fatal("Run takes two values")
	}
}

func TestConstructorsCheckTheProofForm(t *testing.T) {
	s := newState(t, 5)
	exist, err := s.tree.ProveExistence(presentKey(0), s.store[string(presentKey(0))])
	if err != nil {
		t.Fatal(err)
	}
	absent, err := s.tree.ProveAbsence(absentKey(0), s.lookup)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		make func() (*Operator, error)
	}{
		{"an existence proof as absence", func() (*Operator, error) { return NewAbsenceOp(presentKey(0), exist) }},
		{"an absence proof as existence", func() (*Operator, error) { return NewExistenceOp(absentKey(0), absent) }},
		{"the proof of another key", func() (*Operator, error) { return NewExistenceOp(presentKey(1), exist) }},
	} {
		if _, err := tt.make(); !errors.Is(err, ErrInvalidOp) {
			t.Errorf("%s: %v, want ErrInvalidOp", tt.name, err)
		}
	}
}

// TestLightClientRules checks proofs the way CometBFT's light/rpc client
// does: a value against the path its KeyPathFn builds from the response's
// Key, absence against the response's Key itself.
func TestLightClientRules(t *testing.T) {
	s := newState(t, 20)
	root := s.tree.Root()
	prt := merkle.DefaultProofRuntime()
	prt.RegisterOpDecoder(ProofOpType, Decoder)
	for i := range 20 {
		key := presentKey(i)
		value, ops := s.query(t, key)
		respKey := []byte(KeyPath(key))
		kp, err := LightClientKeyPath("/store/state/key", respKey)
		if err != nil {
			t.Fatal(err)
		}
		if err := prt.VerifyValue(ops, root[:], kp.String(), value); err != nil {
			t.Fatalf("light client rules reject the value of %X: %v", key, err)
		}
		key = absentKey(i)
		_, ops = s.query(t, key)
		if err := prt.VerifyAbsence(ops, root[:], KeyPath(key)); err != nil {
			t.Fatalf("light client rules reject the absence of %X: %v", key, err)
		}
	}
}

// fakeNode answers ABCI queries from a state, as the node would.
type fakeNode struct {
	rpcclient.Client // only ABCIQueryWithOptions is called
	t                *testing.T
	state            *state
	height           int64
}

func (n *fakeNode) ABCIQueryWithOptions(_ context.Context, _ string, data cmtbytes.HexBytes, _ rpcclient.ABCIQueryOptions) (*ctypes.ResultABCIQuery, error) {
	key, err := KeyFromPath(string(data))
	if err != nil {
		return &ctypes.ResultABCIQuery{Response: abci.ResponseQuery{Code: 1, Log: err.Error()}}, nil
	}
	value, ops := n.state.query(n.t, key)
	return &ctypes.ResultABCIQuery{Response: abci.ResponseQuery{
		Key: data, Value: value, Height: n.height, ProofOps: ops,
	}}, nil
}

// fakeLightClient trusts one app hash, in the header after the queried height.
type fakeLightClient struct {
	lrpc.LightClient // only VerifyLightBlockAtHeight is called
	appHash          []byte
	height           int64
}

func (lc *fakeLightClient) VerifyLightBlockAtHeight(_ context.Context, height int64, _ time.Time) (*types.LightBlock, error) {
	if height != lc.height {
		return nil, fmt.Errorf("no light block at %d", height)
	}
	return &types.LightBlock{SignedHeader: &types.SignedHeader{Header: &types.Header{Height: height, AppHash: lc.appHash}}}, nil
}

// TestThroughLightRPCClient runs CometBFT's light/rpc client itself over
// proven query answers.
func TestThroughLightRPCClient(t *testing.T) {
	s := newState(t, 20)
	root := s.tree.Root()
	node := &fakeNode{t: t, state: s, height: 9}
	client := lrpc.NewClient(node, &fakeLightClient{appHash: root[:], height: 10}, lrpc.KeyPathFn(LightClientKeyPath))
	client.RegisterOpDecoder(ProofOpType, Decoder)
	ctx := context.Background()

	res, err := client.ABCIQueryWithOptions(ctx, "/state", []byte(KeyPath(presentKey(5))), rpcclient.ABCIQueryOptions{})
	if err != nil {
		t.Fatalf("value: %v", err)
	}
	if !bytes.Equal(res.Response.Value, s.store[string(presentKey(5))]) {
		t.Fatalf("value %q", res.Response.Value)
	}
	if _, err := client.ABCIQueryWithOptions(ctx, "/state", []byte(KeyPath(absentKey(5))), rpcclient.ABCIQueryOptions{}); err != nil {
		t.Fatalf("absence: %v", err)
	}

	// A node serving another state is caught.
	liar := newState(t, 21)
	node.state = liar
	if _, err := client.ABCIQueryWithOptions(ctx, "/state", []byte(KeyPath(presentKey(5))), rpcclient.ABCIQueryOptions{}); err == nil {
		t.Fatal("a proof against another app hash passed the light client")
	}
	if _, err := client.ABCIQueryWithOptions(ctx, "/state", []byte(KeyPath(absentKey(5))), rpcclient.ABCIQueryOptions{}); err == nil {
		t.Fatal("an absence proof against another app hash passed the light client")
	}
}
