package weavy

import (
	"context"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/weavy/sim"
)

// A 403 that names a field (its own canInsert / canUpdate is off) is that record's fault: it
// fails the record only, naming the field and the table, while a 403 naming only the table
// (its API MAJ right is off) pauses the connection.
func TestForbiddenFieldFailsTheRecordOnly(t *testing.T) {
	for _, status := range []int{403, 401} {
		t.Run(strconv.Itoa(status), func(t *testing.T) { testForbiddenField(t, status) })
	}
}

func testForbiddenField(t *testing.T, status int) {
	e := setup(t, sim.Options{DeniedStatus: status})
	e.sim.SeedPeople(0, 10) // customers C0000000, C0000001
	ctx := context.Background()
	e.sim.SetFieldRight(sim.Customer, "siretNumber", sim.RightUpdate, false)
	res, err := e.client.Update(ctx, "company", []connectors.Record{
		{ID: "C0000000", Fields: map[string]any{"siretNumber": "12345678900011"}},
		{ID: "C0000001", Fields: map[string]any{"city": "Lyon"}},
	})
	require.NoError(t, err, "one field refused does not pause the connection")
	require.Len(t, res, 2)
	ce := connErr(t, res[0].Err)
	assert.Equal(t, connectors.KindInvalid, ce.Kind)
	assert.Equal(t, status, ce.Status)
	assert.Contains(t, ce.Message, "siretNumber")
	assert.Contains(t, ce.Message, "Client")
	assert.Contains(t, ce.Fields, "siretNumber")
	assert.NoError(t, res[1].Err)
	assert.Equal(t, "C0000001", res[1].ID)

	e.sim.SetFieldRight(sim.Marketing, "companyName", sim.RightInsert, false)
	res, err = e.client.Create(ctx, "contact", []connectors.Record{{Fields: map[string]any{"email": "new@example.com", "companyName": "X"}}})
	require.NoError(t, err)
	ce = connErr(t, res[0].Err)
	assert.Equal(t, connectors.KindInvalid, ce.Kind)
	assert.Contains(t, ce.Message, "companyName")
	assert.Contains(t, ce.Message, "Marketing / Entrant")

	// the table's right: the connection pauses
	e.sim.SetRight(sim.Customer, sim.RightUpdate, false)
	_, err = e.client.Update(ctx, "company", []connectors.Record{{ID: "C0000001", Fields: map[string]any{"city": "Nice"}}})
	ce = connErr(t, err)
	assert.Equal(t, connectors.KindConfig, ce.Kind)
	assert.Contains(t, ce.Message, "the API MAJ right is off for the table Client")
}
