package app

import (
	"fmt"
	"strconv"

	abci "github.com/cometbft/cometbft/abci/types"
)

// Misbehaviour: CometBFT turns a validator's conflicting votes (its key
// signing two different votes for one height and round, as two nodes
// started with the same key do) into evidence that a proposer puts in a
// block, and hands it to FinalizeBlock as Misbehavior. Tally records it
// and changes no state: the validator keeps its power until the admins
// remove it by governance (set-validator-power 0). Taking a consortium
// member's vote away automatically, on an operator's mistake such as a
// restored backup started beside the live node, would leave the remaining
// validators with no margin for one more failure; that decision stays
// with the admins' quorum.

// EventMisbehavior is the block event emitted for each piece of evidence
// in a block, with the attributes below (all indexed: where CometBFT's
// indexer is on, `block_search "misbehavior.validator = '<address>'"`
// finds them).
const EventMisbehavior = "misbehavior"

// Attributes of EventMisbehavior.
const (
	AttrMisbehaviorType      = "type"      // duplicate_vote, light_client_attack
	AttrMisbehaviorValidator = "validator" // consensus address, upper-case hex
	AttrMisbehaviorHeight    = "height"    // the height the validator misbehaved at
	AttrMisbehaviorPower     = "power"     // its voting power then
)

// misbehaviorType names a kind of evidence for events, logs and metrics.
func misbehaviorType(t abci.MisbehaviorType) string {
	switch t {
	case abci.MisbehaviorType_DUPLICATE_VOTE:
		return "duplicate_vote"
	case abci.MisbehaviorType_LIGHT_CLIENT_ATTACK:
		return "light_client_attack"
	}
	return "unknown"
}

// misbehaviorEvents logs and counts the evidence of a block and returns
// one block event per piece, in the block's order (deterministic: the
// events depend on the block alone).
func (a *App) misbehaviorEvents(height int64, evidence []abci.Misbehavior) []abci.Event {
	if len(evidence) == 0 {
		return nil
	}
	out := make([]abci.Event, 0, len(evidence))
	for _, m := range evidence {
		kind := misbehaviorType(m.Type)
		addr := fmt.Sprintf("%X", m.Validator.Address)
		a.logger.Error("evidence of validator misbehaviour committed; the validator keeps its power until governance removes it",
			"type", kind, "validator", addr, "misbehavior_height", m.Height, "power", m.Validator.Power, "height", height)
		a.metrics.misbehaved(kind, addr)
		out = append(out, abci.Event{Type: EventMisbehavior, Attributes: []abci.EventAttribute{
			{Key: AttrMisbehaviorType, Value: kind, Index: true},
			{Key: AttrMisbehaviorValidator, Value: addr, Index: true},
			{Key: AttrMisbehaviorHeight, Value: strconv.FormatInt(m.Height, 10), Index: true},
			{Key: AttrMisbehaviorPower, Value: strconv.FormatInt(m.Validator.Power, 10), Index: true},
		}})
	}
	return out
}
