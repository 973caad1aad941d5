package activities

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"
	"golang.org/x/time/rate"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/sellsy"
)

// stopInContext gives each activity the worker's stop channel for its connectors' waits, as
// the worker's interceptor (worker/stop.go) does.
type stopInContext struct {
	interceptor.WorkerInterceptorBase
}

func (*stopInContext) InterceptActivity(ctx context.Context, next interceptor.ActivityInboundInterceptor) interceptor.ActivityInboundInterceptor {
	return &stopInContextActivity{interceptor.ActivityInboundInterceptorBase{Next: next}}
}

type stopInContextActivity struct {
	interceptor.ActivityInboundInterceptorBase
}

func (a *stopInContextActivity) ExecuteActivity(ctx context.Context, in *interceptor.ExecuteActivityInput) (any, error) {
	return a.Next.ExecuteActivity(connectors.WithStop(ctx, activity.GetWorkerStopChannel(ctx)), in)
}

// A stretch whose page waits for a client's rate limit when the worker begins to stop ends at
// once and returns its place, as between pages: the requests not sent are the next stretch's,
// and what the page wrote before is found paired there, not created twice (rule 2). Here
// Automation's limiter is spent just as the page's contacts are created there: the calls that
// follow in the page (its other creates) wait for it.
func TestStretchWaitingForTheRateLimitReturnsItsPlaceWhenTheWorkerStops(t *testing.T) {
	var limiter atomic.Pointer[rate.Limiter] // Automation's, shared by its connector
	var armed, spent atomic.Bool
	var mauticURL string
	h := newHarnessVia(t, "both", `
  - name: company
    match: {a: name, b: companyname}
    fields:
      - {a: name, b: companyname}
  - name: contact
    match: {a: email, b: email}
    links: [company]
    fields:
      - {a: email, b: email}
      - {a: first_name, b: firstname}
      - {a: last_name, b: lastname}`, func(upstream string) string {
		target, err := url.Parse(upstream)
		require.NoError(t, err)
		proxy := httputil.NewSingleHostReverseProxy(target)
		proxy.ModifyResponse = func(resp *http.Response) error {
			// Spent before the client reads the answer of its first batch of creates.
			r := resp.Request
			if l := limiter.Load(); armed.Load() && resp.StatusCode/100 == 2 && r.Method == http.MethodPost &&
				strings.HasSuffix(r.URL.Path, "/contacts/batch/new") && spent.CompareAndSwap(false, true) {
				// The next call waits two to four minutes (the stretch's timeout is ten).
				l.SetLimit(rate.Every(2 * time.Minute))
				for l.Tokens() >= 0 {
					l.Reserve() // below zero: owed, so the next call waits
				}
			}
			return nil
		}
		srv := httptest.NewServer(proxy)
		t.Cleanup(srv.Close)
		mauticURL = srv.URL
		return srv.URL
	})
	shared := h.acts.Conns.Accounts().Share("mautic "+mauticURL+" user", rate.NewLimiter(rate.Inf, 1))
	limiter.Store(shared)
	h.pass("company", "a", ModeImport) // the contacts' companies, paired first
	h.pass("company", "b", ModeImport)
	// Three records a batch: the page's seven creates take three calls, and the first is
	// answered when the limit is spent.
	h.sb.Mautic.SetBatchMax(3)
	armed.Store(true)

	var suite testsuite.WorkflowTestSuite
	ae := suite.NewTestActivityEnvironment()
	ae.RegisterActivity(h.acts)
	ae.SetWorkerOptions(worker.Options{Interceptors: []interceptor.WorkerInterceptor{&stopInContext{}}})
	stop := make(chan struct{})
	ae.SetWorkerStopChannel(stop)
	in := PassInput{Connection: "t", Object: "contact", Side: "a", Mode: ModeImport, PageSize: 7, Stretch: time.Hour}
	type ended struct {
		res PassResult
		err error
		at  time.Time
	}
	end := make(chan ended, 1)
	go func() {
		var e ended
		v, err := ae.ExecuteActivity(h.acts.SyncPass, in)
		if e.err = err; err == nil {
			e.err = v.Get(&e.res)
		}
		e.at = time.Now()
		end <- e
	}()
	require.Eventually(t, func() bool { return shared.Tokens() < -1 }, 20*time.Second, 5*time.Millisecond,
		"a call of the stretch to wait for Automation's rate limit")

	stoppedAt := time.Now()
	close(stop)
	var first ended
	select {
	case first = <-end:
	case <-time.After(5 * time.Second):
		t.Fatal("the stretch was still waiting for the rate limit 5 s after the worker began to stop")
	}
	took := first.at.Sub(stoppedAt)
	t.Logf("from the stop to the stretch's end: %s; its place: %+v", took.Round(time.Millisecond), first.res)
	require.NoError(t, first.err, "the stop is not the stretch's failure")
	assert.Less(t, took, time.Second)
	assert.False(t, first.res.Done)
	assert.Zero(t, first.res.Pages, "the page in hand is not done: its place is where it began")
	assert.Equal(t, 3, first.res.Counts.CreatedB, "the page's first batch, written before the wait, is counted: %+v", first.res.Counts)

	// Another worker, the limit lifted, goes on from that place: each record is read once,
	// and people 0–9 are created on Automation once each.
	shared.SetLimit(rate.Inf)
	in.Position, in.Since, in.PassStart, in.AsOf = first.res.Position, first.res.Since, first.res.PassStart, first.res.AsOf
	rest := h.passWith(in)
	assert.Equal(t, 20, first.res.Counts.Read+rest.Read, "Sellsy's 20 people, each read once: %+v %+v", first.res.Counts, rest)
	assert.Equal(t, 10, first.res.Counts.CreatedB+rest.CreatedB, "people 0–9 created on Automation")
	assert.Equal(t, 30, h.sb.Mautic.Count("contacts"), "none created twice")
	for i := range 10 {
		p := h.person(h.mautic, i) // exactly one each
		assert.NotEmpty(t, p.Links["company"], "person %d linked to its company once the page was redone", i)
	}
}

