package activities

import (
	"context"
	"sync"
	"time"

	"github.com/crmsync/crmsync/config"
	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/store"
)

// Activities holds what every activity needs. The worker registers one instance.
type Activities struct {
	Conns *Connections
	Store store.Store
	// Now returns the current time; tests replace it.
	Now func() time.Time
	// Paused says whether a connection is paused (the worker asks Temporal for its sync's
	// phase): a push waits for the resume, since a pause holds every write. Nil: never.
	Paused func(ctx context.Context, connection string) (bool, error)
	// WorkflowPaused says whether a workflow was paused: a pass asks for its own between two
	// pages, at most every pauseCheckEvery, and ends its stretch there. Nil: never.
	WorkflowPaused func(ctx context.Context, workflowID string) (bool, error)
	// SellsyEvents routes one Sellsy webhook event (the webhook receiver's routing): it reads
	// the record back and starts or signals what the connection's events: say. Nil: the
	// worker cannot route them (RouteSellsyEvent says so).
	SellsyEvents func(ctx context.Context, ev SellsyEvent) error

	// statusMaps remembers, per connection, the side-B connector whose statuses the
	// connection's status maps were last found complete against, and when (statusMapCheck).
	statusMaps sync.Map
}

func (a *Activities) now() time.Time {
	if a.Now != nil {
		return a.Now()
	}
	return time.Now()
}

// DescribeConnection returns what the workflows need of a connection file. It is read at
// every cycle, so an interval changed in the file applies once the worker reloads it.
func (a *Activities) DescribeConnection(ctx context.Context, name string) (ConnectionInfo, error) {
	c, err := a.Conns.Config(name)
	if err != nil {
		return ConnectionInfo{}, toTemporal(err)
	}
	info := ConnectionInfo{
		Objects:    c.ObjectNames(),
		Interval:   c.Schedule.Interval.Std(),
		ASystem:    c.A.System,
		BSystem:    c.B.System,
		Reconcile:  c.Schedule.Reconcile.Std(),
		FullRead:   c.Schedule.FullRead.Std(),
		MaxDeletes: c.Schedule.DeleteLimit(),
	}
	for _, name := range info.Objects {
		o, _ := c.Object(name)
		if o.Deletes != "" {
			info.ReconcileObjects = append(info.ReconcileObjects, name)
		}
		for _, side := range []string{"a", "b"} {
			if !o.ImportsFrom(side) || !o.Sends(side) {
				info.NoImport = append(info.NoImport, name+"/"+side)
			}
			if !o.Sends(side) {
				info.NoSync = append(info.NoSync, name+"/"+side)
			}
		}
	}
	return info, nil
}

// ResetCursors makes the next cycle read the objects again from in.Since (zero: everything).
// A cursor only moves back: one already before in.Since stays (moving it forward would skip
// the changes between the two), and a side without a cursor, which the next pass reads in
// full anyway, stays without one. A cursor that is not a time is replaced by in.Since.
func (a *Activities) ResetCursors(ctx context.Context, in ResetInput) error {
	c, err := a.Conns.Config(in.Connection)
	if err != nil {
		return toTemporal(err)
	}
	objects := in.Objects
	if len(objects) == 0 {
		objects = c.ObjectNames()
	}
	for _, o := range objects {
		if _, ok := c.Object(o); !ok {
			return toTemporal(configError(errUnknownObject(c, o)))
		}
	}
	// An object read from several tables (weavy's contacts and entrants) keeps a cursor per
	// table besides its own: the resync reaches them all, a table switched off included, so
	// that it reads from the resync's date once switched back on.
	keys := a.cursorKeys(c, objects)
	if in.Since.IsZero() {
		return a.Store.ResetCursors(ctx, in.Connection, keys)
	}
	for _, o := range keys {
		for _, side := range []store.Side{store.SideA, store.SideB} {
			v, ok, err := a.Store.Cursor(ctx, in.Connection, o, side)
			if err != nil {
				return err
			}
			if !ok || v == "" {
				continue
			}
			if at, err := time.Parse(time.RFC3339Nano, v); err == nil && !at.After(in.Since) {
				continue
			}
			if err := a.Store.SetCursor(ctx, in.Connection, o, side, in.Since.UTC().Format(time.RFC3339Nano)); err != nil {
				return err
			}
		}
	}
	return nil
}

// cursorKeys returns the store's cursor keys of objects: each object's own, and those of the
// tables it is read from on either side (tableKey), every table of it, synced now or not.
// Connectors that cannot be opened (a credential missing) have no table to add: a resync
// moves the store's cursors and needs none, and a pass with them would fail all the same.
func (a *Activities) cursorKeys(c *config.Connection, objects []string) []string {
	x, y, err := a.Conns.Connectors(c.Name)
	if err != nil {
		return objects
	}
	var keys []string
	for _, o := range objects {
		keys = append(keys, o)
		ob, _ := c.Object(o)
		_, all := objectTables(x, ob.AObject, y, ob.BObject)
		for _, t := range all {
			keys = append(keys, tableKey(o, t))
		}
	}
	return keys
}

// Stats returns the store's figures for a connection: pairs per object, quarantined records.
func (a *Activities) Stats(ctx context.Context, name string) (StoreStats, error) {
	c, err := a.Conns.Config(name)
	if err != nil {
		return StoreStats{}, toTemporal(err)
	}
	st := StoreStats{Pairs: map[string]int{}}
	for _, o := range c.ObjectNames() {
		n, err := a.Store.CountPairs(ctx, name, o)
		if err != nil {
			return st, err
		}
		st.Pairs[o] = n
	}
	st.Quarantined, err = a.Store.CountQuarantine(ctx, name)
	return st, err
}

// recoverAs, deferred by an activity, turns its panic (a connector decoding an answer it
// cannot read, a bug) into the error naming the activity and where it was (where), not
// retried — the same input would panic the same way — instead of the SDK's PanicError,
// retried without end with only a stack trace to show. The workflow pauses the connection
// with the message, as for a configuration error.
func recoverAs(op string, where func() string, err *error) {
	if v := recover(); v != nil {
		*err = toTemporal(connectors.PanicIn(connectors.Recovered("crmsync", op, v), where()))
	}
}
