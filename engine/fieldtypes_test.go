package engine

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/config"
	"github.com/crmsync/crmsync/connectors"
)

func sellsyF(name, typ string) FieldSpec { return FieldSpec{System: "sellsy", Name: name, Type: typ} }
func mauticF(name, typ string) FieldSpec { return FieldSpec{System: "mautic", Name: name, Type: typ} }

// TestTypeTable checks every Sellsy type name, V1 and V2 (and the plain types of standard
// fields), against every Automation type: exactly the listed targets are allowed, both ways.
func TestTypeTable(t *testing.T) {
	allMautic := []string{"text", "textarea", "html", "number", "boolean", "select", "multiselect", "lookup",
		"date", "datetime", "time", "email", "url", "tel", "country", "region", "locale", "timezone"}
	table := []struct {
		sellsy  []string // V1 name first, then V2 and other spellings
		allowed []string
		oneWay  bool
	}{
		{[]string{"simpletext", "simple-text", "SimpleText", "simple_text", "string"}, []string{"text", "textarea", "email", "url", "tel"}, false},
		{[]string{"richtext", "rich-text", "text"}, []string{"textarea", "text", "html"}, false},
		{[]string{"numeric", "Numeric"}, []string{"number"}, false},
		{[]string{"amount"}, []string{"number", "text"}, true},
		{[]string{"unit", "numeric-with-unit"}, []string{"number", "text"}, true},
		{[]string{"radio"}, []string{"select", "lookup"}, false},
		{[]string{"select"}, []string{"select", "lookup"}, false},
		{[]string{"checkbox"}, []string{"multiselect"}, false},
		{[]string{"date"}, []string{"date"}, false},
		{[]string{"time"}, []string{"text"}, false},
		{[]string{"email"}, []string{"email", "text"}, false},
		{[]string{"url"}, []string{"url", "text"}, false},
		{[]string{"boolean"}, []string{"boolean"}, false},
		{[]string{"third", "company-individual"}, []string{"multiselect", "select"}, false},
		{[]string{"item"}, []string{"multiselect", "select"}, false},
		{[]string{"people", "contact"}, []string{"multiselect", "select"}, false},
		{[]string{"staff"}, []string{"multiselect", "select"}, false},
		{[]string{"phone"}, []string{"tel", "text"}, false},
	}
	for _, row := range table {
		allowed := map[string]bool{}
		for _, m := range row.allowed {
			allowed[m] = true
		}
		for _, st := range row.sellsy {
			for _, mt := range allMautic {
				s, m := sellsyF("cf.x", st), mauticF("x", mt)
				// Sellsy as side A: the one-way direction is a_to_b.
				errAB := CheckMapping(s, m, config.AToB)
				errBoth := CheckMapping(s, m, config.Both)
				// Sellsy as side B: the one-way direction is b_to_a.
				errBA := CheckMapping(m, s, config.BToA)
				errRevBoth := CheckMapping(m, s, config.Both)
				if !allowed[mt] {
					assert.Error(t, errAB, "%s → %s", st, mt)
					assert.Error(t, errBoth, "%s ⇄ %s", st, mt)
					assert.Error(t, errBA, "%s → %s (sellsy on side B)", st, mt)
					assert.Error(t, errRevBoth, "%s ⇄ %s (sellsy on side B)", st, mt)
					continue
				}
				assert.NoError(t, errAB, "%s → %s", st, mt)
				assert.NoError(t, errBA, "%s → %s (sellsy on side B)", st, mt)
				if row.oneWay {
					assert.Error(t, errBoth, "%s ⇄ %s is one-way", st, mt)
					assert.Error(t, errRevBoth, "%s ⇄ %s is one-way (sellsy on side B)", st, mt)
					assert.Error(t, CheckMapping(s, m, config.BToA), "%s ← %s", st, mt)
					assert.Error(t, CheckMapping(m, s, config.AToB), "%s ← %s (sellsy on side B)", st, mt)
				} else {
					assert.NoError(t, errBoth, "%s ⇄ %s", st, mt)
					assert.NoError(t, errRevBoth, "%s ⇄ %s (sellsy on side B)", st, mt)
					assert.NoError(t, CheckMapping(s, m, config.BToA), "%s ← %s", st, mt)
				}
			}
		}
	}
}

func TestCheckMappingMessages(t *testing.T) {
	tests := []struct {
		name string
		a, b FieldSpec
		d    config.Direction
		want string
	}{
		{"amount to a select", sellsyF("cf.budget", "amount"), mauticF("budget", "select"), config.AToB,
			"sellsy field cf.budget (amount) cannot map to mautic field budget (select): allowed: number, text; and only a_to_b (Sellsy → Automation)"},
		{"amount both ways", sellsyF("cf.budget", "amount"), mauticF("budget", "number"), config.Both,
			"sellsy field cf.budget (amount) cannot map to mautic field budget (number) in direction both: amount fields sync only from Sellsy to Automation: set direction: a_to_b"},
		{"unit with sellsy on side B, wrong way", mauticF("weight", "number"), sellsyF("cf.weight", "numeric-with-unit"), config.AToB,
			"mautic field weight (number) cannot map to sellsy field cf.weight (numeric-with-unit) in direction a_to_b: unit fields sync only from Sellsy to Automation: set direction: b_to_a"},
		{"unit with sellsy on side B, wrong type", mauticF("weight", "boolean"), sellsyF("cf.weight", "unit"), config.BToA,
			"mautic field weight (boolean) cannot map to sellsy field cf.weight (unit): allowed: number, text; and only b_to_a (Sellsy → Automation)"},
		{"boolean to text", sellsyF("cf.newsletter", "boolean"), mauticF("firstname", "text"), config.Both,
			"sellsy field cf.newsletter (boolean) cannot map to mautic field firstname (text): allowed: boolean"},
		{"unknown sellsy type", sellsyF("cf.x", "hologram"), mauticF("x", "text"), config.Both,
			"sellsy field cf.x (hologram): crmsync does not know this Sellsy type"},
		{"unknown mautic type", sellsyF("cf.x", "simple-text"), mauticF("x", "hologram"), config.Both,
			"mautic field x (hologram): crmsync does not know this Automation type"},
		{"read-only target", sellsyF("name", "string"), FieldSpec{System: "mautic", Name: "points", Type: "text", ReadOnly: true}, config.Both,
			"mautic field points (text) is read-only: it cannot receive sellsy field name (string) (use direction b_to_a)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckMapping(tt.a, tt.b, tt.d)
			require.Error(t, err)
			assert.Equal(t, tt.want, err.Error())
		})
	}
	assert.NoError(t, CheckMapping(FieldSpec{System: "hubspot", Type: "x"}, FieldSpec{System: "mautic", Type: "y"}, config.Both), "no table for other pairs")
	assert.Error(t, CheckMapping(sellsyF("cf.budget", "amount"), mauticF("budget", "number"), ""), "empty direction is both")
}

// The scale a connector describes reaches the codec: without it a value the field cannot
// hold is copied back on every pass.
func TestSpecOfKeepsScale(t *testing.T) {
	two := 2
	tests := []struct {
		name string
		in   connectors.Field
		want *int
	}{
		{"with a scale", connectors.Field{Name: "n", Type: "number", Scale: &two}, &two},
		{"without", connectors.Field{Name: "n", Type: "number"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, SpecOf("mautic", tt.in).Scale)
		})
	}
}
