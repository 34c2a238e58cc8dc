package main

import (
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/tallyledger/tally/crypto"
	"github.com/tallyledger/tally/crypto/keystore"
)

// keyView is a key's public part as printed.
type keyView struct {
	Name      string `json:"name"`
	Address   string `json:"address"`
	PubKey    string `json:"pub_key"`
	Backend   string `json:"backend"`
	Source    string `json:"source"`
	HDPath    string `json:"hd_path,omitempty"`
	CreatedAt string `json:"created_at,omitempty"`
	Mnemonic  string `json:"mnemonic,omitempty"` // only right after `keys add`
}

// backendLabel says what a backend means for the key's safety.
func backendLabel(b string) string {
	if b == keystore.BackendTest {
		return "test (UNENCRYPTED)"
	}
	return b + " (encrypted)"
}

func viewKey(k keystore.KeyInfo) keyView {
	v := keyView{Name: k.Name, Address: k.Address.String(), PubKey: k.PubKey.String(),
		Backend: k.Backend, Source: k.Source, HDPath: k.HDPath}
	if !k.CreatedAt.IsZero() {
		v.CreatedAt = k.CreatedAt.UTC().Format(time.RFC3339)
	}
	return v
}

func (c *cli) keysCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "keys",
		Short: "Manage the wallet's keys",
	}
	cmd.AddCommand(c.keysAddCmd(), c.keysListCmd(), c.keysShowCmd(), c.keysImportCmd(),
		c.keysExportCmd(), c.keysDeleteCmd())
	return cmd
}

func (c *cli) keysAddCmd() *cobra.Command {
	var recover bool
	var index uint32
	cmd := &cobra.Command{
		Use:   "add <name>",
		Short: "Create a key from a new 24-word mnemonic, or recover one (--recover)",
		Long: `Create a key from a new 24-word BIP-39 mnemonic and print the mnemonic once:
write it down, it is the only way to recover the key.

With --recover the mnemonic is read from standard input instead.`,
		Example: `  tally keys add alice
  echo "word1 word2 ... word24" | tally keys add alice --recover`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			name := args[0]
			if err := keystore.ValidateName(name); err != nil {
				return err
			}
			ks, err := c.keystore()
			if err != nil {
				return err
			}
			var info keystore.KeyInfo
			var mnemonic string
			if recover {
				if c.stdinIsTTY {
					fmt.Fprint(c.stderr, "Enter the mnemonic: ")
				}
				m, err := c.readStdinLine()
				if err != nil {
					return fmt.Errorf("read mnemonic from standard input: %v", err)
				}
				if strings.TrimSpace(m) == "" {
					return errors.New("empty mnemonic on standard input, expected 12 to 24 words")
				}
				if info, err = ks.ImportMnemonic(name, m, index); err != nil {
					return err
				}
			} else {
				if index != 0 {
					return errors.New("--index applies only with --recover")
				}
				if info, mnemonic, err = ks.Create(name); err != nil {
					return err
				}
			}
			v := viewKey(info)
			v.Mnemonic = mnemonic
			return c.emit(v, func(w io.Writer) {
				fmt.Fprintf(w, "name:    %s\naddress: %s\n", v.Name, v.Address)
				if mnemonic != "" {
					fmt.Fprintf(w, "\nWrite this mnemonic down and keep it safe; it is the only way to recover the key:\n\n%s\n", mnemonic)
				}
			})
		},
	}
	cmd.Flags().BoolVar(&recover, "recover", false, "recover the key from a mnemonic read from standard input")
	cmd.Flags().Uint32Var(&index, "index", 0, "with --recover: the address index in the mnemonic's derivation path")
	return cmd
}

func (c *cli) keysListCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List the wallet's keys",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ks, err := c.keystore()
			if err != nil {
				return err
			}
			keys, err := ks.List()
			if err != nil {
				return err
			}
			views := make([]keyView, 0, len(keys))
			for _, k := range keys {
				views = append(views, viewKey(k))
			}
			return c.emit(views, func(w io.Writer) {
				if len(views) == 0 {
					fmt.Fprintf(w, "no keys in %s (create one with `tally keys add <name>`)\n", c.home)
					return
				}
				tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "NAME\tADDRESS\tSOURCE\tBACKEND")
				for _, v := range views {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", v.Name, v.Address, v.Source, backendLabel(v.Backend))
				}
				tw.Flush()
			})
		},
	}
}

func (c *cli) keysShowCmd() *cobra.Command {
	var addressOnly bool
	cmd := &cobra.Command{
		Use:   "show <name>",
		Short: "Show a key's address and public key",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ks, err := c.keystore()
			if err != nil {
				return err
			}
			k, err := c.getKey(ks, args[0])
			if err != nil {
				return err
			}
			v := viewKey(k)
			if addressOnly {
				return c.emit(map[string]string{"address": v.Address}, func(w io.Writer) { fmt.Fprintln(w, v.Address) })
			}
			return c.emit(v, func(w io.Writer) {
				fmt.Fprintf(w, "name:     %s\naddress:  %s\npub_key:  %s\nsource:   %s\n", v.Name, v.Address, v.PubKey, v.Source)
				if v.HDPath != "" {
					fmt.Fprintf(w, "hd_path:  %s\n", v.HDPath)
				}
				fmt.Fprintf(w, "backend:  %s\n", v.Backend)
			})
		},
	}
	cmd.Flags().BoolVarP(&addressOnly, "address", "a", false, "print only the address")
	return cmd
}

