package unas

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/connectors"
)

// The ban message names the function banned, which need not be the one called (UNAS counts
// the IP's calls, and a getOrderStatus call may be answered with getOrder's ban): the client
// records the ban under the function the message names, so that it does not call that
// function straight into the ban, and under the one called, which UNAS just refused.
func TestBanRecordedUnderTheFunctionItNames(t *testing.T) {
	budapest, err := time.LoadLocation("Europe/Budapest")
	require.NoError(t, err)
	until := t0.Add(40 * time.Minute)
	calls := map[string]func(*Client) error{
		"getOrder": func(c *Client) error {
			_, err := c.List(context.Background(), ObjectOrder, connectors.ListQuery{})
			return err
		},
		"getOrderStatus": func(c *Client) error {
			_, err := c.Statuses(context.Background())
			return err
		},
	}
	tests := []struct {
		name    string
		called  string // the function answered with the ban
		named   string // the function the message names
		bang    string // "!" or ""
		refused []string
		allowed []string
	}{
		{name: "getOrderStatus answered with getOrder's ban", called: "getOrderStatus", named: "getOrder", bang: "!",
			refused: []string{"getOrder", "getOrderStatus"}},
		{name: "getOrder answered with getOrderStatus's ban", called: "getOrder", named: "getOrderStatus",
			refused: []string{"getOrderStatus", "getOrder"}},
		{name: "getOrder answered with its own ban", called: "getOrder", named: "getOrder", bang: "!",
			refused: []string{"getOrder"}, allowed: []string{"getOrderStatus"}},
		{name: "getOrderStatus answered with its own ban", called: "getOrderStatus", named: "getOrderStatus",
			refused: []string{"getOrderStatus"}, allowed: []string{"getOrder"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var mu sync.Mutex
			got := map[string]int{}
			ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				defer mu.Unlock()
				fn := r.URL.Path[len("/shop/"):]
				got[fn]++
				switch {
				case fn == "login":
					fmt.Fprint(w, `<?xml version="1.0" encoding="UTF-8"?><Login><Token>t</Token><Subscription>PREMIUM</Subscription><Status>ok</Status></Login>`)
				case fn == tt.called && got[fn] == 1:
					w.WriteHeader(http.StatusBadRequest)
					fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><Error>Too much %s query, IP is banned till %s%s</Error>`,
						tt.named, until.In(budapest).Format("01.02.2006 15:04:05"), tt.bang)
				case fn == "getOrder":
					fmt.Fprint(w, `<?xml version="1.0" encoding="UTF-8"?><Orders></Orders>`)
				case fn == "getOrderStatus":
					fmt.Fprint(w, `<?xml version="1.0" encoding="UTF-8"?><OrderStatuses><OrderStatus><Id>1</Id><Name>Új</Name><Type>open_normal</Type></OrderStatus></OrderStatuses>`)
				}
			}))
			defer ts.Close()
			count := func(fn string) int {
				mu.Lock()
				defer mu.Unlock()
				return got[fn]
			}
			now := t0
			c, err := New(Config{BaseURL: ts.URL + "/shop", APIKey: "k", Now: func() time.Time { return now }})
			require.NoError(t, err)

			err = calls[tt.called](c)
			require.Equal(t, connectors.KindRateLimited, connectors.KindOf(err), "%v", err)
			assert.Equal(t, 40*time.Minute, connectors.RetryAfterOf(err))
			assert.Contains(t, err.Error(), tt.named)

			now = t0.Add(10 * time.Minute)
			for _, fn := range tt.refused {
				before := count(fn)
				err := calls[fn](c)
				assert.Equal(t, connectors.KindRateLimited, connectors.KindOf(err), "%s: %v", fn, err)
				assert.Equal(t, 30*time.Minute, connectors.RetryAfterOf(err), fn)
				assert.Equal(t, before, count(fn), "%s was called into the ban", fn)
			}
			for _, fn := range tt.allowed {
				assert.NoError(t, calls[fn](c), "%s is not banned", fn)
			}

			now = until // the ban is over
			for _, fn := range tt.refused {
				assert.NoError(t, calls[fn](c), "%s after the ban", fn)
			}
		})
	}
}

// A ban whose end, read in time_zone, is not at least a minute ahead of the worker's clock (the
// worker's clock ahead of UNAS's, or UNAS writing ban times in another zone than time_zone)
// must not be retried a second later: each retry would go back into the ban, past UNAS's
// failed-call limits. The client waits the documented ban length (an hour) instead, and says
// why; a ban whose end is ahead is waited as UNAS says.
func TestBanEndNotAheadWaitsTheDocumentedHour(t *testing.T) {
	budapest, err := time.LoadLocation("Europe/Budapest")
	require.NoError(t, err)
	tests := []struct {
		name string
		end  time.Duration // the ban's end UNAS writes (Budapest time), from the worker's now
		zone string        // the connection's time_zone
		want time.Duration
		log  string // what the log must say ("": nothing)
	}{
		{name: "end in the past: worker clock ahead", end: -2 * time.Minute, want: time.Hour, log: "clock"},
		{name: "end now", end: 0, want: time.Hour, log: "clock"},
		{name: "end 30 s ahead", end: 30 * time.Second, want: time.Hour, log: "clock"},
		// 20 minutes ahead in Budapest (UTC+1) is 40 minutes past in Bucharest (UTC+2)
		{name: "time_zone ahead of the zone UNAS writes in", end: 20 * time.Minute, zone: "Europe/Bucharest", want: time.Hour, log: "time_zone"},
		// and 80 minutes ahead in London: waited, since it is UNAS's word, and said
		{name: "time_zone behind the zone UNAS writes in", end: 20 * time.Minute, zone: "Europe/London", want: 80 * time.Minute, log: "further"},
		{name: "end ahead: waited as UNAS says", end: 20 * time.Minute, want: 20 * time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var mu sync.Mutex
			calls := 0
			ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/shop/login" {
					fmt.Fprint(w, `<?xml version="1.0" encoding="UTF-8"?><Login><Token>t</Token><Subscription>PREMIUM</Subscription><Status>ok</Status></Login>`)
					return
				}
				mu.Lock()
				calls++
				first := calls == 1
				mu.Unlock()
				if !first {
					fmt.Fprint(w, `<?xml version="1.0" encoding="UTF-8"?><Orders></Orders>`)
					return
				}
				w.WriteHeader(http.StatusBadRequest)
				fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><Error>Too much getOrder query, IP is banned till %s</Error>`,
					t0.Add(tt.end).In(budapest).Format("01.02.2006 15:04:05"))
			}))
			defer ts.Close()
			count := func() int {
				mu.Lock()
				defer mu.Unlock()
				return calls
			}
			var logs bytes.Buffer
			now := t0
			c, err := New(Config{BaseURL: ts.URL + "/shop", APIKey: "k", TimeZone: tt.zone, Now: func() time.Time { return now },
				Logger: slog.New(slog.NewTextHandler(&logs, nil))})
			require.NoError(t, err)
			list := func() error {
				_, err := c.List(context.Background(), ObjectOrder, connectors.ListQuery{})
				return err
			}

			err = list()
			require.Equal(t, connectors.KindRateLimited, connectors.KindOf(err), "%v", err)
			assert.Equal(t, tt.want, connectors.RetryAfterOf(err))
			if tt.log != "" {
				assert.Contains(t, logs.String(), tt.log)
			} else {
				assert.Empty(t, logs.String())
			}
			if tt.want == time.Hour {
				assert.Contains(t, err.Error(), "documented")
			}

			// Retried as asked for, and sooner: no call goes into the ban.
			for _, at := range []time.Duration{time.Second, time.Minute, tt.want - time.Second} {
				now = t0.Add(at)
				err := list()
				assert.Equal(t, connectors.KindRateLimited, connectors.KindOf(err), "after %s: %v", at, err)
				assert.Equal(t, tt.want-at, connectors.RetryAfterOf(err), "after %s", at)
			}
			assert.Equal(t, 1, count(), "getOrder was called into the ban")

			now = t0.Add(tt.want)
			require.NoError(t, list())
			assert.Equal(t, 2, count())
		})
	}
}
