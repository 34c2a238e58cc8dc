package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/tallyledger/tally/client"
	"github.com/tallyledger/tally/cmd/internal/cliconv"
	"github.com/tallyledger/tally/crypto"
	"github.com/tallyledger/tally/crypto/keystore"
	"github.com/tallyledger/tally/ledger"
	"github.com/tallyledger/tally/version"
	"github.com/tallyledger/tally/wire"
)

// txFlags are the flags of every command that makes a transaction.
type txFlags struct {
	memo         string
	expiry       uint64
	nonce        uint64
	timeout      time.Duration
	noWait       bool
	generateOnly bool
	out          string
	chainID      string

	nonceSet bool
}

func addTxFlags(cmd *cobra.Command, f *txFlags) {
	fl := cmd.Flags()
	fl.StringVar(&f.memo, "memo", "", "note stored with the transaction (at most 256 bytes)")
	fl.Uint64Var(&f.expiry, "expiry-height", 0, "last block height at which the transaction may execute (0: never expires)")
	fl.Uint64Var(&f.nonce, "nonce", 0, "use this nonce instead of the sender's next one from the node")
	fl.DurationVar(&f.timeout, "timeout", client.DefaultWaitTimeout, "how long to wait for the transaction's block")
	fl.BoolVar(&f.noWait, "no-wait", false, "return once the node accepted the transaction, without waiting for its block")
	fl.BoolVar(&f.noWait, "async", false, "same as --no-wait")
	fl.BoolVar(&f.generateOnly, "generate-only", false, "write the unsigned transaction as JSON instead of signing and sending it")
	fl.StringVar(&f.out, "out", "", "with --generate-only: write the unsigned transaction to this file (default: standard output)")
	fl.StringVar(&f.chainID, "chain-id", "", "chain ID to sign for (default $TALLY_CHAIN_ID, the home's config, or the node's)")
}

// txOutcome is what a transaction command prints.
type txOutcome struct {
	Hash     string             `json:"hash"`
	ChainID  string             `json:"chain_id"`
	Nonce    uint64             `json:"nonce"`
	Status   string             `json:"status"` // submitted, pending (waited, not yet in a block), committed, failed
	Height   int64              `json:"height,omitempty"`
	Code     uint32             `json:"code"`
	CodeName string             `json:"code_name"`
	Log      string             `json:"log,omitempty"`
	Events   []wire.EventResult `json:"events,omitempty"`
	// ProposalID is the proposal a governance transaction made or voted
	// on, and ProposalExecuted whether its action ran in this block.
	ProposalID       uint64 `json:"proposal_id,omitempty"`
	ProposalExecuted bool   `json:"proposal_executed,omitempty"`
}

func outcomeOf(s *client.Submitted) txOutcome {
	o := txOutcome{Hash: s.Hash, ChainID: s.ChainID, Nonce: s.Nonce, Status: "submitted", CodeName: ledger.CodeOK.String()}
	if r := s.Result; r != nil {
		o.Height, o.Code, o.CodeName, o.Log, o.Events = r.Height, r.Code, r.CodeName, r.Log, r.Events
		o.Status = "committed"
		if r.Code != 0 {
			o.Status = "failed"
		}
		o.ProposalID, o.ProposalExecuted = proposalOf(r.Events)
	}
	return o
}

// printOutcome prints a submission; extra adds lines to the text form.
func (c *cli) printOutcome(o txOutcome, extra func(w io.Writer)) error {
	return c.emit(o, func(w io.Writer) {
		fmt.Fprintf(w, "hash:    %s\n", o.Hash)
		fmt.Fprintf(w, "nonce:   %d\n", o.Nonce)
		switch o.Status {
		case "submitted":
			fmt.Fprintf(w, "status:  submitted (accepted by the node; not waiting for the block)\n")
		case "pending":
			fmt.Fprintf(w, "status:  submitted, not yet in a block (it may still commit)\n")
		default:
			fmt.Fprintf(w, "height:  %d\n", o.Height)
			if o.Code == 0 {
				fmt.Fprintf(w, "result:  ok\n")
			} else {
				fmt.Fprintf(w, "result:  failed (code %d %s): %s\n", o.Code, o.CodeName, o.Log)
			}
		}
		if extra != nil {
			extra(w)
		}
	})
}

