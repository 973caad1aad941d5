package sim

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// POST and PATCH drop every value that is numeric and whose (int) is 0, single and batch, of
// number and text fields alike (setCustomFieldValues); PUT keeps them. A boolean is exempt
// (prepareParametersFromRequest sets it through the entity, past the filter): its 0, "0" and
// JSON false are kept alike, and set No.
func TestZeroValuesDroppedOnPostAndPatch(t *testing.T) {
	values := []struct {
		field string
		in    any
		kept  any  // what PUT stores, read back
		never bool // not numeric, or a boolean: never dropped
	}{
		{"cf_number", 0, float64(0), false},
		{"cf_number", "0", float64(0), false},
		{"cf_number", 0.5, 0.5, false},
		{"cf_number", "-0.3", -0.3, false},
		{"cf_text", "0", "0", false},
		{"cf_text", " 0.0 ", "0.0", false},
		{"cf_bool", 0, float64(0), true},
		{"cf_bool", "0", float64(0), true},
		{"cf_select", "gold", "gold", true},
		{"cf_bool", false, float64(0), true},
		{"cf_bool", "false", float64(0), true},
	}
	routes := []struct {
		name    string
		method  string
		path    string
		batch   bool
		dropped bool
	}{
		{"POST new", "POST", "/api/contacts/new", false, true},
		{"PATCH edit", "PATCH", "/api/contacts/1/edit", false, true},
		{"POST batch/new", "POST", "/api/contacts/batch/new", true, true},
		{"PATCH batch/edit", "PATCH", "/api/contacts/batch/edit", true, true},
		{"PUT edit", "PUT", "/api/contacts/1/edit", false, false},
		{"PUT batch/edit", "PUT", "/api/contacts/batch/edit", true, false},
	}
	for _, r := range routes {
		for _, v := range values {
			t.Run(fmt.Sprintf("%s %s=%v", r.name, v.field, v.in), func(t *testing.T) {
				s, ts, _ := start(t, Options{})
				s.SeedPeople(0, 1)
				// Person 0 holds 5, "x" and Yes: a dropped value leaves them.
				status, _, _ := call(t, ts, "PATCH", "/api/contacts/1/edit", map[string]any{"cf_number": 5, "cf_text": "x", "cf_bool": true})
				require.Equal(t, 200, status)
				body := map[string]any{"email": "person000000@example.com", v.field: v.in}
				var sent any = body
				if r.batch {
					body["id"] = 1
					sent = []map[string]any{body}
				}
				status, out, _ := call(t, ts, r.method, r.path, sent)
				require.Less(t, status, 300)
				c := out["contact"]
				if r.batch {
					c = out["contacts"].([]any)[0]
				}
				got := c.(map[string]any)["fields"].(map[string]any)["all"].(map[string]any)[v.field]
				want := v.kept
				if r.dropped && !v.never {
					want = map[string]any{"cf_number": float64(5), "cf_text": "x", "cf_bool": float64(1)}[v.field]
				}
				assert.Equal(t, want, got, "as the write answers")
				_, out, _ = call(t, ts, "GET", "/api/contacts/1", nil)
				assert.Equal(t, want, allOf(t, out)[v.field], "read back")
			})
		}
	}

	// A new contact's 0 is dropped too: the field stays empty; a boolean's 0 or false sets No.
	_, ts, _ := start(t, Options{})
	status, out, _ := call(t, ts, "POST", "/api/contacts/new", map[string]any{"email": "zero@example.com", "cf_number": 0, "cf_bool": false})
	require.Equal(t, 201, status)
	assert.Nil(t, allOf(t, out)["cf_number"])
	assert.Equal(t, float64(0), allOf(t, out)["cf_bool"], "a boolean's false is kept")
	status, out, _ = call(t, ts, "POST", "/api/contacts/new", map[string]any{"email": "zero2@example.com", "cf_bool": 0})
	require.Equal(t, 201, status)
	assert.Equal(t, float64(0), allOf(t, out)["cf_bool"], "a boolean's 0 is kept like false")
}

