package sim

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/crmsync/crmsync/connectors/simkit"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type env struct {
	s   *Server
	ts  *httptest.Server
	clk *simkit.Clock
	tok string
}

var t0 = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)

func start(t *testing.T, o Options) *env {
	t.Helper()
	clk := simkit.NewClock(t0)
	o.APIKey, o.Now = "key-123", clk.Now
	s := New(o)
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	e := &env{s: s, ts: ts, clk: clk}
	st, body := e.post(t, "login", "", "<Params><ApiKey>key-123</ApiKey></Params>")
	require.Equal(t, 200, st, body)
	var l struct {
		Token string `xml:"Token"`
	}
	require.NoError(t, xml.Unmarshal([]byte(body), &l))
	e.tok = l.Token
	return e
}

func (e *env) post(t *testing.T, fn, tok, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest("POST", e.ts.URL+"/shop/"+fn, strings.NewReader(`<?xml version="1.0" encoding="UTF-8" ?>`+body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/xml")
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

type orders struct {
	Orders []struct {
		Key      string `xml:"Key"`
		ID       int    `xml:"Id"`
		Date     string `xml:"Date"`
		DateMod  string `xml:"DateMod"`
		Status   string `xml:"Status"`
		StatusID int    `xml:"StatusID"`
		Email    string `xml:"Customer>Email"`
		URL      string `xml:"Invoice>Url"`
	} `xml:"Order"`
}

func (e *env) getOrder(t *testing.T, params string) (int, orders, string) {
	t.Helper()
	st, body := e.post(t, "getOrder", e.tok, "<Params>"+params+"</Params>")
	var o orders
	if st == 200 {
		require.NoError(t, xml.Unmarshal([]byte(body), &o), body)
	}
	return st, o, body
}

func TestLogin(t *testing.T) {
	e := start(t, Options{})
	st, body := e.post(t, "login", "", "<Params><ApiKey>key-123</ApiKey><WebshopInfo>true</WebshopInfo></Params>")
	require.Equal(t, 200, st)
	var l struct {
		XMLName      xml.Name `xml:"Login"`
		Token        string   `xml:"Token"`
		Expire       string   `xml:"Expire"`
		ShopID       string   `xml:"ShopId"`
		Subscription string   `xml:"Subscription"`
		Permissions  []string `xml:"Permissions>Permission"`
		Status       string   `xml:"Status"`
	}
	require.NoError(t, xml.Unmarshal([]byte(body), &l))
	assert.NotEmpty(t, l.Token)
	assert.Equal(t, "2026.03.01 13:00:00", l.Expire, "2 hours, Budapest time (UTC+1 in March)")
	assert.Equal(t, "12345", l.ShopID)
	assert.Equal(t, "PREMIUM", l.Subscription)
	assert.Contains(t, l.Permissions, "getOrder")
	assert.Equal(t, "ok", l.Status)
	assert.Equal(t, 2, e.s.Logins())

	st, body = e.post(t, "login", "", "<Params><ApiKey>wrong</ApiKey></Params>")
	assert.Equal(t, 400, st)
	assert.Contains(t, body, "<Error>Invalid ApiKey</Error>")

	st, _, body = func() (int, orders, string) { e.tok = "nope"; return e.getOrder(t, "") }()
	assert.Equal(t, 400, st, "UNAS's one error shape: 400 + <Error>")
	assert.Contains(t, body, "<Error>Invalid token</Error>")
	e.tok = l.Token
	e.clk.Advance(2 * time.Hour)
	st, _, body = e.getOrder(t, "")
	assert.Equal(t, 400, st, "the token lasts 2 hours")
	assert.Contains(t, body, "<Error>Invalid token</Error>")
}

func TestGetOrderFilters(t *testing.T) {
	e := start(t, Options{Limits: map[string]int{LimitGetOrder: 1000}})
	e.s.SeedOrders(0, 1200, t0.Add(-200*time.Hour))
	all := e.s.Dump()
	require.Len(t, all, 1200)
	mid := all[600].Modified
	wantMod := 0
	for _, o := range all {
		if !o.Modified.Before(mid) && !o.Modified.After(mid.Add(10*time.Hour)) {
			wantMod++
		}
	}
	placed := all[300].Created
	wantPlaced, wantBefore, wantBoth := 0, 0, 0
	for _, o := range all {
		if !o.Created.Before(placed) {
			wantPlaced++
		}
		if !o.Created.After(placed) {
			wantBefore++
		}
		if !o.Created.Before(mid) && !o.Modified.Before(mid) && !o.Modified.After(mid.Add(10*time.Hour)) {
			wantBoth++
		}
	}
	require.Less(t, wantBoth, wantMod, "some orders modified in the window were placed before it")
	closeOK := 0
	for _, o := range all {
		if o.StatusID == 4 {
			closeOK++
		}
	}
	email := string(all[10].Customer.Email)
	cases := []struct {
		name   string
		params string
		status int
		n      int
		err    string
	}{
		{"default at most 500", "", 200, 500, ""},
		{"LimitNum 500", "<LimitNum>500</LimitNum>", 200, 500, ""},
		{"LimitNum 501 refused", "<LimitNum>501</LimitNum>", 400, 0, "LimitNum"},
		{"LimitStart", "<LimitNum>500</LimitNum><LimitStart>1000</LimitStart>", 200, 200, ""},
		{"LimitStart without LimitNum", "<LimitStart>10</LimitStart>", 400, 0, "LimitStart"},
		{"Key", "<Key>" + all[5].Key + "</Key>", 200, 1, ""},
		{"unknown Key", "<Key>1</Key>", 200, 0, ""},
		{"TimeMod window", fmt.Sprintf("<TimeModStart>%d</TimeModStart><TimeModEnd>%d</TimeModEnd>", mid.Unix(), mid.Add(10*time.Hour).Unix()), 200, wantMod, ""},
		{"TimeStart: placed then or later", fmt.Sprintf("<LimitNum>500</LimitNum><LimitStart>500</LimitStart><TimeStart>%d</TimeStart>", placed.Unix()), 200, wantPlaced - 500, ""},
		{"TimeEnd: placed then or earlier", fmt.Sprintf("<TimeEnd>%d</TimeEnd>", placed.Unix()), 200, wantBefore, ""},
		{"TimeStart with the TimeMod window", fmt.Sprintf("<TimeStart>%d</TimeStart><TimeModStart>%d</TimeModStart><TimeModEnd>%d</TimeModEnd>", mid.Unix(), mid.Unix(), mid.Add(10*time.Hour).Unix()), 200, wantBoth, ""},
		{"StatusID", "<StatusID>4</StatusID>", 200, closeOK, ""},
		{"StatusName", "<StatusName>Teljesítve</StatusName>", 200, closeOK, ""},
		{"Status type", "<Status>close_ok</Status>", 200, closeOK, ""},
		{"Email", "<Email>" + strings.ToUpper(email) + "</Email>", 200, 1, ""},
		{"bad time", "<TimeModStart>yesterday</TimeModStart>", 400, 0, "time"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st, o, body := e.getOrder(t, c.params)
			require.Equal(t, c.status, st, body)
			if c.status != 200 {
				assert.Contains(t, body, "<Error>")
				assert.Contains(t, body, c.err)
				return
			}
			if c.n < 500 || c.params != "" {
				assert.Len(t, o.Orders, min(c.n, 500))
			}
		})
	}
	// paging is stable and ordered by DateMod
	var keys []string
	for startAt := 0; ; startAt += 500 {
		st, o, _ := e.getOrder(t, fmt.Sprintf("<LimitNum>500</LimitNum><LimitStart>%d</LimitStart>", startAt))
		require.Equal(t, 200, st)
		for _, x := range o.Orders {
			keys = append(keys, x.Key)
		}
		if len(o.Orders) < 500 {
			break
		}
	}
	require.Len(t, keys, 1200)
	for i, o := range all {
		assert.Equal(t, o.Key, keys[i])
	}
}

func TestCDATAAndFields(t *testing.T) {
	e := start(t, Options{})
	e.s.SeedOrders(0, 3, t0.Add(-time.Hour))
	st, o, body := e.getOrder(t, "")
	require.Equal(t, 200, st)
	require.Len(t, o.Orders, 3)
	assert.Contains(t, body, "<Status><![CDATA[")
	assert.Contains(t, body, "<Email><![CDATA[person000000@example.com]]></Email>")
	assert.Contains(t, body, "<CustomerType><![CDATA[company]]></CustomerType>", "person 0 orders as a company")
	assert.Contains(t, body, "<Url><![CDATA[https://")
	assert.Regexp(t, `^\d{4}\.\d{2}\.\d{2} \d{2}:\d{2}:\d{2}$`, o.Orders[0].DateMod)
	assert.NotEmpty(t, o.Orders[0].Status)
	assert.NotZero(t, o.Orders[0].StatusID)
}

func TestHourlyLimitThenBan(t *testing.T) {
	cases := []struct {
		name  string
		ban   string
		bangs []bool // spelling of the first and second ban
	}{
		{"plain", BanPlain, []bool{false, false}},
		{"bang", BanBang, []bool{true, true}},
		{"alternate", BanAlternate, []bool{false, true}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := start(t, Options{Ban: c.ban})
			e.s.SeedOrders(0, 5, t0.Add(-time.Hour))
			for ban := 0; ban < 2; ban++ {
				for i := 0; i < 30; i++ {
					st, _, body := e.getOrder(t, "<LimitNum>500</LimitNum>")
					require.Equal(t, 200, st, "call %d: %s", i, body)
				}
				// single-order calls have their own budget
				st, _, _ := e.getOrder(t, "<Key>250001</Key>")
				require.Equal(t, 200, st)
				st, _, body := e.getOrder(t, "<LimitNum>500</LimitNum>")
				require.Equal(t, 400, st)
				till := e.clk.Now().Add(time.Hour).In(e.s.Location()).Format("01.02.2006 15:04:05")
				want := "<Error>Too much getOrder query, IP is banned till " + till
				if c.bangs[ban] {
					want += "!"
				}
				assert.Contains(t, body, want+"</Error>")
				// banned until that time, for every getOrder call
				e.clk.Advance(59 * time.Minute)
				st, _, body = e.getOrder(t, "<Key>250001</Key>")
				assert.Equal(t, 400, st)
				assert.Contains(t, body, "IP is banned till "+till)
				st, _ = e.post(t, "getOrderStatus", e.tok, "<Params/>")
				assert.Equal(t, 200, st, "the ban is per function")
				e.clk.Advance(time.Minute)
				st, _, body = e.getOrder(t, "<LimitNum>500</LimitNum>")
				require.Equal(t, 200, st, body)
				e.clk.Advance(time.Hour) // the hour of calls is over, and the token
				st, lb := e.post(t, "login", "", "<Params><ApiKey>key-123</ApiKey></Params>")
				require.Equal(t, 200, st)
				var l struct{ Token string }
				require.NoError(t, xml.Unmarshal([]byte(lb), &l))
				e.tok = l.Token
			}
		})
	}
}

func TestDeleteAndReuseKey(t *testing.T) {
	e := start(t, Options{})
	e.s.SeedOrders(0, 2, t0.Add(-time.Hour))
	old := e.s.Dump()[0]
	e.s.DeleteOrder(old.Key)
	assert.Equal(t, 1, e.s.Count())
	st, o, _ := e.getOrder(t, "<Key>"+old.Key+"</Key>")
	require.Equal(t, 200, st)
	assert.Empty(t, o.Orders)
	e.clk.Advance(time.Minute)
	e.s.ReuseKey(old.Key)
	st, o, _ = e.getOrder(t, "<Key>"+old.Key+"</Key>")
	require.Equal(t, 200, st)
	require.Len(t, o.Orders, 1)
	assert.Equal(t, old.Key, o.Orders[0].Key)
	assert.NotEqual(t, old.ID, o.Orders[0].ID)
	assert.NotEqual(t, old.Created.In(e.s.Location()).Format(DateLayout), o.Orders[0].Date)
	assert.NotEqual(t, string(old.Customer.Email), o.Orders[0].Email)
}

func TestSetStatusBumpsDateMod(t *testing.T) {
	e := start(t, Options{})
	e.s.SeedOrders(0, 1, t0.Add(-time.Hour))
	o := e.s.Dump()[0]
	e.clk.Advance(time.Minute)
	e.s.SetStatus(o.Key, "Teljesítve")
	n := e.s.Dump()[0]
	assert.Equal(t, Text("Teljesítve"), n.Status)
	assert.Equal(t, 4, n.StatusID)
	assert.True(t, n.Modified.After(o.Modified))
	st, got, _ := e.getOrder(t, fmt.Sprintf("<TimeModStart>%d</TimeModStart>", e.clk.Now().Unix()))
	require.Equal(t, 200, st)
	assert.Len(t, got.Orders, 1)
}

// An order has no invoice number or PDF until a status that bills it (Szállítás alatt,
// Teljesítve): seeded orders in the first statuses have none, and moving one to a billing
// status issues its invoice, which a cancellation keeps.
func TestInvoicedOnlyOnceBilled(t *testing.T) {
	e := start(t, Options{})
	e.s.SeedOrders(0, 10, t0.Add(-time.Hour))
	invoiced := 0
	for _, o := range e.s.Dump() {
		billed := o.StatusID == 3 || o.StatusID == 4
		assert.Equal(t, billed, o.Invoice.Number != "", "order %s in %s: invoice number %q", o.Key, o.Status, o.Invoice.Number)
		assert.Equal(t, billed, o.Invoice.URL != "", "order %s in %s: invoice URL %q", o.Key, o.Status, o.Invoice.URL)
		wantStatus := 1 // billable
		switch {
		case billed:
			wantStatus = 2
		case o.StatusID == 5:
			wantStatus = 0 // a cancelled order is not billable
		}
		assert.Equal(t, wantStatus, o.Invoice.Status, "order %s", o.Key)
		if billed {
			invoiced++
		}
	}
	assert.Equal(t, 4, invoiced, "two statuses of five bill an order")

	tests := []struct {
		name       string
		moves      []string
		wantNumber bool
	}{
		{name: "received", moves: []string{"Beérkezett"}},
		{name: "shipped", moves: []string{"Beérkezett", "Szállítás alatt"}, wantNumber: true},
		{name: "cancelled after shipping keeps the invoice", moves: []string{"Beérkezett", "Teljesítve", "Törölve"}, wantNumber: true},
		{name: "cancelled before", moves: []string{"Beérkezett", "Törölve"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.s.SeedOrders(0, 1, t0)
			key := strconv.Itoa(e.s.nextKey)
			for _, st := range tt.moves {
				e.s.SetStatus(key, st)
			}
			_, o, body := e.getOrder(t, "<Key>"+key+"</Key>")
			require.Len(t, o.Orders, 1, body)
			assert.Equal(t, tt.wantNumber, o.Orders[0].URL != "", body)
			assert.Equal(t, tt.wantNumber, strings.Contains(body, "<Number><![CDATA[SZ-"), body)
		})
	}
}

// EditOrder changes an order as the back office does and moves DateMod; a Date set on it is
// answered as is, and text goes out as it is, characters XML 1.0 refuses included.
func TestEditOrder(t *testing.T) {
	e := start(t, Options{})
	e.s.SeedOrders(0, 1, t0.Add(-time.Hour))
	before := e.s.Dump()[0]
	e.clk.Advance(time.Minute)
	e.s.EditOrder(before.Key, func(o *Order) {
		o.Customer.Contact.Name = "Kovács\vJános"
		o.Date = "2026.02.30 25:61:00"
	})
	after := e.s.Dump()[0]
	assert.True(t, after.Modified.After(before.Modified))
	assert.Equal(t, "2026.02.30 25:61:00", after.Date)
	st, body := e.post(t, "getOrder", e.tok, "<Params></Params>")
	require.Equal(t, 200, st)
	assert.Contains(t, body, "<Name><![CDATA[Kovács\vJános]]></Name>")
	assert.Contains(t, body, "<Date>2026.02.30 25:61:00</Date>")
	var o orders
	assert.ErrorContains(t, xml.Unmarshal([]byte(body), &o), "illegal character code U+000B")
}

func TestGetOrderStatus(t *testing.T) {
	e := start(t, Options{})
	st, body := e.post(t, "getOrderStatus", e.tok, "<Params></Params>")
	require.Equal(t, 200, st)
	var out struct {
		XMLName  xml.Name `xml:"OrderStatuses"`
		Statuses []struct {
			ID   int    `xml:"Id"`
			Name string `xml:"Name"`
			Type string `xml:"Type"`
		} `xml:"OrderStatus"`
	}
	require.NoError(t, xml.Unmarshal([]byte(body), &out))
	require.Len(t, out.Statuses, len(DefaultStatuses))
	assert.Equal(t, "Beérkezett", out.Statuses[0].Name)
	assert.Equal(t, "close_ok", out.Statuses[3].Type)
	assert.Contains(t, body, "<Name><![CDATA[Beérkezett]]></Name>")
	st, body = e.post(t, "getOrderStatus", e.tok, "<Params><Type>close_fault</Type></Params>")
	require.Equal(t, 200, st)
	out.Statuses = nil
	require.NoError(t, xml.Unmarshal([]byte(body), &out))
	assert.Len(t, out.Statuses, 1)
}

func TestPermissionsAndAdmin(t *testing.T) {
	e := start(t, Options{Permissions: []string{"getOrderStatus"}})
	st, _, body := e.getOrder(t, "")
	assert.Equal(t, 403, st, body)

	e = start(t, Options{})
	resp, err := http.Post(e.ts.URL+"/_sim/seed", "application/json", strings.NewReader(`{"first":0,"n":7}`))
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, 7, e.s.Count())
	resp, err = http.Get(e.ts.URL + "/_sim/dump")
	require.NoError(t, err)
	var dump []map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&dump))
	resp.Body.Close()
	assert.Len(t, dump, 7)
	resp, err = http.Post(e.ts.URL+"/_sim/ban", "application/json", strings.NewReader(`{"function":"getOrder","minutes":30}`))
	require.NoError(t, err)
	resp.Body.Close()
	st, _, body = e.getOrder(t, "")
	assert.Equal(t, 400, st)
	assert.Contains(t, body, "IP is banned till 03.01.2026 11:30:00", "30 minutes, Budapest time")
	resp, err = http.Get(e.ts.URL + "/_sim/stats")
	require.NoError(t, err)
	var stats struct{ Total int }
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&stats))
	resp.Body.Close()
	assert.Positive(t, stats.Total)
	resp, err = http.Post(e.ts.URL+"/_sim/reset", "", nil)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Zero(t, e.s.Count())
}