func (c *cli) keysImportCmd() *cobra.Command {
	var index uint32
	cmd := &cobra.Command{
		Use:   "import <name> <mnemonic-file | hex-private-key>",
		Short: "Import a key from a file holding a mnemonic, or from a hex private key",
		Example: `  tally keys import alice ./alice.mnemonic
  tally keys import bob 4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			name, src := args[0], args[1]
			if err := keystore.ValidateName(name); err != nil {
				return err
			}
			secret, fromFile, err := readImportSource(src)
			if err != nil {
				return err
			}
			ks, err := c.keystore()
			if err != nil {
				return err
			}
			var info keystore.KeyInfo
			if isHexKey(secret) {
				info, err = ks.ImportPrivKey(name, secret)
			} else if fromFile {
				info, err = ks.ImportMnemonic(name, secret, index)
			} else {
				return fmt.Errorf("%q is neither a file nor a 64-digit hex private key", src)
			}
			if err != nil {
				return err
			}
			v := viewKey(info)
			return c.emit(v, func(w io.Writer) {
				fmt.Fprintf(w, "imported key %s: %s\n", v.Name, v.Address)
			})
		},
	}
	cmd.Flags().Uint32Var(&index, "index", 0, "for a mnemonic: the address index in its derivation path")
	return cmd
}

// readImportSource returns the secret named by src: a file's trimmed
// content, or src itself when it is not a file.
func readImportSource(src string) (secret string, fromFile bool, err error) {
	st, err := os.Stat(src)
	if err != nil {
		if isHexKey(src) {
			return strings.TrimSpace(src), false, nil
		}
		if errors.Is(err, os.ErrNotExist) {
			return "", false, fmt.Errorf("%q is neither a file nor a 64-digit hex private key", src)
		}
		return "", false, err
	}
	if st.IsDir() {
		return "", false, fmt.Errorf("%s is a directory, expected a file holding a mnemonic", src)
	}
	b, err := os.ReadFile(src)
	if err != nil {
		return "", false, err
	}
	s := strings.TrimSpace(string(b))
	if s == "" {
		return "", false, fmt.Errorf("%s is empty, expected a mnemonic or a hex private key", src)
	}
	return s, true, nil
}

func isHexKey(s string) bool {
	s = strings.TrimPrefix(strings.TrimSpace(s), "0x")
	if len(s) != 2*crypto.PrivKeySize {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil
}

func (c *cli) keysExportCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "export <name>",
		Short: "Print a key's mnemonic and private key (keep them secret)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ks, err := c.keystore()
			if err != nil {
				return err
			}
			k, err := c.getKey(ks, args[0])
			if err != nil {
				return err
			}
			sec, err := ks.Export(k.Name)
			if err != nil {
				return err
			}
			c.note("WARNING: anyone who sees what follows controls the account %s", k.Address)
			out := struct {
				Name       string `json:"name"`
				Address    string `json:"address"`
				Mnemonic   string `json:"mnemonic,omitempty"`
				HDPath     string `json:"hd_path,omitempty"`
				PrivateKey string `json:"private_key"`
			}{k.Name, k.Address.String(), sec.Mnemonic, sec.HDPath, sec.PrivKey}
			return c.emit(out, func(w io.Writer) {
				fmt.Fprintf(w, "address:     %s\n", out.Address)
				if out.Mnemonic != "" {
					fmt.Fprintf(w, "mnemonic:    %s\nhd_path:     %s\n", out.Mnemonic, out.HDPath)
				}
				fmt.Fprintf(w, "private_key: %s\n", out.PrivateKey)
			})
		},
	}
}

func (c *cli) keysDeleteCmd() *cobra.Command {
	var yes bool
	cmd := &cobra.Command{
		Use:   "delete <name>",
		Short: "Delete a key (asks for confirmation unless --yes)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ks, err := c.keystore()
			if err != nil {
				return err
			}
			k, err := c.getKey(ks, args[0])
			if err != nil {
				return err
			}
			if !yes {
				if !c.stdinIsTTY {
					return fmt.Errorf("refusing to delete key %q without confirmation: pass --yes", k.Name)
				}
				fmt.Fprintf(c.stderr, "Delete key %q (%s)? It cannot be recovered without its mnemonic. [y/N] ", k.Name, k.Address)
				ans, err := c.readStdinLine()
				if err != nil {
					return err
				}
				if a := strings.ToLower(strings.TrimSpace(ans)); a != "y" && a != "yes" {
					return fmt.Errorf("key %q not deleted", k.Name)
				}
			}
			if err := ks.Delete(k.Name); err != nil {
				return err
			}
			return c.emit(map[string]string{"deleted": k.Name, "address": k.Address.String()}, func(w io.Writer) {
				fmt.Fprintf(w, "deleted key %s (%s)\n", k.Name, k.Address)
			})
		},
	}
	cmd.Flags().BoolVarP(&yes, "yes", "y", false, "delete without asking")
	return cmd
}