// Companies are merged into the one of the same name by /companies/new without force only
// (CompanyApiController::newEntityAction): batch/new creates every item, as
// CompanyApiController has no getNewEntity of its own to look one up (FetchCommonApiController's
// returns a new company), in Mautic 2 to 5 alike.
func TestCompanyCreatesDedupeOnName(t *testing.T) {
	tests := []struct {
		name   string
		path   string
		body   map[string]any
		batch  bool
		status int
	}{
		{"new without force", "/api/companies/new", map[string]any{}, false, 200},
		{"new with force 1", "/api/companies/new", map[string]any{"force": 1}, false, 201},
		{"new with force true", "/api/companies/new", map[string]any{"force": true}, false, 201},
		{"new with force \"1\"", "/api/companies/new", map[string]any{"force": "1"}, false, 201},
		{"new with force 0", "/api/companies/new", map[string]any{"force": 0}, false, 200},
		{"new with force in the query", "/api/companies/new?force=1", map[string]any{}, false, 201},
		{"batch/new", "/api/companies/batch/new", map[string]any{}, true, 201},
		{"batch/new with force", "/api/companies/batch/new", map[string]any{"force": 1}, true, 201},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, ts, _ := start(t, Options{})
			s.SeedPeople(0, 1) // company 1, "Conseil Paris 00000"
			tt.body["companyname"], tt.body["siret"] = "CONSEIL PARIS 00000 ", "99999999900099"
			var sent any = tt.body
			if tt.batch {
				sent = []map[string]any{tt.body}
			}
			status, out, _ := call(t, ts, "POST", tt.path, sent)
			c := out["company"]
			if tt.batch {
				require.Equal(t, 201, status)
				status = int(out["statusCodes"].([]any)[0].(float64))
				c = out["companies"].([]any)[0]
			}
			assert.Equal(t, tt.status, status)
			if tt.status == 200 {
				assert.EqualValues(t, 1, c.(map[string]any)["id"], "merged into the company of that name")
				assert.Equal(t, 1, s.Count("companies"))
			} else {
				assert.EqualValues(t, 2, c.(map[string]any)["id"])
				assert.Equal(t, 2, s.Count("companies"))
			}
		})
	}

	// Within one batch, two of a name are two companies.
	s, ts, _ := start(t, Options{})
	status, out, _ := call(t, ts, "POST", "/api/companies/batch/new", []map[string]any{{"companyname": "Dupont SA", "siret": "1"}, {"companyname": "Dupont SA", "siret": "2"}})
	require.Equal(t, 201, status)
	assert.Equal(t, []any{201.0, 201.0}, out["statusCodes"])
	assert.Equal(t, 2, s.Count("companies"))
}

// A number field without a scale is read back as a whole number (the API casts it to int),
// whatever it was given; one with a scale keeps its decimals.
func TestNumberWithoutScaleReadWhole(t *testing.T) {
	s, ts, _ := start(t, Options{})
	s.SeedPeople(0, 1)
	status, out, _ := call(t, ts, "PATCH", "/api/companies/1/edit", map[string]any{"companynumber_of_employees": 15.5, "companyannual_revenue": 1234.56})
	require.Equal(t, 200, status)
	all := out["company"].(map[string]any)["fields"].(map[string]any)["all"].(map[string]any)
	assert.Equal(t, float64(15), all["companynumber_of_employees"])
	assert.Equal(t, 1234.56, all["companyannual_revenue"])
	_, out, _ = call(t, ts, "GET", "/api/fields/company", nil)
	for _, f := range out["fields"].([]any) {
		f := f.(map[string]any)
		switch f["alias"] {
		case "companynumber_of_employees":
			assert.EqualValues(t, 0, f["properties"].(map[string]any)["scale"])
		case "companyannual_revenue":
			assert.EqualValues(t, 2, f["properties"].(map[string]any)["scale"])
		}
	}
}

