//go:build libsecp256k1 && cgo

package crypto

/*
#cgo pkg-config: libsecp256k1
#cgo noescape tally_secp256k1_parse
#cgo nocallback tally_secp256k1_parse
#cgo noescape tally_secp256k1_verify
#cgo nocallback tally_secp256k1_verify
#include <secp256k1.h>

// Both use the library's static context: parsing and verifying need no
// randomisation or precomputation of their own.

static int tally_secp256k1_parse(secp256k1_pubkey *out, const unsigned char *in33) {
	return secp256k1_ec_pubkey_parse(secp256k1_context_static, out, in33, 33);
}

// One call into C per signature: parse_compact refuses r or s >= N (which
// the Go side has refused already), verify refuses r or s zero and high S.
static int tally_secp256k1_verify(const secp256k1_pubkey *pub, const unsigned char *hash32, const unsigned char *sig64) {
	secp256k1_ecdsa_signature sig;
	if (!secp256k1_ecdsa_signature_parse_compact(secp256k1_context_static, &sig, sig64)) {
		return 0;
	}
	return secp256k1_ecdsa_verify(secp256k1_context_static, &sig, hash32, pub);
}
*/
import "C"

import "sync"

// VerifierBackend names the library that verifies signatures in this
// build: libsecp256k1 through cgo, since the binary was built with
// `-tags libsecp256k1`.
const VerifierBackend = "libsecp256k1"

type backendKey = nativeKey

func parseBackendKey(dst *backendKey, b *[PubKeySize]byte) bool { return parseNative(dst, b) }

// nativeKey is a public key parsed by libsecp256k1: its 64-byte opaque
// form, which the library allows to be copied and moved, so it lives in Go
// memory.
type nativeKey struct {
	pub C.secp256k1_pubkey
}

// useTables does nothing: fixed-base tables are for the btcec backend.
func (k *nativeKey) useTables(*tableCache) {}

// selfTest runs the library's check of its build (endianness and the like)
// once, before its static context is first used, as its header asks.
var selfTest sync.Once

// parseNative decompresses a 33-byte compressed key whose prefix has been
// checked; false if x is not below the field prime or has no y on the
// curve.
func parseNative(dst *nativeKey, b *[PubKeySize]byte) bool {
	selfTest.Do(func() { C.secp256k1_selftest() })
	return C.tally_secp256k1_parse(&dst.pub, (*C.uchar)(&b[0])) == 1
}

// verifyHash is ECDSA verification of (r, s) over hash; unlike btcec's it
// refuses r or s >= N and a high S, which the caller has refused first.
func (k *nativeKey) verifyHash(hash *[32]byte, sig *[SignatureSize]byte) bool {
	return C.tally_secp256k1_verify(&k.pub, (*C.uchar)(&hash[0]), (*C.uchar)(&sig[0])) == 1
}
