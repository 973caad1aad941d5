package config

import (
	"testing"
)

// A start route may not start one of crmsync's own workflows on the worker's task queue: each
// event would start another under its own id (conn/sellsy/IncrementalSync/company-updated-…),
// an IncrementalSync or a PipelineSync running for ever beside the connection's own, an import
// reading everything again. A sync on an event is the sync-now signal route. On a task queue
// of the user's, the name is their workflow's.
func TestValidateStartRoutes(t *testing.T) {
	conn := func(start string) string { return routeConn("start: " + start) }
	tests := []struct {
		name, start, wantErr string
	}{
		{name: "a workflow of the user's", start: "{workflow: OnCompany}"},
		{name: "a workflow of the user's on their queue", start: "{workflow: OnCompany, task_queue: sales}"},
		{name: "a name of crmsync's on the user's queue", start: "{workflow: IncrementalSync, task_queue: sales}"},
		{name: "the sync", start: "{workflow: IncrementalSync}",
			wantErr: `conn.yaml: events[0].start.workflow: "IncrementalSync" is one of crmsync's own workflows: each event would start another beside the connection's own`},
		{name: "the import", start: "{workflow: InitialImport}", wantErr: `events[0].start.workflow: "InitialImport" is one of crmsync's own workflows`},
		{name: "the pipelines", start: "{workflow: PipelineSync}", wantErr: `"PipelineSync" is one of crmsync's own workflows`},
		{name: "a push", start: "{workflow: PushRecord}", wantErr: `"PushRecord" is one of crmsync's own workflows`},
		{name: "a record's Sellsy events", start: "{workflow: SellsyEvents}", wantErr: `"SellsyEvents" is one of crmsync's own workflows`},
		{name: "a quarantine retry", start: "{workflow: RetryQuarantine}", wantErr: `"RetryQuarantine" is one of crmsync's own workflows`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			parseWant(t, conn(tt.start), tt.wantErr)
		})
	}
}