// Website visitors are anonymous contacts (dateIdentified null): listed by default, left out
// by search=!is:anonymous, until they are identified.
func TestAnonymousVisitors(t *testing.T) {
	s, ts, clk := start(t, Options{})
	s.SeedPeople(0, 2)
	visitors := s.AddVisitors(3)
	require.Equal(t, []int{3, 4, 5}, visitors)
	list := func(search string) []string {
		t.Helper()
		q := url.Values{}
		if search != "" {
			q.Set("search", search)
		}
		status, _, raw := call(t, ts, "GET", "/api/contacts?"+q.Encode(), nil)
		require.Equal(t, 200, status)
		return keysInOrder(t, raw, "contacts")
	}
	assert.Equal(t, []string{"1", "2", "3", "4", "5"}, list(""), "the API lists visitors by default")
	assert.Equal(t, []string{"1", "2"}, list("!is:anonymous"))
	assert.Equal(t, []string{"3", "4", "5"}, list("is:anonymous"))
	_, out, _ := call(t, ts, "GET", "/api/contacts/3", nil)
	assert.Nil(t, out["contact"].(map[string]any)["dateIdentified"])
	_, out, _ = call(t, ts, "GET", "/api/contacts/1", nil)
	assert.NotNil(t, out["contact"].(map[string]any)["dateIdentified"])

	clk.Advance(time.Minute)
	status, out, _ := call(t, ts, "PATCH", "/api/contacts/4/edit", map[string]any{"email": "known@example.com"})
	require.Equal(t, 200, status)
	assert.Equal(t, "2026-03-01T10:01:00+00:00", out["contact"].(map[string]any)["dateIdentified"])
	assert.Equal(t, []string{"1", "2", "4"}, list("!is:anonymous"), "identified once it has an e-mail")

	status, out, _ = call(t, ts, "POST", "/api/contacts/new", map[string]any{"city": "Paris"})
	require.Equal(t, 201, status)
	assert.Nil(t, out["contact"].(map[string]any)["dateIdentified"], "created with nothing that identifies it")
	status, _, raw := call(t, ts, "GET", "/api/companies?search="+url.QueryEscape("!is:anonymous"), nil)
	require.Equal(t, 200, status)
	assert.Equal(t, []string{"1"}, keysInOrder(t, raw, "companies"), "companies have no anonymous ones")
}

