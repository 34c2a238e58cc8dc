package faults

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	cmtcfg "github.com/cometbft/cometbft/config"
	"github.com/cometbft/cometbft/p2p"
	cmttypes "github.com/cometbft/cometbft/types"

	"github.com/tallyledger/tally/app"
	"github.com/tallyledger/tally/internal/freeport"
	"github.com/tallyledger/tally/localnet"
)

// EvidenceTimeout bounds how long DoubleSign waits, once the duplicate
// runs, for the evidence to be committed on every node: the duplicate must
// first sync the chain, then sign a vote that conflicts with the
// original's, which the honest nodes turn into evidence a proposer puts in
// a later block.
const EvidenceTimeout = 3 * time.Minute

// Evidence is a validator's double signing as found in a block.
type Evidence struct {
	Height     int64  // the block holding the evidence
	Validator  string // consensus address, upper-case hex
	VoteHeight int64  // the height of the conflicting votes
}

// DoubleSign starts a duplicate of validator i: a second tallyd (binary)
// on a copy of node i's configuration and validator key, with a fresh
// sign state (height 0), CometBFT's double_sign_check_height at 0, a node
// key and ports of its own, its node ID allowed by governance, as an
// operator who started a restored copy of a validator beside the live one
// would. It runs on this machine, peering with every validator (over the
// private network of a docker localnet). The duplicate syncs the chain and
// signs beside the original, so that the validator's key signs
// conflicting votes.
//
// It waits (at most EvidenceTimeout) until every node has committed a
// block holding DuplicateVoteEvidence against the validator and the
// ledger's misbehavior event for it, stops the duplicate, checks that the
// network goes on and that node i still runs and commits, then restarts
// node i: the recovery is the time from that restart until node i is at
// the others' height.
func (f *Injector) DoubleSign(ctx context.Context, i int, binary string) (Result, error) {
	validator := strings.ToUpper(f.net.Manifest().Nodes[i].Validator)
	r := Result{Scenario: "double sign", Target: RejoinTarget}
	r.Fault = fmt.Sprintf("node%d's validator key also run by a second node", i)
	dup, err := f.startDuplicate(ctx, i, binary)
	if err != nil {
		return r, err
	}
	defer dup.stop()
	began := time.Now()
	from := f.tip(ctx, all(f.net.Len()))
	ev, err := f.WaitEvidence(ctx, validator, from, EvidenceTimeout, dup)
	if err != nil {
		return r, err
	}
	r.Fault = fmt.Sprintf("node%d's validator key also run by a second node; evidence of its votes at height %d in block %d, %s after the second node started",
		i, ev.VoteHeight, ev.Height, time.Since(began).Round(100*time.Millisecond))
	r.Progress = f.tip(ctx, all(f.net.Len())) - from
	if err := dup.stop(); err != nil {
		return r, fmt.Errorf("stop the duplicate of node%d: %w", i, err)
	}
	// The honest nodes, node i among them, go on without the duplicate.
	if !f.net.Running(i) {
		return r, fmt.Errorf("node%d stopped while its key was signing twice", i)
	}
	top := f.tip(ctx, all(f.net.Len()))
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	err = f.net.WaitAll(wctx, top+2)
	cancel()
	if err != nil {
		return r, fmt.Errorf("after the duplicate stopped: %w", err)
	}
	if err := f.net.StopNode(i); err != nil {
		return r, fmt.Errorf("stop node%d: %w", i, err)
	}
	if err := f.Restart(i); err != nil {
		return r, err
	}
	r.Recovery, err = f.rejoin(ctx, i)
	return r, err
}

