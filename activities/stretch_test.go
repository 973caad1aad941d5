package activities

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/testsuite"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/sellsy"
)

// failOnce fails one call of a kind, the failAt-th, with err.
type failOnce struct {
	failAt, calls int
	err           error
}

func (f *failOnce) next() error {
	f.calls++
	if f.calls == f.failAt {
		return f.err
	}
	return nil
}

// A server error after a stretch committed pages ends the stretch with them, without an
// error: the workflow starts the next one at once instead of retrying this one with a backoff
// that grows with each failure. Before any page, or for a quota, the error stands.
func TestPassingFailureEndsTheStretch(t *testing.T) {
	serverError := &connectors.Error{Kind: connectors.KindRetryable, System: "sellsy", Op: "GET /contacts", Status: 502, Message: "bad gateway"}
	quota := &connectors.Error{Kind: connectors.KindRateLimited, System: "sellsy", Op: "GET /contacts", Status: 429, Message: "request quota exceeded"}
	tests := []struct {
		name      string
		failAt    int
		err       error
		wantErr   string
		wantPages int
	}{
		{name: "server error after a page", failAt: 2, err: serverError, wantPages: 1},
		{name: "server error after two pages", failAt: 3, err: serverError, wantPages: 2},
		{name: "server error before any page", failAt: 1, err: serverError, wantErr: "bad gateway"},
		{name: "quota after a page", failAt: 2, err: quota, wantErr: "request quota exceeded"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, "both")
			h.pass("company", "a", ModeImport)
			flaky := &sellsyListFailsOnce{Client: h.sellsy.(*sellsy.Client), failOnce: failOnce{failAt: tt.failAt, err: tt.err}}
			h.acts.Conns.use("t", flaky, h.mautic)
			var env testsuite.WorkflowTestSuite
			ae := env.NewTestActivityEnvironment()
			ae.RegisterActivity(h.acts)
			in := PassInput{Connection: "t", Object: "contact", Side: "a", Mode: ModeImport, PageSize: 7}

			v, err := ae.ExecuteActivity(h.acts.SyncPass, in)
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				return
			}
			require.NoError(t, err)
			var res PassResult
			require.NoError(t, v.Get(&res))
			assert.False(t, res.Done)
			assert.Equal(t, tt.wantPages, res.Pages)
			assert.Equal(t, 7*tt.wantPages, res.Counts.Read, "%+v", res.Counts)
			require.NotEmpty(t, res.Position)

			// The next stretch goes on from there: everyone reaches Automation once.
			in.Position, in.Since, in.PassStart = res.Position, res.Since, res.PassStart
			h.passWith(in)
			for i := 0; i < 30; i++ {
				h.person(h.mautic, i)
			}
		})
	}
}

// getFailsOnce fails one Get call.
type getFailsOnce struct {
	connectors.Connector
	failOnce
}

func (f *getFailsOnce) Get(ctx context.Context, object string, ids []string) ([]connectors.Record, error) {
	if err := f.next(); err != nil {
		return nil, err
	}
	return f.Connector.Get(ctx, object, ids)
}

// A reconciliation stretch ends the same way on a passing failure after checked pages, and
// the next one finds the deletions that were left.
func TestPassingFailureEndsAReconcileStretch(t *testing.T) {
	serverError := &connectors.Error{Kind: connectors.KindRetryable, System: "mautic", Op: "GET /contacts", Status: 503, Message: "unavailable"}
	tests := []struct {
		name        string
		failAt      int
		wantErr     bool
		wantChecked int
	}{
		{name: "after a page", failAt: 2, wantChecked: 10},
		{name: "before any page", failAt: 1, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarnessWith(t, "both", "b_to_a")
			h.cycle(ModeImport)
			h.deleteOn(h.mautic, 3)
			h.deleteOn(h.mautic, 25)
			h.acts.Conns.use("t", h.sellsy, &getFailsOnce{Connector: h.mautic, failOnce: failOnce{failAt: tt.failAt, err: serverError}})
			var env testsuite.WorkflowTestSuite
			ae := env.NewTestActivityEnvironment()
			ae.RegisterActivity(h.acts)
			in := ReconcileInput{Connection: "t", Object: "contact", Side: "b", PageSize: 10}

			v, err := ae.ExecuteActivity(h.acts.Reconcile, in)
			if tt.wantErr {
				require.Error(t, err)
				assert.Contains(t, err.Error(), "unavailable")
				return
			}
			require.NoError(t, err)
			var res ReconcileResult
			require.NoError(t, v.Get(&res))
			assert.False(t, res.Done)
			assert.Equal(t, tt.wantChecked, res.Checked)
			deletes := res.Deletes
			deletes.Add(reconcileToEnd(t, ae, h.acts, in, res))
			assert.Equal(t, DeleteResult{Propagated: 2}, deletes)
			assert.Equal(t, 28, h.sb.Sellsy.Count("contacts"))
		})
	}
}

