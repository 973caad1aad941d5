package sim

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Tasks, calendar events and comments: create, read, update, list and search, validated
// against the spec; refused bodies name the field.
func TestAgendaObjects(t *testing.T) {
	e := newEnv(t, Options{})
	e.sim.SeedPeople(0, 1)
	rel := []map[string]any{{"type": "company", "id": 1}, {"type": "contact", "id": firstContactID}}
	task := e.call("POST", "/v2/tasks", map[string]any{"title": "Call back", "due_date": "2026-03-05T09:00:00+01:00", "label_id": 1,
		"priority": 1, "assigned_staff_ids": []int{Staffs[0].ID}, "related": rel[:1]}, true)
	require.Equal(t, 201, task.status, string(task.raw))
	taskID := int(task.body["id"].(float64))
	ev := e.call("POST", "/v2/calendar-events", map[string]any{"title": "Demo", "datetime_start": "2026-03-05T09:00:00Z",
		"datetime_end": "2026-03-05T10:00:00Z", "label_id": 3, "is_private": true, "related": rel[:1]}, true)
	require.Equal(t, 201, ev.status, string(ev.raw))
	com := e.call("POST", "/v2/comments", map[string]any{"description": "Met them", "related": rel[1:], "created": "2026-03-01T08:00:00+01:00", "mentioned_staff_ids": []int{Staffs[0].ID}}, true)
	require.Equal(t, 201, com.status, string(com.raw))
	assert.Equal(t, "2026-03-01T08:00:00+01:00", com.body["created"])
	assert.EqualValues(t, firstContactID, com.body["contact_id"])
	reply := e.call("POST", "/v2/comments", map[string]any{"description": "ok", "parent_id": com.body["id"], "related": rel[:1]}, true)
	require.Equal(t, 201, reply.status, string(reply.raw))
	assert.EqualValues(t, 1, reply.body["company_id"])
	edit := e.call("PUT", "/v2/comments/"+itoa(int(reply.body["id"].(float64))), map[string]any{"description": "ok!"}, true)
	require.Equal(t, 200, edit.status, string(edit.raw))
	assert.Equal(t, "ok!", edit.body["description"])
	byParent := e.call("POST", "/v2/comments/search", map[string]any{"filters": map[string]any{"parent_id": com.body["id"]}}, true)
	require.Len(t, data(byParent), 1)
	byContact := e.call("POST", "/v2/comments/search", map[string]any{"filters": map[string]any{"contacts": []int{firstContactID}}}, true)
	require.Len(t, data(byContact), 1)
	// Sellsy refuses a filter its spec does not list ("related" is a write field, not a filter).
	wrong := e.call("POST", "/v2/comments/search", map[string]any{"filters": map[string]any{"related": rel[:1]}}, true)
	require.Equal(t, 400, wrong.status, string(wrong.raw))
	assert.Contains(t, string(wrong.raw), "filters.related")

	up := e.call("PUT", "/v2/tasks/"+itoa(taskID), map[string]any{"status": "done"}, true)
	require.Equal(t, 200, up.status, string(up.raw))
	assert.Equal(t, "done", up.body["status"])
	assert.Equal(t, "Call back", up.body["title"])
	assert.Equal(t, "Rappel", up.body["label"].(map[string]any)["name"])
	assert.EqualValues(t, 1, up.body["company_id"])
	for filters, n := range map[string]int{`{"statuses":["done"]}`: 1, `{"statuses":["todo"]}`: 0, `{"labels":[2]}`: 0, `{"assigned_staffs":[` + itoa(Staffs[0].ID) + `]}`: 1, `{"companies":[1]}`: 1} {
		r := e.call("POST", "/v2/tasks/search", `{"filters":`+filters+`}`, true)
		require.Equal(t, 200, r.status, string(r.raw))
		assert.Len(t, data(r), n, filters)
	}

	for _, obj := range []string{"tasks", "calendar-events", "comments"} {
		l := e.call("GET", "/v2/"+obj+"?limit=1", nil, true)
		require.Equal(t, 200, l.status, obj)
		assert.Len(t, data(l), 1, obj)
		s := e.call("POST", "/v2/"+obj+"/search", map[string]any{"filters": map[string]any{"related_objects": []map[string]any{{"type": "company", "id": 1}}}}, true)
		require.Equal(t, 200, s.status, obj)
		assert.Len(t, data(s), map[string]int{"tasks": 1, "calendar-events": 1, "comments": 1}[obj], obj)
	}

	cases := []struct {
		name, path string
		body       map[string]any
		field      string
	}{
		{"task without due date", "/v2/tasks", map[string]any{"title": "x", "label_id": 1, "related": []any{}}, "due_date"},
		{"task without related", "/v2/tasks", map[string]any{"label_id": 1, "due_date": "2026-03-05T09:00:00Z"}, "related"},
		{"task on two records", "/v2/tasks", map[string]any{"label_id": 1, "due_date": "2026-03-05T09:00:00Z", "related": rel}, "related"},
		{"task unknown label", "/v2/tasks", map[string]any{"title": "x", "label_id": 9, "due_date": "2026-03-05T09:00:00Z", "related": []any{}}, "label_id"},
		{"task unknown related", "/v2/tasks", map[string]any{"title": "x", "label_id": 1, "due_date": "2026-03-05T09:00:00Z", "related": []map[string]any{{"type": "company", "id": 999}}}, "related"},
		{"comment without related", "/v2/comments", map[string]any{"description": "x"}, "related"},
		{"comment empty", "/v2/comments", map[string]any{"description": "", "related": rel[:1]}, "description"},
		{"comment on two records", "/v2/comments", map[string]any{"description": "x", "related": rel}, "related"},
		{"comment on a task", "/v2/comments", map[string]any{"description": "x", "related": []map[string]any{{"type": "task", "id": taskID}}}, "related"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := e.call("POST", c.path, c.body, false)
			require.Equal(t, 400, r.status, string(r.raw))
			assert.Contains(t, errDetails(r), c.field)
		})
	}
}

