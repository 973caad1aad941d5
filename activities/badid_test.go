package activities

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/testsuite"

	"github.com/crmsync/crmsync/connectors"
)

// withBadID lists, with the contacts of a page, one whose id the store cannot keep.
type withBadID struct {
	connectors.Connector
	id string
}

func (w withBadID) List(ctx context.Context, object string, q connectors.ListQuery) (connectors.Page, error) {
	page, err := w.Connector.List(ctx, object, q)
	if err == nil && object == connectors.ObjectContact && q.Cursor == "" {
		page.Records = append(page.Records, connectors.Record{ID: w.id, Fields: map[string]any{"email": "long.id@example.com", "last_name": "Long"}})
	}
	return page, err
}

// A record whose id the store cannot keep (longer than 1 KiB, a NUL) is quarantined with the
// reason, under its id shortened; the rest of its page syncs. The quarantine retry leaves it
// for the user to see: it cannot be read back by the id kept.
func TestRecordWithAnIDTheStoreCannotKeep(t *testing.T) {
	tests := []struct{ name, id string }{
		{"too long", strings.Repeat("7", 2000)},
		{"a NUL", "12\x00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, "both")
			h.acts.Conns.use("t", withBadID{Connector: h.sellsy, id: tt.id}, h.mautic)
			h.pass("company", "a", ModeImport)
			c := h.pass("contact", "a", ModeImport)
			assert.Equal(t, 1, c.Quarantined, "%+v", c)
			assert.Equal(t, 10, c.CreatedB, "the rest of the page syncs: %+v", c)

			q, err := h.st.ListQuarantine(h.ctx, "t", 10)
			require.NoError(t, err)
			require.Len(t, q, 1)
			assert.Contains(t, q[0].Reason, "a record id the store cannot keep")

			var env testsuite.WorkflowTestSuite
			ae := env.NewTestActivityEnvironment()
			ae.RegisterActivity(h.acts)
			v, err := ae.ExecuteActivity(h.acts.RetryQuarantined, RetryInput{Connection: "t"})
			require.NoError(t, err)
			var res RetryResult
			require.NoError(t, v.Get(&res))
			assert.Zero(t, res.Gone, "not taken for gone: %+v", res)
			n, err := h.st.CountQuarantine(h.ctx, "t")
			require.NoError(t, err)
			assert.Equal(t, 1, n, "still in quarantine")
		})
	}
}
