package faults

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tallyledger/tally/localnet"
)

// Injector injects faults into a running localnet, of processes or of
// containers, through one set of methods.
type Injector struct {
	net  *localnet.Net
	mesh *Mesh // cuts the links of a process localnet; nil for docker

	mu       sync.Mutex
	cutNodes map[int]bool   // docker nodes with DROP rules
	degraded map[int]string // docker nodes slowed: "netem" or "iptables"
}

// New returns an injector for net. For a process localnet, mesh (from
// InterposeMesh before the network started) carries the peer links that
// Partition cuts; without it Partition is unavailable. A docker localnet
// needs no mesh: links are cut with iptables and slowed with tc netem
// inside each container's network namespace (nsenter; root required).
func New(net *localnet.Net, mesh *Mesh) *Injector {
	return &Injector{net: net, mesh: mesh, cutNodes: map[int]bool{}, degraded: map[int]string{}}
}

// Net is the network the injector acts on.
func (f *Injector) Net() *localnet.Net { return f.net }

// Kill kills node i at once (SIGKILL; docker kill).
func (f *Injector) Kill(i int) { f.net.KillNode(i) }

// KillAllNodes kills every node at the same moment.
func (f *Injector) KillAllNodes() {
	var wg sync.WaitGroup
	for i := 0; i < f.net.Len(); i++ {
		wg.Add(1)
		go func(i int) { defer wg.Done(); f.net.KillNode(i) }(i)
	}
	wg.Wait()
}

// Restart starts node i again after Kill (or stops and starts it).
func (f *Injector) Restart(i int) error { return f.net.RestartNode(i) }

// Pause freezes node i (SIGSTOP; docker pause).
func (f *Injector) Pause(i int) error { return f.net.PauseNode(i) }

// Resume continues a paused node.
func (f *Injector) Resume(i int) error { return f.net.ResumeNode(i) }

// Partition splits the validators into groups that cannot reach each
// other (every node not named forms a group of its own); Heal ends it.
// Clients still reach every node.
func (f *Injector) Partition(groups ...[]int) error {
	group := make([]int, f.net.Len())
	for i := range group {
		group[i] = -1 - i
	}
	for g, members := range groups {
		for _, i := range members {
			group[i] = g
		}
	}
	var cuts [][2]int
	for i := range group {
		for j := i + 1; j < len(group); j++ {
			if group[i] != group[j] {
				cuts = append(cuts, [2]int{i, j})
			}
		}
	}
	if f.net.Docker() != nil {
		return f.dockerCut(cuts)
	}
	if f.mesh == nil {
		return errors.New("faults: partitions of a process localnet need the proxy mesh (InterposeMesh before Start)")
	}
	for _, c := range cuts {
		f.mesh.cut(c[0], c[1], true)
	}
	return nil
}

// Heal reconnects every link Partition cut.
func (f *Injector) Heal() error {
	if f.net.Docker() != nil {
		return f.dockerHeal()
	}
	if f.mesh == nil {
		return nil
	}
	for i := 0; i < f.net.Len(); i++ {
		for j := i + 1; j < f.net.Len(); j++ {
			f.mesh.cut(i, j, false)
		}
	}
	return nil
}

