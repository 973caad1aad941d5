package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/api/serviceerror"
)

// A namespace the server does not have (CRMSYNC_NAMESPACE misspelt, or not the worker's) is
// named with the variable that sets it, as the worker names it, whatever the command.
func TestAMissingNamespaceNamesTheVariable(t *testing.T) {
	for _, args := range [][]string{{"status", "c"}, {"pause", "c"}, {"watch", "c"}, {"resync", "c"}} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			useFake(t, &fakeTemporal{err: serviceerror.NewNamespaceNotFound("nope")})
			t.Setenv("CRMSYNC_NAMESPACE", "nope")
			t.Setenv("CRMSYNC_TEMPORAL_ADDRESS", "temporal.example:7233")
			err := run(context.Background(), args, &bytes.Buffer{})
			require.Error(t, err)
			assert.Contains(t, err.Error(), "Namespace nope is not found", "the server's words")
			assert.Contains(t, err.Error(), `CRMSYNC_NAMESPACE="nope": the Temporal server at temporal.example:7233 (CRMSYNC_TEMPORAL_ADDRESS) has no such namespace: set it to the worker's`)
		})
	}
}
