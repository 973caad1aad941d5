package unas

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/simkit"
	"github.com/crmsync/crmsync/connectors/unas/sim"
)

var t0 = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)

type env struct {
	s   *sim.Server
	c   *Client
	clk *simkit.Clock
	ts  *httptest.Server
}

func start(t *testing.T, o sim.Options) *env {
	t.Helper()
	clk := simkit.NewClock(t0)
	o.APIKey, o.Now = "key-123", clk.Now
	s := sim.New(o)
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	c, err := New(Config{BaseURL: ts.URL + "/shop", APIKey: "key-123", Now: clk.Now})
	require.NoError(t, err)
	return &env{s: s, c: c, clk: clk, ts: ts}
}

func (e *env) calls(fn string) int { return e.s.Kit().Counts()["POST /shop/"+fn] }

func TestNewValidates(t *testing.T) {
	for _, c := range []Config{{BaseURL: "ftp://x", APIKey: "k"}, {BaseURL: "http://x"}} {
		_, err := New(c)
		assert.Equal(t, connectors.KindConfig, connectors.KindOf(err))
	}
	c, err := New(Config{APIKey: "k"})
	require.NoError(t, err)
	assert.Equal(t, DefaultBaseURL, c.base)
	assert.Equal(t, "unas", c.System())
}

func TestLoginOnceForConcurrentCalls(t *testing.T) {
	e := start(t, sim.Options{Limits: map[string]int{sim.LimitGetOrder: 100}})
	e.s.SeedOrders(0, 10, t0.Add(-time.Hour))
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = e.c.List(context.Background(), ObjectOrder, connectors.ListQuery{})
		}()
	}
	wg.Wait()
	for _, err := range errs {
		require.NoError(t, err)
	}
	assert.Equal(t, 1, e.s.Logins(), "8 concurrent calls, one login")
	assert.Equal(t, 8, e.calls("getOrder"))
	sess := e.c.Session()
	assert.Equal(t, "12345", sess.ShopID)
	assert.Equal(t, "PREMIUM", sess.Subscription)
	assert.Contains(t, sess.Permissions, "getOrder")

	steps := []struct {
		advance time.Duration
		logins  int
	}{
		{time.Hour, 1},        // 1h in: the token is reused
		{50 * time.Minute, 1}, // 1h50
		{6 * time.Minute, 2},  // 1h56: within 5 minutes of expiry → renewed once
		{time.Hour, 2},        // the new token is reused
		{56 * time.Minute, 3}, // and renewed once per lifetime
	}
	for _, s := range steps {
		e.clk.Advance(s.advance)
		_, err := e.c.Statuses(context.Background())
		require.NoError(t, err)
		assert.Equal(t, s.logins, e.s.Logins(), "after %s", s.advance)
	}
}

func TestTokenRefusedRenewsOnce(t *testing.T) {
	e := start(t, sim.Options{})
	_, err := e.c.Statuses(context.Background())
	require.NoError(t, err)
	e.s.ExpireTokens()
	_, err = e.c.Statuses(context.Background())
	require.NoError(t, err)
	assert.Equal(t, 2, e.s.Logins())
}

func TestBadAPIKeyIsConfig(t *testing.T) {
	e := start(t, sim.Options{})
	c, err := New(Config{BaseURL: e.ts.URL + "/shop", APIKey: "wrong", Now: e.clk.Now})
	require.NoError(t, err)
	_, err = c.Statuses(context.Background())
	assert.Equal(t, connectors.KindConfig, connectors.KindOf(err))
	assert.Contains(t, err.Error(), "API key")
}

func TestListPagesBy500(t *testing.T) {
	e := start(t, sim.Options{})
	e.s.SeedOrders(0, 1234, t0.Add(-500*time.Hour))
	var sizes []int
	ids := map[string]bool{}
	var last time.Time
	q := connectors.ListQuery{Limit: 50}
	for {
		p, err := e.c.List(context.Background(), ObjectOrder, q)
		require.NoError(t, err)
		sizes = append(sizes, len(p.Records))
		for _, r := range p.Records {
			assert.False(t, r.UpdatedAt.Before(last), "ordered by DateMod")
			last = r.UpdatedAt
			ids[r.ID] = true
		}
		if !p.More {
			assert.Empty(t, p.Cursor)
			break
		}
		q.Cursor = p.Cursor
	}
	assert.Equal(t, []int{500, 450, 284}, sizes, "pages after the first read 50 orders again (and skip them)")
	assert.Len(t, ids, 1234)
	assert.Equal(t, 3, e.calls("getOrder"), "3 multi-order calls of the hourly 30")
}

// Orders modified (or deleted) while a listing runs leave its window and move the later ones
// towards the start: none of those is skipped, however many leave.
func TestListSkipsNoneWhenOrdersLeaveTheWindow(t *testing.T) {
	tests := []struct {
		name   string
		leave  int // orders of the first page that leave the window before the second page
		delete bool
		calls  int
	}{
		{"nothing moves", 0, false, 3},
		{"a few modified", 20, false, 3},
		{"more than the overlap", 120, false, 4},
		{"deleted", 30, true, 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := start(t, sim.Options{Limits: map[string]int{sim.LimitGetOrder: 100}})
			e.s.SeedOrders(0, 1234, t0.Add(-500*time.Hour))
			seen := map[string]bool{}
			q := connectors.ListQuery{}
			first := true
			for {
				p, err := e.c.List(context.Background(), ObjectOrder, q)
				require.NoError(t, err)
				for _, r := range p.Records {
					seen[r.Fields["key"].(string)] = true
				}
				if first {
					first = false
					e.clk.Advance(time.Minute) // changes from now on fall after the window
					for i, r := range p.Records[:tc.leave] {
						if key := r.Fields["key"].(string); tc.delete {
							e.s.DeleteOrder(key)
						} else {
							e.s.SetStatus(key, []string{"Teljesítve", "Törölve"}[i%2])
						}
					}
				}
				if !p.More {
					break
				}
				q.Cursor = p.Cursor
			}
			missing := 0
			for _, o := range e.s.Dump() {
				if !seen[o.Key] {
					missing++
				}
			}
			assert.Zero(t, missing, "orders never listed")
			assert.Equal(t, tc.calls, e.calls("getOrder"))
		})
	}
}

