package engine

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/config"
	"github.com/crmsync/crmsync/connectors"
)

func TestCheckObject(t *testing.T) {
	sellsy := Describe("sellsy", "contact", []connectors.Field{
		{Name: "email", Type: "email"}, {Name: "last_name", Type: "string", Required: true},
		{Name: "cf.budget", Type: "amount"}, {Name: "cf.size", Type: "numeric-with-unit"}, {Name: "id", Type: "string", Required: true, ReadOnly: true},
	})
	mautic := Describe("mautic", "contact", []connectors.Field{
		{Name: "email", Type: "email", Required: true}, {Name: "lastname", Type: "text"}, {Name: "points", Type: "number"},
		{Name: "bounced", Type: "boolean", ReadOnly: true}, {Name: "owner", Type: "text", Required: true},
	})
	base := []config.Field{{A: "email", B: "email"}, {A: "last_name", B: "lastname"}}
	tests := []struct {
		name      string
		direction config.Direction
		fields    []config.Field
		noOwner   bool // leave Automation's required owner unmapped
		want      []string
	}{
		{name: "amount and unit to Automation only", direction: config.AToB,
			fields: []config.Field{{A: "cf.budget", B: "points"}, {A: "cf.size", B: "points"}}},
		{name: "amount both ways", fields: []config.Field{{A: "cf.budget", B: "points"}}, want: []string{
			"objects[0].fields[2]: sellsy field cf.budget (amount) cannot map to mautic field points (number) in direction both: amount fields sync only from Sellsy to Automation: set direction: a_to_b",
		}},
		{name: "unit overridden back to Sellsy", direction: config.AToB, fields: []config.Field{{A: "cf.size", B: "points", Direction: config.BToA}}, want: []string{
			"objects[0].fields[2]: sellsy field cf.size (numeric-with-unit) cannot map to mautic field points (number) in direction b_to_a: unit fields sync only from Sellsy to Automation: set direction: a_to_b",
		}},
		{name: "undescribed on each side", direction: config.AToB, fields: []config.Field{{A: "cf.nope", B: "points"}, {A: "cf.budget", B: "nope"}}, want: []string{
			`objects[0].fields[2].a: sellsy contact has no field "cf.nope" (fields: cf.budget, cf.size, email, id, last_name)`,
			`objects[0].fields[3].b: mautic contact has no field "nope" (fields: bounced, email, lastname, owner, points)`,
		}},
		{name: "read-only field written", direction: config.BToA, noOwner: true, fields: []config.Field{{A: "email", B: "bounced", Direction: config.Both}}, want: []string{
			"objects[0].fields[2]: mautic field bounced (boolean) is read-only: it cannot receive sellsy field email (email) (use direction b_to_a)",
			"objects[0] (contact): mautic contact requires fields that are not mapped: owner",
		}},
		{name: "required fields of both written sides", noOwner: true, want: []string{
			"objects[0] (contact): mautic contact requires fields that are not mapped: owner",
		}},
		{name: "a side never written needs nothing", direction: config.BToA, noOwner: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// A filter's value is written on every record created on its side: it maps owner.
			filterB := map[string]any{"owner": "x"}
			if tt.noOwner {
				filterB = nil
			}
			c := &config.Connection{File: "c.yaml", Direction: tt.direction, Objects: []config.Object{{
				Name: "contact", AObject: "contact", BObject: "contact", Match: config.FieldPair{A: "email", B: "email"},
				Fields: append(append([]config.Field{}, base...), tt.fields...), Filter: config.SideValues{B: filterB},
			}}}
			var got []string
			for _, err := range CheckObject(c, 0, sellsy, mautic) {
				got = append(got, err.Error())
			}
			if tt.want == nil {
				require.Empty(t, got)
				return
			}
			assert.Equal(t, tt.want, got)
		})
	}
}

