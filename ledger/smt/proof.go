package smt

import (
	"bytes"
	"errors"
	"fmt"

	ics23 "github.com/cosmos/ics23/go"
)

// ProofSpec returns the ics23 spec that the tree's proofs follow. It equals
// ics23.SmtSpec: SHA-256 leaves 0x00 || SHA-256(key) || SHA-256(value),
// SHA-256 inner nodes 0x01 || left || right, 32 zero bytes for an empty
// child, keys compared by their SHA-256 paths.
func ProofSpec() *ics23.ProofSpec {
	return &ics23.ProofSpec{
		LeafSpec: &ics23.LeafOp{
			Hash:         ics23.HashOp_SHA256,
			PrehashKey:   ics23.HashOp_SHA256,
			PrehashValue: ics23.HashOp_SHA256,
			Length:       ics23.LengthOp_NO_PREFIX,
			Prefix:       []byte{leafPrefix},
		},
		InnerSpec: &ics23.InnerSpec{
			ChildOrder:      []int32{0, 1},
			ChildSize:       32,
			MinPrefixLength: 1,
			MaxPrefixLength: 1,
			EmptyChild:      make([]byte, 32),
			Hash:            ics23.HashOp_SHA256,
		},
		MaxDepth:                   maxDepth,
		PrehashKeyBeforeComparison: true,
	}
}

// ProveExistence returns an ics23 existence proof that key holds value. It
// fails with ErrKeyNotFound if key is absent and ErrValueMismatch if the
// tree holds another value for it.
//
// Proving computes pending hashes first (see Root); on a snapshot that is
// not written to, it only reads.
func (t *Tree) ProveExistence(key, value []byte) (*ics23.CommitmentProof, error) {
	if len(key) == 0 {
		return nil, ErrEmptyKey
	}
	if len(value) == 0 {
		return nil, fmt.Errorf("%w for key %X", ErrEmptyValue, key)
	}
	if _, err := t.Sum(); err != nil {
		return nil, err
	}
	path := pathOf(key)
	found, steps, err := t.walk(&path)
	if err != nil {
		return nil, err
	}
	if found == nil || found.leaf == nil || found.leaf.key != string(key) {
		return nil, fmt.Errorf("%w: %X", ErrKeyNotFound, key)
	}
	if valueHashOf(value) != found.leaf.valueHash {
		return nil, fmt.Errorf("%w: key %X", ErrValueMismatch, key)
	}
	proof := existenceProof(steps, key, bytes.Clone(value))
	return &ics23.CommitmentProof{Proof: &ics23.CommitmentProof_Exist{Exist: proof}}, nil
}

// ProveAbsence returns an ics23 non-existence proof for key: existence
// proofs of the leaves just left and just right of key's path (one of them
// missing at an edge of the tree). The tree holds only value hashes, so
// lookup must return the neighbours' values from the store the tree commits
// to; a value that does not match the tree is an error. ProveAbsence fails
// with ErrKeyExists if key is present.
//
// In an empty tree, where there is no neighbour to show, the proof is a
// NonExistenceProof with Key set and no Left or Right. VerifyAbsence accepts
// it against the empty root (32 zero bytes) only; ics23's own
// VerifyNonMembership rejects it, as ics23 has no form for an empty tree.
func (t *Tree) ProveAbsence(key []byte, lookup func(key []byte) ([]byte, error)) (*ics23.CommitmentProof, error) {
	if len(key) == 0 {
		return nil, ErrEmptyKey
	}
	if _, err := t.Sum(); err != nil {
		return nil, err
	}
	absent := &ics23.NonExistenceProof{Key: bytes.Clone(key)}
	if t.root == nil {
		return &ics23.CommitmentProof{Proof: &ics23.CommitmentProof_Nonexist{Nonexist: absent}}, nil
	}
	if lookup == nil {
		return nil, errors.New("smt: ProveAbsence needs a lookup for the neighbours' values")
	}
	path := pathOf(key)
	left, right, err := t.neighbours(&path, key)
	if err != nil {
		return nil, err
	}
	for _, side := range []struct {
		leaf *node
		dst  **ics23.ExistenceProof
	}{{left, &absent.Left}, {right, &absent.Right}} {
		if side.leaf == nil {
			continue
		}
		neighbour := []byte(side.leaf.leaf.key)
		value, err := lookup(neighbour)
		if err != nil {
			return nil, fmt.Errorf("smt: looking up neighbour %X: %w", neighbour, err)
		}
		if valueHashOf(value) != side.leaf.leaf.valueHash || len(value) == 0 {
			return nil, fmt.Errorf("%w: the store's value for neighbour %X", ErrValueMismatch, neighbour)
		}
		neighbourPath := pathOf(neighbour)
		_, steps, err := t.walk(&neighbourPath)
		if err != nil {
			return nil, err
		}
		*side.dst = existenceProof(steps, neighbour, bytes.Clone(value))
	}
	return &ics23.CommitmentProof{Proof: &ics23.CommitmentProof_Nonexist{Nonexist: absent}}, nil
}