func TestListSinceAndWindow(t *testing.T) {
	e := start(t, sim.Options{})
	e.s.SeedOrders(0, 20, t0.Add(-20*time.Hour))
	all := e.s.Dump()
	since := all[12].Modified
	want := 0
	for _, o := range all {
		if !o.Modified.Before(since) {
			want++
		}
	}
	p, err := e.c.List(context.Background(), ObjectOrder, connectors.ListQuery{Since: since})
	require.NoError(t, err)
	assert.Len(t, p.Records, want)
	for _, r := range p.Records {
		assert.False(t, r.UpdatedAt.Before(since))
	}
	// a status change after Since comes with the next listing
	e.clk.Advance(time.Minute)
	e.s.SetStatus(all[0].Key, "Teljesítve")
	p, err = e.c.List(context.Background(), ObjectOrder, connectors.ListQuery{Since: e.clk.Now()})
	require.NoError(t, err)
	require.Len(t, p.Records, 1)
	assert.Equal(t, "Teljesítve", p.Records[0].Fields["status"])
	assert.Equal(t, "4", p.Records[0].Fields["status_id"])
}

func TestOrderAndCustomerFields(t *testing.T) {
	e := start(t, sim.Options{})
	e.s.SeedOrders(0, 2, t0.Add(-time.Hour))
	p, err := e.c.List(context.Background(), ObjectOrder, connectors.ListQuery{})
	require.NoError(t, err)
	require.Len(t, p.Records, 2)
	var company connectors.Record
	for _, r := range p.Records {
		if r.Fields["is_company"] == true {
			company = r
		}
	}
	require.NotEmpty(t, company.ID, "person 0 orders as a company")
	o := e.s.Dump()
	var so sim.Order
	for _, x := range o {
		if x.Customer.Email == "person000000@example.com" {
			so = x
		}
	}
	f := company.Fields
	assert.Equal(t, so.Key, f["key"])
	assert.Equal(t, OrderID(so.Key, so.Created.In(e.s.Location())), company.ID)
	assert.Equal(t, "person000000@example.com", f["customer_email"])
	assert.Equal(t, string(so.Customer.Contact.Name), f["customer_name"], "CDATA text")
	assert.Equal(t, string(so.Customer.Addresses.Invoice.Name), f["company_name"])
	assert.Equal(t, string(so.Status), f["status"])
	assert.Equal(t, nilIfEmpty(string(so.Invoice.URL)), f["invoice_url"], "none until invoiced")
	assert.Equal(t, nilIfEmpty(string(so.Invoice.Number)), f["invoice_number"])
	assert.Equal(t, so.SumGross, f["total"])
	assert.Equal(t, "HUF", f["currency"])
	assert.Equal(t, so.Created.In(e.s.Location()).Format(time.RFC3339), f["date"])
	require.IsType(t, []string{}, f["items"])
	assert.Contains(t, f["items"].([]string)[0], "×")
	taxID := companyOf(xAddress{CustomerType: "company", TaxNumber: string(so.Customer.Addresses.Invoice.TaxNumber)})
	assert.Equal(t, "10000000210", taxID, "the tax number without its hyphens")
	assert.Equal(t, map[string]string{"customer": "person000000@example.com", "company": taxID}, company.Links, "a company's order: on its Business")
	assert.True(t, company.UpdatedAt.Equal(so.Modified))

	cs, err := e.c.List(context.Background(), ObjectCustomer, connectors.ListQuery{})
	require.NoError(t, err)
	require.Len(t, cs.Records, 2)
	got, err := e.c.FindByKey(context.Background(), ObjectCustomer, "email", []string{"PERSON000000@example.com"})
	require.NoError(t, err)
	require.Len(t, got, 1)
	c := got[0]
	assert.Equal(t, "person000000@example.com", c.ID)
	assert.Equal(t, string(so.Customer.Addresses.Invoice.Name), c.Fields["company"])
	assert.Equal(t, true, c.Fields["is_company"])
	assert.NotNil(t, c.Fields["tax_number"])
	assert.NotNil(t, c.Fields["phone"])
	assert.Contains(t, c.Fields["invoice_address"], "Budapest")
	assert.Equal(t, company.ID, c.Fields["last_order"])
	assert.Equal(t, map[string]string{"customer": c.ID, "company": taxID}, c.Links)

	// The companies are those the customers order for, by tax number: the other customer
	// (private) orders for none.
	cos, err := e.c.List(context.Background(), ObjectCompany, connectors.ListQuery{})
	require.NoError(t, err)
	require.Len(t, cos.Records, 1)
	assert.Equal(t, taxID, cos.Records[0].ID)
	assert.Equal(t, c.ID, cos.Records[0].Fields["email"])
	for _, r := range cs.Records {
		if r.ID != c.ID {
			assert.Equal(t, map[string]string{"customer": r.ID}, r.Links, "a private customer: no Business")
		}
	}
}

