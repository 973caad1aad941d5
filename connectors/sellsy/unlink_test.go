package sellsy

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/sellsy/sim"
)

// A contact Sellsy answers has no company reads Links["company"] = "", known none, by List
// and by Get, with or without a walk of the companies first (the note knows only contacts
// that have one); a contact of a company reads its id.
func TestContactWithoutCompanyReadsKnownNone(t *testing.T) {
	f := setup(t, sim.Options{}, false)
	f.sim.SeedPeople(0, 3)
	ctx := context.Background()
	res, err := f.c.Create(ctx, connectors.ObjectContact, []connectors.Record{{Fields: map[string]any{"last_name": "Sans société"}}})
	require.NoError(t, err)
	require.NoError(t, res[0].Err)
	alone := res[0].ID
	linked := listAll(t, f.c, connectors.ObjectContact)[0]
	require.NotEmpty(t, linked.Links[connectors.ObjectCompany])
	res, err = f.c.Update(ctx, connectors.ObjectContact, []connectors.Record{{ID: linked.ID, Links: map[string]string{connectors.ObjectCompany: ""}}})
	require.NoError(t, err)
	require.NoError(t, res[0].Err)
	unlinked := linked.ID

	tests := []struct {
		name string
		walk bool
		read func(c *Client) []connectors.Record
	}{
		{"list", false, func(c *Client) []connectors.Record { return listAll(t, c, connectors.ObjectContact) }},
		{"list after a walk", true, func(c *Client) []connectors.Record { return listAll(t, c, connectors.ObjectContact) }},
		{"get", false, func(c *Client) []connectors.Record {
			got, err := c.Get(ctx, connectors.ObjectContact, []string{alone, unlinked})
			require.NoError(t, err)
			return got
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := f.client(t, testSecret)
			c.cfg.ContactLinks = true
			if tt.walk {
				listAll(t, c, connectors.ObjectCompany)
			}
			seen := 0
			for _, r := range tt.read(c) {
				co, has := r.Links[connectors.ObjectCompany]
				require.True(t, has, "contact %s: its company is known", r.ID)
				if r.ID == alone || r.ID == unlinked {
					assert.Equal(t, "", co, "contact %s has none", r.ID)
					seen++
				} else {
					assert.NotEmpty(t, co, "contact %s", r.ID)
				}
			}
			assert.Equal(t, 2, seen)
		})
	}
}

// Sellsy can take a contact out of its company; nothing else is unlinked.
func TestCanUnlinkContactCompany(t *testing.T) {
	var u connectors.Unlinker = &Client{}
	assert.True(t, u.CanUnlink(connectors.ObjectContact, connectors.ObjectCompany))
	assert.False(t, u.CanUnlink("opportunity", connectors.ObjectCompany))
	assert.False(t, u.CanUnlink("opportunity", ObjectIndividual))
}

// An unlink names the company the link went to when the removal was read
// (connectors.LinkWas): the contact leaves it while it is still there; moved to another since,
// it keeps the newer one. Without it, the contact leaves its first company.
func TestUnlinkOnlyWhileTheLinkGoesWhereItWent(t *testing.T) {
	tests := []struct {
		name     string
		was      func(company string) (string, bool)
		wantNone bool
	}{
		{"still there: taken off", func(company string) (string, bool) { return company, true }, true},
		{"moved since: kept", func(string) (string, bool) { return "999999", true }, false},
		{"not named: its first one", func(string) (string, bool) { return "", false }, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := setup(t, sim.Options{}, false)
			f.sim.SeedPeople(0, 2)
			ctx := context.Background()
			contact := listAll(t, f.c, connectors.ObjectContact)[0]
			company := contact.Links[connectors.ObjectCompany]
			require.NotEmpty(t, company)
			links := map[string]string{connectors.ObjectCompany: ""}
			if was, ok := tt.was(company); ok {
				links[connectors.LinkWas(connectors.ObjectCompany)] = was
			}
			res, err := f.c.Update(ctx, connectors.ObjectContact, []connectors.Record{{ID: contact.ID, Links: links}})
			require.NoError(t, err)
			require.NoError(t, res[0].Err)
			got, err := f.c.Get(ctx, connectors.ObjectContact, []string{contact.ID})
			require.NoError(t, err)
			require.Len(t, got, 1)
			if tt.wantNone {
				assert.Equal(t, "", got[0].Links[connectors.ObjectCompany])
			} else {
				assert.Equal(t, company, got[0].Links[connectors.ObjectCompany])
			}
		})
	}
}
