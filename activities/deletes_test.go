package activities

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/simkit"
	"github.com/crmsync/crmsync/store"
)

func (h *harness) deleteOn(c connectors.Connector, i int) string {
	h.t.Helper()
	id := h.person(c, i).ID
	res, err := c.Delete(h.ctx, connectors.ObjectContact, []string{id})
	require.NoError(h.t, err)
	require.NoError(h.t, res[0].Err)
	return id
}

func (h *harness) propagate(side string, ids ...string) DeleteResult {
	h.t.Helper()
	var env testsuite.WorkflowTestSuite
	ae := env.NewTestActivityEnvironment()
	ae.RegisterActivity(h.acts)
	v, err := ae.ExecuteActivity(h.acts.PropagateDeletes, DeleteInput{Connection: "t", Object: "contact", Side: side, IDs: ids})
	require.NoError(h.t, err)
	var res DeleteResult
	require.NoError(h.t, v.Get(&res))
	return res
}

func TestPropagateDeletes(t *testing.T) {
	tests := []struct {
		name    string
		deletes string
		want    DeleteResult
		sellsy  int // Sellsy contacts left of the 30 synced
	}{
		{name: "off by default: the Sellsy contact stays", deletes: "", want: DeleteResult{Kept: 1}, sellsy: 30},
		{name: "Automation → Sellsy deletes it", deletes: "b_to_a", want: DeleteResult{Propagated: 1}, sellsy: 29},
		{name: "Sellsy → Automation only: kept", deletes: "a_to_b", want: DeleteResult{Kept: 1}, sellsy: 30},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarnessWith(t, "both", tt.deletes)
			h.cycle(ModeImport)
			sellsyID := h.person(h.sellsy, 15).ID
			id := h.deleteOn(h.mautic, 15)
			assert.Equal(t, tt.want, h.propagate("b", id))
			assert.Equal(t, tt.sellsy, h.sb.Sellsy.Count("contacts"))
			pairs, err := h.st.Pairs(h.ctx, "t", "contact", store.SideA, []string{sellsyID})
			require.NoError(t, err)
			assert.Equal(t, tt.want.Kept, len(pairs), "a kept counterpart keeps its pair, so it is not created again on Automation")
		})
	}
}

func TestPropagateDeletesTrustsNoReport(t *testing.T) {
	h := newHarnessWith(t, "both", "b_to_a")
	h.cycle(ModeImport)
	alive := h.person(h.mautic, 16).ID
	res := h.propagate("b", alive, "999999")
	assert.Equal(t, DeleteResult{NotDeleted: 1, Unknown: 1}, res, "a forged or stale report deletes nothing")
	assert.Equal(t, 30, h.sb.Sellsy.Count("contacts"))
}

func TestReconcileFindsDeletionsNoWebhookAnnounced(t *testing.T) {
	h := newHarnessWith(t, "both", "b_to_a")
	h.cycle(ModeImport)
	h.deleteOn(h.mautic, 3)
	h.deleteOn(h.mautic, 25)

	var env testsuite.WorkflowTestSuite
	ae := env.NewTestActivityEnvironment()
	ae.RegisterActivity(h.acts)
	v, err := ae.ExecuteActivity(h.acts.Reconcile, ReconcileInput{Connection: "t", Object: "contact", Side: "b"})
	require.NoError(t, err)
	var res ReconcileResult
	require.NoError(t, v.Get(&res))
	assert.True(t, res.Done)
	assert.Equal(t, 30, res.Checked)
	assert.Equal(t, DeleteResult{Propagated: 2}, res.Deletes)
	assert.Equal(t, 28, h.sb.Sellsy.Count("contacts"))
	n, err := h.st.CountPairs(h.ctx, "t", "contact")
	require.NoError(t, err)
	assert.Equal(t, 28, n)
}

