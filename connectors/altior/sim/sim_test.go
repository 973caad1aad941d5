package sim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/crmsync/crmsync/connectors/simkit"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type env struct {
	t   *testing.T
	s   *Server
	url string
	clk *simkit.Clock
	tok string
}

func setup(t *testing.T) *env {
	clk := simkit.NewClock(time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC))
	s := New(Options{APIKey: "k-secret", TokenTTL: time.Hour, PageSize: 3, Now: clk.Now})
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	e := &env{t: t, s: s, url: srv.URL, clk: clk}
	var tok struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int    `json:"expires_in"`
	}
	require.Equal(t, 200, e.call("POST", "/api/v1/auth/token", map[string]string{"api_key": "k-secret"}, &tok))
	require.Equal(t, 3600, tok.ExpiresIn)
	e.tok = tok.AccessToken
	return e
}

func (e *env) call(method, path string, body, out any) int {
	var rd *bytes.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	} else {
		rd = bytes.NewReader(nil)
	}
	req, _ := http.NewRequest(method, e.url+path, rd)
	if e.tok != "" {
		req.Header.Set("Authorization", "Bearer "+e.tok)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(e.t, err)
	defer resp.Body.Close()
	if out != nil {
		_ = json.NewDecoder(resp.Body).Decode(out)
	}
	return resp.StatusCode
}

func TestAuth(t *testing.T) {
	e := setup(t)
	var body ErrorBody
	assert.Equal(t, 401, (&env{t: t, url: e.url}).call("POST", "/api/v1/auth/token", map[string]string{"api_key": "wrong"}, &body))
	assert.Equal(t, "invalid_api_key", body.Error.Code)
	assert.NotContains(t, body.Error.Message, "wrong")
	assert.Equal(t, 200, e.call("GET", "/api/v1/users", nil, nil))
	e.clk.Advance(time.Hour)
	assert.Equal(t, 401, e.call("GET", "/api/v1/users", nil, nil), "expired token")
	assert.Equal(t, 401, (&env{t: t, url: e.url}).call("GET", "/api/v1/users", nil, nil), "no token")
}

func TestSeededParameters(t *testing.T) {
	e := setup(t)
	var l struct{ Items []ValueItem }
	require.Equal(t, 200, e.call("GET", "/api/v1/value-lists/civilities", nil, &l))
	assert.Equal(t, []ValueItem{{"MME", "Madame", "Mme"}, {"M", "Monsieur", "M."}}, l.Items)
	for list, n := range map[string]int{ListLegalForms: 7, ListPhoneTypes: 5, ListEmailTypes: 4, ListURLTypes: 3, ListStaffRoles: 5, ListContactRoles: 4} {
		require.Equal(t, 200, e.call("GET", "/api/v1/value-lists/"+list, nil, &l), list)
		assert.Len(t, l.Items, n, list)
	}
	assert.Equal(t, 404, e.call("GET", "/api/v1/value-lists/nope", nil, nil))
	var us struct{ Items []User }
	e.call("GET", "/api/v1/users", nil, &us)
	assert.Len(t, us.Items, 3)
	assert.Equal(t, RefUserEmail, us.Items[0].Email)
	var cf struct{ Items []CustomField }
	e.call("GET", "/api/v1/custom-fields?object=affaire", nil, &cf)
	assert.Equal(t, []string{"PIPE", "ETAP", "SLSY"}, []string{cf.Items[0].Code, cf.Items[1].Code, cf.Items[2].Code})
	var et struct{ Items []EventType }
	e.call("GET", "/api/v1/affaire-event-types", nil, &et)
	assert.Equal(t, "QUALIF", et.Items[0].Code)
}

