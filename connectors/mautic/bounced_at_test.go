package mautic

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/mautic/sim"
)

// bounced_at is the date Automation recorded the bounce (the do-not-contact entry's
// dateAdded), read-only and datetime, so that weavy's bouncedEmailDetected gets a date.
func TestBouncedAt(t *testing.T) {
	tests := []struct {
		name   string
		reason string // "" adds no entry
		want   any
	}{
		{"bounce", "2", "2026-03-01T10:30:00Z"},
		{"unsubscribed is no bounce", "1", nil},
		{"no entry", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := setup(t, sim.Options{})
			e.sim.SeedPeople(0, 1)
			e.clock.Advance(30 * time.Minute)
			if tt.reason != "" {
				addEmailDNC(t, e, tt.reason)
			}
			e.clock.Advance(time.Hour)
			recs, err := e.client.Get(context.Background(), connectors.ObjectContact, []string{"1"})
			require.NoError(t, err)
			require.Len(t, recs, 1)
			got, present := recs[0].Fields[FieldBouncedAt]
			assert.True(t, present)
			assert.Equal(t, tt.want, got)

			fields, err := e.client.Describe(context.Background(), connectors.ObjectContact)
			require.NoError(t, err)
			var f connectors.Field
			for _, x := range fields {
				if x.Name == FieldBouncedAt {
					f = x
				}
			}
			assert.Equal(t, connectors.Field{Name: FieldBouncedAt, Label: "E-mail bounced on (NPAI)", Type: "datetime", ReadOnly: true}, f)
		})
	}
}
