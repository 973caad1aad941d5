package webhooks

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/crmsync/crmsync/config"
	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/simkit"
)

// A deletion is acted on without a record to read, but only for an id Sellsy could have had
// (a positive whole number): one that is none ("abc", "0", "-3", a number past int, an id
// thousands of characters long) names no record that was deleted, and the receiver started
// the deletion's workflow with it (the id raw in the workflow id), or signalled it as gone.
// A number Sellsy has no record of still goes through: it answers 404 for an id never used as
// for a deleted one.
func TestSellsyDeletionOfWhatIsNoIDStartsNothing(t *testing.T) {
	gone := config.EventRoute{Object: "company", Event: "deleted", Start: &config.StartRoute{Workflow: "OnCompanyGone"}}
	nudge := config.EventRoute{Object: "contact", Event: "deleted", Signal: watchSignal}
	tests := []struct {
		name, typ, id string
		started       []string // the ids started with
		signalled     []string // the ids signalled
	}{
		{name: "a number with no record: gone", typ: "client", id: "404", started: []string{"404"}},
		{name: "written with spaces and zeros", typ: "client", id: " 0404 ", started: []string{"404"}},
		{name: "a contact's", typ: "contact", id: "404", signalled: []string{"404"}},
		{name: "letters", typ: "client", id: "abc"},
		{name: "zero", typ: "client", id: "0"},
		{name: "negative", typ: "client", id: "-3"},
		{name: "past int", typ: "client", id: "99999999999999999999999"},
		{name: "a path", typ: "client", id: "12/../13"},
		{name: "thousands of characters", typ: "client", id: strings.Repeat("9", 5000)},
		{name: "a contact's letters", typ: "contact", id: "abc"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeTemporal{}
			clock := simkit.NewClock(time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC))
			hook := sellsyRoutes(t, f, map[string]connectors.Record{"5": {ID: "5", Fields: map[string]any{"name": "ACME"}}}, clock, gone, nudge)
			body := "notif=" + url.QueryEscape(`{"event":"deleted","relatedtype":"`+tt.typ+`","relatedid":"`+tt.id+`"}`)
			status, answer := post(t, hook, "application/x-www-form-urlencoded", body, nil)
			assert.Equal(t, 200, status, answer)
			var started, signalled []string
			for _, e := range f.events {
				started = append(started, e.ID)
			}
			for _, s := range f.nudged {
				signalled = append(signalled, s.ID)
			}
			assert.Equal(t, tt.started, started)
			assert.Equal(t, tt.signalled, signalled)
		})
	}
}
