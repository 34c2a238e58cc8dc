package ledger

import (
	"crypto/sha256"
	"errors"
	"math"
	"strconv"

	"github.com/tallyledger/tally/crypto"
)

// execEnv is what a block tells the transactions it executes.
type execEnv struct {
	height uint64
	// signers are the CometBFT addresses that signed the last commit; when
	// signersKnown is false (CheckTx, proposal checks) the validator-change
	// check only looks at the new set itself.
	signers      map[[20]byte]bool
	signersKnown bool
	// signersRead records that a transaction's outcome looked at the
	// signers (a validator-set change), so that a proposal's pass, run
	// without them, is not reused for the decided block.
	signersRead bool
	// events says whether the pass keeps the transactions' events (a
	// block's execution and the proposal check whose results it reuses).
	// CheckTx and proposal building only need the codes, so they skip
	// building events (bech32 addresses, formatted numbers): results
	// differ only in their Events, which those callers drop.
	events bool
}

func newExecEnv(b BlockInfo, signersKnown, events bool) *execEnv {
	env := &execEnv{height: uint64(b.Height), signersKnown: signersKnown, events: events, signers: map[[20]byte]bool{}}
	for _, s := range b.Signers {
		if len(s) == 20 {
			env.signers[[20]byte(s)] = true
		}
	}
	return env
}

// txContext is one authenticated transaction executing on its own overlay.
type txContext struct {
	env     *execEnv
	st      *overlay
	sender  crypto.Address
	events  []Event
	touched []crypto.Address
}

// touch records an account the transaction involves, for the account
// event that makes an account's history searchable.
func (c *txContext) touch(a crypto.Address) {
	for _, t := range c.touched {
		if t == a {
			return
		}
	}
	c.touched = append(c.touched, a)
}

// emit adds an event with the given key/value attribute pairs. Callers
// whose attributes cost something to build check c.env.events first.
func (c *txContext) emit(typ string, kv ...string) {
	if c.env.events {
		c.events = append(c.events, newEvent(typ, kv...))
	}
}

func newEvent(typ string, kv ...string) Event {
	ev := Event{Type: typ, Attributes: make([]Attribute, 0, len(kv)/2)}
	for i := 0; i+1 < len(kv); i += 2 {
		ev.Attributes = append(ev.Attributes, Attribute{Key: kv[i], Value: kv[i+1]})
	}
	return ev
}

func u64(n uint64) string { return strconv.FormatUint(n, 10) }

// msgHandler executes one message type. It returns an *Error for a
// rejection (the transaction fails, its nonce is still consumed) or any
// other error for a storage failure.
type msgHandler func(c *txContext, m *Msg) error

// handlerFor is the plug-in point for message types: a new Msg field gets a
// case here and a handler in handlers.go or governance.go.
func handlerFor(m *Msg) msgHandler {
	switch m.Type() {
	case "transfer":
		return execTransfer
	case "mint":
		return execMint
	case "burn":
		return execBurn
	case "propose":
		return execPropose
	case "vote":
		return execVote
	}
	return nil
}

// authenticate checks what makes a transaction the sender's own and
// current: the signature (checked before, in sigErr), a registered sender,
// the nonce and the expiry. An unauthenticated transaction changes nothing.
func authenticate(r Reader, env *execEnv, d *decodedTx) (*Account, error) {
	if d.decodeErr != nil {
		return nil, d.decodeErr
	}
	if d.sigErr != nil {
		return nil, asError(CodeBadSignature, d.sigErr)
	}
	sender := d.sender
	acct, err := getAccount(r, sender)
	if err != nil {
		return nil, err
	}
	if acct == nil {
		return nil, unknownAccount("sender", sender)
	}
	if n := d.tx.Body.Nonce; n != acct.Nonce {
		if n < acct.Nonce {
			return nil, Errorf(CodeBadNonce, "nonce %d used, account expects %d", n, acct.Nonce)
		}
		return nil, Errorf(CodeBadNonce, "nonce %d is ahead, account expects %d", n, acct.Nonce)
	}
	if acct.Nonce == math.MaxUint64 {
		return nil, Errorf(CodeBadNonce, "account %s has used every nonce", sender)
	}
	if e := d.tx.Body.Expiry; e != 0 && env.height > e {
		return nil, Errorf(CodeExpired, "transaction expired at height %d, block height is %d", e, env.height)
	}
	return acct, nil
}