// schedule.max_deletes: a batch of deletions that would delete more than the cycle has left
// deletes nothing and fails as a configuration error (the connection pauses for a check);
// within it, or with no limit, it deletes. Reconciliation is held the same way.
func TestDeleteGuardHoldsAMassDeletion(t *testing.T) {
	tests := []struct {
		name      string
		guard     DeleteGuard
		reconcile bool
		wantErr   string
		sellsy    int
	}{
		{name: "past what is left", guard: DeleteGuard{Limited: true, Allowance: 2}, sellsy: 30,
			wantErr: "3 more contact records deleted on mautic would go past schedule.max_deletes (2 left of 100): none of them is deleted on sellsy. If the deletions were meant, `crmsync resume t --allow-deletes`"},
		{name: "past what is left, found by reconciling", guard: DeleteGuard{Limited: true, Allowance: 2}, reconcile: true, sellsy: 30,
			wantErr: "past schedule.max_deletes (2 left of 100)"},
		{name: "within it", guard: DeleteGuard{Limited: true, Allowance: 3}, sellsy: 27},
		{name: "no limit", sellsy: 27},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarnessWith(t, "both", "b_to_a")
			h.cycle(ModeImport)
			ids := []string{h.deleteOn(h.mautic, 3), h.deleteOn(h.mautic, 14), h.deleteOn(h.mautic, 25)}
			var suite testsuite.WorkflowTestSuite
			ae := suite.NewTestActivityEnvironment()
			ae.RegisterActivity(h.acts)
			var err error
			if tt.reconcile {
				_, err = ae.ExecuteActivity(h.acts.Reconcile, ReconcileInput{Connection: "t", Object: "contact", Side: "b", Guard: tt.guard})
			} else {
				_, err = ae.ExecuteActivity(h.acts.PropagateDeletes, DeleteInput{Connection: "t", Object: "contact", Side: "b", IDs: ids, Guard: tt.guard})
			}
			if tt.wantErr != "" {
				requireConfigError(t, err, tt.wantErr)
			} else {
				require.NoError(t, err)
			}
			assert.Equal(t, tt.sellsy, h.sb.Sellsy.Count("contacts"))
		})
	}
}

// Held back by schedule.max_deletes after some deletions, an activity says in its error what
// it deleted before (and, reconciling, where it is): those count against the limit after a
// plain resume, instead of the rest getting a fresh allowance.
func TestDeleteGuardSaysWhatWasDeletedBefore(t *testing.T) {
	tests := []struct {
		name      string
		reconcile bool
	}{
		{name: "announced deletions"},
		{name: "reconciling", reconcile: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarnessWith(t, "both", "b_to_a")
			h.cycle(ModeImport)
			before := h.sb.Sellsy.Count("contacts")
			var ids []string
			for _, i := range []int{10, 11, 12, 13, 14} {
				ids = append(ids, h.deleteOn(h.mautic, i))
			}
			var suite testsuite.WorkflowTestSuite
			ae := suite.NewTestActivityEnvironment()
			ae.RegisterActivity(h.acts)
			guard := DeleteGuard{Limited: true, Allowance: 3}
			var err error
			var propagated int
			if tt.reconcile {
				_, err = ae.ExecuteActivity(h.acts.Reconcile, ReconcileInput{Connection: "t", Object: "contact", Side: "b", Guard: guard, PageSize: 1})
				requireConfigError(t, err, "past schedule.max_deletes")
				var held ReconcileResult
				requireDetails(t, err, &held)
				propagated = held.Deletes.Propagated
				assert.NotEmpty(t, held.After, "its place: the page held back is checked again")
			} else {
				chunk := deleteChunk
				deleteChunk = 2
				t.Cleanup(func() { deleteChunk = chunk })
				_, err = ae.ExecuteActivity(h.acts.PropagateDeletes, DeleteInput{Connection: "t", Object: "contact", Side: "b", IDs: ids, Guard: guard})
				requireConfigError(t, err, "past schedule.max_deletes")
				var held HeldDeletes
				requireDetails(t, err, &held)
				propagated = held.Result.Propagated
				assert.Equal(t, 2, held.Handled, "the first chunk went, the second was held")
			}
			assert.Positive(t, propagated)
			assert.LessOrEqual(t, propagated, 3)
			assert.Equal(t, before-propagated, h.sb.Sellsy.Count("contacts"), "what it says it deleted")
		})
	}
}

// requireDetails decodes the details of an activity's error.
func requireDetails(t *testing.T, err error, v any) {
	t.Helper()
	var appErr *temporal.ApplicationError
	require.True(t, errors.As(err, &appErr), "%v", err)
	require.NoError(t, appErr.Details(v))
}