// WaitEvidence waits until every node has committed a block above height
// from holding DuplicateVoteEvidence against validator (upper-case hex
// consensus address), with the ledger's misbehavior block event naming
// it, and returns the first such block. It gives up after timeout, or as
// soon as dup (if not nil) has exited.
func (f *Injector) WaitEvidence(ctx context.Context, validator string, from int64, timeout time.Duration, dup *Duplicate) (Evidence, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	next := from + 1
	var found *Evidence
	for found == nil {
		select {
		case <-ctx.Done():
			return Evidence{}, fmt.Errorf("no evidence of validator %s's double signing in blocks %d to %d within %s%s", validator, from+1, next-1, timeout, dup.describe())
		case <-tick.C:
		}
		if dup != nil && dup.exited() {
			return Evidence{}, fmt.Errorf("the duplicate exited before its votes conflicted: %s", dup.describe())
		}
		// Scan the new blocks of the first node that answers; the others
		// are checked once the evidence is found.
		for j := 0; j < f.net.Len(); j++ {
			qctx, qcancel := context.WithTimeout(ctx, 5*time.Second)
			h, err := f.net.Height(qctx, j)
			qcancel()
			if err != nil {
				continue
			}
			for ; next <= h && found == nil; next++ {
				ev, ok, err := f.evidenceIn(ctx, j, next, validator)
				if err != nil && ok {
					return ev, err
				}
				if err != nil {
					break // asked again at the next tick
				}
				if ok {
					found = &ev
				}
			}
			break
		}
	}
	for j := 0; j < f.net.Len(); j++ {
		for {
			if err := f.net.WaitHeight(ctx, j, found.Height); err != nil {
				return *found, fmt.Errorf("node%d did not reach block %d, which holds the evidence: %w", j, found.Height, err)
			}
			ev, ok, err := f.evidenceIn(ctx, j, found.Height, validator)
			if err != nil && ok {
				return ev, err
			}
			if err == nil && !ok {
				return *found, fmt.Errorf("node%d's block %d lacks the evidence against %s", j, found.Height, validator)
			}
			if err == nil && ev != *found {
				return *found, fmt.Errorf("node%d's block %d holds evidence %+v, another node's %+v", j, found.Height, ev, *found)
			}
			if err == nil {
				break
			}
			select { // the node may be answering slowly: ask again
			case <-ctx.Done():
				return *found, fmt.Errorf("node%d block %d: %v", j, found.Height, err)
			case <-tick.C:
			}
		}
	}
	return *found, nil
}

// evidenceIn looks in node j's block h for DuplicateVoteEvidence against
// validator and, when there is some, checks that the ledger emitted its
// misbehavior event in that block's results.
func (f *Injector) evidenceIn(ctx context.Context, j int, h int64, validator string) (Evidence, bool, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	b, err := f.net.Client(j).Block(ctx, &h)
	if err != nil {
		return Evidence{}, false, err
	}
	var ev *Evidence
	for _, e := range b.Block.Evidence.Evidence {
		dv, ok := e.(*cmttypes.DuplicateVoteEvidence)
		if ok && strings.EqualFold(dv.VoteA.ValidatorAddress.String(), validator) {
			ev = &Evidence{Height: h, Validator: validator, VoteHeight: dv.Height()}
			break
		}
	}
	if ev == nil {
		return Evidence{}, false, nil
	}
	res, err := f.net.Client(j).BlockResults(ctx, &h)
	if err != nil {
		return Evidence{}, false, err
	}
	for _, e := range res.FinalizeBlockEvents {
		if e.Type != app.EventMisbehavior {
			continue
		}
		attrs := map[string]string{}
		for _, a := range e.Attributes {
			attrs[a.Key] = a.Value
		}
		if attrs[app.AttrMisbehaviorType] == "duplicate_vote" && strings.EqualFold(attrs[app.AttrMisbehaviorValidator], validator) &&
			attrs[app.AttrMisbehaviorHeight] == strconv.FormatInt(ev.VoteHeight, 10) {
			return *ev, true, nil
		}
	}
	return *ev, true, fmt.Errorf("node%d: block %d holds evidence against %s, but its results have no %s event for it: %+v",
		j, h, validator, app.EventMisbehavior, res.FinalizeBlockEvents)
}

// Duplicate is a second tallyd process running a validator's key.
type Duplicate struct {
	Home   string
	NodeID string
	cmd    *exec.Cmd
	log    *os.File
	done   chan struct{}
	ports  []int
}

