// Package actiontest holds what the tests of the action activities share: running one by
// its registered name, and reading the application error it failed with.
package actiontest

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"
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
