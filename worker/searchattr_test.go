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
// (they may exist), with the commands in the log.
func TestEnsureSearchAttributes(t *testing.T) {
	tests := []struct {
		name    string
		err     error
		wantErr string
	}{
		{"denied", serviceerror.NewPermissionDenied("not an admin", ""), ""},
		{"unavailable", serviceerror.NewUnavailable("down"), "temporal operator search-attribute create --namespace ns --name CrmConnection --type Keyword"},
		{"other", errors.New("boom"), "search attributes: boom"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ensureSearchAttributes(context.Background(), listingClient{l: listing{err: tt.err}}, "ns", slog.New(slog.NewTextHandler(io.Discard, nil)))
			if tt.wantErr == "" {
				assert.NoError(t, err)
				return
			}
			assert.ErrorContains(t, err, tt.wantErr)
		})
	}
}
