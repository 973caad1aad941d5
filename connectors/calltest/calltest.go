// Package calltest holds the checks every connector's tests of connectors.Caller share.
package calltest

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/connectors"
)

// Refused checks the outcome of a call the connector must refuse before sending anything: an
// invalid-request error naming want, and neither a status nor a body.
func Refused(t *testing.T, status int, body []byte, err error, want string) {
	t.Helper()
	require.Error(t, err)
	assert.Equal(t, connectors.KindInvalid, connectors.KindOf(err))
	assert.Contains(t, err.Error(), want)
	assert.Zero(t, status)
	assert.Nil(t, body)
}

// Case is a call a connector must refuse before sending anything, and what its error says.
type Case struct {
	Name, Method, Path, Body, Want string
}

// RefusedAll makes each call of cases and checks it with Refused.
func RefusedAll(t *testing.T, c connectors.Caller, cases []Case) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.Name, func(t *testing.T) {
			status, body, err := c.Call(context.Background(), tc.Method, tc.Path, nil, []byte(tc.Body))
			Refused(t, status, body, err, tc.Want)
		})
	}
}
