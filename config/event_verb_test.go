package config

import (
	"strings"
	"testing"
)

// A route's event is compared exactly with the notification's: a misspelt one would route
// nothing, so one a letter or two from an event Sellsy sends is refused, naming it. An event
// far from every one known passes: Sellsy documents no closed list of its events.
func TestValidateEventVerbs(t *testing.T) {
	conn := func(event string) string {
		return strings.Replace(routeConn(`start: {workflow: OnCompany, task_queue: mine}`), "  - object: company\n", "  - object: company\n    event: "+event+"\n", 1)
	}
	tests := []struct {
		event, wantErr string
	}{
		{event: "created"},
		{event: "updated"},
		{event: "deleted"},
		{event: "addressadded"},
		{event: "editPrefs"},
		{event: "stepchanged"}, // not known, not near a known one: Sellsy may send it
		{event: "creatd", wantErr: `conn.yaml: events[0].event: "creatd" is not an event Sellsy sends (did you mean created?)`},
		{event: "Updated", wantErr: `"Updated" is not an event Sellsy sends (did you mean updated?)`},
		{event: "delted", wantErr: `(did you mean deleted?)`},
	}
	for _, tt := range tests {
		t.Run(tt.event, func(t *testing.T) {
			parseWant(t, conn(tt.event), tt.wantErr)
		})
	}
}
