package sim

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Listings filter on custom fields with cf.<CODE>=value (exact): an affaire is found by the
// Sellsy opportunity id in SLSY, and an unknown code is refused with the parameter named.
func TestListByCustomField(t *testing.T) {
	e := setup(t)
	var tiers Tiers
	require.Equal(t, 201, e.call("POST", "/api/v1/tiers", map[string]any{"name": "Dupont", "custom_fields": map[string]string{"SECT": "Bois"}}, &tiers))
	for _, a := range []map[string]any{
		{"tiers_id": tiers.ID, "title": "Rénovation", "custom_fields": map[string]string{"SLSY": "101"}},
		{"tiers_id": tiers.ID, "title": "Rénovation", "custom_fields": map[string]string{"SLSY": "102"}},
		{"tiers_id": tiers.ID, "title": "Rénovation"}, // made by hand in Altior
	} {
		require.Equal(t, 201, e.call("POST", "/api/v1/affaires", a, nil))
	}
	tests := []struct {
		name, path string
		status     int
		titles     int
		field      string
	}{
		{"affaire by SLSY", "/api/v1/affaires?cf.SLSY=102", 200, 1, ""},
		{"no affaire has it", "/api/v1/affaires?cf.SLSY=103", 200, 0, ""},
		{"tiers by SECT", "/api/v1/tiers?cf.SECT=Bois", 200, 1, ""},
		{"exact, not ignoring case", "/api/v1/tiers?cf.SECT=bois", 200, 0, ""},
		{"unknown code", "/api/v1/affaires?cf.NOPE=1", 400, 0, "cf.NOPE"},
		{"a tiers code on affaires", "/api/v1/affaires?cf.SECT=Bois", 400, 0, "cf.SECT"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out struct {
				Items []map[string]any
				Error ErrorDetail
			}
			require.Equal(t, tt.status, e.call("GET", tt.path, nil, &out))
			assert.Len(t, out.Items, tt.titles)
			assert.Equal(t, tt.field, out.Error.Field)
		})
	}
}

// created_at is set once, when the record is created; updated_at moves with every write.
func TestCreatedAt(t *testing.T) {
	e := setup(t)
	created := e.clk.Now()
	var tiers Tiers
	require.Equal(t, 201, e.call("POST", "/api/v1/tiers", map[string]any{"name": "Dupont"}, &tiers))
	var contact Contact
	require.Equal(t, 201, e.call("POST", "/api/v1/tiers/"+tiers.ID+"/contacts", map[string]any{"last_name": "Dupont"}, &contact))
	var aff Affaire
	require.Equal(t, 201, e.call("POST", "/api/v1/affaires", map[string]any{"tiers_id": tiers.ID, "title": "X"}, &aff))
	e.clk.Advance(time.Minute)
	tests := []struct{ name, path string }{
		{"tiers", "/api/v1/tiers/" + tiers.ID},
		{"contact", "/api/v1/contacts/" + contact.ID},
		{"affaire", "/api/v1/affaires/" + aff.ID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := map[string]any{"last_name": "Martin"}
			if tt.name != "contact" {
				body = map[string]any{"name": "Martin"}
			}
			if tt.name == "affaire" {
				body = map[string]any{"title": "Y"}
			}
			require.Equal(t, 200, e.call("PATCH", tt.path, body, nil))
			var got struct {
				CreatedAt time.Time `json:"created_at"`
				UpdatedAt time.Time `json:"updated_at"`
			}
			require.Equal(t, 200, e.call("GET", tt.path, nil, &got))
			assert.True(t, got.CreatedAt.Equal(created), "created_at %v", got.CreatedAt)
			assert.True(t, got.UpdatedAt.After(created), "updated_at %v", got.UpdatedAt)
		})
	}
	e.s.SeedTiers(0, 1)
	for _, d := range e.s.Dump(ObjectTiers) {
		assert.NotEmpty(t, d["created_at"], "seeded tiers %v", d["id"])
	}
}
