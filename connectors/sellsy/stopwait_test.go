package sellsy

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
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

// A delete Sellsy answered with a server error may have been carried out: when the worker's
// stop ends the wait before it is sent again, the error is the stop's, but does not say
// nothing was written (a retry that finds the record gone must take it as deleted).
func TestStopBeforeASecondTryIsNotUnsent(t *testing.T) {
	var deletes atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if strings.HasSuffix(r.URL.Path, "/access-tokens") {
			_, _ = w.Write([]byte(`{"token_type":"Bearer","expires_in":3600,"access_token":"t"}`))
			return
		}
		deletes.Add(1)
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = w.Write([]byte(`{"error":{"code":500,"message":"internal error"}}`))
	}))
	t.Cleanup(srv.Close)
	// Room for the first try: the second waits an hour.
	c, err := New(Config{APIURL: srv.URL + "/v2", TokenURL: srv.URL + "/oauth2/access-tokens", ClientID: "i", ClientSecret: "s",
		Limiter: rate.NewLimiter(rate.Every(time.Hour), 1)})
	require.NoError(t, err)
	stop := make(chan struct{})
	close(stop)
	start := time.Now()
	_, err = c.DeleteRecord(connectors.WithStop(t.Context(), stop), "contacts", 12)
	assert.Less(t, time.Since(start), time.Second)
	require.Error(t, err)
	assert.EqualValues(t, 1, deletes.Load(), "sent once, not again")
	assert.True(t, connectors.Stopping(err), "%v", err)
	assert.False(t, connectors.NothingWritten(err), "the first try may have deleted it: %v", err)
}
