package webhooks

import (
	"fmt"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/config"
	"github.com/crmsync/crmsync/connectors/sellsy"
	sellsysim "github.com/crmsync/crmsync/connectors/sellsy/sim"
	"github.com/crmsync/crmsync/connectors/simkit"
)

// simulatedSellsy returns a simulated Sellsy and a client of it.
func simulatedSellsy(t *testing.T) (*sellsysim.Server, *sellsy.Client) {
	sl := sellsysim.New(sellsysim.Options{ClientID: "id", ClientSecret: "secret", RequestsPerSecond: -1})
	api := httptest.NewServer(sl)
	t.Cleanup(api.Close)
	c, err := sellsy.New(sellsy.Config{APIURL: api.URL + "/v2", TokenURL: api.URL + "/oauth2/access-tokens", ClientID: "id", ClientSecret: "secret", RequestsPerSecond: 1000})
	require.NoError(t, err)
	return sl, c
}

// A delivery names its record as Sellsy's API reads it back, not as the notification wrote
// the id: Sellsy reads "077" or "+77" as record 77, and a forged delivery so written started
// a workflow with the id "077" — another id than the real event's, past a workflow's own
// once-per-record guard (the example's follow-up is named after the id) — and signalled
// again a record state already signalled.
func TestSellsyEventNamesTheRecordAsReadBack(t *testing.T) {
	sl, c := simulatedSellsy(t)
	sl.SeedPeople(0, 1)
	co := fmt.Sprint(sl.Dump("companies")[0]["id"])

	tests := []struct {
		name, relatedID string
	}{
		{"as Sellsy writes it", co},
		{"with a leading zero", "0" + co},
		{"with a sign", "+" + co},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeTemporal{}
			u := sellsyReceiver(t, f, c, simkit.NewClock(time.Now()),
				config.EventRoute{Object: "company", Event: "updated", Start: &config.StartRoute{Workflow: "OnCompany"}},
				config.EventRoute{Object: "company", Event: "updated", Signal: watchSignal})
			status, _ := post(t, u, "application/x-www-form-urlencoded", bareNotif("updated", "client", tt.relatedID), nil)
			assert.Equal(t, 200, status)
			require.Len(t, f.events, 1)
			assert.Equal(t, co, f.events[0].ID)
			assert.Regexp(t, `^shop/sellsy/OnCompany/company-updated-`+co+`-h`, f.ids[0])
			require.Len(t, f.nudged, 1)
			assert.Equal(t, co, f.nudged[0].ID)
		})
	}
}

// A deletion names its record as the API reads the id too, though nothing is read back: the
// id of a record that is gone, written "0424242" or "+424242", is record 424242, whose real
// deletion event must not be told apart from it (the workflow's own guard is named after the
// id).
func TestSellsyDeletionNamesTheRecordAsRead(t *testing.T) {
	_, c := simulatedSellsy(t)

	tests := []struct {
		name, relatedID string
	}{
		{"as Sellsy writes it", "424242"},
		{"with a leading zero", "0424242"},
		{"with a sign", "+424242"},
		{"with spaces", " 424242 "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeTemporal{}
			u := sellsyReceiver(t, f, c, simkit.NewClock(time.Now()),
				config.EventRoute{Object: "company", Event: "deleted", Start: &config.StartRoute{Workflow: "OnCompanyGone"}})
			status, _ := post(t, u, "application/x-www-form-urlencoded", bareNotif("deleted", "client", tt.relatedID), nil)
			assert.Equal(t, 200, status)
			require.Len(t, f.events, 1)
			assert.Equal(t, "424242", f.events[0].ID)
			assert.Regexp(t, `^shop/sellsy/OnCompanyGone/company-deleted-424242-h`, f.ids[0])
		})
	}
}
