package sim_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/connectors/sellsy"
	"github.com/crmsync/crmsync/connectors/sellsy/sim"
)

// specProxy serves the simulator and checks every /v2 request the connector sends, and the
// answer, against the spec excerpt (testdata/openapi.yaml); it records what does not match.
type specProxy struct {
	sim    *sim.Server
	router routers.Router
	mu     sync.Mutex
	seen   []string
	errs   []string
}

func newSpecProxy(t *testing.T) (*specProxy, *httptest.Server) {
	t.Helper()
	p := &specProxy{sim: sim.New(sim.Options{ClientID: "cid", ClientSecret: "secret", RequestsPerSecond: -1})}
	srv := httptest.NewServer(p)
	t.Cleanup(srv.Close)
	doc, err := openapi3.NewLoader().LoadFromFile("testdata/openapi.yaml")
	require.NoError(t, err)
	doc.Servers = openapi3.Servers{{URL: srv.URL + "/v2"}}
	p.router, err = legacy.NewRouter(doc)
	require.NoError(t, err)
	return p, srv
}

func (p *specProxy) fail(format string, a ...any) {
	p.mu.Lock()
	p.errs = append(p.errs, fmt.Sprintf(format, a...))
	p.mu.Unlock()
}

func (p *specProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !strings.HasPrefix(r.URL.Path, "/v2/") {
		p.sim.ServeHTTP(w, r)
		return
	}
	raw, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(raw))
	vreq := r.Clone(r.Context())
	vreq.Body = io.NopCloser(bytes.NewReader(raw))
	vreq.URL.Scheme, vreq.URL.Host = "http", r.Host
	op := r.Method + " " + r.URL.Path
	p.mu.Lock()
	p.seen = append(p.seen, op)
	p.mu.Unlock()
	route, params, err := p.router.FindRoute(vreq)
	if err != nil {
		p.fail("%s: no route in the spec: %v", op, err)
		p.sim.ServeHTTP(w, r)
		return
	}
	in := &openapi3filter.RequestValidationInput{Request: vreq, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}}
	if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
		p.fail("%s: request: %v", op, err)
	}
	rec := httptest.NewRecorder()
	p.sim.ServeHTTP(rec, r)
	resp := rec.Result()
	body := rec.Body.Bytes()
	if err := openapi3filter.ValidateResponse(context.Background(), &openapi3filter.ResponseValidationInput{RequestValidationInput: in,
		Status: resp.StatusCode, Header: resp.Header, Body: io.NopCloser(bytes.NewReader(body))}); err != nil {
		p.fail("%s: response %d: %v", op, resp.StatusCode, err)
	}
	for k, v := range resp.Header {
		w.Header()[k] = v
	}
	w.WriteHeader(resp.StatusCode)
	_, _ = w.Write(body)
}

// The connector's webhook management (Webhooks, CreateWebhook, DeleteWebhook, behind
// `crmsync sellsy webhooks`) sends and reads what the spec defines, and lists every page.
func TestConnectorWebhooksMatchSpec(t *testing.T) {
	p, srv := newSpecProxy(t)
	c, err := sellsy.New(sellsy.Config{APIURL: srv.URL + "/v2", TokenURL: srv.URL + "/oauth2/access-tokens",
		ClientID: "cid", ClientSecret: "secret", RequestsPerSecond: 10000})
	require.NoError(t, err)
	ctx := context.Background()

	hooks, err := c.Webhooks(ctx)
	require.NoError(t, err)
	assert.Empty(t, hooks)
	var ids []int
	for i := 0; i < 103; i++ { // more than one page of 100
		id, err := c.CreateWebhook(ctx, fmt.Sprintf("https://crm.example/hook/%d", i), []string{"client.created", "opportunity.updated"})
		require.NoError(t, err)
		require.NotZero(t, id)
		ids = append(ids, id)
	}
	hooks, err = c.Webhooks(ctx)
	require.NoError(t, err)
	require.Len(t, hooks, 103)
	assert.Equal(t, sellsy.Webhook{ID: ids[102], Endpoint: "https://crm.example/hook/102", IsEnabled: true,
		Events: []string{"client.created", "opportunity.updated"}}, hooks[102])
	require.NoError(t, c.DeleteWebhook(ctx, ids[0]))
	hooks, err = c.Webhooks(ctx)
	require.NoError(t, err)
	assert.Len(t, hooks, 102)
	_, err = c.CreateWebhook(ctx, "not a url", []string{"client.created"})
	require.Error(t, err)

	assert.Empty(t, p.errs)
	assert.Contains(t, p.seen, "DELETE /v2/webhooks/"+fmt.Sprint(ids[0]))
}
