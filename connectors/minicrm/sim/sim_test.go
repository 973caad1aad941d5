package sim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/crmsync/crmsync/connectors/simkit"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func start(t *testing.T, o Options) (*Server, *httptest.Server, *simkit.Clock) {
	t.Helper()
	c := simkit.NewClock(time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC))
	o.SystemID, o.APIKey, o.Now = "12345", "k3y", c.Now
	if o.RequestsPerMinute == 0 {
		o.RequestsPerMinute = -1
	}
	s := New(o)
	ts := httptest.NewUnstartedServer(s)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ts.Listener = l
	ts.Start()
	t.Cleanup(ts.Close)
	return s, ts, c
}

func call(t *testing.T, ts *httptest.Server, method, path string, body any) (int, map[string]any, string) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		require.NoError(t, err)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, ts.URL+path, rd)
	require.NoError(t, err)
	req.SetBasicAuth("12345", "k3y")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	var out map[string]any
	_ = json.Unmarshal(raw, &out)
	return resp.StatusCode, out, string(raw)
}

func put(t *testing.T, ts *httptest.Server, path string, body any) int {
	t.Helper()
	st, out, raw := call(t, ts, http.MethodPut, path, body)
	require.Equal(t, 200, st, raw)
	return int(out["Id"].(float64))
}

func TestAuth(t *testing.T) {
	_, ts, _ := start(t, Options{})
	req, _ := http.NewRequest(http.MethodGet, ts.URL+"/Api/R3/Category", nil)
	req.SetBasicAuth("12345", "wrong")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, 401, resp.StatusCode)
}

func TestCategoryAndSchema(t *testing.T) {
	_, ts, _ := start(t, Options{})
	st, out, _ := call(t, ts, "GET", "/Api/R3/Category", nil)
	require.Equal(t, 200, st)
	assert.Equal(t, map[string]any{"20": "Orders", "21": "Webshop"}, out)
	_, out, _ = call(t, ts, "GET", "/Api/R3/Category?Detailed=1", nil)
	assert.Equal(t, "Webshop", out["21"].(map[string]any)["Name"])
	assert.Equal(t, "Generic", out["20"].(map[string]any)["Type"])
	_, out, _ = call(t, ts, "GET", "/Api/R3/Schema/Project/20", nil)
	assert.Equal(t, "Url", out["Url1201"])
	assert.Equal(t, "Shipped", out["StatusId"].(map[string]any)["2003"])
	assert.Equal(t, "Ana Popescu", out["UserId"].(map[string]any)["101"])
	st, _, raw := call(t, ts, "GET", "/Api/R3/Schema/Project/99", nil)
	assert.Equal(t, 404, st, raw)
}

func TestContacts(t *testing.T) {
	_, ts, _ := start(t, Options{})
	b := put(t, ts, "/Api/R3/Contact", map[string]any{"Type": "Business", "Name": "Acme Kft"})
	p := put(t, ts, "/Api/R3/Contact", map[string]any{"Type": "Person", "FirstName": "Anna", "LastName": "Kiss", "Email": "Anna.Kiss@example.com", "BusinessId": b})
	_, out, _ := call(t, ts, "GET", "/Api/R3/Contact?Email=anna.kiss@example.com", nil)
	assert.EqualValues(t, 1, out["Count"])
	r := out["Results"].(map[string]any)[strconv.Itoa(p)].(map[string]any)
	assert.EqualValues(t, b, r["BusinessId"])
	assert.Equal(t, "Anna Kiss", r["Name"])
	_, out, _ = call(t, ts, "GET", fmt.Sprintf("/Api/R3/Contact?MainContactId=%d", b), nil)
	assert.EqualValues(t, 1, out["Count"])
	_, out, _ = call(t, ts, "GET", fmt.Sprintf("/Api/R3/Contact/%d", p), nil)
	assert.Equal(t, "Person", out["Type"])

	for name, tc := range map[string]struct {
		body map[string]any
		want string
	}{
		"bad email":    {map[string]any{"Type": "Person", "Email": "nope"}, "Contact (PUT): Invalid value 'nope' for the Email field."},
		"bad business": {map[string]any{"Type": "Person", "Email": "a@b.hu", "BusinessId": p}, fmt.Sprintf("Contact (PUT): Invalid value '%d' for the BusinessId field.", p)},
		"no type":      {map[string]any{"Name": "X"}, "Contact (PUT): Invalid value '' for the Type field."},
		"unknown":      {map[string]any{"Type": "Business", "Name": "X", "Foo": 1}, "Contact (PUT): Unknown field 'Foo'."},
	} {
		t.Run(name, func(t *testing.T) {
			st, _, raw := call(t, ts, "PUT", "/Api/R3/Contact", tc.body)
			assert.Equal(t, 400, st)
			assert.Equal(t, tc.want, raw)
		})
	}
}

