package client

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/tallyledger/tally/crypto"
	"github.com/tallyledger/tally/ledger"
	"github.com/tallyledger/tally/wire"
)

// File types written in a transaction file's "type" field.
const (
	UnsignedTxType = "tally/unsigned-tx"
	SignedTxType   = "tally/signed-tx"
)

// ErrReplay matches a signed transaction that was already committed or
// whose nonce is already used.
var ErrReplay = errors.New("transaction cannot be replayed")

// ErrWrongChain matches a signed transaction broadcast to a node of
// another chain.
var ErrWrongChain = errors.New("transaction signed for another chain")

// UnsignedTx is the file `tally send --generate-only` writes and `tally tx
// sign` reads: who signs, for which chain, and the readable body. ChainID
// and Body.Nonce may be missing when it was generated with no node
// reachable; the signer supplies them.
type UnsignedTx struct {
	Type    string        `json:"type"`
	ChainID string        `json:"chain_id,omitempty"`
	Signer  string        `json:"signer"`
	Body    wire.BodyView `json:"body"`
}

// SignedTx is the file `tally tx sign` writes and `tally tx broadcast`
// reads. Tx (hex of the canonical transaction bytes) is what is broadcast;
// ChainID, Signer, Hash and Body repeat what it holds so a person can read
// it, and ReadSignedTx refuses a file where they disagree.
type SignedTx struct {
	Type    string        `json:"type"`
	ChainID string        `json:"chain_id"`
	Signer  string        `json:"signer"`
	Hash    string        `json:"hash"`
	Body    wire.BodyView `json:"body"`
	Tx      string        `json:"tx"`
}

// NewUnsignedTx describes body for signer. With nonceKnown false the
// body's nonce is left for the signer to fill.
func NewUnsignedTx(chainID string, signer crypto.Address, body ledger.Body, nonceKnown bool) *UnsignedTx {
	v := wire.ViewBody(body)
	if !nonceKnown {
		v.Nonce = nil
	}
	return &UnsignedTx{Type: UnsignedTxType, ChainID: chainID, Signer: signer.String(), Body: v}
}

// decodeStrict decodes one JSON document, refusing unknown fields.
func decodeStrict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("trailing data after the JSON document")
	}
	return nil
}

