package activities

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/simkit"
)

// weavy's contacts are two tables: a field mapped both ways that only one of them has (the
// entrant's company name, the contact's mobile) is absent from the other's records. Read as
// emptied, the first change of either record cleared Automation's value; it is kept.
func TestWeavyFieldOfOneTableIsKeptInAutomation(t *testing.T) {
	tests := []struct {
		name     string
		person   int    // a weavy contact (30–49) or entrant (55–64), in Automation (40–79)
		mapping  string // the mapping added, with Automation's field
		bField   string
		weavyID  string // the record edited in weavy ("" edits Automation's)
		editSide string // the side whose pass reads the edit
	}{
		{"contact: entrants' company name, weavy edits the contact", 45, "      - {a: companyName, b: cf_textarea}\n", "cf_textarea", "c:CC0000045", "a"},
		{"contact: entrants' company name, Automation edits it", 45, "      - {a: companyName, b: cf_textarea}\n", "cf_textarea", "", "b"},
		{"entrant: contacts' mobile, weavy edits the entrant", 60, "      - {a: mobilePhoneNumber, b: mobile}\n", "mobile", "entrant", "a"},
		{"entrant: contacts' mobile, Automation edits it", 60, "      - {a: mobilePhoneNumber, b: mobile}\n", "mobile", "", "b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := startExample(t, "weavy-mautic")
			r.useWeavyExample(func(yaml string) string {
				const after = "      - {a: phoneNumber, b: phone}\n"
				require.Contains(t, yaml, after)
				return strings.Replace(yaml, after, after+tt.mapping, 1)
			})
			ctx := context.Background()
			weavy, automation, err := r.acts.Conns.Connectors(r.name)
			require.NoError(t, err)
			email := simkit.PersonAt(tt.person).Email
			automationRecord := func() connectors.Record {
				found, err := automation.FindByKey(ctx, connectors.ObjectContact, "email", []string{email})
				require.NoError(t, err)
				require.Len(t, found, 1)
				return found[0]
			}
			const kept = "kept 06 12"
			_, err = automation.Update(ctx, connectors.ObjectContact, []connectors.Record{{ID: automationRecord().ID, Fields: map[string]any{tt.bField: kept}}})
			require.NoError(t, err)
			r.round(ModeImport, nil)
			require.Equal(t, kept, automationRecord().Fields[tt.bField], "kept by the import")

			if tt.editSide == "a" {
				found, err := weavy.FindByKey(ctx, connectors.ObjectContact, "email", []string{email})
				require.NoError(t, err)
				require.Len(t, found, 1)
				if tt.weavyID != "entrant" {
					require.Equal(t, tt.weavyID, found[0].ID)
				}
				res, err := weavy.Update(ctx, connectors.ObjectContact, []connectors.Record{{ID: found[0].ID, Fields: map[string]any{"firstName": "Renamed"}}})
				require.NoError(t, err)
				require.NoError(t, res[0].Err)
			} else {
				_, err := automation.Update(ctx, connectors.ObjectContact, []connectors.Record{{ID: automationRecord().ID, Fields: map[string]any{"firstname": "Renamed"}}})
				require.NoError(t, err)
			}
			time.Sleep(1100 * time.Millisecond) // both systems time their records to the second
			r.pass("contact", tt.editSide, ModeIncremental)
			got := automationRecord()
			assert.Equal(t, "Renamed", got.Fields["firstname"], "the edit travels")
			assert.Equal(t, kept, got.Fields[tt.bField], "a field the weavy record cannot hold is left alone")
			for _, side := range []string{"a", "b"} {
				c := r.pass("contact", side, ModeIncremental)
				assert.Zero(t, c.UpdatedA+c.UpdatedB, "side %s: nothing more to write: %+v", side, c)
			}
		})
	}
}
