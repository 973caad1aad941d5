package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/assert"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"google.golang.org/grpc"
)

// listing answers ListSearchAttributes with err.
type listing struct {
	operatorservice.OperatorServiceClient
	err  error
	held map[string]enums.IndexedValueType // listed when err is nil
}

func (l listing) ListSearchAttributes(context.Context, *operatorservice.ListSearchAttributesRequest, ...grpc.CallOption) (*operatorservice.ListSearchAttributesResponse, error) {
	if l.err != nil {
		return nil, l.err
	}
	return &operatorservice.ListSearchAttributesResponse{CustomAttributes: l.held}, nil
}

type listingClient struct {
	client.Client
	l listing
}

func (c listingClient) OperatorService() operatorservice.OperatorServiceClient { return c.l }

// Without crmsync's search attributes every workflow stalls on its first upsert: the worker
// does not start, and says how to register them; a role that may not list them is let through
// (they may exist), with the commands in the log. A namespace that does not exist is said so,
// with the command that creates it, not taken for missing search attributes.
func TestEnsureSearchAttributes(t *testing.T) {
	wrongType := map[string]enums.IndexedValueType{"CrmConnection": enums.INDEXED_VALUE_TYPE_KEYWORD, "CrmPhase": enums.INDEXED_VALUE_TYPE_KEYWORD,
		"CrmRecordsRead": enums.INDEXED_VALUE_TYPE_KEYWORD, "CrmQuarantined": enums.INDEXED_VALUE_TYPE_INT}
	tests := []struct {
		name    string
		address string
		err     error
		wantErr string
		held    map[string]enums.IndexedValueType
	}{
		{"denied", "localhost:7233", serviceerror.NewPermissionDenied("not an admin", ""), "", nil},
		{"unavailable", "localhost:7233", serviceerror.NewUnavailable("down"), "temporal operator search-attribute create --namespace ns --name CrmConnection --type Keyword", nil},
		{"other", "localhost:7233", errors.New("boom"), "search attributes: boom", nil},
		{"no such namespace", "localhost:7233", serviceerror.NewNamespaceNotFound("ns"),
			`CRMSYNC_NAMESPACE="ns": namespace ns does not exist on the Temporal server at localhost:7233: create it with: temporal operator namespace create --namespace ns (or set CRMSYNC_NAMESPACE to an existing one)`, nil},
		{"no such namespace elsewhere", "temporal.internal:7233", serviceerror.NewNamespaceNotFound("ns"),
			"create it with: temporal operator namespace create --namespace ns --address temporal.internal:7233 (", nil},
		{"not found", "localhost:7233", serviceerror.NewNotFound("Namespace ns is not found."), "namespace ns does not exist", nil},
		// Registering it is no cure: it is there, with another type.
		{"a wrong type", "localhost:7233", nil, "search attributes: namespace ns: search attribute CrmRecordsRead is Keyword, crmsync needs Int", wrongType},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ensureSearchAttributes(context.Background(), listingClient{l: listing{err: tt.err, held: tt.held}}, tt.address, "ns", slog.New(slog.NewTextHandler(io.Discard, nil)))
			if tt.wantErr == "" {
				assert.NoError(t, err)
				return
			}
			assert.ErrorContains(t, err, tt.wantErr)
			if tt.held != nil {
				assert.NotContains(t, err.Error(), "search-attribute create", "registering is no cure")
			}
			if _, missing := tt.err.(*serviceerror.NamespaceNotFound); missing {
				assert.NotContains(t, err.Error(), "search-attribute", "the namespace is what is missing")
			}
		})
	}
}
