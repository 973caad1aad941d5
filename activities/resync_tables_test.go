package activities

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/store"
)

// A resync reaches the cursors of weavy's contact tables too, the table switched off
// included: resync everything reads each table whole once it is synced, and resync --since
// moves each table's cursor back to that date, as it does the object's. Before, a table off
// during a resync caught up from its own cursor when switched back on, not from the resync.
func TestResyncReachesTheTableCursors(t *testing.T) {
	r := startExample(t, "weavy-mautic")
	r.useWeavyTables("[contacts]") // entrants off: their cursor is still kept
	ctx := context.Background()
	late, early := "2026-11-20T10:00:00Z", "2026-11-01T00:00:00Z"
	keys := []string{"contact", tableKey("contact", "contacts"), tableKey("contact", "entrants")}
	setAll := func(v string) {
		for _, k := range keys {
			for _, side := range []store.Side{store.SideA, store.SideB} {
				require.NoError(t, r.st.SetCursor(ctx, r.name, k, side, v))
			}
		}
	}
	cursor := func(k string, side store.Side) (string, bool) {
		v, ok, err := r.st.Cursor(ctx, r.name, k, side)
		require.NoError(t, err)
		return v, ok
	}

	setAll(late)
	since, err := time.Parse(time.RFC3339, early)
	require.NoError(t, err)
	_, err = r.ae.ExecuteActivity(r.acts.ResetCursors, ResetInput{Connection: r.name, Objects: []string{"contact"}, Since: since})
	require.NoError(t, err)
	for _, k := range keys {
		for _, side := range []store.Side{store.SideA, store.SideB} {
			v, ok := cursor(k, side)
			assert.True(t, ok, "%s side %s", k, side)
			assert.Equal(t, since.UTC().Format(time.RFC3339Nano), v, "%s side %s moved back", k, side)
		}
	}

	setAll(late)
	_, err = r.ae.ExecuteActivity(r.acts.ResetCursors, ResetInput{Connection: r.name, Objects: []string{"contact"}})
	require.NoError(t, err)
	for _, k := range keys {
		for _, side := range []store.Side{store.SideA, store.SideB} {
			_, ok := cursor(k, side)
			assert.False(t, ok, "%s side %s: everything is read again", k, side)
		}
	}
}
