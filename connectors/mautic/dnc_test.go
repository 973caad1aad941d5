package mautic

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/mautic/sim"
)

// refusing serves the simulator, but refuses every do-not-contact change on the sms channel.
func refusing(t *testing.T, e *env) *Client {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.URL.Path, "/dnc/sms/") {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			_, _ = io.WriteString(w, `{"errors":[{"message":"Invalid channel given","code":400,"type":null}]}`)
			return
		}
		e.sim.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	c, err := New(Config{BaseURL: srv.URL, Username: user, Password: pass, RequestsPerSecond: 1000})
	require.NoError(t, err)
	return c
}

// A do-not-contact change that fails says which contact, channel and field: the channel in
// the error's Op, the field dnc.<channel> in its Fields, the contact id in its message.
func TestDNCFailureNamesChannelAndField(t *testing.T) {
	e := setup(t, sim.Options{})
	ctx := context.Background()
	e.sim.SeedPeople(0, 1)
	c := refusing(t, e)
	res, err := c.Update(ctx, connectors.ObjectContact, []connectors.Record{{ID: "1", Fields: map[string]any{"dnc.email": true, "dnc.sms": true}}})
	require.NoError(t, err, "a refused change fails its record, not the call")
	ce := kindOf(t, res[0].Err)
	assert.Equal(t, connectors.KindInvalid, ce.Kind)
	assert.Equal(t, "POST /contacts/{id}/dnc/sms/add", ce.Op)
	assert.Equal(t, map[string]string{"dnc.sms": "Invalid channel given"}, ce.Fields)
	assert.Contains(t, ce.Message, "contact 1")
	assert.Contains(t, ce.Message, "sms")
	assert.Equal(t, http.StatusBadRequest, ce.Status)

	got, err := e.client.Get(ctx, connectors.ObjectContact, []string{"1"})
	require.NoError(t, err)
	assert.Equal(t, true, got[0].Fields["dnc.email"], "the other channel was written")
}
