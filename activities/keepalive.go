package activities

import (
	"context"
	"sync"
	"time"

	"go.temporal.io/sdk/activity"
)

// keepAliveEvery is how often a long page heartbeats, or a third of the heartbeat timeout when
// that is shorter. The SDK sends at most one heartbeat per 80% of the timeout whatever the
// rate, so this only bounds the silence.
const keepAliveEvery = 5 * time.Second

// keepAlive heartbeats the last committed details (the position after the last page done)
// every few seconds while a page is under way: a page that takes minutes on a slow API
// (MiniCRM allows a request a second) is not mistaken for a lost worker, and a retry still
// resumes from the last page done.
type keepAlive struct {
	mu      sync.Mutex
	details any
	done    chan struct{}
	wg      sync.WaitGroup
}

func startKeepAlive(ctx context.Context, details any) *keepAlive {
	k := &keepAlive{details: details, done: make(chan struct{})}
	if !activity.IsActivity(ctx) {
		return k
	}
	every := keepAliveEvery
	if hb := activity.GetInfo(ctx).HeartbeatTimeout; hb > 0 && hb/3 < every {
		every = hb / 3
	}
	k.wg.Add(1)
	go func() {
		defer k.wg.Done()
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-k.done:
				return
			case <-t.C:
				k.mu.Lock()
				d := k.details
				k.mu.Unlock()
				activity.RecordHeartbeat(ctx, d)
			}
		}
	}()
	return k
}

// commit records details as the last committed progress and heartbeats them now.
func (k *keepAlive) commit(ctx context.Context, details any) {
	k.mu.Lock()
	k.details = details
	k.mu.Unlock()
	activity.RecordHeartbeat(ctx, details)
}

// stop ends the heartbeats.
func (k *keepAlive) stop() {
	close(k.done)
	k.wg.Wait()
}
