package sellsy

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/sellsy/sim"
)

// cfDump returns the custom-field values of a record as the simulator stores them, by code.
func cfDump(t *testing.T, s *sim.Server, object, id string) map[string]any {
	t.Helper()
	for _, m := range s.Dump(object) {
		if strconv.Itoa(int(m["id"].(float64))) != id {
			continue
		}
		out := map[string]any{}
		for _, c := range m["_embed"].(map[string]any)["custom_fields"].([]any) {
			cm := c.(map[string]any)
			out[cm["code"].(string)] = cm["value"]
		}
		return out
	}
	t.Fatalf("%s %s not found", object, id)
	return nil
}

func TestCustomFieldEveryTypeRoundTrip(t *testing.T) {
	f := setup(t, sim.Options{}, false)
	f.sim.SeedPeople(0, 40)
	companies, contacts := dumpIDs(f.sim.Dump("companies")), dumpIDs(f.sim.Dump("contacts"))
	require.GreaterOrEqual(t, len(companies), 2)
	unitKg := float64(sim.UnitID("kg"))

	cases := []struct {
		field   string
		write   any // the normalised value given to Create/Update
		read    any // the normalised value read back
		wire    any // the value the simulator stores (read shape)
		write2  any // a second value, for Update
		read2   any
		cleared bool // write2 clears
	}{
		{field: "cf.cf_text", write: "Bonjour", read: "Bonjour", wire: "Bonjour", write2: "", cleared: true},
		{field: "cf.cf_rich", write: "<p>Gras</p>", read: "<p>Gras</p>", wire: "<p>Gras</p>", write2: "<i>x</i>", read2: "<i>x</i>"},
		{field: "cf.cf_num", write: 18.5, read: 18.5, wire: "18.5", write2: "42", read2: 42.0},
		{field: "cf.cf_amount", write: 15.26, read: 15.26, wire: map[string]any{"amount": "15.26", "currency": "EUR"}, write2: 0.0, read2: 0.0},
		{field: "cf.cf_unit", write: 3.5, read: 3.5, wire: map[string]any{"number": "3.5", "unit_id": unitKg}, write2: nil, cleared: true},
		{field: "cf.cf_select", write: "Argent", read: "Argent", wire: float64(f.sim.ChoiceID(109, "Argent")), write2: "or", read2: "Or"},
		{field: "cf.cf_radio", write: "Haute", read: "Haute", wire: float64(f.sim.ChoiceID(110, "Haute")), write2: "Basse", read2: "Basse"},
		{field: "cf.cf_checkbox", write: []string{"Web", "Salon"}, read: []string{"Web", "Salon"},
			wire: []any{float64(f.sim.ChoiceID(111, "Web")), float64(f.sim.ChoiceID(111, "Salon"))}, write2: []string{}, cleared: true},
		{field: "cf.cf_date", write: "2026-03-14", read: "2026-03-14", wire: "2026-03-14", write2: "2026-12-31T10:00:00Z", read2: "2026-12-31"},
		{field: "cf.cf_time", write: "09:45", read: "09:45", wire: "09:45", write2: "18:30:00", read2: "18:30"},
		{field: "cf.cf_email", write: "autre@example.org", read: "autre@example.org", wire: "autre@example.org", write2: "x@example.com", read2: "x@example.com"},
		{field: "cf.cf_url", write: "https://example.org/a", read: "https://example.org/a", wire: "https://example.org/a", write2: "http://x.fr", read2: "http://x.fr"},
		{field: "cf.cf_bool", write: true, read: true, wire: true, write2: false, read2: false},
		{field: "cf.cf_third", write: []string{companies[1]}, read: []string{companies[1]},
			wire: []any{map[string]any{"type": "company", "id": float64(mustAtoi(companies[1]))}}, write2: []string{companies[0], companies[1]}, read2: []string{companies[0], companies[1]}},
		{field: "cf.cf_item", write: []string{"1", "3"}, read: []string{"1", "3"}, wire: []any{1.0, 3.0}, write2: "2", read2: []string{"2"}},
		{field: "cf.cf_people", write: []string{contacts[2]}, read: []string{contacts[2]}, wire: []any{float64(mustAtoi(contacts[2]))}, write2: nil, cleared: true},
		{field: "cf.cf_staff", write: []string{"2"}, read: []string{"2"}, wire: []any{2.0}, write2: []any{"1", "3"}, read2: []string{"1", "3"}},
	}

	for _, object := range []string{connectors.ObjectContact, connectors.ObjectCompany} {
		t.Run(object, func(t *testing.T) {
			fields := map[string]any{}
			if object == connectors.ObjectContact {
				fields["last_name"] = "Typé"
			} else {
				fields["name"] = "Typée SA"
			}
			for _, c := range cases {
				fields[c.field] = c.write
			}
			res, err := f.c.Create(ctx, object, []connectors.Record{{Fields: fields}})
			require.NoError(t, err)
			require.NoError(t, res[0].Err)
			id := res[0].ID
			simObj := "contacts"
			if object == connectors.ObjectCompany {
				simObj = "companies"
			}
			wire := cfDump(t, f.sim, simObj, id)
			got, err := f.c.Get(ctx, object, []string{id})
			require.NoError(t, err)
			require.Len(t, got, 1)
			var listed connectors.Record
			for q := (connectors.ListQuery{Limit: 100}); ; {
				p, err := f.c.List(ctx, object, q)
				require.NoError(t, err)
				for _, r := range p.Records {
					if r.ID == id {
						listed = r
					}
				}
				if !p.More {
					break
				}
				q.Cursor = p.Cursor
			}
			require.Equal(t, id, listed.ID)
			for _, c := range cases {
				code := c.field[len("cf."):]
				assert.Equal(t, c.wire, wire[code], "%s: wire shape", c.field)
				assert.Equal(t, c.read, got[0].Fields[c.field], "%s: Get", c.field)
				assert.Equal(t, c.read, listed.Fields[c.field], "%s: List", c.field)
			}

			upd := map[string]any{}
			for _, c := range cases {
				upd[c.field] = c.write2
			}
			res, err = f.c.Update(ctx, object, []connectors.Record{{ID: id, Fields: upd}})
			require.NoError(t, err)
			require.NoError(t, res[0].Err)
			got, err = f.c.Get(ctx, object, []string{id})
			require.NoError(t, err)
			for _, c := range cases {
				if c.cleared {
					assert.Nil(t, got[0].Fields[c.field], "%s: cleared", c.field)
				} else {
					assert.Equal(t, c.read2, got[0].Fields[c.field], "%s: updated", c.field)
				}
			}
		})
	}
	// Seeded people carry no custom-field values.
	got, err := f.c.Get(ctx, connectors.ObjectContact, contacts[:1])
	require.NoError(t, err)
	for _, c := range cases {
		assert.Nil(t, got[0].Fields[c.field], c.field)
	}
}

