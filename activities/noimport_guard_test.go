package activities

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/crmsync/crmsync/config"
	"github.com/crmsync/crmsync/store"
)

// A side whose existing records are not to be sent (initial.from_b: false) is held back only
// by the import's mark: an incremental pass of that side before any mark (a sync started
// before its import ended) is a configuration error that pauses the sync, and creates nothing.
func TestIncrementalPassRefusesAnUnmarkedNoImportSide(t *testing.T) {
	tests := []struct {
		name     string
		mark     bool
		cursor   bool // the side was read before, with no mark (an import of the versions that kept none)
		wantErr  bool
		sellsyAt int
	}{
		{name: "marked by the import", mark: true, sellsyAt: 20},
		{name: "no import yet", mark: false, wantErr: true, sellsyAt: 20},
		// Read from its cursor, the pass is no first read of every record: it goes on (the
		// records changed since the cursor are sent, as they were before the guard).
		{name: "read before, no mark", cursor: true, sellsyAt: 20},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarnessYAML(t, "both", "initial: {from_b: false}")
			conn, err := h.acts.Conns.Config("t")
			require.NoError(t, err)
			conn.Schedule.Overlap = config.Duration(300 * time.Millisecond)
			time.Sleep(2500 * time.Millisecond) // Automation's seconds, the overlap: see TestImportWithoutExistingRecordsOfOneSide
			h.pass("company", "a", ModeImport)
			h.pass("company", "b", ModeImport)
			h.pass("contact", "a", ModeImport)
			if tt.mark {
				h.pass("contact", "b", ModeMark)
			}
			if tt.cursor {
				require.NoError(t, h.acts.Store.SetCursor(t.Context(), "t", "contact", store.SideB, time.Now().UTC().Format(time.RFC3339Nano)))
			}
			var suite testsuite.WorkflowTestSuite
			ae := suite.NewTestActivityEnvironment()
			ae.RegisterActivity(h.acts)
			v, err := ae.ExecuteActivity(h.acts.SyncPass, PassInput{Connection: "t", Object: "contact", Side: "b", Mode: ModeIncremental, PageSize: 7, Stretch: time.Hour})
			if tt.wantErr {
				var appErr *temporal.ApplicationError
				require.True(t, errors.As(err, &appErr), "%v", err)
				assert.Equal(t, ErrTypeConfiguration, appErr.Type(), "a configuration error pauses the connection")
				assert.Contains(t, err.Error(), "object contact, side b: initial.from_b is false")
				assert.Contains(t, err.Error(), "run `crmsync start import t --wait`")
			} else {
				require.NoError(t, err)
				var res PassResult
				require.NoError(t, v.Get(&res))
				assert.Zero(t, res.Counts.CreatedA, "%+v", res.Counts)
			}
			assert.Equal(t, tt.sellsyAt, h.sb.Sellsy.Count("contacts"), "Automation's people 20–29 are not sent")
		})
	}
}