func TestProjectPagingIsZeroBasedAndIDKeyed(t *testing.T) {
	_, ts, _ := start(t, Options{})
	for i := range 250 {
		put(t, ts, "/Api/R3/Project", map[string]any{"CategoryId": 20, "Name": fmt.Sprint("Order ", i)})
	}
	seen := map[string]bool{}
	for page, want := range []int{100, 100, 50, 0} {
		_, out, _ := call(t, ts, "GET", fmt.Sprintf("/Api/R3/Project?CategoryId=20&Page=%d", page), nil)
		assert.EqualValues(t, 250, out["Count"])
		res := out["Results"].(map[string]any)
		assert.Len(t, res, want, "page %d", page)
		for id, r := range res {
			assert.Equal(t, id, fmt.Sprint(r.(map[string]any)["Id"]))
			assert.False(t, seen[id])
			seen[id] = true
		}
	}
	assert.Len(t, seen, 250)
	_, out, _ := call(t, ts, "GET", "/Api/R3/Project?CategoryId=21", nil)
	assert.EqualValues(t, 0, out["Count"])
}

func TestUpdatedSinceIsHungarianTime(t *testing.T) {
	_, ts, c := start(t, Options{})
	// Winter (UTC+1) and summer (UTC+2) cards.
	c.Set(time.Date(2026, 3, 29, 0, 30, 0, 0, time.UTC)) // 01:30 CET
	winter := put(t, ts, "/Api/R3/Project", map[string]any{"CategoryId": 20, "Name": "w"})
	c.Set(time.Date(2026, 3, 29, 1, 30, 0, 0, time.UTC)) // 03:30 CEST
	summer := put(t, ts, "/Api/R3/Project", map[string]any{"CategoryId": 20, "Name": "s"})
	for _, tc := range []struct {
		since string
		want  []int
	}{
		{"2026-03-29 01:30:00", []int{winter, summer}},
		{"2026-03-29 01:30:01", []int{summer}},
		{"2026-03-29 03:30:00", []int{summer}},
		{"2026-03-29 03:30:01", nil},
		{"2026-03-29", []int{winter, summer}},
	} {
		_, out, raw := call(t, ts, "GET", "/Api/R3/Project?UpdatedSince="+url.QueryEscape(tc.since), nil)
		var got []int
		for id := range out["Results"].(map[string]any) {
			n, _ := strconv.Atoi(id)
			got = append(got, n)
		}
		assert.ElementsMatch(t, tc.want, got, "%s: %s", tc.since, raw)
	}
	_, out, _ := call(t, ts, "GET", fmt.Sprintf("/Api/R3/Project/%d", summer), nil)
	assert.Equal(t, "2026-03-29 03:30:00", out["UpdatedAt"])
	st, _, _ := call(t, ts, "GET", "/Api/R3/Project?UpdatedSince=yesterday", nil)
	assert.Equal(t, 400, st)
}

func TestProjectDropdownsByLabelOrID(t *testing.T) {
	_, ts, _ := start(t, Options{})
	for _, tc := range []struct {
		name       string
		body       map[string]any
		status     string
		user, enum string
	}{
		{"ids", map[string]any{"StatusId": 2003, "UserId": 102, "Enum1204": 3002}, "Shipped", "Bence Kovács", "Bank transfer"},
		{"id strings", map[string]any{"StatusId": "2003", "UserId": "102", "Enum1204": "3002"}, "Shipped", "Bence Kovács", "Bank transfer"},
		{"labels", map[string]any{"StatusId": "In progress", "UserId": "Ioana Ionescu", "Enum1204": "Card"}, "In progress", "Ioana Ionescu", "Card"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := map[string]any{"CategoryId": 20, "Name": "x"}
			for k, v := range tc.body {
				body[k] = v
			}
			id := put(t, ts, "/Api/R3/Project", body)
			_, out, _ := call(t, ts, "GET", fmt.Sprintf("/Api/R3/Project/%d", id), nil)
			assert.Equal(t, tc.status, out["StatusId"])
			assert.Equal(t, tc.user, out["UserId"])
			assert.Equal(t, tc.enum, out["Enum1204"])
		})
	}
	_, out, _ := call(t, ts, "GET", "/Api/R3/Project?StatusId=Shipped", nil)
	assert.EqualValues(t, 2, out["Count"])
	_, out, _ = call(t, ts, "GET", "/Api/R3/Project?Enum1204=3001", nil)
	assert.EqualValues(t, 1, out["Count"])
}

