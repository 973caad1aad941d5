package webhooks

import (
	"io"
	"log/slog"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"go.temporal.io/api/serviceerror"

	"github.com/crmsync/crmsync/config"
	"github.com/crmsync/crmsync/workflows"
)

// A UNAS delivery answered 503 (the signal could not be delivered) is not remembered: UNAS's
// next attempt, five minutes later, asks the workflows to run. It used to be answered 200 as
// a redelivery and dropped.
func TestUNASDeliveryRetriedAfterFailure(t *testing.T) {
	t.Setenv("WEBSHOP_UNAS_HOOK", "unas-secret")
	webshop := &config.Connection{Name: "webshop",
		A: config.System{System: "unas", Credentials: map[string]string{CredWebhookSecret: "WEBSHOP_UNAS_HOOK"}},
		B: config.System{System: "minicrm"}}
	rec := &signalRecorder{running: map[string]bool{"webshop/pipeline-sync": true, "webshop/incremental-sync": true}, fail: serviceerror.NewUnavailable("frontend down")}
	srv := httptest.NewServer(New(rec, "crmsync", []*config.Connection{webshop}, slog.New(slog.NewTextHandler(io.Discard, nil))).Handler())
	defer srv.Close()
	hdr := map[string]string{"X-Unas-Hmac": sign(unasDelivery, "unas-secret")}
	status, _ := post(t, srv.URL+"/webhooks/webshop/unas", "application/json", unasDelivery, hdr)
	assert.Equal(t, 503, status)
	rec.fail = nil
	status, _ = post(t, srv.URL+"/webhooks/webshop/unas", "application/json", unasDelivery, hdr)
	assert.Equal(t, 200, status)
	assert.Equal(t, []string{workflows.PipelineWorkflowID("webshop") + " sync-now", workflows.SyncWorkflowID("webshop") + " sync-now"}, rec.got)
}

// Automation deletions that could not be signalled are not remembered either: the next
// attempt of the delivery signals them.
func TestMauticDeliveryRetriedAfterFailure(t *testing.T) {
	f := &fakeTemporal{fail: serviceerror.NewUnavailable("frontend down")}
	srv, _ := newReceiver(t, f)
	hdr := map[string]string{"Webhook-Signature": sign(deleteDelivery, "whsec-123")}
	status, _ := post(t, srv.URL+"/webhooks/shop/mautic", "application/json", deleteDelivery, hdr)
	assert.Equal(t, 503, status)
	f.fail = nil
	status, _ = post(t, srv.URL+"/webhooks/shop/mautic", "application/json", deleteDelivery, hdr)
	assert.Equal(t, 200, status)
	if assert.Len(t, f.signals, 1) {
		assert.Equal(t, []string{"17", "18"}, f.signals[0].IDs)
	}
}
