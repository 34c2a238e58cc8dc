// Package version is the one version string of Tally's programs: `tallyd
// version`, the node's status (ABCI Info and the ledger API's status, so
// `tally status`), and `tally version` all print String().
//
// A release sets Version at build time:
//
//	go build -ldflags "-X github.com/tallyledger/tally/version.Version=1.2.0" ./cmd/tallyd
//
// A build from a Git checkout without it reports the default Version with
// the commit it was built from, e.g. 0.1.0+3827d34a1b2c (".dirty" when the
// checkout had uncommitted changes).
package version

import "runtime/debug"

// Version is the release version.
var Version = "0.1.0"

// String is Version, or the module version of a `go install
// module@version` build, followed by the VCS revision when the build
// recorded one and no release version was set.
func String() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return Version
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
				dirty = ".dirty"
			}
		}
	}
	if rev == "" {
		return Version
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	return Version + "+" + rev + dirty
}
