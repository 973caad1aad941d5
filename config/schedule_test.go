package config

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// minimalConnection is a valid Sellsy ⇄ Automation connection of contacts with no schedule
// of its own: the tests add to it or change it in one place.
const minimalConnection = `name: demo
a: {system: sellsy, credentials: {client_id: SELLSY_ID, client_secret: SELLSY_SECRET}}
b: {system: mautic, settings: {base_url: https://m.example}, credentials: {username: M_USER, password: M_PASS}}
objects:
  - name: contact
    match: {a: email, b: email}
    fields: [{a: email, b: email}]
`

// A schedule value given as 0s is the value given: an interval or a reconciliation of 0s is
// refused as too short, an overlap of 0s re-reads nothing; a value left out (or empty) takes
// its default.
func TestScheduleZeroIsNotLeftOut(t *testing.T) {
	tests := []struct {
		name, schedule string
		interval, over time.Duration
		wantErr        string
	}{
		{name: "left out", interval: DefaultInterval, over: DefaultOverlap},
		{name: "empty values", schedule: "schedule:\n  interval:\n  overlap: ~\n", interval: DefaultInterval, over: DefaultOverlap},
		{name: "no overlap", schedule: "schedule: {overlap: 0s}\n", interval: DefaultInterval, over: 0},
		{name: "no overlap, merged", schedule: "schedule: {<<: {overlap: 0s}, interval: 1m}\n", interval: time.Minute, over: 0},
		{name: "no overlap, merged twice", schedule: "schedule: {<<: [{interval: 2m}, {<<: {overlap: 0s}}], interval: 1m}\n", interval: time.Minute, over: 0},
		{name: "an alias", schedule: "schedule: {interval: &i 0s, overlap: *i}\n", wantErr: "conn.yaml: schedule.interval: 0s is too short (at least 10s)"},
		{name: "interval 0s", schedule: "schedule: {interval: 0s}\n", wantErr: "conn.yaml: schedule.interval: 0s is too short (at least 10s)"},
		{name: "interval 0s, merged", schedule: "schedule: {<<: {interval: 0s}}\n", wantErr: "conn.yaml: schedule.interval: 0s is too short (at least 10s)"},
		{name: "reconcile 0s", schedule: "schedule: {reconcile: 0s}\n", wantErr: "conn.yaml: schedule.reconcile: 0s is too short (at least 10s)"},
		{name: "the file's own over a merged one", schedule: "schedule: {<<: {interval: 0s}, interval: 5m}\n", interval: 5 * time.Minute, over: DefaultOverlap},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := parseWant(t, minimalConnection+tt.schedule, tt.wantErr)
			if c == nil {
				return
			}
			assert.Equal(t, tt.interval, c.Schedule.Interval.Std())
			assert.Equal(t, tt.over, c.Schedule.Overlap.Std())
			assert.Equal(t, DefaultReconcile, c.Schedule.Reconcile.Std())
		})
	}
}
