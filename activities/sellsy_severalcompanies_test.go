package activities

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/connectors/sellsy"
)

// A Sellsy contact linked to several companies syncs its first; moved to another company in
// Automation, it is moved in Sellsy so that it reads back in that company — its other links
// kept — and the move stays: it is not read back in one of its other companies and taken back
// to Automation, undoing the user's move.
func TestSellsyContactOfSeveralCompaniesMovedInAutomation(t *testing.T) {
	tests := []struct {
		name   string
		second int   // the company linked besides person 12's own (2), on Sellsy
		moveTo int   // the company person 12 is moved to in Automation
		keeps  []int // the companies it stays linked to on Sellsy besides moveTo
	}{
		{name: "second company of a higher id, moved to a third", second: 3, moveTo: 5},
		{name: "second company of a lower id, moved to a third", second: 1, moveTo: 5},
		{name: "moved to its second company", second: 3, moveTo: 3},
		{name: "moved to a company listed before its own", second: 3, moveTo: 0, keeps: []int{3}},
		{name: "moved to a third, a second listed after it kept", second: 3, moveTo: 1, keeps: []int{3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			const person = 12 // in company 2, on both sides
			h := newHarness(t, "both")
			h.cycle(ModeImport)
			sc, ok := h.sellsy.(*sellsy.Client)
			require.True(t, ok)
			status, body, err := sc.Call(h.ctx, http.MethodPost, "/companies/"+h.companyID(h.sellsy, tt.second)+"/contacts/"+h.person(h.sellsy, person).ID, nil, nil)
			require.NoError(t, err)
			require.Less(t, status, 300, "%s", body)
			first, _ := h.companyOf(h.sellsy, person)
			h.cycle(ModeImport)
			h.assertMauticLink(person, companyIndex(t, h, first), "the Sellsy contact's first company")

			h.link(h.mautic, person, tt.moveTo)
			for range 3 {
				h.cycle(ModeImport) // full reads: Sellsy moves no date when a link changes
			}
			co, known := h.companyOf(h.sellsy, person)
			assert.True(t, known)
			assert.Equal(t, h.companyID(h.sellsy, tt.moveTo), co, "on Sellsy, the contact reads in the company it was moved to")
			h.assertMauticLink(person, tt.moveTo, "on Automation, the move stays")
			want := []string{h.companyID(h.sellsy, tt.moveTo)}
			for _, k := range tt.keeps {
				want = append(want, h.companyID(h.sellsy, k))
			}
			assert.ElementsMatch(t, want, sellsyCompanies(t, h, sc, person), "the companies it is in on Sellsy: the one it left is left")
		})
	}
}

// sellsyCompanies lists the Sellsy companies person i is linked to.
func sellsyCompanies(t *testing.T, h *harness, sc *sellsy.Client, i int) []string {
	t.Helper()
	status, body, err := sc.Call(h.ctx, http.MethodGet, "/contacts/"+h.person(h.sellsy, i).ID+"/companies", nil, nil)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, status, "%s", body)
	var list struct {
		Data []struct {
			ID json.Number `json:"id"`
		} `json:"data"`
	}
	require.NoError(t, json.Unmarshal(body, &list))
	var out []string
	for _, c := range list.Data {
		out = append(out, c.ID.String())
	}
	return out
}

// companyIndex returns the seeded index of the Sellsy company id.
func companyIndex(t *testing.T, h *harness, id string) int {
	t.Helper()
	for k := 0; k < 6; k++ {
		if h.companyID(h.sellsy, k) == id {
			return k
		}
	}
	t.Fatalf("no seeded company has Sellsy id %s", id)
	return 0
}
