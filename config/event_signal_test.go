package config

import (
	"testing"
)

// A signal route to one of crmsync's own workflows may only ask for sync-now: their other
// signals take inputs a Sellsy event does not carry (a resync read the event as "everything",
// a deleted signal as nothing) or are the user's to send (pause, resume, allow-deletes, which
// a delivery forged by whoever holds the URL would send). A user's own workflow takes any.
func TestValidateSignalRoutes(t *testing.T) {
	conn := func(workflowID, name string) string {
		return routeConn(`signal: {workflow_id: "` + workflowID + `", name: ` + name + `}`)
	}
	tests := []struct {
		name, yaml, wantErr string
	}{
		{name: "sync-now to the sync", yaml: conn("{connection}/incremental-sync", "sync-now")},
		{name: "sync-now to the pipelines", yaml: conn("demo/pipeline-sync", "sync-now")},
		{name: "any signal to a workflow of the user's", yaml: conn("orders-{connection}", "resync")},
		{name: "resync", yaml: conn("{connection}/incremental-sync", "resync"), wantErr: `conn.yaml: events[0].signal.name: "resync": a Sellsy event can ask crmsync's own workflow demo/incremental-sync for sync-now only`},
		{name: "deleted", yaml: conn("demo/incremental-sync", "deleted"), wantErr: `conn.yaml: events[0].signal.name: "deleted": a Sellsy event can ask`},
		{name: "allow-deletes", yaml: conn("{connection}/incremental-sync", "allow-deletes"), wantErr: `"allow-deletes": a Sellsy event can ask`},
		{name: "pause the import", yaml: conn("{connection}/initial-import", "pause"), wantErr: `"pause": a Sellsy event can ask crmsync's own workflow demo/initial-import for sync-now only`},
		{name: "an event to a record's Sellsy events", yaml: conn("{connection}/sellsy-events/company-5", "sellsy-event"), wantErr: `"sellsy-event": a Sellsy event can ask crmsync's own workflow demo/sellsy-events/company-5 for sync-now only`},
		{name: "stage-changed", yaml: conn("{connection}/pipeline-sync", "stage-changed"), wantErr: `opportunity events reach it on their own`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			parseWant(t, tt.yaml, tt.wantErr)
		})
	}
}

// routeConn is a Sellsy ⇄ Automation connection "demo" whose one events: route, on
// companies, does what (a start: or a signal: line).
func routeConn(what string) string {
	return `name: demo
a: {system: sellsy, credentials: {client_id: SELLSY_ID, client_secret: SELLSY_SECRET, webhook_token: SELLSY_WEBHOOK_TOKEN}}
b: {system: mautic, settings: {base_url: https://m.example}, credentials: {username: M_USER, password: M_PASS}}
objects:
  - name: contact
    match: {a: email, b: email}
    fields: [{a: email, b: email}]
events:
  - object: company
    ` + what + `
`
}