// step is one inner node passed on the way down to a path.
type step struct {
	inner *node
	bit   int
}

// walk follows path from the root and returns where it ends (a leaf, or nil
// for an empty subtree) and the inner nodes passed on the way, root first.
// In a paged tree it reads the page it enters.
func (t *Tree) walk(path *[32]byte) (*node, []step, error) {
	var steps []step
	n := t.root
	for depth := 0; n != nil && n.leaf == nil; depth++ {
		if n.stub {
			var err error
			if n, err = t.expand(n); err != nil {
				return nil, nil, err
			}
		}
		bit := bitAt(path, depth)
		steps = append(steps, step{n, bit})
		if bit == 0 {
			n = n.left
		} else {
			n = n.right
		}
	}
	return n, steps, nil
}

// neighbours returns the leaves nearest to path on its left and right, nil
// at an edge of the tree. The tree must not be empty.
func (t *Tree) neighbours(path *[32]byte, key []byte) (left, right *node, err error) {
	end, steps, err := t.walk(path)
	if err != nil {
		return nil, nil, err
	}
	if end != nil {
		if end.leaf.key == string(key) {
			return nil, nil, fmt.Errorf("%w: %X", ErrKeyExists, key)
		}
		endPath := pathOfString(end.leaf.key)
		if bytes.Compare(endPath[:], path[:]) < 0 {
			left = end
		} else {
			right = end
		}
	}
	// The nearest leaves on either side sit under the deepest inner node
	// passed with a subtree on that side.
	for i := len(steps) - 1; i >= 0 && (left == nil || right == nil); i-- {
		s := steps[i]
		if left == nil && s.bit == 1 && s.inner.left != nil {
			if left, err = t.edgeLeaf(s.inner.left, 1); err != nil {
				return nil, nil, err
			}
		}
		if right == nil && s.bit == 0 && s.inner.right != nil {
			if right, err = t.edgeLeaf(s.inner.right, 0); err != nil {
				return nil, nil, err
			}
		}
	}
	return left, right, nil
}

// edgeLeaf returns the rightmost (side 1) or leftmost (side 0) leaf under n.
func (t *Tree) edgeLeaf(n *node, side int) (*node, error) {
	for n.leaf == nil {
		if n.stub {
			var err error
			if n, err = t.expand(n); err != nil {
				return nil, err
			}
		}
		first, second := n.left, n.right
		if side == 1 {
			first, second = second, first
		}
		if first != nil {
			n = first
		} else {
			n = second
		}
	}
	return n, nil
}

// existenceProof returns the proof for the leaf of key, reached through
// steps, holding value; the tree's hashes must be computed.
func existenceProof(steps []step, key, value []byte) *ics23.ExistenceProof {
	ops := make([]*ics23.InnerOp, 0, len(steps))
	for i := len(steps) - 1; i >= 0; i-- {
		s := steps[i]
		var sibling *node
		if s.bit == 0 {
			sibling = s.inner.right
		} else {
			sibling = s.inner.left
		}
		siblingHash := emptyHash[:]
		if sibling != nil {
			siblingHash = sibling.hash[:]
		}
		// Fresh, exactly sized slices: ics23 appends to Prefix when hashing.
		op := &ics23.InnerOp{Hash: ics23.HashOp_SHA256}
		if s.bit == 0 {
			op.Prefix = []byte{innerPrefix}
			op.Suffix = bytes.Clone(siblingHash)
		} else {
			op.Prefix = make([]byte, 1, 33)
			op.Prefix[0] = innerPrefix
			op.Prefix = append(op.Prefix, siblingHash...)
		}
		ops = append(ops, op)
	}
	return &ics23.ExistenceProof{
		Key:   bytes.Clone(key),
		Value: value,
		Leaf: &ics23.LeafOp{
			Hash:         ics23.HashOp_SHA256,
			PrehashKey:   ics23.HashOp_SHA256,
			PrehashValue: ics23.HashOp_SHA256,
			Length:       ics23.LengthOp_NO_PREFIX,
			Prefix:       []byte{leafPrefix},
		},
		Path: ops,
	}
}