// makeTx signs and submits msg from the key from, or with --generate-only
// writes it unsigned. extra adds lines to the text output of a success.
func (c *cli) makeTx(cmd *cobra.Command, f *txFlags, from string, msg ledger.Msg, extra func(w io.Writer, o txOutcome)) error {
	ctx := cmd.Context()
	f.nonceSet = cmd.Flags().Changed("nonce")
	body := ledger.Body{Expiry: f.expiry, Memo: f.memo, Msg: msg}
	if err := body.ValidateBasic(); err != nil {
		return fmt.Errorf("transaction is invalid: %v", err)
	}
	if f.generateOnly {
		return c.generateOnly(ctx, f, from, body)
	}
	if f.out != "" {
		return errors.New("--out applies only with --generate-only")
	}
	ks, err := c.keystore()
	if err != nil {
		return err
	}
	key, _, err := c.signer(ks, from)
	if err != nil {
		return err
	}
	opts := client.SubmitOptions{ChainID: c.chainIDOr(f.chainID), Wait: !f.noWait, WaitTimeout: f.timeout}
	if f.nonceSet {
		n := f.nonce
		opts.Nonce = &n
	}
	if len(c.nodeURLs()) > 1 && !f.noWait {
		fo, err := c.failover()
		if err != nil {
			return err
		}
		sub, rep, err := client.SubmitVia(ctx, fo, key, body, opts)
		c.noteCommittedBy(rep)
		return c.finishTx(sub, err, extra)
	}
	cl, err := c.client()
	if err != nil {
		return err
	}
	// The broadcast itself (which retries while the node catches up) gets
	// the same bound as the wait for the block.
	bctx, cancel := context.WithTimeout(ctx, f.timeout+client.DefaultRequestTimeout)
	defer cancel()
	sub, err := cl.Submit(bctx, key, body, opts)
	return c.finishTx(sub, err, extra)
}

// pendingError is a transaction submitted but not (yet) seen in a block:
// exit status 3. Sending it again would pay twice if it commits.
type pendingError struct {
	hash  string
	cause error // the wait's end: a *client.TimeoutError or an interruption
	wait  string
}

func (e *pendingError) Error() string {
	return fmt.Sprintf("%v: do not send it again; wait for it with `%s`", e.cause, e.wait)
}
func (e *pendingError) Unwrap() error { return e.cause }
func (e *pendingError) ExitCode() int { return cliconv.ExitPending }
func (e *pendingError) Kind() string  { return "pending" }

// pending makes the error of a transaction whose block was not seen.
func (c *cli) pending(hash string, cause error) error {
	var te *client.TimeoutError
	if !errors.As(cause, &te) {
		cause = fmt.Errorf("transaction %s was submitted, stopped waiting for its block (%v); it may still commit", hash, cause)
	}
	return &pendingError{hash: hash, cause: cause, wait: c.invocation() + " tx wait " + hash}
}

// waitEnded reports whether err ended the wait for a submitted
// transaction's block (timeout or interruption) rather than refused it.
func waitEnded(sub *client.Submitted, err error) bool {
	if sub == nil || sub.Hash == "" || sub.Result != nil {
		return false
	}
	var te *client.TimeoutError
	return errors.As(err, &te) || errors.Is(err, context.Canceled)
}

// finishTx prints a submission's outcome and returns its error.
func (c *cli) finishTx(sub *client.Submitted, err error, extra func(w io.Writer, o txOutcome)) error {
	var te *client.TxError
	switch {
	case waitEnded(sub, err) && !errors.As(err, &te):
		o := outcomeOf(sub)
		o.Status = "pending"
		if perr := c.printOutcome(o, nil); perr != nil {
			return perr
		}
		return c.pending(sub.Hash, err)
	case err == nil:
		o := outcomeOf(sub)
		var ex func(io.Writer)
		if extra != nil {
			ex = func(w io.Writer) { extra(w, o) }
		}
		return c.printOutcome(o, ex)
	case errors.As(err, &te) && te.Height > 0 && sub != nil && sub.Result != nil:
		// Failed in its block: print where, then fail with the reason.
		if perr := c.printOutcome(outcomeOf(sub), nil); perr != nil {
			return perr
		}
		return err
	default:
		return err
	}
}

