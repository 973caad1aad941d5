package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/assert"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"google.golang.org/grpc"
)

// listing answers ListSearchAttributes with err.
type listing struct {
	operatorservice.OperatorServiceClient
	err error
}

func (l listing) ListSearchAttributes(context.Context, *operatorservice.ListSearchAttributesRequest, ...grpc.CallOption) (*operatorservice.ListSearchAttributesResponse, error) {
	return nil, l.err
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
	tests := []struct {
		name    string
		address string
		err     error
		wantErr string
	}{
		{"denied", "localhost:7233", serviceerror.NewPermissionDenied("not an admin", ""), ""},
		{"unavailable", "localhost:7233", serviceerror.NewUnavailable("down"), "temporal operator search-attribute create --namespace ns --name CrmConnection --type Keyword"},
		{"other", "localhost:7233", errors.New("boom"), "search attributes: boom"},
		{"no such namespace", "localhost:7233", serviceerror.NewNamespaceNotFound("ns"),
			`CRMSYNC_NAMESPACE="ns": namespace ns does not exist on the Temporal server at localhost:7233: create it with: temporal operator namespace create --namespace ns (or set CRMSYNC_NAMESPACE to an existing one)`},
		{"no such namespace elsewhere", "temporal.internal:7233", serviceerror.NewNamespaceNotFound("ns"),
			"create it with: temporal operator namespace create --namespace ns --address temporal.internal:7233 ("},
		{"not found", "localhost:7233", serviceerror.NewNotFound("Namespace ns is not found."), "namespace ns does not exist"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ensureSearchAttributes(context.Background(), listingClient{l: listing{err: tt.err}}, tt.address, "ns", slog.New(slog.NewTextHandler(io.Discard, nil)))
			if tt.wantErr == "" {
				assert.NoError(t, err)
				return
			}
			assert.ErrorContains(t, err, tt.wantErr)
			if _, missing := tt.err.(*serviceerror.NamespaceNotFound); missing {
				assert.NotContains(t, err.Error(), "search-attribute", "the namespace is what is missing")
			}
		})
	}
}
