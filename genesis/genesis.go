package genesis

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"slices"
	"strconv"

	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/cometbft/cometbft/crypto/ed25519"
	cmttypes "github.com/cometbft/cometbft/types"

	"github.com/tallyledger/tally/crypto"
	"github.com/tallyledger/tally/ledger"
)

// AppState is Tally's app_state inside CometBFT's genesis.json. Addresses
// are bech32 strings and amounts decimal strings, as people write them; the
// validators are CometBFT's own (the genesis document's validators).
type AppState struct {
	Params       Params    `json:"params"`
	Accounts     []Account `json:"accounts"`
	Assets       []Asset   `json:"assets"`
	Balances     []Balance `json:"balances"`
	AllowedNodes []string  `json:"allowed_nodes"`

	// The governance history of an exported chain (tallyd export); a new
	// chain has none. NextProposalID 0 means 1.
	Proposals      []ledger.Proposal     `json:"proposals,omitempty"`
	NextProposalID uint64                `json:"next_proposal_id,omitempty,string"`
	RetiredNonces  []ledger.RetiredNonce `json:"retired_nonces,omitempty"`
}

// Params are the chain parameters.
type Params struct {
	AdminThreshold      uint32 `json:"admin_threshold"`
	FreezeBlocksReceive bool   `json:"freeze_blocks_receive"`
}

// Account is a registered account with its roles.
type Account struct {
	Address string   `json:"address"`
	Roles   []string `json:"roles"`
	// Nonce is the account's next nonce (0 on a new chain; kept by an
	// export so that no signed transaction becomes valid again).
	Nonce        uint64 `json:"nonce,omitempty,string"`
	Frozen       bool   `json:"frozen,omitempty"`
	FrozenReason string `json:"frozen_reason,omitempty"`
	// Name is an optional label (the wallet key's name on a localnet) that
	// the explorer's search box accepts. It is not part of the ledger state.
	Name string `json:"name,omitempty"`
}

// MaxNameLen is the longest account name a genesis may give.
const MaxNameLen = 64

// Asset is an asset and its issuer; its supply is the sum of its balances.
type Asset struct {
	Symbol string `json:"symbol"`
	Issuer string `json:"issuer"`
	Paused bool   `json:"paused,omitempty"`
}

// Balance is an initial balance; Amount is a decimal string.
type Balance struct {
	Address string `json:"address"`
	Asset   string `json:"asset"`
	Amount  string `json:"amount"`
}

// Default returns an empty app state with an admin threshold of 1. It is
// not valid until it has at least one admin account (AddAccount).
func Default() *AppState {
	return &AppState{
		Params:       Params{AdminThreshold: 1},
		Accounts:     []Account{},
		Assets:       []Asset{},
		Balances:     []Balance{},
		AllowedNodes: []string{},
	}
}

// Parse decodes app_state JSON strictly: unknown fields and trailing data
// are errors.
func Parse(b []byte) (*AppState, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var s AppState
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("parse app_state: %w", err)
	}
	if dec.More() {
		return nil, errors.New("parse app_state: trailing data after the JSON object")
	}
	return &s, nil
}

// Marshal encodes the app state as indented JSON.
func (s *AppState) Marshal() (json.RawMessage, error) {
	return json.MarshalIndent(s, "", "  ")
}

