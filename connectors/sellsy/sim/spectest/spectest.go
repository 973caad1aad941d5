// Package spectest serves the Sellsy simulator behind a proxy that checks every API V2
// request a client sends, and every answer, against the excerpt of Sellsy's OpenAPI spec the
// simulator transcribes (../testdata/openapi.yaml). Tests only.
package spectest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
)

// Proxy checks what passes between a client and the simulator.
type Proxy struct {
	sim    http.Handler
	router routers.Router
	mu     sync.Mutex
	seen   []string
	errs   []string
}

// Start serves sim behind a checking proxy until the test ends; the client's API URL is the
// server's URL + "/v2".
func Start(t testing.TB, sim http.Handler) (*Proxy, *httptest.Server) {
	t.Helper()
	p := &Proxy{sim: sim}
	srv := httptest.NewServer(p)
	t.Cleanup(srv.Close)
	_, file, _, _ := runtime.Caller(0)
	doc, err := openapi3.NewLoader().LoadFromFile(filepath.Join(filepath.Dir(file), "..", "testdata", "openapi.yaml"))
	if err != nil {
		t.Fatalf("spec: %v", err)
	}
	doc.Servers = openapi3.Servers{{URL: srv.URL + "/v2"}}
	if p.router, err = legacy.NewRouter(doc); err != nil {
		t.Fatalf("spec router: %v", err)
	}
	return p, srv
}

// Seen lists the API V2 requests that passed, as "METHOD /v2/path".
func (p *Proxy) Seen() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.seen...)
}

// Problems lists what did not match the spec, a request or an answer a line.
func (p *Proxy) Problems() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.errs...)
}

func (p *Proxy) fail(format string, a ...any) {
	p.mu.Lock()
	p.errs = append(p.errs, fmt.Sprintf(format, a...))
	p.mu.Unlock()
}

// ServeHTTP checks an API V2 request and its answer; the rest (the token endpoint, the
// admin endpoints) passes unchecked.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
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