func TestCustomFieldBadValues(t *testing.T) {
	f := setup(t, sim.Options{}, false)
	f.sim.SeedPeople(0, 1)
	id := dumpIDs(f.sim.Dump("contacts"))[0]
	cases := []struct {
		field string
		value any
	}{
		{"cf.cf_text", map[string]any{"a": 1}},
		{"cf.cf_num", "douze"},
		{"cf.cf_amount", "beaucoup"},
		{"cf.cf_unit", true},
		{"cf.cf_select", "Platine"},
		{"cf.cf_radio", 3.0},
		{"cf.cf_checkbox", []string{"Web", "Télé"}},
		{"cf.cf_date", "14/03/2026"},
		{"cf.cf_time", "25:00"},
		{"cf.cf_email", "pas-une-adresse"},
		{"cf.cf_url", "example.org"},
		{"cf.cf_bool", "peut-être"},
		{"cf.cf_third", []string{"ACME"}},
		{"cf.cf_item", true},
		{"cf.cf_people", []string{"-4"}},
		{"cf.cf_staff", []string{"x"}},
		// Refused by Sellsy (ids that do not exist), named by code all the same.
		{"cf.cf_item", []string{"42"}},
		{"cf.cf_staff", []string{"99"}},
		{"cf.cf_third", []string{"999999"}},
		{"cf.unknown", "x"},
		{"unsubscribed.email", "oui"},
	}
	for _, c := range cases {
		t.Run(c.field, func(t *testing.T) {
			res, err := f.c.Update(ctx, connectors.ObjectContact, []connectors.Record{{ID: id, Fields: map[string]any{c.field: c.value, "position": "Testeur"}}})
			require.NoError(t, err)
			require.Error(t, res[0].Err)
			assert.Equal(t, connectors.KindInvalid, connectors.KindOf(res[0].Err))
			var e *connectors.Error
			require.ErrorAs(t, res[0].Err, &e)
			assert.Contains(t, e.Fields, c.field)
			assert.Contains(t, e.Error(), c.field)
		})
	}
	// A bad record does not stop the others.
	res, err := f.c.Create(ctx, connectors.ObjectContact, []connectors.Record{
		{Fields: map[string]any{"last_name": "A", "cf.cf_num": "x"}},
		{Fields: map[string]any{"last_name": "B", "cf.cf_num": 3.0}},
	})
	require.NoError(t, err)
	assert.Equal(t, connectors.KindInvalid, connectors.KindOf(res[0].Err))
	assert.NoError(t, res[1].Err)
}