// generateOnly writes body as an unsigned transaction file. The chain ID
// and nonce come from the flags, else from the node if it can be reached;
// otherwise they are left for `tally tx sign`.
func (c *cli) generateOnly(ctx context.Context, f *txFlags, from string, body ledger.Body) error {
	ks := c.keystoreIfExists()
	addr, _, err := c.resolveAddress(ks, from)
	if err != nil {
		return err
	}
	chainID := c.chainIDOr(f.chainID)
	nonceKnown := f.nonceSet
	body.Nonce = f.nonce
	if chainID == "" || !nonceKnown {
		cl, err := c.client()
		if err != nil {
			return err
		}
		if chainID == "" {
			if chainID, err = cl.ChainID(ctx); err != nil {
				c.note("note: %v; chain_id left empty (give it to `tally tx sign --chain-id`)", err)
			}
		}
		if !nonceKnown {
			if n, err := cl.NextNonce(ctx, addr); err != nil {
				c.note("note: %v; nonce left empty (give it to `tally tx sign --nonce`)", err)
			} else {
				body.Nonce, nonceKnown = n, true
			}
		}
	}
	u := client.NewUnsignedTx(chainID, addr, body, nonceKnown)
	return c.writeTxFile(u, f.out, "unsigned transaction")
}

// keystoreIfExists opens the key store without creating it, or returns
// nil (a key name then cannot be resolved, an address still can).
func (c *cli) keystoreIfExists() *keystore.Store {
	if _, err := os.Stat(filepath.Join(c.home, keystore.MarkerFile)); err != nil {
		return nil
	}
	ks, err := c.keystore()
	if err != nil {
		return nil
	}
	return ks
}

// writeTxFile writes a transaction file to path, or to stdout when path
// is empty.
func (c *cli) writeTxFile(v any, path, what string) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	b = append(b, '\n')
	if path == "" {
		_, err := c.stdout.Write(b)
		return err
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		return fmt.Errorf("write %s: %v", what, err)
	}
	return c.emit(map[string]string{"file": path}, func(w io.Writer) {
		fmt.Fprintf(w, "wrote %s to %s\n", what, path)
	})
}

func (c *cli) sendCmd() *cobra.Command {
	var f txFlags
	cmd := &cobra.Command{
		Use:   "send <from> <to> <amount><ASSET>",
		Short: "Transfer an amount to another account and wait for the block",
		Long: `Transfer an amount from a wallet key to another account (a key name or a
tally1... address). The nonce is the sender's next one, counting its
transactions already waiting in the node's mempool. The command signs,
broadcasts, waits for the block and prints the hash, height and result; it
exits non-zero with the ledger's reason if the transaction is rejected or
fails.`,
		Example: `  tally send alice bob 25TALLY
  tally send alice tally1qy... 5TALLY --memo "invoice 42"
  tally send alice bob 25TALLY --generate-only --out unsigned.json`,
		Args: amountArgs(3),
		RunE: func(cmd *cobra.Command, args []string) error {
			to, asset, amount, err := c.recipientAndAmount(args[1], args[2])
			if err != nil {
				return err
			}
			msg := ledger.Msg{Transfer: &ledger.Transfer{To: to, Asset: asset, Amount: amount}}
			return c.makeTx(cmd, &f, args[0], msg, nil)
		},
	}
	addTxFlags(cmd, &f)
	return cmd
}

// amountArgs checks the arguments of a command whose last argument is
// <amount><ASSET>: an amount and its asset written apart ("25 TALLY") are
// told to be written together.
func amountArgs(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) == n+1 && isDigits(args[n-1]) && ledger.ValidateSymbol(args[n]) == nil {
			return cliconv.Usagef("write the amount and asset together, e.g. %s%s (not %q %q)", args[n-1], args[n], args[n-1], args[n])
		}
		return cobra.ExactArgs(n)(cmd, args)
	}
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// recipientAndAmount parses the <to> and <amount><ASSET> arguments of send
// and mint; the amount is checked first, as it needs no key store.
func (c *cli) recipientAndAmount(toArg, amountArg string) (to crypto.Address, asset string, amount uint64, err error) {
	if asset, amount, err = client.ParseAmount(amountArg); err != nil {
		return to, "", 0, err
	}
	to, _, err = c.resolveAddress(nil, toArg)
	return to, asset, amount, err
}

