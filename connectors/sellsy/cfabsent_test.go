package sellsy

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/sellsy/sim"
)

// A custom field the read was to give but did not — its embed null (Sellsy's answer to an
// embed the scopes do not allow), left out of the embed, or its definition no longer read —
// is unknown on the record (Absent), never empty: taken as empty, a sync would clear the
// other side's value. Opportunities are read by their own code (oppRecord, and one GET a
// record for Get): they are checked too.
func TestCustomFieldNotReadIsAbsent(t *testing.T) {
	contactsNull := eachRecord("contacts", func(m map[string]any) { m["_embed"] = map[string]any{"custom_fields": nil} })
	tests := []struct {
		name   string
		object string   // "": contacts
		mapped []string // the connection's fields of the object (nil: every field)
		// answer changes the simulator's answer to the request r (nil: as it is).
		answer     func(r *http.Request, body map[string]any) (status int, changed bool)
		wantAbsent []string
	}{
		{name: "read", mapped: []string{"last_name", "cf.cf_text", "cf.cf_num"}},
		{name: "embed null", mapped: []string{"last_name", "cf.cf_text", "cf.cf_num"},
			answer: contactsNull, wantAbsent: []string{"cf.cf_num", "cf.cf_text"}},
		{name: "no embed", mapped: []string{"last_name", "cf.cf_text", "cf.cf_num"},
			answer:     eachRecord("contacts", func(m map[string]any) { delete(m, "_embed") }),
			wantAbsent: []string{"cf.cf_num", "cf.cf_text"}},
		{name: "one left out of the embed", mapped: []string{"last_name", "cf.cf_text", "cf.cf_num"},
			answer: eachRecord("contacts", func(m map[string]any) {
				emb := m["_embed"].(map[string]any)
				emb["custom_fields"] = slices.DeleteFunc(emb["custom_fields"].([]any), func(x any) bool {
					return x.(map[string]any)["code"] == "cf_text"
				})
			}),
			wantAbsent: []string{"cf.cf_text"}},
		{name: "definitions refused", mapped: []string{"last_name", "cf.cf_text", "cf.cf_num"},
			answer: func(r *http.Request, _ map[string]any) (int, bool) {
				if r.URL.Path == "/v2/custom-fields" {
					return http.StatusForbidden, true
				}
				return 0, false
			},
			wantAbsent: []string{"cf.cf_num", "cf.cf_text"}},
		{name: "every field read, embed null", answer: contactsNull,
			wantAbsent: []string{"cf.cf_amount", "cf.cf_num", "cf.cf_text"}}, // among the others
		{name: "opportunity read", object: ObjectOpportunity, mapped: []string{"name", "cf.etape"}},
		{name: "opportunity, embed null", object: ObjectOpportunity, mapped: []string{"name", "cf.etape"},
			answer:     eachRecord("opportunities", func(m map[string]any) { m["_embed"] = map[string]any{"custom_fields": nil} }),
			wantAbsent: []string{"cf.etape"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := setup(t, sim.Options{}, false)
			object, text := connectors.ObjectContact, "cf.cf_text" // text: a custom field written "Bonjour"
			var id string
			if tt.object == ObjectOpportunity {
				object, text = ObjectOpportunity, "cf.etape"
				f.sim.AddCustomField(sim.CustomField{Code: "etape", Type: "simple-text", Related: []string{"opportunity"}})
				f.sim.SeedOpportunities(1)
				id = dumpIDs(f.sim.Dump("opportunities"))[0]
			} else {
				f.sim.SeedPeople(0, 1)
				id = dumpIDs(f.sim.Dump("contacts"))[0]
			}
			res, err := f.c.Update(ctx, object, []connectors.Record{{ID: id, Fields: map[string]any{text: "Bonjour"}}})
			require.NoError(t, err)
			require.NoError(t, res[0].Err)
			c := f.inFront(t, func(w http.ResponseWriter, r *http.Request, s http.Handler) {
				if tt.answer == nil {
					s.ServeHTTP(w, r)
					return
				}
				rec := httptest.NewRecorder()
				s.ServeHTTP(rec, r)
				var body map[string]any
				_ = json.Unmarshal(rec.Body.Bytes(), &body)
				status, changed := tt.answer(r, body)
				if !changed {
					for k, v := range rec.Header() {
						w.Header()[k] = v
					}
					w.WriteHeader(rec.Code)
					_, _ = w.Write(rec.Body.Bytes())
					return
				}
				if status == 0 {
					status = rec.Code
				}
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(status)
				if status == http.StatusForbidden {
					_, _ = w.Write([]byte(`{"error":{"code":403,"message":"Forbidden","details":[],"context":null}}`))
					return
				}
				_ = json.NewEncoder(w).Encode(body)
			})
			if tt.mapped != nil {
				c.cfg.Fields = map[string][]string{object: tt.mapped}
			}
			listed := listAll(t, c, object)
			got, err := c.Get(ctx, object, []string{id})
			require.NoError(t, err)
			for name, reads := range map[string][]connectors.Record{"list": listed, "get": got} {
				require.Len(t, reads, 1, name)
				r := reads[0]
				var absent []string
				for _, a := range r.Absent {
					if strings.HasPrefix(a, "cf.") {
						absent = append(absent, a)
					}
				}
				if tt.mapped == nil {
					assert.Subset(t, absent, tt.wantAbsent, name)
				} else {
					assert.ElementsMatch(t, tt.wantAbsent, absent, name)
				}
				for _, a := range absent {
					assert.NotContains(t, r.Fields, a, "%s: an unknown value is not a value", name)
				}
				if !slices.Contains(absent, text) {
					assert.Equal(t, "Bonjour", r.Fields[text], name)
				}
				if object == connectors.ObjectContact && !slices.Contains(absent, "cf.cf_num") {
					assert.Contains(t, r.Fields, "cf.cf_num", "%s: read empty, known empty", name)
				}
			}
		})
	}
}

// eachRecord changes every record of the answers to the reads of the object at path (a list,
// a search, GET /{path}/{id}).
func eachRecord(path string, change func(m map[string]any)) func(r *http.Request, body map[string]any) (int, bool) {
	return func(r *http.Request, body map[string]any) (int, bool) {
		rest, ok := strings.CutPrefix(r.URL.Path, "/v2/"+path)
		if !ok || r.Method == http.MethodPut {
			return 0, false
		}
		if _, err := strconv.Atoi(strings.TrimPrefix(rest, "/")); err == nil {
			change(body) // one record
			return 0, true
		}
		if rest != "" && rest != "/search" {
			return 0, false
		}
		data, _ := body["data"].([]any)
		for _, x := range data {
			change(x.(map[string]any))
		}
		return 0, true
	}
}