func TestProjectPlainText400(t *testing.T) {
	_, ts, _ := start(t, Options{})
	for name, tc := range map[string]struct {
		body map[string]any
		want string
	}{
		"enum":     {map[string]any{"CategoryId": 20, "Name": "x", "Enum1204": "Crypto"}, "Project (PUT): Invalid value 'Such value cannot be found in CRM' for the Enum1204 field."},
		"status":   {map[string]any{"CategoryId": 20, "Name": "x", "StatusId": "Registered"}, "Project (PUT): Invalid value 'Such value cannot be found in CRM' for the StatusId field."},
		"category": {map[string]any{"Name": "x"}, "Project (PUT): Invalid value '' for the CategoryId field."},
		"name":     {map[string]any{"CategoryId": 21}, "Project (PUT): The Name field is required."},
		"unknown":  {map[string]any{"CategoryId": 21, "Name": "x", "Url1201": "http://x"}, "Project (PUT): Unknown field 'Url1201'."},
		"int":      {map[string]any{"CategoryId": 20, "Name": "x", "Int1205": "lots"}, "Project (PUT): Invalid value 'lots' for the Int1205 field."},
		"contact":  {map[string]any{"CategoryId": 20, "Name": "x", "ContactId": 1}, "Project (PUT): Invalid value '1' for the ContactId field."},
		"date-time in RFC 3339": {map[string]any{"CategoryId": 20, "Name": "x", "DateTime1206": "2026-03-01T09:00:00Z"},
			"Project (PUT): Invalid value '2026-03-01T09:00:00Z' for the DateTime1206 field."},
		"date with a time": {map[string]any{"CategoryId": 20, "Name": "x", "Date1207": "2026-03-01 10:00:00"},
			"Project (PUT): Invalid value '2026-03-01 10:00:00' for the Date1207 field."},
	} {
		t.Run(name, func(t *testing.T) {
			req, _ := http.NewRequest("PUT", ts.URL+"/Api/R3/Project", bytes.NewReader(must(json.Marshal(tc.body))))
			req.SetBasicAuth("12345", "k3y")
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			defer resp.Body.Close()
			raw, _ := io.ReadAll(resp.Body)
			assert.Equal(t, 400, resp.StatusCode)
			assert.Contains(t, resp.Header.Get("Content-Type"), "text/plain")
			assert.Equal(t, tc.want, string(raw))
		})
	}
}

