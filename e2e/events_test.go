package e2e

import abci "github.com/cometbft/cometbft/abci/types"

func hasEventAttr(events []abci.Event, typ, key, value string) bool {
	for _, e := range events {
		if e.Type != typ {
			continue
		}
		for _, a := range e.Attributes {
			if a.Key == key && a.Value == value {
				return true
			}
		}
	}
	return false
}