// Validate checks the app state and returns every problem it finds
// (errors.Join), each naming the offending entry: bad addresses, amounts
// and node IDs, duplicates, balances of unregistered accounts or unknown
// assets, supply overflow, a missing admin, a threshold of 0 or above the
// number of admins...
func (s *AppState) Validate() error {
	g, errs := s.convert()
	if err := g.ValidateState(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// ToLedger converts a valid app state and the chain's validators into the
// ledger's genesis state.
func (s *AppState) ToLedger(validators []ledger.Validator) (ledger.GenesisState, error) {
	g, errs := s.convert()
	g.Validators = validators
	// The rules are checked even when some entries did not parse, so that
	// every problem is named at once (the entries that did not parse are
	// left out of the check).
	if err := g.Validate(); err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return g, fmt.Errorf("invalid genesis: %w", errors.Join(errs...))
	}
	return g, nil
}

// convert turns the JSON form into the ledger's, collecting the problems
// of parsing (the ledger's Validate then checks the rules).
func (s *AppState) convert() (ledger.GenesisState, []error) {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	g := ledger.GenesisState{
		Params:         ledger.Params{AdminThreshold: s.Params.AdminThreshold, FreezeBlocksReceive: s.Params.FreezeBlocksReceive},
		AllowedNodes:   slices.Clone(s.AllowedNodes),
		Proposals:      slices.Clone(s.Proposals),
		NextProposalID: s.NextProposalID,
		RetiredNonces:  slices.Clone(s.RetiredNonces),
	}
	names := map[string]int{}
	for i, a := range s.Accounts {
		if a.Name != "" {
			if err := validName(a.Name); err != nil {
				bad("accounts[%d]: name %q: %v", i, a.Name, err)
			} else if j, dup := names[a.Name]; dup {
				bad("accounts[%d]: name %q is already the name of accounts[%d]", i, a.Name, j)
			}
			names[a.Name] = i
		}
		addr, err := crypto.ParseAddress(a.Address)
		if err != nil {
			bad("accounts[%d]: %v", i, err)
			continue
		}
		acct := ledger.Account{Address: addr, Nonce: a.Nonce, Frozen: a.Frozen, FrozenReason: a.FrozenReason}
		for _, r := range a.Roles {
			acct.Roles = append(acct.Roles, ledger.Role(r))
		}
		g.Accounts = append(g.Accounts, acct)
	}
	for i, a := range s.Assets {
		issuer, err := crypto.ParseAddress(a.Issuer)
		if err != nil {
			bad("assets[%d] (%s): issuer: %v", i, a.Symbol, err)
			continue
		}
		g.Assets = append(g.Assets, ledger.Asset{Symbol: a.Symbol, Issuer: issuer, Paused: a.Paused})
	}
	for i, b := range s.Balances {
		addr, err := crypto.ParseAddress(b.Address)
		if err != nil {
			bad("balances[%d] (%s): %v", i, b.Asset, err)
			continue
		}
		amount, err := ParseAmount(b.Amount)
		if err != nil {
			bad("balances[%d] (%s %s): %v", i, b.Asset, b.Address, err)
			continue
		}
		g.Balances = append(g.Balances, ledger.GenesisBalance{Address: addr, Asset: b.Asset, Amount: amount})
	}
	return g, errs
}

// validName accepts letters, digits, '.', '_' and '-', at most MaxNameLen
// of them: a name that reads the same in a URL, a shell and a page.
func validName(n string) error {
	if len(n) > MaxNameLen {
		return fmt.Errorf("%d characters, at most %d", len(n), MaxNameLen)
	}
	for _, c := range n {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return fmt.Errorf("character %q, expected letters, digits, '.', '_' or '-'", c)
		}
	}
	return nil
}

// SetName gives the genesis account at address a name (see Account.Name).
func (s *AppState) SetName(address, name string) error {
	if err := validName(name); err != nil {
		return fmt.Errorf("name %q: %w", name, err)
	}
	a, err := crypto.ParseAddress(address)
	if err != nil {
		return err
	}
	i := s.findAccount(a)
	if i < 0 {
		return fmt.Errorf("account %s is not in genesis", a)
	}
	for j := range s.Accounts {
		if j != i && s.Accounts[j].Name == name {
			return fmt.Errorf("name %q is already the name of %s", name, s.Accounts[j].Address)
		}
	}
	s.Accounts[i].Name = name
	return nil
}

// FromLedger returns the JSON form of a ledger genesis state (for example
// a chain's state exported by ledger.View.Export). The validators are not
// part of it: they go into the genesis document.
func FromLedger(g ledger.GenesisState) *AppState {
	s := Default()
	s.Params = Params{AdminThreshold: g.Params.AdminThreshold, FreezeBlocksReceive: g.Params.FreezeBlocksReceive}
	for _, a := range g.Accounts {
		acct := Account{Address: a.Address.String(), Nonce: a.Nonce, Frozen: a.Frozen, FrozenReason: a.FrozenReason, Roles: []string{}}
		for _, r := range a.Roles {
			acct.Roles = append(acct.Roles, string(r))
		}
		s.Accounts = append(s.Accounts, acct)
	}
	for _, a := range g.Assets {
		s.Assets = append(s.Assets, Asset{Symbol: a.Symbol, Issuer: a.Issuer.String(), Paused: a.Paused})
	}
	for _, b := range g.Balances {
		s.Balances = append(s.Balances, Balance{Address: b.Address.String(), Asset: b.Asset, Amount: strconv.FormatUint(b.Amount, 10)})
	}
	s.AllowedNodes = append(s.AllowedNodes, g.AllowedNodes...)
	s.Proposals = g.Proposals
	s.NextProposalID = g.NextProposalID
	s.RetiredNonces = g.RetiredNonces
	return s
}

