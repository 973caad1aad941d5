package mautic

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/mautic/sim"
)

// Automation stores dates in UTC and compares where[] dates with them as given, but shows
// them in the API user's timezone ("2026-03-01T12:00:00+01:00"): a record's change time is
// read in UTC whatever the offset, and a listing since a moment asks for it in UTC, so no
// record is lost or read again at the boundary, an hour off.
func TestDatesShownInTheUsersTimezone(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	require.NoError(t, err)
	e := setup(t, sim.Options{Location: paris})
	c := e.client
	ctx := context.Background()
	e.sim.SeedPeople(0, 3) // contacts 1..3, added at 10:00 UTC
	e.clock.Advance(time.Hour)
	res, err := c.Update(ctx, connectors.ObjectContact, []connectors.Record{{ID: "2", Fields: map[string]any{"position": "CTO"}}})
	require.NoError(t, err)
	require.NoError(t, res[0].Err)

	req, err := http.NewRequest(http.MethodGet, e.srv.URL+"/api/contacts/2", nil)
	require.NoError(t, err)
	req.SetBasicAuth(user, pass)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	var one struct {
		Contact struct {
			DateAdded, DateModified string
		}
	}
	require.NoError(t, json.Unmarshal(raw, &one))
	assert.Equal(t, "2026-03-01T11:00:00+01:00", one.Contact.DateAdded, "shown in the user's timezone")
	assert.Equal(t, "2026-03-01T12:00:00+01:00", one.Contact.DateModified)

	at := func(h, m, sec int) time.Time { return time.Date(2026, 3, 1, h, m, sec, 0, time.UTC) }
	tests := []struct {
		name  string
		since time.Time
		ids   []string
	}{
		{"since the adds", at(10, 0, 0), []string{"1", "2", "3"}},
		{"since the edit, to the second", at(11, 0, 0), []string{"2"}},
		{"since the edit, given in Paris time", at(11, 0, 0).In(paris), []string{"2"}},
		{"a second after the edit", at(11, 0, 1), nil},
		{"an hour before the edit", at(10, 0, 1), []string{"2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := c.List(ctx, connectors.ObjectContact, connectors.ListQuery{Since: tt.since})
			require.NoError(t, err)
			assert.Equal(t, tt.ids, nilIfEmpty(ids(p.Records)))
			for _, r := range p.Records {
				if r.ID == "2" {
					assert.Equal(t, at(11, 0, 0), r.UpdatedAt, "read in UTC")
					assert.Equal(t, time.UTC, r.UpdatedAt.Location())
				}
			}
		})
	}
}

func nilIfEmpty(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return s
}
