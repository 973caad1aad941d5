package weavy

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/simkit"
	"github.com/crmsync/crmsync/connectors/weavy/sim"
)

func selects(e *env) int { return e.sim.Kit().Counts()["POST /v1/Data/{project}/Select"] }

// A lookup's answer shorter than a page is complete: on a server that ignores offset (the
// Divalto plugin never pages, so one may), a lookup with one match, on a fresh client that
// has listed nothing, finds it instead of pausing the connection.
func TestLookupWithOneMatchOnServerIgnoringOffset(t *testing.T) {
	e := setup(t, sim.Options{PageSize: 100, IgnoreOffset: true})
	e.sim.SeedPeople(0, 10)
	recs, err := e.client.FindByKey(context.Background(), "company", "name", []string{"x-does-not-matter"})
	require.NoError(t, err)
	assert.Empty(t, recs)
	recs, err = e.client.FindByKey(context.Background(), "contact", "email", []string{"person000003@example.com"})
	require.NoError(t, err, "one record, against a page size of 100, is a complete answer")
	assert.Equal(t, []string{"c:CC0000003"}, ids(recs))
}

// Once a page size is known (here learned by the probe of a first lookup), a lookup with one
// match costs two Selects, even on a server that ignores offset: the page, shorter than the
// page size, and the Select at the next offset, which brings nothing new (the page size may
// have been lowered since it was learned: a short page alone does not end a query). An
// incremental listing with one change costs three: a listing also checks that its last record
// is still in its place after that Select (endsAt).
func TestTwoSelectsForAShortAnswerOncePageSizeIsKnown(t *testing.T) {
	for _, ignore := range []bool{false, true} {
		t.Run(map[bool]string{false: "offset honoured", true: "offset ignored"}[ignore], func(t *testing.T) {
			e := setup(t, sim.Options{PageSize: 100, IgnoreOffset: ignore})
			e.sim.SeedPeople(0, 25) // 5 customers
			ctx := context.Background()
			_, err := e.client.FindByKey(ctx, "contact", "email", []string{"person000001@example.com"})
			require.NoError(t, err)
			assert.Equal(t, 25, e.client.pages.get(EntityCustomerContact))
			_, err = e.client.FindByKey(ctx, "company", "name", []string{"nobody"})
			require.NoError(t, err)
			assert.Equal(t, 5, e.client.pages.get(EntityCustomer), "the probe of the table's first lookup")

			before := selects(e)
			recs, err := e.client.FindByKey(ctx, "company", "name", []string{simkit.CompanyAt(2).Name})
			require.NoError(t, err)
			require.Len(t, recs, 1)
			assert.Equal(t, 2, selects(e)-before, "two Selects for a one-match lookup")

			before = selects(e)
			recs, err = e.client.FindByKey(ctx, "company", "name", []string{"nobody"})
			require.NoError(t, err)
			require.Empty(t, recs)
			assert.Equal(t, 1, selects(e)-before, "one Select for a lookup without a match")

			e.clock.Advance(time.Hour)
			since := e.clock.Now()
			e.clock.Advance(time.Minute)
			res, err := e.client.Update(ctx, "company", []connectors.Record{{ID: "C0000001", Fields: map[string]any{"city": "Lyon"}}})
			require.NoError(t, err)
			require.NoError(t, res[0].Err)
			before = selects(e)
			recs, pages := listAll(t, e.client, "company", since)
			assert.Equal(t, []string{"C0000001"}, ids(recs))
			assert.Equal(t, 1, pages)
			assert.Equal(t, 3, selects(e)-before, "three Selects for a listing of one change")
		})
	}
}

// On a weavy that ignores offset (the Divalto plugin never pages, so one may), an incremental
// listing whose changes fit in a page lists them and ends: the Select after its page answers
// that page again, which holds nothing new.
func TestIncrementalListingOnServerIgnoringOffset(t *testing.T) {
	for _, changes := range []int{1, 2, 5} {
		t.Run(fmt.Sprint(changes, " changes"), func(t *testing.T) {
			e := setup(t, sim.Options{PageSize: 100, IgnoreOffset: true})
			e.sim.SeedPeople(0, 250) // 50 customers
			ctx := context.Background()
			_, err := e.client.FindByKey(ctx, "company", "name", []string{"nobody"}) // learns the page size
			require.NoError(t, err)
			e.clock.Advance(time.Hour)
			since := e.clock.Now()
			e.clock.Advance(time.Minute)
			var want []string
			for i := range changes {
				id := fmt.Sprintf("C%07d", 7*i+1)
				res, err := e.client.Update(ctx, "company", []connectors.Record{{ID: id, Fields: map[string]any{"city": "Lyon"}}})
				require.NoError(t, err)
				require.NoError(t, res[0].Err)
				want = append(want, id)
			}
			got, _, err := listUpTo(t, e.client, "company", connectors.ListQuery{Since: since}, 10, nil)
			require.NoError(t, err)
			assert.ElementsMatch(t, want, ids(got))
		})
	}
}