func TestBanIsRateLimitedUntilTheGivenTime(t *testing.T) {
	for _, style := range []string{sim.BanPlain, sim.BanBang} {
		t.Run(style, func(t *testing.T) {
			// Other tools on the shop's IP spend most of its budget: our 6th call is banned.
			e := start(t, sim.Options{Ban: style, Limits: map[string]int{sim.LimitGetOrder: 5}})
			e.s.SeedOrders(0, 3, t0.Add(-time.Hour))
			for range 5 {
				_, err := e.c.List(context.Background(), ObjectOrder, connectors.ListQuery{})
				require.NoError(t, err)
			}
			e.clk.Advance(10 * time.Minute)
			_, err := e.c.List(context.Background(), ObjectOrder, connectors.ListQuery{})
			require.Error(t, err)
			assert.Equal(t, connectors.KindRateLimited, connectors.KindOf(err))
			assert.Equal(t, time.Hour, connectors.RetryAfterOf(err), "banned for an hour from the 6th call")
			assert.Equal(t, 6, e.calls("getOrder"))

			// never retried into the ban: the client answers itself until then
			e.clk.Advance(45 * time.Minute)
			_, err = e.c.List(context.Background(), ObjectOrder, connectors.ListQuery{})
			assert.Equal(t, connectors.KindRateLimited, connectors.KindOf(err))
			assert.Equal(t, 15*time.Minute, connectors.RetryAfterOf(err))
			_, err = e.c.Get(context.Background(), ObjectOrder, []string{"250001@20260301100000"})
			assert.Equal(t, connectors.KindRateLimited, connectors.KindOf(err))
			assert.Equal(t, 6, e.calls("getOrder"))
			_, err = e.c.Statuses(context.Background())
			assert.NoError(t, err, "other functions are not banned")

			e.clk.Advance(15 * time.Minute)
			_, err = e.c.List(context.Background(), ObjectOrder, connectors.ListQuery{})
			require.NoError(t, err)
			assert.Equal(t, 7, e.calls("getOrder"))
		})
	}
}

func TestParseBan(t *testing.T) {
	bud, err := time.LoadLocation("Europe/Budapest")
	require.NoError(t, err)
	cases := []struct {
		msg   string
		fn    string
		until time.Time
		ok    bool
	}{
		{"Too much getOrder query, IP is banned till 02.28.2022 10:00:00", "getOrder", time.Date(2022, 2, 28, 9, 0, 0, 0, time.UTC), true},
		{"Too much getOrder query, IP is banned till 02.28.2022 10:00:00!", "getOrder", time.Date(2022, 2, 28, 9, 0, 0, 0, time.UTC), true},
		{"Too much getOrderStatus query, IP is banned till 07.15.2026 14:30:05!", "getOrderStatus", time.Date(2026, 7, 15, 12, 30, 5, 0, time.UTC), true},
		{"Invalid token", "", time.Time{}, false},
		{"Too much getOrder query, IP is banned till 28.02.2022 10:00:00", "", time.Time{}, false},
	}
	for _, c := range cases {
		fn, until, ok := ParseBan(c.msg, bud)
		assert.Equal(t, c.ok, ok, c.msg)
		assert.Equal(t, c.fn, fn)
		assert.True(t, c.until.Equal(until), "%s: %s", c.msg, until)
	}
}

func TestReusedKeyIsADistinctOrder(t *testing.T) {
	e := start(t, sim.Options{})
	e.s.SeedOrders(0, 2, t0.Add(-time.Hour))
	p, err := e.c.List(context.Background(), ObjectOrder, connectors.ListQuery{})
	require.NoError(t, err)
	old := p.Records[0]
	key := old.Fields["key"].(string)
	e.s.DeleteOrder(key)
	e.clk.Advance(time.Minute)
	e.s.ReuseKey(key)

	p, err = e.c.List(context.Background(), ObjectOrder, connectors.ListQuery{Since: e.clk.Now()})
	require.NoError(t, err)
	require.Len(t, p.Records, 1)
	reused := p.Records[0]
	assert.Equal(t, key, reused.Fields["key"])
	assert.NotEqual(t, old.ID, reused.ID)
	assert.NotEqual(t, old.Fields["customer_email"], reused.Fields["customer_email"])

	got, err := e.c.Get(context.Background(), ObjectOrder, []string{old.ID, reused.ID})
	require.NoError(t, err)
	require.Len(t, got, 1, "the old order is gone; its id does not name the new one")
	assert.Equal(t, reused.ID, got[0].ID)
	found, err := e.c.FindByKey(context.Background(), ObjectOrder, "key", []string{key})
	require.NoError(t, err)
	require.Len(t, found, 1)
	assert.Equal(t, reused.ID, found[0].ID)
}

func TestStatuses(t *testing.T) {
	e := start(t, sim.Options{Statuses: []sim.OrderStatus{{ID: 7, Name: "Új rendelés", Type: "open_normal"}, {ID: 9, Name: "Kész", Type: "close_ok"}}})
	st, err := e.c.Statuses(context.Background())
	require.NoError(t, err)
	assert.Equal(t, []Status{{7, "Új rendelés", "open_normal"}, {9, "Kész", "close_ok"}}, st)
}

