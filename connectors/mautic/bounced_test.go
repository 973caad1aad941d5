package mautic

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/mautic/sim"
)

// A bounce (do-not-contact on email with reason 2) shows as the read-only NPAI flag
// "bounced"; an unsubscription (reason 1) does not.
func TestBouncedFlag(t *testing.T) {
	tests := []struct {
		reason  string
		bounced bool
	}{
		{"2", true},
		{"1", false},
	}
	for _, tt := range tests {
		t.Run("reason "+tt.reason, func(t *testing.T) {
			e := setup(t, sim.Options{})
			e.sim.SeedPeople(0, 2)
			addEmailDNC(t, e, tt.reason)

			recs, err := e.client.Get(context.Background(), connectors.ObjectContact, []string{"1", "2"})
			require.NoError(t, err)
			require.Len(t, recs, 2)
			assert.Equal(t, tt.bounced, recs[0].Fields[FieldBounced])
			assert.Equal(t, true, recs[0].Fields["dnc.email"])
			assert.Equal(t, false, recs[1].Fields[FieldBounced])

			// Writing the flag is ignored: it is Mautic's to set.
			res, err := e.client.Update(context.Background(), connectors.ObjectContact, []connectors.Record{{ID: "2", Fields: map[string]any{FieldBounced: true, "position": "X"}}})
			require.NoError(t, err)
			require.NoError(t, res[0].Err)
			recs, err = e.client.Get(context.Background(), connectors.ObjectContact, []string{"2"})
			require.NoError(t, err)
			assert.Equal(t, false, recs[0].Fields[FieldBounced])

			fields, err := e.client.Describe(context.Background(), connectors.ObjectContact)
			require.NoError(t, err)
			var found bool
			for _, f := range fields {
				if f.Name == FieldBounced {
					found = true
					assert.True(t, f.ReadOnly)
				}
			}
			assert.True(t, found)
		})
	}
}

// addEmailDNC puts contact 1 on the e-mail do-not-contact list with the reason (2: bounced).
func addEmailDNC(t *testing.T, e *env, reason string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, e.srv.URL+"/api/contacts/1/dnc/email/add", strings.NewReader(`{"reason":`+reason+`}`))
	require.NoError(t, err)
	req.SetBasicAuth(user, pass)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
}
