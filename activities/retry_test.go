package activities

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/store"
)

// Quarantined records run again on demand: one fixed since passes and leaves, one still
// wrong stays with its reason, one deleted since leaves.
func TestRetryQuarantined(t *testing.T) {
	h := newHarness(t, "both")
	res, err := h.mautic.Create(h.ctx, connectors.ObjectContact, []connectors.Record{
		{Fields: map[string]any{"firstname": "Fixed", "lastname": "Later"}},
		{Fields: map[string]any{"firstname": "Still", "lastname": "Wrong"}},
		{Fields: map[string]any{"firstname": "Deleted", "lastname": "Since"}},
	})
	require.NoError(t, err)
	for _, r := range res {
		require.NoError(t, r.Err)
	}
	h.cycle(ModeImport)
	n, err := h.st.CountQuarantine(h.ctx, "t")
	require.NoError(t, err)
	require.Equal(t, 3, n, "no e-mail: quarantined")

	fixed, still, deleted := res[0].ID, res[1].ID, res[2].ID
	up, err := h.mautic.Update(h.ctx, connectors.ObjectContact, []connectors.Record{{ID: fixed, Fields: map[string]any{"email": "fixed.later@example.com"}}})
	require.NoError(t, err)
	require.NoError(t, up[0].Err)
	del, err := h.mautic.Delete(h.ctx, connectors.ObjectContact, []string{deleted})
	require.NoError(t, err)
	require.NoError(t, del[0].Err)
	sellsyBefore := h.sb.Sellsy.Count("contacts")

	var env testsuite.WorkflowTestSuite
	ae := env.NewTestActivityEnvironment()
	ae.RegisterActivity(h.acts)
	v, err := ae.ExecuteActivity(h.acts.RetryQuarantined, RetryInput{Connection: "t"})
	require.NoError(t, err)
	var got RetryResult
	require.NoError(t, v.Get(&got))
	assert.Equal(t, 2, got.Retried)
	assert.Equal(t, 1, got.Resolved)
	assert.Equal(t, 1, got.Quarantined)
	assert.Equal(t, 1, got.Gone)
	assert.Equal(t, 1, got.Counts.CreatedA, "%+v", got.Counts)

	q, err := h.st.ListQuarantine(h.ctx, "t", 10)
	require.NoError(t, err)
	require.Len(t, q, 1, "only the one still wrong")
	assert.Equal(t, still, q[0].RecordID)
	assert.Contains(t, q[0].Reason, "has no email")
	assert.Equal(t, sellsyBefore+1, h.sb.Sellsy.Count("contacts"), "the fixed contact reached Sellsy")

	_, err = ae.ExecuteActivity(h.acts.RetryQuarantined, RetryInput{Connection: "nope"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `no connection file of this worker is named "nope"`)
}

// A retry takes every entry quarantined before it began, a page at a time, once each: one
// refused again is quarantined anew and not taken a second time, and entries past the first
// page are reached (the newest thousand were retried over and over before).
func TestRetryReachesEveryEntryOnce(t *testing.T) {
	page := retryPage
	retryPage = 2
	t.Cleanup(func() { retryPage = page })
	h := newHarness(t, "both")
	for i := range 5 {
		res, err := h.mautic.Create(h.ctx, connectors.ObjectContact, []connectors.Record{{Fields: map[string]any{"firstname": fmt.Sprint("Sans ", i), "lastname": "Adresse"}}})
		require.NoError(t, err)
		require.NoError(t, res[0].Err)
	}
	h.cycle(ModeImport)
	n, err := h.st.CountQuarantine(h.ctx, "t")
	require.NoError(t, err)
	require.Equal(t, 5, n)

	var suite testsuite.WorkflowTestSuite
	ae := suite.NewTestActivityEnvironment()
	ae.RegisterActivity(h.acts)
	v, err := ae.ExecuteActivity(h.acts.RetryQuarantined, RetryInput{Connection: "t"})
	require.NoError(t, err)
	var res RetryResult
	require.NoError(t, v.Get(&res))
	assert.Equal(t, 5, res.Retried, "%+v", res)
	assert.Equal(t, 5, res.Quarantined, "still without an e-mail: %+v", res)

	v, err = ae.ExecuteActivity(h.acts.RetryQuarantined, RetryInput{Connection: "t", Limit: 3})
	require.NoError(t, err)
	require.NoError(t, v.Get(&res))
	assert.Equal(t, 3, res.Retried, "the limit holds across pages: %+v", res)
}

// The retry's counts are what the quarantine holds afterwards: a record fixed since is
// resolved, and so is one the sync now leaves out (filtered: no longer its business, its
// entry goes); one refused again is still quarantined.
func TestRetryCountsWhatTheQuarantineHolds(t *testing.T) {
	h := newHarnessYAML(t, "both", "filter: {b: {position: Buyer}}")
	h.cycle(ModeImport)
	before, err := h.st.CountQuarantine(h.ctx, "t") // Sellsy's contacts without the position
	require.NoError(t, err)
	res, err := h.mautic.Create(h.ctx, connectors.ObjectContact, []connectors.Record{
		{Fields: map[string]any{"firstname": "Fixed", "lastname": "Later", "position": "Buyer"}},
		{Fields: map[string]any{"firstname": "Left", "lastname": "Out", "position": "Buyer"}},
	})
	require.NoError(t, err)
	for _, r := range res {
		require.NoError(t, r.Err)
	}
	h.cycle(ModeIncremental)
	n, err := h.st.CountQuarantine(h.ctx, "t")
	require.NoError(t, err)
	require.Equal(t, before+2, n, "no e-mail: quarantined")

	up, err := h.mautic.Update(h.ctx, connectors.ObjectContact, []connectors.Record{
		{ID: res[0].ID, Fields: map[string]any{"email": "fixed.later@example.com"}},
		{ID: res[1].ID, Fields: map[string]any{"position": "Seller"}},
	})
	require.NoError(t, err)
	for _, r := range up {
		require.NoError(t, r.Err)
	}
	var suite testsuite.WorkflowTestSuite
	ae := suite.NewTestActivityEnvironment()
	ae.RegisterActivity(h.acts)
	v, err := ae.ExecuteActivity(h.acts.RetryQuarantined, RetryInput{Connection: "t"})
	require.NoError(t, err)
	var got RetryResult
	require.NoError(t, v.Get(&got))
	n, err = h.st.CountQuarantine(h.ctx, "t")
	require.NoError(t, err)
	assert.Equal(t, before, n, "the one fixed and the one left out leave the quarantine")
	assert.Equal(t, before+2, got.Retried, "%+v", got)
	assert.Equal(t, n, got.Quarantined, "%+v", got)
	assert.Equal(t, 2, got.Resolved, "%+v", got)
}

// A quarantined record that its system's lookup leaves out but does not confirm gone stays in
// quarantine: a UNAS company is read from the buyers a worker has seen since it started, so
// after a restart its lookup finds nothing, though the company is in the shop.
func TestRetryKeepsWhatIsNotConfirmedGone(t *testing.T) {
	r := startExample(t, "unas-minicrm")
	ctx := context.Background()
	for _, id := range []string{"12345678242", "former.id@example.com"} {
		require.NoError(t, r.st.Quarantine(ctx, store.QuarantineEntry{Connection: r.name, Object: "business", Side: store.SideA, RecordID: id, Reason: "refused by MiniCRM", At: time.Now()}))
	}
	v, err := r.ae.ExecuteActivity(r.acts.RetryQuarantined, RetryInput{Connection: r.name})
	require.NoError(t, err)
	var got RetryResult
	require.NoError(t, v.Get(&got))
	assert.Equal(t, 1, got.Gone, "%+v", got)
	q, err := r.st.ListQuarantine(ctx, r.name, 10)
	require.NoError(t, err)
	require.Len(t, q, 1)
	assert.Equal(t, "12345678242", q[0].RecordID, "not seen since the start is not gone")
}

// A pause arriving while a retry of the quarantine runs holds it between two pages: the retry
// saves what it has done and answers a retryable Paused error a minute before the next
// attempt, which, once the connection is resumed, goes on after the pages done.
func TestRetryWaitsForAPauseBetweenPages(t *testing.T) {
	page, every := retryPage, pauseCheckEvery
	retryPage, pauseCheckEvery = 2, 0 // a page of two entries; ask before each page
	t.Cleanup(func() { retryPage, pauseCheckEvery = page, every })
	h := newHarness(t, "both")
	var ids []string
	for i := range 5 {
		res, err := h.mautic.Create(h.ctx, connectors.ObjectContact, []connectors.Record{{Fields: map[string]any{"firstname": fmt.Sprint("Sans ", i), "lastname": "Adresse"}}})
		require.NoError(t, err)
		require.NoError(t, res[0].Err)
		ids = append(ids, res[0].ID)
	}
	h.cycle(ModeImport)
	// Fixed since: each retried one reaches Sellsy.
	for i, id := range ids {
		up, err := h.mautic.Update(h.ctx, connectors.ObjectContact, []connectors.Record{{ID: id, Fields: map[string]any{"email": fmt.Sprintf("repris%d@example.com", i)}}})
		require.NoError(t, err)
		require.NoError(t, up[0].Err)
	}
	sellsyBefore := h.sb.Sellsy.Count("contacts")

	asked, pauseAt := 0, 2 // paused once the first page is done
	h.acts.Paused = func(_ context.Context, connection string) (bool, error) {
		asked++
		return connection == "t" && pauseAt > 0 && asked >= pauseAt, nil
	}
	var suite testsuite.WorkflowTestSuite
	ae := suite.NewTestActivityEnvironment()
	ae.RegisterActivity(h.acts)
	var beat converter.EncodedValues
	ae.SetOnActivityHeartbeatListener(func(_ *activity.Info, d converter.EncodedValues) { beat = d })

	_, err := ae.ExecuteActivity(h.acts.RetryQuarantined, RetryInput{Connection: "t"})
	var appErr *temporal.ApplicationError
	require.ErrorAs(t, err, &appErr)
	assert.Equal(t, ErrTypePaused, appErr.Type())
	assert.False(t, appErr.NonRetryable())
	assert.Equal(t, time.Minute, appErr.NextRetryDelay())
	assert.Contains(t, err.Error(), "connection t is paused: the retry of its quarantine waits for the resume (2 entries done)")
	assert.Equal(t, sellsyBefore+2, h.sb.Sellsy.Count("contacts"), "the first page only")
	require.NotNil(t, beat, "the pages done are saved")
	var saved retryProgress
	require.NoError(t, beat.Get(&saved))
	assert.Equal(t, 2, saved.Taken)

	// Resumed: the next attempt goes on after the first page.
	pauseAt = 0
	ae.SetHeartbeatDetails(saved)
	v, err := ae.ExecuteActivity(h.acts.RetryQuarantined, RetryInput{Connection: "t"})
	require.NoError(t, err)
	var res RetryResult
	require.NoError(t, v.Get(&res))
	assert.Equal(t, 5, res.Retried, "%+v", res)
	assert.Equal(t, 5, res.Resolved, "%+v", res)
	assert.Equal(t, sellsyBefore+5, h.sb.Sellsy.Count("contacts"), "each once")
	n, err := h.st.CountQuarantine(h.ctx, "t")
	require.NoError(t, err)
	assert.Zero(t, n)
}
