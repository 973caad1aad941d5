package weavy

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/weavy/sim"
)

// A table with no record yet cannot have its write rights probed without writing: CheckAccess
// does not fail (the first write reports a right that is off) but warns, naming each right
// and table left unchecked, instead of passing silently.
func TestCheckAccessWarnsOfRightsNotChecked(t *testing.T) {
	e := setup(t, sim.Options{})
	e.sim.SeedPeople(0, 2) // customers and contacts; no entrant
	var logs bytes.Buffer
	e.client.log = slog.New(slog.NewTextHandler(&logs, nil))
	write := []connectors.Access{{Object: "company", Write: true}, {Object: "contact", Write: true}}
	require.NoError(t, e.client.CheckAccess(context.Background(), write))
	out := logs.String()
	assert.Contains(t, out, "insert right (API ajout) of Marketing / Entrant not checked: the table is empty")
	assert.Contains(t, out, "update right (API MAJ) of Marketing / Entrant not checked: the table is empty")
	assert.Equal(t, 2, strings.Count(out, "not checked"), out)

	logs.Reset()
	e.sim.Reset() // every table empty
	require.NoError(t, e.client.CheckAccess(context.Background(), write))
	out = logs.String()
	for _, s := range []string{
		"update right (API MAJ) of Client not checked", "insert right (API ajout) of Client not checked",
		"update right (API MAJ) of Client / Contact not checked",
	} {
		assert.Contains(t, out, s)
	}
	assert.NotContains(t, out, "insert right (API ajout) of Client / Contact", "contacts are never created")
	assert.Equal(t, 5, strings.Count(out, "not checked"), out)

	logs.Reset()
	require.NoError(t, e.client.CheckAccess(context.Background(), []connectors.Access{{Object: "company"}, {Object: "contact"}}))
	assert.Empty(t, logs.String(), "a read right needs no record")
}
