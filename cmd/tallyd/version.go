package main

import (
	"fmt"
	"runtime"
	"runtime/debug"

	cmtversion "github.com/cometbft/cometbft/version"
	"github.com/spf13/cobra"
)

// version is the release version, set at build time with
// -ldflags "-X main.version=v1.2.3"; builds without it report the module
// version or VCS revision recorded by the Go toolchain.
var version = ""

func newVersionCmd(e env) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version of tallyd and of the consensus engine it embeds",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			fmt.Fprintf(e.stdout, "tallyd %s\n", buildVersion())
			fmt.Fprintf(e.stdout, "cometbft %s (abci %s, block protocol %d, p2p protocol %d)\n",
				cmtversion.TMCoreSemVer, cmtversion.ABCISemVer, cmtversion.BlockProtocol, cmtversion.P2PProtocol)
			fmt.Fprintf(e.stdout, "%s %s/%s\n", runtime.Version(), runtime.GOOS, runtime.GOARCH)
			return nil
		},
	}
}

// buildVersion is the release version, else the module version, else the
// VCS revision of the build.
func buildVersion() string {
	if version != "" {
		return version
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "(unknown)"
	}
	if v := bi.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	var rev, dirty string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = "-dirty"
			}
		}
	}
	if rev == "" {
		return "(devel)"
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	return "(devel " + rev + dirty + ")"
}
