package main

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	sellsysim "github.com/crmsync/crmsync/connectors/sellsy/sim"
)

// A Sellsy gate field must apply to every company type the object lets through: a prospect
// or supplier cannot hold a value of a field related to clients only, so it could never be
// set to yes and would never go down, and nothing would say so.
func TestCheckLiveGateAppliesToEveryCompanyType(t *testing.T) {
	sb := startSandbox(t)
	sb.Sellsy.AddCustomField(sellsysim.CustomField{Code: "sa_client", Type: "boolean", Related: []string{"client", "contact"}})
	sb.Sellsy.AddCustomField(sellsysim.CustomField{Code: "sa_cp", Type: "boolean", Related: []string{"client", "prospect"}})
	sb.Sellsy.AddCustomField(sellsysim.CustomField{Code: "sa_all", Type: "boolean", Related: []string{"client", "prospect", "supplier", "contact"}})
	company := func(filter string) string {
		return `
  - name: company
    match: {a: name, b: companyname}
    filter: {a: {` + filter + `}}
    fields:
      - {a: name, b: companyname}
`
	}
	individual := func(filter string) string {
		return `
  - name: person
    a_object: individual
    b_object: contact
    match: {a: email, b: email}
    filter: {a: {` + filter + `}}
    fields:
      - {a: email, b: email}
      - {a: last_name, b: lastname}
`
	}
	tests := []struct {
		name    string
		objects string
		want    string // "": valid
	}{
		{name: "a field related to clients only, every type let through", objects: company("cf.sa_client: true"),
			want: "objects[0] (company): filter a.cf.sa_client: the Sellsy field applies to client only: prospect and supplier companies could never be set to yes, so they would never go down: add prospect, supplier to its related objects in Sellsy, or keep them out with a filter on type"},
		{name: "a field related to clients only, clients only let through", objects: company("cf.sa_client: true, type: client")},
		{name: "a field related to clients and prospects, a list of types", objects: company("cf.sa_cp: true, type: [prospect, client, supplier]"),
			want: "objects[0] (company): filter a.cf.sa_cp: the Sellsy field applies to prospect and client only: supplier companies could never be set to yes, so they would never go down: add supplier to its related objects in Sellsy, or keep them out with a filter on type"},
		{name: "a field related to clients and prospects, those types let through", objects: company("cf.sa_cp: true, type: [prospect, client]")},
		{name: "a field related to every type", objects: company("cf.sa_all: true")},
		{name: "an individual object too", objects: individual("cf.sa_client: true, type: [prospect, client]"),
			want: "objects[0] (person): filter a.cf.sa_client: the Sellsy field applies to client only: prospect individuals could never be set to yes, so they would never go down: add prospect to its related objects in Sellsy, or keep them out with a filter on type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := liveConnection(t, sb, false, tt.objects)
			err := checkLive(context.Background(), c)
			if tt.want == "" {
				assert.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Equal(t, []string{c.File + ": " + tt.want}, strings.Split(err.Error(), "\n"))
		})
	}
}