func TestReadOnlyAndErrors(t *testing.T) {
	e := start(t, sim.Options{Permissions: []string{"getOrderStatus"}})
	ctx := context.Background()
	_, err := e.c.Create(ctx, ObjectOrder, []connectors.Record{{}})
	assert.Equal(t, connectors.KindConfig, connectors.KindOf(err))
	assert.Contains(t, err.Error(), ErrReadOnly)
	_, err = e.c.Update(ctx, ObjectCustomer, nil)
	assert.Equal(t, connectors.KindConfig, connectors.KindOf(err))
	_, err = e.c.Delete(ctx, ObjectOrder, []string{"x"})
	assert.Equal(t, connectors.KindConfig, connectors.KindOf(err))
	_, err = e.c.Describe(ctx, "product")
	assert.Equal(t, connectors.KindConfig, connectors.KindOf(err))
	f, err := e.c.Describe(ctx, ObjectOrder)
	require.NoError(t, err)
	assert.NotEmpty(t, f)

	_, err = e.c.List(ctx, ObjectOrder, connectors.ListQuery{})
	assert.Equal(t, connectors.KindConfig, connectors.KindOf(err), "getOrder permission missing")
	assert.Contains(t, err.Error(), "getOrder permission")

	e.s.Kit().SetFaults(simkitFaults(1))
	_, err = e.c.Statuses(ctx)
	assert.Equal(t, connectors.KindRetryable, connectors.KindOf(err))
}

func TestServerDown(t *testing.T) {
	ts := httptest.NewServer(http.NotFoundHandler())
	ts.Close()
	c, err := New(Config{BaseURL: ts.URL + "/shop", APIKey: "k"})
	require.NoError(t, err)
	_, err = c.Statuses(context.Background())
	assert.Equal(t, connectors.KindRetryable, connectors.KindOf(err))
}

// The shop's statuses are the one pipeline of its orders; each order says which stage it is at.
func TestOrderPipeline(t *testing.T) {
	e := start(t, sim.Options{})
	e.s.SeedOrders(0, 3, t0.Add(-time.Hour))
	name, stages, err := e.c.Pipeline(context.Background(), OrderPipeline)
	require.NoError(t, err)
	assert.Equal(t, "UNAS orders", name)
	require.NotEmpty(t, stages)
	statuses, err := e.c.Statuses(context.Background())
	require.NoError(t, err)
	for i, s := range statuses {
		assert.Equal(t, connectors.Stage{ID: s.Name, Name: s.Name}, stages[i])
	}
	page, err := e.c.List(context.Background(), ObjectOrder, connectors.ListQuery{})
	require.NoError(t, err)
	require.NotEmpty(t, page.Records)
	for _, r := range page.Records {
		assert.Equal(t, OrderPipeline, r.Fields["pipeline"])
		assert.True(t, slices.ContainsFunc(stages, func(s connectors.Stage) bool { return s.ID == r.Fields["status"] }), "order %s at a stage of the pipeline", r.ID)
	}
	customers, err := e.c.List(context.Background(), ObjectCustomer, connectors.ListQuery{})
	require.NoError(t, err)
	for _, c := range customers.Records {
		assert.Equal(t, c.ID, c.Links[ObjectCustomer], "a customer links to itself")
	}
	_, _, err = e.c.Pipeline(context.Background(), "returns")
	assert.Equal(t, connectors.KindConfig, connectors.KindOf(err))
}

// The API key must allow reading orders and the status list; validate names what is missing.
func TestCheckAccessNamesMissingPermissions(t *testing.T) {
	tests := []struct {
		name    string
		perms   []string
		missing string
	}{
		{"all", []string{"getOrder", "getOrderStatus", "getCustomer"}, ""},
		{"no status list", []string{"getOrder"}, "getOrderStatus"},
		{"nothing to read", []string{"setProduct"}, "getOrder, getOrderStatus"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := start(t, sim.Options{Permissions: tt.perms})
			err := e.c.CheckAccess(context.Background(), []connectors.Access{{Object: ObjectOrder}})
			if tt.missing == "" {
				require.NoError(t, err)
				return
			}
			assert.Equal(t, connectors.KindConfig, connectors.KindOf(err))
			assert.Contains(t, err.Error(), "lacks the permission(s) "+tt.missing+" ")
			assert.NotContains(t, err.Error(), "key-123")
		})
	}
}

func TestBudgetKeepsClearOfTheBan(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name  string
		pkg   string
		lists int // Config.OrderListsPerHour
		want  int // multi-order calls allowed an hour
	}{
		{"PREMIUM", "PREMIUM", 0, 30},
		{"VIP", "VIP", 0, 90},
		{"lowered by the connection", "PREMIUM", 4, 4},
		{"never raised above the package", "PREMIUM", 50, 30},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := start(t, sim.Options{Package: tc.pkg})
			c, err := New(Config{BaseURL: e.ts.URL + "/shop", APIKey: "key-123", Now: e.clk.Now, OrderListsPerHour: tc.lists})
			require.NoError(t, err)
			e.s.SeedOrders(0, 3, t0.Add(-time.Hour))
			for i := range tc.want {
				_, err := c.List(ctx, ObjectOrder, connectors.ListQuery{})
				require.NoError(t, err, "list %d", i+1)
				e.clk.Advance(time.Second)
			}
			_, err = c.List(ctx, ObjectCustomer, connectors.ListQuery{})
			require.Error(t, err)
			assert.Equal(t, connectors.KindRateLimited, connectors.KindOf(err))
			assert.Contains(t, err.Error(), "hourly budget")
			// The first call leaves the rolling hour (and the time it may have taken to reach
			// UNAS: CountedFor) tc.want seconds after it was made.
			assert.Equal(t, CountedFor-time.Duration(tc.want)*time.Second+time.Second, connectors.RetryAfterOf(err))
			assert.Equal(t, tc.want, e.calls("getOrder"), "the refused call never reached UNAS")
			assert.Zero(t, e.s.Bans())

			// Orders by key have a budget of their own.
			_, err = c.Get(ctx, ObjectOrder, []string{"250001"})
			require.NoError(t, err)

			e.clk.Advance(connectors.RetryAfterOf(err))
			e.clk.Advance(CountedFor - time.Duration(tc.want)*time.Second)
			_, err = c.List(ctx, ObjectOrder, connectors.ListQuery{})
			require.NoError(t, err, "the hour has passed")
			assert.Zero(t, e.s.Bans())
		})
	}
}

