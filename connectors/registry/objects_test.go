package registry

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/crmsync/crmsync/config"
	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/altior"
	"github.com/crmsync/crmsync/connectors/minicrm"
	"github.com/crmsync/crmsync/connectors/sellsy"
	"github.com/crmsync/crmsync/connectors/unas"
)

// config names each system's objects itself (the connectors' tests import the engine, which
// imports config, so config cannot import them): its lists are the connectors' own names.
func TestConfigKnowsTheConnectorsObjects(t *testing.T) {
	tests := map[string][]string{
		"sellsy":  {connectors.ObjectCompany, connectors.ObjectContact, sellsy.ObjectIndividual, sellsy.ObjectOpportunity},
		"mautic":  {connectors.ObjectCompany, connectors.ObjectContact},
		"weavy":   {connectors.ObjectCompany, connectors.ObjectContact},
		"altior":  {altior.ObjectAffaire, connectors.ObjectCompany, connectors.ObjectContact},
		"unas":    {unas.ObjectCompany, unas.ObjectCustomer, unas.ObjectOrder},
		"minicrm": {minicrm.ObjectBusiness, minicrm.ObjectPerson},
	}
	for system, want := range tests {
		assert.ElementsMatch(t, want, config.SystemObjects(system), system)
	}
	// MiniCRM's cards: config refuses no card:<module>, and names the prefix the connector reads.
	c := `name: x
a: {system: unas, credentials: {api_key: K}}
b: {system: minicrm, settings: {base_url: https://r3.example, owner: "1"}, credentials: {system_id: S, api_key: K}}
direction: a_to_b
objects:
  - name: order
    b_object: "` + minicrm.CardPrefix + `Orders"
    match: {a: order_ref, b: Text1}
    fields: [{a: order_ref, b: Text1}]
`
	_, err := config.Parse("x.yaml", []byte(c))
	assert.NoError(t, err)
}
