package sellsy

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/time/rate"

	"github.com/crmsync/crmsync/connectors"
)

// A quota pause Sellsy announced (a spent minute window) is slept out before the next
// request, unless the worker begins to stop: then it ends at once, nothing sent, as a wait
// for the client's own limiter does.
func TestQuotaPauseEndsWhenTheWorkerStops(t *testing.T) {
	tests := []struct {
		name  string
		pause time.Duration
		stop  bool
	}{
		{name: "a spent minute, stopped", pause: 50 * time.Second, stop: true},
		{name: "a short pause, not stopped", pause: 20 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := New(Config{ClientID: "i", ClientSecret: "s", Limiter: rate.NewLimiter(rate.Inf, 1)})
			require.NoError(t, err)
			c.pauseMu.Lock()
			c.pauseUntil, c.pauseWindow = time.Now().Add(tt.pause), "minute"
			c.pauseMu.Unlock()
			stop := make(chan struct{})
			if tt.stop {
				close(stop)
			}
			start := time.Now()
			err = c.waitFor(connectors.WithStop(t.Context(), stop), "GET /contacts")
			assert.Less(t, time.Since(start), time.Second)
			if !tt.stop {
				assert.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.True(t, connectors.Stopping(err), "%v", err)
			assert.True(t, connectors.NothingWritten(err), "%v", err)
		})
	}
}
