package mautic

import (
	"context"
	"encoding/json"
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

// A boolean's No reaches Automation: it is sent as JSON false, which Mautic sets through the
// entity, past its filter of numeric zeros (as it would a 0); a No that did not stick would
// leave the next pass to copy Automation's stale Yes back to the other side.
func TestBooleanNoIsWritten(t *testing.T) {
	e := setup(t, sim.Options{})
	ctx := context.Background()
	e.sim.SeedPeople(0, 2)
	res, err := e.client.Update(ctx, connectors.ObjectContact, []connectors.Record{
		{ID: "1", Fields: map[string]any{"cf_bool": true}},
		{ID: "2", Fields: map[string]any{"cf_bool": true}},
	})
	require.NoError(t, err)
	require.NoError(t, res[0].Err)

	res, err = e.client.Update(ctx, connectors.ObjectContact, []connectors.Record{
		{ID: "1", Fields: map[string]any{"cf_bool": false}},
		{ID: "2", Fields: map[string]any{"cf_bool": false, "position": "CTO"}},
	})
	require.NoError(t, err)
	for _, r := range res {
		assert.NoError(t, r.Err)
	}
	got, err := e.client.Get(ctx, connectors.ObjectContact, []string{"1", "2"})
	require.NoError(t, err)
	require.Len(t, got, 2)
	assert.Equal(t, false, got[0].Fields["cf_bool"])
	assert.Equal(t, false, got[1].Fields["cf_bool"])
	assert.Equal(t, "CTO", got[1].Fields["position"])

	// A new contact's No is kept too.
	res, err = e.client.Create(ctx, connectors.ObjectContact, []connectors.Record{{Fields: map[string]any{"email": "no@example.com", "cf_bool": false}}})
	require.NoError(t, err)
	require.NoError(t, res[0].Err)
	got, err = e.client.Get(ctx, connectors.ObjectContact, []string{res[0].ID})
	require.NoError(t, err)
	assert.Equal(t, false, got[0].Fields["cf_bool"])
}

// writeBody sends booleans as JSON true and false.
func TestWriteBodyBooleans(t *testing.T) {
	body, err := writeBody(connectors.ObjectContact, connectors.Record{ID: "3", Fields: map[string]any{"cf_yes": true, "cf_no": false}}, true)
	require.NoError(t, err)
	assert.Equal(t, true, body["cf_yes"])
	assert.Equal(t, false, body["cf_no"])
	raw, err := json.Marshal(body)
	require.NoError(t, err)
	assert.Contains(t, string(raw), `"cf_no":false`)
}

// A false Automation did not keep (its answer still holds Yes) fails the record's Result,
// naming the field, as a dropped 0 does; a false it kept, or a true, does not.
func TestBooleanFalseNotKeptIsReported(t *testing.T) {
	var sent []map[string]any
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch {
		case strings.HasSuffix(r.URL.Path, "/fields/contact"):
			_, _ = io.WriteString(w, `{"total":2,"fields":[{"alias":"cf_bool","type":"boolean"},{"alias":"cf_other","type":"boolean"}]}`)
		case strings.HasSuffix(r.URL.Path, "/contacts/batch/edit"):
			b, _ := io.ReadAll(r.Body)
			require.NoError(t, json.Unmarshal(b, &sent))
			// Contact 1 keeps its Yes (1), contact 2 takes No (0 as text), contact 3 Yes.
			_, _ = io.WriteString(w, `{"contacts":[
				{"id":1,"fields":{"all":{"cf_bool":1,"cf_other":null}}},
				{"id":2,"fields":{"all":{"cf_bool":"0"}}},
				{"id":3,"fields":{"all":{"cf_bool":1}}}],"statusCodes":[200,200,200],"errors":[]}`)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	c, err := New(Config{BaseURL: srv.URL, Username: user, Password: pass, RequestsPerSecond: 1000})
	require.NoError(t, err)
	res, err := c.Update(context.Background(), connectors.ObjectContact, []connectors.Record{
		{ID: "1", Fields: map[string]any{"cf_bool": false}},
		{ID: "2", Fields: map[string]any{"cf_bool": false}},
		{ID: "3", Fields: map[string]any{"cf_bool": true}},
	})
	require.NoError(t, err)
	require.Len(t, sent, 3)
	assert.Equal(t, false, sent[0]["cf_bool"], "sent as JSON false")
	assert.Equal(t, true, sent[2]["cf_bool"])

	ce := kindOf(t, res[0].Err)
	assert.Equal(t, connectors.KindInvalid, ce.Kind)
	assert.Contains(t, ce.Fields, "cf_bool")
	assert.Contains(t, ce.Message, `field "cf_bool"`)
	assert.Contains(t, ce.Message, "the field stays Yes")
	assert.Equal(t, "1", res[0].ID, "the record was written: its id is kept")
	assert.NoError(t, res[1].Err)
	assert.NoError(t, res[2].Err)
}
