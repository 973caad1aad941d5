package activities

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/store"
)

// panicking stands for a connector whose decoding of an odd answer panics (x.(string) on a
// number): in List itself, in a goroutine of its own (recovered there, see connectors.Safe),
// in FindByKey or in Get.
type panicking struct {
	connectors.Connector
	in string // "list", "list goroutine", "find" or "get"
}

func decodeBug() error {
	var v any = 12.0
	_ = v.(string)
	return nil
}

func (d panicking) List(ctx context.Context, object string, q connectors.ListQuery) (connectors.Page, error) {
	switch d.in {
	case "list":
		_ = decodeBug()
	case "list goroutine":
		errc := make(chan error, 1)
		go func() { errc <- connectors.Safe(d.System(), "GET /"+object, decodeBug) }()
		return connectors.Page{}, <-errc
	}
	return d.Connector.List(ctx, object, q)
}

func (d panicking) FindByKey(ctx context.Context, object, field string, values []string) ([]connectors.Record, error) {
	if d.in == "find" {
		_ = decodeBug()
	}
	return d.Connector.FindByKey(ctx, object, field, values)
}

func (d panicking) Get(ctx context.Context, object string, ids []string) ([]connectors.Record, error) {
	if d.in == "get" {
		_ = decodeBug()
	}
	return d.Connector.Get(ctx, object, ids)
}

// configurationFailure returns the message the workflows pause with (or fail with) for err: a
// non-retryable application error of the type the retry policies do not retry.
func configurationFailure(t *testing.T, err error) string {
	t.Helper()
	require.Error(t, err)
	var appErr *temporal.ApplicationError
	require.True(t, errors.As(err, &appErr), "an application error, not the SDK's PanicError: %v", err)
	assert.Equal(t, ErrTypeConfiguration, appErr.Type())
	assert.True(t, appErr.NonRetryable())
	return appErr.Message()
}

// A panic while listing, in prefetch's goroutine, used to end the worker process: it is now
// the pass's error, not retried (the connection pauses with it), naming the system, the
// object, the page and the line that panicked.
func TestPanicInListFailsThePassNotTheWorker(t *testing.T) {
	for _, in := range []string{"list", "list goroutine"} {
		t.Run(in, func(t *testing.T) {
			h := newAltiorPair(t, companiesOnSIRET("true"))
			h.acts.Conns.use("sa", panicking{Connector: h.sellsy, in: in}, h.altior)
			_, err := h.tryPass("company", "a", ModeImport)
			msg := configurationFailure(t, err)
			assert.Contains(t, msg, "sellsy ")
			assert.Contains(t, msg, "internal error: listing company (company of side a), the first page: panic: interface conversion: interface {} is float64, not string in activities.decodeBug (panic_test.go:")
			assert.Contains(t, msg, "report this message")
			if in == "list" {
				assert.Contains(t, msg, "sellsy List company: ")
			}
		})
	}
}

// A panic in the activity's own goroutine (a lookup's decoding) was the SDK's PanicError,
// retried without end: it is the configuration error naming the pass and its page.
func TestPanicInFindFailsThePassOnce(t *testing.T) {
	h := newAltiorPair(t, companiesOnSIRET("true"))
	h.acts.Conns.use("sa", h.sellsy, panicking{Connector: h.altior, in: "find"})
	_, err := h.tryPass("company", "a", ModeImport)
	msg := configurationFailure(t, err)
	assert.Contains(t, msg, "crmsync SyncPass: internal error: pass of company from side a, the first page (page 1 of the pass): panic: interface conversion")
	assert.Contains(t, msg, "activities.decodeBug (panic_test.go:")
}

func TestPanicInPushFailsThePushOnce(t *testing.T) {
	h := newAltiorPair(t, companiesOnSIRET("true"))
	id := h.firstCompany()
	h.acts.Conns.use("sa", panicking{Connector: h.sellsy, in: "get"}, h.altior)
	_, err := h.ae.ExecuteActivity(h.acts.PushOne, PushInput{Connection: "sa", Object: "company", Side: "a", ID: id})
	msg := configurationFailure(t, err)
	assert.Contains(t, msg, "crmsync PushOne: internal error: push of company "+id+" from side a: panic: interface conversion")
}

func TestPanicInRetryFailsTheRetryOnce(t *testing.T) {
	h := newAltiorPair(t, companiesOnSIRET("true"))
	id := h.firstCompany()
	require.NoError(t, h.st.Quarantine(h.ctx, store.QuarantineEntry{Connection: "sa", Object: "company", Side: store.SideA, RecordID: id,
		Reason: "refused", At: time.Now().Add(-time.Minute)}))
	h.acts.Conns.use("sa", panicking{Connector: h.sellsy, in: "get"}, h.altior)
	_, err := h.ae.ExecuteActivity(h.acts.RetryQuarantined, RetryInput{Connection: "sa"})
	msg := configurationFailure(t, err)
	assert.Contains(t, msg, "crmsync RetryQuarantined: internal error: retry of the quarantine of sa, company side a, the entries from record "+id+" (1 read back together): panic: interface conversion")
	require.Len(t, h.quarantine(), 1, "the entry stays")
}

// The other activities that read through connectors turn a panic into the same error, named
// after the activity and what it was at, rather than the SDK's PanicError retried without end.
func TestPanicInReconcileAndDeletesFailsOnce(t *testing.T) {
	h := newAltiorPair(t, companiesOnSIRET("true"))
	id := h.firstCompany()
	h.pass("company", "a", ModeImport)
	h.acts.Conns.use("sa", panicking{Connector: h.sellsy, in: "get"}, panicking{Connector: h.altior, in: "get"})

	_, err := h.ae.ExecuteActivity(h.acts.PropagateDeletes, DeleteInput{Connection: "sa", Object: "company", Side: "a", IDs: []string{id}})
	msg := configurationFailure(t, err)
	assert.Contains(t, msg, "crmsync PropagateDeletes: internal error: deletions of sa company announced on side a: panic: interface conversion")

	_, err = h.ae.ExecuteActivity(h.acts.Reconcile, ReconcileInput{Connection: "sa", Object: "company", Side: "a", Stretch: time.Minute})
	msg = configurationFailure(t, err)
	assert.Contains(t, msg, "crmsync Reconcile: internal error: reconciliation of sa company on side a: panic: interface conversion")
}
