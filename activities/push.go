package activities

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/crmsync/crmsync/config"
	"github.com/crmsync/crmsync/engine"
	"github.com/crmsync/crmsync/internal/heartbeat"
	"github.com/crmsync/crmsync/store"
)

// ErrTypeNotFound is the error type of a push whose record does not exist.
const ErrTypeNotFound = "NotFound"

// ErrTypePaused is the error type of a push held while its connection is paused (retried).
const ErrTypePaused = "Paused"

// pausedError is the error of an activity held while its connection is paused: retried a
// minute apart until the resume, visible in the web UI as the attempt's failure.
func pausedError(msg string) error {
	return temporal.NewApplicationErrorWithOptions(msg, ErrTypePaused, temporal.ApplicationErrorOptions{NextRetryDelay: time.Minute})
}

// PushOne syncs one record now, as a pass would: it is matched with (or created on) the other
// side and merged field by field. A record it links to (a contact's company) that was never
// synced is pushed first, so that the link can be written.
func (a *Activities) PushOne(ctx context.Context, in PushInput) (_ Counts, err error) {
	// A panic (a connector decoding an answer it cannot read) fails the push with the error
	// naming it, not retried (the same record would panic the same way), instead of the
	// SDK's PanicError, retried for the workflow's 12 hours.
	defer recoverAs("PushOne", func() string { return fmt.Sprintf("push of %s %s from side %s", in.Object, in.ID, in.Side) }, &err)
	if a.Paused != nil {
		paused, err := a.Paused(ctx, in.Connection)
		if err != nil {
			return Counts{}, err // retried: Temporal did not answer
		}
		if paused {
			// A pause holds every write: the push waits (retried a minute apart, for up to
			// the workflow's 12 hours), visible in the web UI as this attempt's failure.
			return Counts{}, pausedError(fmt.Sprintf("connection %s is paused: the push waits for the resume", in.Connection))
		}
	}
	// The object's lock may be held by a pass writing a page (minutes on a slow API): the
	// push heartbeats while it waits and writes, so that it is not taken for a lost worker.
	alive := heartbeat.Start(ctx, nil, heartbeat.Options{})
	defer alive.Stop()
	p, err := a.newPass(ctx, PassInput{Connection: in.Connection, Object: in.Object, Side: in.Side, Mode: ModeImport})
	if err != nil {
		return Counts{}, toTemporal(err)
	}
	readAt := a.now()
	recs, err := p.x.Get(ctx, p.objX, []string{in.ID})
	if err != nil {
		return Counts{}, toTemporal(err)
	}
	if len(recs) == 0 {
		return Counts{}, temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("%s has no %s with id %s", p.x.System(), p.objX, in.ID), ErrTypeNotFound, nil)
	}
	var total Counts
	for _, l := range p.obj.Links {
		id := recs[0].Links[p.conn.LinkKey(l, in.Side)]
		if id == "" {
			continue
		}
		pairs, err := a.Store.Pairs(ctx, in.Connection, l, store.Side(in.Side), []string{id})
		if err != nil {
			return total, err
		}
		if len(pairs) > 0 {
			continue
		}
		lp, err := a.newPass(ctx, PassInput{Connection: in.Connection, Object: l, Side: in.Side, Mode: ModeImport})
		if err != nil {
			return total, toTemporal(err)
		}
		linkedAt := a.now()
		linked, err := lp.x.Get(ctx, lp.objX, []string{id})
		if err != nil {
			return total, toTemporal(err)
		}
		c, err := lp.processPage(ctx, linked, linkedAt)
		if err != nil {
			return total, toTemporal(err)
		}
		total.Add(c)
	}
	c, err := p.processPage(ctx, recs, readAt)
	total.Add(c)
	return total, toTemporal(err)
}

// LeftOutReasons lists what in a connection file may make the sync leave a record of one side
// ("a" or "b") of an object out, counted as filtered and written nowhere: the rules of
// processPage, as far as the file tells them (a push's result counts the records, not why).
// A paired record is left out only by the first, the filter.
func LeftOutReasons(c *config.Connection, o *config.Object, side string) []string {
	x := engine.Side(side)
	other := string(x.Other())
	var out []string
	if filter := o.Filter.Of(side); len(filter) > 0 {
		var holds []string
		for _, k := range slices.Sorted(maps.Keys(filter)) {
			holds = append(holds, fmt.Sprintf("%s = %s", k, config.FilterText(filter[k])))
		}
		out = append(out, fmt.Sprintf("the object's filter on side %s lets through only the records with %s", side, strings.Join(holds, " and ")))
	}
	switch {
	case !o.Sends(side):
		out = append(out, fmt.Sprintf("no field of the object travels from side %s, so its records are never created on side %s", side, other))
	case c.NotCreated(o, other) != "":
		out = append(out, fmt.Sprintf("its records are not created on side %s, since %s: one that no record there matches by its %s is left alone", other, c.NotCreated(o, other), x.MatchField(o.Match)))
	case !engine.CreatedOn(c, o, x.Other()):
		out = append(out, fmt.Sprintf("its records are not created on side %s, where no field carries the match field %s (one not paired there by its key is left alone)", other, x.Other().MatchField(o.Match)))
	}
	if !o.ImportsFrom(side) {
		out = append(out, fmt.Sprintf("initial.from_%s is false: a record that existed before the initial import stays on side %s", side, side))
	}
	if len(o.Links) > 0 {
		out = append(out, fmt.Sprintf("a record whose %s is not paired yet waits for it where side %s requires that link", strings.Join(o.Links, " or "), other))
	}
	if side == "a" && slices.Contains(pipelineObjects(c), o.Name) {
		out = append(out, "a record in none of the connection's pipelines gets no counterpart")
	}
	return out
}