// ParseAmount parses a decimal amount: digits only, no sign, no leading
// zeros, at most 2^64-1.
func ParseAmount(s string) (uint64, error) {
	if s == "" {
		return 0, errors.New("amount is empty, expected a decimal number")
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, fmt.Errorf("amount %q is not a decimal number", s)
		}
	}
	if len(s) > 1 && s[0] == '0' {
		return 0, fmt.Errorf("amount %q has leading zeros", s)
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("amount %q overflows: at most %d", s, uint64(math.MaxUint64))
	}
	return n, nil
}

// ValidatorsFromDoc returns the genesis document's validators in the
// ledger's form; only ed25519 keys are accepted.
func ValidatorsFromDoc(doc *cmttypes.GenesisDoc) ([]ledger.Validator, error) {
	var out []ledger.Validator
	for _, v := range doc.Validators {
		if v.PubKey == nil || v.PubKey.Type() != ed25519.KeyType {
			return nil, fmt.Errorf("validator %q: key type is not ed25519", v.Name)
		}
		if v.Power <= 0 {
			return nil, fmt.Errorf("validator %q: power %d, expected a positive power", v.Name, v.Power)
		}
		out = append(out, ledger.Validator{PubKey: v.PubKey.Bytes(), Power: uint64(v.Power)})
	}
	return out, nil
}

// ValidatorsFromABCI converts InitChain's validators to the ledger's form;
// only ed25519 keys are accepted.
func ValidatorsFromABCI(updates []abci.ValidatorUpdate) ([]ledger.Validator, error) {
	var out []ledger.Validator
	for i, u := range updates {
		pk := u.PubKey.GetEd25519()
		if len(pk) != ed25519.PubKeySize {
			return nil, fmt.Errorf("validator %d: not an ed25519 key", i)
		}
		if u.Power <= 0 {
			return nil, fmt.Errorf("validator %X: power %d, expected a positive power", pk, u.Power)
		}
		out = append(out, ledger.Validator{PubKey: bytes.Clone(pk), Power: uint64(u.Power)})
	}
	return out, nil
}

// Load reads a CometBFT genesis document and its Tally app state, and
// validates both: a missing file, bad JSON and every rule violation are
// reported with the file's path.
func Load(path string) (*cmttypes.GenesisDoc, *AppState, error) {
	doc, err := LoadDoc(path)
	if err != nil {
		return nil, nil, err
	}
	s, err := Check(doc)
	if err != nil {
		return nil, nil, fmt.Errorf("genesis file %s: %w", path, err)
	}
	return doc, s, nil
}

// Check parses doc's app state and validates it with doc's validators.
func Check(doc *cmttypes.GenesisDoc) (*AppState, error) {
	s, err := Parse(doc.AppState)
	if err != nil {
		return nil, err
	}
	vals, err := ValidatorsFromDoc(doc)
	if err != nil {
		return nil, err
	}
	if _, err := s.ToLedger(vals); err != nil {
		return nil, err
	}
	return s, nil
}

// LoadDoc reads and validates the CometBFT genesis document at path, its
// app_state kept as raw JSON and not checked (Check does).
func LoadDoc(path string) (*cmttypes.GenesisDoc, error) {
	raw, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("genesis file %s does not exist (run `tallyd init` first?)", path)
	}
	if err != nil {
		return nil, fmt.Errorf("read genesis file: %w", err)
	}
	doc, err := cmttypes.GenesisDocFromJSON(raw)
	if err != nil {
		return nil, fmt.Errorf("genesis file %s is not a valid CometBFT genesis document: %w", path, err)
	}
	if len(doc.AppState) == 0 {
		return nil, fmt.Errorf("genesis file %s has no app_state", path)
	}
	return doc, nil
}

// Refs reads of an app state only what a node whose ledger state does not
// come from the genesis needs: the accounts' addresses and names and the
// allowed nodes. It neither checks nor keeps anything else.
func Refs(appState []byte) (*AppState, error) {
	var r struct {
		Accounts []struct {
			Address string `json:"address"`
			Name    string `json:"name"`
		} `json:"accounts"`
		AllowedNodes []string `json:"allowed_nodes"`
	}
	if err := json.Unmarshal(appState, &r); err != nil {
		return nil, fmt.Errorf("parse app_state: %w", err)
	}
	s := &AppState{AllowedNodes: r.AllowedNodes}
	for _, a := range r.Accounts {
		if a.Name != "" {
			s.Accounts = append(s.Accounts, Account{Address: a.Address, Name: a.Name})
		}
	}
	return s, nil
}

