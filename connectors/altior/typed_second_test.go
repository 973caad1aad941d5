package altior

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/altior/sim"
)

// An ERP tiers or contact often has two numbers or addresses of one type (a switchboard and a
// direct line, both FIXE). A typed field is the first of its type: writing it changes that
// entry only, and clearing it removes that entry only, so a sync from Sellsy, which knows one
// number, never deletes the others Altior keeps.
func TestWritingATypedFieldKeepsTheOthersOfItsType(t *testing.T) {
	e := setup(t, sim.Options{})
	tid := e.seedTier(t)
	ctx := context.Background()
	twoFixe := `{"last_name":"Dupont","phones":[{"type":"FIXE","value":"+33 1 00"},{"type":"PORTABLE","value":"+33 6 00"},{"type":"FIXE","value":"+33 1 99"}],` +
		`"emails":[{"type":"PRINCIPAL","value":"lea@x.example"},{"type":"PRINCIPAL","value":"lea.dupont@x.example"}]}`
	tests := []struct {
		name       string
		update     map[string]any
		wantPhones []any
		wantEmails []any
	}{
		{name: "a new first FIXE keeps the second and its place", update: map[string]any{"phone.FIXE": "+33 1 11"},
			wantPhones: []any{typedJSON("FIXE", "+33 1 11"), typedJSON("PORTABLE", "+33 6 00"), typedJSON("FIXE", "+33 1 99")},
			wantEmails: []any{typedJSON("PRINCIPAL", "lea@x.example"), typedJSON("PRINCIPAL", "lea.dupont@x.example")}},
		{name: "clearing FIXE removes the first only", update: map[string]any{"phone.FIXE": nil},
			wantPhones: []any{typedJSON("PORTABLE", "+33 6 00"), typedJSON("FIXE", "+33 1 99")},
			wantEmails: []any{typedJSON("PRINCIPAL", "lea@x.example"), typedJSON("PRINCIPAL", "lea.dupont@x.example")}},
		{name: "the contact's email alias keeps the second PRINCIPAL", update: map[string]any{"email": "lea2@x.example"},
			wantPhones: []any{typedJSON("FIXE", "+33 1 00"), typedJSON("PORTABLE", "+33 6 00"), typedJSON("FIXE", "+33 1 99")},
			wantEmails: []any{typedJSON("PRINCIPAL", "lea2@x.example"), typedJSON("PRINCIPAL", "lea.dupont@x.example")}},
		{name: "the same value written again changes nothing", update: map[string]any{"phone.FIXE": "+33 1 00"},
			wantPhones: []any{typedJSON("FIXE", "+33 1 00"), typedJSON("PORTABLE", "+33 6 00"), typedJSON("FIXE", "+33 1 99")},
			wantEmails: []any{typedJSON("PRINCIPAL", "lea@x.example"), typedJSON("PRINCIPAL", "lea.dupont@x.example")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body, err := e.client.Call(ctx, "POST", "/api/v1/tiers/"+tid+"/contacts", nil, []byte(twoFixe))
			require.NoError(t, err)
			require.Equal(t, 201, status, string(body))
			var created struct{ ID string }
			require.NoError(t, json.Unmarshal(body, &created))
			rec := created.ID
			up, err := e.client.Update(ctx, connectors.ObjectContact, []connectors.Record{{ID: rec, Fields: tt.update}})
			require.NoError(t, err)
			require.NoError(t, up[0].Err)
			var got map[string]any
			for _, c := range e.sim.Dump(sim.ObjectContact) {
				if c["id"] == rec {
					got = c
				}
			}
			require.NotNil(t, got)
			assert.Equal(t, tt.wantPhones, got["phones"])
			assert.Equal(t, tt.wantEmails, got["emails"])
		})
	}
}

func typedJSON(typ, value string) any { return map[string]any{"type": typ, "value": value} }
