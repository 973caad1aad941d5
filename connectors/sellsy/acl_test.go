package sellsy

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/sellsy/sim"
)

// A 403 on a request about one record (its access rights, the acl, keep it from the API
// user) is that record's error, KindInvalid with a message naming the record: the rest of the
// batch is written, and the record does not hold back the page on every pass. The scope is
// checked once per batch that meets such a 403 (the token's scopes when it names them, else
// the probe CheckAccess sends); a missing scope is still the connection's error, KindConfig.
func TestRecordACLRefusalIsThatRecordsError(t *testing.T) {
	const n = 40 // more than forEach's concurrency: an abort would leave records unsent
	noWrite := []string{"companies.read", "companies.write", "contacts.read", "custom-fields.read"}
	tests := []struct {
		name string
		opts sim.Options
		// locked tells whether the request r about contact id is refused by its acl.
		locked func(r *http.Request, id string) bool
		// run writes the batch: one record per contact, the locked one first.
		run       func(c *Client, ids []string, company string) ([]connectors.Result, error)
		wantKind  connectors.Kind // of the first record's error
		wantMsg   string          // in the first record's error ("%s": its id, "%c": the company)
		wantProbe string          // the probe sent once, if any
		noProbe   string          // a probe not sent: its scope is known granted
		wantCall  bool            // the call fails as a whole (nothing written)
	}{
		{
			name: "PUT of the record",
			locked: func(r *http.Request, id string) bool {
				return r.Method == http.MethodPut && r.URL.Path == "/v2/contacts/"+id
			},
			run: func(c *Client, ids []string, _ string) ([]connectors.Result, error) {
				return c.Update(ctx, connectors.ObjectContact, each(ids, func(id string) connectors.Record {
					return connectors.Record{ID: id, Fields: map[string]any{"position": "CTO"}}
				}))
			},
			wantKind: connectors.KindInvalid, wantMsg: "this Sellsy user may not change contact %s: Sellsy answered 403 although the API client has the scope contacts.write, so the record's access rights (acl) keep it from this user",
			wantProbe: "POST /v2/contacts?verify=true",
		},
		{
			name: "its custom fields",
			locked: func(r *http.Request, id string) bool {
				return r.Method == http.MethodPut && r.URL.Path == "/v2/contacts/"+id+"/custom-fields"
			},
			run: func(c *Client, ids []string, _ string) ([]connectors.Result, error) {
				return c.Update(ctx, connectors.ObjectContact, each(ids, func(id string) connectors.Record {
					return connectors.Record{ID: id, Fields: map[string]any{"cf.cf_text": "x"}}
				}))
			},
			wantKind: connectors.KindInvalid, wantMsg: "this Sellsy user may not change the custom fields of contact %s:",
			wantProbe: "POST /v2/contacts?verify=true",
		},
		{
			name: "its company link",
			locked: func(r *http.Request, id string) bool {
				return r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/contacts/"+id)
			},
			run: func(c *Client, ids []string, company string) ([]connectors.Result, error) {
				return c.Update(ctx, connectors.ObjectContact, each(ids, func(id string) connectors.Record {
					return connectors.Record{ID: id, Links: map[string]string{connectors.ObjectCompany: company}}
				}))
			},
			// The link needs both resources' scopes (alsoNeeded): the message names them.
			wantKind: connectors.KindInvalid, wantMsg: "this Sellsy user may not link company %c to contact %s: Sellsy answered 403 although the API client has the scopes companies.write and contacts.read, so the record's access rights (acl) keep it from this user",
			wantProbe: "POST /v2/companies?verify=true",
		},
		{
			// The unlink follows the read of the contact's companies, which needs
			// contacts.read: that scope is not checked again.
			name: "its company unlink",
			locked: func(r *http.Request, id string) bool {
				return r.Method == http.MethodDelete && strings.HasSuffix(r.URL.Path, "/contacts/"+id)
			},
			run: func(c *Client, ids []string, company string) ([]connectors.Result, error) {
				return c.Update(ctx, connectors.ObjectContact, each(ids, func(id string) connectors.Record {
					return connectors.Record{ID: id, Links: map[string]string{connectors.ObjectCompany: company}}
				}))
			},
			wantKind: connectors.KindInvalid, wantMsg: "from contact %s: Sellsy answered 403 although the API client has the scope companies.write, so the record's access rights (acl) keep it from this user",
			wantProbe: "POST /v2/companies?verify=true", noProbe: "GET /v2/contacts?limit=1",
		},
		{
			name: "its deletion",
			locked: func(r *http.Request, id string) bool {
				return r.Method == http.MethodDelete && r.URL.Path == "/v2/contacts/"+id
			},
			run: func(c *Client, ids []string, _ string) ([]connectors.Result, error) {
				return c.Delete(ctx, connectors.ObjectContact, ids)
			},
			wantKind: connectors.KindInvalid, wantMsg: "this Sellsy user may not delete contact %s:",
			wantProbe: "POST /v2/contacts?verify=true",
		},
		{
			name: "scope missing, named by the token",
			opts: sim.Options{Scopes: noWrite},
			run: func(c *Client, ids []string, _ string) ([]connectors.Result, error) {
				return c.Update(ctx, connectors.ObjectContact, each(ids, func(id string) connectors.Record {
					return connectors.Record{ID: id, Fields: map[string]any{"position": "CTO"}}
				}))
			},
			wantKind: connectors.KindConfig, wantMsg: "the API client lacks the scope(s) contacts.write that this connection needs (it has ",
			wantCall: true,
		},
		{
			name: "scope missing, probed",
			opts: sim.Options{Scopes: noWrite, ScopesNotInToken: true},
			run: func(c *Client, ids []string, _ string) ([]connectors.Result, error) {
				return c.Update(ctx, connectors.ObjectContact, each(ids, func(id string) connectors.Record {
					return connectors.Record{ID: id, Fields: map[string]any{"position": "CTO"}}
				}))
			},
			wantKind: connectors.KindConfig, wantMsg: "the API client lacks the scope(s) contacts.write that this connection needs (Sellsy answered 403 to POST /contacts?verify=true)",
			wantProbe: "POST /v2/contacts?verify=true", wantCall: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := tt.opts
			o.ClientID, o.ClientSecret, o.RequestsPerSecond = testID, testSecret, -1
			s := sim.New(o)
			s.SeedPeople(0, n)
			ids := dumpIDs(s.Dump("contacts"))
			company := "" // a company the locked contact is not in yet
			in := s.Dump("contacts")[0]["_sim"].(map[string]any)["company_ids"].([]int)
			for _, co := range dumpIDs(s.Dump("companies")) {
				if len(in) == 0 || co != strconv.Itoa(in[0]) {
					company = co
					break
				}
			}
			var mu sync.Mutex
			seen := map[string]int{}
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				seen[r.Method+" "+r.URL.RequestURI()]++
				mu.Unlock()
				if tt.locked != nil && tt.locked(r, ids[0]) {
					w.WriteHeader(http.StatusForbidden)
					_, _ = w.Write([]byte(`{"error":{"code":403,"message":"Forbidden","details":[],"context":null}}`))
					return
				}
				s.ServeHTTP(w, r)
			}))
			t.Cleanup(srv.Close)
			c, err := New(Config{APIURL: srv.URL + "/v2", TokenURL: srv.URL + "/oauth2/access-tokens",
				ClientID: testID, ClientSecret: testSecret, RequestsPerSecond: 1000})
			require.NoError(t, err)

			res, err := tt.run(c, ids, company)
			require.Len(t, res, n)
			if tt.wantCall {
				require.Error(t, err)
				assert.Equal(t, tt.wantKind, connectors.KindOf(err))
			} else {
				require.NoError(t, err)
				for i, r := range res[1:] {
					assert.NoError(t, r.Err, "record %d is not locked", i+1)
				}
			}
			require.Error(t, res[0].Err)
			assert.Equal(t, tt.wantKind, connectors.KindOf(res[0].Err))
			assert.Equal(t, http.StatusForbidden, connectors.StatusOf(res[0].Err))
			want := tt.wantMsg
			want = strings.NewReplacer("%s", ids[0], "%c", company).Replace(want)
			assert.Contains(t, res[0].Err.Error(), want)
			mu.Lock()
			defer mu.Unlock()
			if tt.wantProbe != "" {
				assert.Equal(t, 1, seen[tt.wantProbe], "the scope is checked once per batch")
			}
			if tt.noProbe != "" {
				assert.Zero(t, seen[tt.noProbe])
			}
		})
	}
}

