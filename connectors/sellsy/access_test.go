package sellsy

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/sellsy/sim"
	"github.com/crmsync/crmsync/connectors/simkit"
)

var allScopes = []string{"companies.read", "companies.write", "contacts.read", "contacts.write", "custom-fields.read",
	"individuals.read", "individuals.write", "opportunities.read", "opportunities.write", "tasks.read", "calendars.read", "comments.read"}

func without(all []string, drop ...string) []string {
	var out []string
	for _, s := range all {
		if !slices.Contains(drop, s) {
			out = append(out, s)
		}
	}
	return out
}

// Sellsy's token response names no scope: CheckAccess probes each scope the connection needs
// (GET ?limit=1 to read, POST ?verify=true to write) and names every one refused with 403.
func TestCheckAccessProbesScopes(t *testing.T) {
	contactsLinkedCF := []connectors.Access{{Object: connectors.ObjectContact, Write: true, Linked: true, Fields: []string{"email", "cf.SA"}}}
	tests := []struct {
		name    string
		granted []string
		needs   []connectors.Access
		missing string // "" → no error
		probes  string
	}{
		{"all granted", allScopes, contactsLinkedCF, "", ""},
		{"read-only company", without(allScopes, "companies.write"),
			[]connectors.Access{{Object: connectors.ObjectCompany, Write: true}},
			"companies.write", "POST /companies?verify=true"},
		{"no contacts read", without(allScopes, "contacts.read"), contactsLinkedCF,
			"contacts.read", "GET /contacts?limit=1"},
		{"custom fields and link writes", without(allScopes, "custom-fields.read", "companies.write"), contactsLinkedCF,
			"companies.write, custom-fields.read", "POST /companies?verify=true, GET /custom-fields?limit=1"},
		{"individuals write", without(allScopes, "individuals.write"),
			[]connectors.Access{{Object: ObjectIndividual, Write: true}},
			"individuals.write", "POST /individuals?verify=true"},
		{"opportunities write: a 400 on the empty body still proves the scope", allScopes,
			[]connectors.Access{{Object: ObjectOpportunity, Write: true}}, "", ""},
		{"opportunities write refused", without(allScopes, "opportunities.write"),
			[]connectors.Access{{Object: ObjectOpportunity, Write: true}},
			"opportunities.write", "POST /opportunities?verify=true"},
		{"webhook events read back: agenda objects", without(allScopes, "tasks.read", "calendars.read"),
			[]connectors.Access{{Object: ObjectTask}, {Object: ObjectCalendarEvent}, {Object: ObjectComment}},
			"calendars.read, tasks.read", "GET /calendar-events?limit=1, GET /tasks?limit=1"},
		{"webhook events read back: all granted", allScopes,
			[]connectors.Access{{Object: ObjectTask}, {Object: ObjectCalendarEvent}, {Object: ObjectComment}}, "", ""},
		{"read only, several objects", []string{"companies.read"},
			[]connectors.Access{{Object: connectors.ObjectCompany}, {Object: ObjectOpportunity}},
			"opportunities.read", "GET /opportunities?limit=1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := setup(t, sim.Options{Scopes: tt.granted, ScopesNotInToken: true}, false)
			got, err := f.c.Scopes(ctx)
			require.NoError(t, err)
			require.Nil(t, got, "the token names no scope, as Sellsy's")

			err = f.c.CheckAccess(ctx, tt.needs)
			for _, kind := range []string{"companies", "contacts", "individuals", "opportunities"} {
				assert.Zero(t, f.sim.Count(kind), "a probe persists nothing (%s)", kind)
			}
			if tt.missing == "" {
				require.NoError(t, err)
				return
			}
			var e *connectors.Error
			require.True(t, errors.As(err, &e), "%v", err)
			assert.Equal(t, connectors.KindConfig, e.Kind)
			assert.Equal(t, "the API client lacks the scope(s) "+tt.missing+" that this connection needs (Sellsy answered 403 to "+
				tt.probes+"): enable them in the scopes of this API client in Sellsy's API access settings, then validate again", e.Message)
		})
	}
}

// When the token names its scopes, they are compared without a request.
func TestCheckAccessUsesTokenScopes(t *testing.T) {
	f := setup(t, sim.Options{Scopes: []string{"companies.read"}}, false)
	_, err := f.c.Scopes(ctx) // the token first
	require.NoError(t, err)
	f.sim.Kit().ResetCounts()
	err = f.c.CheckAccess(ctx, []connectors.Access{{Object: connectors.ObjectCompany, Write: true}})
	assert.Equal(t, connectors.KindConfig, connectors.KindOf(err))
	assert.Contains(t, err.Error(), "lacks the scope(s) companies.write that this connection needs (it has companies.read)")
	assert.Zero(t, f.sim.Kit().Total(), "no probe sent")
}

// A probe that fails for another reason than a missing scope returns that failure.
func TestCheckAccessProbeFailures(t *testing.T) {
	tests := []struct {
		name   string
		faults simkit.Faults
		kind   connectors.Kind
	}{
		{"server error", simkit.Faults{ErrorRate: 1}, connectors.KindRetryable},
		{"quota", simkit.Faults{RateLimitRate: 1}, connectors.KindRateLimited},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := setup(t, sim.Options{Scopes: allScopes, ScopesNotInToken: true}, false)
			_, err := f.c.Scopes(ctx)
			require.NoError(t, err)
			f.setFaults(t, tt.faults)
			c, cancel := context.WithCancel(ctx)
			defer cancel()
			err = f.c.CheckAccess(c, []connectors.Access{{Object: connectors.ObjectCompany}})
			assert.Equal(t, tt.kind, connectors.KindOf(err))
			var e *connectors.Error
			require.True(t, errors.As(err, &e))
			assert.NotEqual(t, http.StatusForbidden, e.Status)
		})
	}
}
