//go:build tallydeps

package tools

import (
	_ "github.com/btcsuite/btcd/btcec/v2"
	_ "github.com/btcsuite/btcd/btcutil/bech32"
	_ "github.com/btcsuite/btcd/btcutil/hdkeychain"
	_ "github.com/cometbft/cometbft/light"
	_ "github.com/cometbft/cometbft/node"
	_ "github.com/cometbft/cometbft/rpc/jsonrpc/server"
	_ "github.com/cosmos/go-bip39"
	_ "github.com/cosmos/ics23/go"
	_ "github.com/fxamacker/cbor/v2"
	_ "github.com/pokt-network/smt"
	_ "github.com/spf13/cobra"
	_ "github.com/spf13/viper"
	_ "github.com/syndtr/goleveldb/leveldb"
	_ "golang.org/x/crypto/scrypt"
	_ "golang.org/x/term"
)
