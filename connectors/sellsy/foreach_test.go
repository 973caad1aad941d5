package sellsy

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/connectors"
)

// A panic in one of forEach's goroutines (decoding an answer of a shape the code does not
// expect) is that item's error, not retried, instead of ending the process; the items not
// started when it came fail with it.
func TestForEachPanicIsTheItemsError(t *testing.T) {
	errs := forEach(context.Background(), 3*concurrency, func(_ context.Context, i int) error {
		if i == 0 {
			var v any = 1.0
			_ = v.(string)
		}
		return nil
	})
	require.Error(t, errs[0])
	assert.True(t, connectors.IsPanic(errs[0]))
	assert.Equal(t, connectors.KindConfig, connectors.KindOf(errs[0]), "not retried: it would panic again")
	assert.Contains(t, errs[0].Error(), "sellsy call: internal error: panic: interface conversion: interface {} is float64, not string in sellsy.TestForEachPanicIsTheItemsError.func1 (foreach_test.go:")
	for i, err := range errs {
		if err == nil {
			continue
		}
		assert.True(t, connectors.IsPanic(err), "item %d", i)
	}
}