func TestBudgetSharedByConnectionsOnOneShop(t *testing.T) {
	e := start(t, sim.Options{})
	shared := NewBudget()
	var clients []*Client
	for range 2 {
		c, err := New(Config{BaseURL: e.ts.URL + "/shop", APIKey: "key-123", Now: e.clk.Now, Budget: shared})
		require.NoError(t, err)
		clients = append(clients, c)
	}
	for i := range 30 {
		_, err := clients[i%2].List(context.Background(), ObjectOrder, connectors.ListQuery{})
		require.NoError(t, err)
	}
	for _, c := range clients {
		_, err := c.List(context.Background(), ObjectOrder, connectors.ListQuery{})
		assert.Equal(t, connectors.KindRateLimited, connectors.KindOf(err))
	}
	assert.Equal(t, 30, shared.Spent(ClassOrderList, e.clk.Now()))
	assert.Equal(t, 30, e.calls("getOrder"))
	assert.Zero(t, e.s.Bans())
}

func TestListReusesTheCycleRead(t *testing.T) {
	ctx := context.Background()
	e := start(t, sim.Options{})
	e.s.SeedOrders(0, 20, t0.Add(-20*time.Hour))
	all := e.s.Dump()
	since := all[5].Modified

	_, err := e.c.List(ctx, ObjectOrder, connectors.ListQuery{Since: since})
	require.NoError(t, err)
	require.Equal(t, 1, e.calls("getOrder"))
	e.clk.Advance(time.Minute)
	cycle := e.clk.Now()

	first, err := e.c.List(ctx, ObjectCustomer, connectors.ListQuery{Since: since, NotBefore: cycle})
	require.NoError(t, err)
	assert.Equal(t, 2, e.calls("getOrder"), "a read made before the cycle began is not reused")
	assert.Equal(t, cycle, first.AsOf, "a fresh read goes up to when it began")
	e.clk.Advance(time.Minute) // the cycle's other passes come later

	later := all[12].Modified
	cases := []struct {
		name   string
		object string
		since  time.Time
	}{
		{"the same window", ObjectOrder, since},
		{"customers of it", ObjectCustomer, since},
		{"a later start", ObjectOrder, later},
	}
	direct, err := New(Config{BaseURL: e.ts.URL + "/shop", APIKey: "key-123", Now: e.clk.Now})
	require.NoError(t, err)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := e.calls("getOrder")
			p, err := e.c.List(ctx, tc.object, connectors.ListQuery{Since: tc.since, NotBefore: cycle})
			require.NoError(t, err)
			assert.Equal(t, before, e.calls("getOrder"), "answered from the cycle's read")
			assert.Equal(t, cycle, p.AsOf, "the read went up to when it was made")
			assert.False(t, p.More)
			want, err := direct.List(ctx, tc.object, connectors.ListQuery{Since: tc.since})
			require.NoError(t, err)
			assert.NotEmpty(t, p.Records)
			assert.Equal(t, want.Records, p.Records)
		})
	}
	// An earlier start than the read covered, or a cycle begun after it: a fresh read.
	n := e.calls("getOrder")
	_, err = e.c.List(ctx, ObjectOrder, connectors.ListQuery{Since: since.Add(-time.Minute), NotBefore: cycle})
	require.NoError(t, err)
	assert.Equal(t, n+1, e.calls("getOrder"))
	e.clk.Advance(time.Minute)
	e.s.SetStatus(all[0].Key, "Teljesítve")
	p, err := e.c.List(ctx, ObjectOrder, connectors.ListQuery{Since: since, NotBefore: e.clk.Now()})
	require.NoError(t, err)
	assert.Equal(t, n+2, e.calls("getOrder"))
	assert.True(t, slices.ContainsFunc(p.Records, func(r connectors.Record) bool { return r.Fields["status"] == "Teljesítve" }))
}