// A side's records are created on the other only with its match field: without it none can
// be found by its key again (a lost create answer is made twice; Automation hides a contact
// without an e-mail as anonymous).
func TestCheckMatch(t *testing.T) {
	email := config.FieldPair{A: "email", B: "email"}
	names := []config.Field{{A: "first_name", B: "firstname"}, {A: "last_name", B: "lastname"}}
	noMatch := false
	tests := []struct {
		name      string
		direction config.Direction
		match     config.FieldPair
		fields    []config.Field
		noMatch   bool // initial.match: false
		want      []string
	}{
		{name: "key both ways", match: email, fields: append([]config.Field{{A: "email", B: "email"}}, names...)},
		{name: "key not mapped", match: email, fields: names, want: []string{
			"objects[0] (contact): the sellsy contact records created from mautic would lack the match field email (no field maps it): none could be found by its key again, and a create whose answer is lost would be made twice; map it, {a: email, b: email} in direction both or b_to_a, or set the connection's direction to a_to_b so that mautic records are not created on sellsy (fields can keep direction: both of their own)",
			"objects[0] (contact): the mautic contact records created from sellsy would lack the match field email (no field maps it): none could be found by its key again, and a create whose answer is lost would be made twice; map it, {a: email, b: email} in direction both or a_to_b, or set the connection's direction to b_to_a so that sellsy records are not created on mautic (fields can keep direction: both of their own)",
		}},
		{name: "key one way in a two-way connection", match: email, fields: append([]config.Field{{A: "email", B: "email", Direction: config.AToB}}, names...), want: []string{
			"objects[0] (contact): the sellsy contact records created from mautic would lack the match field email (fields[0] maps it a_to_b only): none could be found by its key again, and a create whose answer is lost would be made twice; map it, {a: email, b: email} in direction both or b_to_a, or set the connection's direction to a_to_b so that mautic records are not created on sellsy (fields can keep direction: both of their own)",
		}},
		{name: "one-way connection without the key", direction: config.AToB, match: email, fields: names, want: []string{
			"objects[0] (contact): the mautic contact records created from sellsy would lack the match field email (no field maps it): none could be found by its key again, and a create whose answer is lost would be made twice; map it, {a: email, b: email} in direction both or a_to_b",
		}},
		// To Sellsy only, with an amount that can only go to Automation: Sellsy contacts are
		// not created on Automation (the pass filters them), the amount reaches paired ones.
		{name: "to Sellsy only with a field to Automation", direction: config.BToA, match: email,
			fields: append([]config.Field{{A: "email", B: "email"}, {A: "cf.amount", B: "cf_number", Direction: config.AToB}}, names...)},
		{name: "fields towards one side only", match: email, fields: []config.Field{{A: "email", B: "email", Direction: config.AToB}, {A: "last_name", B: "lastname", Direction: config.AToB}}},
		{name: "key off", match: email, fields: names, noMatch: true},
		// The sync writes the opportunity's id into the affaire's SLSY on each create.
		{name: "record id of the side created from", match: config.FieldPair{A: "id", B: "cf.SLSY"}, fields: []config.Field{{A: "name", B: "title", Direction: config.AToB}}},
		// The README's IDCRM: the create gives the record id.
		{name: "record id of the side created on", match: config.FieldPair{A: "id", B: "idcrm"},
			fields: append([]config.Field{{A: "id", B: "idcrm", Direction: config.AToB}}, names...)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := config.Object{Name: "contact", AObject: "contact", BObject: "contact", Match: tt.match, Fields: tt.fields}
			if tt.noMatch {
				o.Initial.Match = &noMatch
			}
			c := &config.Connection{File: "c.yaml", Direction: tt.direction, A: config.System{System: "sellsy"}, B: config.System{System: "mautic"}, Objects: []config.Object{o}}
			var got []string
			for _, err := range CheckMatch(c, 0) {
				got = append(got, err.Error())
			}
			assert.Equal(t, tt.want, got)
		})
	}
}

// Every example connection creates its records with their match field.
func TestCheckMatchExamples(t *testing.T) {
	files, err := filepath.Glob("../config/examples/*.yaml")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, file := range files {
		c, err := config.Load(file)
		require.NoError(t, err)
		for i := range c.Objects {
			assert.Empty(t, CheckMatch(c, i), "%s objects[%d]", file, i)
		}
	}
}

// The match key counts among the required fields only when a create writes it.
func TestCheckObjectUnwrittenKeyIsNotMapped(t *testing.T) {
	sellsy := Describe("sellsy", "contact", []connectors.Field{{Name: "email", Type: "email"}, {Name: "last_name", Type: "string"}})
	mautic := Describe("mautic", "contact", []connectors.Field{{Name: "email", Type: "email", Required: true}, {Name: "lastname", Type: "text"}})
	c := &config.Connection{File: "c.yaml", Direction: config.AToB, A: config.System{System: "sellsy"}, B: config.System{System: "mautic"}, Objects: []config.Object{{
		Name: "contact", AObject: "contact", BObject: "contact", Match: config.FieldPair{A: "email", B: "email"},
		Fields: []config.Field{{A: "last_name", B: "lastname"}},
	}}}
	var got []string
	for _, err := range CheckObject(c, 0, sellsy, mautic) {
		got = append(got, err.Error())
	}
	require.Len(t, got, 2)
	assert.Equal(t, "objects[0] (contact): mautic contact requires fields that are not mapped: email", got[0])
	assert.Contains(t, got[1], "would lack the match field email")
}

// A create gets its match field on the side created on when a field carries it there, when
// the other side matches on its record id (the sync writes it), or when the key is the
// record id of the side created on (the create gives it: the guide's IDCRM).
func TestCreateWritesKey(t *testing.T) {
	tests := []struct {
		name   string
		match  config.FieldPair
		fields []config.Field
		to     Side
		want   bool
	}{
		{"key mapped towards it", config.FieldPair{A: "email", B: "email"}, []config.Field{{A: "email", B: "email"}}, B, true},
		{"key mapped away from it", config.FieldPair{A: "email", B: "email"}, []config.Field{{A: "email", B: "email", Direction: config.BToA}}, B, false},
		{"key not mapped", config.FieldPair{A: "email", B: "email"}, nil, A, false},
		{"the other side's record id", config.FieldPair{A: "id", B: "cf.SLSY"}, nil, B, true},
		{"its own record id (IDCRM)", config.FieldPair{A: "id", B: "idcrm"}, nil, A, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := &config.Object{Name: "company", Match: tt.match, Fields: tt.fields}
			c := &config.Connection{A: config.System{System: "weavy"}, B: config.System{System: "mautic"}, Objects: []config.Object{*o}}
			assert.Equal(t, tt.want, CreateWritesKey(c, o, tt.to))
		})
	}
}
