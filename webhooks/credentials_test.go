package webhooks

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"

	"github.com/crmsync/crmsync/activities"
	"github.com/crmsync/crmsync/config"
	"github.com/crmsync/crmsync/workflows"
)

const unasBody = `{"event":"order_status_modify"}`

// credentialRoute is a route the receiver checks against a credential of the connection: the
// connection's sides, the side (a or b) whose credential it reads, and a delivery that the
// route accepts (status ok) when the credential's value is "cred-value".
type credentialRoute struct {
	name      string
	a, b      string // the systems of the connection's sides
	side, key string
	method    string
	path      string // {token} is the credential's value
	ctype     string
	body      string
	header    func(value string) map[string]string
	ok        int
}

func credentialRoutes() []credentialRoute {
	none := func(string) map[string]string { return nil }
	return []credentialRoute{
		{name: "automation webhook secret", a: "sellsy", b: "mautic", side: "b", key: CredWebhookSecret,
			method: http.MethodPost, path: "/webhooks/rot/mautic", ctype: "application/json", body: deleteDelivery,
			header: func(v string) map[string]string {
				return map[string]string{"Webhook-Signature": sign(deleteDelivery, v)}
			}, ok: http.StatusOK},
		{name: "UNAS webhook secret", a: "unas", b: "minicrm", side: "a", key: CredWebhookSecret,
			method: http.MethodPost, path: "/webhooks/rot/unas", ctype: "application/json", body: unasBody,
			header: func(v string) map[string]string { return map[string]string{"X-Unas-Hmac": sign(unasBody, v)} }, ok: http.StatusOK},
		{name: "push token", a: "sellsy", b: "mautic", side: "b", key: CredPushToken,
			method: http.MethodPost, path: "/push/rot/{token}?id=42", ctype: "text/plain", header: none, ok: http.StatusOK},
		{name: "sellsy webhook token", a: "sellsy", b: "mautic", side: "a", key: CredWebhookToken,
			method: http.MethodPost, path: "/webhooks/rot/sellsy/{token}", ctype: "application/x-www-form-urlencoded", header: none, ok: http.StatusOK},
		{name: "sellsy ping token", a: "sellsy", b: "mautic", side: "a", key: CredWebhookToken,
			method: http.MethodGet, path: "/webhooks/rot/sellsy/{token}", header: none, ok: http.StatusOK},
	}
}

// deliver sends the route's delivery, signed or addressed with value, to a receiver for conn.
func (rt credentialRoute) deliver(t *testing.T, srv *httptest.Server, value string) (int, string) {
	t.Helper()
	path := strings.ReplaceAll(rt.path, "{token}", value)
	if rt.method == http.MethodGet {
		resp, err := http.Get(srv.URL + path)
		require.NoError(t, err)
		defer resp.Body.Close()
		var b bytes.Buffer
		_, _ = b.ReadFrom(resp.Body)
		return resp.StatusCode, b.String()
	}
	return post(t, srv.URL+path, rt.ctype, rt.body, rt.header(value))
}

// connection is the connection "rot" of the route's systems, whose credential key names
// variable (none when variable is "").
func (rt credentialRoute) connection(variable string) *config.Connection {
	creds := map[string]string{}
	if variable != "" {
		creds[rt.key] = variable
	}
	c := &config.Connection{Name: "rot", A: config.System{System: rt.a}, B: config.System{System: rt.b},
		Objects: []config.Object{{Name: "contact"}}}
	if rt.side == "a" {
		c.A.Credentials = creds
	} else {
		c.B.Credentials = creds
	}
	return c
}

