package webhooks

import (
	"bytes"
	"context"
	"log/slog"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/crmsync/crmsync/config"
	"github.com/crmsync/crmsync/workflows"
)

// signalRecorder records signals; workflows it does not know are not running.
type signalRecorder struct {
	mu      sync.Mutex
	running map[string]bool
	got     []string // "<workflow id> <signal>"
	fail    error    // every signal's answer while set
}

func (s *signalRecorder) SignalWorkflow(_ context.Context, id, _, name string, _ any) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != nil {
		return s.fail
	}
	if !s.running[id] {
		return serviceerror.NewNotFound("workflow not found")
	}
	s.got = append(s.got, id+" "+name)
	return nil
}

func (s *signalRecorder) SignalWithStartWorkflow(context.Context, string, string, any, client.StartWorkflowOptions, any, ...any) (client.WorkflowRun, error) {
	panic("a UNAS delivery starts nothing")
}

func (s *signalRecorder) ExecuteWorkflow(context.Context, client.StartWorkflowOptions, any, ...any) (client.WorkflowRun, error) {
	panic("a UNAS delivery starts nothing")
}

const unasDelivery = `{"event":"order_status_modify","order":{"key":"1001-A"},"time":"2026-12-06 10:00:00"}`

// A signed UNAS delivery asks the connection's PipelineSync and IncrementalSync to run now;
// a bad signature, a redelivery or a connection without a webhook secret changes nothing.
func TestUNASWebhook(t *testing.T) {
	t.Setenv("WEBSHOP_UNAS_HOOK", "unas-secret")
	webshop := &config.Connection{Name: "webshop",
		A: config.System{System: "unas", Credentials: map[string]string{CredWebhookSecret: "WEBSHOP_UNAS_HOOK"}},
		B: config.System{System: "minicrm"}}
	bare := &config.Connection{Name: "bare", A: config.System{System: "unas"}, B: config.System{System: "minicrm"}}
	both := []string{workflows.PipelineWorkflowID("webshop") + " sync-now", workflows.SyncWorkflowID("webshop") + " sync-now"}
	tests := []struct {
		name      string
		path      string
		signature string
		running   []string
		deliver   int
		status    int
		want      []string
		log       string
	}{
		{name: "signed", path: "webshop", signature: sign(unasDelivery, "unas-secret"), running: []string{"webshop/pipeline-sync", "webshop/incremental-sync"},
			deliver: 1, status: 200, want: both},
		{name: "redelivered", path: "webshop", signature: sign(unasDelivery, "unas-secret"), running: []string{"webshop/pipeline-sync", "webshop/incremental-sync"},
			deliver: 3, status: 200, want: both},
		{name: "only the sync runs", path: "webshop", signature: sign(unasDelivery, "unas-secret"), running: []string{"webshop/incremental-sync"},
			deliver: 1, status: 200, want: both[1:], log: "while the workflow does not run"},
		{name: "bad signature", path: "webshop", signature: sign(unasDelivery, "guess"), running: []string{"webshop/pipeline-sync"},
			deliver: 1, status: 401, log: "bad signature"},
		{name: "no secret configured", path: "bare", signature: sign(unasDelivery, "unas-secret"), deliver: 1, status: 404, log: "names no webhook secret"},
		{name: "unknown connection", path: "nope", signature: sign(unasDelivery, "unas-secret"), deliver: 1, status: 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &signalRecorder{running: map[string]bool{}}
			for _, id := range tt.running {
				rec.running[id] = true
			}
			var logs bytes.Buffer
			srv := httptest.NewServer(New(rec, "crmsync", []*config.Connection{webshop, bare}, slog.New(slog.NewTextHandler(&logs, nil))).Handler())
			defer srv.Close()
			for range tt.deliver {
				status, _ := post(t, srv.URL+"/webhooks/"+tt.path+"/unas", "application/json", unasDelivery, map[string]string{"X-Unas-Hmac": tt.signature})
				assert.Equal(t, tt.status, status)
			}
			assert.Equal(t, tt.want, rec.got)
			assert.Contains(t, logs.String(), tt.log)
			assert.NotContains(t, logs.String(), "unas-secret")
		})
	}
}
