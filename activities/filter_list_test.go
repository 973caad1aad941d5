package activities

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/config"
	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/simkit"
)

// A filter value that is a list lets through a record holding any of its values, as one value
// lets through the record holding it.
func TestFilterListPasses(t *testing.T) {
	filter := map[string]any{"type": []any{"prospect", "client"}, "cf.code": []any{"0123", "12"}}
	tests := []struct {
		name   string
		fields map[string]any
		passes bool
	}{
		{name: "the first", fields: map[string]any{"type": "prospect", "cf.code": "0123"}, passes: true},
		{name: "the second", fields: map[string]any{"type": "client", "cf.code": 12.0}, passes: true},
		{name: "none of them", fields: map[string]any{"type": "supplier", "cf.code": "0123"}},
		{name: "one field fails", fields: map[string]any{"type": "client", "cf.code": "83"}},
		{name: "no value", fields: map[string]any{"cf.code": "12"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.passes, passes(connectors.Record{Fields: tt.fields}, filter))
		})
	}
	assert.False(t, gatedOn(&config.Object{Filter: config.SideValues{A: filter}}, "a"), "a list is no yes/no gate")
}

// The Sellsy plugin syncs "contacts and companies (prospects and customers)" (seed 000), not
// suppliers: filter: {a: {type: [client, prospect]}}. Sellsy's prospects and clients go to
// Automation, its suppliers never do, an Automation company named like a Sellsy supplier is
// not paired with it, and the companies Automation alone has are created in Sellsy with the
// list's first type (not the connector's default prospect), which passes the filter.
func TestSellsySuppliersStayOutOfAutomation(t *testing.T) {
	h := newHarnessObjects(t, "both", `
  - name: company
    match: {a: name, b: companyname}
    filter: {a: {type: [client, prospect]}}
    fields:
      - {a: name, b: companyname}
      - {a: email, b: companyemail}
`)
	create := func(c connectors.Connector, fields map[string]any) {
		t.Helper()
		res, err := c.Create(h.ctx, connectors.ObjectCompany, []connectors.Record{{Fields: fields}})
		require.NoError(t, err)
		require.NoError(t, res[0].Err)
	}
	create(h.sellsy, map[string]any{"name": "Client Co", "type": "client"})
	create(h.sellsy, map[string]any{"name": "Supplier Co", "type": "supplier"})
	create(h.sellsy, map[string]any{"name": "Shared Client", "type": "client"})
	create(h.sellsy, map[string]any{"name": "Shared Supplier", "type": "supplier"})
	create(h.mautic, map[string]any{"companyname": "Shared Client"})
	create(h.mautic, map[string]any{"companyname": "Shared Supplier"})
	company := func(c connectors.Connector, name string) []connectors.Record {
		t.Helper()
		field := "name"
		if c == h.mautic {
			field = "companyname"
		}
		recs, err := c.FindByKey(h.ctx, connectors.ObjectCompany, field, []string{name})
		require.NoError(t, err)
		return recs
	}

	a := h.pass("company", "a", ModeImport)
	assert.Equal(t, 2, a.Filtered, "the two suppliers stay out: %+v", a)
	assert.Equal(t, 3, a.CreatedB, "companies 0–1 (prospects) and Client Co go down: %+v", a)
	b := h.pass("company", "b", ModeImport)
	assert.Equal(t, 2, b.CreatedA, "Automation's companies 4–5 go up: %+v", b)
	assert.Equal(t, 1, b.Quarantined, "Shared Supplier is not paired with Sellsy's supplier: %+v", b)

	for _, name := range []string{"Supplier Co"} {
		assert.Empty(t, company(h.mautic, name), "%s never reaches Automation", name)
	}
	for _, name := range []string{"Client Co", "Shared Client"} {
		assert.Len(t, company(h.mautic, name), 1, "%s is in Automation, once", name)
	}
	assert.Equal(t, 4+2+3, h.sb.Mautic.Count("companies"), "companies 2–5, the two created there, and 0, 1 and Client Co")
	q, err := h.st.ListQuarantine(h.ctx, "t", 10)
	require.NoError(t, err)
	require.Len(t, q, 1)
	assert.Contains(t, q[0].Reason, "whose type is supplier, not client or prospect as this object's: not paired with it")

	filter := map[string]any{"type": []any{"client", "prospect"}}
	for _, k := range []int{4, 5} {
		recs := company(h.sellsy, simkit.CompanyAt(k).Name)
		require.Len(t, recs, 1, "company %d is created in Sellsy", k)
		assert.Equal(t, "client", recs[0].Fields["type"], "company %d gets the list's first type", k)
		assert.True(t, passes(recs[0], filter))
	}
	again := h.pass("company", "a", ModeImport)
	assert.Equal(t, 2, again.Filtered, "the companies created in Sellsy pass its filter; the suppliers do not: %+v", again)
	assert.Zero(t, again.CreatedB, "%+v", again)
}