func asError(code Code, err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return Errorf(code, "%v", err)
}

// runTx executes one decoded transaction on parent. An authenticated
// transaction always consumes its nonce; its other effects apply only if it
// succeeds. The returned error is a storage failure, never a rejection.
func runTx(parent *overlay, env *execEnv, d *decodedTx) (TxResult, error) {
	acct, err := authenticate(parent, env, d)
	if err != nil {
		return rejection(err, nil)
	}
	typ := d.tx.Body.Msg.Type()
	c := &txContext{env: env, st: newOverlay(parent), sender: acct.Address}
	c.touch(acct.Address)
	bumped := *acct
	bumped.Nonce++
	putAccount(c.st, &bumped)

	err = execMsg(c, &d.tx.Body.Msg, &bumped)
	if err != nil {
		var e *Error
		if !errors.As(err, &e) {
			return TxResult{}, err
		}
		putAccount(parent, &bumped) // the nonce is consumed all the same
		if !env.events {
			return rejection(e, nil)
		}
		return rejection(e, []Event{
			newEvent("tx_type", "type", typ),
			newEvent("account", "address", acct.Address.String()),
		})
	}
	c.st.mergeInto(parent)
	if !env.events {
		return TxResult{Code: CodeOK}, nil
	}
	events := make([]Event, 0, 2+len(c.events)+len(c.touched))
	events = append(events, newEvent("tx_type", "type", typ))
	events = append(events, c.events...)
	for _, a := range c.touched {
		events = append(events, newEvent("account", "address", a.String()))
	}
	return TxResult{Code: CodeOK, Events: events}, nil
}

// rejection turns a rejection into a result; a storage failure stays an
// error.
func rejection(err error, events []Event) (TxResult, error) {
	var e *Error
	if !errors.As(err, &e) {
		return TxResult{}, err
	}
	return TxResult{Code: e.Code, Log: e.Msg, Events: events}, nil
}

// execMsg applies the rules every message shares, then the message's own.
func execMsg(c *txContext, m *Msg, sender *Account) error {
	if sender.Frozen {
		return Errorf(CodeFrozen, "account %s is frozen (%s): it cannot send transactions until unfrozen", sender.Address, reasonOrNone(sender.FrozenReason))
	}
	h := handlerFor(m)
	if h == nil {
		return Errorf(CodeMalformed, "transaction must carry exactly one message")
	}
	return h(c, m)
}

func reasonOrNone(r string) string {
	if r == "" {
		return "no reason given"
	}
	return "reason: " + r
}

// Shared lookups with rejection messages.

func requireAccount(r Reader, a crypto.Address, role string) (*Account, error) {
	acct, err := getAccount(r, a)
	if err != nil {
		return nil, err
	}
	if acct == nil {
		return nil, unknownAccount(role, a)
	}
	return acct, nil
}

// unknownAccount is the refusal of an address that is not a registered
// account, in the given role (sender, recipient...).
func unknownAccount(role string, a crypto.Address) *Error {
	return Errorf(CodeUnknownAccount, "%s %s is not a registered account", role, a)
}

func requireAsset(r Reader, symbol string) (*Asset, error) {
	asset, err := getAsset(r, symbol)
	if err != nil {
		return nil, err
	}
	if asset == nil {
		return nil, Errorf(CodeUnknownAsset, "asset %s does not exist", symbol)
	}
	return asset, nil
}

// requireRecipient checks that a can receive: registered, and not frozen
// when the chain's params make frozen accounts unable to receive.
func requireRecipient(r Reader, a crypto.Address) (*Account, error) {
	acct, err := requireAccount(r, a, "recipient")
	if err != nil {
		return nil, err
	}
	if acct.Frozen {
		p, err := getParams(r)
		if err != nil {
			return nil, err
		}
		if p.FreezeBlocksReceive {
			return nil, Errorf(CodeFrozen, "recipient %s is frozen (%s) and frozen accounts cannot receive on this chain", a, reasonOrNone(acct.FrozenReason))
		}
	}
	return acct, nil
}

// CometBFTAddress is the 20-byte address CometBFT gives an ed25519
// validator key: the first 20 bytes of SHA-256 of the key.
func CometBFTAddress(pubKey []byte) [20]byte {
	h := sha256.Sum256(pubKey)
	return [20]byte(h[:20])
}