func TestCheckSchedule(t *testing.T) {
	tests := []struct {
		name     string
		pkg      string
		lists    int // Config.OrderListsPerHour
		listings int
		interval time.Duration
		wantErr  string
	}{
		{name: "a cycle every 15 minutes", listings: 1, interval: 15 * time.Minute},
		{name: "a cycle and a scan every 15 minutes", listings: 2, interval: 15 * time.Minute},
		{name: "just fits", listings: 2, interval: 4 * time.Minute},
		{name: "too often with scans", listings: 2, interval: 3 * time.Minute,
			wantErr: "schedule.interval 3m0s: every interval spends 2 listings (the incremental cycle and PipelineSync's scan) of the multi-order getOrder calls, 40 an hour, more than the 30 an hour the shop allows crmsync (PREMIUM): set schedule.interval to at least 4m0s"},
		{name: "too often", listings: 1, interval: time.Minute, wantErr: "60 an hour, more than the 30 an hour the shop allows crmsync (PREMIUM): set schedule.interval to at least 2m0s"},
		{name: "VIP allows more", pkg: "VIP", listings: 2, interval: 2 * time.Minute},
		{name: "VIP too", pkg: "VIP", listings: 2, interval: time.Minute, wantErr: "more than the 90 an hour the shop allows crmsync (VIP): set schedule.interval to at least 2m0s"},
		{name: "a share of the budget", lists: 6, listings: 2, interval: 15 * time.Minute, wantErr: "8 an hour, more than the 6 an hour the shop allows crmsync (PREMIUM): set schedule.interval to at least 20m0s"},
		{name: "nothing read", listings: 0, interval: time.Minute},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := start(t, sim.Options{Package: tc.pkg})
			c, err := New(Config{BaseURL: e.ts.URL + "/shop", APIKey: "key-123", Now: e.clk.Now, OrderListsPerHour: tc.lists})
			require.NoError(t, err)
			err = c.CheckSchedule(context.Background(), tc.listings, tc.interval)
			if tc.wantErr == "" {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Equal(t, connectors.KindConfig, connectors.KindOf(err))
			assert.Contains(t, err.Error(), tc.wantErr)
		})
	}
}

// The listings of one import (or cycle) share the pages of the first one's window, across
// several pages and within the cache's bound; each leaves out what its own Since does.
func TestListingsShareAWindowOfSeveralPages(t *testing.T) {
	ctx := context.Background()
	listAll := func(c *Client, object string, q connectors.ListQuery) []connectors.Record {
		t.Helper()
		var out []connectors.Record
		for {
			p, err := c.List(ctx, object, q)
			require.NoError(t, err)
			out = append(out, p.Records...)
			if !p.More {
				return out
			}
			q.Cursor = p.Cursor
		}
	}
	tests := []struct {
		name      string
		orders    int
		mem, disk int // the cache's bounds (0: the defaults)
		calls     int // of each later listing
		inMemory  int // orders kept, counting the pageOverlap orders each page after the first reads again
		onDisk    int
	}{
		// pages at offsets 0, 450 and 900: 500 + 500 + 334 orders
		{"three pages in memory", 1234, 0, 0, 0, 1334, 0},
		// pages at 0, 450, …, 2700: two in memory, five (2,300 orders) on disk
		{"pages beyond memory spilled to disk", 3000, 1000, 0, 0, 1000, 2300},
		// two in memory, two on disk, the last three read again
		{"pages beyond both bounds read again", 3000, 1000, 1000, 3, 1000, 1000},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := start(t, sim.Options{Package: "VIP"}) // 90 multi-order calls an hour
			dir := t.TempDir()
			c, err := New(Config{BaseURL: e.ts.URL + "/shop", APIKey: "key-123", Now: e.clk.Now, CacheDir: dir})
			require.NoError(t, err)
			c.window.memOrders, c.window.diskOrders = tc.mem, tc.disk
			e.s.SeedOrders(0, tc.orders, t0.Add(-2000*time.Hour))
			all := e.s.Dump()
			importStart := e.clk.Now()
			since := t0.Add(-3000 * time.Hour)
			listAll(c, ObjectCustomer, connectors.ListQuery{Since: since, NotBefore: importStart})
			e.clk.Advance(time.Minute)
			later := all[len(all)/3].Modified
			for _, s := range []time.Time{since, later} {
				before := e.calls("getOrder")
				got := listAll(c, ObjectOrder, connectors.ListQuery{Since: s, NotBefore: importStart})
				assert.Equal(t, tc.calls, e.calls("getOrder")-before, "calls of the listing since %s", s)
				direct, err := New(Config{BaseURL: e.ts.URL + "/shop", APIKey: "key-123", Now: e.clk.Now})
				require.NoError(t, err)
				want := listAll(direct, ObjectOrder, connectors.ListQuery{Since: s})
				if s.Equal(since) {
					assert.Len(t, want, tc.orders, "every order")
				} else {
					assert.NotEmpty(t, want)
					assert.Less(t, len(want), tc.orders, "the orders modified since the later time only")
				}
				assert.ElementsMatch(t, ids(want), ids(got), "since %s", s)
			}
			inMemory, onDisk, size := c.window.stats()
			if onDisk > 0 {
				t.Logf("spill file: %d bytes for %d orders (%d bytes an order)", size, onDisk, size/int64(onDisk))
			}
			assert.Equal(t, tc.inMemory, inMemory, "orders kept in memory")
			assert.Equal(t, tc.onDisk, onDisk, "orders spilled")
			assert.Equal(t, tc.onDisk > 0, size > 0, "spill file size %d", size)
			left, err := os.ReadDir(dir)
			require.NoError(t, err)
			assert.Empty(t, left, "the spill file is unlinked at once")
		})
	}
}

func ids(rs []connectors.Record) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.ID
	}
	return out
}