// VerifyExistence checks that proof is an existence proof of key holding
// value under root, by ics23's rules for ProofSpec.
func VerifyExistence(root [32]byte, proof *ics23.CommitmentProof, key, value []byte) (err error) {
	defer recoverInvalid(&err)
	exist := proof.GetExist()
	if exist == nil {
		return fmt.Errorf("%w: not an existence proof", ErrInvalidProof)
	}
	if err := exist.Verify(ProofSpec(), root[:], key, value); err != nil {
		return fmt.Errorf("%w: key %X: %w", ErrInvalidProof, key, err)
	}
	return nil
}

// VerifyAbsence checks that proof is a non-existence proof of key under
// root, by ics23's rules for ProofSpec, and that it names key. It also
// accepts the empty-tree form that ProveAbsence returns, against the empty
// root only.
func VerifyAbsence(root [32]byte, proof *ics23.CommitmentProof, key []byte) (err error) {
	defer recoverInvalid(&err)
	absent := proof.GetNonexist()
	if absent == nil {
		return fmt.Errorf("%w: not a non-existence proof", ErrInvalidProof)
	}
	if len(key) == 0 || !bytes.Equal(absent.Key, key) {
		return fmt.Errorf("%w: proof is for key %X, not %X", ErrInvalidProof, absent.Key, key)
	}
	if absent.Left == nil && absent.Right == nil {
		if root != emptyHash {
			return fmt.Errorf("%w: empty-tree proof for key %X against a non-empty root", ErrInvalidProof, key)
		}
		return nil
	}
	if err := absent.Verify(ProofSpec(), root[:], key); err != nil {
		return fmt.Errorf("%w: key %X: %w", ErrInvalidProof, key, err)
	}
	return nil
}

// CalculateRoot returns the root that an existence or non-existence proof
// leads to, without checking it against anything: a verifier compares it
// with a trusted root, then checks the proof with VerifyExistence or
// VerifyAbsence. The empty-tree form leads to the empty root.
func CalculateRoot(proof *ics23.CommitmentProof) (root [32]byte, err error) {
	defer recoverInvalid(&err)
	var calculated []byte
	switch {
	case proof.GetExist() != nil:
		calculated, err = proof.GetExist().Calculate()
	case proof.GetNonexist() != nil:
		absent := proof.GetNonexist()
		if absent.Left == nil && absent.Right == nil {
			return emptyHash, nil
		}
		calculated, err = absent.Calculate()
	default:
		return root, fmt.Errorf("%w: neither an existence nor a non-existence proof", ErrInvalidProof)
	}
	if err != nil {
		return root, fmt.Errorf("%w: %w", ErrInvalidProof, err)
	}
	if len(calculated) != len(root) {
		return root, fmt.Errorf("%w: root of %d bytes", ErrInvalidProof, len(calculated))
	}
	copy(root[:], calculated)
	return root, nil
}

// MarshalProof encodes a proof as protobuf bytes.
func MarshalProof(proof *ics23.CommitmentProof) ([]byte, error) {
	return proof.Marshal()
}

// UnmarshalProof decodes a proof from protobuf bytes and accepts only the
// canonical encoding, the one MarshalProof gives: unknown fields, repeated
// or reordered fields and other re-encodings are errors, so one proof has
// one byte form.
func UnmarshalProof(data []byte) (*ics23.CommitmentProof, error) {
	proof := &ics23.CommitmentProof{}
	if err := proof.Unmarshal(data); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidProof, err)
	}
	canonical, err := proof.Marshal()
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidProof, err)
	}
	if !bytes.Equal(canonical, data) {
		return nil, fmt.Errorf("%w: not in canonical encoding", ErrInvalidProof)
	}
	return proof, nil
}

// recoverInvalid turns a panic inside ics23, which some malformed proofs
// cause, into ErrInvalidProof.
func recoverInvalid(err *error) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("%w: malformed proof: %v", ErrInvalidProof, r)
	}
}