// DateTime fields take Hungarian wall time, or a day, and answer it as "2006-01-02 15:04:05";
// Date fields take and answer a day.
func TestProjectDateFields(t *testing.T) {
	_, ts, _ := start(t, Options{})
	tests := []struct {
		field, in, want string
	}{
		{field: "DateTime1206", in: "2026-03-01 10:09:18", want: "2026-03-01 10:09:18"},
		{field: "DateTime1206", in: "2026-03-01", want: "2026-03-01 00:00:00"},
		{field: "Date1207", in: "2026-03-01", want: "2026-03-01"},
	}
	for _, tt := range tests {
		t.Run(tt.field+" "+tt.in, func(t *testing.T) {
			st, out, raw := call(t, ts, "PUT", "/Api/R3/Project", map[string]any{"CategoryId": 20, "Name": "x", tt.field: tt.in})
			require.Equal(t, 200, st, raw)
			_, got, _ := call(t, ts, "GET", fmt.Sprintf("/Api/R3/Project/%v", out["Id"]), nil)
			assert.Equal(t, tt.want, got[tt.field])
		})
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func TestUnknownOwnerGetsRandomUser(t *testing.T) {
	s, ts, _ := start(t, Options{Seed: 7})
	known := map[string]bool{}
	for _, u := range s.Users() {
		known[u.Name] = true
	}
	for _, owner := range []any{999, "999", "Nobody Known"} {
		st, out, raw := call(t, ts, "PUT", "/Api/R3/Project", map[string]any{"CategoryId": 20, "Name": "x", "UserId": owner})
		require.Equal(t, 200, st, raw) // the quirk: no error
		_, got, _ := call(t, ts, "GET", fmt.Sprintf("/Api/R3/Project/%v", out["Id"]), nil)
		assert.True(t, known[got["UserId"].(string)], "owner %v replaced by a seeded user, got %v", owner, got["UserId"])
	}
}

func TestRateLimit(t *testing.T) {
	_, ts, c := start(t, Options{RequestsPerMinute: 60})
	for i := range 60 {
		st, _, _ := call(t, ts, "GET", "/Api/R3/Category", nil)
		require.Equal(t, 200, st, "request %d", i+1)
		c.Advance(500 * time.Millisecond)
	}
	st, _, raw := call(t, ts, "GET", "/Api/R3/Category", nil)
	assert.Equal(t, 429, st)
	assert.Contains(t, raw, "Too many requests")
	c.Set(time.Date(2026, 3, 1, 10, 1, 0, 0, time.UTC)) // the first request leaves the window
	st, _, _ = call(t, ts, "GET", "/Api/R3/Category", nil)
	assert.Equal(t, 200, st)
}

func TestOrders(t *testing.T) {
	s, ts, c := start(t, Options{})
	cust := put(t, ts, "/Api/R3/Contact", map[string]any{"Type": "Person", "Email": "o@example.com"})
	st, out, raw := call(t, ts, "POST", "/Api/Order", map[string]any{"CustomerId": cust, "CurrencyCode": "HUF",
		"Items": []any{map[string]any{"Name": "Mug", "SKU": "M1", "PriceNet": 1000, "Quantity": 2, "Unit": "db", "VAT": "27%"}}})
	require.Equal(t, 200, st, raw)
	id := int(out["Id"].(float64))
	_, out, _ = call(t, ts, "GET", fmt.Sprintf("/Api/Order/%d", id), nil)
	assert.Equal(t, OrderDraft, out["Status"])

	st, _, _ = call(t, ts, "POST", fmt.Sprintf("/Api/Order/%d", id), map[string]any{"Comment": "gift"})
	assert.Equal(t, 200, st)
	for _, tc := range []struct {
		method, action string
		status         int
		want           string
	}{
		{"GET", "Complete", 400, OrderDraft},
		{"GET", "Finalize", 200, OrderInProgress},
		{"POST", "Complete", 200, OrderCompleted},
		{"GET", "Paid", 200, OrderSuccessful},
		{"GET", "Storno", 400, OrderSuccessful},
	} {
		st, _, raw := call(t, ts, tc.method, fmt.Sprintf("/Api/Order/%d/%s", id, tc.action), nil)
		assert.Equal(t, tc.status, st, "%s: %s", tc.action, raw)
		_, out, _ = call(t, ts, "GET", fmt.Sprintf("/Api/Order/%d", id), nil)
		assert.Equal(t, tc.want, out["Status"], tc.action)
	}
	st, _, raw = call(t, ts, "POST", fmt.Sprintf("/Api/Order/%d", id), map[string]any{"Comment": "late"})
	assert.Equal(t, 400, st)
	assert.Contains(t, raw, "Only a Draft order")

	c.Advance(time.Hour)
	call(t, ts, "POST", "/Api/Order", map[string]any{"ReferenceId": "U-2"})
	_, out, _ = call(t, ts, "GET", "/Api/Order/List?StatusGroup=Draft&Page=0", nil)
	assert.EqualValues(t, 1, out["Count"])
	_, out, _ = call(t, ts, "GET", "/Api/Order/List?UpdatedSince="+url.QueryEscape("2026-03-01 11:30:00"), nil)
	assert.EqualValues(t, 1, out["Count"]) // 11:30 Budapest = 10:30 UTC
	_, out, _ = call(t, ts, "GET", "/Api/Order/List?Page=1", nil)
	assert.EqualValues(t, 2, out["Count"])
	assert.Empty(t, out["Results"])
	assert.Equal(t, 2, s.Count("order"))
}

func TestAdminDumpAndReset(t *testing.T) {
	s, ts, _ := start(t, Options{})
	put(t, ts, "/Api/R3/Project", map[string]any{"CategoryId": 21, "Name": "Shop customer"})
	assert.Equal(t, 1, s.Count("Webshop"))
	assert.Equal(t, 0, s.Count("Orders"))
	resp, err := http.Get(ts.URL + "/_sim/dump?kind=project")
	require.NoError(t, err)
	var dump []map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&dump))
	resp.Body.Close()
	require.Len(t, dump, 1)
	assert.Equal(t, "Shop customer", dump[0]["Name"])
	resp, err = http.Post(ts.URL+"/_sim/reset", "", nil)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, 0, s.Count("project"))
	assert.Positive(t, s.Kit().Total())
}

