package app

import (
	"errors"
	"fmt"
	"net"
	"strings"
	"syscall"

	cmtcfg "github.com/cometbft/cometbft/config"
)

// probePorts fails with a clear message when a listen address is taken,
// instead of CometBFT's error after its handshake.
func probePorts(c *cmtcfg.Config, ac *Config) error {
	probes := []struct{ what, addr string }{
		{"p2p", c.P2P.ListenAddress},
		{"RPC", c.RPC.ListenAddress},
		{"ledger API", ac.APIListenAddr},
		{"gRPC", c.RPC.GRPCListenAddress},
		{"pprof", c.RPC.PprofListenAddress},
	}
	if c.Instrumentation.Prometheus {
		probes = append(probes, struct{ what, addr string }{"prometheus", "tcp://" + c.Instrumentation.PrometheusListenAddr})
	}
	for _, p := range probes {
		for _, addr := range strings.Split(p.addr, ",") { // CometBFT's RPC may list several
			addr = strings.TrimSpace(addr)
			if addr == "" || strings.HasPrefix(addr, "unix://") {
				continue
			}
			if err := probeListen(p.what, addr); err != nil {
				return err
			}
		}
	}
	return nil
}

// probeListen returns an error naming the address when something already
// listens on the tcp:// address laddr; what says which address it is.
func probeListen(what, laddr string) error {
	hp, err := tcpHostPort(laddr)
	if err != nil {
		return fmt.Errorf("%s address: %w", what, err)
	}
	ln, err := net.Listen("tcp", hp)
	if err != nil {
		if errors.Is(err, syscall.EADDRINUSE) {
			return fmt.Errorf("%s address %s is already in use (another tallyd or program listens there); change it in the config or stop that process", what, laddr)
		}
		return fmt.Errorf("%s address %s cannot be used: %w", what, laddr, err)
	}
	return ln.Close()
}