// startDuplicate prepares the duplicate's home beside node i's, allows
// its node ID and starts it.
func (f *Injector) startDuplicate(ctx context.Context, i int, binary string) (*Duplicate, error) {
	src := f.net.Home(i)
	home := filepath.Join(f.net.Dir(), fmt.Sprintf("node%d-duplicate", i))
	if err := os.RemoveAll(home); err != nil {
		return nil, err
	}
	for _, d := range []string{app.ConfigDir, "data"} {
		if err := os.MkdirAll(filepath.Join(home, d), 0o700); err != nil {
			return nil, err
		}
	}
	// The validator key and the genesis, as a copy of the home would
	// have them; a sign state that has signed nothing, as a restored
	// backup without it or a reset would have.
	for _, name := range []string{"priv_validator_key.json", "genesis.json"} {
		b, err := os.ReadFile(filepath.Join(src, app.ConfigDir, name))
		if err != nil {
			return nil, fmt.Errorf("copy node%d's %s: %w", i, name, err)
		}
		if err := os.WriteFile(filepath.Join(home, app.ConfigDir, name), b, 0o600); err != nil {
			return nil, err
		}
	}
	if err := os.WriteFile(filepath.Join(home, "data", "priv_validator_state.json"), []byte(`{"height":"0","round":0,"step":0}`+"\n"), 0o600); err != nil {
		return nil, err
	}
	c, ac, err := app.LoadConfig(src)
	if err != nil {
		return nil, err
	}
	c.SetRoot(home)
	nk, err := p2p.LoadOrGenNodeKey(c.NodeKeyFile())
	if err != nil {
		return nil, err
	}
	const span = 4 // p2p, rpc, api, metrics
	base, err := freeport.Find(span, func(b int) []int { return []int{b, b + 1, b + 2, b + 3} })
	if err != nil {
		return nil, err
	}
	d := &Duplicate{Home: home, NodeID: string(nk.ID()), done: make(chan struct{}), ports: []int{base, base + 1, base + 2, base + 3}}
	configureDuplicate(c, ac, f.net.Manifest(), i, base)
	if err := app.WriteConfig(home, c, ac); err != nil {
		freeport.Release(d.ports...)
		return nil, err
	}
	if err := localnet.AllowNode(ctx, f.net.Dir(), d.NodeID); err != nil {
		freeport.Release(d.ports...)
		return nil, fmt.Errorf("allow the duplicate's node ID: %w", err)
	}
	lf, err := os.OpenFile(filepath.Join(home, localnet.LogFileName), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		freeport.Release(d.ports...)
		return nil, err
	}
	d.log = lf
	d.cmd = exec.Command(binary, "start", "--home", home)
	d.cmd.Stdout, d.cmd.Stderr = lf, lf
	d.cmd.SysProcAttr = childSysProcAttr()
	if err := d.cmd.Start(); err != nil {
		lf.Close()
		freeport.Release(d.ports...)
		return nil, fmt.Errorf("start the duplicate of node%d: %w", i, err)
	}
	go func() {
		_ = d.cmd.Wait()
		lf.Close()
		close(d.done)
	}()
	return d, nil
}

// configureDuplicate points a copy of node i's configuration at its own
// ports on 127.0.0.1, with every validator as a persistent peer and
// CometBFT's check for its own recent signatures off.
func configureDuplicate(c *cmtcfg.Config, ac *app.Config, m *localnet.Manifest, i, base int) {
	var peers []string
	for _, nd := range m.Nodes {
		host := nd.Host
		if nd.Address != "" {
			host = nd.Address // a docker localnet's private network
		}
		peers = append(peers, nd.NodeID+"@"+net.JoinHostPort(host, strconv.Itoa(nd.Ports.P2P)))
	}
	c.Moniker = fmt.Sprintf("node%d-duplicate", i)
	c.P2P.ListenAddress = "tcp://127.0.0.1:" + strconv.Itoa(base)
	c.P2P.ExternalAddress = ""
	c.P2P.PersistentPeers = strings.Join(peers, ",")
	c.P2P.AllowDuplicateIP = true
	c.P2P.AddrBookStrict = false
	c.RPC.ListenAddress = "tcp://127.0.0.1:" + strconv.Itoa(base+1)
	ac.APIListenAddr = "tcp://127.0.0.1:" + strconv.Itoa(base+2)
	c.Instrumentation.Prometheus = true
	c.Instrumentation.PrometheusListenAddr = "127.0.0.1:" + strconv.Itoa(base+3)
	c.StateSync.Enable = false
	c.Consensus.DoubleSignCheckHeight = 0
}

func (d *Duplicate) exited() bool {
	select {
	case <-d.done:
		return true
	default:
		return false
	}
}

// describe is the tail of the duplicate's log, for errors.
func (d *Duplicate) describe() string {
	if d == nil {
		return ""
	}
	b, err := os.ReadFile(filepath.Join(d.Home, localnet.LogFileName))
	if err != nil {
		return ""
	}
	lines := bytes.Split(bytes.TrimRight(b, "\n"), []byte("\n"))
	if len(lines) > 15 {
		lines = lines[len(lines)-15:]
	}
	return fmt.Sprintf("; the duplicate's log (%s) ends:\n%s", filepath.Join(d.Home, localnet.LogFileName), bytes.Join(lines, []byte("\n")))
}

// stop ends the duplicate (SIGTERM, SIGKILL after 15 s) and gives back
// its ports; it may be called again.
func (d *Duplicate) stop() error {
	if d.exited() {
		freeport.Release(d.ports...)
		return nil
	}
	_ = d.cmd.Process.Signal(syscall.SIGTERM)
	t := time.NewTimer(15 * time.Second)
	defer t.Stop()
	var err error
	select {
	case <-d.done:
	case <-t.C:
		_ = d.cmd.Process.Kill()
		<-d.done
		err = errors.New("did not stop within 15s of SIGTERM; killed")
	}
	freeport.Release(d.ports...)
	return err
}
