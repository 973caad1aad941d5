package sellsy

import (
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/sellsy/sim"
)

func TestParseID(t *testing.T) {
	tests := []struct {
		in   string
		want int
		ok   bool
	}{
		{"12", 12, true},
		{" 12 ", 12, true},
		{"\t12\n", 12, true},
		{"012", 12, true},
		{"+12", 12, true},
		{"1", 1, true},
		{"0", 0, false},
		{"-3", 0, false},
		{"", 0, false},
		{"  ", 0, false},
		{"1.0", 0, false},
		{"1e3", 0, false},
		{"12a", 0, false},
		{"1 2", 0, false},
		{"99999999999999999999", 0, false}, // beyond int: no Sellsy id
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			n, ok := ParseID(tt.in)
			assert.Equal(t, tt.ok, ok)
			if tt.ok {
				assert.Equal(t, tt.want, n)
			}
		})
	}
}

// recorder is a connector whose requests to the simulator are recorded as "METHOD path".
type recorder struct {
	c    *Client
	mu   sync.Mutex
	seen []string
}

func newRecorder(t *testing.T, f *fixture) *recorder {
	t.Helper()
	r := &recorder{}
	r.c = f.inFront(t, func(w http.ResponseWriter, req *http.Request, s http.Handler) {
		r.mu.Lock()
		r.seen = append(r.seen, req.Method+" "+req.URL.Path)
		r.mu.Unlock()
		s.ServeHTTP(w, req)
	})
	return r
}

// calls returns the recorded requests to the API (not the token's) and forgets them.
func (r *recorder) calls() []string {
	out := r.peek()
	r.mu.Lock()
	r.seen = nil
	r.mu.Unlock()
	return out
}

// peek returns the recorded requests to the API, as calls does, and keeps them.
func (r *recorder) peek() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, s := range r.seen {
		if strings.Contains(s, "/v2/") {
			out = append(out, s)
		}
	}
	return out
}

