package sellsy

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/sellsy/sim"
)

// A contact whose company link names a company that does not exist, or one the API user may
// not see, is refused whole: the record is invalid, its error names links.company, the
// company and the reason, and nothing of it stays written, while the rest of the batch is
// written. An update checks the company before it writes anything (GET /companies/{id}); a
// create does not: it makes the contact, and deletes it again when Sellsy refuses the link,
// together with the custom fields and consent written with it.
func TestBadCompanyLinkWritesNothing(t *testing.T) {
	tests := []struct {
		name       string
		create     bool
		link       func(gone, hidden string) string
		wantMsg    string // "%s": the company
		wantStatus int    // 0: refused before any request about the link
	}{
		{name: "update, company deleted", link: func(gone, _ string) string { return gone },
			wantMsg: "links.company: company %s does not exist in Sellsy", wantStatus: http.StatusNotFound},
		{name: "create, company deleted", create: true, link: func(gone, _ string) string { return gone },
			wantMsg: "links.company: company %s does not exist in Sellsy", wantStatus: http.StatusNotFound},
		{name: "update, company hidden from the user", link: func(_, hidden string) string { return hidden },
			wantMsg: "links.company: this Sellsy user may not see company %s", wantStatus: http.StatusForbidden},
		{name: "create, company hidden from the user", create: true, link: func(_, hidden string) string { return hidden },
			wantMsg: "links.company: this Sellsy user may not see company %s", wantStatus: http.StatusForbidden},
		{name: "update, not an id", link: func(string, string) string { return "ACME" }, wantMsg: "links.company: not a Sellsy id"},
		{name: "create, not an id", create: true, link: func(string, string) string { return "ACME" }, wantMsg: "links.company: not a Sellsy id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := setup(t, sim.Options{}, false)
			f.sim.SeedPeople(0, 2)
			gone := goneCompany(t, f)
			hidden := newCompany(t, f, "Cachée")
			// The hidden company's access rights keep it from the API user.
			c := f.inFront(t, func(w http.ResponseWriter, r *http.Request, s http.Handler) {
				if strings.HasPrefix(r.URL.Path, "/v2/companies/"+hidden) {
					answerError(w, http.StatusForbidden, "Forbidden")
					return
				}
				s.ServeHTTP(w, r)
			})
			contacts := listAll(t, c, connectors.ObjectContact)
			require.Len(t, contacts, 2)
			bad, good := contacts[0], contacts[1]
			company := bad.Links[connectors.ObjectCompany]
			require.NotEmpty(t, company)
			link := tt.link(gone, hidden)

			recs := []connectors.Record{
				{ID: bad.ID, Fields: map[string]any{"position": "Directrice", "cf.cf_text": "écrit", "unsubscribed.email": true},
					Links: map[string]string{connectors.ObjectCompany: link}},
				{ID: good.ID, Fields: map[string]any{"position": "Comptable"}, Links: map[string]string{connectors.ObjectCompany: company}},
			}
			write := c.Update
			if tt.create {
				recs[0].ID, recs[1].ID = "", ""
				recs[0].Fields["last_name"], recs[1].Fields["last_name"] = "Neuve", "Nouveau"
				write = c.Create
			}
			f.sim.Kit().ResetCounts()
			res, err := write(ctx, connectors.ObjectContact, recs)
			require.NoError(t, err, "one record's link does not fail the batch")
			require.Len(t, res, 2)
			assert.NoError(t, res[1].Err, "the other record is written")

			require.Error(t, res[0].Err)
			assert.Equal(t, connectors.KindInvalid, connectors.KindOf(res[0].Err))
			assert.Equal(t, tt.wantStatus, connectors.StatusOf(res[0].Err))
			assert.Contains(t, res[0].Err.Error(), strings.ReplaceAll(tt.wantMsg, "%s", link))
			assert.True(t, connectors.NothingWritten(res[0].Err))
			var e *connectors.Error
			require.ErrorAs(t, res[0].Err, &e)
			assert.Contains(t, e.Fields, "links.company")

			counts := f.sim.Kit().Counts()
			if tt.wantStatus != 0 {
				assert.Contains(t, res[0].Err.Error(), "nothing of the contact was written")
			}
			if tt.create {
				assert.Empty(t, res[0].ID, "no contact made")
				assert.False(t, res[0].Created)
				assert.Zero(t, counts["GET /v2/companies/{id}"], "a create's link is not checked beforehand")
				assert.Equal(t, 3, f.sim.Count("contacts"), "the other record's only")
				for _, ct := range listAll(t, f.c, connectors.ObjectContact) {
					assert.NotEqual(t, "Neuve", ct.Fields["last_name"], "the refused contact is not left in Sellsy")
				}
				if tt.wantStatus == 0 {
					assert.Equal(t, 1, counts["POST /v2/contacts"], "the other record's only")
					assert.Zero(t, counts["DELETE /v2/contacts/{id}"])
					return
				}
				assert.Equal(t, 2, counts["POST /v2/contacts"], "both made")
				assert.Equal(t, 1, counts["DELETE /v2/contacts/{id}"], "the refused one deleted again")
				return
			}
			if tt.wantStatus == http.StatusNotFound { // the hidden company's 403 is answered in front of the simulator
				assert.Equal(t, 1, counts["GET /v2/companies/{id}"], "an update's new link is checked first")
			}
			assert.Equal(t, 1, counts["PUT /v2/contacts/{id}"], "the other record's only")
			assert.Zero(t, counts["GET /v2/contacts/{id}"], "not even the consent read")
			assert.Zero(t, counts["PUT /v2/contacts/{id}/custom-fields"])
			assert.Zero(t, counts["POST /v2/companies/{companyId}/contacts/{contactId}"])
			assert.Zero(t, counts["DELETE /v2/companies/{companyId}/contacts/{contactId}"])
			assert.Zero(t, counts["DELETE /v2/contacts/{id}"])
			got, err := c.Get(ctx, connectors.ObjectContact, []string{bad.ID})
			require.NoError(t, err)
			require.Len(t, got, 1)
			assert.Equal(t, bad.Fields["position"], got[0].Fields["position"], "its fields are as they were")
			assert.Equal(t, bad.Fields["cf.cf_text"], got[0].Fields["cf.cf_text"])
			assert.Equal(t, bad.Fields["unsubscribed.email"], got[0].Fields["unsubscribed.email"])
			assert.Equal(t, company, got[0].Links[connectors.ObjectCompany], "its company too")
		})
	}
}

