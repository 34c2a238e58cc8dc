package proofop

import (
	"errors"
	"fmt"

	"github.com/cometbft/cometbft/crypto/merkle"
	cmtcrypto "github.com/cometbft/cometbft/proto/tendermint/crypto"
)

// KeyPath returns the merkle key path of a ledger key: "/x:" and the key in
// upper-case hex, one segment that the key's operator consumes. It is also
// the query key: the ABCI query carries KeyPath(key) as its data and returns
// it as the response's Key, because CometBFT's light client checks absence
// with the response's Key itself as the key path.
func KeyPath(key []byte) string {
	return merkle.KeyPath{}.AppendKey(key, merkle.KeyEncodingHex).String()
}

// KeyFromPath returns the ledger key of a key path made by KeyPath, and
// rejects any other spelling of it.
func KeyFromPath(path string) ([]byte, error) {
	keys, err := merkle.KeyPathToKeys(path)
	if err != nil {
		return nil, fmt.Errorf("proofop: key path %q: %w", path, err)
	}
	if len(keys) != 1 || len(keys[0]) == 0 {
		return nil, fmt.Errorf("proofop: key path %q: want one non-empty key", path)
	}
	if KeyPath(keys[0]) != path {
		return nil, fmt.Errorf("proofop: key path %q: want the form %q", path, KeyPath(keys[0]))
	}
	return keys[0], nil
}

// LightClientKeyPath is the light/rpc KeyPathFunc for Tally queries, whose
// query key is KeyPath(key): it returns that key path, so existence is
// checked against the same path as absence. Use it as
// lrpc.KeyPathFn(proofop.LightClientKeyPath).
func LightClientKeyPath(_ string, queryKey []byte) (merkle.KeyPath, error) {
	key, err := KeyFromPath(string(queryKey))
	if err != nil {
		return nil, err
	}
	return merkle.KeyPath{}.AppendKey(key, merkle.KeyEncodingHex), nil
}

// NewProofRuntime returns a merkle.ProofRuntime that knows this package's
// operator and CometBFT's own "simple:v".
func NewProofRuntime() *merkle.ProofRuntime {
	prt := merkle.DefaultProofRuntime()
	prt.RegisterOpDecoder(ProofOpType, Decoder)
	return prt
}

// Verify checks a query answer's proof against a trusted app hash: that key
// holds value, or, when value is empty, that key is absent. Values are never
// empty in the ledger, so an empty value means absent. The proof must be
// exactly one operation of type ProofOpType.
func Verify(appHash []byte, ops *cmtcrypto.ProofOps, key, value []byte) error {
	if len(key) == 0 {
		return errors.New("proofop: empty key")
	}
	if ops == nil || len(ops.Ops) != 1 || ops.Ops[0].Type != ProofOpType {
		return fmt.Errorf("%w: want one operation of type %q", ErrInvalidOp, ProofOpType)
	}
	prt := NewProofRuntime()
	var err error
	if len(value) == 0 {
		err = prt.VerifyAbsence(ops, appHash, KeyPath(key))
	} else {
		err = prt.VerifyValue(ops, appHash, KeyPath(key), value)
	}
	if err != nil {
		return fmt.Errorf("proofop: key %X: %w", key, err)
	}
	return nil
}
