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

// readMnemonic reads the mnemonic to recover: from file (which only its
// owner may read), from the terminal without echo, or from standard input.
func (c *cli) readMnemonic(file string) (string, error) {
	var m string
	switch {
	case file != "":
		if err := keystore.CheckPrivateFile(file); err != nil {
			return "", err
		}
		b, err := os.ReadFile(file)
		if err != nil {
			return "", fmt.Errorf("read mnemonic: %v", err)
		}
		m = string(b)
	case c.stdinIsTTY:
		s, err := c.promptSecret("Enter the mnemonic (not echoed): ")
		if err != nil {
			return "", fmt.Errorf("read mnemonic: %v", err)
		}
		m = s
	default:
		s, err := c.readStdinLine()
		if err != nil {
			return "", fmt.Errorf("read mnemonic from standard input: %v", err)
		}
		m = s
	}
	if strings.TrimSpace(m) == "" {
		return "", errors.New("empty mnemonic, expected 12 to 24 words")
	}
	return m, nil
}

// promptSecret reads a secret from the terminal without echo (a test sets
// c.secretPrompt instead).
func (c *cli) promptSecret(prompt string) (string, error) {
	if c.secretPrompt != nil {
		return c.secretPrompt(prompt)
	}
	return keystore.PromptPassword(prompt, false)
}

func (c *cli) keysAddCmd() *cobra.Command {
	var recover bool
	var index uint32
	var mnemonicFile string
	cmd := &cobra.Command{
		Use:   "add <name>",
		Short: "Create a key from a new 24-word mnemonic, or recover one (--recover)",
		Long: `Create a key from a new 24-word BIP-39 mnemonic and print the mnemonic once:
write it down, it is the only way to recover the key.

With --recover the mnemonic is recovered instead: read from --mnemonic-file
(a file only you can read), or from the terminal without echo, or from
standard input when it is not a terminal. It is never taken as an argument,
which other users could see and the shell would keep in its history.`,
		Example: `  tally keys add alice
  tally keys add alice --recover                       # asks for the mnemonic, not echoed
  tally keys add alice --recover --mnemonic-file ./alice.mnemonic`,
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
				m, err := c.readMnemonic(mnemonicFile)
				if err != nil {
					return err
				}
				if info, err = ks.ImportMnemonic(name, m, index); err != nil {
					return err
				}
			} else {
				if index != 0 || mnemonicFile != "" {
					return errors.New("--index and --mnemonic-file apply only with --recover")
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
	cmd.Flags().BoolVar(&recover, "recover", false, "recover the key from a mnemonic (--mnemonic-file, the terminal without echo, or standard input)")
	cmd.Flags().StringVar(&mnemonicFile, "mnemonic-file", "", "with --recover: read the mnemonic from this file (mode 0600)")
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
			_, k, err := c.openKey(args[0])
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
		Use:   "import <name> <file | ->",
		Short: "Import a key from a file holding a mnemonic or a hex private key",
		Long: `Import a key from a file holding a BIP-39 mnemonic or a 64-digit hex private
key; the file must be readable by its owner only (chmod 600). With - the
secret is read from the terminal without echo, or from standard input when it
is not a terminal. A secret is never taken as an argument: other users could
see it in the process list and the shell would keep it in its history.`,
		Example: `  tally keys import alice ./alice.mnemonic
  tally keys import bob -          # asks for the mnemonic or private key, not echoed`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			name, src := args[0], args[1]
			if err := keystore.ValidateName(name); err != nil {
				return err
			}
			secret, err := c.readImportSource(src)
			if err != nil {
				return err
			}
			ks, err := c.keystore()
			if err != nil {
				return err
			}
			var info keystore.KeyInfo
			if isHexKey(secret) {
				info, err = ks.ImportPrivKey(name, strings.TrimPrefix(secret, "0x"))
			} else {
				info, err = ks.ImportMnemonic(name, secret, index)
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

// readImportSource returns the secret in the file src (which only its
// owner may read), or read without echo for "-". A secret given as the
// argument itself is refused.
func (c *cli) readImportSource(src string) (string, error) {
	var s string
	if src == "-" {
		var err error
		if c.stdinIsTTY {
			s, err = c.promptSecret("Enter the mnemonic or hex private key (not echoed): ")
		} else {
			s, err = c.readStdinLine()
		}
		if err != nil {
			return "", fmt.Errorf("read the key: %v", err)
		}
	} else {
		st, err := os.Stat(src)
		if err != nil {
			if isHexKey(src) || len(strings.Fields(src)) >= 12 {
				return "", errors.New("a secret on the command line is visible to other users and kept in the shell's history: put it in a file only you can read (chmod 600) and give its path, or give - to type it without echo")
			}
			if errors.Is(err, os.ErrNotExist) {
				return "", fmt.Errorf("%s: no such file (expected a file holding a mnemonic or a hex private key, or -)", src)
			}
			return "", err
		}
		if st.IsDir() {
			return "", fmt.Errorf("%s is a directory, expected a file holding a mnemonic or a hex private key", src)
		}
		if err := keystore.CheckPrivateFile(src); err != nil {
			return "", err
		}
		b, err := os.ReadFile(src)
		if err != nil {
			return "", err
		}
		s = string(b)
	}
	s = strings.TrimSpace(s)
	if s == "" {
		return "", fmt.Errorf("%s is empty, expected a mnemonic or a hex private key", src)
	}
	return s, nil
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
			ks, k, err := c.openKey(args[0])
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
			ks, k, err := c.openKey(args[0])
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
