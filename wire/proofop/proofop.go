package proofop

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/cometbft/cometbft/crypto/merkle"
	cmtcrypto "github.com/cometbft/cometbft/proto/tendermint/crypto"
	ics23 "github.com/cosmos/ics23/go"

	"github.com/tallyledger/tally/ledger/smt"
)

// ProofOpType is the type of the ProofOps that carry state proofs.
const ProofOpType = "tally:smt"

// ErrInvalidOp: a ProofOp is not a well-formed state proof operation.
var ErrInvalidOp = errors.New("proofop: invalid proof operation")

// Operator is the merkle.ProofOperator of one state proof: an ics23
// existence or absence proof of one ledger key against the app hash.
type Operator struct {
	key   []byte
	proof *ics23.CommitmentProof
	data  []byte // the proof's canonical encoding, as ProofOp carries it
}

var _ merkle.ProofOperator = (*Operator)(nil)

var _ merkle.OpDecoder = Decoder

// NewExistenceOp returns the operator of proof, an ics23 existence proof of
// key as smt.Tree.ProveExistence returns it.
func NewExistenceOp(key []byte, proof *ics23.CommitmentProof) (*Operator, error) {
	exist := proof.GetExist()
	if exist == nil {
		return nil, fmt.Errorf("%w: not an existence proof", ErrInvalidOp)
	}
	if !bytes.Equal(exist.Key, key) {
		return nil, fmt.Errorf("%w: proof is for key %X, not %X", ErrInvalidOp, exist.Key, key)
	}
	return newOperator(key, proof)
}

// NewAbsenceOp returns the operator of proof, an ics23 non-existence proof
// of key as smt.Tree.ProveAbsence returns it.
func NewAbsenceOp(key []byte, proof *ics23.CommitmentProof) (*Operator, error) {
	absent := proof.GetNonexist()
	if absent == nil {
		return nil, fmt.Errorf("%w: not a non-existence proof", ErrInvalidOp)
	}
	if !bytes.Equal(absent.Key, key) {
		return nil, fmt.Errorf("%w: proof is for key %X, not %X", ErrInvalidOp, absent.Key, key)
	}
	return newOperator(key, proof)
}

func newOperator(key []byte, proof *ics23.CommitmentProof) (*Operator, error) {
	if len(key) == 0 {
		return nil, fmt.Errorf("%w: empty key", ErrInvalidOp)
	}
	data, err := smt.MarshalProof(proof)
	if err != nil {
		return nil, fmt.Errorf("%w: encoding the proof: %w", ErrInvalidOp, err)
	}
	return &Operator{key: bytes.Clone(key), proof: proof, data: data}, nil
}

// Decoder decodes a ProofOp of type ProofOpType into its Operator. It is the
// merkle.OpDecoder to register under ProofOpType. It accepts only the
// canonical encoding of an existence or non-existence proof of op.Key.
func Decoder(op cmtcrypto.ProofOp) (merkle.ProofOperator, error) {
	if op.Type != ProofOpType {
		return nil, fmt.Errorf("%w: type %q, want %q", ErrInvalidOp, op.Type, ProofOpType)
	}
	proof, err := smt.UnmarshalProof(op.Data)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidOp, err)
	}
	if proof.GetExist() != nil {
		return NewExistenceOp(op.Key, proof)
	}
	return NewAbsenceOp(op.Key, proof)
}

// Run checks the proof and returns the root it leads to, for the caller to
// compare with the app hash: given [value] it checks that the key holds
// value, given no argument that the key is absent.
func (op *Operator) Run(args [][]byte) ([][]byte, error) {
	root, err := smt.CalculateRoot(op.proof)
	if err != nil {
		return nil, err
	}
	switch {
	case len(args) == 0:
		if op.proof.GetNonexist() == nil {
			return nil, fmt.Errorf("%w: absence of key %X asked, the proof shows existence", ErrInvalidOp, op.key)
		}
		err = smt.VerifyAbsence(root, op.proof, op.key)
	case len(args) == 1:
		if op.proof.GetExist() == nil {
			return nil, fmt.Errorf("%w: a value for key %X given, the proof shows absence", ErrInvalidOp, op.key)
		}
		err = smt.VerifyExistence(root, op.proof, op.key, args[0])
	default:
		return nil, fmt.Errorf("%w: %d arguments, want one value or none", ErrInvalidOp, len(args))
	}
	if err != nil {
		return nil, err
	}
	return [][]byte{root[:]}, nil
}

// GetKey returns the ledger key the proof is about.
func (op *Operator) GetKey() []byte {
	return op.key
}

// ProofOp returns the operator as CometBFT carries it: its key, and the
// proof encoded as protobuf.
func (op *Operator) ProofOp() cmtcrypto.ProofOp {
	return cmtcrypto.ProofOp{Type: ProofOpType, Key: op.key, Data: op.data}
}

// ProofOps returns the ProofOps of a query answer: this one operator.
func (op *Operator) ProofOps() *cmtcrypto.ProofOps {
	return &cmtcrypto.ProofOps{Ops: []cmtcrypto.ProofOp{op.ProofOp()}}
}