// A search with a Page or an UpdatedSince MiniCRM cannot read is answered 400, in plain text
// naming the entity, the value and the parameter.
func TestSearchParametersRefused(t *testing.T) {
	_, ts, _ := start(t, Options{})
	tests := []struct {
		path, want string
	}{
		{"/Api/R3/Contact?Page=x", "Contact: Invalid value for the Page parameter."},
		{"/Api/R3/Contact?UpdatedSince=yesterday", "Contact: Invalid value 'yesterday' for the UpdatedSince parameter."},
		{"/Api/R3/Project?Page=-1", "Project: Invalid value for the Page parameter."},
		{"/Api/R3/Project?UpdatedSince=2026-13-01", "Project: Invalid value '2026-13-01' for the UpdatedSince parameter."},
		{"/Api/Order/List?Page=one", "Order: Invalid value for the Page parameter."},
		{"/Api/Order/List?UpdatedSince=soon", "Order: Invalid value 'soon' for the UpdatedSince parameter."},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			status, _, body := call(t, ts, http.MethodGet, tt.path, nil)
			assert.Equal(t, http.StatusBadRequest, status)
			assert.Equal(t, tt.want, body)
		})
	}
}

// A module's UserId options are the users with access to it; a card given a user without
// access gets a random one who has, as MiniCRM does, with a 200.
func TestModuleAccess(t *testing.T) {
	s, ts, _ := start(t, Options{Seed: 3})
	tests := []struct {
		module    int
		owner     any
		wantUsers []string
		wantOwner []string // any of these
	}{
		{module: OrdersID, owner: 103, wantUsers: []string{"101", "102", "103"}, wantOwner: []string{"Ioana Ionescu"}},
		{module: WebshopID, owner: 103, wantUsers: []string{"101", "102"}, wantOwner: []string{"Ana Popescu", "Bence Kovács"}},
		{module: WebshopID, owner: "Ioana Ionescu", wantUsers: []string{"101", "102"}, wantOwner: []string{"Ana Popescu", "Bence Kovács"}},
		{module: WebshopID, owner: 102, wantUsers: []string{"101", "102"}, wantOwner: []string{"Bence Kovács"}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%d %v", tt.module, tt.owner), func(t *testing.T) {
			_, schema, _ := call(t, ts, "GET", fmt.Sprintf("/Api/R3/Schema/Project/%d", tt.module), nil)
			var users []string
			for id := range schema["UserId"].(map[string]any) {
				users = append(users, id)
			}
			assert.ElementsMatch(t, tt.wantUsers, users)
			id := put(t, ts, "/Api/R3/Project", map[string]any{"CategoryId": tt.module, "Name": "x", "UserId": tt.owner})
			_, card, _ := call(t, ts, "GET", fmt.Sprintf("/Api/R3/Project/%d", id), nil)
			assert.Contains(t, tt.wantOwner, card["UserId"])
		})
	}
	s.SetAccess("Webshop", 102)
	_, schema, _ := call(t, ts, "GET", fmt.Sprintf("/Api/R3/Schema/Project/%d", WebshopID), nil)
	assert.Equal(t, map[string]any{"102": "Bence Kovács"}, schema["UserId"])
	s.SetAccess("Webshop")
	_, schema, _ = call(t, ts, "GET", fmt.Sprintf("/Api/R3/Schema/Project/%d", WebshopID), nil)
	assert.Len(t, schema["UserId"], 3, "every user")
}

