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
	ev := e.call("POST", "/v2/calendar-events", map[string]any{"title": "Demo", "start": "2026-03-05T09:00:00Z", "end": "2026-03-05T10:00:00Z",
		"is_private": true, "related": rel[:1]}, true)
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
		key := "related_objects"
		if obj == "calendar-events" {
			key = "related"
		}
		s := e.call("POST", "/v2/"+obj+"/search", map[string]any{"filters": map[string]any{key: []map[string]any{{"type": "company", "id": 1}}}}, true)
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
		{"event ends before it starts", "/v2/calendar-events", map[string]any{"title": "x", "start": "2026-03-05T10:00:00Z", "end": "2026-03-05T09:00:00Z"}, "end"},
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

// A contact's social URLs and newsletter synchronisations are stored and read back.
func TestContactSocialSync(t *testing.T) {
	e := newEnv(t, Options{})
	r := e.call("POST", "/v2/contacts", map[string]any{"last_name": "L", "social": map[string]any{"twitter": "@l", "linkedin": "https://linkedin.example/l"},
		"sync": map[string]any{"mailchimp": true}}, true)
	require.Equal(t, 201, r.status, string(r.raw))
	assert.Equal(t, "@l", r.body["social"].(map[string]any)["twitter"])
	assert.Equal(t, true, r.body["sync"].(map[string]any)["mailchimp"])
	up := e.call("PUT", "/v2/contacts/"+itoa(int(r.body["id"].(float64))), map[string]any{"social": map[string]any{"facebook": "fb"}, "sync": map[string]any{"mailjet": true}}, true)
	require.Equal(t, 200, up.status, string(up.raw))
	assert.Equal(t, map[string]any{"twitter": "@l", "facebook": "fb", "linkedin": "https://linkedin.example/l", "viadeo": ""}, up.body["social"])
	assert.Equal(t, map[string]any{"mailchimp": true, "mailjet": true, "simplemail": false}, up.body["sync"])
	bad := e.call("POST", "/v2/contacts", map[string]any{"last_name": "L", "sync": map[string]any{"mailchimp": "yes"}}, false)
	assert.Equal(t, 400, bad.status)
}