func (c *cli) mintCmd() *cobra.Command {
	var f txFlags
	cmd := &cobra.Command{
		Use:     "mint <from> <to> <amount><ASSET>",
		Short:   "Create new units of an asset in an account (the asset's issuer only)",
		Example: `  tally mint admin alice 1000TALLY`,
		Args:    amountArgs(3),
		RunE: func(cmd *cobra.Command, args []string) error {
			to, asset, amount, err := c.recipientAndAmount(args[1], args[2])
			if err != nil {
				return err
			}
			return c.makeTx(cmd, &f, args[0], ledger.Msg{Mint: &ledger.Mint{To: to, Asset: asset, Amount: amount}}, nil)
		},
	}
	addTxFlags(cmd, &f)
	return cmd
}

func (c *cli) burnCmd() *cobra.Command {
	var f txFlags
	cmd := &cobra.Command{
		Use:     "burn <from> <amount><ASSET>",
		Short:   "Destroy units of an asset from the issuer's own balance (the asset's issuer only)",
		Example: `  tally burn admin 10TALLY`,
		Args:    amountArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			asset, amount, err := client.ParseAmount(args[1])
			if err != nil {
				return err
			}
			return c.makeTx(cmd, &f, args[0], ledger.Msg{Burn: &ledger.Burn{Asset: asset, Amount: amount}}, nil)
		},
	}
	addTxFlags(cmd, &f)
	return cmd
}

func (c *cli) txCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "tx",
		Short: "Sign and broadcast transaction files (offline signing)",
		Long: `Offline signing in three steps, each on a different machine if need be:

  tally send alice bob 25TALLY --generate-only --out unsigned.json   # any machine (node optional)
  tally tx sign unsigned.json --from alice --out signed.json         # the key's machine, no node needed
  tally tx broadcast signed.json                                     # any machine that reaches a node

The unsigned file is readable JSON (it may be checked, or edited, before
signing). The signed file carries the transaction bytes in hex and a
readable copy; its signature binds the chain ID and its nonce, so it commits
at most once and only on the chain it was signed for.`,
	}
	cmd.AddCommand(c.txSignCmd(), c.txBroadcastCmd(), c.txWaitCmd())
	return cmd
}

func (c *cli) txWaitCmd() *cobra.Command {
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "wait <hash>",
		Short: "Wait for a submitted transaction's block and print its result",
		Long: `Wait until a submitted transaction is in a block and print its height and
result, as send does. Use it after a send (or tx broadcast) that ended with
exit status 3 ("submitted, not yet in a block") instead of sending again.

Exit status: 0 committed, 1 failed in its block (its nonce is used), 3 still
not in a block after --timeout (it may still be in a mempool, or may have
been dropped: only then is sending it again safe; a signed file sent again
with "tally tx broadcast" commits at most once).`,
		Example: `  tally tx wait 6B4F0E...A1 --timeout 2m`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cl, err := c.client()
			if err != nil {
				return err
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), timeout)
			defer cancel()
			r, err := cl.WaitTx(ctx, args[0])
			var to *client.TimeoutError
			if errors.As(err, &to) || (r == nil && errors.Is(err, context.Canceled)) {
				if perr := c.printOutcome(txOutcome{Hash: strings.ToUpper(args[0]), Status: "pending"}, nil); perr != nil {
					return perr
				}
				return c.pending(strings.ToUpper(args[0]), err)
			}
			if r == nil {
				return err
			}
			sub := &client.Submitted{Hash: r.Hash, Result: r}
			if r.Body.Nonce != nil {
				sub.Nonce = *r.Body.Nonce
			}
			return c.finishTx(sub, err, nil)
		},
	}
	cmd.Flags().DurationVar(&timeout, "timeout", client.DefaultWaitTimeout, "how long to wait for the block")
	return cmd
}