// each makes one record per id.
func each(ids []string, rec func(id string) connectors.Record) []connectors.Record {
	out := make([]connectors.Record, len(ids))
	for i, id := range ids {
		out[i] = rec(id)
	}
	return out
}

// A link's requests need both resources' scopes (the spec's Contacts_getCompanies:
// companies.read and contacts.read; Companies_linkContact: companies.write and contacts.read):
// a 403 for the one the request's path does not name is the connection's missing scope,
// KindConfig naming it, not the record's access rights.
func TestLinkRefusedForTheOtherResourcesScope(t *testing.T) {
	tests := []struct {
		name    string
		opts    sim.Options
		create  bool
		missing string
	}{
		{name: "companies of the contact, scopes in the token", opts: sim.Options{Scopes: []string{"contacts.read", "contacts.write", "companies.write"}}, missing: "companies.read"},
		{name: "companies of the contact, probed", opts: sim.Options{Scopes: []string{"contacts.read", "contacts.write", "companies.write"}, ScopesNotInToken: true}, missing: "companies.read"},
		{name: "link of a new contact, scopes in the token", create: true, opts: sim.Options{Scopes: []string{"companies.read", "companies.write", "contacts.write"}}, missing: "contacts.read"},
		{name: "link of a new contact, probed", create: true, opts: sim.Options{Scopes: []string{"companies.read", "companies.write", "contacts.write"}, ScopesNotInToken: true}, missing: "contacts.read"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := setup(t, tt.opts, false)
			f.sim.SeedPeople(0, 1) // a company and its contact
			res, err := f.c.Create(ctx, connectors.ObjectCompany, []connectors.Record{{Fields: map[string]any{"name": "Autre"}}})
			require.NoError(t, err)
			require.NoError(t, res[0].Err)
			rec := connectors.Record{ID: dumpIDs(f.sim.Dump("contacts"))[0], Fields: map[string]any{"position": "CTO"}, Links: map[string]string{connectors.ObjectCompany: res[0].ID}}
			write := f.c.Update
			if tt.create {
				rec.ID, rec.Fields["last_name"] = "", "Neuve"
				write = f.c.Create
			}
			res, err = write(ctx, connectors.ObjectContact, []connectors.Record{rec})
			require.Len(t, res, 1)
			got := res[0].Err
			if err != nil {
				got = err // nothing written: the call fails as a whole
			}
			require.Error(t, got)
			assert.Equal(t, connectors.KindConfig, connectors.KindOf(got), "%v", got)
			assert.Contains(t, got.Error(), "the API client lacks the scope(s) "+tt.missing+" that this connection needs")
		})
	}
}
