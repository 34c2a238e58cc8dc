package client

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"syscall"
	"time"

	rpctypes "github.com/cometbft/cometbft/rpc/jsonrpc/types"

	"github.com/tallyledger/tally/ledger"
)

// ErrUnreachable matches (errors.Is) every error caused by a node that
// cannot be reached: refused connections, unknown hosts, network timeouts.
var ErrUnreachable = errors.New("cannot reach node")

// ErrNotFound matches errors for things the node does not have: a
// transaction, block, account, asset or proposal.
var ErrNotFound = errors.New("not found")

// UnreachableError says which node could not be reached and why, in one
// line: "cannot reach node http://127.0.0.1:26657: connection refused".
type UnreachableError struct {
	URL    string
	Reason string
	Err    error
	// Role names what the address is for when it is not the node itself,
	// e.g. "witness".
	Role string
}

func (e *UnreachableError) Error() string {
	role := e.Role
	if role == "" {
		role = "node"
	}
	return fmt.Sprintf("cannot reach %s %s: %s", role, e.URL, e.Reason)
}

// Unwrap returns the transport error.
func (e *UnreachableError) Unwrap() error { return e.Err }

// Is matches ErrUnreachable.
func (e *UnreachableError) Is(target error) bool { return target == ErrUnreachable }

// NodeError is an error the node answered with (a JSON-RPC error), for
// example an unknown height or a mempool that is full.
type NodeError struct {
	URL     string
	Method  string
	Message string
}

func (e *NodeError) Error() string {
	return fmt.Sprintf("node %s: %s: %s", e.URL, e.Method, e.Message)
}

// TxError is a transaction the ledger refused: rejected by CheckTx before
// it reached a block (Height 0), or failed in a block (Height > 0; its
// nonce was still consumed). errors.Is matches the ledger's sentinels
// (errors.Is(err, ledger.ErrInsufficient)).
type TxError struct {
	Hash   string
	Height int64
	Code   ledger.Code
	Log    string
}

func (e *TxError) Error() string {
	reason := e.Log
	if name := e.Code.String(); !strings.HasPrefix(reason, name) {
		if reason == "" {
			reason = name
		} else {
			reason = name + ": " + reason
		}
	}
	if e.Height > 0 {
		return fmt.Sprintf("transaction %s failed in block %d: %s", e.Hash, e.Height, reason)
	}
	return fmt.Sprintf("transaction %s rejected: %s", e.Hash, reason)
}

// Unwrap returns the ledger error, so errors.Is matches on the code.
func (e *TxError) Unwrap() error { return &ledger.Error{Code: e.Code, Msg: e.Log} }

// TimeoutError is returned by WaitTx when the transaction did not reach a
// block in time.
type TimeoutError struct {
	Hash  string
	After time.Duration
}

func (e *TimeoutError) Error() string {
	return fmt.Sprintf("transaction %s is not in a block yet after %s (it may still commit)", e.Hash, roundWait(e.After))
}

// roundWait shows a wait: to the millisecond below a second, else to a
// tenth of a second.
func roundWait(d time.Duration) time.Duration {
	if d < time.Second {
		return d.Round(time.Millisecond)
	}
	return d.Round(100 * time.Millisecond)
}

// Is matches context.DeadlineExceeded.
func (e *TimeoutError) Is(target error) bool { return target == context.DeadlineExceeded }

// wrapErr turns a transport or JSON-RPC error from a call to nodeURL into
// an UnreachableError or NodeError with a one-line message.
func wrapErr(nodeURL, method string, err error) error {
	if err == nil {
		return nil
	}
	var ue *UnreachableError
	if errors.As(err, &ue) {
		return err
	}
	var rpcErr *rpctypes.RPCError
	if errors.As(err, &rpcErr) {
		msg := rpcErr.Data
		if msg == "" {
			msg = rpcErr.Message
		}
		return &NodeError{URL: nodeURL, Method: method, Message: msg}
	}
	if reason, ok := transportReason(err); ok {
		return &UnreachableError{URL: nodeURL, Reason: reason, Err: err}
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return err
	}
	return &NodeError{URL: nodeURL, Method: method, Message: err.Error()}
}

// transportReason names a network failure in a few words.
func transportReason(err error) (string, bool) {
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused", true
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset", true
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return "no route to host", true
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return "unknown host " + dnsErr.Name, true
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return "timed out", true
	}
	var opErr *net.OpError
	if errors.As(err, &opErr) {
		return opErr.Err.Error(), true
	}
	var urlErr *url.Error
	if errors.As(err, &urlErr) {
		if errors.Is(urlErr.Err, context.DeadlineExceeded) || errors.Is(urlErr.Err, context.Canceled) {
			return "", false
		}
		if strings.Contains(urlErr.Err.Error(), "EOF") {
			return "connection closed", true
		}
	}
	return "", false
}

// isNotFound reports whether a node error means "no such thing".
func isNotFound(err error) bool {
	var ne *NodeError
	if !errors.As(err, &ne) {
		return false
	}
	m := strings.ToLower(ne.Message)
	if strings.Contains(m, "method not found") {
		return false // the wrong server, not a missing thing
	}
	for _, phrase := range []string{"not found", "not registered", "does not exist", "must be less than or equal to"} {
		if strings.Contains(m, phrase) {
			return true
		}
	}
	return false
}

// kindError is an error whose message stands alone and which matches
// (errors.Is) one of the package's sentinel errors.
type kindError struct {
	msg  string
	kind error
}

func (e *kindError) Error() string { return e.msg }

// Is matches the sentinel.
func (e *kindError) Is(target error) bool { return target == e.kind }

// kindErrorf formats a message that errors.Is matches to kind.
func kindErrorf(kind error, format string, args ...any) error {
	return &kindError{msg: fmt.Sprintf(format, args...), kind: kind}
}
