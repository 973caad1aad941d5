package activities

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"

	"github.com/crmsync/crmsync/store"
)

// resync --since moves a cursor back to the date, never forward: a cursor already before it
// would skip the changes in between; a side without a cursor stays without one (its next pass
// reads everything).
func TestResetCursorsOnlyMovesBack(t *testing.T) {
	since := time.Date(2026, 1, 31, 0, 0, 0, 0, time.UTC)
	at := func(t time.Time) string { return t.Format(time.RFC3339Nano) }
	tests := []struct {
		name    string
		current string // "" : no cursor
		want    string // "" : still no cursor
	}{
		{name: "after the date: moved back", current: at(since.Add(48 * time.Hour)), want: at(since)},
		{name: "before the date: kept", current: at(since.Add(-48 * time.Hour)), want: at(since.Add(-48 * time.Hour))},
		{name: "at the date: kept", current: at(since), want: at(since)},
		{name: "no cursor: none", current: "", want: ""},
		{name: "not a time: the date", current: "garbled", want: at(since)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			acts, st, _ := activitiesFor(t, liveConnection)
			if tt.current != "" {
				require.NoError(t, st.SetCursor(ctx, "live", "contact", store.SideA, tt.current))
			}
			require.NoError(t, acts.ResetCursors(ctx, ResetInput{Connection: "live", Since: since}))
			got, ok, err := st.Cursor(ctx, "live", "contact", store.SideA)
			require.NoError(t, err)
			assert.Equal(t, tt.want != "", ok, "a cursor there")
			assert.Equal(t, tt.want, got)
			_, ok, err = st.Cursor(ctx, "live", "contact", store.SideB)
			require.NoError(t, err)
			assert.False(t, ok, "side b had no cursor and has none")
		})
	}
}

// A cursor the store holds that is not a time (edited by hand, a bad restore) pauses the
// connection, naming the cursor and the command that sets it again: retried, the pass would
// fail the same way for ever.
func TestACursorThatIsNoTimePausesNamingResync(t *testing.T) {
	ctx := context.Background()
	acts, st, ae := activitiesFor(t, liveConnection)
	require.NoError(t, st.SetCursor(ctx, "live", "contact", store.SideA, "garbled"))
	t.Setenv("L_ID", "id")
	t.Setenv("L_SECRET", "secret")
	t.Setenv("L_USER", "user")
	t.Setenv("L_PASS", "pass")
	_, err := ae.ExecuteActivity(acts.SyncPass, PassInput{Connection: "live", Object: "contact", Side: "a", Mode: ModeIncremental})
	require.Error(t, err)
	var appErr *temporal.ApplicationError
	require.ErrorAs(t, err, &appErr)
	assert.Equal(t, ErrTypeConfiguration, appErr.Type())
	assert.True(t, appErr.NonRetryable())
	assert.Contains(t, err.Error(), `"garbled"`)
	assert.Contains(t, err.Error(), "crmsync resync live --objects contact")
}