// Calendar events as the spec (v2.128.0) defines them: CalendarEventCreateItem /
// CalendarEventUpdateItem in, CalendarEventItem out (datetime_start/datetime_end, label,
// participants, owner, provider_calendar, one related record), list/search/labels/delete; every
// request and answer is validated against the spec and the answers carry no undeclared key.
func TestCalendarEvents(t *testing.T) {
	e := newEnv(t, Options{})
	e.sim.SeedPeople(0, 1)
	full := e.call("POST", "/v2/calendar-events", map[string]any{"title": "Demo", "description": "product demo",
		"datetime_start": "2026-03-05T09:00:00+01:00", "datetime_end": "2026-03-05T10:00:00+01:00", "is_private": true, "all_day": false,
		"label_id": 3, "provider_calendar": "claire.martin@example.com", "priority": 1, "created": "2026-03-01T08:00:00+01:00",
		"participants": []map[string]any{{"type": "staff", "id": 2}, {"type": "contact", "id": firstContactID}, {"type": "external", "id": "guest@example.org"}},
		"related":      []map[string]any{{"type": "company", "id": 1}}}, true)
	require.Equal(t, 201, full.status, string(full.raw))
	e.onlyDeclared("CalendarEventItem", full.body)
	id := itoa(int(full.body["id"].(float64)))
	assert.Equal(t, "2026-03-05T09:00:00+01:00", full.body["datetime_start"])
	assert.Equal(t, "2026-03-05T10:00:00+01:00", full.body["datetime_end"])
	assert.Equal(t, "2026-03-01T08:00:00+01:00", full.body["created"])
	assert.Equal(t, map[string]any{"id": 3.0, "name": "Rendez-vous", "color": "#dce6f7", "is_active": true, "rank": 3.0}, full.body["label"])
	assert.Equal(t, map[string]any{"id": float64(Staffs[0].ID), "type": "staff"}, full.body["owner"])
	assert.Equal(t, map[string]any{"id": "claire.martin@example.com", "name": "claire.martin@example.com"}, full.body["provider_calendar"])
	assert.EqualValues(t, 1, full.body["company_id"])
	assert.Nil(t, full.body["contact_id"])
	assert.EqualValues(t, 1, full.body["priority"])
	assert.Len(t, full.body["participants"], 3)

	minimal := e.call("POST", "/v2/calendar-events", map[string]any{"title": "Call", "datetime_start": "2026-03-06T09:00:00Z",
		"datetime_end": "2026-03-06T09:30:00Z", "label_id": 2}, true)
	require.Equal(t, 201, minimal.status, string(minimal.raw))
	e.onlyDeclared("CalendarEventItem", minimal.body)
	assert.Equal(t, "", minimal.body["description"])
	assert.Equal(t, []any{}, minimal.body["related"])
	assert.Equal(t, []any{}, minimal.body["participants"])
	assert.Nil(t, minimal.body["provider_calendar"])
	assert.Equal(t, false, minimal.body["all_day"])
	assert.EqualValues(t, 0, minimal.body["priority"])

	got := e.call("GET", "/v2/calendar-events/"+id, nil, true)
	require.Equal(t, 200, got.status)
	e.onlyDeclared("CalendarEventItem", got.body)
	assert.Equal(t, full.body, got.body)

	up := e.call("PUT", "/v2/calendar-events/"+id, map[string]any{"title": "Demo 2", "description": nil, "datetime_end": "2026-03-05T11:00:00+01:00",
		"related": []any{}, "participants": []map[string]any{{"type": "staff", "id": 3}}, "all_day": true}, true)
	require.Equal(t, 200, up.status, string(up.raw))
	e.onlyDeclared("CalendarEventItem", up.body)
	assert.Equal(t, "Demo 2", up.body["title"])
	assert.Equal(t, "", up.body["description"])
	assert.Equal(t, "2026-03-05T11:00:00+01:00", up.body["datetime_end"])
	assert.Equal(t, "2026-03-05T09:00:00+01:00", up.body["datetime_start"])
	assert.Equal(t, []any{}, up.body["related"])
	assert.Nil(t, up.body["company_id"])
	assert.Equal(t, true, up.body["all_day"])
	assert.Equal(t, []any{map[string]any{"type": "staff", "id": 3.0}}, up.body["participants"])
	e.call("PUT", "/v2/calendar-events/"+id, map[string]any{"related": []map[string]any{{"type": "contact", "id": firstContactID}}}, true)

	list := e.call("GET", "/v2/calendar-events?limit=1&direction=desc", nil, true)
	require.Equal(t, 200, list.status)
	require.Len(t, data(list), 1)
	assert.EqualValues(t, 2, pag(list)["total"])
	e.onlyDeclared("CalendarEventItem", data(list)[0])
	for filters, want := range map[string]int{
		`{}`: 2,
		`{"related_objects":[{"type":"contact","id":` + itoa(firstContactID) + `}]}`: 1,
		`{"contacts":[` + itoa(firstContactID) + `]}`:                                1,
		`{"companies":[1]}`:                                                          0,
		`{"labels":[2]}`:                                                             1,
		`{"owners":[` + itoa(Staffs[0].ID) + `]}`:                                    2,
		`{"participants":[{"type":"staff","id":3}]}`:                                 1,
		`{"participants":[{"type":"external","id":"guest@example.org"}]}`:            0,
		`{"priority":{"min":1}}`:                                                     1,
		`{"due_date":{"start":"2026-03-06T00:00:00Z","end":"2026-03-07T00:00:00Z"}}`: 1,
	} {
		r := e.call("POST", "/v2/calendar-events/search?order=due_date", `{"filters":`+filters+`}`, true)
		require.Equal(t, 200, r.status, string(r.raw))
		assert.Len(t, data(r), want, filters)
	}
	for _, path := range []string{"/v2/calendar-events/labels", "/v2/tasks/labels"} {
		l := e.call("GET", path, nil, true)
		require.Equal(t, 200, l.status, path)
		assert.Len(t, data(l), len(Labels), path)
	}

	cases := []struct {
		name, method, path string
		body               map[string]any
		field              string
	}{
		{"start/end instead of datetime_start/datetime_end", "POST", "/v2/calendar-events",
			map[string]any{"title": "x", "label_id": 1, "start": "2026-03-05T09:00:00Z", "end": "2026-03-05T10:00:00Z"}, "datetime_start"},
		{"without label", "POST", "/v2/calendar-events", map[string]any{"title": "x", "datetime_start": "2026-03-05T09:00:00Z", "datetime_end": "2026-03-05T10:00:00Z"}, "label_id"},
		{"unknown label", "POST", "/v2/calendar-events", map[string]any{"title": "x", "label_id": 9, "datetime_start": "2026-03-05T09:00:00Z", "datetime_end": "2026-03-05T10:00:00Z"}, "label_id"},
		{"ends before it starts", "POST", "/v2/calendar-events", map[string]any{"title": "x", "label_id": 1, "datetime_start": "2026-03-05T10:00:00Z", "datetime_end": "2026-03-05T09:00:00Z"}, "datetime_end"},
		{"location is not a field", "PUT", "/v2/calendar-events/" + id, map[string]any{"location": "Paris"}, "location"},
		{"staff_ids is not a field", "PUT", "/v2/calendar-events/" + id, map[string]any{"staff_ids": []int{1}}, "staff_ids"},
		{"created on update", "PUT", "/v2/calendar-events/" + id, map[string]any{"created": "2026-03-01T08:00:00Z"}, "created"},
		{"two related records", "PUT", "/v2/calendar-events/" + id, map[string]any{"related": []map[string]any{{"type": "company", "id": 1}, {"type": "contact", "id": firstContactID}}}, "related"},
		{"unknown staff participant", "PUT", "/v2/calendar-events/" + id, map[string]any{"participants": []map[string]any{{"type": "staff", "id": 99}}}, "participants"},
		{"priority 2", "PUT", "/v2/calendar-events/" + id, map[string]any{"priority": 2}, "priority"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := e.call(c.method, c.path, c.body, false)
			require.Equal(t, 400, r.status, string(r.raw))
			assert.Contains(t, errDetails(r), c.field)
		})
	}

	del := e.call("DELETE", "/v2/calendar-events/"+id, nil, true)
	assert.Equal(t, 204, del.status)
	assert.Equal(t, 404, e.call("GET", "/v2/calendar-events/"+id, nil, false).status)
	assert.Len(t, e.sim.DumpDocs("calendar-events"), 1)
}

