package activities

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/crmsync/crmsync/connectors"
)

// A record in quarantine that its side's filter keeps out since (the second of two Sellsy
// companies with one SIRET, switched to SA = no to settle the duplicate) is no longer the
// sync's business: its entry goes at the next pass that reads it, instead of staying in the
// quarantine list (and in crmsync_quarantined) for good. The one still at SA = yes stays.
func TestAQuarantinedRecordFilteredOutSinceLeavesTheQuarantine(t *testing.T) {
	tests := []struct {
		name      string
		switchOff bool
		wantKept  bool
	}{
		{name: "switched to SA = no: cleared", switchOff: true},
		{name: "still at SA = yes: kept", wantKept: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x := startExampleAltior(t)
			x.create(x.sellsy, connectors.ObjectCompany, connectors.Record{Fields: map[string]any{"name": "Doublon 1", "type": "client", "siret": "55512345600026", "cf.SA": true}})
			second := x.create(x.sellsy, connectors.ObjectCompany, connectors.Record{Fields: map[string]any{"name": "Doublon 2", "type": "client", "siret": "55512345600026", "cf.SA": true}})
			x.round(ModeImport, nil)
			assert.Contains(t, x.reasons()[second], "duplicate siret")

			time.Sleep(1100 * time.Millisecond)
			x.update(x.sellsy, connectors.ObjectCompany, second, map[string]any{"cf.SA": !tt.switchOff, "note": "edited"})
			x.round(ModeIncremental, nil)
			_, kept := x.reasons()[second]
			assert.Equal(t, tt.wantKept, kept, "%v", x.reasons())
		})
	}
}
