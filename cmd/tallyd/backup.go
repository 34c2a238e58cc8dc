package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/tallyledger/tally/app"
	"github.com/tallyledger/tally/cmd/internal/cliconv"
)

func newBackupCmd(e env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "backup",
		Short: "Archive a stopped node's data and configuration (gzipped tar)",
		Long: `Backup writes the data directory (CometBFT's databases, the ledger, the
validator's last-sign state) and the configuration (config files, genesis,
node and validator keys) of a stopped node to one gzipped tar file. The
ledger is checked against its app hash first. A running node is refused.
The archive holds the node's keys: keep it as safe as the home.
Restore it with "tallyd restore".`,
		Example: `  tallyd backup --home ~/.tallyd --output node0-backup.tar.gz`,
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			home, err := homeFlag(cmd)
			if err != nil {
				return err
			}
			out, _ := cmd.Flags().GetString("output")
			if out == "" {
				return cliconv.Usagef("--output FILE is required")
			}
			f, err := os.OpenFile(out, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
			if err != nil {
				return fmt.Errorf("create backup file: %w", err)
			}
			info, err := app.Backup(home, f)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				os.Remove(out)
				return err
			}
			fmt.Fprintf(e.stdout, "Backed up chain %s at height %d (app hash %X) to %s\n", info.ChainID, info.Height, info.AppHash, out)
			return nil
		},
	}
	cmd.Flags().StringP("output", "o", "", "backup file to create (must not exist)")
	return cmd
}

func newRestoreCmd(e env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "restore",
		Short: "Restore a stopped node's data from a backup",
		Long: `Restore unpacks a backup made by "tallyd backup" into the home: the data
directory is replaced (refused when it holds data, unless --force) and
configuration files the home lacks are restored (existing configuration
and keys are kept). A validator's last-sign state newer than the backup's
is kept, so the restored validator never signs twice at one height. The
restored ledger is checked against its app hash. Start the node afterwards:
it catches up from its peers.`,
		Example: `  tallyd restore --home ~/.tallyd --input node0-backup.tar.gz --force`,
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			home, err := homeFlag(cmd)
			if err != nil {
				return err
			}
			in, _ := cmd.Flags().GetString("input")
			if in == "" {
				return cliconv.Usagef("--input FILE is required")
			}
			force, _ := cmd.Flags().GetBool("force")
			f, err := os.Open(in)
			if err != nil {
				return fmt.Errorf("open backup: %w", err)
			}
			defer f.Close()
			info, err := app.Restore(home, f, app.RestoreOptions{Force: force})
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "Restored chain %s at height %d (app hash %X) into %s; start the node to catch up\n", info.ChainID, info.Height, info.AppHash, home)
			return nil
		},
	}
	cmd.Flags().StringP("input", "i", "", "backup file made by tallyd backup")
	cmd.Flags().Bool("force", false, "replace a data directory that holds data")
	return cmd
}