// Text is cleaned as Mautic's InputHelper::clean does (PHP's FILTER_SANITIZE_SPECIAL_CHARS):
// ' " < > & and the characters below 32 are stored as numeric entities, on every write route.
// An html field, a textarea that allows HTML, a select's and a multiselect's options and an
// e-mail address are stored as sent.
func TestTextCleanedAsMauticDoes(t *testing.T) {
	s, ts, _ := start(t, Options{})
	require.NoError(t, s.AddField("contact", FieldDef{Alias: "cf_html", Type: "html"}))
	require.NoError(t, s.AddField("contact", FieldDef{Alias: "cf_rich", Type: "textarea", AllowHTML: true}))
	require.NoError(t, s.AddField("contact", FieldDef{Alias: "cf_pick", Type: "select", Options: []string{"R&D", "l'or"}}))
	status, _, _ := call(t, ts, "POST", "/api/fields/contact/new", map[string]any{"alias": "cf_rich2", "type": "textarea", "properties": map[string]any{"allowHtml": "1"}})
	require.Equal(t, 201, status)
	cases := []struct {
		field string
		in    string
		want  string
	}{
		{"lastname", "O'Brien", "O&#39;Brien"},
		{"cf_text", `a "b" <c> & d`, "a &#34;b&#34; &#60;c&#62; &#38; d"},
		{"cf_text", "tab\there", "tab&#9;here"},
		{"cf_text", "Zoé Lefèvre", "Zoé Lefèvre"},
		{"cf_text", "&#39;", "&#38;#39;"},
		{"cf_textarea", "line 1\r\nline 2\n", "line 1&#13;&#10;line 2&#10;"},
		{"cf_time_text", " 9:05 ", "9:05"},
		{"title", "Mr'", "Mr&#39;"},
		{"cf_html", "<p>O'Brien &amp; fils</p>", "<p>O'Brien &amp; fils</p>"},
		{"cf_rich", "<b>x</b>\n'y'", "<b>x</b>\n'y'"},
		{"cf_rich2", "<i>z</i>", "<i>z</i>"},
		{"cf_pick", "l'or", "l'or"},
		{"cf_email", "o'brien@example.org", "o'brien@example.org"},
	}
	for i, c := range cases {
		t.Run(c.field+"="+c.in, func(t *testing.T) {
			email := fmt.Sprintf("clean%d@example.com", i)
			status, out, _ := call(t, ts, "POST", "/api/contacts/new", map[string]any{"email": email, c.field: c.in})
			require.Equal(t, 201, status)
			assert.Equal(t, c.want, allOf(t, out)[c.field], "as the create answers")
			id := out["contact"].(map[string]any)["id"]
			status, out, _ = call(t, ts, "PATCH", "/api/contacts/batch/edit", []map[string]any{{"id": id, c.field: c.in}})
			require.Equal(t, 200, status)
			got := out["contacts"].([]any)[0].(map[string]any)["fields"].(map[string]any)["all"].(map[string]any)[c.field]
			assert.Equal(t, c.want, got, "as the batch edit answers")
			_, out, _ = call(t, ts, "GET", fmt.Sprintf("/api/contacts/%v", id), nil)
			assert.Equal(t, c.want, allOf(t, out)[c.field], "read back")
		})
	}

	// The stored form is what where[] and the name lookups of company creates compare.
	status, out, _ := call(t, ts, "POST", "/api/companies/new", map[string]any{"companyname": "O'Brien & Fils"})
	require.Equal(t, 201, status)
	assert.Equal(t, "O&#39;Brien &#38; Fils", out["company"].(map[string]any)["fields"].(map[string]any)["all"].(map[string]any)["companyname"])
	for _, name := range []string{"O'Brien & Fils", "O&#39;Brien &#38; Fils"} {
		q := url.Values{"where[0][col]": {"companyname"}, "where[0][expr]": {"in"}, "where[0][val]": {name}}
		_, out, _ = call(t, ts, "GET", "/api/companies?"+q.Encode(), nil)
		assert.Equal(t, map[bool]string{true: "1", false: "0"}[strings.Contains(name, "#")], out["total"], name)
	}
	status, out, _ = call(t, ts, "POST", "/api/companies/new", map[string]any{"companyname": "O'Brien & Fils"})
	require.Equal(t, 200, status, "merged into the company of the same name, compared cleaned")
	assert.Equal(t, float64(1), out["company"].(map[string]any)["id"])

	_, out, _ = call(t, ts, "GET", "/api/fields/contact", nil)
	props := map[string]any{}
	for _, f := range out["fields"].([]any) {
		m := f.(map[string]any)
		props[m["alias"].(string)] = m["properties"]
	}
	assert.Equal(t, map[string]any{"allowHtml": true}, props["cf_rich"])
	assert.Equal(t, map[string]any{"allowHtml": true}, props["cf_rich2"])
	assert.Equal(t, []any{}, props["cf_html"])
}