func TestSmartTags(t *testing.T) {
	e := newEnv(t, Options{})
	e.sim.SeedPeople(0, 1)
	r := e.call("POST", "/v2/contacts/"+itoa(firstContactID)+"/smart-tags", []map[string]any{{"value": "vip"}, {"value": "VIP"}, {"value": "fr"}}, true)
	require.Equal(t, 200, r.status, string(r.raw))
	assert.Equal(t, []string{"vip", "fr"}, e.sim.SmartTags("contacts", itoa(firstContactID)))
}

// API V1: the OAuth 1.0a PLAINTEXT header (raw or encoded twice), the envelope, errors as
// HTTP 200 envelopes, and refused credentials as oauth_problem.
func TestV1(t *testing.T) {
	e := newEnv(t, Options{V1ConsumerToken: "ck", V1ConsumerSecret: "c&s", V1UserToken: "ut", V1UserSecret: "us"})
	e.sim.SeedPeople(0, 3)
	post := func(auth, doIn string) (int, string) {
		form := url.Values{"request": {"1"}, "io_mode": {"json"}, "do_in": {doIn}}
		req, _ := http.NewRequest("POST", e.srv.URL+"/0/", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Authorization", auth)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		var b strings.Builder
		_, _ = io_copy(&b, resp)
		return resp.StatusCode, b.String()
	}
	good := `OAuth oauth_consumer_key="ck", oauth_token="ut", oauth_signature_method="PLAINTEXT", oauth_signature="c%2526s%26us"`
	cases := []struct {
		name, auth, doIn string
		status           int
		want             string
	}{
		{"infos", good, `{"method":"Infos.getInfos","params":{}}`, 200, `"status":"success"`},
		{"prospects page", good, `{"method":"Prospects.getList","params":{"pagination":{"nbperpage":2,"pagenum":1}}}`, 200, `"nbtotal":1`},
		{"bearer", "Bearer " + e.token, `{"method":"Client.getList","params":{}}`, 200, `"result":{}`},
		{"unknown method", good, `{"method":"Nope.get","params":{}}`, 200, `E_METHOD_DONT_EXIT`},
		{"not loadable", good, `{"method":"Client.getOne","params":{"clientid":999}}`, 200, `E_OBJ_NOT_LOADABLE`},
		{"bad signature", strings.Replace(good, "us\"", "xx\"", 1), `{"method":"Infos.getInfos"}`, 401, "oauth_problem=signature_invalid"},
		{"bad consumer", strings.Replace(good, `"ck"`, `"zz"`, 1), `{"method":"Infos.getInfos"}`, 401, "oauth_problem=consumer_key_refused"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			status, body := post(c.auth, c.doIn)
			assert.Equal(t, c.status, status, body)
			assert.Contains(t, body, c.want)
		})
	}
}