func TestPagingAndChangedSince(t *testing.T) {
	e := setup(t)
	e.s.SeedTiers(0, 20) // 4 companies, 20 contacts
	assert.Equal(t, 4, e.s.Count(ObjectTiers))
	assert.Equal(t, 20, e.s.Count(ObjectContact))
	type page struct {
		Items []map[string]any
		Total int
	}
	var p page
	e.call("GET", "/api/v1/contacts?page=1&page_size=50", nil, &p)
	assert.Len(t, p.Items, 3, "page_size is capped")
	assert.Equal(t, 20, p.Total)
	seen := map[string]bool{}
	for pg := 1; pg <= 7; pg++ {
		e.call("GET", fmt.Sprintf("/api/v1/contacts?page=%d", pg), nil, &p)
		for _, it := range p.Items {
			seen[it["id"].(string)] = true
		}
	}
	assert.Len(t, seen, 20)

	e.clk.Advance(time.Minute)
	since := e.clk.Now().Format(time.RFC3339)
	id := e.s.Dump(ObjectTiers)[1]["id"].(string)
	assert.Equal(t, 200, e.call("PATCH", "/api/v1/tiers/"+id, map[string]any{"relation": "supplier"}, nil))
	e.call("GET", "/api/v1/tiers?changed_since="+since, nil, &p)
	require.Len(t, p.Items, 1)
	assert.Equal(t, id, p.Items[0]["id"])
	assert.Equal(t, "supplier", p.Items[0]["relation"])
	assert.Equal(t, since, p.Items[0]["updated_at"])
	assert.Equal(t, 400, e.call("GET", "/api/v1/tiers?changed_since=yesterday", nil, nil))

	// the keyset: what sorts after (updated_at, id), the tiers just changed last
	first := e.s.Dump(ObjectTiers)[0]
	var after page
	e.call("GET", "/api/v1/tiers?after="+url.QueryEscape(first["updated_at"].(string)+","+first["id"].(string)), nil, &after)
	assert.Equal(t, 3, after.Total, "the 3 tiers after the first")
	require.Len(t, after.Items, 3)
	assert.Equal(t, id, after.Items[2]["id"], "the changed one last")
	e.call("GET", "/api/v1/tiers?after="+url.QueryEscape(since+","+id), nil, &after)
	assert.Equal(t, 0, after.Total, "nothing after the last one")
	var refused struct {
		Error struct{ Code, Field string }
	}
	for _, bad := range []string{"T1", "yesterday,T1", since + ","} {
		assert.Equal(t, 400, e.call("GET", "/api/v1/tiers?after="+url.QueryEscape(bad), nil, &refused), bad)
		assert.Equal(t, "after", refused.Error.Field, bad)
	}
}

func TestWriteValidation(t *testing.T) {
	e := setup(t)
	tiers := func(m map[string]any) map[string]any {
		base := map[string]any{"kind": "moral", "relation": "client", "name": "ACME", "siret": "12345678900012"}
		for k, v := range m {
			base[k] = v
		}
		return base
	}
	cases := []struct {
		name        string
		body        map[string]any
		status      int
		field, list string
	}{
		{"ok", tiers(map[string]any{"legal_form": "SARL", "phones": []Typed{{"FIXE", "+33 1"}}}), 201, "", ""},
		{"legal form", tiers(map[string]any{"legal_form": "GMBH"}), 400, "legal_form", ListLegalForms},
		{"phone type", tiers(map[string]any{"phones": []Typed{{"BIP", "1"}}}), 400, "phones.type", ListPhoneTypes},
		{"email type", tiers(map[string]any{"emails": []Typed{{"PERSO", "a@b.c"}}}), 400, "emails.type", ListEmailTypes},
		{"url type", tiers(map[string]any{"urls": []Typed{{"X", "https://x"}}}), 400, "urls.type", ListURLTypes},
		{"civility on physical", map[string]any{"kind": "physical", "relation": "client", "last_name": "Durand", "civility": "DR"}, 400, "civility", ListCivilities},
		{"establishment", tiers(map[string]any{"establishment_id": "E9"}), 400, "establishment_id", ""},
		{"user", tiers(map[string]any{"owner_user_id": "U9"}), 400, "owner_user_id", ""},
		{"siret", tiers(map[string]any{"siret": "123"}), 400, "siret", ""},
		{"custom field", tiers(map[string]any{"custom_fields": map[string]string{"NOPE": "x"}}), 400, "custom_fields.NOPE", ""},
		{"relation", tiers(map[string]any{"relation": "friend"}), 400, "relation", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var b ErrorBody
			assert.Equal(t, c.status, e.call("POST", "/api/v1/tiers", c.body, &b))
			assert.Equal(t, c.field, b.Error.Field)
			if c.list != "" {
				assert.Contains(t, b.Error.Message, c.list)
				assert.Contains(t, b.Error.Message, c.field)
			}
		})
	}
	assert.Equal(t, 1, e.s.Count(ObjectTiers))
	e.s.SetReadOnly(true)
	assert.Equal(t, 403, e.call("POST", "/api/v1/tiers", tiers(nil), nil))
}