// A character XML 1.0 does not allow, which UNAS writes as is inside CDATA (a U+000B pasted
// into a name), is dropped before decoding: encoding/xml would refuse the whole page, which
// would then be retried forever.
func TestCharactersXMLRefusesAreDropped(t *testing.T) {
	e := start(t, sim.Options{})
	e.s.SeedOrders(0, 3, t0.Add(-time.Hour))
	key := e.s.Dump()[0].Key
	e.s.EditOrder(key, func(o *sim.Order) {
		o.Customer.Contact.Name = "Kovács\vJános\x00"
		o.Customer.Addresses.Invoice.City = "Buda\x1fpest\uFFFE"
	})
	page, err := e.c.List(context.Background(), ObjectOrder, connectors.ListQuery{})
	require.NoError(t, err)
	require.Len(t, page.Records, 3)
	got := page.Records[2]
	assert.Equal(t, key, got.Fields["key"])
	assert.Equal(t, "KovácsJános", got.Fields["customer_name"])
	cs, err := e.c.FindByKey(context.Background(), ObjectCustomer, "email", []string{got.Fields["customer_email"].(string)})
	require.NoError(t, err)
	require.Len(t, cs, 1)
	assert.Contains(t, cs[0].Fields["invoice_address"], "Budapest")
}

func TestXMLChars(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{name: "clean", in: "<a>Kovács János\t\r\n😀</a>", want: "<a>Kovács János\t\r\n😀</a>"},
		{name: "C0 controls", in: "<a>\x00a\vb\x1f</a>", want: "<a>ab</a>"},
		{name: "non-characters", in: "<a>a\uFFFEb\uFFFF</a>", want: "<a>ab</a>"},
		{name: "invalid UTF-8", in: "<a>a\xffb</a>", want: "<a>a\uFFFDb</a>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, string(xmlChars([]byte(tt.in))))
			var v struct {
				A string `xml:",chardata"`
			}
			assert.NoError(t, decodeXML([]byte(tt.in), &v))
		})
	}
}

func TestXMLCharRefs(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{name: "characters kept", in: "<a>&#xE1;&#225;&#x219;&#9;&#xA;&amp;</a>", want: "<a>&#xE1;&#225;&#x219;&#9;&#xA;&amp;</a>"},
		{name: "C0 controls dropped", in: "<a>a&#xB;b&#11;c&#0;d&#X1F;</a>", want: "<a>abcd</a>"},
		{name: "non-characters and surrogates dropped", in: "<a>a&#xFFFE;b&#xD800;</a>", want: "<a>ab</a>"},
		{name: "inside CDATA it is text", in: "<a><![CDATA[a&#11;b]]>&#11;</a>", want: "<a><![CDATA[a&#11;b]]></a>"},
		{name: "beyond Unicode: text encoding/xml keeps", in: "<a>&#x110000;&#99999999999;</a>", want: "<a>&#x110000;&#99999999999;</a>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, string(xmlCharRefs([]byte(tt.in))))
			var v struct {
				A string `xml:",chardata"`
			}
			assert.NoError(t, decodeXML([]byte(tt.in), &v))
		})
	}
}

// rawShop answers getOrder (by Key and multi-order alike) and getOrderStatus with the raw XML
// given, after a plain login.
func rawShop(t *testing.T, orders, statuses string) *Client {
	t.Helper()
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/shop/login":
			_, _ = w.Write([]byte(`<?xml version="1.0" encoding="UTF-8"?><Login><Token>t</Token><Subscription>PREMIUM</Subscription><Status>ok</Status></Login>`))
		case "/shop/getOrder":
			_, _ = w.Write([]byte(orders))
		case "/shop/getOrderStatus":
			_, _ = w.Write([]byte(statuses))
		}
	}))
	t.Cleanup(ts.Close)
	c, err := New(Config{BaseURL: ts.URL + "/shop", APIKey: "k", Now: func() time.Time { return t0 }})
	require.NoError(t, err)
	return c
}

// rawOrder is one order as UNAS writes it, with the invoice URL, customer name and params
// given as they stand in the XML (outside CDATA).
func rawOrder(key, url, name, params string) string {
	return `<Order><Key>` + key + `</Key><Id>` + key + `</Id><Date>2026.03.01 09:00:00</Date><DateMod>2026.03.01 09:30:00</DateMod>` +
		`<Customer><Email><![CDATA[p` + key + `@example.com]]></Email><Contact><Name>` + name + `</Name></Contact></Customer>` +
		`<Status><![CDATA[Beérkezett]]></Status>` + params + `<Invoice><Status>2</Status><Url>` + url + `</Url></Invoice>` +
		`<SumPriceGross>100</SumPriceGross></Order>`
}