func io_copy(b *strings.Builder, resp *http.Response) (int64, error) { return io.Copy(b, resp.Body) }

// The agenda's lists and searches take the orders the spec lists for them — tasks and
// calendar events id or due_date (an event's start), comments id — in either direction, and
// refuse another: the simulator used to ignore order altogether.
func TestAgendaOrders(t *testing.T) {
	e := newEnv(t, Options{})
	e.sim.SeedPeople(0, 1)
	var tasks []int
	for _, due := range []string{"2026-03-07T09:00:00Z", "2026-03-05T09:00:00Z", "2026-03-06T09:00:00Z"} {
		r := e.call("POST", "/v2/tasks", map[string]any{"title": "T", "due_date": due, "label_id": 1, "related": []any{}}, true)
		require.Equal(t, 201, r.status, string(r.raw))
		tasks = append(tasks, int(r.body["id"].(float64)))
	}
	ids := func(r result) []int {
		var out []int
		for _, d := range data(r) {
			out = append(out, int(d["id"].(float64)))
		}
		return out
	}
	search := func(query string) result {
		return e.call("POST", "/v2/tasks/search?"+query, map[string]any{"filters": map[string]any{}}, false)
	}
	assert.Equal(t, []int{tasks[2], tasks[1], tasks[0]}, ids(search("order=id&direction=desc")))
	assert.Equal(t, []int{tasks[1], tasks[2], tasks[0]}, ids(search("order=due_date")))
	first := search("order=due_date&direction=desc&limit=1")
	assert.Equal(t, []int{tasks[0]}, ids(first))
	next := search("order=due_date&direction=desc&limit=2&offset=" + url.QueryEscape(first.body["pagination"].(map[string]any)["offset"].(string)))
	assert.Equal(t, []int{tasks[2], tasks[1]}, ids(next), "a due-date cursor seeks on its key")
	for path, order := range map[string]string{"/v2/tasks/search": "name", "/v2/calendar-events/search": "created", "/v2/comments/search": "due_date"} {
		r := e.call("POST", path+"?order="+order, map[string]any{"filters": map[string]any{}}, false)
		assert.Equal(t, 400, r.status, path)
		assert.Contains(t, errDetails(r), "order", path)
	}
	for _, path := range []string{"/v2/calendar-events/search?order=id&direction=desc", "/v2/comments/search?order=id&direction=desc", "/v2/comments?order=id"} {
		method := "POST"
		var body any = map[string]any{"filters": map[string]any{}}
		if !strings.Contains(path, "search") {
			method, body = "GET", nil
		}
		assert.Equal(t, 200, e.call(method, path, body, false).status, path)
	}
}