// Every call that takes a record id reads it by one rule (ParseID) and sends the number, never
// the string as given: an id with spaces, leading zeros or a plus sign names its record in
// every call as Get always read it, and "0" or "-3" name none, so nothing is sent for them.
// Before, Update and Delete took "0" and "-3" (and sent them), refused or skipped " 12 " — a
// Delete then reported a record deleted that was still there — and Gone, Steps, MoveStep and
// an opportunity's Update sent the string as given.
func TestIDFormsAgree(t *testing.T) {
	forms := []struct {
		name string
		id   func(n int) string
	}{
		{"plain", strconv.Itoa},
		{"spaces", func(n int) string { return " " + strconv.Itoa(n) + " " }},
		{"leading zero", func(n int) string { return "0" + strconv.Itoa(n) }},
		{"plus sign", func(n int) string { return "+" + strconv.Itoa(n) }},
	}
	ops := []struct {
		name string
		// run calls the connector with an id written as form and checks the answer; it
		// returns the request ("METHOD path") the call must send, with the id as a number.
		run func(t *testing.T, r *recorder, f *fixture, form func(int) string) (want string)
	}{
		{"get", func(t *testing.T, r *recorder, f *fixture, form func(int) string) string {
			c := r.c
			ct := firstID(f, "contacts")
			got, err := c.Get(ctx, connectors.ObjectContact, []string{form(ct)})
			require.NoError(t, err)
			require.Len(t, got, 1)
			assert.Equal(t, strconv.Itoa(ct), got[0].ID)
			return "POST /v2/contacts/search"
		}},
		{"read back", func(t *testing.T, r *recorder, f *fixture, form func(int) string) string {
			c := r.c
			ct := firstID(f, "contacts")
			got, err := c.ReadBack(ctx, connectors.ObjectContact, form(ct))
			require.NoError(t, err)
			require.NotNil(t, got)
			return "GET /v2/contacts/" + strconv.Itoa(ct)
		}},
		{"gone", func(t *testing.T, r *recorder, f *fixture, form func(int) string) string {
			c := r.c
			ct := firstID(f, "contacts")
			gone, err := c.Gone(ctx, connectors.ObjectContact, []string{form(ct)})
			require.NoError(t, err)
			assert.Empty(t, gone)
			return "GET /v2/contacts/" + strconv.Itoa(ct)
		}},
		{"update", func(t *testing.T, r *recorder, f *fixture, form func(int) string) string {
			c := r.c
			ct := firstID(f, "contacts")
			res, err := c.Update(ctx, connectors.ObjectContact, []connectors.Record{{ID: form(ct), Fields: map[string]any{"last_name": "Renommé"}}})
			require.NoError(t, err)
			require.NoError(t, res[0].Err)
			assert.Equal(t, form(ct), res[0].ID, "the result names the record as it was given")
			assert.Equal(t, "Renommé", f.sim.Dump("contacts")[0]["last_name"])
			return "PUT /v2/contacts/" + strconv.Itoa(ct)
		}},
		{"update opportunity", func(t *testing.T, r *recorder, f *fixture, form func(int) string) string {
			c := r.c
			op := firstID(f, "opportunities")
			res, err := c.Update(ctx, ObjectOpportunity, []connectors.Record{{ID: form(op), Fields: map[string]any{"name": "Renommée"}}})
			require.NoError(t, err)
			require.NoError(t, res[0].Err)
			return "PUT /v2/opportunities/" + strconv.Itoa(op)
		}},
		{"link company", func(t *testing.T, r *recorder, f *fixture, form func(int) string) string {
			c := r.c
			ct := firstID(f, "contacts")
			made, err := c.Create(ctx, connectors.ObjectCompany, []connectors.Record{{Fields: map[string]any{"name": "Autre"}}})
			require.NoError(t, err)
			require.NoError(t, made[0].Err)
			co, _ := strconv.Atoi(made[0].ID)
			res, err := c.Update(ctx, connectors.ObjectContact, []connectors.Record{{ID: strconv.Itoa(ct), Links: map[string]string{connectors.ObjectCompany: form(co)}}})
			require.NoError(t, err)
			require.NoError(t, res[0].Err)
			return "POST /v2/companies/" + strconv.Itoa(co) + "/contacts/" + strconv.Itoa(ct)
		}},
		// Asked to stay in the company it is in, written otherwise, a contact neither
		// leaves it nor is linked again. Before, "02" was not "2": the contact was linked to 2
		// again, then unlinked from 2, its "previous" company, and read back in none.
		{"link kept", func(t *testing.T, r *recorder, f *fixture, form func(int) string) string {
			c := r.c
			ct := firstID(f, "contacts")
			linked := func() string {
				got, err := f.c.Get(ctx, connectors.ObjectContact, []string{strconv.Itoa(ct)})
				require.NoError(t, err)
				require.Len(t, got, 1)
				return got[0].Links[connectors.ObjectCompany]
			}
			was := linked()
			co, _ := strconv.Atoi(was)
			require.NotZero(t, co)
			res, err := c.Update(ctx, connectors.ObjectContact, []connectors.Record{{ID: strconv.Itoa(ct), Links: map[string]string{connectors.ObjectCompany: form(co)}}})
			require.NoError(t, err)
			require.NoError(t, res[0].Err)
			for _, call := range r.peek() {
				assert.NotContains(t, call, "/v2/companies/", "the link stays as it is")
			}
			assert.Equal(t, was, linked())
			return "GET /v2/contacts/" + strconv.Itoa(ct) + "/companies"
		}},
		{"delete", func(t *testing.T, r *recorder, f *fixture, form func(int) string) string {
			c := r.c
			ct := firstID(f, "contacts")
			n := f.sim.Count("contacts")
			res, err := c.Delete(ctx, connectors.ObjectContact, []string{form(ct)})
			require.NoError(t, err)
			require.NoError(t, res[0].Err)
			assert.Equal(t, n-1, f.sim.Count("contacts"), "deleted")
			return "DELETE /v2/contacts/" + strconv.Itoa(ct)
		}},
		{"steps", func(t *testing.T, r *recorder, f *fixture, form func(int) string) string {
			c := r.c
			steps, err := c.Steps(ctx, form(1))
			require.NoError(t, err)
			assert.NotEmpty(t, steps)
			return "GET /v2/opportunities/pipelines/1/steps"
		}},
		{"move step", func(t *testing.T, r *recorder, f *fixture, form func(int) string) string {
			c := r.c
			op := firstID(f, "opportunities")
			got, err := c.Get(ctx, ObjectOpportunity, []string{strconv.Itoa(op)})
			require.NoError(t, err)
			require.Len(t, got, 1)
			steps, err := c.Steps(ctx, got[0].Fields["pipeline_id"].(string))
			require.NoError(t, err)
			require.NotEmpty(t, steps)
			require.NoError(t, c.MoveStep(ctx, form(op), steps[len(steps)-1].ID))
			return "PATCH /v2/opportunities/" + strconv.Itoa(op) + "/step-rank"
		}},
	}
	for _, op := range ops {
		for _, form := range forms {
			t.Run(op.name+"/"+form.name, func(t *testing.T) {
				f := setup(t, sim.Options{}, false)
				f.sim.SeedPeople(0, 2)
				f.sim.SeedOpportunities(1)
				r := newRecorder(t, f)
				want := op.run(t, r, f, form.id)
				assert.Contains(t, r.calls(), want, "the id is sent as a number")
			})
		}
	}
}

