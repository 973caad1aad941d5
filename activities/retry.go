package activities

import (
	"context"
	"fmt"
	"slices"
	"time"

	"go.temporal.io/sdk/activity"

	"github.com/crmsync/crmsync/config"
	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/engine"
	"github.com/crmsync/crmsync/internal/heartbeat"
	"github.com/crmsync/crmsync/store"
)

// RetryInput names the connection whose quarantined records RetryQuarantined runs again.
type RetryInput struct {
	Connection string `json:"connection"`
	// Limit bounds the entries taken (0: all of them).
	Limit int `json:"limit,omitempty"`
}

// RetryResult says what became of the quarantined records.
type RetryResult struct {
	Retried     int    `json:"retried"`     // read again and run through the sync
	Resolved    int    `json:"resolved"`    // synced this time: out of quarantine
	Quarantined int    `json:"quarantined"` // refused again, with the reason of this time
	Gone        int    `json:"gone"`        // no longer on their system: out of quarantine
	Counts      Counts `json:"counts"`
}

// retryChunk is how many records of one object and side are read back in one call.
const retryChunk = 100

// RetryQuarantined runs the records in a connection's quarantine through the sync again,
// after the cause was fixed — a value map or a mapping in the connection file, a field on
// either system — which a cycle would not do by itself, since the records did not change.
// Each is read again from its system by id and synced as PushOne syncs one record: matched
// (or created) on the other side and merged field by field. A record that passes leaves the
// quarantine; one refused again stays with this time's reason; one no longer on its system
// leaves it. Objects go in the connection's order, companies before their contacts.
func (a *Activities) RetryQuarantined(ctx context.Context, in RetryInput) (_ RetryResult, err error) {
	// A panic (a connector decoding a record it cannot read) fails the retry with the error
	// naming it and the entries it was at, not retried (they would panic the same way),
	// instead of the SDK's PanicError, retried without end.
	at := "reading its entries"
	defer recoverAs("RetryQuarantined", func() string { return fmt.Sprintf("retry of the quarantine of %s, %s", in.Connection, at) }, &err)
	c, err := a.Conns.Config(in.Connection)
	if err != nil {
		return RetryResult{}, toTemporal(err)
	}
	// The entries quarantined before the retry began, a page at a time in key order: one
	// refused again is quarantined anew, after that time, and is not taken twice; each page
	// is committed to the heartbeat, so a retried attempt goes on after it.
	prog := retryProgress{Started: a.now().UTC()}
	if activity.HasHeartbeatDetails(ctx) {
		var hb retryProgress
		if err := activity.GetHeartbeatDetails(ctx, &hb); err == nil && !hb.Started.IsZero() {
			prog = hb
		}
	}
	ka := heartbeat.Start(ctx, prog, heartbeat.Options{})
	defer ka.Stop()
	page, err := a.retryPageSize(c)
	if err != nil {
		return RetryResult{}, toTemporal(err)
	}
	// A pause holds every write: asked before each page (the workflow's pause cannot stop an
	// activity), the retry then waits for the resume and goes on after the pages done.
	pauses := connectionPauseWatch(a.Paused, in.Connection)
	for in.Limit <= 0 || prog.Taken < in.Limit {
		if pauses.pausedNow(ctx) {
			ka.Commit(ctx, prog)
			return prog.Result, pausedError(fmt.Sprintf("connection %s is paused: the retry of its quarantine waits for the resume (%d entries done)", in.Connection, prog.Taken))
		}
		size := page
		if in.Limit > 0 {
			size = min(size, in.Limit-prog.Taken)
		}
		keys, err := a.Store.QuarantinedBefore(ctx, in.Connection, prog.Started, prog.After, size)
		if err != nil || len(keys) == 0 {
			return prog.Result, err
		}
		type group struct {
			object string
			side   store.Side
		}
		ids := map[group][]string{} // an entry is unique per object, side and record
		for _, k := range keys {
			if store.ShortenedID(k.RecordID) {
				// Kept under its id shortened (the store cannot keep the whole one): it
				// cannot be read back by that id, and is left for the user to see rather
				// than taken for gone.
				continue
			}
			g := group{k.Object, k.Side}
			ids[g] = append(ids[g], k.RecordID)
		}
		// In the connection's order; entries of objects it no longer has are left for the
		// user to see.
		res := prog.Result
		var taken []store.QuarantineKey
		for _, object := range c.ObjectNames() {
			for _, side := range []store.Side{store.SideA, store.SideB} {
				for _, id := range ids[group{object, side}] {
					taken = append(taken, store.QuarantineKey{Object: object, Side: side, RecordID: id})
				}
				for chunk := range slices.Chunk(ids[group{object, side}], retryChunk) {
					at = fmt.Sprintf("%s side %s, the entries from record %s (%d read back together)", object, side, chunk[0], len(chunk))
					if err := a.retryChunk(ctx, in.Connection, object, side, chunk, &res); err != nil {
						return prog.Result, toTemporal(err)
					}
				}
			}
		}
		// What is left of the page's entries is what was refused again (or held back): the
		// rest synced, or its record is gone. Counted from the store rather than from the
		// passes' counts, which see a record refused by the sync and by its stage twice.
		left, err := a.Store.StillQuarantined(ctx, in.Connection, taken)
		if err != nil {
			return prog.Result, toTemporal(err)
		}
		res.Quarantined += len(left)
		res.Resolved += len(taken) - len(left) - (res.Gone - prog.Result.Gone)
		prog.Result, prog.After, prog.Taken = res, keys[len(keys)-1], prog.Taken+len(keys)
		ka.Commit(ctx, prog)
	}
	return prog.Result, nil
}

