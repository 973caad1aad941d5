package engine

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/config"
	"github.com/crmsync/crmsync/connectors"
)

func sellsyF(name, typ string) FieldSpec { return FieldSpec{System: "sellsy", Name: name, Type: typ} }
func mauticF(name, typ string) FieldSpec { return FieldSpec{System: "mautic", Name: name, Type: typ} }

// TestTypeTable checks every Sellsy type name, V1 and V2, against every Automation type:
// exactly the listed targets are allowed, both ways. A custom field (cf.<code>, or a type only
// custom fields have) maps exactly as the Automation plugin's table says (seed 000: amount
// and unit "Unsupported" there, Sellsy → Automation only in its prose; the entity types to
// "single and multiple choice drop-down lists"); the standard fields' plain types keep the
// wider targets of the fields they fill (a civility to the title lookup, a phone to a text).
func TestTypeTable(t *testing.T) {
	allMautic := []string{"text", "textarea", "html", "number", "boolean", "select", "multiselect", "lookup",
		"date", "datetime", "time", "email", "url", "tel", "country", "region", "locale", "timezone"}
	table := []struct {
		name    string   // the Sellsy field's name: cf.… is a custom field
		sellsy  []string // V1 name first, then V2 and other spellings
		allowed []string
		oneWay  bool
	}{
		// The plugin's table, for custom fields.
		{"cf.x", []string{"simpletext", "simple-text", "SimpleText", "simple_text", "string"}, []string{"text"}, false},
		{"cf.x", []string{"richtext", "rich-text", "text"}, []string{"textarea"}, false},
		{"cf.x", []string{"numeric", "Numeric", "number"}, []string{"number"}, false},
		{"cf.x", []string{"amount"}, []string{"number"}, true},
		{"cf.x", []string{"unit", "numeric-with-unit"}, []string{"number"}, true},
		{"cf.x", []string{"radio"}, []string{"select"}, false},
		{"cf.x", []string{"select"}, []string{"select"}, false},
		{"cf.x", []string{"checkbox"}, []string{"multiselect"}, false},
		{"cf.x", []string{"date"}, []string{"date"}, false},
		{"cf.x", []string{"time"}, []string{"text"}, false},
		{"cf.x", []string{"email"}, []string{"email"}, false},
		{"cf.x", []string{"url"}, []string{"url"}, false},
		{"cf.x", []string{"boolean"}, []string{"boolean"}, false},
		{"cf.x", []string{"third", "company-individual"}, []string{"multiselect", "select"}, false},
		{"cf.x", []string{"item"}, []string{"multiselect", "select"}, false},
		{"cf.x", []string{"people", "contact"}, []string{"multiselect", "select"}, false},
		{"cf.x", []string{"staff"}, []string{"multiselect", "select"}, false},
		{"cf.x", []string{"phone", "datetime"}, nil, false}, // no custom field has these types
		// A field not named cf.… whose type only custom fields have is one too.
		{"x", []string{"simple-text", "simpletext"}, []string{"text"}, false},
		{"x", []string{"rich-text"}, []string{"textarea"}, false},
		{"x", []string{"radio"}, []string{"select"}, false},
		{"x", []string{"amount"}, []string{"number"}, true},
		{"x", []string{"staff"}, []string{"multiselect", "select"}, false},
		// Standard fields, with the connector's plain types.
		{"first_name", []string{"string"}, []string{"text", "textarea", "email", "url", "tel"}, false},
		{"note", []string{"text"}, []string{"textarea", "text", "html"}, false},
		{"amount", []string{"number"}, []string{"number"}, false},
		{"civility", []string{"select"}, []string{"select", "lookup"}, false},
		{"due_date", []string{"date"}, []string{"date"}, false},
		{"created", []string{"datetime"}, []string{"datetime"}, false},
		{"email", []string{"email"}, []string{"email", "text"}, false},
		{"website", []string{"url"}, []string{"url", "text"}, false},
		{"phone_number", []string{"phone", "tel"}, []string{"tel", "text"}, false},
		{"unsubscribed.email", []string{"boolean"}, []string{"boolean"}, false},
	}
	for _, row := range table {
		allowed := map[string]bool{}
		for _, m := range row.allowed {
			allowed[m] = true
		}
		for _, st := range row.sellsy {
			for _, mt := range allMautic {
				s, m := sellsyF(row.name, st), mauticF("x", mt)
				// Each way and order: Sellsy as side A (its one-way direction a_to_b) and as
				// side B (b_to_a). A one-way type maps only from Sellsy.
				for _, c := range []struct {
					a, b       FieldSpec
					d          config.Direction
					fromSellsy bool
					what       string
				}{
					{s, m, config.AToB, true, "→"},
					{s, m, config.Both, false, "⇄"},
					{s, m, config.BToA, false, "←"},
					{m, s, config.BToA, true, "→ (sellsy on side B)"},
					{m, s, config.Both, false, "⇄ (sellsy on side B)"},
					{m, s, config.AToB, false, "← (sellsy on side B)"},
				} {
					err := CheckMapping(c.a, c.b, c.d)
					if allowed[mt] && (c.fromSellsy || !row.oneWay) {
						assert.NoError(t, err, "%s %s %s %s", row.name, st, c.what, mt)
					} else {
						assert.Error(t, err, "%s %s %s %s", row.name, st, c.what, mt)
					}
				}
			}
		}
	}
}