// A credential the connection names but that cannot be read now (its variable empty, the file
// its _FILE names briefly missing during a secret rotation) is answered 503, so that the
// sender retries, and logged naming the connection, the credential and what cannot be read;
// only a connection that names no such credential is answered 404, which tells the sender to
// give up. No value is ever logged, and no path is told to the sender.
func TestUnreadableCredentialIsNamedAndRetried(t *testing.T) {
	const value = "cred-value"
	states := []struct {
		name     string
		named    bool
		set      func(t *testing.T, variable, file string)
		status   func(rt credentialRoute) int
		logsFile bool // the log names the file
		logs     []string
	}{
		{name: "not named by the connection", set: func(*testing.T, string, string) {},
			status: func(credentialRoute) int { return http.StatusNotFound }},
		{name: "its file briefly missing", named: true,
			set:    func(t *testing.T, variable, file string) { t.Setenv(variable, ""); t.Setenv(variable+"_FILE", file) },
			status: func(credentialRoute) int { return http.StatusServiceUnavailable }, logsFile: true,
			logs: []string{"connection=rot", "ROT_CRED_FILE", "cannot be read"}},
		{name: "its variable empty, no file", named: true,
			set:    func(t *testing.T, variable, _ string) { t.Setenv(variable, ""); t.Setenv(variable+"_FILE", "") },
			status: func(credentialRoute) int { return http.StatusServiceUnavailable },
			logs:   []string{"connection=rot", "ROT_CRED", "cannot be read"}},
		{name: "read from its file", named: true,
			set: func(t *testing.T, variable, file string) {
				require.NoError(t, os.WriteFile(file, []byte(value+"\n"), 0o600))
				t.Setenv(variable, "")
				t.Setenv(variable+"_FILE", file)
			},
			status: func(rt credentialRoute) int { return rt.ok }},
		{name: "read from its variable", named: true,
			set:    func(t *testing.T, variable, _ string) { t.Setenv(variable, value); t.Setenv(variable+"_FILE", "") },
			status: func(rt credentialRoute) int { return rt.ok }},
	}
	for _, rt := range credentialRoutes() {
		for _, st := range states {
			t.Run(rt.name+"/"+st.name, func(t *testing.T) {
				file := filepath.Join(t.TempDir(), "secret")
				variable := ""
				if st.named {
					variable = "ROT_CRED"
				}
				st.set(t, "ROT_CRED", file)
				var logs bytes.Buffer
				srv := httptest.NewServer(New(&fakeTemporal{noSync: true}, "crmsync", []*config.Connection{rt.connection(variable)},
					slog.New(slog.NewTextHandler(&logs, nil))).Handler())
				t.Cleanup(srv.Close)

				status, answer := rt.deliver(t, srv, value)
				assert.Equal(t, st.status(rt), status, "answer %q", answer)
				if st.logsFile {
					assert.Contains(t, logs.String(), file, "the log names the file that cannot be read")
				}
				for _, want := range st.logs {
					assert.Contains(t, logs.String(), want)
				}
				if status == http.StatusNotFound || status == http.StatusServiceUnavailable {
					assert.Contains(t, logs.String(), rt.key, "the log names the credential")
				}
				assert.NotContains(t, answer, file, "the sender is not told the worker's paths")
				assert.NotContains(t, logs.String(), value, "no credential is logged")
			})
		}
	}
}

// The reviewer's case, for every route: a delivery refused while the rotated secret's file is
// missing is accepted once the file is back, with no restart nor file change.
func TestRotatedCredentialAcceptedOnceBack(t *testing.T) {
	for _, rt := range credentialRoutes() {
		t.Run(rt.name, func(t *testing.T) {
			missing := filepath.Join(t.TempDir(), "secret")
			t.Setenv("ROT_CRED", "")
			t.Setenv("ROT_CRED_FILE", missing) // a rotated secret, its file briefly absent
			var logs bytes.Buffer
			srv := httptest.NewServer(New(&fakeTemporal{noSync: true}, "crmsync", []*config.Connection{rt.connection("ROT_CRED")},
				slog.New(slog.NewTextHandler(&logs, nil))).Handler())
			t.Cleanup(srv.Close)

			status, _ := rt.deliver(t, srv, "new-value")
			assert.Equal(t, http.StatusServiceUnavailable, status, "configured but unreadable now: the sender must retry")
			assert.Contains(t, logs.String(), missing, "the log names what cannot be read")

			require.NoError(t, os.WriteFile(missing, []byte("new-value"), 0o600))
			status, _ = rt.deliver(t, srv, "new-value")
			assert.Equal(t, rt.ok, status, "the retry after the rotation is accepted")
			assert.NotContains(t, logs.String(), "new-value")
		})
	}
}