// retryPage is how many quarantine entries RetryQuarantined takes at a time.
var retryPage = 1000

// retryPageSize is retryPage, or less where a system of the connection reads back by id from
// a scarce budget (connectors.GetLimit): each page is committed, so a retry stopped by that
// budget goes on after the pages done instead of spending it on the same page every time.
func (a *Activities) retryPageSize(c *config.Connection) (int, error) {
	ca, cb, err := a.Conns.Connectors(c.Name)
	if err != nil {
		return 0, err
	}
	size := retryPage
	for _, o := range c.Objects {
		size = connectors.GetLimit(ca, o.AObject, size)
		size = connectors.GetLimit(cb, o.BObject, size)
	}
	return size, nil
}

// retryProgress is what RetryQuarantined heartbeats after each page of entries.
type retryProgress struct {
	Started time.Time           `json:"started"`
	After   store.QuarantineKey `json:"after"`
	Taken   int                 `json:"taken"`
	Result  RetryResult         `json:"result"`
}

// retryChunk runs some quarantined records of one object and side again.
func (a *Activities) retryChunk(ctx context.Context, connection, object string, side store.Side, ids []string, res *RetryResult) error {
	p, err := a.newPass(ctx, PassInput{Connection: connection, Object: object, Side: string(side), Mode: ModeImport})
	if err != nil {
		return err
	}
	p.release = true // someone has looked at the records held after an interrupted create
	readAt := a.now()
	recs, bad, err := getReadable(ctx, p.x, p.objX, ids)
	if err != nil {
		return err
	}
	unreadable := map[string]bool{}
	for _, u := range bad {
		unreadable[u.ID] = true
	}
	var missing []string
	for _, id := range missingIDs(ids, recs) {
		if !unreadable[id] { // there, but still not in a shape to sync: it stays in quarantine
			missing = append(missing, id)
		}
	}
	// Left out by the lookup, yet not gone for a system that says so (a UNAS company the
	// worker has not seen listed since it started): it stays in quarantine.
	gone, err := p.confirmedGone(ctx, missing)
	if err != nil {
		return err
	}
	for _, id := range gone {
		if err := a.Store.ClearQuarantine(ctx, connection, object, side, id); err != nil {
			return err
		}
		res.Gone++
	}
	c, err := p.processPage(ctx, recs, readAt)
	if err != nil {
		return err
	}
	if err := p.quarantineUnreadable(ctx, bad, &c); err != nil {
		return err
	}
	// A record of a pipeline may have been quarantined for its stage (an event refused):
	// its fields did not change, so only propagating its stage again settles it.
	staged, err := a.retryStages(ctx, p, recs)
	if err != nil {
		return err
	}
	res.Counts.Add(c)
	res.Counts.Quarantined += staged.Quarantined
	res.Retried += len(recs)
	return nil
}

// retryStages propagates again the stages of side-A records of an object that has pipelines.
func (a *Activities) retryStages(ctx context.Context, p *pass, recs []connectors.Record) (StageResult, error) {
	if p.side != engine.A || len(recs) == 0 || !slices.Contains(pipelineObjects(p.conn), p.in.Object) {
		return StageResult{}, nil
	}
	sp, err := a.newStagePass(ctx, p.in.Connection)
	if err != nil {
		return StageResult{}, err
	}
	return sp.propagate(ctx, p.obj, recs)
}
