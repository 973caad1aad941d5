package activities

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/testsuite"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/store"
)

// asOfFirstPage answers contact listings as a connector whose first page comes from an
// earlier read: that page's AsOf says how far the read went, the later pages say nothing.
type asOfFirstPage struct {
	connectors.Connector
	asOf time.Time
}

func (a asOfFirstPage) List(ctx context.Context, object string, q connectors.ListQuery) (connectors.Page, error) {
	page, err := a.Connector.List(ctx, object, q)
	if object == connectors.ObjectContact && q.Cursor == "" {
		page.AsOf = a.asOf
	}
	return page, err
}

// A pass run in several stretches sets its cursor no later than the AsOf of any of its
// pages, the first stretch's included: the next pass reads again what changed after it.
func TestPassCursorKeepsAnEarlierStretchsAsOf(t *testing.T) {
	h := newHarness(t, "both")
	h.cycle(ModeImport)
	asOf := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	h.acts.Conns.use("t", asOfFirstPage{Connector: h.sellsy, asOf: asOf}, h.mautic)

	var env testsuite.WorkflowTestSuite
	ae := env.NewTestActivityEnvironment()
	ae.RegisterActivity(h.acts)
	in := PassInput{Connection: "t", Object: "contact", Side: "a", Mode: ModeImport, PageSize: 7, Stretch: time.Nanosecond}
	stretches := 0
	for {
		v, err := ae.ExecuteActivity(h.acts.SyncPass, in)
		require.NoError(t, err)
		var res PassResult
		require.NoError(t, v.Get(&res))
		stretches++
		if res.Done {
			break
		}
		// As the workflow does (runner.go).
		in.Position, in.Since, in.PassStart, in.AsOf = res.Position, res.Since, res.PassStart, res.AsOf
	}
	require.Greater(t, stretches, 1, "a page a stretch")
	cursor, ok, err := h.st.Cursor(h.ctx, "t", "contact", store.SideA)
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, asOf.Format(time.RFC3339Nano), cursor)
}
