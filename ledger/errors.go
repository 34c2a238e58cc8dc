package ledger

import (
	"errors"
	"fmt"
)

// Code is a stable numeric result code. Codes are part of the protocol: they
// are returned by CheckTx and FinalizeBlock and recorded in blocks, so a
// code's number never changes meaning.
type Code uint32

// Result codes. 0 is success.
const (
	CodeOK              Code = 0
	CodeMalformed       Code = 1  // undecodable or non-canonical bytes, bad field shape
	CodeBadSignature    Code = 2  // signature or public key invalid
	CodeWrongChain      Code = 3  // reserved: a signature for another chain fails as CodeBadSignature
	CodeBadNonce        Code = 4  // nonce differs from the account's next nonce
	CodeExpired         Code = 5  // expiry height passed
	CodeUnknownAccount  Code = 6  // sender or recipient not registered
	CodeInsufficient    Code = 7  // balance too low
	CodeOverflow        Code = 8  // an amount or supply would exceed 2^64-1
	CodeUnknownAsset    Code = 9  // asset does not exist
	CodeUnauthorized    Code = 10 // sender lacks the role for this action
	CodeFrozen          Code = 11 // account is frozen
	CodeAssetPaused     Code = 12 // asset is paused
	CodeInvalidAmount   Code = 13 // zero amount, bad symbol...
	CodeUnknownProposal Code = 14 // proposal does not exist
	CodeProposalClosed  Code = 15 // proposal executed, rejected or expired
	CodeAlreadyVoted    Code = 16 // admin already voted on the proposal
	CodeUnsafeChange    Code = 17 // governance change would break safety (validator power, admin set, threshold)
	CodeConflict        Code = 18 // state already as requested (account exists, asset exists...)
	CodeTooManyPending  Code = 19 // CheckTx only: the sender has too many transactions waiting in the mempool
	CodeSelfTransfer    Code = 20 // a transfer to the sender itself
	CodeMempoolFull     Code = 21 // CheckTx only: the node's mempool has no room; retry after the next block
	CodeInternal        Code = 99 // storage failure; never caused by the transaction
)

var codeNames = map[Code]string{
	CodeOK: "ok", CodeMalformed: "malformed", CodeBadSignature: "bad_signature",
	CodeWrongChain: "wrong_chain", CodeBadNonce: "bad_nonce", CodeExpired: "expired",
	CodeUnknownAccount: "unknown_account", CodeInsufficient: "insufficient_funds",
	CodeOverflow: "overflow", CodeUnknownAsset: "unknown_asset",
	CodeUnauthorized: "unauthorized", CodeFrozen: "frozen", CodeAssetPaused: "asset_paused",
	CodeInvalidAmount: "invalid_amount", CodeUnknownProposal: "unknown_proposal",
	CodeProposalClosed: "proposal_closed", CodeAlreadyVoted: "already_voted",
	CodeUnsafeChange: "unsafe_change", CodeConflict: "conflict", CodeTooManyPending: "too_many_pending",
	CodeSelfTransfer: "self_transfer", CodeMempoolFull: "mempool_full", CodeInternal: "internal",
}

// String returns the code's stable name.
func (c Code) String() string {
	if n, ok := codeNames[c]; ok {
		return n
	}
	return fmt.Sprintf("code_%d", uint32(c))
}

// Error is a ledger rejection: a stable code and a message that says what
// was wrong and what was expected ("nonce 7 used, account expects 9").
type Error struct {
	Code Code
	Msg  string
}

func (e *Error) Error() string { return e.Code.String() + ": " + e.Msg }

// Is makes errors.Is match on the code, so callers can test
// errors.Is(err, ledger.ErrBadNonce).
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code && t.Msg == ""
}

// Errorf makes an Error with a formatted message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Msg: fmt.Sprintf(format, args...)}
}

// Sentinels for errors.Is; they carry a code and no message.
var (
	ErrMalformed       = &Error{Code: CodeMalformed}
	ErrBadSignature    = &Error{Code: CodeBadSignature}
	ErrBadNonce        = &Error{Code: CodeBadNonce}
	ErrExpired         = &Error{Code: CodeExpired}
	ErrUnknownAccount  = &Error{Code: CodeUnknownAccount}
	ErrInsufficient    = &Error{Code: CodeInsufficient}
	ErrOverflow        = &Error{Code: CodeOverflow}
	ErrUnknownAsset    = &Error{Code: CodeUnknownAsset}
	ErrUnauthorized    = &Error{Code: CodeUnauthorized}
	ErrFrozen          = &Error{Code: CodeFrozen}
	ErrAssetPaused     = &Error{Code: CodeAssetPaused}
	ErrInvalidAmount   = &Error{Code: CodeInvalidAmount}
	ErrUnknownProposal = &Error{Code: CodeUnknownProposal}
	ErrProposalClosed  = &Error{Code: CodeProposalClosed}
	ErrAlreadyVoted    = &Error{Code: CodeAlreadyVoted}
	ErrUnsafeChange    = &Error{Code: CodeUnsafeChange}
	ErrConflict        = &Error{Code: CodeConflict}
	ErrTooManyPending  = &Error{Code: CodeTooManyPending}
	ErrSelfTransfer    = &Error{Code: CodeSelfTransfer}
	ErrInternal        = &Error{Code: CodeInternal}
)

// CodeOf returns the code of err: CodeOK for nil, the Error's code, or
// CodeInternal for any other error.
func CodeOf(err error) Code {
	if err == nil {
		return CodeOK
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
}
