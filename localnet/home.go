package localnet

import (
	"fmt"
	"os"

	cmtcfg "github.com/cometbft/cometbft/config"
	cmtcrypto "github.com/cometbft/cometbft/crypto"
	cmtjson "github.com/cometbft/cometbft/libs/json"
	"github.com/cometbft/cometbft/p2p"
	"github.com/cometbft/cometbft/privval"
)

// NodeIdentity is the public identity of a node home: its p2p node ID and
// its validator consensus key.
type NodeIdentity struct {
	NodeID          string
	ValidatorPubKey cmtcrypto.PubKey
}

// ReadIdentity reads the node key and the validator key file named by c
// (CometBFT's configuration of a home). Unlike CometBFT's own loaders it
// returns errors instead of exiting the process.
func ReadIdentity(c *cmtcfg.Config) (NodeIdentity, error) {
	nk, err := p2p.LoadNodeKey(c.NodeKeyFile())
	if err != nil {
		return NodeIdentity{}, fmt.Errorf("read node key %s: %w", c.NodeKeyFile(), err)
	}
	pub, err := ReadValidatorPubKey(c.PrivValidatorKeyFile())
	if err != nil {
		return NodeIdentity{}, err
	}
	return NodeIdentity{NodeID: string(nk.ID()), ValidatorPubKey: pub}, nil
}

// ReadValidatorPubKey reads the public key from a CometBFT
// priv_validator_key.json file.
func ReadValidatorPubKey(path string) (cmtcrypto.PubKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read validator key: %w", err)
	}
	var k privval.FilePVKey
	if err := cmtjson.Unmarshal(b, &k); err != nil {
		return nil, fmt.Errorf("read validator key %s: %v", path, err)
	}
	if k.PrivKey == nil {
		return nil, fmt.Errorf("read validator key %s: no priv_key", path)
	}
	return k.PrivKey.PubKey(), nil
}
