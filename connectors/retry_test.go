package connectors

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestRetryAgain(t *testing.T) {
	server := &Error{Kind: KindRetryable, Status: 502}
	shortQuota := &Error{Kind: KindRateLimited, RetryAfter: 10 * time.Millisecond}
	longQuota := &Error{Kind: KindRateLimited, RetryAfter: time.Minute}
	invalid := &Error{Kind: KindInvalid, Status: 400}
	tests := []struct {
		name string
		safe bool
		errs []error // the failures of the call, one try after the other
		want []bool  // whether each is tried again
	}{
		{"a safe read after server errors: twice", true, []error{server, server, server}, []bool{true, true, false}},
		{"a create after a server error: never", false, []error{server}, []bool{false}},
		{"any call after a short quota wait: twice", false, []error{shortQuota, shortQuota, shortQuota}, []bool{true, true, false}},
		{"a long quota wait goes back to the workflow", true, []error{longQuota}, []bool{false}},
		{"an invalid record is not tried again", true, []error{invalid}, []bool{false}},
		{"quota and server errors are counted apart", true, []error{shortQuota, server, shortQuota, server, server}, []bool{true, true, true, true, false}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r Retry
			for i, err := range tt.errs {
				assert.Equal(t, tt.want[i], r.Again(context.Background(), tt.safe, err), "try %d", i+1)
			}
		})
	}
	t.Run("a cancelled call stops waiting", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		var r Retry
		assert.False(t, r.Again(ctx, true, server))
	})
}

func TestSafeToRepeat(t *testing.T) {
	for method, want := range map[string]bool{"GET": true, "PUT": true, "PATCH": true, "DELETE": true, "POST": false} {
		assert.Equal(t, want, SafeToRepeat(method), method)
	}
}
