package sim

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/connectors"
)

// A status change calls the automatism's webhook with a JSON event signed in X-Unas-Hmac.
func TestStatusChangeCallsTheWebhook(t *testing.T) {
	got := make(chan *http.Request, 1)
	bodies := make(chan []byte, 1)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- r
		bodies <- b
	}))
	defer hook.Close()
	s := New(Options{APIKey: "k"})
	s.SeedOrders(0, 1, time.Now().Add(-time.Hour))
	key := s.Dump()[0].Key
	s.SetStatus(key, "Teljesítve") // no webhook set: nothing sent
	s.SetWebhook(hook.URL, "hook-secret")
	s.SetStatus(key, "Törölve")

	r, body := <-got, <-bodies
	assert.True(t, connectors.VerifyHMAC(body, r.Header.Get("X-Unas-Hmac"), "hook-secret"), "signed as UNAS signs")
	var ev struct {
		Event string `json:"event"`
		Order struct {
			Key, Status string
		} `json:"order"`
	}
	require.NoError(t, json.Unmarshal(body, &ev))
	assert.Equal(t, "order_status_modify", ev.Event)
	assert.Equal(t, key, ev.Order.Key)
	assert.Equal(t, "Törölve", ev.Order.Status)
	require.Eventually(t, func() bool { return s.Deliveries() == 1 }, 5*time.Second, 10*time.Millisecond)
	select {
	case <-got:
		t.Fatal("one change, one call")
	case <-time.After(100 * time.Millisecond):
	}
}

// The admin routes set the webhook and change a status as the back office would.
func TestWebhookAdminRoutes(t *testing.T) {
	calls := make(chan string, 2)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls <- r.Header.Get("X-Unas-Hmac")
	}))
	defer hook.Close()
	s := New(Options{APIKey: "k"})
	s.SeedOrders(0, 1, time.Now().Add(-time.Hour))
	srv := httptest.NewServer(s)
	defer srv.Close()
	post := func(path, body string) int {
		resp, err := http.Post(srv.URL+path, "application/json", strings.NewReader(body))
		require.NoError(t, err)
		_ = resp.Body.Close()
		return resp.StatusCode
	}
	assert.Equal(t, 204, post("/_sim/webhook", `{"url":"`+hook.URL+`","secret":"s"}`))
	assert.Equal(t, 400, post("/_sim/status", `{"key":""}`))
	assert.Equal(t, 204, post("/_sim/status", `{"key":"`+s.Dump()[0].Key+`","status":"Törölve"}`))
	assert.NotEmpty(t, <-calls)
	assert.Equal(t, "Törölve", string(s.Dump()[0].Status))
}
