package unas

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/calltest"
	"github.com/crmsync/crmsync/connectors/simkit"
	"github.com/crmsync/crmsync/connectors/unas/sim"
)

func TestCall(t *testing.T) {
	e := start(t, sim.Options{})
	e.s.SeedOrders(0, 3, t0.Add(-time.Hour))
	second := e.s.Dump()[1]
	ctx := context.Background()
	tests := []struct {
		name, path, body string
		want             []string
		orders           int
	}{
		{"order by key", "/getOrder", `<?xml version="1.0" encoding="UTF-8"?>
<Params><Key>` + second.Key + `</Key></Params>`,
			[]string{"<Key>" + second.Key + "</Key>", "<Email><![CDATA[" + string(second.Customer.Email) + "]]></Email>"}, 1},
		{"orders", "/getOrder", `<Params><LimitNum>2</LimitNum></Params>`, []string{"<Orders>"}, 2},
		{"empty body", "/getOrderStatus", "", []string{"<OrderStatuses>", "Teljesítve"}, 0},
		{"function in another case", "/getorderstatus", "<Params><Type>close_ok</Type></Params>", []string{"Teljesítve"}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, body, err := e.c.Call(ctx, "post", tc.path, nil, []byte(tc.body))
			require.NoError(t, err)
			assert.Equal(t, 200, status)
			for _, w := range tc.want {
				assert.Contains(t, string(body), w)
			}
			// an order opens with its elements; a status's <Order> is its place in the list
			assert.Equal(t, tc.orders, strings.Count(string(body), "<Order><"))
		})
	}
	now := e.clk.Now()
	assert.Equal(t, 1, e.c.budget.(*Budget).Spent(ClassOrderByKey, now))
	assert.Equal(t, 1, e.c.budget.(*Budget).Spent(ClassOrderList, now))
	assert.Equal(t, 2, e.c.budget.(*Budget).Spent(ClassOrderStatus, now), "counted as getOrderStatus whatever its case")
	assert.Equal(t, 5, e.c.budget.(*Budget).Spent(ClassTotal, now), "the four calls and the login")
	assert.Equal(t, 2, e.calls("getOrder"))
	assert.Equal(t, 1, e.s.Logins())
}

func TestCallRefusedBeforeAnyRequest(t *testing.T) {
	e := start(t, sim.Options{})
	tests := []struct {
		name, method, path string
		query              url.Values
		body, want         string
	}{
		{"GET", "GET", "/getOrder", nil, "", "not one of POST"},
		{"login", "POST", "/login", nil, "<Params><ApiKey>x</ApiKey></Params>", "logs in itself"},
		{"login in another case", "POST", "/Login", nil, "", "logs in itself"},
		{"two segments", "POST", "/shop/getOrder", nil, "", "/<function>"},
		{"no function", "POST", "/", nil, "", "/<function>"},
		{"not a function name", "POST", "/get-order", nil, "", "/<function>"},
		{"absolute URL", "POST", "https://evil.example/getOrder", nil, "", "must be relative"},
		{"query", "POST", "/getOrder?Key=1", nil, "", "no query"},
		{"query values", "POST", "/getOrder", url.Values{"Key": {"1"}}, "", "no query"},
		{"JSON body", "POST", "/getOrder", nil, `{"Key":"1"}`, "not well-formed XML"},
		{"mismatched tags", "POST", "/getOrder", nil, "<Params>\n<Key>1</Params>", "not well-formed XML (line 2)"},
		{"unclosed", "POST", "/getOrder", nil, "<Params><Key>1</Key>", "not well-formed XML"},
		{"two roots", "POST", "/getOrder", nil, "<Params/><Params/>", "one XML element"},
		{"text outside", "POST", "/getOrder", nil, "Key<Params/>", "text outside the root element"},
		{"doctype", "POST", "/getOrder", nil, `<!DOCTYPE Params [<!ENTITY x "y">]><Params/>`, "DOCTYPE"},
		{"not UTF-8", "POST", "/getOrder", nil, `<?xml version="1.0" encoding="ISO-8859-2"?><Params/>`, "UTF-8"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, body, err := e.c.Call(context.Background(), tc.method, tc.path, tc.query, []byte(tc.body))
			calltest.Refused(t, status, body, err, tc.want)
		})
	}
	assert.Zero(t, e.s.Kit().Total(), "no request reached UNAS")
	assert.Zero(t, e.s.Logins())
	assert.Zero(t, e.c.budget.(*Budget).Spent(ClassTotal, e.clk.Now()))
}