func TestContactsAndAffaireEvents(t *testing.T) {
	e := setup(t)
	var tr Tiers
	require.Equal(t, 201, e.call("POST", "/api/v1/tiers", map[string]any{"kind": "moral", "relation": "prospect", "name": "ACME"}, &tr))
	var c Contact
	require.Equal(t, 201, e.call("POST", "/api/v1/tiers/"+tr.ID+"/contacts", map[string]any{
		"last_name": "Durand", "role": "ACHETEUR", "emails": []Typed{{"PRINCIPAL", "Jo@Example.com"}, {"ACHATS", "buy@example.com"}},
	}, &c))
	var b ErrorBody
	assert.Equal(t, 400, e.call("PATCH", "/api/v1/contacts/"+c.ID, map[string]any{"role": "PDG"}, &b))
	assert.Equal(t, "role", b.Error.Field)
	assert.Contains(t, b.Error.Message, ListContactRoles)
	var p struct{ Items []Contact }
	e.call("GET", "/api/v1/contacts?email=jo@example.com", nil, &p)
	require.Len(t, p.Items, 1)
	assert.Equal(t, c.Emails, p.Items[0].Emails)

	var a Affaire
	require.Equal(t, 201, e.call("POST", "/api/v1/affaires", map[string]any{"tiers_id": tr.ID, "title": "Deal", "establishment_id": "E2",
		"custom_fields": map[string]string{"PIPE": "Ventes", "ETAP": "Qualif"}}, &a))
	for _, code := range []string{"QUALIF", "PROPOSITION", "GAGNEE"} {
		e.clk.Advance(time.Second)
		require.Equal(t, 201, e.call("POST", "/api/v1/affaires/"+a.ID+"/events", map[string]string{"code": code}, &a))
	}
	assert.Equal(t, 409, e.call("POST", "/api/v1/affaires/"+a.ID+"/events", map[string]string{"code": "QUALIF"}, &b))
	assert.Equal(t, 400, e.call("POST", "/api/v1/affaires/"+a.ID+"/events", map[string]string{"code": "NOPE"}, &b))
	e.call("GET", "/api/v1/affaires/"+a.ID, nil, &a)
	var codes []string
	for _, ev := range a.Events {
		codes = append(codes, ev.Code)
	}
	assert.Equal(t, []string{"QUALIF", "PROPOSITION", "GAGNEE"}, codes)
	assert.True(t, a.Events[0].At.Before(a.Events[2].At))
	assert.Equal(t, a.Events[2].At, a.UpdatedAt)
	assert.Equal(t, 400, e.call("PATCH", "/api/v1/affaires/"+a.ID, map[string]any{"events": []string{"X"}}, &b))
	assert.Equal(t, "events", b.Error.Field)
}

func TestAdmin(t *testing.T) {
	e := setup(t)
	e.tok = ""
	assert.Equal(t, 200, e.call("POST", "/_sim/seed", map[string]int{"first": 0, "n": 10}, nil))
	var d []map[string]any
	assert.Equal(t, 200, e.call("GET", "/_sim/dump?object=contacts", nil, &d))
	assert.Len(t, d, 10)
	assert.Equal(t, 204, e.call("POST", "/_sim/reset", nil, nil))
	assert.Equal(t, 0, e.s.Count(ObjectTiers))
	var st struct{ Total int }
	e.call("GET", "/_sim/stats", nil, &st)
	assert.Equal(t, 1, st.Total, "the login only")
}

// Each record is read back by id; an unknown id is a 404 with the error body naming the kind.
func TestGetByID(t *testing.T) {
	e := setup(t)
	var tr Tiers
	require.Equal(t, 201, e.call("POST", "/api/v1/tiers", map[string]any{"kind": "moral", "relation": "client", "name": "ACME"}, &tr))
	var c Contact
	require.Equal(t, 201, e.call("POST", "/api/v1/tiers/"+tr.ID+"/contacts", map[string]any{"last_name": "Durand"}, &c))
	var a Affaire
	require.Equal(t, 201, e.call("POST", "/api/v1/affaires", map[string]any{"tiers_id": tr.ID, "title": "Deal", "establishment_id": "E2"}, &a))
	tests := []struct {
		path, id, missing string
	}{
		{"/api/v1/tiers/", tr.ID, "no such tiers"},
		{"/api/v1/contacts/", c.ID, "no such contact"},
		{"/api/v1/affaires/", a.ID, "no such affaire"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			var got struct {
				ID string `json:"id"`
			}
			require.Equal(t, 200, e.call("GET", tt.path+tt.id, nil, &got))
			assert.Equal(t, tt.id, got.ID)
			var b ErrorBody
			assert.Equal(t, 404, e.call("GET", tt.path+"X404", nil, &b))
			assert.Equal(t, "not_found", b.Error.Code)
			assert.Equal(t, tt.missing, b.Error.Message)
		})
	}
}