// stopError is the error of a call whose wait for its rate limit the worker's stop ended.
func stopError(t *testing.T, system, op string) error {
	t.Helper()
	stop := make(chan struct{})
	close(stop)
	spent := rate.NewLimiter(rate.Every(time.Hour), 1)
	spent.Allow()
	err := connectors.WaitToSend(connectors.WithStop(t.Context(), stop), spent, system, op)
	require.True(t, connectors.Stopping(err), "%v", err)
	return err
}

// The reconciliation's and the stage scan's stretches end the same way when the worker's stop
// ends a wait for the rate limit, before any page as after: with their place, not an error,
// and the next stretch does the rest, each once.
func TestOtherStretchesReturnTheirPlaceWhenTheWorkerStopsAWait(t *testing.T) {
	for _, failAt := range []int{1, 2} {
		t.Run("reconciliation, call "+strconv.Itoa(failAt), func(t *testing.T) {
			h := newHarnessWith(t, "both", "b_to_a")
			h.cycle(ModeImport)
			h.deleteOn(h.mautic, 3)
			h.deleteOn(h.mautic, 25)
			h.acts.Conns.use("t", h.sellsy, &getFailsOnce{Connector: h.mautic, failOnce: failOnce{failAt: failAt, err: stopError(t, "mautic", "GET /contacts")}})
			var suite testsuite.WorkflowTestSuite
			ae := suite.NewTestActivityEnvironment()
			ae.RegisterActivity(h.acts)
			in := ReconcileInput{Connection: "t", Object: "contact", Side: "b", PageSize: 10}

			v, err := ae.ExecuteActivity(h.acts.Reconcile, in)
			require.NoError(t, err, "the stop is not the stretch's failure")
			var res ReconcileResult
			require.NoError(t, v.Get(&res))
			assert.False(t, res.Done)
			assert.Equal(t, 10*(failAt-1), res.Checked, "the pages before the stop")
			deletes := res.Deletes
			deletes.Add(reconcileToEnd(t, ae, h.acts, in, res))
			assert.Equal(t, DeleteResult{Propagated: 2}, deletes)
			assert.Equal(t, 28, h.sb.Sellsy.Count("contacts"))
		})
	}
	t.Run("stage scan, before any page", func(t *testing.T) {
		acts, _, _, opps, _ := stagedOpportunity(t, "sw", `{"11": QUALIF, "13": GAGNEE}`, 3)
		ca, cb, err := acts.Conns.Connectors("sw")
		require.NoError(t, err)
		acts.Conns.use("sw", &sellsyListFailsOnce{Client: ca.(*sellsy.Client), failOnce: failOnce{failAt: 1, err: stopError(t, "sellsy", "POST /opportunities/search")}}, cb)
		var suite testsuite.WorkflowTestSuite
		ae := suite.NewTestActivityEnvironment()
		ae.RegisterActivity(acts)
		in := StageInput{Connection: "sw", PageSize: 1}

		v, err := ae.ExecuteActivity(acts.PropagateStages, in)
		require.NoError(t, err, "the stop is not the stretch's failure")
		var res StageResult
		require.NoError(t, v.Get(&res))
		assert.False(t, res.Done)
		assert.Zero(t, res.Checked, "%+v", res)
		total := scanToEnd(t, ae, acts, in, res)
		assert.Equal(t, len(opps), total.Checked, "%+v", total)
		assert.Equal(t, len(opps), total.Moved, "each opportunity's stage moved once: %+v", total)
	})
}
