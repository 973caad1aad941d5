package activities

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/testsuite"

	"github.com/crmsync/crmsync/store"
)

// lostLock is a store whose object locks are lost as soon as taken: their session ended, and
// another worker may hold them now.
type lostLock struct{ store.Store }

func (l lostLock) LockHeld(ctx context.Context, key string) (context.Context, func(), error) {
	held, cancel := context.WithCancelCause(ctx)
	cancel(fmt.Errorf("%w: its session ended", store.ErrLockLost))
	return held, func() {}, nil
}

// A page whose object lock is lost writes and saves nothing more: the pass fails, to be tried
// again under the lock, and no pair is saved.
func TestPageWhoseLockIsLostSavesNothing(t *testing.T) {
	h := newHarness(t, "both")
	h.acts.Store = lostLock{Store: h.st}
	var env testsuite.WorkflowTestSuite
	ae := env.NewTestActivityEnvironment()
	ae.RegisterActivity(h.acts)
	_, err := ae.ExecuteActivity(h.acts.SyncPass, PassInput{Connection: "t", Object: "company", Side: "a", Mode: ModeImport, PageSize: 50})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "the object's lock was lost before its pairs were saved")
	n, err := h.st.CountPairs(h.ctx, "t", "company")
	require.NoError(t, err)
	assert.Zero(t, n, "no pair saved without the lock")
}