func TestPushOneSendsAContactAndItsCompany(t *testing.T) {
	h := newHarness(t, "both")
	// Nothing synced yet: person 25 exists only on Automation, with company 5.
	id := h.person(h.mautic, 25).ID
	var env testsuite.WorkflowTestSuite
	ae := env.NewTestActivityEnvironment()
	ae.RegisterActivity(h.acts)
	v, err := ae.ExecuteActivity(h.acts.PushOne, PushInput{Connection: "t", Object: "contact", Side: "b", ID: id})
	require.NoError(t, err)
	var c Counts
	require.NoError(t, v.Get(&c))
	assert.Equal(t, 2, c.CreatedA, "the company, then the contact")
	p := h.person(h.sellsy, 25)
	companies, err := h.sellsy.Get(h.ctx, connectors.ObjectCompany, []string{p.Links["company"]})
	require.NoError(t, err)
	require.Len(t, companies, 1)
	assert.Equal(t, 21, h.sb.Sellsy.Count("contacts"), "only this contact was sent")

	_, err = ae.ExecuteActivity(h.acts.PushOne, PushInput{Connection: "t", Object: "contact", Side: "b", ID: "424242"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "mautic has no contact with id 424242")
}

// Two writers meeting on one new record — a push and a pass, two pushes — create it once:
// the second waits for the first to save the pair, then finds it paired.
func TestConcurrentPushesCreateOnce(t *testing.T) {
	h := newHarness(t, "both")
	res, err := h.mautic.Create(h.ctx, connectors.ObjectContact, []connectors.Record{{Fields: map[string]any{"email": "twice@example.com", "lastname": "Deux-Fois"}}})
	require.NoError(t, err)
	require.NoError(t, res[0].Err)
	before := h.sb.Sellsy.Count("contacts")
	h.sb.Sellsy.Kit().SetFaults(simkit.Faults{LatencyMS: 40}) // every lookup and write takes a while: the two overlap
	var env testsuite.WorkflowTestSuite
	var wg sync.WaitGroup
	counts := make([]Counts, 4)
	for i := range counts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ae := env.NewTestActivityEnvironment()
			ae.RegisterActivity(h.acts)
			v, err := ae.ExecuteActivity(h.acts.PushOne, PushInput{Connection: "t", Object: "contact", Side: "b", ID: res[0].ID})
			if assert.NoError(t, err) {
				assert.NoError(t, v.Get(&counts[i]))
			}
		}()
	}
	wg.Wait()
	var total Counts
	for _, c := range counts {
		total.Add(c)
	}
	assert.Equal(t, before+1, h.sb.Sellsy.Count("contacts"), "created once")
	assert.Equal(t, 1, total.CreatedA, "%+v", total)
}

// refuseOthers deletes the first id of a call and answers err for the others, as Sellsy's
// write finish reports a spent quota, an outage or a revoked token once another delete of the
// batch succeeded.
type refuseOthers struct {
	connectors.Connector
	err error
}

func (r *refuseOthers) Delete(ctx context.Context, object string, ids []string) ([]connectors.Result, error) {
	if r.err == nil || len(ids) < 2 {
		return r.Connector.Delete(ctx, object, ids)
	}
	res, err := r.Connector.Delete(ctx, object, ids[:1])
	if err != nil {
		return nil, err
	}
	for _, id := range ids[1:] {
		res = append(res, connectors.Result{ID: id, Err: r.err})
	}
	return res, nil
}