// Each Sellsy custom-field type of the plugin's table (seed 000), V1 and V2 names, against the
// one Automation type the table gives it: what the "exactly as the table says" means,
// written out row by row so that the table cannot widen unnoticed.
func TestTypeTableIsThePlugins(t *testing.T) {
	seed := map[string][]string{ // Sellsy V1 type → the plugin's Automation types
		"simpletext": {"text"}, "richtext": {"textarea"}, "numeric": {"number"},
		"amount": {"number"}, "unit": {"number"}, // "Unsupported" both ways: Sellsy → Automation only
		"radio": {"select"}, "select": {"select"}, "checkbox": {"multiselect"}, "date": {"date"},
		"time": {"text"}, "email": {"email"}, "url": {"url"}, "boolean": {"boolean"},
		"third": {"multiselect", "select"}, "item": {"multiselect", "select"},
		"people": {"multiselect", "select"}, "staff": {"multiselect", "select"},
	}
	assert.Len(t, sellsyCustomToMautic, len(seed), "one rule per type of the table")
	for kind, want := range seed {
		assert.Equal(t, want, sellsyCustomToMautic[kind].targets, kind)
		assert.Equal(t, kind == "amount" || kind == "unit", sellsyCustomToMautic[kind].oneWay, kind)
	}
}

// The extras a custom field lost are refused with the allowed type, naming both fields; the
// same Automation type stays open to a standard field.
func TestCustomFieldExtrasRefused(t *testing.T) {
	tests := []struct {
		name   string
		a, b   FieldSpec
		custom string // the allowed type of a refusal in the usual words for a custom field
		want   string // else the refusal; "" when allowed
	}{
		{"simple text to textarea", sellsyF("cf.seg", "simple-text"), mauticF("seg", "textarea"), "text", ""},
		{"simple text to email", sellsyF("cf.seg", "simpletext"), mauticF("seg", "email"), "text", ""},
		{"simple text to tel", sellsyF("cf.seg", "simple-text"), mauticF("seg", "tel"), "text", ""},
		{"rich text to text (191 characters)", sellsyF("cf.notes", "rich-text"), mauticF("notes", "text"), "textarea", ""},
		{"rich text to html", mauticF("notes", "html"), sellsyF("cf.notes", "richtext"), "textarea", ""},
		{"email to text", sellsyF("cf.mail2", "email"), mauticF("mail2", "text"), "email", ""},
		{"url to text", sellsyF("cf.site", "url"), mauticF("site", "text"), "url", ""},
		{"radio to lookup", sellsyF("cf.prio", "radio"), mauticF("prio", "lookup"), "select", ""},
		{"select to lookup", sellsyF("cf.level", "select"), mauticF("level", "lookup"), "select", ""},
		{"amount to text", sellsyF("cf.budget", "amount"), mauticF("budget", "text"), "",
			"sellsy field cf.budget (amount) cannot map to mautic field budget (text): allowed for a Sellsy custom field: number; and only a_to_b (Sellsy → Automation)"},
		{"a custom field of a standard-only type", sellsyF("cf.tel", "phone"), mauticF("tel", "tel"), "",
			"sellsy field cf.tel (phone): a Sellsy custom field has no type phone in the type table of the Automation plugin"},
		{"standard string to textarea", sellsyF("position", "string"), mauticF("position", "textarea"), "", ""},
		{"standard string to tel", sellsyF("siret", "string"), mauticF("siret", "tel"), "", ""},
		{"standard note to text", sellsyF("note", "text"), mauticF("notes", "text"), "", ""},
		{"standard civility to the title lookup", sellsyF("civility", "select"), mauticF("title", "lookup"), "", ""},
		{"standard e-mail to text", sellsyF("email", "email"), mauticF("email2", "text"), "", ""},
		{"standard phone to a number", sellsyF("phone_number", "phone"), mauticF("points", "number"), "",
			"sellsy field phone_number (phone) cannot map to mautic field points (number): allowed: tel, text"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckMapping(tt.a, tt.b, config.Both)
			want := tt.want
			if tt.custom != "" {
				want = fmt.Sprintf("%s field %s (%s) cannot map to %s field %s (%s): allowed for a Sellsy custom field: %s",
					tt.a.System, tt.a.Name, tt.a.Type, tt.b.System, tt.b.Name, tt.b.Type, tt.custom)
			}
			if want == "" {
				assert.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Equal(t, want, err.Error())
		})
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
			"sellsy field cf.budget (amount) cannot map to mautic field budget (select): allowed for a Sellsy custom field: number; and only a_to_b (Sellsy → Automation)"},
		{"amount both ways", sellsyF("cf.budget", "amount"), mauticF("budget", "number"), config.Both,
			"sellsy field cf.budget (amount) cannot map to mautic field budget (number) in direction both: amount fields sync only from Sellsy to Automation: set direction: a_to_b"},
		{"unit with sellsy on side B, wrong way", mauticF("weight", "number"), sellsyF("cf.weight", "numeric-with-unit"), config.AToB,
			"mautic field weight (number) cannot map to sellsy field cf.weight (numeric-with-unit) in direction a_to_b: unit fields sync only from Sellsy to Automation: set direction: b_to_a"},
		{"unit with sellsy on side B, wrong type", mauticF("weight", "boolean"), sellsyF("cf.weight", "unit"), config.BToA,
			"mautic field weight (boolean) cannot map to sellsy field cf.weight (unit): allowed for a Sellsy custom field: number; and only b_to_a (Sellsy → Automation)"},
		{"boolean to text", sellsyF("cf.newsletter", "boolean"), mauticF("firstname", "text"), config.Both,
			"sellsy field cf.newsletter (boolean) cannot map to mautic field firstname (text): allowed for a Sellsy custom field: boolean"},
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