func TestCustomFieldMandatory(t *testing.T) {
	f := setup(t, sim.Options{}, false)
	f.sim.SeedPeople(0, 1)
	f.sim.AddCustomField(sim.CustomField{Code: "cf_must", Name: "Obligatoire", Type: "select", Items: []string{"A", "B"},
		Mandatory: true, Related: []string{"contact"}})
	seeded := dumpIDs(f.sim.Dump("contacts"))[0]

	fields, err := f.c.Describe(ctx, connectors.ObjectContact)
	require.NoError(t, err)
	var must connectors.Field
	for _, fl := range fields {
		if fl.Name == "cf.cf_must" {
			must = fl
		}
	}
	assert.True(t, must.Required)

	cases := []struct {
		name   string
		rec    connectors.Record
		create bool
		ok     bool
	}{
		{"create without the mandatory field", connectors.Record{Fields: map[string]any{"last_name": "X"}}, true, false},
		{"create with it empty", connectors.Record{Fields: map[string]any{"last_name": "X", "cf.cf_must": ""}}, true, false},
		{"create with it", connectors.Record{Fields: map[string]any{"last_name": "X", "cf.cf_must": "B"}}, true, true},
		{"update clearing it", connectors.Record{ID: seeded, Fields: map[string]any{"cf.cf_must": nil}}, false, false},
		{"update of another custom field while it is empty (refused by Sellsy)", connectors.Record{ID: seeded, Fields: map[string]any{"cf.cf_text": "x"}}, false, false},
		{"update without custom fields", connectors.Record{ID: seeded, Fields: map[string]any{"position": "P"}}, false, true},
		{"update setting it", connectors.Record{ID: seeded, Fields: map[string]any{"cf.cf_must": "A", "cf.cf_text": "x"}}, false, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := f.sim.Count("contacts")
			var res []connectors.Result
			var err error
			if c.create {
				res, err = f.c.Create(ctx, connectors.ObjectContact, []connectors.Record{c.rec})
			} else {
				res, err = f.c.Update(ctx, connectors.ObjectContact, []connectors.Record{c.rec})
			}
			require.NoError(t, err)
			if c.ok {
				require.NoError(t, res[0].Err)
				return
			}
			assert.Equal(t, connectors.KindInvalid, connectors.KindOf(res[0].Err))
			var e *connectors.Error
			require.ErrorAs(t, res[0].Err, &e)
			assert.Contains(t, e.Fields, "cf.cf_must")
			assert.Equal(t, before, f.sim.Count("contacts"), "nothing created")
		})
	}
	got, err := f.c.Get(ctx, connectors.ObjectContact, []string{seeded})
	require.NoError(t, err)
	assert.Equal(t, "A", got[0].Fields["cf.cf_must"])
}

