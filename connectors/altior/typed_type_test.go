package altior

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/altior/sim"
)

// The type of a typed field (phone.PRINCIPALE, email.PRINCIPAL, url.WEB) comes from the
// connection file. A type Altior's value list no longer has (deleted or renamed in
// "Paramétrage du tiers" since the setup) would have every tiers or contact written with it
// refused alike: the connection pauses (KindConfig naming the field and the types Altior
// has) instead of quarantining them one by one. An entry of a deleted type the record itself
// holds, sent back whole with the list, stays the record's problem.
func TestTypedFieldOfADeletedTypeIsConfig(t *testing.T) {
	tests := []struct {
		name     string
		object   string
		list     string
		keep     []sim.ValueItem // the value list once changed in Altior
		holds    string          // a phone type the record holds before the change, "": none
		update   bool
		fields   map[string]any
		kind     connectors.Kind
		want     []string
		writeErr bool // the write fails as the whole call's (not the record's)
	}{
		{name: "tiers created with a deleted phone type", object: connectors.ObjectCompany, list: sim.ListPhoneTypes,
			keep:   []sim.ValueItem{{Code: "FIXE", Label: "Fixe"}, {Code: "PORTABLE", Label: "Portable"}},
			fields: map[string]any{"name": "Atelier", "phone.PRINCIPALE": "+33 1 00 00 00 01"},
			kind:   connectors.KindConfig, want: []string{`phone.PRINCIPALE`, `"PRINCIPALE" is not in altior's value list phone_types`, "FIXE (Fixe), PORTABLE (Portable)"}},
		{name: "tiers updated with a deleted URL type", object: connectors.ObjectCompany, list: sim.ListURLTypes, update: true,
			keep:   []sim.ValueItem{{Code: "EXTERNE", Label: "Site externe"}},
			fields: map[string]any{"url.WEB": "https://atelier.example.com"},
			kind:   connectors.KindConfig, want: []string{"url.WEB", "url_types", "EXTERNE (Site externe)"}},
		{name: "contact e-mail once PRINCIPAL is deleted", object: connectors.ObjectContact, list: sim.ListEmailTypes, update: true,
			keep:   []sim.ValueItem{{Code: "COMPTABILITE", Label: "Comptabilité"}},
			fields: map[string]any{"email": "lea@atelier.example.com"},
			kind:   connectors.KindConfig, want: []string{"email.PRINCIPAL", "email_types", "COMPTABILITE (Comptabilité)"}},
		{name: "a type that never existed", object: connectors.ObjectCompany, list: sim.ListPhoneTypes,
			fields: map[string]any{"name": "Atelier", "phone.STANDARD": "+33 1 00 00 00 01"},
			kind:   connectors.KindConfig, want: []string{"phone.STANDARD"}},
		{name: "an entry of a deleted type the record holds", object: connectors.ObjectCompany, list: sim.ListPhoneTypes, update: true,
			holds:  "FAX",
			keep:   []sim.ValueItem{{Code: "FIXE", Label: "Fixe"}},
			fields: map[string]any{"phone.FIXE": "+33 1 00 00 00 02"},
			kind:   connectors.KindInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := setup(t, sim.Options{})
			tid := e.seedTier(t)
			ctx := context.Background()
			rec := connectors.Record{Fields: tt.fields}
			if tt.object == connectors.ObjectContact {
				rec.Links = map[string]string{"company": tid}
			}
			if tt.update {
				first := map[string]any{"name": "Atelier", "last_name": "Dupont"}
				if tt.holds != "" {
					first["phone."+tt.holds] = "+33 1 00 00 00 09"
				}
				if tt.object == connectors.ObjectContact {
					delete(first, "name")
				}
				res, err := e.client.Create(ctx, tt.object, []connectors.Record{{Fields: first, Links: rec.Links}})
				require.NoError(t, err)
				require.NoError(t, res[0].Err)
				rec.ID = res[0].ID
			}
			if tt.keep != nil {
				e.sim.SetValueList(tt.list, tt.keep)
			}
			write := e.client.Create
			if tt.update {
				write = e.client.Update
			}
			res, err := write(ctx, tt.object, []connectors.Record{rec, rec})
			require.Len(t, res, 2)
			if tt.kind == connectors.KindInvalid {
				require.NoError(t, err)
				assert.Equal(t, connectors.KindInvalid, connectors.KindOf(res[0].Err), "the record's own entry")
				return
			}
			require.Error(t, err)
			assert.Equal(t, tt.kind, connectors.KindOf(err), err.Error())
			assert.NotEqual(t, connectors.KindInvalid, connectors.KindOf(res[0].Err), "the record is not blamed")
			for _, w := range tt.want {
				assert.Contains(t, err.Error(), w)
			}
		})
	}
}

// A 400 that names the types of two lists (phones.type and emails.type) is read against
// both value lists, in one order: the record writes a deleted phone type and a kept e-mail
// type, so the connection pauses on phone.GONE every time, whichever list the error names
// first. The contract's error body names one field, so the error is built here.
func TestTypeErrNamingTwoListsIsDeterministic(t *testing.T) {
	tests := []struct {
		name   string
		fields map[string]any
		kind   connectors.Kind
		want   string
	}{
		{name: "deleted phone type, kept e-mail type",
			fields: map[string]any{"phone.GONE": "+33 1 00 00 00 01", "email.PRINCIPAL": "a@atelier.example.com"},
			kind:   connectors.KindConfig, want: "phone.GONE"},
		{name: "kept phone type, deleted e-mail type",
			fields: map[string]any{"phone.FIXE": "+33 1 00 00 00 01", "email.GONE": "a@atelier.example.com"},
			kind:   connectors.KindConfig, want: "email.GONE"},
		{name: "both types kept: the record's",
			fields: map[string]any{"phone.FIXE": "+33 1 00 00 00 01", "email.PRINCIPAL": "a@atelier.example.com"},
			kind:   connectors.KindInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := setup(t, sim.Options{})
			refused := &connectors.Error{Kind: connectors.KindInvalid, System: System, Op: "POST /tiers", Status: 400,
				Message: "refused", Fields: map[string]string{"phones.type": "unknown", "emails.type": "unknown"}}
			// Map order changes from one range to the next: enough tries see every order.
			for range 20 {
				err := e.client.typeErr(context.Background(), connectors.ObjectCompany, connectors.Record{Fields: tt.fields}, refused)
				require.Equal(t, tt.kind, connectors.KindOf(err), err.Error())
				assert.Contains(t, err.Error(), tt.want)
			}
		})
	}
}