func (c *cli) txSignCmd() *cobra.Command {
	var from, chainID, out string
	var nonce uint64
	cmd := &cobra.Command{
		Use:   "sign <unsigned-file>",
		Short: "Sign an unsigned transaction file (needs no node)",
		Long: `Sign an unsigned transaction file written by --generate-only. No node is
contacted: the chain ID and nonce come from the file, or from --chain-id and
--nonce (which override the file's).`,
		Example: `  tally tx sign unsigned.json --from alice --out signed.json
  tally tx sign unsigned.json --from alice --chain-id tally-localnet --nonce 7 --out signed.json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if from == "" {
				return errors.New("missing --from <key>: the key that signs")
			}
			data, err := os.ReadFile(args[0])
			if err != nil {
				return fmt.Errorf("read unsigned transaction: %v", err)
			}
			u, err := client.ReadUnsignedTx(data)
			if err != nil {
				return fmt.Errorf("%s: %v", args[0], err)
			}
			var np *uint64
			if cmd.Flags().Changed("nonce") {
				np = &nonce
			}
			ks, err := c.keystore()
			if err != nil {
				return err
			}
			key, _, err := c.signer(ks, from)
			if err != nil {
				return err
			}
			if chainID == "" && u.ChainID == "" {
				chainID = c.chainID // the file has none: the environment's or config's
			}
			signed, err := u.Sign(key, chainID, np)
			if err != nil {
				return err
			}
			return c.writeTxFile(signed, out, "signed transaction")
		},
	}
	cmd.Flags().StringVar(&from, "from", "", "key that signs (name or address of a wallet key)")
	cmd.Flags().StringVar(&chainID, "chain-id", "", "chain ID to sign for (overrides the file's)")
	cmd.Flags().Uint64Var(&nonce, "nonce", 0, "nonce to sign with (overrides the file's)")
	cmd.Flags().StringVar(&out, "out", "", "write the signed transaction to this file (default: standard output)")
	return cmd
}

func (c *cli) txBroadcastCmd() *cobra.Command {
	var noWait bool
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "broadcast <signed-file>",
		Short: "Submit a signed transaction file and wait for its block",
		Long: `Submit a signed transaction file. It is refused before it is sent if the
node runs another chain than the one it was signed for, if it is already in
a block, or if its nonce is already used: a signed transaction commits at
most once, so broadcasting the same file again is always safe. When the
node already holds it in its mempool, the command waits for its block.`,
		Example: `  tally tx broadcast signed.json --node http://10.0.0.5:26657`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			data, err := os.ReadFile(args[0])
			if err != nil {
				return fmt.Errorf("read signed transaction: %v", err)
			}
			f, tx, raw, err := client.ReadSignedTx(data)
			if err != nil {
				return fmt.Errorf("%s: %v", args[0], err)
			}
			cl, err := c.client()
			if err != nil {
				return err
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), timeout+client.DefaultRequestTimeout)
			defer cancel()
			if len(c.nodeURLs()) > 1 && !noWait {
				fo, err := c.failover()
				if err != nil {
					return err
				}
				res, rep, err := fo.Commit(ctx, raw)
				c.noteCommittedBy(rep)
				sub := &client.Submitted{Hash: f.Hash, Nonce: tx.Body.Nonce, ChainID: f.ChainID, Result: res}
				return c.finishTx(sub, err, nil)
			}
			sub, err := cl.BroadcastSigned(ctx, f, tx, raw, !noWait, timeout)
			if errors.Is(err, client.ErrAlreadySubmitted) && !noWait && sub != nil && sub.Hash != "" {
				// Broadcast again while the first copy waits in a mempool:
				// wait for that one, the same transaction.
				c.note("note: %v; waiting for its block", err)
				wctx, wcancel := context.WithTimeout(ctx, timeout)
				defer wcancel()
				sub.Result, err = cl.WaitTx(wctx, sub.Hash)
			}
			return c.finishTx(sub, err, nil)
		},
	}
	cmd.Flags().BoolVar(&noWait, "no-wait", false, "return once the node accepted the transaction, without waiting for its block")
	cmd.Flags().DurationVar(&timeout, "timeout", client.DefaultWaitTimeout, "how long to wait for the transaction's block")
	return cmd
}

// parseUint reads a decimal argument with a clear error.
func parseUint(what, s string) (uint64, error) {
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("bad %s %q: expected a non-negative integer", what, s)
	}
	return n, nil
}

func (c *cli) versionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the wallet's version (tally status shows the node's)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			v := version.String()
			return c.emit(map[string]string{"version": v}, func(w io.Writer) { fmt.Fprintf(w, "tally %s\n", v) })
		},
	}
}