// Searches compare text without case: a card whose reference has capitals is found by it in
// lower case.
func TestProjectSearchIgnoresCase(t *testing.T) {
	_, ts, _ := start(t, Options{})
	put(t, ts, "/Api/R3/Project", map[string]any{"CategoryId": OrdersID, "Name": "EMAG-7", "Text1203": "EMAG-7@20260301100000", "ReferenceId": "Ref-A"})
	for _, q := range []string{"Text1203=EMAG-7@20260301100000", "Text1203=emag-7@20260301100000", "Name=emag-7", "ReferenceId=REF-A"} {
		_, out, raw := call(t, ts, "GET", "/Api/R3/Project?"+q, nil)
		assert.EqualValues(t, 1, out["Count"], "%s: %s", q, raw)
	}
	_, out, _ := call(t, ts, "GET", "/Api/R3/Project?Text1203=emag-8@20260301100000", nil)
	assert.EqualValues(t, 0, out["Count"])
}

// Schema/Person and Schema/Business type their fields (Tags "Array", a Boolean, an Enum as
// {id: label}); PUT /Contact takes Tags as a list and dropdowns by label or id; Contact/{id}
// answers enums by label, Booleans as 1/0 and Tags as a list, [] when none.
func TestContactSchemaAndValues(t *testing.T) {
	_, ts, _ := start(t, Options{})
	st, schema, _ := call(t, ts, "GET", "/Api/R3/Schema/Person", nil)
	require.Equal(t, 200, st)
	assert.Equal(t, "Array", schema["Tags"])
	assert.Equal(t, "Boolean", schema["Newsletter"])
	assert.Equal(t, map[string]any{"2673": "Facebook", "2675": "SEO", "2677": "Google Ads", "2774": "LinkedIn"}, schema["Enum1221"])
	st, schema, _ = call(t, ts, "GET", "/Api/R3/Schema/Business", nil)
	require.Equal(t, 200, st)
	assert.Equal(t, "Array", schema["Tags"])

	tests := []struct {
		name   string
		body   map[string]any
		status int
		want   map[string]any // fields of GET /Contact/{id}
	}{
		{name: "tags", body: map[string]any{"Type": "Business", "Name": "Acme", "Tags": []string{"VIP", " Partner", "VIP", ""}},
			status: 200, want: map[string]any{"Tags": []any{"VIP", "Partner"}}},
		{name: "no tags", body: map[string]any{"Type": "Business", "Name": "Beta"}, status: 200, want: map[string]any{"Tags": []any{}}},
		{name: "null tags", body: map[string]any{"Type": "Business", "Name": "Gamma", "Tags": nil}, status: 200, want: map[string]any{"Tags": []any{}}},
		{name: "tags as text", body: map[string]any{"Type": "Business", "Name": "Delta", "Tags": "VIP, Partner"}, status: 400},
		{name: "enum by label, boolean", body: map[string]any{"Type": "Person", "FirstName": "Anna", "Enum1221": "seo", "Newsletter": true},
			status: 200, want: map[string]any{"Enum1221": "SEO", "Newsletter": float64(1)}},
		{name: "enum by id", body: map[string]any{"Type": "Person", "FirstName": "Béla", "Enum1221": 2673, "Newsletter": "0"},
			status: 200, want: map[string]any{"Enum1221": "Facebook", "Newsletter": float64(0)}},
		{name: "unknown enum", body: map[string]any{"Type": "Person", "FirstName": "Cili", "Enum1221": "TikTok"}, status: 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, out, raw := call(t, ts, http.MethodPut, "/Api/R3/Contact", tt.body)
			require.Equal(t, tt.status, st, raw)
			if st != 200 {
				return
			}
			st, got, raw := call(t, ts, "GET", fmt.Sprintf("/Api/R3/Contact/%v", out["Id"]), nil)
			require.Equal(t, 200, st, raw)
			for k, v := range tt.want {
				assert.Equal(t, v, got[k], k)
			}
		})
	}
	st, found, _ := call(t, ts, "GET", "/Api/R3/Contact?Enum1221=Facebook", nil)
	require.Equal(t, 200, st)
	assert.EqualValues(t, 1, found["Count"], "a contact enum is searched by label too")
}