// cancelTemporal is a Temporal client that, as a real one does, fails a call whose context is
// cancelled; the call first runs during (the sender disconnecting while it is under way).
type cancelTemporal struct {
	mu      sync.Mutex
	during  func()
	started []activities.PushInput
	sent    []string
}

func (c *cancelTemporal) SignalWorkflow(ctx context.Context, id, _, name string, _ any) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.during()
	if err := ctx.Err(); err != nil {
		return err
	}
	c.sent = append(c.sent, id+" "+name)
	return nil
}

func (c *cancelTemporal) ExecuteWorkflow(ctx context.Context, o client.StartWorkflowOptions, _ any, args ...any) (client.WorkflowRun, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.during()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	c.started = append(c.started, args[0].(activities.PushInput))
	return fakeRun{id: o.ID}, nil
}

func (c *cancelTemporal) SignalWithStartWorkflow(ctx context.Context, id, signal string, _ any, _ client.StartWorkflowOptions, _ any, _ ...any) (client.WorkflowRun, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.during()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	c.sent = append(c.sent, id+" "+signal)
	return fakeRun{id: id}, nil
}

// A sender that times out or disconnects does not cancel what its delivery asked for: the
// push's start, like the webhooks' signals, is made with a context the request's end does not
// cancel, so the push is not lost when the sender does not retry.
func TestSenderGoneDoesNotCancelTheStart(t *testing.T) {
	routes := []struct {
		name, path, ctype, body string
		header                  map[string]string
		status                  int
		check                   func(t *testing.T, c *cancelTemporal)
	}{
		{name: "push", path: "/push/shop/tok-456?id=42", ctype: "text/plain", status: http.StatusOK,
			check: func(t *testing.T, c *cancelTemporal) {
				assert.Equal(t, []activities.PushInput{{Connection: "shop", Object: "contact", Side: "b", ID: "42"}}, c.started)
			}},
		{name: "automation deletion", path: "/webhooks/shop/mautic", ctype: "application/json", body: deleteDelivery,
			header: map[string]string{"Webhook-Signature": sign(deleteDelivery, "whsec-123")}, status: http.StatusOK,
			check: func(t *testing.T, c *cancelTemporal) { assert.Len(t, c.sent, 1) }},
		{name: "sellsy event", path: "/webhooks/shop/sellsy/sel-789", ctype: "application/x-www-form-urlencoded", body: bareNotif("updated", "client", "5"), status: http.StatusOK,
			check: func(t *testing.T, c *cancelTemporal) {
				assert.Equal(t, []string{"shop/incremental-sync " + workflows.SignalSyncNow, "shop/sellsy-events/company-5 " + workflows.SignalSellsyEvent}, c.sent)
			}},
	}
	whens := []struct {
		name   string
		before bool // cancelled before the request is served, else during the call to Temporal
	}{
		{name: "gone before the start", before: true},
		{name: "disconnects during the start"},
	}
	for _, rt := range routes {
		for _, when := range whens {
			t.Run(rt.name+"/"+when.name, func(t *testing.T) {
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				c := &cancelTemporal{during: func() {}}
				if when.before {
					cancel()
				} else {
					c.during = cancel
				}
				conn := shopConnection(t)
				conn.Events = []config.EventRoute{
					{Object: "company", Signal: &config.SignalRoute{WorkflowID: "{connection}/incremental-sync", Name: workflows.SignalSyncNow}}, // sent at once
					{Object: "company", Signal: watchSignal}, // handed to the record's SellsyEvents
				}
				r := New(c, "crmsync", []*config.Connection{conn}, slog.New(slog.DiscardHandler))
				req := httptest.NewRequestWithContext(ctx, http.MethodPost, rt.path, strings.NewReader(rt.body))
				req.Header.Set("Content-Type", rt.ctype)
				for k, v := range rt.header {
					req.Header.Set(k, v)
				}
				w := httptest.NewRecorder()
				r.Handler().ServeHTTP(w, req)
				assert.Equal(t, rt.status, w.Code, w.Body.String())
				rt.check(t, c)
			})
		}
	}
}