// A contact created with a link Sellsy refuses, and that Sellsy then does not let crmsync
// delete, is reported as created — its id in the result and in the error — so that it is
// not created again nor lost from sight: the error says it could not be removed.
func TestBadCompanyLinkContactNotRemoved(t *testing.T) {
	tests := []struct {
		name   string
		status int // the DELETE /contacts/{id}'s answer
	}{
		{name: "the user may not delete it", status: http.StatusForbidden},
		{name: "Sellsy fails", status: http.StatusBadGateway},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := setup(t, sim.Options{}, false)
			f.sim.SeedPeople(0, 1)
			gone := goneCompany(t, f)
			c := f.inFront(t, func(w http.ResponseWriter, r *http.Request, s http.Handler) {
				if r.Method == http.MethodDelete && strings.HasPrefix(r.URL.Path, "/v2/contacts/") {
					answerError(w, tt.status, "refused")
					return
				}
				s.ServeHTTP(w, r)
			})
			before := f.sim.Count("contacts")

			res, err := c.Create(ctx, connectors.ObjectContact, []connectors.Record{{Fields: map[string]any{"last_name": "Neuve"},
				Links: map[string]string{connectors.ObjectCompany: gone}}})
			require.NoError(t, err)
			require.Len(t, res, 1)
			require.Error(t, res[0].Err)
			assert.Equal(t, before+1, f.sim.Count("contacts"), "the contact stayed")
			require.NotEmpty(t, res[0].ID, "its id is reported, so that it is not made again")
			assert.True(t, res[0].Created)
			msg := res[0].Err.Error()
			assert.Contains(t, msg, "links.company: company "+gone+" does not exist in Sellsy")
			assert.Contains(t, msg, "contact "+res[0].ID+" was created and could not be removed")
			assert.NotContains(t, msg, "nothing of the contact was written")
			assert.Equal(t, connectors.KindInvalid, connectors.KindOf(res[0].Err), "the record's: its link is refused")
			var e *connectors.Error
			require.ErrorAs(t, res[0].Err, &e)
			assert.Contains(t, e.Fields, "links.company")
		})
	}
}