// A contact's social URLs and newsletter synchronisations are stored and read back. The
// social values are URLs (the spec's format: url): a handle or a bare name is refused, naming
// the field.
func TestContactSocialSync(t *testing.T) {
	e := newEnv(t, Options{})
	r := e.call("POST", "/v2/contacts", map[string]any{"last_name": "L", "social": map[string]any{"twitter": "https://twitter.com/l", "linkedin": "https://linkedin.example/l"},
		"sync": map[string]any{"mailchimp": true}}, true)
	require.Equal(t, 201, r.status, string(r.raw))
	assert.Equal(t, "https://twitter.com/l", r.body["social"].(map[string]any)["twitter"])
	assert.Equal(t, true, r.body["sync"].(map[string]any)["mailchimp"])
	up := e.call("PUT", "/v2/contacts/"+itoa(int(r.body["id"].(float64))), map[string]any{"social": map[string]any{"facebook": "https://facebook.com/l"}, "sync": map[string]any{"mailjet": true}}, true)
	require.Equal(t, 200, up.status, string(up.raw))
	assert.Equal(t, map[string]any{"twitter": "https://twitter.com/l", "facebook": "https://facebook.com/l", "linkedin": "https://linkedin.example/l", "viadeo": ""}, up.body["social"])
	assert.Equal(t, map[string]any{"mailchimp": true, "mailjet": true, "simplemail": false}, up.body["sync"])
	bad := e.call("POST", "/v2/contacts", map[string]any{"last_name": "L", "sync": map[string]any{"mailchimp": "yes"}}, false)
	assert.Equal(t, 400, bad.status)
	for _, v := range []string{"@l", "fb", "linkedin.com/in/l", "ftp://example.com/l"} {
		for _, obj := range []string{"contacts", "companies", "individuals"} {
			body := map[string]any{"last_name": "L", "type": "client", "name": "N", "social": map[string]any{"twitter": v}}
			if obj == "contacts" {
				delete(body, "type")
			}
			if obj != "companies" {
				delete(body, "name")
			} else {
				delete(body, "last_name")
			}
			bad := e.call("POST", "/v2/"+obj, body, false)
			assert.Equal(t, 400, bad.status, "%s %q", obj, v)
			assert.Contains(t, string(bad.raw), "social.twitter", "%s %q", obj, v)
		}
	}
}