// reconcileToEnd runs the stretches of a reconciliation after res, the one that ran with in,
// until it is done, and adds up their deletions.
func reconcileToEnd(t *testing.T, ae *testsuite.TestActivityEnvironment, acts *Activities, in ReconcileInput, res ReconcileResult) DeleteResult {
	t.Helper()
	var deletes DeleteResult
	for !res.Done {
		in.After = res.After
		v, err := ae.ExecuteActivity(acts.Reconcile, in)
		require.NoError(t, err)
		require.NoError(t, v.Get(&res))
		deletes.Add(res.Deletes)
	}
	return deletes
}

// scanToEnd runs the rest of a stage scan whose last stretch answered res, and returns the
// counts of the whole scan, res's included.
func scanToEnd(t *testing.T, ae *testsuite.TestActivityEnvironment, acts *Activities, in StageInput, res StageResult) StageResult {
	t.Helper()
	total := res
	for !res.Done {
		in.Position = res.Position
		v, err := ae.ExecuteActivity(acts.PropagateStages, in)
		require.NoError(t, err)
		require.NoError(t, v.Get(&res))
		total.Add(res)
	}
	return total
}

// sellsyListFailsOnce is the Sellsy connector (with its pipelines, for the stage scans)
// failing one List call.
type sellsyListFailsOnce struct {
	*sellsy.Client
	failOnce
}

func (f *sellsyListFailsOnce) List(ctx context.Context, object string, q connectors.ListQuery) (connectors.Page, error) {
	if err := f.next(); err != nil {
		return connectors.Page{}, err
	}
	return f.Client.List(ctx, object, q)
}

// A stage scan ends the same way on a passing failure after pages, and the next stretch
// moves the rest, each once.
func TestPassingFailureEndsAScanStretch(t *testing.T) {
	serverError := &connectors.Error{Kind: connectors.KindRetryable, System: "sellsy", Op: "POST /opportunities/search", Status: 500, Message: "internal error"}
	acts, _, _, opps, _ := stagedOpportunity(t, "sc", `{"11": QUALIF, "13": GAGNEE}`, 3)
	ca, cb, err := acts.Conns.Connectors("sc")
	require.NoError(t, err)
	acts.Conns.use("sc", &sellsyListFailsOnce{Client: ca.(*sellsy.Client), failOnce: failOnce{failAt: 2, err: serverError}}, cb)
	var suite testsuite.WorkflowTestSuite
	ae := suite.NewTestActivityEnvironment()
	ae.RegisterActivity(acts)
	in := StageInput{Connection: "sc", PageSize: 1}

	v, err := ae.ExecuteActivity(acts.PropagateStages, in)
	require.NoError(t, err)
	var res StageResult
	require.NoError(t, v.Get(&res))
	assert.False(t, res.Done)
	assert.Equal(t, 1, res.Checked, "%+v", res)
	total := scanToEnd(t, ae, acts, in, res)
	assert.Equal(t, len(opps), total.Checked, "%+v", total)
	assert.Equal(t, len(opps), total.Moved, "each opportunity's stage moved once: %+v", total)
}

// createFailsOnce makes the failAt-th Create call write its first record only and refuse the
// others with a server error, as when the system falls over in the middle of a batch.
type createFailsOnce struct {
	connectors.Connector
	failAt, calls int
}

func (f *createFailsOnce) Create(ctx context.Context, object string, recs []connectors.Record) ([]connectors.Result, error) {
	f.calls++
	if f.calls != f.failAt || len(recs) < 2 {
		return f.Connector.Create(ctx, object, recs)
	}
	res, err := f.Connector.Create(ctx, object, recs[:1])
	if err != nil {
		return nil, err
	}
	for range recs[1:] {
		res = append(res, connectors.Result{Err: &connectors.Error{Kind: connectors.KindRetryable, System: "sellsy", Op: "POST /contacts", Status: 500, Message: "internal error"}})
	}
	return res, nil
}

// The records a page created before it failed are counted once, when they were created: the
// page read again finds them paired and unchanged.
func TestWritesBeforeAFailureAreCounted(t *testing.T) {
	h := newHarness(t, "both")
	h.pass("company", "a", ModeImport)
	h.pass("company", "b", ModeImport)
	h.pass("contact", "a", ModeImport)
	flaky := &createFailsOnce{Connector: h.sellsy, failAt: 2}
	h.acts.Conns.use("t", flaky, h.mautic)

	total := h.pass("contact", "b", ModeImport)
	require.GreaterOrEqual(t, flaky.calls, 2, "a create call failed")
	assert.Equal(t, 10, total.CreatedA, "Automation's people 20–29, each counted once: %+v", total)
	assert.Equal(t, 30, h.sb.Sellsy.Count("contacts"))
}
