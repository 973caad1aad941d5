package altior

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/altior/sim"
)

// Describe gives each object's typed fields, one per type of its value list, labelled with
// the list's label and the type's, and marks required the fields API.md refuses a record
// without: a tiers's kind and relation, a contact's last name, an affaire's title.
func TestDescribeTypedAndRequiredFields(t *testing.T) {
	tests := []struct {
		object   string
		typed    map[string]string // some typed fields → their label
		absent   []string          // typed fields the object does not have
		required []string
	}{
		{object: connectors.ObjectCompany,
			typed:    map[string]string{"phone.FIXE": "Téléphone (Fixe)", "email.ACHATS": "E-mail (Achats)", "url.WEB": "URL (Site web)"},
			required: []string{"kind", "relation"}},
		{object: connectors.ObjectContact,
			typed:    map[string]string{"phone.PORTABLE": "Téléphone (Portable)", "email.PRINCIPAL": "E-mail (Principal)"},
			absent:   []string{"url.WEB"},
			required: []string{"last_name"}},
		{object: ObjectAffaire, absent: []string{"phone.FIXE", "email.PRINCIPAL", "url.WEB"}, required: []string{"title"}},
	}
	for _, tt := range tests {
		t.Run(tt.object, func(t *testing.T) {
			e := setup(t, sim.Options{})
			fields, err := e.client.Describe(context.Background(), tt.object)
			require.NoError(t, err)
			labels := map[string]string{}
			var required []string
			for _, f := range fields {
				labels[f.Name] = f.Label
				if f.Required {
					required = append(required, f.Name)
				}
			}
			for name, label := range tt.typed {
				assert.Equal(t, label, labels[name], name)
			}
			for _, name := range tt.absent {
				assert.NotContains(t, labels, name)
			}
			assert.Equal(t, tt.required, required)
		})
	}
}
