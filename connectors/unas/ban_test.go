package unas

import (
	"context"
	"fmt"
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
