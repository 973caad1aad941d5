package altior

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/altior/sim"
)

// An event code comes from the connection file (a pipeline's events or status_map): an event
// type Altior does not have (deleted or renamed there since the setup) would be refused for
// every affaire reaching that step alike. It pauses the connection (KindConfig naming the
// code, the setting and the event types Altior has) instead of quarantining each affaire. A
// refusal of a code that is an event type stays the affaire's, and when the event types
// cannot be read the affaire is not blamed either.
func TestUnknownEventTypeIsConfig(t *testing.T) {
	tests := []struct {
		name    string
		types   []sim.EventType // the environment's event types once changed, nil: the seeded ones
		code    string
		refuse  bool // the server refuses the code (400, field code) whatever it is
		down    bool // the event types cannot be read (503)
		missing bool // the affaire is deleted in Altior
		kind    connectors.Kind
		want    []string
	}{
		{name: "a code that never existed", code: "SIGNEE", kind: connectors.KindConfig,
			want: []string{`altior has no affaire event type "SIGNEE"`, "pipelines[].events", "pipelines[].status_map",
				"event types: QUALIF (Qualification), PROPOSITION (Proposition), NEGOCIATION (Négociation), GAGNEE (Affaire gagnée), PERDUE (Affaire perdue)"}},
		{name: "an event type deleted since the setup", code: "GAGNEE",
			types: []sim.EventType{{Code: "QUALIF", Label: "Qualification", Rank: 1}, {Code: "PERDUE", Label: "Affaire perdue", Rank: 5}},
			kind:  connectors.KindConfig, want: []string{`"GAGNEE"`, "event types: QUALIF (Qualification), PERDUE (Affaire perdue)"}},
		{name: "an event type renamed since the setup", code: "GAGNEE",
			types: []sim.EventType{{Code: "QUALIF", Label: "Qualification", Rank: 1}, {Code: "GAGNE", Label: "Gagnée", Rank: 2}},
			kind:  connectors.KindConfig, want: []string{`"GAGNEE"`, "GAGNE (Gagnée)"}},
		{name: "every event type deleted", code: "GAGNEE", types: []sim.EventType{},
			kind: connectors.KindConfig, want: []string{`"GAGNEE"`, "event types: none"}},
		{name: "an event type refused for this affaire", code: "GAGNEE", refuse: true, kind: connectors.KindInvalid},
		{name: "the event types cannot be read", code: "SIGNEE", refuse: true, down: true, kind: connectors.KindRetryable},
		{name: "an affaire deleted in Altior", code: "GAGNEE", missing: true, kind: connectors.KindInvalid},
		{name: "an event type that exists", code: "PROPOSITION"},
		{name: "an event the affaire has", code: "QUALIF"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := setup(t, sim.Options{})
			tid := e.seedTier(t)
			ctx := context.Background()
			res, err := e.client.Create(ctx, ObjectAffaire, []connectors.Record{{Fields: map[string]any{"title": "Rénovation"}, Links: map[string]string{"company": tid}}})
			require.NoError(t, err)
			require.NoError(t, res[0].Err)
			id := res[0].ID
			require.NoError(t, e.client.AddEvent(ctx, ObjectAffaire, id, "QUALIF"))
			if tt.types != nil {
				e.sim.SetEventTypes(tt.types)
			}
			if tt.missing {
				require.True(t, e.sim.Remove(sim.ObjectAffaire, id))
			}
			c := e.client
			if tt.refuse {
				srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					switch {
					case r.Method == http.MethodPost && r.URL.Path == "/api/v1/affaires/"+id+"/events":
						w.Header().Set("Content-Type", "application/json")
						w.WriteHeader(http.StatusBadRequest)
						_, _ = w.Write([]byte(`{"error": {"code": "invalid", "field": "code", "message": "code: the affaire is closed"}}`))
					case tt.down && r.URL.Path == "/api/v1/affaire-event-types":
						w.WriteHeader(http.StatusServiceUnavailable)
					default:
						e.sim.ServeHTTP(w, r)
					}
				}))
				t.Cleanup(srv.Close)
				c, err = New(Config{BaseURL: srv.URL, APIKey: apiKey, RequestsPerSecond: 10000})
				require.NoError(t, err)
			}
			err = c.AddEvent(ctx, ObjectAffaire, id, tt.code)
			if tt.kind == "" {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Equal(t, tt.kind, connectors.KindOf(err), err.Error())
			for _, w := range tt.want {
				assert.Contains(t, err.Error(), w)
			}
		})
	}
}
