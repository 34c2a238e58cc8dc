package ledger

import (
	"reflect"
	"slices"
	"testing"
)

// The table of actions covers every field of Action exactly once, and each
// entry converts both ways without loss.
func TestActionTable(t *testing.T) {
	if n := reflect.TypeOf(Action{}).NumField(); n != len(actionKinds) {
		t.Fatalf("Action has %d fields, the table %d entries", n, len(actionKinds))
	}
	if n := reflect.TypeOf(ActionParams{}).NumField(); n != len(paramNames) || n != len(fieldNames)-1 {
		t.Fatalf("ActionParams has %d fields, %d ActionFields are named", n, len(fieldNames)-1)
	}
	for f, name := range paramNames {
		if _, ok := reflect.TypeOf(ActionParams{}).FieldByName(name); !ok || f.String() == "" {
			t.Fatalf("ActionField %d names ActionParams.%s, which does not exist", f, name)
		}
	}
	params := ActionParams{
		Address: alice.addr, Roles: []Role{RoleIssuer}, Role: RoleAdmin, Reason: "audit",
		Symbol: "EUR", Issuer: bob.addr, PubKey: validatorKey(1), Power: 7, NodeID: nodeB, Threshold: 2,
	}
	seenField := map[int]string{}
	for i, k := range ActionKinds() {
		if got, ok := LookupAction(k.Name()); !ok || got != k {
			t.Fatalf("LookupAction(%q) = %v, %v", k.Name(), got, ok)
		}
		if ActionNames()[i] != k.Name() {
			t.Fatalf("ActionNames()[%d] = %q, want %q", i, ActionNames()[i], k.Name())
		}
		if len(k.Fields()) == 0 {
			t.Fatalf("%s has no fields: its event would have no target", k.Name())
		}
		a := k.New(params)
		// Exactly one field of Action is set, and no other entry claims it.
		v := reflect.ValueOf(a)
		set := -1
		for f := range v.NumField() {
			if !v.Field(f).IsNil() {
				if set >= 0 {
					t.Fatalf("%s sets two fields of Action", k.Name())
				}
				set = f
			}
		}
		if other, dup := seenField[set]; dup {
			t.Fatalf("%s and %s both set Action.%s", k.Name(), other, v.Type().Field(set).Name)
		}
		seenField[set] = k.Name()

		kind, got, ok := a.Kind()
		if !ok || kind != k || a.Type() != k.Name() {
			t.Fatalf("%s: Kind() = %v, %v; Type() = %q", k.Name(), kind, ok, a.Type())
		}
		if err := a.ValidateBasic(); err != nil {
			t.Fatalf("%s: %v", k.Name(), err)
		}
		// The parameters the kind lists survive the round trip; the others are dropped.
		want := ActionParams{}
		for _, f := range k.Fields() {
			copyField(f, &want, &params)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%s: parameters %+v, want %+v", k.Name(), got, want)
		}
		// The canonical encoding round-trips too.
		var back Action
		if err := Unmarshal(mustMarshal(a), &back); err != nil || back.Type() != k.Name() {
			t.Fatalf("%s: decode %v, type %q", k.Name(), err, back.Type())
		}
	}
	if _, ok := LookupAction("no-such-action"); ok {
		t.Fatal("LookupAction found an unknown action")
	}
	var none, two Action
	two.Freeze, two.Unfreeze = &Freeze{}, &AccountRef{}
	for _, a := range []Action{none, two} {
		if _, _, ok := a.Kind(); ok || a.Type() != "" {
			t.Fatalf("%+v has a kind", a)
		}
		wantErr(t, a.ValidateBasic(), CodeMalformed, "exactly one action")
	}
}

// paramNames are the ActionParams fields of each ActionField.
var paramNames = map[ActionField]string{
	FieldAddress: "Address", FieldRoles: "Roles", FieldRole: "Role", FieldReason: "Reason", FieldSymbol: "Symbol",
	FieldIssuer: "Issuer", FieldPubKey: "PubKey", FieldPower: "Power", FieldNodeID: "NodeID", FieldThreshold: "Threshold",
}

// copyField copies the value of field f from src to dst.
func copyField(f ActionField, dst, src *ActionParams) {
	name := paramNames[f]
	reflect.ValueOf(dst).Elem().FieldByName(name).Set(reflect.ValueOf(src).Elem().FieldByName(name))
}

// Each kind of parameter has its rule, whatever action carries it.
func TestActionFieldRules(t *testing.T) {
	long := string(make([]byte, MaxReasonBytes+1))
	tests := []struct {
		field ActionField
		bad   ActionParams
		code  Code
		log   string
	}{
		{FieldRoles, ActionParams{Roles: []Role{RoleMember, "root"}}, CodeMalformed, `unknown role "root"`},
		{FieldRole, ActionParams{Role: "root"}, CodeMalformed, `unknown role "root"`},
		{FieldReason, ActionParams{Reason: long}, CodeMalformed, "freeze reason is 257 bytes"},
		{FieldSymbol, ActionParams{Symbol: "eur"}, CodeInvalidAmount, "upper-case"},
		{FieldPubKey, ActionParams{PubKey: []byte{1, 2}}, CodeMalformed, "2 bytes, expected 32"},
		{FieldPower, ActionParams{PubKey: validatorKey(1), Power: MaxValidatorPower + 1}, CodeMalformed, "above the maximum"},
		{FieldNodeID, ActionParams{NodeID: "xyz"}, CodeMalformed, "expected 40 hex digits"},
		{FieldThreshold, ActionParams{Threshold: 0}, CodeMalformed, "threshold 0"},
	}
	names := []string{}
	for _, tc := range tests {
		t.Run(tc.field.String(), func(t *testing.T) {
			wantErr(t, tc.field.validate(&tc.bad), tc.code, tc.log)
			// And through every action that carries the field.
			for _, k := range ActionKinds() {
				if !slices.Contains(k.Fields(), tc.field) {
					continue
				}
				p := ActionParams{Symbol: "EUR", PubKey: validatorKey(1), NodeID: nodeB, Threshold: 1, Role: RoleMember}
				copyField(tc.field, &p, &tc.bad)
				a := k.New(p)
				wantErr(t, a.ValidateBasic(), tc.code, tc.log)
				names = append(names, k.Name())
			}
		})
	}
	if len(names) == 0 {
		t.Fatal("no action carries any validated field")
	}
}

func wantErr(t *testing.T, err error, code Code, logPart string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want %v %q", code, logPart)
	}
	e, ok := err.(*Error)
	if !ok {
		t.Fatalf("error %T %v, want *Error", err, err)
	}
	wantResult(t, TxResult{Code: e.Code, Log: e.Msg}, code, logPart)
}
