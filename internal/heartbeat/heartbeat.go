// Package heartbeat keeps a long activity alive: it heartbeats the last committed progress
// every few seconds while a slow call is under way, so that the call is not mistaken for a
// lost worker and a retry still resumes from the last progress committed.
package heartbeat

import (
	"context"
	"sync"
	"time"

	"go.temporal.io/sdk/activity"
)

// DefaultEvery is how often a keep-alive heartbeats, or a third of the activity's heartbeat
// timeout when that is shorter. The SDK sends at most one heartbeat per 80% of the timeout
// whatever the rate, so this only bounds the silence.
const DefaultEvery = 5 * time.Second

// Options tune a keep-alive; the zero value serves activities.
type Options struct {
	Every time.Duration                             // 0: DefaultEvery, or a third of the heartbeat timeout
	Beat  func(ctx context.Context, details ...any) // nil: activity.RecordHeartbeat; tests replace it
}

// KeepAlive heartbeats the last committed details until Stop.
type KeepAlive struct {
	mu      sync.Mutex
	details any
	beat    func(ctx context.Context, details ...any)
	done    chan struct{}
	wg      sync.WaitGroup
}

// Start heartbeats details in the background. Outside an activity (a plain unit test) it
// heartbeats nothing, unless Options.Beat says how.
func Start(ctx context.Context, details any, o Options) *KeepAlive {
	k := &KeepAlive{details: details, beat: o.Beat, done: make(chan struct{})}
	if k.beat == nil {
		if !activity.IsActivity(ctx) {
			return k
		}
		k.beat = activity.RecordHeartbeat
	}
	every := o.Every
	if every <= 0 {
		every = DefaultEvery
		if activity.IsActivity(ctx) {
			if hb := activity.GetInfo(ctx).HeartbeatTimeout; hb > 0 && hb/3 < every {
				every = hb / 3
			}
		}
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
				k.beat(ctx, d)
			}
		}
	}()
	return k
}

// Commit records details as the last committed progress and heartbeats them now.
func (k *KeepAlive) Commit(ctx context.Context, details any) {
	k.mu.Lock()
	k.details = details
	k.mu.Unlock()
	if k.beat != nil {
		k.beat(ctx, details)
	}
}

// Stop ends the heartbeats.
func (k *KeepAlive) Stop() {
	close(k.done)
	k.wg.Wait()
}