// An edit giving a contact the e-mail another contact holds merges that one into it and
// deletes it (LeadApiController::preSaveEntity, ContactMerger::merge), alone and in a batch:
// the edited contact keeps its values, takes the other's where it has none, and its
// do-not-contact entries; an edit keeping the contact's own e-mail merges nothing.
func TestEditGivingAnotherContactsEmailMerges(t *testing.T) {
	routes := []struct {
		name, method, path string
		batch              bool
	}{
		{"PATCH edit", "PATCH", "/api/contacts/2/edit", false},
		{"PATCH batch/edit", "PATCH", "/api/contacts/batch/edit", true},
	}
	for _, r := range routes {
		t.Run(r.name, func(t *testing.T) {
			s, ts, _ := start(t, Options{})
			s.SeedPeople(0, 2)
			status, _, _ := call(t, ts, "PATCH", "/api/contacts/1/edit", map[string]any{"position": "CEO", "firstname": "Ann"})
			require.Equal(t, 200, status)
			status, _, _ = call(t, ts, "POST", "/api/contacts/1/dnc/sms/add", map[string]any{"reason": 1})
			require.Equal(t, 200, status)
			_, one, _ := call(t, ts, "GET", "/api/contacts/1", nil)
			email := allOf(t, one)["email"]
			status, _, _ = call(t, ts, "PATCH", "/api/contacts/2/edit", map[string]any{"position": nil, "overwriteWithBlank": true})
			require.Equal(t, 200, status)

			body := map[string]any{"email": email, "firstname": "Bea"}
			var sent any = body
			if r.batch {
				body["id"] = 2
				sent = []map[string]any{body}
			}
			status, _, _ = call(t, ts, r.method, r.path, sent)
			require.Less(t, status, 300)
			status, _, _ = call(t, ts, "GET", "/api/contacts/1", nil)
			assert.Equal(t, 404, status, "the contact that held the e-mail is deleted")
			status, two, _ := call(t, ts, "GET", "/api/contacts/2", nil)
			require.Equal(t, 200, status)
			all := allOf(t, two)
			assert.Equal(t, email, all["email"])
			assert.Equal(t, "Bea", all["firstname"], "its own value")
			assert.Equal(t, "CEO", all["position"], "the other's, where it had none")
			dnc := two["contact"].(map[string]any)["doNotContact"].([]any)
			require.Len(t, dnc, 1)
			assert.Equal(t, "sms", dnc[0].(map[string]any)["channel"])

			status, _, _ = call(t, ts, r.method, r.path, sent) // its own e-mail now
			require.Less(t, status, 300)
			assert.Equal(t, 1, s.Count("contacts"))
		})
	}
}

// A merge joins the other contact's companies to the edited contact, whose primary company
// stays its primary (the company field too): joining does not take its place.
func TestEditMergeKeepsThePrimaryCompany(t *testing.T) {
	s, ts, _ := start(t, Options{})
	s.SeedPeople(0, 10) // companies 1 (contacts 1-5) and 2 (contacts 6-10)
	_, one, _ := call(t, ts, "GET", "/api/contacts/1", nil)
	email := allOf(t, one)["email"]
	_, six, _ := call(t, ts, "GET", "/api/contacts/6", nil)
	company := allOf(t, six)["company"]
	require.NotEmpty(t, company)

	status, _, _ := call(t, ts, "PATCH", "/api/contacts/6/edit", map[string]any{"email": email})
	require.Equal(t, 200, status)
	status, _, _ = call(t, ts, "GET", "/api/contacts/1", nil)
	require.Equal(t, 404, status, "the contact that held the e-mail is deleted")
	_, six, _ = call(t, ts, "GET", "/api/contacts/6", nil)
	assert.Equal(t, company, allOf(t, six)["company"], "its primary company stays")
	status, list, _ := call(t, ts, "GET", "/api/contacts/6/companies", nil)
	require.Equal(t, 200, status)
	rows := map[string]string{}
	for _, r := range list["companies"].([]any) {
		row := r.(map[string]any)
		rows[row["company_id"].(string)] = row["is_primary"].(string)
	}
	assert.Equal(t, map[string]string{"1": "0", "2": "1"}, rows, "the other's company joined, not primary")
}
