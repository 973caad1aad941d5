package sellsy

import (
	"net/http"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/sellsy/sim"
)

// A contact of several companies moved to another leaves the one it was read in and every
// company listed before the new one; those after stay. Its companies are read once when it
// is already in the new company (the list read tells where it stands, and it is not linked
// to it again); joining a company it was not in, the list is read again after the link, as
// Sellsy does not document the order it lists a contact's companies in.
func TestMoveReadsTheContactsCompaniesOnce(t *testing.T) {
	tests := []struct {
		name   string
		in     []int // the companies (indexes of four, made in id order) the contact is in
		moveTo int
		want   []int // its companies after the move
		reads  int   // GET /contacts/{id}/companies
		links  int   // POST /companies/{companyId}/contacts/{contactId}
	}{
		{name: "to its second company", in: []int{1, 2}, moveTo: 2, want: []int{2}, reads: 1, links: 0},
		{name: "to its third company", in: []int{1, 2, 3}, moveTo: 3, want: []int{3}, reads: 1, links: 0},
		{name: "to its second of three, the third kept", in: []int{1, 2, 3}, moveTo: 2, want: []int{2, 3}, reads: 1, links: 0},
		{name: "to its only company", in: []int{1}, moveTo: 1, want: []int{1}, reads: 1, links: 0},
		{name: "from its only company to another", in: []int{1}, moveTo: 3, want: []int{3}, reads: 1, links: 1},
		{name: "to a new company listed after its two", in: []int{1, 2}, moveTo: 3, want: []int{3}, reads: 2, links: 1},
		{name: "to a new company listed before its two", in: []int{1, 2}, moveTo: 0, want: []int{0, 2}, reads: 2, links: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := setup(t, sim.Options{}, false)
			var ids []string // one at a time: in id order, the order the simulator lists them in
			for i := range 4 {
				res, err := f.c.Create(ctx, connectors.ObjectCompany, []connectors.Record{{Fields: map[string]any{"name": "Société " + strconv.Itoa(i)}}})
				require.NoError(t, err)
				require.NoError(t, res[0].Err)
				ids = append(ids, res[0].ID)
			}
			res, err := f.c.Create(ctx, connectors.ObjectContact, []connectors.Record{{Fields: map[string]any{"last_name": "Martin"}}})
			require.NoError(t, err)
			require.NoError(t, res[0].Err)
			contact := res[0].ID
			for _, i := range tt.in {
				status, body, err := f.c.Call(ctx, http.MethodPost, "/companies/"+ids[i]+"/contacts/"+contact, nil, nil)
				require.NoError(t, err)
				require.Equal(t, http.StatusCreated, status, "%s", body)
			}

			f.sim.Kit().ResetCounts()
			res, err = f.c.Update(ctx, connectors.ObjectContact, []connectors.Record{{ID: contact, Links: map[string]string{connectors.ObjectCompany: ids[tt.moveTo]}}})
			require.NoError(t, err)
			require.NoError(t, res[0].Err)
			counts := f.sim.Kit().Counts()
			assert.Equal(t, tt.reads, counts["GET /v2/contacts/{id}/companies"], "reads of its companies")
			assert.Equal(t, tt.links, counts["POST /v2/companies/{companyId}/contacts/{contactId}"], "links made (none to a company it is in)")

			var want []int
			for _, i := range tt.want {
				want = append(want, mustAtoi(ids[i]))
			}
			assert.ElementsMatch(t, want, f.sim.Dump("contacts")[0]["_sim"].(map[string]any)["company_ids"], "the companies it is in")
			got, err := f.c.Get(ctx, connectors.ObjectContact, []string{contact})
			require.NoError(t, err)
			require.Len(t, got, 1)
			assert.Equal(t, ids[tt.moveTo], got[0].Links[connectors.ObjectCompany], "the contact reads in the company it moved to")
		})
	}
}
