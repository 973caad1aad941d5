package config

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDeletesOption(t *testing.T) {
	base := minimalConnection
	tests := []struct {
		name     string
		deletes  string
		fromA    bool
		fromB    bool
		wantErr  string
		schedule string
	}{
		{name: "off by default"},
		{name: "automation to sellsy", deletes: "b_to_a", fromB: true},
		{name: "sellsy to automation", deletes: "a_to_b", fromA: true},
		{name: "both ways", deletes: "both", fromA: true, fromB: true},
		{name: "unknown", deletes: "always", wantErr: `conn.yaml: objects[0].deletes: "always" is not one of both, a_to_b, b_to_a`},
		{name: "reconcile too often", schedule: "schedule: {reconcile: 1s}\n", wantErr: "conn.yaml: schedule.reconcile: 1s is too short"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			y := base + tt.schedule
			if tt.deletes != "" {
				y = replace(y, "    fields:", "    deletes: "+tt.deletes+"\n    fields:")
			}
			c := parseWant(t, y, tt.wantErr)
			if c == nil {
				return
			}
			o, _ := c.Object("contact")
			assert.Equal(t, tt.fromA, o.DeletesFrom("a"))
			assert.Equal(t, tt.fromB, o.DeletesFrom("b"))
			assert.Equal(t, DefaultReconcile, c.Schedule.Reconcile.Std())
		})
	}
}

func TestFullExampleLoads(t *testing.T) {
	c, err := Load("examples/sellsy-mautic-full.yaml")
	require.NoError(t, err)
	o, ok := c.Object("contact")
	require.True(t, ok)
	assert.True(t, o.DeletesFrom("b"))
	assert.False(t, o.DeletesFrom("a"))
	var sel Field
	for _, f := range o.Fields {
		if f.A == "cf.cf_select" {
			sel = f
		}
	}
	assert.Equal(t, "gold", sel.Values["Or"])
	assert.Equal(t, BToA, o.Fields[len(o.Fields)-1].Direction)
	assert.Equal(t, DefaultReconcile, c.Schedule.Reconcile.Std())
}

func TestFilterOption(t *testing.T) {
	c, err := Parse("conn.yaml", []byte(`name: demo
a: {system: sellsy, credentials: {client_id: SELLSY_ID, client_secret: SELLSY_SECRET}}
b: {system: altior, settings: {base_url: https://a.example, reference_user_email: ref@example.com, establishment: E1}, credentials: {api_key: ALTIOR_KEY}}
objects:
  - name: company
    match: {a: siret, b: siret}
    filter: {a: {cf.sa: true}, b: {kind: moral}}
    fields: [{a: name, b: name}]
`))
	require.NoError(t, err)
	o, _ := c.Object("company")
	assert.Equal(t, map[string]any{"cf.sa": true}, o.Filter.Of("a"))
	assert.Equal(t, map[string]any{"kind": "moral"}, o.Filter.Of("b"))
}

func TestFullReadSchedule(t *testing.T) {
	base := `name: demo
a: {system: sellsy, credentials: {client_id: SELLSY_ID, client_secret: SELLSY_SECRET}}
b: {system: mautic, settings: {base_url: https://m.example}, credentials: {username: M_USER, password: M_PASS}}
objects: [{name: contact, match: {a: email, b: email}, fields: [{a: email, b: email}]}]
`
	tests := []struct {
		name     string
		schedule string
		want     time.Duration
		wantErr  string
	}{
		{name: "off by default"},
		{name: "daily", schedule: "schedule: {full_read: 24h}\n", want: 24 * time.Hour},
		{name: "shorter than the interval", schedule: "schedule: {interval: 1h, full_read: 30m}\n",
			wantErr: "conn.yaml: schedule.full_read: 30m0s is shorter than schedule.interval (1h0m0s)"},
		// Negative is no "shorter than the interval": it says nothing of every cycle.
		{name: "negative", schedule: "schedule: {full_read: -24h}\n",
			wantErr: "conn.yaml: schedule.full_read: -24h0m0s must not be negative: give how often a cycle reads everything again (such as 24h), or leave it out"},
		{name: "not a duration", schedule: "schedule: {full_read: daily}\n", wantErr: `conn.yaml: line 5: schedule.full_read: "daily" is not a duration`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := parseWant(t, base+tt.schedule, tt.wantErr)
			if c == nil {
				return
			}
			assert.Equal(t, tt.want, c.Schedule.FullRead.Std())
		})
	}
}

func TestMaxDeletesSchedule(t *testing.T) {
	base := `name: demo
a: {system: sellsy, credentials: {client_id: SELLSY_ID, client_secret: SELLSY_SECRET}}
b: {system: mautic, settings: {base_url: https://m.example}, credentials: {username: M_USER, password: M_PASS}}
objects: [{name: contact, match: {a: email, b: email}, deletes: b_to_a, fields: [{a: email, b: email}]}]
`
	tests := []struct {
		name     string
		schedule string
		want     int // DeleteLimit: 0 is none
		wantErr  string
	}{
		{name: "a hundred by default", want: 100},
		{name: "set", schedule: "schedule: {max_deletes: 20}\n", want: 20},
		{name: "no limit", schedule: "schedule: {max_deletes: -1}\n", want: 0},
		{name: "below -1", schedule: "schedule: {max_deletes: -5}\n",
			wantErr: "conn.yaml: schedule.max_deletes: -5: give the most records a cycle's deletions may delete (100 when left out), or -1 for no limit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := parseWant(t, base+tt.schedule, tt.wantErr)
			if c == nil {
				return
			}
			assert.Equal(t, tt.want, c.Schedule.DeleteLimit())
		})
	}
}