func TestConsentRoundTrip(t *testing.T) {
	f := setup(t, sim.Options{}, false)
	f.sim.SeedPeople(0, 1)
	subs := func(id string) []any {
		for _, m := range f.sim.Dump("contacts") {
			if strconv.Itoa(int(m["id"].(float64))) == id {
				return m["marketing_campaigns_subscriptions"].([]any)
			}
		}
		return nil
	}
	get := func(id string) map[string]any {
		got, err := f.c.Get(ctx, connectors.ObjectContact, []string{id})
		require.NoError(t, err)
		require.Len(t, got, 1)
		return got[0].Fields
	}
	all := func(email, sms, phone, postal bool) map[string]any {
		return map[string]any{"unsubscribed.email": email, "unsubscribed.sms": sms, "unsubscribed.phone": phone, "unsubscribed.postal": postal}
	}
	pick := func(m map[string]any) map[string]any {
		out := map[string]any{}
		for _, k := range []string{"unsubscribed.email", "unsubscribed.sms", "unsubscribed.phone", "unsubscribed.postal"} {
			out[k] = m[k]
		}
		return out
	}

	seeded := dumpIDs(f.sim.Dump("contacts"))[0]
	assert.Equal(t, all(false, false, false, false), pick(get(seeded)), "seeded contacts subscribe to every channel")
	res, err := f.c.Update(ctx, connectors.ObjectContact, []connectors.Record{{ID: seeded, Fields: map[string]any{"unsubscribed.postal": true}}})
	require.NoError(t, err)
	require.NoError(t, res[0].Err)
	assert.Equal(t, []any{"email", "sms", "phone"}, subs(seeded), "read-modify-write keeps the other channels")

	res, err = f.c.Create(ctx, connectors.ObjectContact, []connectors.Record{{Fields: map[string]any{
		"last_name": "Consent", "unsubscribed.email": false, "unsubscribed.sms": true, "unsubscribed.phone": "false",
	}}})
	require.NoError(t, err)
	require.NoError(t, res[0].Err)
	id := res[0].ID
	assert.Equal(t, []any{"email", "phone"}, subs(id))
	assert.Equal(t, all(false, true, false, true), pick(get(id)), "channels not given are not subscribed (no consent recorded)")

	steps := []struct {
		name   string
		fields map[string]any
		want   map[string]any
		wire   []any
	}{
		{"unsubscribe from e-mail", map[string]any{"unsubscribed.email": true}, all(true, true, false, true), []any{"phone"}},
		{"subscribe to postal mail and sms", map[string]any{"unsubscribed.postal": false, "unsubscribed.sms": false}, all(true, false, false, false), []any{"sms", "phone", "postal_mail"}},
		{"nil leaves the channel", map[string]any{"unsubscribed.phone": nil, "position": "x"}, all(true, false, false, false), []any{"sms", "phone", "postal_mail"}},
		{"everything off", all(true, true, true, true), all(true, true, true, true), []any{}},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			res, err := f.c.Update(ctx, connectors.ObjectContact, []connectors.Record{{ID: id, Fields: s.fields}})
			require.NoError(t, err)
			require.NoError(t, res[0].Err)
			assert.Equal(t, s.wire, subs(id))
			assert.Equal(t, s.want, pick(get(id)))
		})
	}

	// The custom channel, which has no field, is kept.
	f.sim.Reset()
	res, err = f.c.Create(ctx, connectors.ObjectContact, []connectors.Record{{Fields: map[string]any{"last_name": "C", "unsubscribed.sms": false}}})
	require.NoError(t, err)
	require.NoError(t, res[0].Err)
	id = res[0].ID
	// Put "custom" in with the raw API through the simulator's state (a contact edited in Sellsy).
	putRaw(t, f, "/v2/contacts/"+id, `{"marketing_campaigns_subscriptions":["sms","custom"]}`)
	res, err = f.c.Update(ctx, connectors.ObjectContact, []connectors.Record{{ID: id, Fields: map[string]any{"unsubscribed.email": false}}})
	require.NoError(t, err)
	require.NoError(t, res[0].Err)
	assert.Equal(t, []any{"email", "sms", "custom"}, subs(id))

	// Companies have no consent fields.
	cres, err := f.c.Create(ctx, connectors.ObjectCompany, []connectors.Record{{Fields: map[string]any{"name": "X", "unsubscribed.email": true}}})
	require.NoError(t, err)
	assert.Equal(t, connectors.KindInvalid, connectors.KindOf(cres[0].Err))
}

