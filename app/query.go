package app

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/tallyledger/tally/crypto"
	"github.com/tallyledger/tally/ledger"
	"github.com/tallyledger/tally/wire"
	"github.com/tallyledger/tally/wire/proofop"
)

// Query result codes (Codespace "tally"). They are not part of consensus;
// they tell a client why a query gave no answer.
const (
	QueryCodeUnknownPath     uint32 = 100                    // no such query path
	QueryCodeBadRequest      uint32 = 101                    // malformed address, key or node ID
	QueryCodeNotFound        uint32 = wire.QueryCodeNotFound // no such account or transaction
	QueryCodeNodeNotAllowed  uint32 = 103                    // /p2p/filter/id: the node is not in the allowed list
	QueryCodeHeightNotServed uint32 = 104                    // only the latest committed state is served
	QueryCodeInternal        uint32 = 199                    // the ledger could not be read
)

// Query answers from the last committed state (never a block being
// executed). Paths: /store (Data = raw state key, prove for a proof),
// /account/<tally1...>, /p2p/filter/addr/<ip:port>, /p2p/filter/id/<id>.
func (a *App) Query(_ context.Context, req *abci.RequestQuery) (*abci.ResponseQuery, error) {
	v := a.ledger.View()
	path := req.Path
	switch {
	case path == wire.QueryPathStore:
		return a.queryStore(v, req), nil
	case strings.HasPrefix(path, wire.QueryPathAccount):
		return a.queryAccount(v, req, strings.TrimPrefix(path, wire.QueryPathAccount)), nil
	case strings.HasPrefix(path, wire.QueryPathFilterAddr):
		// Peers are admitted by node ID (checked after the handshake, when
		// the ID is authenticated); an address says nothing reliable.
		return &abci.ResponseQuery{Code: abci.CodeTypeOK, Log: "addresses are not filtered; node IDs are", Height: v.Height()}, nil
	case strings.HasPrefix(path, wire.QueryPathFilterID):
		return a.queryFilterID(v, strings.TrimPrefix(path, wire.QueryPathFilterID)), nil
	case strings.HasPrefix(path, wire.QueryPathTx):
		return a.queryTx(v, req, strings.TrimPrefix(path, wire.QueryPathTx)), nil
	case strings.HasPrefix(path, wire.QueryPathHistory):
		return a.queryHistory(v, req, strings.TrimPrefix(path, wire.QueryPathHistory)), nil
	default:
		return queryError(QueryCodeUnknownPath, v.Height(),
			"unknown query path %q; expected /store, /account/<address>, /tx/<hash>, /history/<address>/<page>/<per page>, /p2p/filter/addr/<addr> or /p2p/filter/id/<id>", path), nil
	}
}

func queryError(code uint32, height int64, format string, args ...any) *abci.ResponseQuery {
	return &abci.ResponseQuery{Code: code, Codespace: Codespace, Log: fmt.Sprintf(format, args...), Height: height}
}

// checkHeight refuses a request for a height other than the committed one:
// the ledger keeps only its latest state.
func checkHeight(v *ledger.View, req *abci.RequestQuery) *abci.ResponseQuery {
	if req.Height != 0 && req.Height != v.Height() {
		return queryError(QueryCodeHeightNotServed, v.Height(),
			"state at height %d is not kept; only the latest committed height %d can be queried (use height 0)", req.Height, v.Height())
	}
	return nil
}

func (a *App) queryStore(v *ledger.View, req *abci.RequestQuery) *abci.ResponseQuery {
	if r := checkHeight(v, req); r != nil {
		return r
	}
	key, err := storeKey(req.Data)
	if err != nil {
		return queryError(QueryCodeBadRequest, v.Height(), "%v", err)
	}
	res := &abci.ResponseQuery{Code: abci.CodeTypeOK, Key: req.Data, Height: v.Height()}
	if !req.Prove {
		val, err := v.Get(key)
		if err != nil {
			return queryError(QueryCodeInternal, v.Height(), "read %q: %v", key, err)
		}
		res.Value = val
		if val == nil {
			res.Log = "absent"
		}
		return res
	}
	val, proof, err := v.Prove(key)
	if err != nil {
		return queryError(QueryCodeInternal, v.Height(), "prove %q: %v", key, err)
	}
	var op *proofop.Operator
	if val == nil {
		op, err = proofop.NewAbsenceOp(key, proof)
		res.Log = "absent"
	} else {
		op, err = proofop.NewExistenceOp(key, proof)
	}
	if err != nil {
		return queryError(QueryCodeInternal, v.Height(), "prove %q: %v", key, err)
	}
	res.Value = val
	res.ProofOps = op.ProofOps()
	return res
}

// keyPathPrefix starts a key written as a CometBFT key path (proofop.KeyPath).
const keyPathPrefix = "/x:"

