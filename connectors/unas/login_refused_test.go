package unas

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/simkit"
)

// Calls waiting for a login that UNAS refuses fail with its refusal: each logging in again
// in turn would spend UNAS's 5 failed logins an hour in one burst (and 10 calls in 10 minutes
// for a shop UNAS cannot identify ban the IP for every shop for 2 hours). A call made after
// the refusal was answered gets it too for refusalHold, then logs in again (the key may have
// been fixed in UNAS since).
func TestRefusedLoginSharedWithTheCallsWaitingForIt(t *testing.T) {
	tests := []struct {
		name   string
		status int
		body   string
		kind   connectors.Kind
	}{
		{"refused API key", http.StatusBadRequest, "<Error>Invalid ApiKey</Error>", connectors.KindConfig},
		{"login banned", http.StatusBadRequest, "<Error>Too much login query, IP is banned till 03.01.2026 11:40:00</Error>", connectors.KindRateLimited},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var logins atomic.Int32
			ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/shop/login" {
					logins.Add(1)
					time.Sleep(200 * time.Millisecond) // the other calls queue behind it
				}
				w.WriteHeader(tc.status)
				_, _ = w.Write([]byte(`<?xml version="1.0" encoding="UTF-8"?>` + tc.body))
			}))
			t.Cleanup(ts.Close)
			clk := simkit.NewClock(t0)
			c, err := New(Config{BaseURL: ts.URL + "/shop", APIKey: "wrong", Now: clk.Now})
			require.NoError(t, err)
			var wg sync.WaitGroup
			errs := make([]error, 6)
			for i := range errs {
				wg.Add(1)
				go func() {
					defer wg.Done()
					_, errs[i] = c.Statuses(context.Background())
				}()
			}
			wg.Wait()
			for _, err := range errs {
				assert.Equal(t, tc.kind, connectors.KindOf(err), "%v", err)
			}
			assert.Equal(t, int32(1), logins.Load(), "one login for the 6 calls waiting for it")

			if tc.kind == connectors.KindConfig {
				// A later call within refusalHold gets the same refusal (a validate's second
				// check, another connection on the shop); after it, it logs in again (the key
				// may have been fixed in UNAS since).
				clk.Advance(refusalHold - time.Second)
				_, err = c.Statuses(context.Background())
				assert.Equal(t, tc.kind, connectors.KindOf(err), "%v", err)
				assert.Equal(t, int32(1), logins.Load(), "a call within the hold spends no failed login")
				clk.Advance(time.Second)
				_, err = c.Statuses(context.Background())
				assert.Equal(t, tc.kind, connectors.KindOf(err), "%v", err)
				assert.Equal(t, int32(2), logins.Load(), "a later call logs in again")
			}
		})
	}
}
