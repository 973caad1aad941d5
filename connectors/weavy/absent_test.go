package weavy

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/weavy/sim"
)

// A weavy "contact" is a record of one of two tables whose fields Describe lists together:
// each record names, in Absent, the described fields its own table lacks (unknown, not
// emptied), on every read path; a company (one table) lacks none.
func TestRecordsNameTheFieldsTheirTableLacks(t *testing.T) {
	e := setup(t, sim.Options{})
	e.sim.SeedPeople(0, 2)
	e.sim.SeedEntrants(10, 1)
	ctx := context.Background()
	described := map[string]bool{}
	fields, err := e.client.Describe(ctx, "contact")
	require.NoError(t, err)
	for _, f := range fields {
		described[f.Name] = true
	}
	check := func(t *testing.T, r connectors.Record) {
		t.Helper()
		switch {
		case r.ID[:2] == PrefixEntrant:
			assert.Contains(t, r.Absent, "mobilePhoneNumber", r.ID)
			assert.Contains(t, r.Absent, "bouncedEmailDetected", r.ID)
			assert.NotContains(t, r.Absent, "companyName", r.ID)
			assert.NotContains(t, r.Absent, "email", r.ID)
		case r.ID[:2] == PrefixContact:
			assert.Contains(t, r.Absent, "companyName", r.ID)
			assert.Contains(t, r.Absent, "codemarketinginbound", r.ID)
			assert.NotContains(t, r.Absent, "mobilePhoneNumber", r.ID)
			assert.NotContains(t, r.Absent, "customer_ID", r.ID, "a link, not a described field")
		default:
			t.Fatalf("unexpected id %s", r.ID)
		}
		assert.IsIncreasing(t, r.Absent, r.ID)
		for _, name := range r.Absent {
			assert.True(t, described[name], "%s: %s is not a field Describe gives", r.ID, name)
			assert.NotContains(t, r.Fields, name, r.ID)
		}
	}

	t.Run("List", func(t *testing.T) {
		recs, _ := listAll(t, e.client, "contact", time.Time{})
		require.Len(t, recs, 3)
		for _, r := range recs {
			check(t, r)
		}
	})
	t.Run("Get", func(t *testing.T) {
		recs, err := e.client.Get(ctx, "contact", []string{"c:CC0000000", "e:E0000010"})
		require.NoError(t, err)
		require.Len(t, recs, 2)
		for _, r := range recs {
			check(t, r)
		}
	})
	t.Run("FindByKey", func(t *testing.T) {
		recs, err := e.client.FindByKey(ctx, "contact", "email", []string{"person000001@example.com", "person000010@example.com"})
		require.NoError(t, err)
		require.Len(t, recs, 2)
		for _, r := range recs {
			check(t, r)
		}
	})
	t.Run("company", func(t *testing.T) {
		recs, _ := listAll(t, e.client, "company", time.Time{})
		require.NotEmpty(t, recs)
		got, err := e.client.Get(ctx, "company", []string{recs[0].ID})
		require.NoError(t, err)
		found, err := e.client.FindByKey(ctx, "company", "name", []string{connectors.Text(recs[0].Fields["name"])})
		require.NoError(t, err)
		for _, r := range append(append(recs, got...), found...) {
			assert.Nil(t, r.Absent, r.ID)
		}
	})
}