func TestCallErrors(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name       string
		opts       sim.Options
		prepare    func(e *env)
		path, body string
		kind       connectors.Kind
		status     int
		retryAfter time.Duration
		want       string
	}{
		{name: "unknown function", path: "/getProduct", kind: connectors.KindInvalid, status: 400, want: "<Error>Unknown function</Error>"},
		{name: "refused params", path: "/getOrder", body: "<Params><LimitNum>900</LimitNum></Params>", kind: connectors.KindInvalid,
			status: 400, want: "LimitNum must be between 1 and 500"},
		{name: "no permission", opts: sim.Options{Permissions: []string{"getOrder"}}, path: "/getOrderStatus", kind: connectors.KindConfig,
			status: 403, want: "No permission for getOrderStatus"},
		{name: "rate limited", prepare: func(e *env) { e.s.Kit().SetFaults(simkit.Faults{RateLimitNext: 1}) }, path: "/getOrder",
			kind: connectors.KindRateLimited, status: 429, retryAfter: time.Minute},
		{name: "banned", prepare: func(e *env) { e.s.Ban("getOrder", 30*time.Minute) }, path: "/getOrder",
			kind: connectors.KindRateLimited, status: 400, retryAfter: 30 * time.Minute, want: "IP is banned till"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := start(t, tc.opts)
			e.s.SeedOrders(0, 1, t0.Add(-time.Hour))
			_, err := e.c.currentToken(ctx) // logged in: the fault hits the call
			require.NoError(t, err)
			if tc.prepare != nil {
				tc.prepare(e)
			}
			status, body, err := e.c.Call(ctx, "POST", tc.path, nil, []byte(tc.body))
			var ce *connectors.Error
			require.ErrorAs(t, err, &ce)
			assert.Equal(t, tc.kind, ce.Kind, err.Error())
			assert.Equal(t, tc.status, ce.Status)
			assert.Equal(t, tc.status, status)
			assert.Equal(t, "POST "+tc.path, ce.Op)
			assert.Contains(t, string(body), tc.want)
			assert.Equal(t, tc.retryAfter, connectors.RetryAfterOf(err))
			assert.NotContains(t, err.Error(), "key-123")
		})
	}
}

func TestCallHonoursABanWithoutCallingUNAS(t *testing.T) {
	e := start(t, sim.Options{})
	ctx := context.Background()
	e.s.Ban("getOrder", time.Hour)
	_, _, err := e.c.Call(ctx, "POST", "/getOrder", nil, nil)
	require.Equal(t, connectors.KindRateLimited, connectors.KindOf(err))
	require.Equal(t, 1, e.calls("getOrder"))

	e.clk.Advance(20 * time.Minute)
	status, body, err := e.c.Call(ctx, "POST", "/getOrder", nil, []byte("<Params><Key>1</Key></Params>"))
	assert.Equal(t, connectors.KindRateLimited, connectors.KindOf(err))
	assert.Equal(t, 40*time.Minute, connectors.RetryAfterOf(err))
	assert.Zero(t, status)
	assert.Nil(t, body)
	assert.Equal(t, 1, e.calls("getOrder"), "the client answered itself")

	_, _, err = e.c.Call(ctx, "POST", "/getOrderStatus", nil, nil)
	assert.NoError(t, err, "other functions are not banned")
}

func TestCallSpentBudgetNeverReachesUNAS(t *testing.T) {
	e := start(t, sim.Options{})
	e.s.SeedOrders(0, 3, t0.Add(-time.Hour))
	c, err := New(Config{BaseURL: e.ts.URL + "/shop", APIKey: "key-123", Now: e.clk.Now, OrderListsPerHour: 1})
	require.NoError(t, err)
	ctx := context.Background()

	_, _, err = c.Call(ctx, "POST", "/getOrder", nil, []byte("<Params><LimitNum>10</LimitNum></Params>"))
	require.NoError(t, err)
	e.clk.Advance(time.Minute)
	status, body, err := c.Call(ctx, "POST", "/getOrder", nil, []byte("<Params><LimitNum>10</LimitNum></Params>"))
	require.Error(t, err)
	assert.Equal(t, connectors.KindRateLimited, connectors.KindOf(err))
	assert.Contains(t, err.Error(), "hourly budget")
	assert.Equal(t, CountedFor-time.Minute+time.Second, connectors.RetryAfterOf(err))
	assert.Zero(t, status)
	assert.Nil(t, body)
	assert.Equal(t, 1, e.calls("getOrder"), "the refused call never reached UNAS")
	assert.Equal(t, 2, c.budget.(*Budget).Spent(ClassTotal, e.clk.Now()), "nor spent the total (the login and the first call)")

	// Orders by key have a budget of their own.
	_, body, err = c.Call(ctx, "POST", "/getOrder", nil, []byte("<Params><Key>250001</Key></Params>"))
	require.NoError(t, err)
	assert.Contains(t, string(body), "<Key>250001</Key>")
	assert.Zero(t, e.s.Bans())
}

func TestCallRenewsAnExpiredToken(t *testing.T) {
	e := start(t, sim.Options{})
	ctx := context.Background()
	_, _, err := e.c.Call(ctx, "POST", "/getOrderStatus", nil, nil)
	require.NoError(t, err)
	require.Equal(t, 1, e.s.Logins())

	e.s.ExpireTokens() // refused by UNAS (400 <Error>Invalid token</Error>): one login, the call again
	status, body, err := e.c.Call(ctx, "POST", "/getOrderStatus", nil, nil)
	require.NoError(t, err)
	assert.Equal(t, 200, status)
	assert.Contains(t, string(body), "<OrderStatuses>")
	assert.Equal(t, 2, e.s.Logins())
	assert.Equal(t, 3, e.calls("getOrderStatus"))

	e.clk.Advance(2 * time.Hour) // expired: renewed before the call
	_, _, err = e.c.Call(ctx, "POST", "/getOrderStatus", nil, nil)
	require.NoError(t, err)
	assert.Equal(t, 3, e.s.Logins())
	assert.Equal(t, 4, e.calls("getOrderStatus"))
}