// A contact created with a link Sellsy refuses, and that someone else deleted before
// crmsync's DELETE reached Sellsy (answered 404), is gone as the refusal needs: the record
// fails whole, with no id and not created, and the error does not say it was left behind.
func TestBadCompanyLinkContactAlreadyGone(t *testing.T) {
	f := setup(t, sim.Options{}, false)
	f.sim.SeedPeople(0, 1)
	gone := goneCompany(t, f)
	c := f.inFront(t, func(w http.ResponseWriter, r *http.Request, s http.Handler) {
		if r.Method == http.MethodDelete && strings.HasPrefix(r.URL.Path, "/v2/contacts/") {
			// Another user deletes it first; the simulator answers crmsync's DELETE 404.
			s.ServeHTTP(httptest.NewRecorder(), r.Clone(r.Context()))
		}
		s.ServeHTTP(w, r)
	})
	before := f.sim.Count("contacts")

	res, err := c.Create(ctx, connectors.ObjectContact, []connectors.Record{{Fields: map[string]any{"last_name": "Neuve"},
		Links: map[string]string{connectors.ObjectCompany: gone}}})
	require.NoError(t, err)
	require.Len(t, res, 1)
	require.Error(t, res[0].Err)
	assert.Equal(t, before, f.sim.Count("contacts"), "the contact is gone")
	assert.Empty(t, res[0].ID, "no id: nothing of it is left")
	assert.False(t, res[0].Created)
	msg := res[0].Err.Error()
	assert.Contains(t, msg, "links.company: company "+gone+" does not exist in Sellsy")
	assert.Contains(t, msg, "nothing of the contact was written")
	assert.NotContains(t, msg, "could not be removed")
	assert.Equal(t, connectors.KindInvalid, connectors.KindOf(res[0].Err))
}

// A contact's company link is checked before the write only on an update, once per company
// and batch, and not at all when the contact is in it already: a create is not checked, and
// a new linked contact costs its POST and its link's POST, nothing more.
func TestCompanyLinkCheckedOncePerBatch(t *testing.T) {
	tests := []struct {
		name   string
		create bool
		moved  bool // linked to a company they are not in
		checks int  // GET /companies/{id}
	}{
		{name: "created in one company", create: true, moved: true, checks: 0},
		{name: "moved to one company", moved: true, checks: 1},
		{name: "left in their company", checks: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := setup(t, sim.Options{}, false)
			f.sim.SeedPeople(0, 3)
			company := newCompany(t, f, "Nouvelle")
			var recs []connectors.Record
			for _, ct := range listAll(t, f.c, connectors.ObjectContact) {
				r := connectors.Record{ID: ct.ID, Fields: map[string]any{"position": "Associée"}, Links: ct.Links}
				if tt.moved {
					r.Links = map[string]string{connectors.ObjectCompany: company}
				}
				if tt.create {
					r.ID, r.Fields["last_name"] = "", "Neuve"
				}
				recs = append(recs, r)
			}
			require.Len(t, recs, 3)
			write := f.c.Update
			if tt.create {
				write = f.c.Create
			}
			f.sim.Kit().ResetCounts()
			res, err := write(ctx, connectors.ObjectContact, recs)
			require.NoError(t, err)
			for _, r := range res {
				require.NoError(t, r.Err)
			}
			counts := f.sim.Kit().Counts()
			assert.Equal(t, tt.checks, counts["GET /v2/companies/{id}"])
			if tt.create {
				assert.Equal(t, map[string]int{"POST /v2/contacts": 3, "POST /v2/companies/{companyId}/contacts/{contactId}": 3}, counts,
					"a new linked contact costs its POST and its link's")
				for _, ct := range listAll(t, f.c, connectors.ObjectContact) {
					if ct.Fields["last_name"] == "Neuve" {
						assert.Equal(t, company, ct.Links[connectors.ObjectCompany])
					}
				}
			}
		})
	}
}

// newCompany creates a company named name and returns its id.
func newCompany(t *testing.T, f *fixture, name string) string {
	t.Helper()
	res, err := f.c.Create(ctx, connectors.ObjectCompany, []connectors.Record{{Fields: map[string]any{"name": name}}})
	require.NoError(t, err)
	require.NoError(t, res[0].Err)
	return res[0].ID
}

// goneCompany returns the id of a company that no longer exists: created, then deleted.
func goneCompany(t *testing.T, f *fixture) string {
	t.Helper()
	id := newCompany(t, f, "Partie")
	res, err := f.c.Delete(ctx, connectors.ObjectCompany, []string{id})
	require.NoError(t, err)
	require.NoError(t, res[0].Err)
	return id
}

// answerError answers status with Sellsy's error body.
func answerError(w http.ResponseWriter, status int, message string) {
	w.WriteHeader(status)
	_, _ = w.Write([]byte(`{"error":{"code":` + strconv.Itoa(status) + `,"message":"` + message + `","details":[],"context":null}}`))
}