// Only a delete refused for the record itself is quarantined; a missing record is a delete
// done; a spent quota, an outage or a revoked token fails the activity (the workflow waits,
// retries or pauses) once the pair of what was deleted is forgotten, and the retry deletes
// the rest.
func TestPropagateDeletesQuarantinesOnlyInvalidRecords(t *testing.T) {
	refused := func(kind connectors.Kind, status int) error {
		return &connectors.Error{Kind: kind, System: "sellsy", Op: "DELETE /contacts/{id}", Status: status, Message: "refused"}
	}
	tests := []struct {
		name        string
		err         error
		wantType    string // the application error's type; "": the activity succeeds
		quarantined int
		want        DeleteResult
		pairsLeft   int
	}{
		{name: "invalid: quarantined", err: refused(connectors.KindInvalid, 400), quarantined: 1, want: DeleteResult{Propagated: 1}, pairsLeft: 1},
		{name: "not found: already deleted", err: refused(connectors.KindInvalid, 404), want: DeleteResult{Propagated: 2}},
		{name: "quota spent: retried after the delay", err: refused(connectors.KindRateLimited, 429), wantType: ErrTypeRateLimited, pairsLeft: 1},
		{name: "outage: retried", err: refused(connectors.KindRetryable, 503), wantType: "Retryable", pairsLeft: 1},
		{name: "token revoked: the connection pauses", err: refused(connectors.KindConfig, 401), wantType: ErrTypeConfiguration, pairsLeft: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarnessWith(t, "both", "b_to_a")
			h.cycle(ModeImport)
			a1, a2 := h.person(h.sellsy, 15).ID, h.person(h.sellsy, 16).ID
			ids := []string{h.deleteOn(h.mautic, 15), h.deleteOn(h.mautic, 16)}
			flaky := &refuseOthers{Connector: h.sellsy, err: tt.err}
			h.acts.Conns.use("t", flaky, h.mautic)
			var env testsuite.WorkflowTestSuite
			ae := env.NewTestActivityEnvironment()
			ae.RegisterActivity(h.acts)
			in := DeleteInput{Connection: "t", Object: "contact", Side: "b", IDs: ids}

			v, err := ae.ExecuteActivity(h.acts.PropagateDeletes, in)
			q, qerr := h.st.ListQuarantine(h.ctx, "t", 10)
			require.NoError(t, qerr)
			assert.Len(t, q, tt.quarantined)
			pairs, perr := h.st.Pairs(h.ctx, "t", "contact", store.SideA, []string{a1, a2})
			require.NoError(t, perr)
			assert.Len(t, pairs, tt.pairsLeft, "the pair of what was deleted is forgotten")
			assert.Equal(t, 29, h.sb.Sellsy.Count("contacts"))
			if tt.wantType == "" {
				require.NoError(t, err)
				var res DeleteResult
				require.NoError(t, v.Get(&res))
				assert.Equal(t, tt.want, res)
				return
			}
			var appErr *temporal.ApplicationError
			require.ErrorAs(t, err, &appErr)
			assert.Equal(t, tt.wantType, appErr.Type())

			flaky.err = nil // Temporal's retry, or the resume, once the cause is gone
			v, err = ae.ExecuteActivity(h.acts.PropagateDeletes, in)
			require.NoError(t, err)
			var res DeleteResult
			require.NoError(t, v.Get(&res))
			assert.Equal(t, DeleteResult{Propagated: 1, Unknown: 1}, res)
			assert.Equal(t, 28, h.sb.Sellsy.Count("contacts"))
			q, err = h.st.ListQuarantine(h.ctx, "t", 10)
			require.NoError(t, err)
			assert.Empty(t, q)
		})
	}
}

// failDeleteCall fails one call of Delete as a whole (failOnce).
type failDeleteCall struct {
	connectors.Connector
	failOnce
}

func (f *failDeleteCall) Delete(ctx context.Context, object string, ids []string) ([]connectors.Result, error) {
	if err := f.next(); err != nil {
		return nil, err
	}
	return f.Connector.Delete(ctx, object, ids)
}