// putRaw sends a PUT straight to the simulator with a fresh token.
func putRaw(t *testing.T, f *fixture, path, body string) {
	t.Helper()
	resp, err := http.Post(f.srv.URL+"/oauth2/access-tokens", "application/json",
		strings.NewReader(`{"grant_type":"client_credentials","client_id":"`+testID+`","client_secret":"`+testSecret+`"}`))
	require.NoError(t, err)
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&tok))
	resp.Body.Close()
	req, err := http.NewRequest("PUT", f.srv.URL+path, strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err = http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, 200, resp.StatusCode)
}

func TestDescribeEveryType(t *testing.T) {
	f := setup(t, sim.Options{}, false)
	want := map[string]string{
		"cf.cf_text": "simple-text", "cf.cf_rich": "rich-text", "cf.cf_num": "numeric", "cf.cf_amount": "amount",
		"cf.cf_unit": "numeric-with-unit", "cf.cf_select": "select", "cf.cf_radio": "radio", "cf.cf_checkbox": "checkbox",
		"cf.cf_date": "date", "cf.cf_time": "time", "cf.cf_email": "email", "cf.cf_url": "url", "cf.cf_bool": "boolean",
		"cf.cf_third": "company-individual", "cf.cf_item": "item", "cf.cf_people": "contact", "cf.cf_staff": "staff",
	}
	options := map[string][]connectors.Option{
		"cf.cf_select":   {{Value: "Bronze", Label: "Bronze"}, {Value: "Argent", Label: "Argent"}, {Value: "Or", Label: "Or"}},
		"cf.cf_radio":    {{Value: "Basse", Label: "Basse"}, {Value: "Moyenne", Label: "Moyenne"}, {Value: "Haute", Label: "Haute"}},
		"cf.cf_checkbox": {{Value: "Web", Label: "Web"}, {Value: "Salon", Label: "Salon"}, {Value: "Partenaire", Label: "Partenaire"}},
	}
	for _, object := range []string{connectors.ObjectContact, connectors.ObjectCompany} {
		t.Run(object, func(t *testing.T) {
			fields, err := f.c.Describe(ctx, object)
			require.NoError(t, err)
			byName := map[string]connectors.Field{}
			for _, fl := range fields {
				byName[fl.Name] = fl
			}
			for name, typ := range want {
				fl, ok := byName[name]
				require.True(t, ok, name)
				assert.Equal(t, typ, fl.Type, name)
				assert.False(t, fl.Required, name)
				assert.NotEmpty(t, fl.Label, name)
				assert.Equal(t, options[name], fl.Options, name)
			}
			for _, c := range []string{"unsubscribed.email", "unsubscribed.sms", "unsubscribed.phone", "unsubscribed.postal"} {
				fl, ok := byName[c]
				assert.Equal(t, object == connectors.ObjectContact, ok, c)
				if ok {
					assert.Equal(t, "boolean", fl.Type)
				}
			}
		})
	}
}
