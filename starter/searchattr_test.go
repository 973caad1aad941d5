package main

import (
	"bytes"
	"context"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/serviceerror"
	"google.golang.org/grpc"

	"github.com/crmsync/crmsync/workflows"
)

// operatorAnswering answers ListSearchAttributes with attrs, or with err.
type operatorAnswering struct {
	operatorservice.OperatorServiceClient
	attrs map[string]enums.IndexedValueType
	err   error
}

func (o operatorAnswering) ListSearchAttributes(context.Context, *operatorservice.ListSearchAttributesRequest, ...grpc.CallOption) (*operatorservice.ListSearchAttributesResponse, error) {
	return &operatorservice.ListSearchAttributesResponse{CustomAttributes: o.attrs}, o.err
}

// `crmsync start` registers the search attributes as the worker does: one registered by hand
// with another type is refused before any workflow starts (it would stall on it), and a role
// that may not list them (Temporal Cloud) starts the workflow with a note saying how to
// register them.
func TestStartChecksSearchAttributes(t *testing.T) {
	wrong := map[string]enums.IndexedValueType{}
	for name := range workflows.SearchAttributeTypes() {
		wrong[name] = enums.INDEXED_VALUE_TYPE_KEYWORD // CrmRecordsRead is an Int
	}
	tests := []struct {
		name      string
		operator  operatorAnswering
		wantErr   string
		wantNote  string
		wantStart bool
	}{
		{name: "wrong type", operator: operatorAnswering{attrs: wrong},
			wantErr: "start import: registering search attributes: namespace default: search attribute CrmQuarantined is Keyword, crmsync needs Int"},
		{name: "role may not list them", operator: operatorAnswering{err: serviceerror.NewPermissionDenied("request unauthorized", "")},
			wantNote: "crmsync: note: this role may not register crmsync's search attributes", wantStart: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeTemporal{workflows: map[string]fakeWorkflow{}, operator: tt.operator}
			useFake(t, f)
			var note bytes.Buffer
			stderr = &note
			t.Cleanup(func() { stderr = os.Stderr })
			err := run(context.Background(), []string{"start", "import", "cli"}, &bytes.Buffer{})
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
			} else {
				require.NoError(t, err)
			}
			assert.Contains(t, note.String(), tt.wantNote)
			if tt.wantNote != "" {
				assert.Contains(t, note.String(), "temporal operator search-attribute create")
			}
			assert.Equal(t, tt.wantStart, len(f.started) > 0, "started: %v", f.started)
		})
	}
}