// Writes to tasks, calendar events and comments are announced to the webhooks, like records'
// writes; a refused write or a verify-only call announces nothing. A registered webhook
// subscribes to them by the ids the events catalogue lists.
func TestAgendaWebhooks(t *testing.T) {
	e := newEnv(t, Options{})
	e.sim.SeedPeople(0, 1)
	h, hs := newHookRecorder(t)
	require.Equal(t, 200, e.callAdmin("POST", "/_sim/webhook", `{"url":"`+hs.URL+`"}`))
	h.wait(t, 1) // the ping
	reg := e.call("POST", "/v2/webhooks", map[string]any{"type": "http", "endpoint": hs.URL + "/registered", "is_enabled": true,
		"configuration": []map[string]any{{"id": "comment.created", "is_enabled": true}}}, true)
	require.Equal(t, 201, reg.status, string(reg.raw))
	rel := []map[string]any{{"type": "company", "id": 1}}
	id := func(r result) string { return itoa(int(r.body["id"].(float64))) }

	task := e.call("POST", "/v2/tasks", map[string]any{"title": "Call", "due_date": "2026-03-05T09:00:00Z", "label_id": 1, "related": rel}, true)
	require.Equal(t, 201, task.status, string(task.raw))
	require.Equal(t, 200, e.call("PUT", "/v2/tasks/"+id(task), map[string]any{"status": "done"}, true).status)
	require.Equal(t, 400, e.call("PUT", "/v2/tasks/"+id(task), map[string]any{"status": "maybe"}, false).status) // refused: no event
	ev := e.call("POST", "/v2/calendar-events", map[string]any{"title": "Demo", "datetime_start": "2026-03-05T09:00:00Z",
		"datetime_end": "2026-03-05T10:00:00Z", "label_id": 3}, true)
	require.Equal(t, 201, ev.status, string(ev.raw))
	require.Equal(t, 204, e.call("DELETE", "/v2/calendar-events/"+id(ev), nil, false).status)
	com := e.call("POST", "/v2/comments", map[string]any{"description": "Met them", "related": rel}, true)
	require.Equal(t, 201, com.status, string(com.raw))
	h.wait(t, 6) // five events, and the comment's creation once more for the registered webhook

	h.mu.Lock()
	defer h.mu.Unlock()
	var got [][3]string
	for _, p := range h.posts {
		got = append(got, [3]string{p["event"], p["relatedtype"], p["relatedid"]})
	}
	assert.ElementsMatch(t, [][3]string{
		{"created", "task", id(task)}, {"updated", "task", id(task)},
		{"created", "calendar-event", id(ev)}, {"deleted", "calendar-event", id(ev)},
		{"created", "comment", id(com)}, {"created", "comment", id(com)},
	}, got)
	catalogue := e.call("GET", "/v2/webhooks/events", nil, true)
	for _, entity := range []string{"task", "calendar-event", "comment"} {
		assert.Contains(t, string(catalogue.raw), `"id":"`+entity+`"`)
	}
}
