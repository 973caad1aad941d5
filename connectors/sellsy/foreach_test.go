package sellsy

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/connectors"
)

// A panic in one of forEach's goroutines (decoding an answer of a shape the code does not
// expect) is that item's error, not retried, instead of ending the process; the items not
// started when it came fail with it, and those running finish as they would.
func TestForEachPanicIsTheItemsError(t *testing.T) {
	n := 3 * concurrency
	var started [3 * concurrency]atomic.Bool
	panicking, release := make(chan struct{}), make(chan struct{})
	// The first places all fill before the panic: item 0 waits for them, so that a busy
	// machine that runs it before the loop has handed out the others cannot make them
	// find the panic instead of a place.
	var first sync.WaitGroup
	first.Add(concurrency)
	go func() {
		// The items running beside the panicking one hold their places until it is over,
		// so that every later item comes after it.
		<-panicking
		time.Sleep(200 * time.Millisecond)
		close(release)
	}()
	errs := forEach(context.Background(), n, func(_ context.Context, i int) error {
		started[i].Store(true)
		if i < concurrency {
			first.Done()
		}
		if i == 0 {
			first.Wait()
			defer close(panicking)
			var v any = 1.0
			_ = v.(string)
		}
		<-release
		return nil
	})
	require.Error(t, errs[0])
	assert.True(t, connectors.IsPanic(errs[0]))
	assert.Equal(t, connectors.KindConfig, connectors.KindOf(errs[0]), "not retried: it would panic again")
	assert.Contains(t, errs[0].Error(), "sellsy call: internal error: panic: interface conversion: interface {} is float64, not string in sellsy.TestForEachPanicIsTheItemsError.func2 (foreach_test.go:")
	notStarted := 0
	for i := 1; i < n; i++ {
		if started[i].Load() {
			assert.NoError(t, errs[i], "item %d ran", i)
			continue
		}
		notStarted++
		require.Error(t, errs[i], "item %d never ran", i)
		assert.True(t, connectors.IsPanic(errs[i]), "item %d", i)
	}
	assert.Equal(t, n-concurrency, notStarted, "every item after the first %d waits for a place, and finds the panic", concurrency)
}