// fileType reads the "type" field of a transaction file.
func fileType(data []byte) (string, error) {
	var head struct {
		Type string `json:"type"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return "", fmt.Errorf("not a transaction file (JSON): %v", err)
	}
	return head.Type, nil
}

// ReadUnsignedTx parses an unsigned transaction file.
func ReadUnsignedTx(data []byte) (*UnsignedTx, error) {
	t, err := fileType(data)
	if err != nil {
		return nil, err
	}
	switch t {
	case UnsignedTxType:
	case SignedTxType:
		return nil, errors.New("the file holds a transaction that is already signed; submit it with `tally tx broadcast`")
	default:
		return nil, fmt.Errorf("not a transaction file: type %q, expected %q", t, UnsignedTxType)
	}
	var u UnsignedTx
	if err := decodeStrict(data, &u); err != nil {
		return nil, fmt.Errorf("bad unsigned transaction file: %v", err)
	}
	if _, err := crypto.ParseAddress(u.Signer); err != nil {
		return nil, fmt.Errorf("bad unsigned transaction file: signer: %v", err)
	}
	if _, err := u.Body.Body(); err != nil {
		return nil, fmt.Errorf("bad unsigned transaction file: body: %v", err)
	}
	return &u, nil
}

// Sign signs the transaction with key. chainID and nonce, when given,
// replace the file's; the file's are used otherwise, and signing fails if
// either is still unknown. The key must be the file's signer.
func (u *UnsignedTx) Sign(key *crypto.PrivKey, chainID string, nonce *uint64) (*SignedTx, error) {
	if chainID == "" {
		chainID = u.ChainID
	}
	if chainID == "" {
		return nil, errors.New("chain ID unknown: the file has none; pass --chain-id (the chain's ID, `tally status` shows it)")
	}
	if len(chainID) > ledger.MaxChainIDBytes {
		return nil, fmt.Errorf("chain ID %q is %d bytes, at most %d allowed", chainID, len(chainID), ledger.MaxChainIDBytes)
	}
	if addr := key.PubKey().Address().String(); u.Signer != "" && addr != u.Signer {
		return nil, fmt.Errorf("the transaction's signer is %s, but the key is %s", u.Signer, addr)
	}
	body, err := u.Body.Body()
	if err != nil {
		return nil, err
	}
	switch {
	case nonce != nil:
		body.Nonce = *nonce
	case u.Body.Nonce == nil:
		return nil, errors.New("nonce unknown: the file has none; pass --nonce N (the sender's next nonce, `tally query account` shows it)")
	}
	if err := body.ValidateBasic(); err != nil {
		return nil, fmt.Errorf("transaction is invalid: %v", err)
	}
	return NewSignedTxFile(chainID, ledger.NewSignedTx(chainID, body, key)), nil
}

// NewSignedTxFile describes a signed transaction.
func NewSignedTxFile(chainID string, tx *ledger.Tx) *SignedTx {
	b := tx.Encode()
	return &SignedTx{
		Type: SignedTxType, ChainID: chainID, Signer: tx.Sender().String(),
		Hash: ledger.TxHashString(b), Body: wire.ViewBody(tx.Body), Tx: strings.ToUpper(hex.EncodeToString(b)),
	}
}

// ReadSignedTx parses a signed transaction file and checks it: the tx
// bytes decode, the readable fields match them, and the signature verifies
// for the file's chain ID. It returns the transaction and its bytes.
func ReadSignedTx(data []byte) (*SignedTx, *ledger.Tx, []byte, error) {
	t, err := fileType(data)
	if err != nil {
		return nil, nil, nil, err
	}
	switch t {
	case SignedTxType:
	case UnsignedTxType:
		return nil, nil, nil, errors.New("the file holds an unsigned transaction; sign it first with `tally tx sign`")
	default:
		return nil, nil, nil, fmt.Errorf("not a transaction file: type %q, expected %q", t, SignedTxType)
	}
	var f SignedTx
	if err := decodeStrict(data, &f); err != nil {
		return nil, nil, nil, fmt.Errorf("bad signed transaction file: %v", err)
	}
	raw, err := hex.DecodeString(f.Tx)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("bad signed transaction file: tx is not hex: %v", err)
	}
	tx, err := ledger.DecodeTx(raw)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("bad signed transaction file: tx: %v", err)
	}
	want := NewSignedTxFile(f.ChainID, tx)
	switch {
	case !strings.EqualFold(f.Hash, want.Hash):
		return nil, nil, nil, fmt.Errorf("bad signed transaction file: hash %s does not match its tx bytes (%s)", f.Hash, want.Hash)
	case f.Signer != want.Signer:
		return nil, nil, nil, fmt.Errorf("bad signed transaction file: signer %s does not match its tx bytes (%s)", f.Signer, want.Signer)
	case !reflect.DeepEqual(f.Body, want.Body):
		return nil, nil, nil, errors.New("bad signed transaction file: its body was edited after signing and no longer matches the signed tx bytes")
	}
	if err := tx.VerifySignature(f.ChainID); err != nil {
		return nil, nil, nil, kindErrorf(ErrWrongChain, "signature does not verify for chain %q: the transaction was signed for another chain ID, or altered after signing", f.ChainID)
	}
	return &f, tx, raw, nil
}

// BroadcastSigned submits a signed transaction file after checking that it
// can still commit: the node's chain is the file's chain, the transaction
// is not already in a block, and its nonce is not used yet. With wait it
// then waits for the block, at most waitTimeout (DefaultWaitTimeout if 0).
func (c *Client) BroadcastSigned(ctx context.Context, f *SignedTx, tx *ledger.Tx, raw []byte, wait bool, waitTimeout time.Duration) (*Submitted, error) {
	chainID, err := c.ChainID(ctx)
	if err != nil {
		return nil, err
	}
	if chainID != f.ChainID {
		return nil, kindErrorf(ErrWrongChain, "transaction %s was signed for chain %q but node %s runs chain %q; the signature binds the chain ID, so it cannot be used there", f.Hash, f.ChainID, c.nodeURL, chainID)
	}
	if prev, err := c.Tx(ctx, f.Hash); err == nil {
		return nil, kindErrorf(ErrReplay, "transaction %s is already in block %d: a signed transaction commits only once (nonce %d is used)", prev.Hash, prev.Height, tx.Body.Nonce)
	} else if !errors.Is(err, ErrNotFound) {
		return nil, err
	}
	acct, err := c.Account(ctx, tx.Sender())
	if err != nil {
		return nil, err
	}
	if tx.Body.Nonce < acct.Nonce {
		return nil, kindErrorf(ErrReplay, "nonce %d of %s is already used (its next nonce is %d): the signed transaction cannot be replayed; sign a new one", tx.Body.Nonce, f.Signer, acct.Nonce)
	}
	out := &Submitted{Nonce: tx.Body.Nonce, ChainID: chainID}
	out.Hash, err = c.BroadcastSync(ctx, raw)
	if err != nil || !wait {
		return out, err
	}
	out.Result, err = c.waitFor(ctx, out.Hash, waitTimeout)
	return out, err
}
