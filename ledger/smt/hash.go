package smt

import (
	"crypto/sha256"
	"math/bits"
)

// Domain-separation prefixes of the two kinds of hashed node. They are the
// prefixes of ics23's SmtSpec, so the tree's proofs are ics23 proofs.
const (
	leafPrefix  = 0x00
	innerPrefix = 0x01
)

// maxDepth is the number of bits in a path: the deepest a leaf can sit.
const maxDepth = 256

// emptyHash is the hash of an empty subtree and the root of an empty tree.
var emptyHash [32]byte

// pathOf returns the path of key: the bits that lead from the root to its leaf.
func pathOf(key []byte) [32]byte {
	return sha256.Sum256(key)
}

// pathOfString is pathOf for a key held as a string, without copying it.
func pathOfString(key string) [32]byte {
	return sha256.Sum256([]byte(key))
}

// valueHashOf returns the hash under which a value is committed.
func valueHashOf(value []byte) [32]byte {
	return sha256.Sum256(value)
}

// leafHash returns SHA-256(0x00 || path || valueHash).
func leafHash(path, valueHash *[32]byte) [32]byte {
	var buf [65]byte
	buf[0] = leafPrefix
	copy(buf[1:33], path[:])
	copy(buf[33:], valueHash[:])
	return sha256.Sum256(buf[:])
}

// innerHash returns SHA-256(0x01 || left || right).
func innerHash(left, right *[32]byte) [32]byte {
	var buf [65]byte
	buf[0] = innerPrefix
	copy(buf[1:33], left[:])
	copy(buf[33:], right[:])
	return sha256.Sum256(buf[:])
}

// bitAt returns bit i of path, counting from the most significant bit of
// the first byte: 0 leads left, 1 leads right. Sorting paths as big-endian
// byte strings therefore lists leaves from left to right.
func bitAt(path *[32]byte, i int) int {
	return int(path[i>>3]>>(7-uint(i&7))) & 1
}

// firstDifferingBit returns the index of the first bit, at or after from, in
// which a and b differ, or maxDepth if they are equal from there on.
func firstDifferingBit(a, b *[32]byte, from int) int {
	for i := from >> 3; i < len(a); i++ {
		x := a[i] ^ b[i]
		if i == from>>3 {
			x &= 0xff >> uint(from&7)
		}
		if x != 0 {
			return i<<3 + bits.LeadingZeros8(x)
		}
	}
	return maxDepth
}