func firstID(f *fixture, object string) int { return int(f.sim.Dump(object)[0]["id"].(float64)) }

// An id that names no Sellsy record ("0", "-3", not an integer) is not sent: an update or a
// company link is refused as KindInvalid, a delete has nothing to do and Gone counts it gone,
// for every object. Before, Update and Delete of a contact sent "0" and "-3" to Sellsy, while
// an opportunity's Update, Get and Gone refused them.
func TestIDsThatNameNoRecord(t *testing.T) {
	for _, id := range []string{"0", "-3", "00", "x", "1.5", " "} {
		t.Run(id, func(t *testing.T) {
			f := setup(t, sim.Options{}, false)
			f.sim.SeedPeople(0, 1)
			f.sim.SeedOpportunities(1)
			r := newRecorder(t, f)
			c := r.c
			for obj, field := range map[string]string{connectors.ObjectContact: "last_name", connectors.ObjectCompany: "name", ObjectOpportunity: "name"} {
				res, err := c.Update(ctx, obj, []connectors.Record{{ID: id, Fields: map[string]any{field: "X"}}})
				require.NoError(t, err)
				require.Error(t, res[0].Err, "update %s %q", obj, id)
				assert.Equal(t, connectors.KindInvalid, connectors.KindOf(res[0].Err), "update %s %q: %v", obj, id, res[0].Err)
				assert.Contains(t, res[0].Err.Error(), "not a Sellsy id", "update %s %q", obj, id)

				res, err = c.Delete(ctx, obj, []string{id})
				require.NoError(t, err)
				assert.NoError(t, res[0].Err, "delete %s %q", obj, id)

				gone, err := c.Gone(ctx, obj, []string{id})
				require.NoError(t, err)
				assert.Equal(t, []string{id}, gone, "gone %s %q", obj, id)
			}
			ct := strconv.Itoa(firstID(f, "contacts"))
			res, err := c.Update(ctx, connectors.ObjectContact, []connectors.Record{{ID: ct, Links: map[string]string{connectors.ObjectCompany: id}}})
			require.NoError(t, err)
			require.Error(t, res[0].Err, "link %q", id)
			assert.Equal(t, connectors.KindInvalid, connectors.KindOf(res[0].Err), "link %q: %v", id, res[0].Err)
			assert.Contains(t, res[0].Err.Error(), "links.company: not a Sellsy id", "link %q", id)
			for _, call := range r.calls() {
				assert.NotContains(t, call, "/"+strings.TrimSpace(id)+"/", "nothing is sent for %q", id)
				assert.False(t, strings.HasSuffix(call, "/"+strings.TrimSpace(id)), "nothing is sent for %q: %s", id, call)
				assert.NotContains(t, call, "DELETE", "nothing is deleted for %q", id)
			}
		})
	}
}