// UNAS writes some texts without CDATA: a raw "&" in an invoice URL's query, or an HTML entity,
// would make strict encoding/xml refuse the whole page, retried forever at one of the 30
// multi-order calls an hour. Such pages are read leniently; one that still cannot be read is
// a configuration error naming the call and what it asked (the sync pauses, for someone to
// look), not a retry.
func TestLenientXML(t *testing.T) {
	const head = `<?xml version="1.0" encoding="UTF-8" ?>`
	statuses := head + `<OrderStatuses><OrderStatus><Id>1</Id><Name>Beérkezett</Name><Type>open_normal</Type></OrderStatus></OrderStatuses>`
	params := `<Params><Param><Id>1</Id><Name>Note</Name><Value>x</Value></Param></Params>`
	readable := []struct {
		name, order       string
		wantURL, wantName string
	}{
		{name: "raw & in a URL", order: rawOrder("1", "https://shop.hu/inv?id=1&h=2", "Kovács", ""),
			wantURL: "https://shop.hu/inv?id=1&h=2", wantName: "Kovács"},
		{name: "HTML entities", order: rawOrder("1", "https://shop.hu/inv?id=1&amp;h=2", "Kov&aacute;cs&nbsp;J&aacute;nos", ""),
			wantURL: "https://shop.hu/inv?id=1&h=2", wantName: "Kovács\u00a0János"},
		// A character XML 1.0 does not allow, written as a character reference outside
		// CDATA (libxml2 escapes a pasted U+000B so), is dropped as the character itself
		// is: encoding/xml refuses the reference, and the order would be quarantined.
		{name: "character references XML does not allow", order: rawOrder("1", "https://shop.hu/inv?id=1&amp;h=2", "Kov&#xE1;cs&#xB; J&#11;&#225;nos&#x1f;&#0; Mure&#x219;", ""),
			wantURL: "https://shop.hu/inv?id=1&h=2", wantName: "Kovács János Mureș"},
		// HTML's AutoClose list holds "param": UNAS's <Param> must not close at once
		{name: "order params", order: rawOrder("1", "https://shop.hu/inv?id=1&h=2", "Kovács", params),
			wantURL: "https://shop.hu/inv?id=1&h=2", wantName: "Kovács"},
	}
	for _, tt := range readable {
		t.Run(tt.name, func(t *testing.T) {
			c := rawShop(t, head+`<Orders>`+tt.order+rawOrder("2", "https://shop.hu/b", "Second", "")+`</Orders>`, statuses)
			page, err := c.List(context.Background(), ObjectOrder, connectors.ListQuery{})
			require.NoError(t, err)
			require.Len(t, page.Records, 2, "the whole page is read")
			f := page.Records[0].Fields
			assert.Equal(t, tt.wantURL, f["invoice_url"])
			assert.Equal(t, tt.wantName, f["customer_name"])
			assert.Equal(t, "Beérkezett", f["status"])
			assert.Equal(t, 100.0, f["total"], "read past the order's params")
			assert.Equal(t, "2", page.Records[1].Fields["key"])
		})
	}

	unreadable := []struct {
		name, orders, statuses string
		read                   func(c *Client) error
		want                   []string
	}{
		{name: "listing cut short", orders: head + `<Orders>` + rawOrder("1", "u", "n", "") + `<Order><Key>2</Key>`,
			read: func(c *Client) error {
				_, err := c.List(context.Background(), ObjectOrder, connectors.ListQuery{Since: t0.Add(-time.Hour)})
				return err
			},
			want: []string{"POST getOrder", "LimitStart 0", "TimeModStart 1772355599 = 2026-03-01T08:59:59Z", "TimeModEnd 1772359200 = 2026-03-01T10:00:00Z", "unexpected EOF"}},
		{name: "order by key, empty answer", orders: "",
			read: func(c *Client) error {
				_, err := c.Get(context.Background(), ObjectOrder, []string{"1@20260301090000"})
				return err
			},
			want: []string{"POST getOrder", "(Key 1)", "empty"}},
		{name: "e-mail lookup, not the address", orders: head + `<Orders><Order>`,
			read: func(c *Client) error {
				_, err := c.FindByKey(context.Background(), ObjectCustomer, "email", []string{"p1@example.com"})
				return err
			},
			want: []string{"POST getOrder", "Email (an address)"}},
		{name: "statuses", statuses: head + `<OrderStatuses><OrderStatus>`,
			read: func(c *Client) error {
				_, err := c.Statuses(context.Background())
				return err
			},
			want: []string{"POST getOrderStatus", "unexpected EOF"}},
	}
	for _, tt := range unreadable {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.read(rawShop(t, tt.orders, tt.statuses))
			require.Equal(t, connectors.KindConfig, connectors.KindOf(err), "%v", err)
			for _, w := range tt.want {
				assert.Contains(t, err.Error(), w)
			}
			assert.NotContains(t, err.Error(), "p1@example.com")
		})
	}
}

// UNAS writes Date and DateMod without a zone, in shop time (time_zone): they are given in
// RFC 3339 with the shop's offset then, the instants they stand for. Given without a zone,
// they were taken for UTC, an hour or two off, and refused by MiniCRM's DateTime fields.
func TestOrderDatesCarryTheShopOffset(t *testing.T) {
	tests := []struct {
		name        string
		placed      time.Time // UTC
		wantDate    string
		wantDateMod string
	}{
		{name: "winter", placed: time.Date(2026, 1, 14, 23, 9, 18, 0, time.UTC),
			wantDate: "2026-01-15T00:09:18+01:00", wantDateMod: "2026-01-15T00:10:18+01:00"},
		{name: "summer", placed: time.Date(2026, 7, 14, 22, 9, 18, 0, time.UTC),
			wantDate: "2026-07-15T00:09:18+02:00", wantDateMod: "2026-07-15T00:10:18+02:00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := simkit.NewClock(tt.placed.Add(time.Hour))
			s := sim.New(sim.Options{APIKey: "k", Now: clk.Now})
			s.SeedOrders(0, 1, tt.placed)
			ts := httptest.NewServer(s)
			defer ts.Close()
			c, err := New(Config{BaseURL: ts.URL + "/shop", APIKey: "k", Now: clk.Now})
			require.NoError(t, err)
			page, err := c.List(context.Background(), ObjectOrder, connectors.ListQuery{})
			require.NoError(t, err)
			require.Len(t, page.Records, 1)
			f := page.Records[0].Fields
			assert.Equal(t, tt.wantDate, f["date"])
			assert.Equal(t, tt.wantDateMod, f["date_mod"])
			placed, err := time.Parse(time.RFC3339, f["date"].(string))
			require.NoError(t, err)
			assert.True(t, placed.Equal(tt.placed), "the instant UNAS means: %s", placed)
			assert.True(t, page.Records[0].UpdatedAt.Equal(tt.placed.Add(time.Minute)))
		})
	}
}
