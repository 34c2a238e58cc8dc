package app

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
// (CometBFT's configuration of a home, from LoadConfig). Unlike CometBFT's
// own loaders it returns errors instead of exiting the process.
func ReadIdentity(c *cmtcfg.Config) (NodeIdentity, error) {
	nk, err := p2p.LoadNodeKey(c.NodeKeyFile())
	if err != nil {
		return NodeIdentity{}, fmt.Errorf("read node key %s: %w", c.NodeKeyFile(), err)
	}
	key, err := readPrivValidatorKey(c.PrivValidatorKeyFile())
	if err != nil {
		return NodeIdentity{}, err
	}
	return NodeIdentity{NodeID: string(nk.ID()), ValidatorPubKey: key.PrivKey.PubKey()}, nil
}

// readPrivValidatorKey reads a CometBFT priv_validator_key.json file.
func readPrivValidatorKey(keyFile string) (privval.FilePVKey, error) {
	var key privval.FilePVKey
	kb, err := os.ReadFile(keyFile)
	if err != nil {
		return key, fmt.Errorf("validator key: %w", err)
	}
	if err := cmtjson.Unmarshal(kb, &key); err != nil {
		return key, fmt.Errorf("validator key %s: %w", keyFile, err)
	}
	if key.PrivKey == nil {
		return key, fmt.Errorf("validator key %s has no private key", keyFile)
	}
	return key, nil
}
