package main

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tallyledger/tally/app"
	"github.com/tallyledger/tally/internal/testutil"
	"github.com/tallyledger/tally/localnet"
)

// A network assembled by hand, as operators on separate hosts would (here
// on one machine, on distinct ports): each node is initialized on its own,
// one home collects the others' validator keys and node IDs into the
// genesis, the genesis is copied to every home, peers are configured, and
// the nodes commit blocks together.
func TestManualTwoValidatorNetwork(t *testing.T) {
	base, err := localnet.FreeBasePort(2)
	if err != nil {
		t.Fatal(err)
	}
	homes := []string{filepath.Join(t.TempDir(), "val-0"), filepath.Join(t.TempDir(), "val-1")}
	ports := []localnet.Ports{localnet.NodePorts(base, 0), localnet.NodePorts(base, 1)}
	var ids []string
	for i, home := range homes {
		runInProcess(t, "init", "val-"+strconv.Itoa(i), "--home", home, "--chain-id", "manual-1", "--base-port", strconv.Itoa(ports[i].P2P)).wantOK(t)
		ids = append(ids, strings.TrimSpace(runInProcess(t, "show-node-id", "--home", home).wantOK(t).stdout))
	}
	val1 := strings.TrimSpace(runInProcess(t, "show-validator", "--home", homes[1]).wantOK(t).stdout)

	// The coordinator (val-0) assembles the genesis.
	g := []string{"--home", homes[0]}
	runInProcess(t, append([]string{"genesis", "add-validator", val1, "--name", "val-1"}, g...)...).wantOK(t)
	runInProcess(t, append([]string{"genesis", "allow-node", ids[1]}, g...)...).wantOK(t)
	runInProcess(t, append([]string{"genesis", "add-account", newAddress(t), "--role", "admin"}, g...)...).wantOK(t)
	runInProcess(t, append([]string{"genesis", "validate"}, g...)...).wantOK(t)
	shared := filepath.Join(t.TempDir(), "genesis.json")
	runInProcess(t, append([]string{"genesis", "export", "-o", shared}, g...)...).wantOK(t)

	// Every node gets the shared genesis and the other as a persistent peer.
	raw, err := os.ReadFile(shared)
	if err != nil {
		t.Fatal(err)
	}
	for i, home := range homes {
		if err := os.WriteFile(filepath.Join(home, "config", "genesis.json"), raw, 0o644); err != nil {
			t.Fatal(err)
		}
		c, ac, err := app.LoadConfig(home)
		if err != nil {
			t.Fatal(err)
		}
		other := 1 - i
		c.P2P.PersistentPeers = ids[other] + "@127.0.0.1:" + strconv.Itoa(ports[other].P2P)
		c.P2P.AllowDuplicateIP = true // both nodes on one machine
		c.P2P.AddrBookStrict = false
		if err := app.WriteConfig(home, c, ac); err != nil {
			t.Fatal(err)
		}
	}

	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	type proc struct {
		out    *testutil.SyncBuffer
		exited <-chan struct{}
	}
	var procs []proc
	for _, home := range homes {
		_, out, exited := startProcess(t, "start", "--home", home, "--log-level", "error")
		procs = append(procs, proc{out, exited})
	}
	for i, p := range procs {
		waitRPCHeight(t, ctx, ports[i].RPC, 3, p.exited, p.out)
	}
}
