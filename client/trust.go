package client

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"

	cmtjson "github.com/cometbft/cometbft/libs/json"
	cmttypes "github.com/cometbft/cometbft/types"
)

// TrustRoot is what a wallet pins about a chain the first time it verifies
// a read (as ssh pins a host key in known_hosts): its chain ID, the hash of
// its genesis document and the hash of its first block's header. Every
// later verified read starts from this root, and a node whose chain does
// not match it is refused, so a lying node can only fool a wallet that
// never talked to the real chain before.
type TrustRoot struct {
	ChainID     string `json:"chain_id"`
	GenesisHash string `json:"genesis_hash"` // GenesisHash, upper-case hex
	// Header1Hash is the hash of the header at the chain's initial
	// height; empty in a pin written before the chain had a block (a
	// localnet's), filled in at the first verified read.
	Header1Height int64  `json:"header1_height,omitempty"`
	Header1Hash   string `json:"header1_hash,omitempty"`
}

// String names the root in one line.
func (r *TrustRoot) String() string {
	h := r.Header1Hash
	if h == "" {
		h = "(not pinned yet)"
	}
	return fmt.Sprintf("chain %s, genesis %s, header %d %s", r.ChainID, r.GenesisHash, r.Header1Height, h)
}

// validate checks the shape of a pinned root.
func (r *TrustRoot) validate() error {
	if r.ChainID == "" {
		return fmt.Errorf("trust root: chain_id is empty")
	}
	for name, h := range map[string]string{"genesis_hash": r.GenesisHash, "header1_hash": r.Header1Hash} {
		if h == "" && name == "header1_hash" {
			continue
		}
		if b, err := hex.DecodeString(h); err != nil || len(b) != 32 {
			return fmt.Errorf("trust root: %s %q is not 64 hex digits", name, h)
		}
	}
	if (r.Header1Hash == "") != (r.Header1Height == 0) {
		return fmt.Errorf("trust root: header1_height and header1_hash go together")
	}
	return nil
}

// GenesisHash is SHA-256 of the genesis document in CometBFT's JSON
// encoding with its app_state compacted: the same for the file an
// operator holds and for the document a node serves at /genesis.
func GenesisHash(doc *cmttypes.GenesisDoc) ([]byte, error) {
	d := *doc
	if len(d.AppState) > 0 {
		var buf bytes.Buffer
		if err := json.Compact(&buf, d.AppState); err != nil {
			return nil, fmt.Errorf("genesis app_state: %v", err)
		}
		d.AppState = buf.Bytes()
	}
	b, err := cmtjson.Marshal(&d)
	if err != nil {
		return nil, fmt.Errorf("encode genesis: %v", err)
	}
	h := sha256.Sum256(b)
	return h[:], nil
}

// GenesisTrustRoot is the root of a chain known only by its genesis (no
// block yet): chain ID and genesis hash.
func GenesisTrustRoot(doc *cmttypes.GenesisDoc) (*TrustRoot, error) {
	h, err := GenesisHash(doc)
	if err != nil {
		return nil, err
	}
	return &TrustRoot{ChainID: doc.ChainID, GenesisHash: strings.ToUpper(hex.EncodeToString(h))}, nil
}

// NodeTrustRoot asks the node for its chain's root: its genesis and the
// header at the initial height.
func (c *Client) NodeTrustRoot(ctx context.Context) (*TrustRoot, error) {
	g, err := c.rpc.Genesis(ctx)
	if err != nil {
		return nil, wrapErr(c.nodeURL, "genesis", err)
	}
	root, err := GenesisTrustRoot(g.Genesis)
	if err != nil {
		return nil, fmt.Errorf("node %s: %v", c.nodeURL, err)
	}
	h := g.Genesis.InitialHeight
	if h < 1 {
		h = 1
	}
	first, err := c.commit(ctx, h)
	if err != nil {
		return nil, fmt.Errorf("fetch the chain's first header: %w", err)
	}
	root.Header1Height, root.Header1Hash = h, first.Hash().String()
	return root, nil
}

// checkTrustRoot compares the node's root with the pinned one: the chain
// ID and genesis hash always, the first header's hash once pinned.
func checkTrustRoot(pinned, node *TrustRoot, nodeURL string) error {
	mismatch := func(what, want, got string) error {
		return fmt.Errorf("node %s does not match the pinned trust root: %s %s, pinned %s (a different chain, or a lying node; if the chain was really replaced, remove \"trust\" from the wallet's config.json)",
			nodeURL, what, got, want)
	}
	switch {
	case node.ChainID != pinned.ChainID:
		return mismatch("chain ID", pinned.ChainID, node.ChainID)
	case node.GenesisHash != pinned.GenesisHash:
		return mismatch("genesis hash", pinned.GenesisHash, node.GenesisHash)
	case pinned.Header1Hash != "" && (node.Header1Hash != pinned.Header1Hash || node.Header1Height != pinned.Header1Height):
		return mismatch(fmt.Sprintf("header %d", node.Header1Height), pinned.Header1Hash, node.Header1Hash)
	}
	return nil
}
