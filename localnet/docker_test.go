package localnet

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tallyledger/tally/app"
)

func TestInitDockerWritesComposeAndImageContext(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "net")
	if err := Init(dir, Options{Validators: 3, BasePort: 30300, Docker: true}); err != nil {
		t.Fatal(err)
	}
	m, err := LoadManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	d := m.Docker
	if d == nil || d.Project != "tally-localnet-30300" || d.Subnet != "172.29.47.0/24" || d.Container(2) != "tally-localnet-30300-node2" {
		t.Fatalf("docker manifest %+v", d)
	}
	compose, err := os.ReadFile(filepath.Join(dir, ComposeFileName))
	if err != nil {
		t.Fatal(err)
	}
	for i, nd := range m.Nodes {
		if nd.Host != "127.0.0.1" || nd.Address != "172.29.47."+itoa(10+i) || nd.Ports != NodePorts(30300, i) {
			t.Errorf("node%d: host %s address %s ports %+v", i, nd.Host, nd.Address, nd.Ports)
		}
		c, ac, err := app.LoadConfig(filepath.Join(dir, nd.Home))
		if err != nil {
			t.Fatal(err)
		}
		p := nd.Ports
		for _, want := range []struct{ got, want string }{
			{c.P2P.ListenAddress, "tcp://0.0.0.0:" + itoa(p.P2P)},
			{c.RPC.ListenAddress, "tcp://0.0.0.0:" + itoa(p.RPC)},
			{ac.APIListenAddr, "tcp://0.0.0.0:" + itoa(p.API)},
			{c.P2P.ExternalAddress, nd.Address + ":" + itoa(p.P2P)},
		} {
			if want.got != want.want {
				t.Errorf("node%d address %s, want %s", i, want.got, want.want)
			}
		}
		if c.P2P.AllowDuplicateIP {
			t.Errorf("node%d allows duplicate IPs, though every container has its own", i)
		}
		for j, other := range m.Nodes {
			peer := other.NodeID + "@" + other.Address + ":" + itoa(other.Ports.P2P)
			if got := strings.Contains(c.P2P.PersistentPeers, peer); got != (i != j) {
				t.Errorf("node%d persistent peers %q: listing %s is %v", i, c.P2P.PersistentPeers, peer, got)
			}
		}
		for _, want := range []string{
			"  " + nd.Name + ":\n",
			"container_name: " + d.Container(i),
			"- ./" + nd.Home + ":/tally/" + nd.Home,
			`"127.0.0.1:` + itoa(p.RPC) + ":" + itoa(p.RPC) + `"`,
			`"127.0.0.1:` + itoa(p.API) + ":" + itoa(p.API) + `"`,
			"ipv4_address: " + nd.Address,
		} {
			if !strings.Contains(string(compose), want) {
				t.Errorf("compose.yaml lacks %q:\n%s", want, compose)
			}
		}
	}
	df, err := os.ReadFile(filepath.Join(dir, ImageDirName, "Dockerfile"))
	if err != nil || !strings.Contains(string(df), "FROM scratch") {
		t.Errorf("Dockerfile: %v\n%s", err, df)
	}
	if err := Init(dir, Options{Docker: true}); err != nil {
		t.Errorf("reuse: %v", err)
	}
}

func TestInitDockerRefusesToTurnAProcessNetwork(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "net")
	if err := Init(dir, Options{Validators: 2, BasePort: 30400}); err != nil {
		t.Fatal(err)
	}
	if err := Init(dir, Options{Docker: true}); err == nil || !strings.Contains(err.Error(), "local processes (asked for docker containers)") {
		t.Errorf("err = %v", err)
	}
	if err := Init(filepath.Join(t.TempDir(), "x"), Options{Docker: true, Validators: 2, Hosts: []string{"a", "b"}}); err == nil {
		t.Error("docker with hosts accepted")
	}
}

func TestCheckStaticRefusesScripts(t *testing.T) {
	bin := fakeBinary(t, "exit 0")
	if err := CheckStatic(bin); err == nil {
		t.Error("a shell script passed as a static executable")
	}
}

func TestDockerStartWithoutDaemonSaysSo(t *testing.T) {
	if DockerAvailable(context.Background()) == nil {
		t.Skip("a Docker daemon answers; the e2e tests run the container localnet")
	}
	base, err := FreeBasePort(1) // Start checks the ports before docker
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "net")
	if err := Init(dir, Options{Validators: 1, BasePort: base, Docker: true}); err != nil {
		t.Fatal(err)
	}
	_, err = Start(context.Background(), dir, Options{Binary: "/nonexistent"})
	if !errors.Is(err, ErrNoDocker) {
		t.Errorf("err = %v, want ErrNoDocker", err)
	}
}
