package sellsy

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/sellsy/sim"
)

// listAll walks an object from the start, as the initial import does.
func listAll(t *testing.T, c *Client, object string) []connectors.Record {
	t.Helper()
	var out []connectors.Record
	q := connectors.ListQuery{Limit: 100}
	for {
		page, err := c.List(context.Background(), object, q)
		require.NoError(t, err)
		out = append(out, page.Records...)
		if !page.More {
			return out
		}
		q.Cursor = page.Cursor
	}
}

// A walk of the companies notes each company's contacts, so that the contacts read next need
// no lookup of their own; the links are the same as the per-contact lookups find.
func TestCompanyWalkNotesContactLinks(t *testing.T) {
	f := setup(t, sim.Options{}, false)
	f.sim.SeedPeople(0, 60)
	ctx := context.Background()
	// A company with more than a page of contacts, a contact of two companies and one of none.
	big, err := f.c.Create(ctx, connectors.ObjectCompany, []connectors.Record{{Fields: map[string]any{"name": "Grande Maison"}}})
	require.NoError(t, err)
	require.NoError(t, big[0].Err)
	var many []connectors.Record
	for i := 0; i < 130; i++ {
		many = append(many, connectors.Record{Fields: map[string]any{"last_name": fmt.Sprintf("Employé %d", i)},
			Links: map[string]string{connectors.ObjectCompany: big[0].ID}})
	}
	many = append(many, connectors.Record{Fields: map[string]any{"last_name": "Sans société"}})
	res, err := f.c.Create(ctx, connectors.ObjectContact, many)
	require.NoError(t, err)
	for _, r := range res {
		require.NoError(t, r.Err)
	}
	first := listAll(t, f.c, connectors.ObjectContact)[0]
	_, err = f.c.Update(ctx, connectors.ObjectContact, []connectors.Record{{ID: first.ID, Fields: map[string]any{}, Links: map[string]string{connectors.ObjectCompany: big[0].ID}}})
	require.NoError(t, err)

	plain := listAll(t, f.c, connectors.ObjectContact) // every contact looks its company up
	want := map[string]string{}
	for _, r := range plain {
		want[r.ID] = r.Links[connectors.ObjectCompany]
	}
	require.Len(t, want, 60+131)

	tests := []struct {
		name      string
		walk      bool
		ttl       time.Duration
		wantCalls int
	}{
		{"companies walked first", true, 0, 1}, // only the contact without a company
		{"no walk", false, 0, 60 + 131},
		{"notes expired", true, linkNoteTTL, 60 + 131},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := f.client(t, testSecret)
			c.cfg.ContactLinks = true
			if tt.walk {
				listAll(t, c, connectors.ObjectCompany)
			}
			if tt.ttl > 0 { // age every note past its life
				c.links.mu.Lock()
				for k, e := range c.links.m {
					e.at -= int64(tt.ttl / time.Second)
					c.links.m[k] = e
				}
				c.links.mu.Unlock()
			}
			f.sim.Kit().ResetCounts()
			got := listAll(t, c, connectors.ObjectContact)
			assert.Equal(t, tt.wantCalls, f.sim.Kit().Counts()["GET /v2/contacts/{id}/companies"])
			for _, r := range got {
				assert.Equal(t, want[r.ID], r.Links[connectors.ObjectCompany], "contact %s", r.ID)
			}
			assert.Empty(t, c.links.m, "each note is used once")
		})
	}
}

// The note never outgrows its cap; expired notes make room; ids that are not Sellsy's
// integers are not noted.
func TestLinkNotesCapped(t *testing.T) {
	var n linkNotes
	now := time.Now()
	for i := 0; i < linkNoteCap+10; i++ {
		n.note(fmt.Sprint(i), "1", now)
	}
	assert.Equal(t, linkNoteCap, len(n.m))
	// Full, on an account with more contacts than the cap: a note past it costs no sweep of
	// the others (one each would make the walk quadratic), at most one a minute does.
	for i := 0; i < 50_000; i++ {
		n.note(fmt.Sprint(linkNoteCap+100+i), "1", now.Add(time.Second))
	}
	assert.Equal(t, 1, n.sweeps, "50,000 notes past the cap, one sweep")
	assert.Equal(t, linkNoteCap, len(n.m))
	n.note("999999999", "2", now.Add(linkNoteTTL)) // the old notes have expired: swept
	assert.Equal(t, 1, len(n.m))
	co, ok := n.take("999999999", now.Add(linkNoteTTL))
	assert.True(t, ok)
	assert.Equal(t, "2", co)
	n.note("abc", "1", now)
	_, ok = n.take("abc", now)
	assert.False(t, ok)
}

// A contact two companies claim is noted with the lower-id one, as its own lookup answers,
// whatever order the notes come in: the companies of one page are walked in parallel, so
// the higher one may note first.
func TestLinkNotesKeepTheLowerCompany(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	tests := []struct {
		name   string
		notes  []string // companies, in the order they note contact 7
		oldest bool     // the first note has expired when the second comes
		want   string
	}{
		{"lower first", []string{"5", "12"}, false, "5"},
		{"higher first", []string{"12", "5"}, false, "5"},
		{"expired lower, then higher", []string{"5", "12"}, true, "12"},
		{"same company twice", []string{"5", "5"}, false, "5"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var n linkNotes
			at := now
			for i, co := range tt.notes {
				if i > 0 && tt.oldest {
					at = at.Add(linkNoteTTL)
				}
				n.note("7", co, at)
			}
			got, fresh := n.take("7", at)
			assert.True(t, fresh)
			assert.Equal(t, tt.want, got)
		})
	}
}
