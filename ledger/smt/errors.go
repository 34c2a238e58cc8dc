package smt

import "errors"

// Errors returned by the tree. Callers compare with errors.Is; the returned
// errors wrap these with the key or hash involved.
var (
	// ErrEmptyKey: keys are never empty.
	ErrEmptyKey = errors.New("smt: empty key")
	// ErrEmptyValue: values are never empty; an absent key is deleted instead.
	ErrEmptyValue = errors.New("smt: empty value")
	// ErrDuplicateKey: Build was given the same key twice.
	ErrDuplicateKey = errors.New("smt: duplicate key")
	// ErrPathCollision: two different keys have the same SHA-256 path.
	ErrPathCollision = errors.New("smt: two keys share one path")
	// ErrKeyNotFound: a proof of existence was asked for an absent key.
	ErrKeyNotFound = errors.New("smt: key not found")
	// ErrKeyExists: a proof of absence was asked for a present key.
	ErrKeyExists = errors.New("smt: key exists")
	// ErrValueMismatch: a value does not hash to the value hash in the tree.
	ErrValueMismatch = errors.New("smt: value does not match the tree")
	// ErrInvalidProof: a proof does not prove the claim against the root.
	ErrInvalidProof = errors.New("smt: invalid proof")
)