// PropagateDeletes heartbeats the ids it has handled after each chunk, and a retry resumes
// from its heartbeat: the chunks done are not read or counted again.
func TestPropagateDeletesResumesFromItsHeartbeat(t *testing.T) {
	tests := []struct {
		name   string
		start  *deleteProgress // heartbeat details the attempt starts from; nil: none
		failAt int             // Delete call that fails the first attempt; 0: none
		want   DeleteResult
		sellsy int
	}{
		{name: "from the start", want: DeleteResult{Propagated: 3, Unknown: 99}, sellsy: 27},
		{name: "after the first chunk", start: &deleteProgress{Done: deleteChunk, Result: DeleteResult{Propagated: 1, Unknown: 99}},
			want: DeleteResult{Propagated: 3, Unknown: 99}, sellsy: 28},
		{name: "all done", start: &deleteProgress{Done: deleteChunk + 2, Result: DeleteResult{Propagated: 3, Unknown: 99}},
			want: DeleteResult{Propagated: 3, Unknown: 99}, sellsy: 30},
		{name: "not this input's progress: starts over", start: &deleteProgress{Done: 500},
			want: DeleteResult{Propagated: 3, Unknown: 99}, sellsy: 27},
		{name: "the second chunk fails, the retry resumes from the heartbeat", failAt: 2,
			want: DeleteResult{Propagated: 3, Unknown: 99}, sellsy: 27},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarnessWith(t, "both", "b_to_a")
			h.cycle(ModeImport)
			// One deleted contact and 99 unknown ids fill the first chunk; two deleted
			// contacts make the second.
			ids := []string{h.deleteOn(h.mautic, 15)}
			for i := range deleteChunk - 1 {
				ids = append(ids, fmt.Sprint(900000+i))
			}
			ids = append(ids, h.deleteOn(h.mautic, 16), h.deleteOn(h.mautic, 17))
			flaky := &failDeleteCall{Connector: h.sellsy, failOnce: failOnce{failAt: tt.failAt,
				err: &connectors.Error{Kind: connectors.KindRateLimited, System: "sellsy", Op: "DELETE /contacts/{id}", Status: 429, Message: "request quota exceeded"}}}
			h.acts.Conns.use("t", flaky, h.mautic)
			var env testsuite.WorkflowTestSuite
			ae := env.NewTestActivityEnvironment()
			ae.RegisterActivity(h.acts)
			var mu sync.Mutex
			var last *deleteProgress
			ae.SetOnActivityHeartbeatListener(func(_ *activity.Info, details converter.EncodedValues) {
				var p deleteProgress
				if details.HasValues() && details.Get(&p) == nil {
					mu.Lock()
					last = &p
					mu.Unlock()
				}
			})
			if tt.start != nil {
				ae.SetHeartbeatDetails(*tt.start)
			}
			in := DeleteInput{Connection: "t", Object: "contact", Side: "b", IDs: ids}
			v, err := ae.ExecuteActivity(h.acts.PropagateDeletes, in)
			if tt.failAt > 0 {
				require.Error(t, err)
				assert.Contains(t, err.Error(), "request quota exceeded")
				mu.Lock()
				require.NotNil(t, last, "the first chunk was heartbeated")
				assert.Equal(t, deleteChunk, last.Done)
				ae.SetHeartbeatDetails(*last) // what Temporal hands the retry
				mu.Unlock()
				v, err = ae.ExecuteActivity(h.acts.PropagateDeletes, in)
			}
			require.NoError(t, err)
			var res DeleteResult
			require.NoError(t, v.Get(&res))
			assert.Equal(t, tt.want, res, "the chunks done before are not counted again")
			assert.Equal(t, tt.sellsy, h.sb.Sellsy.Count("contacts"))
		})
	}
}

// A push to a paused connection waits: PushOne answers a retryable Paused error, a minute
// before the next attempt, and writes nothing; once resumed, the push goes.
func TestPushOneWaitsWhilePaused(t *testing.T) {
	h := newHarness(t, "both")
	h.cycle(ModeImport)
	paused := true
	h.acts.Paused = func(_ context.Context, connection string) (bool, error) { return paused && connection == "t", nil }
	var suite testsuite.WorkflowTestSuite
	ae := suite.NewTestActivityEnvironment()
	ae.RegisterActivity(h.acts)
	res, err := h.mautic.Create(h.ctx, connectors.ObjectContact, []connectors.Record{{Fields: map[string]any{"email": "attente@example.com", "lastname": "Attente"}}})
	require.NoError(t, err)
	in := PushInput{Connection: "t", Object: "contact", Side: "b", ID: res[0].ID}
	sellsy := h.sb.Sellsy.Count("contacts")

	_, err = ae.ExecuteActivity(h.acts.PushOne, in)
	var appErr *temporal.ApplicationError
	require.ErrorAs(t, err, &appErr)
	assert.Equal(t, ErrTypePaused, appErr.Type())
	assert.False(t, appErr.NonRetryable())
	assert.Equal(t, time.Minute, appErr.NextRetryDelay())
	assert.Equal(t, sellsy, h.sb.Sellsy.Count("contacts"), "nothing written while paused")

	paused = false
	_, err = ae.ExecuteActivity(h.acts.PushOne, in)
	require.NoError(t, err)
	assert.Equal(t, sellsy+1, h.sb.Sellsy.Count("contacts"))
}
