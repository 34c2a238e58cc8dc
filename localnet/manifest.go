package localnet

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// ManifestFileName is the file in a localnet directory that describes it.
// Init writes it last, so a directory without it is not a finished localnet.
const ManifestFileName = "localnet.json"

// WalletDirName is the wallet home inside a localnet directory.
const WalletDirName = "wallet"

// Manifest describes a generated network: what Init made and what Start
// needs to run and reach it.
type Manifest struct {
	ChainID  string     `json:"chain_id"`
	BasePort int        `json:"base_port"`
	Nodes    []NodeInfo `json:"nodes"`
	Wallet   string     `json:"wallet"` // directory relative to the localnet directory
	Keys     []KeyInfo  `json:"keys"`   // the wallet's keys registered in genesis
	// AdminThreshold is the number of admin approvals that pass a proposal.
	AdminThreshold int `json:"admin_threshold"`
	// Hosts lists node i's host for a network spread over several
	// machines (Options.Hosts); empty for a network on this machine.
	Hosts []string `json:"hosts,omitempty"`
	// Docker describes the containers of a docker localnet (nil for one
	// of local processes).
	Docker *DockerInfo `json:"docker,omitempty"`
}

// NodeInfo describes one validator node.
type NodeInfo struct {
	Name   string `json:"name"` // node0, node1...
	Home   string `json:"home"` // directory relative to the localnet directory
	NodeID string `json:"node_id"`
	Host   string `json:"host"` // address peers and clients reach the node at
	// Address is the node's address on a docker localnet's private
	// network, where its peers reach it (Host is then 127.0.0.1, where
	// its RPC and API ports are published).
	Address   string `json:"address,omitempty"`
	Ports     Ports  `json:"ports"`
	Validator string `json:"validator_address"` // CometBFT validator address (hex)
}

// KeyInfo is a wallet key with its address and genesis roles.
type KeyInfo struct {
	Name    string   `json:"name"`
	Address string   `json:"address"`
	Roles   []string `json:"roles"`
}

// Key returns the wallet key with the given name.
func (m *Manifest) Key(name string) (KeyInfo, bool) {
	for _, k := range m.Keys {
		if k.Name == name {
			return k, true
		}
	}
	return KeyInfo{}, false
}

// ErrNotLocalnet is returned by LoadManifest for a directory that Init has
// not (completely) generated.
var ErrNotLocalnet = errors.New("not a localnet directory")

// LoadManifest reads dir/localnet.json.
func LoadManifest(dir string) (*Manifest, error) {
	b, err := os.ReadFile(filepath.Join(dir, ManifestFileName))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s is %w (no %s); create it with `tallyd localnet init --dir %s`", dir, ErrNotLocalnet, ManifestFileName, dir)
	}
	if err != nil {
		return nil, err
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("%s: %v", filepath.Join(dir, ManifestFileName), err)
	}
	if len(m.Nodes) == 0 {
		return nil, fmt.Errorf("%s lists no nodes", filepath.Join(dir, ManifestFileName))
	}
	return &m, nil
}

func writeManifest(dir string, m *Manifest) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, ManifestFileName), append(b, '\n'), 0o644)
}
