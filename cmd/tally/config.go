package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/tallyledger/tally/client"
)

// setting is the effective value of one wallet config key and where it
// came from.
type setting struct {
	Key    string `json:"key"`
	Value  string `json:"value"`
	Source string `json:"source"` // flag, env $NAME, config, default
}

// resolveSettings fills --node, --api, --output and the default chain ID
// from, in order, the flag, the environment, the home's config file (whose
// values were checked when it was read) and the built-in default. Node
// and API addresses are checked where they are used, as before there was
// a config file.
func (c *cli) resolveSettings() error {
	conf, err := client.LoadWalletConfig(c.home)
	if err != nil {
		return err
	}
	c.settings = nil
	resolve := func(target *string, key, flag, env, def string) setting {
		k, err := client.LookupWalletConfigKey(key)
		if err != nil {
			panic(err) // a key missing from client.WalletConfigKeys: a programming error
		}
		s := setting{Key: key, Value: def, Source: "default"}
		switch {
		case flag != "" && c.flags.Changed(flag) && *target != "":
			s.Value, s.Source = *target, "flag"
		case c.getenv(env) != "":
			s.Value, s.Source = c.getenv(env), "env $"+env
		case k.Get(conf) != "":
			s.Value, s.Source = k.Get(conf), "config"
		}
		*target = s.Value
		c.settings = append(c.settings, s)
		return s
	}
	node := resolve(&c.node, "node", "node", envNode, client.DefaultNodeURL)
	// The API address and the chain ID belong to a node: one remembered
	// for another node does not apply when the node itself is given at a
	// higher level (e.g. the config's api when --node names another node);
	// the API is then derived from the node and the chain ID asked of it.
	for _, dep := range []struct {
		target    *string
		key, flag string
		env       string
	}{{&c.api, "api", "api", envAPI}, {&c.chainID, "chain-id", "", envChainID}} {
		if s := resolve(dep.target, dep.key, dep.flag, dep.env, ""); sourceRank(s.Source) < sourceRank(node.Source) {
			*dep.target = ""
			c.settings[len(c.settings)-1] = setting{Key: dep.key, Source: "default (" + node.Source + " sets the node)"}
		}
	}
	out := resolve(&c.output, "output", "output", envOutput, "text")
	if _, err := client.CheckOutputFormat(c.output); err != nil {
		if out.Source == "flag" {
			return fmt.Errorf("bad --output %q: expected text or json", c.output)
		}
		return fmt.Errorf("bad %s %q: expected text or json", out.Source[len("env "):], c.output)
	}
	return nil
}

// sourceRank orders the sources of a setting: flag over environment over
// config file over default.
func sourceRank(source string) int {
	switch {
	case source == "flag":
		return 3
	case strings.HasPrefix(source, "env "):
		return 2
	case source == "config":
		return 1
	}
	return 0
}

// chainIDOr returns flag, or the chain ID of the environment or config
// when flag is empty ("" then means: ask the node).
func (c *cli) chainIDOr(flag string) string {
	if flag != "" {
		return flag
	}
	return c.chainID
}

func (c *cli) configCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Show or change what the wallet home remembers (node, api, chain-id, output)",
		Long: `Show or change the wallet home's config file (<home>/config.json).

Keys: node (CometBFT RPC address), api (ledger API address; default the
node's host, RPC port + 2), chain-id (chain to sign for; default the
node's), output (text or json). For each, a flag (--node, --api,
--chain-id, --output) wins over the environment ($TALLY_NODE, $TALLY_API,
$TALLY_CHAIN_ID, $TALLY_OUTPUT), which wins over the config file, which
wins over the default. Without a subcommand it shows every key's value in
effect and where it comes from.`,
		Example: `  tally config
  tally config set node http://10.0.0.5:26657
  tally config get node
  tally config set output json
  tally config set api ""          # unset: back to the default`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			path := client.WalletConfigPath(c.home)
			return c.emit(struct {
				File     string    `json:"file"`
				Settings []setting `json:"settings"`
			}{path, c.settings}, func(w io.Writer) {
				tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
				for _, s := range c.settings {
					v := s.Value
					if v == "" {
						v = "(unset)"
					}
					fmt.Fprintf(tw, "%s\t%s\t%s\n", s.Key, v, s.Source)
				}
				tw.Flush()
				fmt.Fprintf(w, "config file: %s\n", path)
			})
		},
	}
	cmd.AddCommand(c.configGetCmd(), c.configSetCmd())
	return cmd
}

func (c *cli) configGetCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "get <key>",
		Short: "Print the value of one key in effect (flag, environment, config file or default)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if _, err := client.LookupWalletConfigKey(args[0]); err != nil {
				return err
			}
			for _, s := range c.settings {
				if s.Key == args[0] {
					return c.emit(s, func(w io.Writer) { fmt.Fprintln(w, s.Value) })
				}
			}
			return fmt.Errorf("config key %q has no value", args[0])
		},
	}
}

func (c *cli) configSetCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "set <key> <value>",
		Short: "Write one key to the wallet home's config file (an empty value unsets it)",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			conf, err := client.LoadWalletConfig(c.home)
			if err != nil {
				return err
			}
			if err := conf.Set(args[0], args[1]); err != nil {
				return err
			}
			if err := client.SaveWalletConfig(c.home, conf); err != nil {
				return err
			}
			k, _ := client.LookupWalletConfigKey(args[0])
			s := setting{Key: args[0], Value: k.Get(conf), Source: "config"}
			return c.emit(s, func(w io.Writer) {
				if s.Value == "" {
					fmt.Fprintf(w, "%s unset in %s\n", s.Key, client.WalletConfigPath(c.home))
					return
				}
				fmt.Fprintf(w, "%s = %s (in %s)\n", s.Key, s.Value, client.WalletConfigPath(c.home))
			})
		},
	}
}
