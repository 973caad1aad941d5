package activities

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/testsuite"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/store"
)

// A lookup can leave records out that exist: an API user whose Mautic role lost "view
// others" gets lists of its own records only, still with 200; a proxy or a plugin can answer
// an empty list. Reconciliation must not take that for deletions and wipe the other side:
// each record left out is asked for at its own address, and only a 404 is a deletion; a
// record the user may not see (403) pauses the connection.
func TestReconcileDeletesOnlyWhatTheSystemConfirmsGone(t *testing.T) {
	tests := []struct {
		name    string
		single  int    // status of GET /api/contacts/{id} while the lookups are blind (0: the simulator's)
		wantErr string // a configuration error, or none
	}{
		{name: "lookups answered empty", single: 0},
		{name: "a role that hides others' contacts", single: http.StatusForbidden, wantErr: "may not see contact"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var blind atomic.Bool
			h := newHarnessVia(t, "both", `
  - name: contact
    match: {a: email, b: email}
    deletes: b_to_a
    fields: [{a: email, b: email}, {a: last_name, b: lastname}]`, func(mauticURL string) string {
				target, err := url.Parse(mauticURL)
				require.NoError(t, err)
				upstream := httputil.NewSingleHostReverseProxy(target)
				proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if blind.Load() && r.Method == http.MethodGet {
						switch {
						case r.URL.Path == "/api/contacts" && r.URL.Query().Get("where[0][expr]") == "in":
							w.Header().Set("Content-Type", "application/json")
							fmt.Fprint(w, `{"total":"0","contacts":{}}`)
							return
						case strings.HasPrefix(r.URL.Path, "/api/contacts/") && tt.single != 0:
							w.Header().Set("Content-Type", "application/json")
							w.WriteHeader(tt.single)
							fmt.Fprint(w, `{"errors":[{"code":403,"message":"You do not have access to the requested area/action.","details":[]}]}`)
							return
						}
					}
					upstream.ServeHTTP(w, r)
				}))
				t.Cleanup(proxy.Close)
				return proxy.URL
			})
			sb, st, acts := h.sb, h.st, h.acts
			h.pass("contact", "a", ModeImport)
			h.pass("contact", "b", ModeImport)
			paired, err := st.CountPairs(h.ctx, "t", "contact")
			require.NoError(t, err)
			require.Equal(t, 30, paired)
			sellsyContacts := sb.Sellsy.Count("contacts")

			// One contact really is deleted in Automation.
			gone := h.person(h.mautic, 25)
			res, err := h.mautic.Delete(h.ctx, connectors.ObjectContact, []string{gone.ID})
			require.NoError(t, err)
			require.NoError(t, res[0].Err)

			blind.Store(true)
			var suite testsuite.WorkflowTestSuite
			ae := suite.NewTestActivityEnvironment()
			ae.RegisterActivity(acts)
			v, err := ae.ExecuteActivity(acts.Reconcile, ReconcileInput{Connection: "t", Object: "contact", Side: "b"})
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				assert.Equal(t, sellsyContacts, sb.Sellsy.Count("contacts"), "nothing deleted")
				return
			}
			require.NoError(t, err)
			var r ReconcileResult
			require.NoError(t, v.Get(&r))
			assert.Equal(t, 1, r.Deletes.Propagated, "%+v", r)
			assert.Equal(t, 29, r.Deletes.LeftOut, "the lookup left them out, the system has them: %+v", r)
			assert.Equal(t, sellsyContacts-1, sb.Sellsy.Count("contacts"), "only the contact deleted in Automation is deleted in Sellsy")
			left, err := st.Pairs(h.ctx, "t", "contact", store.SideB, []string{gone.ID})
			require.NoError(t, err)
			assert.Empty(t, left)
			paired, err = st.CountPairs(h.ctx, "t", "contact")
			require.NoError(t, err)
			assert.Equal(t, 29, paired)
		})
	}
}

// Automation deletes the losing contact of a merge; the person lives on in the survivor, which
// now has the e-mail. The Sellsy contact is not deleted: it is paired with the survivor. A
// contact deleted outright is still deleted on the other side.
func TestAMergedContactsCounterpartGoesToTheSurvivor(t *testing.T) {
	h := newHarnessWith(t, "both", "b_to_a")
	h.cycle(ModeImport)
	loser := h.person(h.mautic, 25)
	email := loser.Fields["email"]
	pairs, err := h.st.Pairs(h.ctx, "t", "contact", store.SideB, []string{loser.ID})
	require.NoError(t, err)
	counterpart := pairs[loser.ID].AID
	require.NotEmpty(t, counterpart)

	res, err := h.mautic.Create(h.ctx, connectors.ObjectContact, []connectors.Record{{Fields: map[string]any{"email": "other.address@example.com", "lastname": "Merged"}}})
	require.NoError(t, err)
	require.NoError(t, res[0].Err)
	survivor := res[0].ID
	res, err = h.mautic.Delete(h.ctx, connectors.ObjectContact, []string{loser.ID})
	require.NoError(t, err)
	require.NoError(t, res[0].Err)
	res, err = h.mautic.Update(h.ctx, connectors.ObjectContact, []connectors.Record{{ID: survivor, Fields: map[string]any{"email": email}}})
	require.NoError(t, err)
	require.NoError(t, res[0].Err)

	outright := h.person(h.mautic, 26)
	res, err = h.mautic.Delete(h.ctx, connectors.ObjectContact, []string{outright.ID})
	require.NoError(t, err)
	require.NoError(t, res[0].Err)

	d := h.propagate("b", loser.ID, outright.ID)
	assert.Equal(t, DeleteResult{Propagated: 1, Merged: 1}, d)
	still, err := h.sellsy.Get(h.ctx, connectors.ObjectContact, []string{counterpart})
	require.NoError(t, err)
	assert.Len(t, still, 1, "the merged contact's counterpart is kept")
	pairs, err = h.st.Pairs(h.ctx, "t", "contact", store.SideA, []string{counterpart})
	require.NoError(t, err)
	assert.Equal(t, survivor, pairs[counterpart].BID, "and paired with the survivor")
	c := h.pass("contact", "b", ModeIncremental)
	c.Add(h.pass("contact", "a", ModeIncremental))
	// The two are merged as a first match is, the company link too: they agree afterwards.
	// (Which side's name wins, and so how many writes each side gets, can turn on the second
	// the import's writes fell in on a loaded machine: the writes are not counted exactly.)
	assert.Positive(t, c.UpdatedA+c.UpdatedB, "%+v", c)
	merged, err := h.sellsy.Get(h.ctx, connectors.ObjectContact, []string{counterpart})
	require.NoError(t, err)
	require.Len(t, merged, 1)
	kept, err := h.mautic.Get(h.ctx, connectors.ObjectContact, []string{survivor})
	require.NoError(t, err)
	require.Len(t, kept, 1)
	assert.Equal(t, merged[0].Fields["last_name"], kept[0].Fields["lastname"], "the pair agrees")
	assert.Equal(t, email, kept[0].Fields["email"])
	assert.NotEmpty(t, kept[0].Links["company"], "the survivor takes the counterpart's company")
	c = h.pass("contact", "b", ModeIncremental)
	c.Add(h.pass("contact", "a", ModeIncremental))
	assert.Zero(t, c.UpdatedA+c.UpdatedB+c.CreatedA+c.CreatedB, "and settle: %+v", c)
}
