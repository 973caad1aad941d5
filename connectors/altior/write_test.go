package altior

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/altior/sim"
)

// A typed list is sent whole, so every write that touches one, through a typed field or
// through the contact's "email" alias, keeps the entries of the other types.
func TestUpdateKeepsOtherTypedEntries(t *testing.T) {
	e := setup(t, sim.Options{})
	tid := e.seedTier(t)
	ctx := context.Background()
	contact := map[string]any{"last_name": "Dupont", "email.PRINCIPAL": "lea@x.example", "email.COMPTABILITE": "compta@x.example",
		"email.ACHATS": "achats@x.example", "phone.PORTABLE": "+33 6", "phone.FIXE": "+33 1"}
	company := map[string]any{"kind": "moral", "relation": "client", "name": "Atelier", "email.PRINCIPAL": "info@x.example",
		"email.COMPTABILITE": "compta@x.example", "phone.FIXE": "+33 1", "phone.FAX": "+33 2", "url.WEB": "https://x.example", "url.EXTERNE": "https://shop.x.example"}

	tests := []struct {
		name   string
		object string
		create map[string]any
		update map[string]any
		want   map[string]any // fields read back after the update
	}{
		{name: "contact: the email alias keeps the other e-mails", object: connectors.ObjectContact, create: contact,
			update: map[string]any{"email": "lea2@x.example"},
			want:   map[string]any{"email": "lea2@x.example", "email.PRINCIPAL": "lea2@x.example", "email.COMPTABILITE": "compta@x.example", "email.ACHATS": "achats@x.example", "phone.PORTABLE": "+33 6"}},
		{name: "contact: the email alias beside a plain field", object: connectors.ObjectContact, create: contact,
			update: map[string]any{"email": "lea3@x.example", "first_name": "Léa"},
			want:   map[string]any{"email.PRINCIPAL": "lea3@x.example", "email.COMPTABILITE": "compta@x.example", "first_name": "Léa"}},
		// …and reads back none: "email" reads what it writes, not another type's address.
		{name: "contact: clearing the email alias keeps the other e-mails", object: connectors.ObjectContact, create: contact,
			update: map[string]any{"email": nil},
			want:   map[string]any{"email": nil, "email.PRINCIPAL": nil, "email.COMPTABILITE": "compta@x.example", "email.ACHATS": "achats@x.example"}},
		{name: "contact: a typed e-mail", object: connectors.ObjectContact, create: contact,
			update: map[string]any{"email.ACHATS": "buy@x.example"},
			want:   map[string]any{"email.PRINCIPAL": "lea@x.example", "email.COMPTABILITE": "compta@x.example", "email.ACHATS": "buy@x.example"}},
		{name: "contact: a typed phone", object: connectors.ObjectContact, create: contact,
			update: map[string]any{"phone.FIXE": "+33 4"},
			want:   map[string]any{"phone.FIXE": "+33 4", "phone.PORTABLE": "+33 6", "email.COMPTABILITE": "compta@x.example"}},
		{name: "company: a typed e-mail", object: connectors.ObjectCompany, create: company,
			update: map[string]any{"email.PRINCIPAL": "hello@x.example"},
			want:   map[string]any{"email.PRINCIPAL": "hello@x.example", "email.COMPTABILITE": "compta@x.example"}},
		{name: "company: a typed phone", object: connectors.ObjectCompany, create: company,
			update: map[string]any{"phone.FIXE": "+33 3"},
			want:   map[string]any{"phone.FIXE": "+33 3", "phone.FAX": "+33 2"}},
		{name: "company: a typed url", object: connectors.ObjectCompany, create: company,
			update: map[string]any{"url.WEB": "https://new.x.example"},
			want:   map[string]any{"url.WEB": "https://new.x.example", "url.EXTERNE": "https://shop.x.example"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var links map[string]string
			if tt.object == connectors.ObjectContact {
				links = map[string]string{connectors.ObjectCompany: tid}
			}
			res, err := e.client.Create(ctx, tt.object, []connectors.Record{{Fields: tt.create, Links: links}})
			require.NoError(t, err)
			require.NoError(t, res[0].Err)
			id := res[0].ID
			up, err := e.client.Update(ctx, tt.object, []connectors.Record{{ID: id, Fields: tt.update}})
			require.NoError(t, err)
			require.NoError(t, up[0].Err)
			got, err := e.client.Get(ctx, tt.object, []string{id})
			require.NoError(t, err)
			require.Len(t, got, 1)
			for k, v := range tt.want {
				assert.Equal(t, v, got[0].Fields[k], k)
			}
		})
	}
}