// Write stores doc with s as its app_state at path. It does not validate
// s, so a genesis can be assembled step by step; run Validate (or Load)
// before starting a node on it.
func Write(path string, doc *cmttypes.GenesisDoc, s *AppState) error {
	raw, err := s.Marshal()
	if err != nil {
		return fmt.Errorf("encode app_state: %w", err)
	}
	doc.AppState = raw
	if err := doc.SaveAs(path); err != nil {
		return fmt.Errorf("write genesis file %s: %w", path, err)
	}
	return nil
}

// AddAccount registers addr with roles (member is implied).
func (s *AppState) AddAccount(addr string, roles ...string) error {
	a, err := crypto.ParseAddress(addr)
	if err != nil {
		return err
	}
	for _, r := range roles {
		if !ledger.Role(r).Valid() {
			return fmt.Errorf("unknown role %q, expected admin, issuer or member", r)
		}
	}
	if s.findAccount(a) >= 0 {
		return fmt.Errorf("account %s is already in genesis", a)
	}
	s.Accounts = append(s.Accounts, Account{Address: a.String(), Roles: normalizeRoles(roles)})
	return nil
}

// AddAsset creates an asset issued by a genesis account, granting it the
// issuer role.
func (s *AppState) AddAsset(symbol, issuer string) error {
	if err := ledger.ValidateSymbol(symbol); err != nil {
		return errors.New(err.(*ledger.Error).Msg)
	}
	a, err := crypto.ParseAddress(issuer)
	if err != nil {
		return err
	}
	for _, x := range s.Assets {
		if x.Symbol == symbol {
			return fmt.Errorf("asset %s is already in genesis", symbol)
		}
	}
	i := s.findAccount(a)
	if i < 0 {
		return fmt.Errorf("issuer %s is not a genesis account: add it first (add-account)", a)
	}
	s.Accounts[i].Roles = normalizeRoles(append(s.Accounts[i].Roles, string(ledger.RoleIssuer)))
	s.Assets = append(s.Assets, Asset{Symbol: symbol, Issuer: a.String()})
	return nil
}

// AddBalance adds amount (a decimal string) of asset to addr's genesis
// balance.
func (s *AppState) AddBalance(addr, asset, amount string) error {
	a, err := crypto.ParseAddress(addr)
	if err != nil {
		return err
	}
	n, err := ParseAmount(amount)
	if err != nil {
		return err
	}
	if n == 0 {
		return errors.New("amount is 0, expected a positive amount")
	}
	if s.findAccount(a) < 0 {
		return fmt.Errorf("account %s is not a genesis account: add it first (add-account)", a)
	}
	if !slices.ContainsFunc(s.Assets, func(x Asset) bool { return x.Symbol == asset }) {
		return fmt.Errorf("asset %s is not in genesis: add it first (add-asset)", asset)
	}
	for i, b := range s.Balances {
		if b.Address == a.String() && b.Asset == asset {
			have, err := ParseAmount(b.Amount)
			if err != nil {
				return fmt.Errorf("existing balance: %w", err)
			}
			if have > math.MaxUint64-n {
				return fmt.Errorf("balance of %s %s would overflow: %d + %d", asset, a, have, n)
			}
			s.Balances[i].Amount = strconv.FormatUint(have+n, 10)
			return nil
		}
	}
	s.Balances = append(s.Balances, Balance{Address: a.String(), Asset: asset, Amount: strconv.FormatUint(n, 10)})
	return nil
}

// AllowNode adds a node ID (40 lower-case hex digits) to the allowed nodes.
func (s *AppState) AllowNode(id string) error {
	if err := ledger.ValidateNodeID(id); err != nil {
		return errors.New(err.(*ledger.Error).Msg)
	}
	if slices.Contains(s.AllowedNodes, id) {
		return fmt.Errorf("node %s is already allowed", id)
	}
	s.AllowedNodes = append(s.AllowedNodes, id)
	return nil
}

func (s *AppState) findAccount(a crypto.Address) int {
	for i, x := range s.Accounts {
		if p, err := crypto.ParseAddress(x.Address); err == nil && p == a {
			return i
		}
	}
	return -1
}

func normalizeRoles(roles []string) []string {
	out := append([]string{string(ledger.RoleMember)}, roles...)
	slices.Sort(out)
	return slices.Compact(out)
}
