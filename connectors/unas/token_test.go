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
	"github.com/crmsync/crmsync/connectors/unas/sim"
)

// UNAS's documented error shape is 400 + <Error> (reference §3.3): a token it no longer
// accepts (before its Expire) may come so as well as 401. Either is answered once with a
// fresh login (never two at once) and the call again; it was a configuration error that
// paused the connection when it came as a 400.
func TestRefusedTokenRenewedOnce(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name        string
		tokenStatus int
	}{
		{name: "400 <Error>Invalid token</Error>", tokenStatus: http.StatusBadRequest},
		{name: "401", tokenStatus: http.StatusUnauthorized},
	}
	reads := []struct {
		name string
		read func(c *Client) error
	}{
		{"listing", func(c *Client) error {
			_, err := c.List(ctx, ObjectOrder, connectors.ListQuery{})
			return err
		}},
		{"statuses", func(c *Client) error {
			_, err := c.Statuses(ctx)
			return err
		}},
		{"call", func(c *Client) error {
			_, _, err := c.Call(ctx, "POST", "/getOrderStatus", nil, nil)
			return err
		}},
	}
	for _, tc := range cases {
		for _, rd := range reads {
			t.Run(tc.name+"/"+rd.name, func(t *testing.T) {
				e := start(t, sim.Options{TokenStatus: tc.tokenStatus, Limits: map[string]int{sim.LimitGetOrder: 100, sim.LimitGetOrderStatus: 100}})
				e.s.SeedOrders(0, 3, t0.Add(-time.Hour))
				require.NoError(t, rd.read(e.c))
				require.Equal(t, 1, e.s.Logins())

				e.s.ExpireTokens() // a token UNAS no longer accepts before its Expire
				require.NoError(t, rd.read(e.c), "renew the token, do not pause")
				assert.Equal(t, 2, e.s.Logins(), "one fresh login")

				// Concurrent calls refused at once log in once.
				e.s.ExpireTokens()
				var wg sync.WaitGroup
				var failed atomic.Int32
				for range 6 {
					wg.Add(1)
					go func() {
						defer wg.Done()
						if rd.read(e.c) != nil {
							failed.Add(1)
						}
					}()
				}
				wg.Wait()
				assert.Zero(t, failed.Load())
				assert.Equal(t, 3, e.s.Logins(), "never two logins at once")
				assert.Zero(t, e.s.Bans())
			})
		}
	}
}

// A token refused again right after a fresh login is a configuration error; an <Error> that
// is not about the token is not answered with a login.
func TestRefusedTokenAfterAFreshLogin(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name   string
		status int
		body   string
		kind   connectors.Kind
		logins int32
		want   string
	}{
		{name: "400 about the token", status: 400, body: "<Error>Invalid token</Error>",
			kind: connectors.KindConfig, logins: 2, want: "the token was refused after a fresh login"},
		{name: "401", status: 401, body: "<Error>Unauthorized</Error>",
			kind: connectors.KindConfig, logins: 2, want: "the token was refused after a fresh login"},
		{name: "403 about the token", status: 403, body: "<Error>Token expired</Error>",
			kind: connectors.KindConfig, logins: 2, want: "the token was refused after a fresh login"},
		{name: "200 <Error> about the token", status: 200, body: "<Error>Érvénytelen token</Error>",
			kind: connectors.KindConfig, logins: 2, want: "the token was refused after a fresh login"},
		{name: "400 about something else", status: 400, body: "<Error>Invalid XML</Error>",
			kind: connectors.KindConfig, logins: 1, want: "Invalid XML"},
		{name: "403 a missing permission", status: 403, body: "<Error>No permission for getOrderStatus</Error>",
			kind: connectors.KindConfig, logins: 1, want: "lacks the getOrderStatus permission"},
		{name: "ban", status: 400, body: "<Error>Too much getOrderStatus query, IP is banned till 03.01.2026 12:00:00</Error>",
			kind: connectors.KindRateLimited, logins: 1, want: "banned"},
		// UNAS's error statuses are not documented: a ban answered 401 or 403 is still a ban,
		// waited out, never answered with a login (which would call into it again).
		{name: "ban at 401", status: 401, body: "<Error>Too much getOrderStatus query, IP is banned till 03.01.2026 12:00:00!</Error>",
			kind: connectors.KindRateLimited, logins: 1, want: "banned"},
		{name: "ban at 403", status: 403, body: "<Error>Too much getOrderStatus query, IP is banned till 03.01.2026 12:00:00</Error>",
			kind: connectors.KindRateLimited, logins: 1, want: "banned"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var logins atomic.Int32
			ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/shop/login" {
					logins.Add(1)
					_, _ = w.Write([]byte(`<?xml version="1.0" encoding="UTF-8"?><Login><Token>t</Token><Subscription>PREMIUM</Subscription><Status>ok</Status></Login>`))
					return
				}
				w.WriteHeader(tc.status)
				_, _ = w.Write([]byte(`<?xml version="1.0" encoding="UTF-8"?>` + tc.body))
			}))
			t.Cleanup(ts.Close)
			clk := simkit.NewClock(t0)
			c, err := New(Config{BaseURL: ts.URL + "/shop", APIKey: "k", Now: clk.Now})
			require.NoError(t, err)
			_, err = c.Statuses(ctx)
			require.Error(t, err)
			assert.Equal(t, tc.kind, connectors.KindOf(err), "%v", err)
			assert.Contains(t, err.Error(), tc.want)
			assert.Equal(t, tc.logins, logins.Load())
		})
	}
}

// A login answered with UNAS's ban is rate limited until the ban's end, whatever the status
// (not documented): a 401 or 403 is no refused API key, which would pause the connection.
func TestLoginBanIsWaitedOut(t *testing.T) {
	ctx := context.Background()
	for _, status := range []int{http.StatusBadRequest, http.StatusUnauthorized, http.StatusForbidden, http.StatusTooManyRequests} {
		t.Run(http.StatusText(status), func(t *testing.T) {
			var logins atomic.Int32
			ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/shop/login" {
					logins.Add(1)
				}
				w.WriteHeader(status)
				_, _ = w.Write([]byte(`<?xml version="1.0" encoding="UTF-8"?><Error>Too much login query, IP is banned till 03.01.2026 11:30:00</Error>`))
			}))
			t.Cleanup(ts.Close)
			clk := simkit.NewClock(t0) // 11:00 in Budapest
			c, err := New(Config{BaseURL: ts.URL + "/shop", APIKey: "k", Now: clk.Now})
			require.NoError(t, err)
			_, err = c.Statuses(ctx)
			require.Error(t, err)
			assert.Equal(t, connectors.KindRateLimited, connectors.KindOf(err), "%v", err)
			assert.Equal(t, 30*time.Minute, connectors.RetryAfterOf(err))
			_, err = c.Statuses(ctx)
			assert.Equal(t, connectors.KindRateLimited, connectors.KindOf(err), "%v", err)
			assert.Equal(t, int32(1), logins.Load(), "not called into the ban")
		})
	}
}
