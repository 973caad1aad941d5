// Package actiontest holds what the tests of the action activities share: running one by
// its registered name, reading the application error it failed with, and the last
// heartbeat it recorded.
package actiontest

import (
	"errors"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
)

// Run executes the activity registered as name and decodes its output into out.
func Run(env *testsuite.TestActivityEnvironment, name string, in, out any) error {
	v, err := env.ExecuteActivity(name, in)
	if err != nil {
		return err
	}
	return v.Get(out)
}

// AppErr requires err to be an application error and returns it, for its type and retry
// options.
func AppErr(t *testing.T, err error) *temporal.ApplicationError {
	t.Helper()
	require.Error(t, err)
	var ae *temporal.ApplicationError
	require.True(t, errors.As(err, &ae), "not an application error: %v", err)
	return ae
}

// LastBeat records the last heartbeat of env's activities that decodes as T and returns a
// function reading it: T's zero value before any (nil for a pointer type).
func LastBeat[T any](env *testsuite.TestActivityEnvironment) func() T {
	var mu sync.Mutex
	var last T
	env.SetOnActivityHeartbeatListener(func(_ *activity.Info, d converter.EncodedValues) {
		var v T
		if d.Get(&v) == nil {
			mu.Lock()
			last = v
			mu.Unlock()
		}
	})
	return func() T { mu.Lock(); defer mu.Unlock(); return last }
}