// DegradeLinks slows and thins node i's links to its peers and returns
// what it applied, and whether the delay was applied (the loss always is).
//
// In a process localnet, the proxies of the mesh delay every chunk of
// bytes between node i and its peers, both ways, by delay (±jitter), and
// hold loss percent of them back for a retransmission timeout (see
// Impairment). In a docker localnet, tc netem inside node i's container
// delays its packets by delay (±jitter) and drops loss percent; where the
// kernel has no netem, loss percent of the packets to its peers are
// dropped at random (iptables statistic), which TCP turns into
// retransmission delays, and nothing is delayed.
func (f *Injector) DegradeLinks(i int, delay, jitter time.Duration, loss float64) (how string, delayed bool, err error) {
	pct := strconv.FormatFloat(loss, 'f', -1, 64) + "%"
	if f.net.Docker() == nil {
		if f.mesh == nil {
			return "", false, errors.New("faults: slow links of a process localnet need the proxy mesh (InterposeMesh before Start)")
		}
		f.mesh.degrade(i, Impairment{Delay: delay, Jitter: jitter, Loss: loss / 100, RTO: MinRTO})
		f.mu.Lock()
		f.degraded[i] = "proxy"
		f.mu.Unlock()
		return fmt.Sprintf("proxies delay its links' bytes %s±%s both ways, %s of chunks held a further %s or more (as a retransmitted segment)", delay, jitter, pct, MinRTO), true, nil
	}
	err = f.nsenter(i, "tc", "qdisc", "replace", "dev", "eth0", "root", "netem", "delay", ms(delay), ms(jitter), "loss", pct)
	if err == nil {
		f.mu.Lock()
		f.degraded[i] = "netem"
		f.mu.Unlock()
		return fmt.Sprintf("netem delay %s±%s, loss %s", delay, jitter, pct), true, nil
	}
	if !strings.Contains(err.Error(), "qdisc kind is unknown") {
		return "", false, err
	}
	prob := strconv.FormatFloat(loss/100, 'f', -1, 64)
	for j, nd := range f.net.Manifest().Nodes {
		if j == i {
			continue
		}
		if err := f.nsenter(i, "iptables", "-A", "OUTPUT", "-d", nd.Address, "-m", "statistic", "--mode", "random", "--probability", prob, "-j", "DROP"); err != nil {
			return "", false, err
		}
	}
	f.mu.Lock()
	f.degraded[i] = "iptables"
	f.mu.Unlock()
	return fmt.Sprintf("%s of its packets to peers dropped at random (iptables statistic); no delay added: this kernel has no netem", pct), false, nil
}

// RestoreLinks removes what DegradeLinks did to node i.
func (f *Injector) RestoreLinks(i int) error {
	f.mu.Lock()
	how := f.degraded[i]
	delete(f.degraded, i)
	f.mu.Unlock()
	switch how {
	case "proxy":
		f.mesh.degrade(i, Impairment{})
	case "netem":
		return f.nsenter(i, "tc", "qdisc", "del", "dev", "eth0", "root")
	case "iptables":
		return f.nsenter(i, "iptables", "-F", "OUTPUT")
	}
	return nil
}

func ms(d time.Duration) string { return strconv.FormatInt(d.Milliseconds(), 10) + "ms" }

// dockerCut drops, inside both containers, every packet between the
// pairs' private addresses, in both directions: silently, as a broken
// network does.
func (f *Injector) dockerCut(cuts [][2]int) error {
	m := f.net.Manifest()
	for _, c := range cuts {
		for _, k := range [][2]int{{c[0], c[1]}, {c[1], c[0]}} {
			peer := m.Nodes[k[1]].Address
			for _, rule := range [][]string{{"-A", "INPUT", "-s", peer, "-j", "DROP"}, {"-A", "OUTPUT", "-d", peer, "-j", "DROP"}} {
				if err := f.nsenter(k[0], "iptables", rule...); err != nil {
					return err
				}
			}
			f.mu.Lock()
			f.cutNodes[k[0]] = true
			f.mu.Unlock()
		}
	}
	return nil
}

func (f *Injector) dockerHeal() error {
	f.mu.Lock()
	nodes := f.cutNodes
	f.cutNodes = map[int]bool{}
	f.mu.Unlock()
	var errs []error
	for i := range nodes {
		for _, chain := range []string{"INPUT", "OUTPUT"} {
			errs = append(errs, f.nsenter(i, "iptables", "-F", chain))
		}
	}
	return errors.Join(errs...)
}

// nsenter runs a host tool in node i's container's network namespace.
func (f *Injector) nsenter(i int, tool string, args ...string) error {
	pid := f.net.Pid(i)
	if pid == 0 {
		return fmt.Errorf("faults: node%d is not running", i)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	full := append([]string{"-t", strconv.Itoa(pid), "-n", tool}, args...)
	out, err := exec.CommandContext(ctx, "nsenter", full...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("faults: node%d: %s %s: %v: %s", i, tool, strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}
