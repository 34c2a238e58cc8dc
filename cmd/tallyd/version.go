package main

import (
	"fmt"
	"runtime"

	cmtversion "github.com/cometbft/cometbft/version"
	"github.com/spf13/cobra"

	"github.com/tallyledger/tally/crypto"
	"github.com/tallyledger/tally/version"
)

func newVersionCmd(e env) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version of tallyd and of the consensus engine it embeds",
		Long: `Print the version of tallyd (the same string the node reports in its
status, so "tally status" shows it too), of CometBFT and of Go, and the
library that verifies signatures: btcec (pure Go), or libsecp256k1 in a
binary built with -tags libsecp256k1.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			fmt.Fprintf(e.stdout, "tallyd %s\n", version.String())
			fmt.Fprintf(e.stdout, "cometbft %s (abci %s, block protocol %d, p2p protocol %d)\n",
				cmtversion.TMCoreSemVer, cmtversion.ABCISemVer, cmtversion.BlockProtocol, cmtversion.P2PProtocol)
			fmt.Fprintf(e.stdout, "%s %s/%s\n", runtime.Version(), runtime.GOOS, runtime.GOARCH)
			fmt.Fprintf(e.stdout, "secp256k1 signatures verified with %s\n", crypto.VerifierBackend)
			return nil
		},
	}
}
