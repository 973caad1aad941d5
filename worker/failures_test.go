package main

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
	"google.golang.org/protobuf/proto"

	"github.com/crmsync/crmsync/internal/testenv"
)

func TestFailureConverterMakesEveryMessageEncodable(t *testing.T) {
	latin2 := "Kov\xe1cs \xe9s T\xe1rsa"
	tests := []struct {
		name string
		err  error
	}{
		{"plain error", errors.New(latin2)},
		{"application error", temporal.NewNonRetryableApplicationError(latin2, "InvalidRecord", nil)},
		{"in a cause", temporal.NewApplicationErrorWithCause("outer", "ConfigurationError", fmt.Errorf("inner: %s", latin2))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := proto.Marshal(temporal.GetDefaultFailureConverter().ErrorToFailure(tt.err))
			require.Error(t, err, "Temporal's own converter leaves the bytes")
			f := newFailureConverter().ErrorToFailure(tt.err)
			_, err = proto.Marshal(f)
			require.NoError(t, err)
			var all string
			for x := f; x != nil; x = x.GetCause() {
				all += x.GetMessage() + "\n"
			}
			assert.Contains(t, all, "Kov\uFFFDcs")
		})
	}
}

// failLatin2 calls an activity that fails with an answer in Latin-2, tried once.
func failLatin2(ctx workflow.Context) error {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: time.Minute, RetryPolicy: &temporal.RetryPolicy{MaximumAttempts: 1},
	})
	return workflow.ExecuteActivity(ctx, "latin2").Get(ctx, nil)
}

// With the worker's failure converter, an activity whose error quotes bytes that are not
// UTF-8 fails at once with its reason; with Temporal's own, its failure cannot be reported
// and it runs into its StartToClose timeout.
func TestActivityFailureInLatin2IsReported(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a dev server")
	}
	addr := testenv.DevServer(t).FrontendHostPort()
	c, err := client.Dial(client.Options{HostPort: addr, Logger: quietSDK, FailureConverter: newFailureConverter()})
	require.NoError(t, err)
	t.Cleanup(c.Close)
	w := worker.New(c, "latin2", worker.Options{})
	w.RegisterWorkflow(failLatin2)
	w.RegisterActivityWithOptions(func(context.Context) error {
		return errors.New("unas: getOrder: Kov\xe1cs \xe9s T\xe1rsa")
	}, activity.RegisterOptions{Name: "latin2"})
	require.NoError(t, w.Start())
	t.Cleanup(w.Stop)
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{TaskQueue: "latin2"}, failLatin2)
	require.NoError(t, err)
	err = run.Get(ctx, nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "unas: getOrder: Kov\uFFFDcs")
}
