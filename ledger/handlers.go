package ledger

import "math"

// Handlers of the asset messages: transfer, mint and burn. Each checks
// everything first and writes last, so a rejection leaves nothing behind
// even before the transaction's overlay is dropped.

func execTransfer(c *txContext, m *Msg) error {
	t := m.Transfer
	if t.To == c.sender {
		return Errorf(CodeSelfTransfer, "transfer to the sender itself (%s): it would change nothing", c.sender)
	}
	asset, err := requireAsset(c.st, t.Asset)
	if err != nil {
		return err
	}
	if asset.Paused {
		return Errorf(CodeAssetPaused, "asset %s is paused: transfers are stopped", asset.Symbol)
	}
	if _, err := requireRecipient(c.st, t.To); err != nil {
		return err
	}
	have, err := getBalance(c.st, c.sender, t.Asset)
	if err != nil {
		return err
	}
	if have < t.Amount {
		return Errorf(CodeInsufficient, "insufficient %s: balance %d, need %d", t.Asset, have, t.Amount)
	}
	to, err := getBalance(c.st, t.To, t.Asset)
	if err != nil {
		return err
	}
	if to > math.MaxUint64-t.Amount {
		return Errorf(CodeOverflow, "balance of %s in %s would overflow: balance %d, receiving %d", t.To, t.Asset, to, t.Amount)
	}
	if err := putBalance(c.st, c.sender, t.Asset, have-t.Amount); err != nil {
		return err
	}
	if err := putBalance(c.st, t.To, t.Asset, to+t.Amount); err != nil {
		return err
	}
	c.touch(t.To)
	if c.env.events {
		c.emit("transfer", "sender", c.sender.String(), "recipient", t.To.String(), "asset", t.Asset, "amount", u64(t.Amount))
	}
	return nil
}

// requireIssuer checks that the sender may mint and burn asset: it is the
// asset's issuer and holds the issuer role.
func requireIssuer(c *txContext, asset *Asset, verb string) error {
	if asset.Issuer != c.sender {
		return Errorf(CodeUnauthorized, "only the issuer of %s (%s) may %s it, not %s", asset.Symbol, asset.Issuer, verb, c.sender)
	}
	acct, err := requireAccount(c.st, c.sender, "sender")
	if err != nil {
		return err
	}
	if !acct.HasRole(RoleIssuer) {
		return Errorf(CodeUnauthorized, "%s issues %s but lacks the issuer role (revoked?): cannot %s", c.sender, asset.Symbol, verb)
	}
	if asset.Paused {
		return Errorf(CodeAssetPaused, "asset %s is paused: cannot %s", asset.Symbol, verb)
	}
	return nil
}

func execMint(c *txContext, m *Msg) error {
	mt := m.Mint
	asset, err := requireAsset(c.st, mt.Asset)
	if err != nil {
		return err
	}
	if err := requireIssuer(c, asset, "mint"); err != nil {
		return err
	}
	if _, err := requireRecipient(c.st, mt.To); err != nil {
		return err
	}
	if asset.Supply > math.MaxUint64-mt.Amount {
		return Errorf(CodeOverflow, "supply of %s would overflow: supply %d, minting %d", asset.Symbol, asset.Supply, mt.Amount)
	}
	to, err := getBalance(c.st, mt.To, mt.Asset)
	if err != nil {
		return err
	}
	// A balance never exceeds the supply, so it cannot overflow when the
	// supply does not; checked anyway so a broken invariant fails loudly.
	if to > math.MaxUint64-mt.Amount {
		return Errorf(CodeOverflow, "balance of %s in %s would overflow: balance %d, minting %d", mt.To, mt.Asset, to, mt.Amount)
	}
	asset.Supply += mt.Amount
	putAsset(c.st, asset)
	if err := putBalance(c.st, mt.To, mt.Asset, to+mt.Amount); err != nil {
		return err
	}
	c.touch(mt.To)
	if c.env.events {
		c.emit("mint", "issuer", c.sender.String(), "recipient", mt.To.String(), "asset", mt.Asset, "amount", u64(mt.Amount))
	}
	return nil
}

func execBurn(c *txContext, m *Msg) error {
	b := m.Burn
	asset, err := requireAsset(c.st, b.Asset)
	if err != nil {
		return err
	}
	if err := requireIssuer(c, asset, "burn"); err != nil {
		return err
	}
	have, err := getBalance(c.st, c.sender, b.Asset)
	if err != nil {
		return err
	}
	if have < b.Amount {
		return Errorf(CodeInsufficient, "insufficient %s to burn: balance %d, need %d", b.Asset, have, b.Amount)
	}
	asset.Supply -= b.Amount
	putAsset(c.st, asset)
	if err := putBalance(c.st, c.sender, b.Asset, have-b.Amount); err != nil {
		return err
	}
	if c.env.events {
		c.emit("burn", "issuer", c.sender.String(), "asset", b.Asset, "amount", u64(b.Amount))
	}
	return nil
}
