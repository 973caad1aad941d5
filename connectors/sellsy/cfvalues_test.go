package sellsy

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/connectors"
)

// Choices are written by label (what the connector reads and the engine passes back). Choice
// ids are small integers, so a label that is also another choice's id must name its own
// choice; an id is taken only when no label matches.
func TestChoiceLabelBeforeID(t *testing.T) {
	items := []connectors.Option{{Value: "10", Label: "5"}, {Value: "11", Label: "10"}, {Value: "12", Label: "20"}, {Value: "13", Label: "Grand"}}
	sel := &cfDef{ID: 1, Code: "band", Type: "select", Items: items}
	box := &cfDef{ID: 2, Code: "bands", Type: "checkbox", Items: items}
	tests := []struct {
		name string
		def  *cfDef
		in   any
		want any
		why  string
	}{
		{name: "a label that is another choice's id", def: sel, in: "10", want: 11},
		{name: "a label", def: sel, in: "5", want: 10},
		{name: "a label, ignoring case and spaces", def: sel, in: " grand ", want: 13},
		{name: "a number read as its label", def: sel, in: float64(10), want: 11},
		{name: "an id no label matches", def: sel, in: "12", want: 12},
		{name: "neither label nor id", def: sel, in: "99", why: "not one of the choices"},
		{name: "checkbox labels that are ids", def: box, in: []string{"10", "20"}, want: []int{11, 12}},
		{name: "checkbox mixing a label and an id", def: box, in: []any{"5", "13"}, want: []int{10, 13}},
		{name: "checkbox with an unknown choice", def: box, in: []string{"10", "nope"}, why: "not one of the choices"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, why := tt.def.toAPI(tt.in)
			assert.Equal(t, tt.why, why)
			if tt.why == "" {
				assert.Equal(t, tt.want, got)
			}
		})
	}
	// The label written is the label read back.
	got, _ := sel.toAPI("10")
	assert.Equal(t, "10", sel.fromAPI(float64(got.(int))))
}

// A contact whose answer has no subscriptions list has an unknown consent: the unsubscribed.*
// fields are not set, and are named for Record.Absent; a list, even empty, says them all.
func TestConsentFieldsAbsentWithoutList(t *testing.T) {
	all := []string{"unsubscribed.email", "unsubscribed.sms", "unsubscribed.phone", "unsubscribed.postal"}
	tests := []struct {
		name   string
		m      map[string]any
		fields map[string]any
		absent []string
	}{
		{"missing", map[string]any{"id": 1}, map[string]any{}, all},
		{"null", map[string]any{"marketing_campaigns_subscriptions": nil}, map[string]any{}, all},
		{"not an array", map[string]any{"marketing_campaigns_subscriptions": "email"}, map[string]any{}, all},
		{"empty list: unsubscribed from all", map[string]any{"marketing_campaigns_subscriptions": []any{}},
			map[string]any{"unsubscribed.email": true, "unsubscribed.sms": true, "unsubscribed.phone": true, "unsubscribed.postal": true}, nil},
		{"a list", map[string]any{"marketing_campaigns_subscriptions": []any{"email", "postal_mail"}},
			map[string]any{"unsubscribed.email": false, "unsubscribed.sms": true, "unsubscribed.phone": true, "unsubscribed.postal": false}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fields := map[string]any{}
			absent := consentFields(tt.m, fields)
			assert.Equal(t, tt.fields, fields)
			assert.Equal(t, tt.absent, absent)
		})
	}
}

// A contact read without its subscriptions list names the unsubscribed.* fields in the
// record's Absent, so that the merge takes the other side's value instead of an emptying
// (which would re-subscribe the contact in Automation).
func TestContactReadWithoutSubscriptionsHasConsentAbsent(t *testing.T) {
	o, err := objectOf("contact")
	require.NoError(t, err)
	c := &Client{}
	r := c.toRecord(o, map[string]any{"id": float64(7), "email": "a@example.com", "marketing_campaigns_subscriptions": nil}, nil)
	assert.Subset(t, r.Absent, []string{"unsubscribed.email", "unsubscribed.sms", "unsubscribed.phone", "unsubscribed.postal"})
	assert.NotContains(t, r.Fields, "unsubscribed.email")

	r = c.toRecord(o, map[string]any{"id": float64(7), "email": "a@example.com", "marketing_campaigns_subscriptions": []any{"email"}}, nil)
	assert.NotContains(t, r.Absent, "unsubscribed.email")
	assert.Equal(t, false, r.Fields["unsubscribed.email"])
}