// storeKey reads the key of a /store query: a raw state key ("/acct:...")
// or its key-path form ("/x:<hex>", proofop.KeyPath), which CometBFT's light
// client needs as the response key to check absence proofs.
func storeKey(data []byte) ([]byte, error) {
	key := data
	if bytes.HasPrefix(data, []byte(keyPathPrefix)) {
		k, err := proofop.KeyFromPath(string(data))
		if err != nil {
			return nil, err
		}
		key = k
	}
	if !ledger.IsStateKey(key) {
		return nil, fmt.Errorf("key %q is not a state key (state keys start with %q)", key, ledger.StatePrefix)
	}
	return key, nil
}

func (a *App) queryAccount(v *ledger.View, req *abci.RequestQuery, addrStr string) *abci.ResponseQuery {
	if r := checkHeight(v, req); r != nil {
		return r
	}
	addr, err := crypto.ParseAddress(addrStr)
	if err != nil {
		return queryError(QueryCodeBadRequest, v.Height(), "%v", err)
	}
	info, err := accountInfo(v, a.ledger, addr)
	if err != nil {
		return queryError(QueryCodeInternal, v.Height(), "read account %s: %v", addr, err)
	}
	if info == nil {
		return queryError(QueryCodeNotFound, v.Height(), "account %s is not registered", addr)
	}
	b, err := json.Marshal(info)
	if err != nil {
		return queryError(QueryCodeInternal, v.Height(), "encode account %s: %v", addr, err)
	}
	return &abci.ResponseQuery{Code: abci.CodeTypeOK, Key: ledger.AccountKey(addr), Value: b, Height: v.Height()}
}

func (a *App) queryTx(v *ledger.View, req *abci.RequestQuery, hashHex string) *abci.ResponseQuery {
	if r := checkHeight(v, req); r != nil {
		return r
	}
	hash, err := hex.DecodeString(hashHex)
	if err != nil || len(hash) != 32 {
		return queryError(QueryCodeBadRequest, v.Height(), "transaction hash %q: expected 64 hex digits", hashHex)
	}
	res, err := lookupTx(v, hash)
	switch {
	case errors.Is(err, errTxNotFound):
		return queryError(QueryCodeNotFound, v.Height(), "%v", err)
	case err != nil:
		return queryError(QueryCodeInternal, v.Height(), "%v", err)
	}
	return jsonAnswer(v, res)
}

func (a *App) queryHistory(v *ledger.View, req *abci.RequestQuery, rest string) *abci.ResponseQuery {
	if r := checkHeight(v, req); r != nil {
		return r
	}
	parts := strings.Split(rest, "/")
	if len(parts) != 3 {
		return queryError(QueryCodeBadRequest, v.Height(), "history path %q: expected <address>/<page>/<per page>", rest)
	}
	addr, err := crypto.ParseAddress(parts[0])
	if err != nil {
		return queryError(QueryCodeBadRequest, v.Height(), "%v", err)
	}
	page, err1 := strconv.ParseUint(parts[1], 10, 64)
	perPage, err2 := strconv.ParseUint(parts[2], 10, 64)
	if err1 != nil || err2 != nil {
		return queryError(QueryCodeBadRequest, v.Height(), "history path %q: page and per page must be non-negative integers", rest)
	}
	res, err := historyPage(v, addr, page, perPage)
	if err != nil {
		return queryError(QueryCodeBadRequest, v.Height(), "%v", err)
	}
	return jsonAnswer(v, res)
}

func jsonAnswer(v *ledger.View, res any) *abci.ResponseQuery {
	b, err := json.Marshal(res)
	if err != nil {
		return queryError(QueryCodeInternal, v.Height(), "encode answer: %v", err)
	}
	return &abci.ResponseQuery{Code: abci.CodeTypeOK, Value: b, Height: v.Height()}
}

func (a *App) queryFilterID(v *ledger.View, id string) *abci.ResponseQuery {
	if err := ledger.ValidateNodeID(id); err != nil {
		return queryError(QueryCodeBadRequest, v.Height(), "%v", err)
	}
	allowed, err := a.nodeAllowed(v, id)
	if err != nil {
		return queryError(QueryCodeInternal, v.Height(), "read allowed nodes: %v", err)
	}
	if !allowed {
		return queryError(QueryCodeNodeNotAllowed, v.Height(), "node %s is not in the ledger's allowed node list", id)
	}
	return &abci.ResponseQuery{Code: abci.CodeTypeOK, Log: "node allowed", Height: v.Height()}
}

// nodeAllowed answers from the genesis list until the first block is
// committed, then from the committed state.
func (a *App) nodeAllowed(v *ledger.View, id string) (bool, error) {
	a.mu.Lock()
	gen := a.genesisNodes
	a.mu.Unlock()
	if gen != nil && v.Height() == 0 {
		return gen[id], nil
	}
	return v.NodeAllowed(id)
}

// allowedNodes lists the allowed node IDs the peer filter uses.
func (a *App) allowedNodes(v *ledger.View) ([]string, error) {
	a.mu.Lock()
	gen := a.genesisNodes
	a.mu.Unlock()
	if gen != nil && v.Height() == 0 {
		ids := make([]string, 0, len(gen))
		for id := range gen {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		return ids, nil
	}
	return v.AllowedNodes()
}
