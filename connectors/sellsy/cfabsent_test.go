package sellsy

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
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
// other side's value.
func TestCustomFieldNotReadIsAbsent(t *testing.T) {
	tests := []struct {
		name   string
		mapped []string // the connection's fields of contacts (nil: every field)
		// answer changes the simulator's answer to the request r (nil: as it is).
		answer     func(r *http.Request, body map[string]any) (status int, changed bool)
		wantAbsent []string
	}{
		{name: "read", mapped: []string{"last_name", "cf.cf_text", "cf.cf_num"}},
		{name: "embed null", mapped: []string{"last_name", "cf.cf_text", "cf.cf_num"},
			answer:     eachRecord(func(m map[string]any) { m["_embed"] = map[string]any{"custom_fields": nil} }),
			wantAbsent: []string{"cf.cf_num", "cf.cf_text"}},
		{name: "no embed", mapped: []string{"last_name", "cf.cf_text", "cf.cf_num"},
			answer:     eachRecord(func(m map[string]any) { delete(m, "_embed") }),
			wantAbsent: []string{"cf.cf_num", "cf.cf_text"}},
		{name: "one left out of the embed", mapped: []string{"last_name", "cf.cf_text", "cf.cf_num"},
			answer: eachRecord(func(m map[string]any) {
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
		{name: "every field read, embed null",
			answer:     eachRecord(func(m map[string]any) { m["_embed"] = map[string]any{"custom_fields": nil} }),
			wantAbsent: []string{"cf.cf_amount", "cf.cf_num", "cf.cf_text"}}, // among the others
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := setup(t, sim.Options{}, false)
			f.sim.SeedPeople(0, 1)
			id := dumpIDs(f.sim.Dump("contacts"))[0]
			res, err := f.c.Update(ctx, connectors.ObjectContact, []connectors.Record{{ID: id, Fields: map[string]any{"cf.cf_text": "Bonjour"}}})
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
				c.cfg.Fields = map[string][]string{connectors.ObjectContact: tt.mapped}
			}
			listed := listAll(t, c, connectors.ObjectContact)
			got, err := c.Get(ctx, connectors.ObjectContact, []string{id})
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
				if !slices.Contains(absent, "cf.cf_text") {
					assert.Equal(t, "Bonjour", r.Fields["cf.cf_text"], name)
				}
				if !slices.Contains(absent, "cf.cf_num") {
					assert.Contains(t, r.Fields, "cf.cf_num", "%s: read empty, known empty", name)
				}
			}
		})
	}
}

// eachRecord changes every record of a list or search answer.
func eachRecord(change func(m map[string]any)) func(r *http.Request, body map[string]any) (int, bool) {
	return func(r *http.Request, body map[string]any) (int, bool) {
		if r.URL.Path != "/v2/contacts" && r.URL.Path != "/v2/contacts/search" {
			return 0, false
		}
		data, _ := body["data"].([]any)
		for _, x := range data {
			change(x.(map[string]any))
		}
		return 0, true
	}
}
