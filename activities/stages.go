package activities

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.temporal.io/sdk/activity"

	"github.com/crmsync/crmsync/config"
	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/engine"
	"github.com/crmsync/crmsync/internal/heartbeat"
	"github.com/crmsync/crmsync/store"
)

// stageKey is the snapshot key of the stage last propagated for a pair.
const stageKey = "@stage"

// stageWritingKey is the snapshot key of a stage whose writes on side B began and were not
// all recorded: a pair holding one is moved again, even if its record went back to the stage
// recorded before (its side-B record may already show the new one).
const stageWritingKey = "@stage_writing"

// StageInput asks PropagateStages to look at some side-A records (announced by a webhook),
// or, with no ids, at a stretch of a scan of every record of the pipelines' objects.
type StageInput struct {
	Connection string
	IDs        []string
	Position   string // scan: "<object index>:<cursor>"
	Stretch    time.Duration
	// ScanStart is when the workflow began the scan: a connector may answer from a read it
	// made since (connectors.ListQuery.NotBefore). Zero: read afresh.
	ScanStart time.Time `json:",omitzero"`
	PageSize  int       `json:",omitempty"` // records a scan page (0: DefaultPageSize)
}

// StageResult reports what PropagateStages did.
type StageResult struct {
	Position string
	Done     bool
	Checked  int // records looked at
	Moved    int // stage changes propagated (forward or backward)
	Emitted  int // events emitted on side B
	Backward int // moves back: the stage recorded, no event
	Pending  int // records of a pipeline not paired yet (their object's sync creates them)
	// Quarantined: stage changes refused for the record (an event or a stage field refused).
	Quarantined int `json:",omitempty"`
}

// Add adds o's counts to r.
func (r *StageResult) Add(o StageResult) {
	r.Checked += o.Checked
	r.Moved += o.Moved
	r.Emitted += o.Emitted
	r.Backward += o.Backward
	r.Pending += o.Pending
	r.Quarantined += o.Quarantined
}

// PropagateStages brings the stage changes of side-A records (Sellsy opportunities moving
// along a pipeline) to their side-B counterparts (Altior affaires): the events bound to the
// stages passed are emitted once each, in order; a move back records the stage and emits
// nothing; the side-B record's stage and pipeline fields follow. The stage last propagated
// lives in the pair's snapshot, and the events already there are read back before emitting,
// so a retried or repeated run emits nothing twice.
func (a *Activities) PropagateStages(ctx context.Context, in StageInput) (_ StageResult, err error) {
	defer recoverAs("PropagateStages", func() string { return "stage propagation of " + in.Connection }, &err)
	res := StageResult{Position: in.Position}
	if len(in.IDs) == 0 && activity.HasHeartbeatDetails(ctx) {
		var hb StageResult
		if err := activity.GetHeartbeatDetails(ctx, &hb); err == nil {
			res = hb
		}
	}
	// Heartbeat from the start: the checks below and the announced ids (a webhook batch, each
	// record a read and a few writes at side B's quota, 10 requests a second on Altior) can
	// take longer than the heartbeat timeout, and a timed-out batch would be retried forever.
	alive := heartbeat.Start(ctx, res, heartbeat.Options{})
	defer alive.Stop()
	sp, err := a.newStagePass(ctx, in.Connection)
	if err != nil {
		return StageResult{}, toTemporal(err)
	}
	c, ca := sp.c, sp.x
	objects := pipelineObjects(c)
	if len(in.IDs) > 0 {
		if w := workflowPauseWatch(a.WorkflowPaused); w.pausedOnRetry(ctx) {
			// Paused during the backoff: the batch waits for the resume (the workflow takes a
			// completed batch for handled).
			return res, pausedError(fmt.Sprintf("connection %s is paused: the stage changes announced wait for the resume", in.Connection))
		}
		for _, name := range objects {
			o, _ := c.Object(name)
			recs, err := ca.Get(ctx, o.AObject, in.IDs)
			if err != nil {
				return res, toTemporal(err)
			}
			r, err := sp.propagate(ctx, o, recs)
			res.Add(r)
			recordStages(ctx, in.Connection, r)
			if err != nil {
				return res, toTemporal(err)
			}
		}
		res.Done = true
		return res, nil
	}
	limit := newStretchLimit(ctx, in.Stretch)
	// A pause ends the scan's stretch after its page: no event is emitted while paused.
	watch := workflowPauseWatch(a.WorkflowPaused)
	if watch.pausedOnRetry(ctx) {
		return res, nil // paused during the backoff: the scan goes on from here after the resume
	}
	// A passing failure after pages were committed ends the stretch with them; res holds
	// only committed pages wherever cut is called.
	start := res.Position
	cut := func(err error) (StageResult, error) {
		if passingFailure(ctx, err, res.Position != start) {
			return res, nil
		}
		return res, toTemporal(err)
	}
	for !res.Done && !limit.reached() {
		pos := parseScanPosition(res.Position, a.now().UTC())
		if pos.object >= len(objects) {
			res.Done = true
			break
		}
		o, _ := c.Object(objects[pos.object])
		since, err := a.scanSince(ctx, c, o.Name)
		if err != nil {
			return cut(err)
		}
		var released StageResult
		if pos.cursor == "" {
			// Records that were not paired when a scan read them, and are now, first: the
			// listing below reads only what changed since the last scan.
			if released, err = sp.releasePending(ctx, o); err != nil {
				return cut(err)
			}
			recordStages(ctx, in.Connection, released)
		}
		page, err := ca.List(ctx, o.AObject, connectors.ListQuery{Since: since, Cursor: pos.cursor, Limit: cmp.Or(in.PageSize, DefaultPageSize), NotBefore: in.ScanStart})
		if err != nil {
			return cut(err)
		}
		if !page.AsOf.IsZero() && page.AsOf.Before(pos.start) {
			pos.start = page.AsOf // the next scan reads from where this answer's read went up to
		}
		r, err := sp.propagate(ctx, o, page.Records)
		recordStages(ctx, in.Connection, r)
		if err != nil {
			return cut(err)
		}
		r.Add(released)
		if page.More {
			pos.cursor = page.Cursor
		} else {
			// The next scan of this object reads what changed since this one began; a record
			// not paired yet (its object's sync has not created it on side B) is noted, and
			// goes at the first scan after it is (releasePending).
			if err := a.Store.SetCursor(ctx, c.Name, scannedKey(o.Name), store.SideA, pos.start.Format(time.RFC3339Nano)); err != nil {
				return cut(err)
			}
			pos.object, pos.cursor = pos.object+1, ""
			res.Done = pos.object >= len(objects)
		}
		res.Add(r)
		res.Position = pos.String()
		alive.Commit(ctx, res)
		if !res.Done && watch.pausedNow(ctx) {
			break // the rest of the scan after the resume, from here
		}
	}
	return res, nil
}

// scanPosition is where a scan is: the object it reads, the listing's cursor and when the
// scan began (the next scan reads from then).
type scanPosition struct {
	object int
	start  time.Time
	cursor string
}

// String writes the position. Its third field once said whether a record was pending (a
// scan then held its start back); it stays, always 0, so that positions parse both ways.
func (p scanPosition) String() string {
	return fmt.Sprintf("%d|%d|0|%s", p.object, p.start.UnixNano(), p.cursor)
}

// parseScanPosition reads a position; "" starts a scan now. The older "<object>:<cursor>"
// form (a scan under way when the worker was upgraded) starts its clock now.
func parseScanPosition(s string, now time.Time) scanPosition {
	p := scanPosition{start: now}
	if s == "" {
		return p
	}
	if parts := strings.SplitN(s, "|", 4); len(parts) == 4 {
		p.object, _ = strconv.Atoi(parts[0])
		if ns, err := strconv.ParseInt(parts[1], 10, 64); err == nil {
			p.start = time.Unix(0, ns).UTC()
		}
		p.cursor = parts[3]
		return p
	}
	i, cur, _ := strings.Cut(s, ":")
	p.object, _ = strconv.Atoi(i)
	p.cursor = cur
	return p
}

// scannedKey is where the store keeps when the last complete scan of an object began.
func scannedKey(object string) string { return object + "@scanned" }

// scanSince is where a scan of an object starts reading: the last complete scan's start less
// the overlap, and never before the start date. Systems with update timestamps (UNAS orders)
// then spend their quota on changed records only; records without one (Sellsy
// opportunities) are all read whatever Since says.
func (a *Activities) scanSince(ctx context.Context, c *config.Connection, object string) (time.Time, error) {
	var since time.Time
	v, ok, err := a.Store.Cursor(ctx, c.Name, scannedKey(object), store.SideA)
	if err != nil {
		return since, err
	}
	if ok {
		if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
			since = t.Add(-c.Schedule.Overlap.Std())
		}
	}
	if start := c.Start(); since.Before(start) {
		since = start
	}
	return since, nil
}

// pipelineObjects lists the objects the connection's pipelines move, once each, in order.
func pipelineObjects(c *config.Connection) []string {
	var out []string
	for _, p := range c.Pipelines {
		if !slices.Contains(out, p.Object) {
			out = append(out, p.Object)
		}
	}
	return out
}

// statusMapRecheck is how long a status map found complete is trusted: a status added to the
// shop since is unmapped, and the connection pauses within that time rather than quarantine
// each order that reaches it.
const statusMapRecheck = time.Hour

// statusMapCheck is what Activities.statusMaps keeps of a connection's last complete check:
// it runs again once the worker builds the connectors again (the file changed) or
// statusMapRecheck passes.
type statusMapCheck struct {
	conn connectors.Connector
	at   time.Time
	// meta holds the pipelines read for the check: a sync pass names the stage a card is
	// created at from them rather than read the shop's statuses at every stretch. PipelineSync
	// reads its own (a status added since must be seen there).
	meta map[string]pipelineMeta
	// unmappable holds the stages of records a sync pass met that this check leaves unmapped
	// (a status deleted from the shop while orders hold it): the pass quarantines those
	// without checking the map again for each stretch, against the shop's hourly budget of
	// 30 getOrderStatus calls.
	unmappable []string
}

// unmappable reports whether the last complete check of a connection's status maps, against
// side B's connector y, found a stage unmappable.
func (a *Activities) unmappable(connection string, y connectors.Connector, stage string) bool {
	v, ok := a.statusMaps.Load(connection)
	return ok && v.(statusMapCheck).conn == y && slices.Contains(v.(statusMapCheck).unmappable, stage)
}

// noteUnmappable notes in the last complete check of a connection's status maps that a stage
// is unmappable. Notes lost to a concurrent check only cost a check more.
func (a *Activities) noteUnmappable(connection string, y connectors.Connector, stage string) {
	v, ok := a.statusMaps.Load(connection)
	if !ok || v.(statusMapCheck).conn != y {
		return
	}
	done := v.(statusMapCheck)
	if slices.Contains(done.unmappable, stage) {
		return
	}
	done.unmappable = append(slices.Clone(done.unmappable), stage)
	a.statusMaps.Store(connection, done)
}

// checkStatusMaps checks every pipeline given a status_map strictly, as validate --live does,
// before the activity writes anything: every status of side A's pipeline is mapped, every key
// is one of them and every target a status of side B. The mistakes, each named, make one
// configuration error: the connection pauses instead of moving some cards and quarantining
// the others.
func (sp *stagePass) checkStatusMaps(ctx context.Context, now time.Time) error {
	catalog, ok := sp.y.(connectors.EventCatalog)
	if !ok {
		return nil
	}
	if v, ok := sp.a.statusMaps.Load(sp.c.Name); ok {
		if done := v.(statusMapCheck); done.conn == sp.y && now.Sub(done.at) < statusMapRecheck {
			if sp.reuseMeta {
				for id, m := range done.meta {
					if _, ok := sp.meta[id]; !ok {
						sp.meta[id] = m
					}
				}
			}
			return nil
		}
	}
	sp.fresh = true
	var errs []error
	checked := false
	for i := range sp.c.Pipelines {
		o, ok := sp.c.Object(sp.c.Pipelines[i].Object)
		if !sp.c.Pipelines[i].Strict() || !ok {
			continue
		}
		if err := sp.refs.list(ctx); err != nil {
			return err
		}
		checked = true
		meta, err := sp.pipeline(ctx, sp.c.Pipelines[i].Pipeline)
		if err != nil {
			return err
		}
		events, err := catalog.EventOrder(ctx, o.BObject)
		if err != nil {
			return err
		}
		p := sp.c.Pipelines[i] // its events keyed by stage id now
		order, bindings := p.WrittenSteps(meta.order)
		for _, e := range engine.CheckStatusMap(bindings, order, events) {
			errs = append(errs, fmt.Errorf("pipelines[%d] (pipeline %s).status_map: %w", i, p.Named(), e))
		}
	}
	if len(errs) > 0 {
		msgs := make([]string, len(errs))
		for i, e := range errs {
			msgs[i] = e.Error()
		}
		return configError(fmt.Errorf("%s: %s", sp.c.File, strings.Join(msgs, "; ")))
	}
	if checked {
		sp.a.statusMaps.Store(sp.c.Name, statusMapCheck{conn: sp.y, at: now, meta: maps.Clone(sp.meta)})
	}
	return nil
}

// newStagePass prepares the propagation of a connection's stages, after the checks that must
// pass before anything is written: both sides able to, the start date unchanged, the status
// maps complete.
func (a *Activities) newStagePass(ctx context.Context, connection string) (*stagePass, error) {
	c, err := a.Conns.Config(connection)
	if err != nil {
		return nil, err
	}
	ca, cb, err := a.Conns.Connectors(connection)
	if err != nil {
		return nil, err
	}
	sp, ok := a.stagePassOf(newPipelineRefs(c, ca), ca, cb)
	if !ok {
		return nil, configError(fmt.Errorf("%s: pipelines need a side A with pipelines (%s has none) and a side B with events (%s has none)", c.File, ca.System(), cb.System()))
	}
	// The start date binds the scan as it binds the sync: a changed one is refused here too,
	// or the scan would go on reading from the new date.
	if err := (&pass{a: a, conn: c}).checkStartDate(ctx, true); err != nil {
		return nil, err
	}
	if err := sp.checkStatusMaps(ctx, a.now()); err != nil {
		return nil, err
	}
	return sp, nil
}

// stagePassOf returns a stage pass over a connection's sides, whose pipelines refs resolves,
// false when side A has no pipelines or side B no events.
func (a *Activities) stagePassOf(refs *pipelineRefs, ca, cb connectors.Connector) (*stagePass, bool) {
	staged, ok := ca.(connectors.Staged)
	emitter, ok2 := cb.(connectors.EventEmitter)
	if !ok || !ok2 {
		return nil, false
	}
	return &stagePass{a: a, c: refs.c, refs: refs, staged: staged, emitter: emitter, x: ca, y: cb, meta: map[string]pipelineMeta{}}, true
}

// pipelineRefs holds a connection whose pipelines may name their pipeline and steps by name, as
// users see them in side A's system (config.ResolvePipelines, ResolveEvents), and resolves
// them to ids against that system when first needed: a record's pipeline and step are ids,
// and everything that compares them with the configuration (pipelineOf, the stage plans)
// compares ids. A configuration of ids only costs no read more: its values are taken for ids
// once records hold them.
type pipelineRefs struct {
	c      *config.Connection // the connection's copy whose pipelines are resolved in place
	staged connectors.Staged  // side A; nil when it has no pipelines
	system string
	// listed: every pipeline value is an id now (side A listed them, or lists none: its
	// pipelines are named by id only).
	listed bool
	seen   map[int]bool // configurations a record's pipeline matched as written: ids
	events map[int]bool // configurations whose events are keyed by stage id now
}

// newPipelineRefs returns the refs of connection c, whose side A is ca; c is not changed.
func newPipelineRefs(c *config.Connection, ca connectors.Connector) *pipelineRefs {
	own := *c
	own.Pipelines = slices.Clone(c.Pipelines)
	staged, _ := ca.(connectors.Staged)
	_, lists := staged.(connectors.PipelineLister)
	return &pipelineRefs{c: &own, staged: staged, system: ca.System(), listed: !lists, seen: map[int]bool{}, events: map[int]bool{}}
}

// prepare makes pipelineOf right for records of object: when one is in no pipeline configured
// by its id and a configuration of object may name its pipeline by name, the pipelines are
// resolved (one listing).
func (r *pipelineRefs) prepare(ctx context.Context, object string, records []connectors.Record) error {
	if r.listed {
		return nil
	}
	outside := false
	for _, rec := range records {
		in := false
		for i, p := range r.c.Pipelines {
			if p.Object == object && str(rec.Fields[p.PipelineField]) == p.Pipeline {
				r.seen[i], in = true, true
			}
		}
		outside = outside || !in
	}
	for i, p := range r.c.Pipelines {
		if outside && p.Object == object && !r.seen[i] {
			return r.list(ctx)
		}
	}
	return nil
}

// list resolves every pipeline value against side A's pipelines, once. A value that names no
// pipeline, or two, is a configuration error naming the file and field.
func (r *pipelineRefs) list(ctx context.Context) error {
	if r.listed {
		return nil
	}
	listed, err := r.staged.(connectors.PipelineLister).ListPipelines(ctx)
	if err != nil {
		return err
	}
	resolved, errs := config.ResolvePipelines(r.c.Pipelines, r.system, listed)
	if len(errs) > 0 {
		return configError(inFile(r.c.File, errs))
	}
	copy(r.c.Pipelines, resolved) // in place: callers hold pointers to configurations
	r.listed = true
	return nil
}

// resolveEvents keys by stage id the events of the configurations of pipeline id (resolved),
// whose stages meta holds, once each.
func (r *pipelineRefs) resolveEvents(id string, meta pipelineMeta) error {
	var errs []error
	for i := range r.c.Pipelines {
		if r.events[i] || r.c.Pipelines[i].Pipeline != id {
			continue
		}
		p, problems := r.c.Pipelines[i].ResolveEvents(i, meta.stages)
		if len(problems) > 0 {
			errs = append(errs, problems...)
			continue
		}
		r.c.Pipelines[i], r.events[i] = p, true
	}
	if len(errs) > 0 {
		return configError(inFile(r.c.File, errs))
	}
	return nil
}

// inFile makes one error of the problems of a connection file.
func inFile(file string, errs []error) error {
	msgs := make([]string, len(errs))
	for i, e := range errs {
		msgs[i] = e.Error()
	}
	return fmt.Errorf("%s: %s", file, strings.Join(msgs, "; "))
}

type pipelineMeta struct {
	name   string
	stages []connectors.Stage
	order  []string // the stages' ids, in order
}

type stagePass struct {
	a       *Activities
	c       *config.Connection // refs.c: its pipelines resolved as needed
	refs    *pipelineRefs
	staged  connectors.Staged
	emitter connectors.EventEmitter
	x, y    connectors.Connector
	meta    map[string]pipelineMeta
	// reuseMeta takes meta from the last complete check of the status maps (a sync pass);
	// fresh says the check was made by this pass, not taken from that one.
	reuseMeta, fresh bool
	// marks holds the initial import's marks of side A read so far, by object (nil: none).
	marks map[string]*mark
}

// pipeline returns the name and stages of pipeline id, read once, and keys by stage id the
// events of the configurations of that pipeline.
func (sp *stagePass) pipeline(ctx context.Context, id string) (pipelineMeta, error) {
	m, ok := sp.meta[id]
	if !ok {
		name, stages, err := sp.staged.Pipeline(ctx, id)
		if err != nil {
			return pipelineMeta{}, err
		}
		m = pipelineMeta{name: name, stages: stages}
		for _, st := range stages {
			m.order = append(m.order, st.ID)
		}
		sp.meta[id] = m
	}
	return m, sp.refs.resolveEvents(id, m)
}

func (sp *stagePass) propagate(ctx context.Context, o *config.Object, records []connectors.Record) (StageResult, error) {
	var res StageResult
	res.Checked = len(records)
	if len(records) == 0 {
		return res, nil
	}
	if err := sp.refs.prepare(ctx, o.Name, records); err != nil {
		return res, err
	}
	ids := make([]string, len(records))
	for i, r := range records {
		ids[i] = r.ID
	}
	pairs, err := sp.a.Store.Pairs(ctx, sp.c.Name, o.Name, store.SideA, ids)
	if err != nil {
		return res, err
	}
	reached, err := sp.reached(ctx, o.Name, ids)
	if err != nil {
		return res, err
	}
	// A record that existed when the initial import marked side A ("import existing
	// opportunities: no") is never created on side B: it is not pending, and waits for
	// nothing (its waits and reached step, from before, go).
	held, err := sp.heldByMark(ctx, o.Name, records, pairs)
	if err != nil {
		return res, err
	}
	for id := range held {
		reached.done(id)
	}
	// What waits for its pair is noted before anything is written: a failure below leaves
	// the notes of records already handled to the retry, which notes them again. What no
	// longer waits (paired since, held) is let go only once its stage is written: a record
	// released from its wait whose write fails is released again by the retry, as nothing
	// else would read it if it does not change.
	var waits []store.Wait
	var waiting, done []string
	for _, r := range records {
		if _, paired := pairs[r.ID]; !paired && !held[r.ID] && sp.config(o.Name, r) != nil {
			waits = append(waits, store.Wait{RecordID: r.ID, LinkObject: o.Name, LinkID: r.ID})
			waiting = append(waiting, r.ID)
		} else {
			done = append(done, r.ID)
		}
	}
	if err := sp.a.Store.SetWaits(ctx, sp.c.Name, pendingKey(o.Name), store.SideA, waiting, waits); err != nil {
		return res, err
	}
	var save []store.Pair
	// A failure (a spent quota, an outage) still saves the stages of the records done before
	// it, so the retry does not read and write them again.
	var failed error
records:
	for _, r := range records {
		cfg := sp.config(o.Name, r)
		if cfg == nil {
			continue
		}
		to := str(r.Fields[cfg.StageField])
		pair, paired := pairs[r.ID]
		if held[r.ID] {
			continue
		}
		if !paired {
			res.Pending++
			if !cfg.Follow && to != "" {
				// Its side-B record does not exist yet: the furthest step it reaches
				// meanwhile is kept, so that the events passed go once it does, even if
				// the record has moved back by then.
				if err := reached.note(ctx, sp, cfg, r.ID, to); err != nil {
					failed = err
					break records
				}
			}
			continue
		}
		from, _ := pair.Snapshot[stageKey].(string)
		writing, _ := pair.Snapshot[stageWritingKey].(string)
		furthest := reached.steps[r.ID]
		if to == "" || (to == from && furthest == "" && writing == "") {
			continue
		}
		meta, err := sp.pipeline(ctx, cfg.Pipeline)
		if err != nil {
			failed = err
			break records
		}
		order := meta.order
		stageName := ""
		if i := slices.Index(order, to); i >= 0 {
			stageName = meta.stages[i].Name
		}
		if !slices.Contains(order, from) {
			// Moved from another pipeline (or never propagated): every bound step up to
			// here counts as passed; the events already on the record are not sent again.
			from = ""
		}
		limit := to
		if slices.Index(order, furthest) > slices.Index(order, limit) {
			limit = furthest
		}
		if !cfg.Follow && slices.Index(order, writing) > slices.Index(order, limit) {
			// A step being written when an attempt failed was reached: its events are
			// owed even if the record moved back before the retry.
			limit = writing
		}
		counterpart, err := sp.y.Get(ctx, o.BObject, []string{pair.BID})
		if err != nil && connectors.KindOf(err) == connectors.KindInvalid {
			// A side-B record answered in a shape it cannot be read in is this record's
			// problem, as in a sync pass: quarantined, the other stages still move.
			if err := sp.quarantine(ctx, o, r, fmt.Sprintf("%s record %s cannot be read: %v", sp.y.System(), pair.BID, err)); err != nil {
				failed = err
				break records
			}
			res.Quarantined++
			continue
		}
		if err != nil {
			failed = err
			break records
		}
		if len(counterpart) == 0 {
			continue // deleted on side B: nothing to move
		}
		var emit []string
		var backward bool
		if cfg.Follow {
			emit, backward, err = engine.FollowPlan(order, cfg.Events, from, to)
		} else {
			done, _ := counterpart[0].Fields["events"].([]string)
			emit, backward, err = engine.StagePlan(order, cfg.Events, from, limit, done)
		}
		if err != nil {
			if cfg.Strict() && slices.Contains(order, to) {
				// A stage of the pipeline the strict map does not bind (a status added to
				// the shop since the last check): the map is wrong, not the record.
				// Quarantined, the order would be passed by the scan and never moved; the
				// connection pauses instead, the scan keeps its place, and the map is
				// checked again. A stage the pipeline does not have (a status deleted while
				// orders still hold it) cannot be mapped: that record is quarantined.
				sp.a.statusMaps.Delete(sp.c.Name)
				failed = configError(fmt.Errorf("%s: pipeline %s: %s record %s: %w", sp.c.File, cfg.Named(), sp.x.System(), r.ID, err))
				break records
			}
			if err := sp.quarantine(ctx, o, r, err.Error()); err != nil {
				failed = err
				break records
			}
			res.Quarantined++
			continue
		}
		if err := sp.saveStages(ctx, o.Name, []store.Pair{{AID: pair.AID, BID: pair.BID, Snapshot: map[string]any{stageWritingKey: to}}}); err != nil {
			failed = err
			break records
		}
		for _, ev := range emit {
			if err := sp.emitter.AddEvent(ctx, o.BObject, pair.BID, ev); err != nil {
				// An event refused for this record (Altior 400/404/422) is the record's
				// problem: quarantined, as a refused update is, so the connection does not
				// pause on it again after every resume. Anything else fails the activity; a
				// configuration error (an event type deleted in Altior) names where the
				// file binds the event, as the pause's message.
				if kind := connectors.KindOf(err); kind != connectors.KindInvalid {
					if kind == connectors.KindConfig && !connectors.IsPanic(err) {
						err = configError(fmt.Errorf("%s: pipeline %s: event %s: %w", sp.c.File, cfg.Named(), ev, err))
					}
					failed = err
					break records
				}
				if err := sp.quarantine(ctx, o, r, fmt.Sprintf("event %s not added to %s record %s: %v", ev, sp.y.System(), pair.BID, err)); err != nil {
					failed = err
					break records
				}
				res.Quarantined++
				continue records
			}
			res.Emitted++
		}
		fields := map[string]any{}
		putStage(fields, cfg, meta.name, stageName)
		if cfg.Establishment != "" {
			fields[establishmentField] = cfg.Establishment
		}
		if len(fields) > 0 {
			results, err := sp.y.Update(ctx, o.BObject, []connectors.Record{{ID: pair.BID, Fields: fields}})
			results, err = connectors.CheckResults(sp.y.System(), "update", 1, results, err)
			if err != nil {
				failed = err
				break records
			}
			if err := results[0].Err; err != nil && connectors.KindOf(err) != connectors.KindInvalid {
				failed = err // not the record's fault (a quota, an outage, a token): no quarantine
				break records
			}
			if results[0].Err != nil {
				if err := sp.quarantine(ctx, o, r, fmt.Sprintf("stage of %s record %s not written: %v", sp.y.System(), pair.BID, results[0].Err)); err != nil {
					failed = err
					break records
				}
				res.Quarantined++
				continue
			}
		}
		if backward {
			res.Backward++
		}
		res.Moved++
		pair.Snapshot = map[string]any{stageKey: to, stageWritingKey: nil}
		save = append(save, pair)
		reached.done(r.ID)
	}
	if err := sp.saveStages(ctx, o.Name, save); err != nil {
		return res, err
	}
	if err := reached.save(ctx, sp); err != nil {
		return res, err
	}
	if failed == nil {
		if err := sp.a.Store.SetWaits(ctx, sp.c.Name, pendingKey(o.Name), store.SideA, done, nil); err != nil {
			return res, err
		}
	}
	return res, failed
}

// saveStages records in the pairs of moved the keys their snapshots hold (stageKey,
// stageWritingKey; a nil value removes the key). A sync pass of the object may be between
// reading these pairs and saving them: under its lock, the pairs are read again and only
// these keys change, so that neither writer puts back what the other replaced.
func (sp *stagePass) saveStages(ctx context.Context, object string, moved []store.Pair) error {
	if len(moved) == 0 {
		return nil
	}
	held, unlock, err := sp.a.Store.LockHeld(ctx, sp.c.Name+"/"+object)
	if err != nil {
		return err
	}
	defer unlock()
	ctx = held // lost, nothing is saved: another writer may hold the lock now (lockLost)
	ids := make([]string, len(moved))
	for i, p := range moved {
		ids[i] = p.AID
	}
	current, err := sp.a.Store.Pairs(ctx, sp.c.Name, object, store.SideA, ids)
	if err != nil {
		return err
	}
	var save []store.Pair
	for _, m := range moved {
		p, ok := current[m.AID]
		if !ok || p.BID != m.BID {
			continue // unpaired or paired again meanwhile: its next change moves it
		}
		snap := make(map[string]any, len(p.Snapshot)+1)
		for k, v := range p.Snapshot {
			snap[k] = v
		}
		for k, v := range m.Snapshot {
			if v == nil {
				delete(snap, k)
			} else {
				snap[k] = v
			}
		}
		p.Snapshot, p.SyncedAt = snap, sp.a.now().UTC()
		save = append(save, p)
	}
	if err := lockLost(ctx); err != nil {
		return err
	}
	return sp.a.Store.SavePairs(ctx, sp.c.Name, object, save)
}

// heldByMark returns which of the unpaired records the initial import's mark of side A holds
// back (mark.holds), by id.
func (sp *stagePass) heldByMark(ctx context.Context, object string, records []connectors.Record, pairs map[string]store.Pair) (map[string]bool, error) {
	m, ok := sp.marks[object]
	if !ok {
		var err error
		o, _ := sp.c.Object(object)
		if m, err = loadMark(ctx, sp.a.Store, sp.c.Name, object, store.SideA, o != nil && gatedOn(o, "a")); err != nil {
			return nil, err
		}
		if sp.marks == nil {
			sp.marks = map[string]*mark{}
		}
		sp.marks[object] = m
	}
	held := map[string]bool{}
	for _, r := range records {
		if _, paired := pairs[r.ID]; paired || sp.config(object, r) == nil {
			continue
		}
		h, err := m.holds(ctx, r)
		if err != nil {
			return nil, err
		}
		if h {
			held[r.ID] = true
		}
	}
	return held, nil
}

// pendingKey is the object under which the store keeps, as link waits on the record itself,
// the records a scan read before they were paired (store.Waits).
func pendingKey(object string) string { return object + "@stage" }

// releasePending propagates the stages of records a scan read before they were paired and
// that are paired now; they may not change again, so no listing since the last scan would
// read them.
func (sp *stagePass) releasePending(ctx context.Context, o *config.Object) (StageResult, error) {
	recs, err := sp.a.readyRecords(ctx, sp.c.Name, pendingKey(o.Name), store.SideA, sp.x, o.AObject)
	if err != nil || len(recs) == 0 {
		return StageResult{}, err
	}
	return sp.propagate(ctx, o, recs)
}

// reachedNote is the kind of store note that keeps, per record not paired yet, the furthest
// step it reached.
const reachedNote = "reached"

// reachedSteps holds the reached steps of a page's records while it is propagated.
type reachedSteps struct {
	object  string
	steps   map[string]string // read from the store
	changed map[string]string // to write ("" removes)
}

// reached reads the steps noted for the records of a page.
func (sp *stagePass) reached(ctx context.Context, object string, ids []string) (*reachedSteps, error) {
	steps, err := sp.a.Store.Notes(ctx, sp.c.Name, object, reachedNote, ids)
	if err != nil {
		return nil, err
	}
	return &reachedSteps{object: object, steps: steps, changed: map[string]string{}}, nil
}

// note keeps step for record id when it is further along cfg's pipeline than the one kept.
func (r *reachedSteps) note(ctx context.Context, sp *stagePass, cfg *config.Pipeline, id, step string) error {
	meta, err := sp.pipeline(ctx, cfg.Pipeline)
	if err != nil {
		return err
	}
	at := slices.Index(meta.order, step)
	if at < 0 || at <= slices.Index(meta.order, r.steps[id]) {
		return nil
	}
	r.steps[id], r.changed[id] = step, step
	return nil
}

// done forgets the step of a record whose events went.
func (r *reachedSteps) done(id string) {
	if _, ok := r.steps[id]; ok {
		delete(r.steps, id)
		r.changed[id] = ""
	}
}

func (r *reachedSteps) save(ctx context.Context, sp *stagePass) error {
	return sp.a.Store.SetNotes(ctx, sp.c.Name, r.object, reachedNote, r.changed)
}

// config returns the pipeline configuration a record belongs to, or nil.
func (sp *stagePass) config(object string, r connectors.Record) *config.Pipeline {
	return pipelineOf(sp.c, object, r)
}

// putStage writes a record's pipeline and stage names into fields where the pipeline's
// configuration says (PipelineTarget, StageTarget).
func putStage(fields map[string]any, cfg *config.Pipeline, pipeline, stage string) {
	if cfg.StageTarget != config.NoTarget {
		fields[cfg.StageTarget] = stage
	}
	if cfg.PipelineTarget != config.NoTarget {
		fields[cfg.PipelineTarget] = pipeline
	}
}

// pipelineRefs returns the pass's pipelineRefs, made at the first call. p.conn stays the
// connection as read (the codecs' cache knows it by its address).
func (p *pass) pipelineRefs() *pipelineRefs {
	if p.refs == nil {
		ca := p.x
		if p.side == engine.B {
			ca = p.y
		}
		p.refs = newPipelineRefs(p.conn, ca)
	}
	return p.refs
}

// pipelineOf returns the configuration of the pipeline a record the pass read is in
// (pipelineOf), its names resolved as far as the pass needed them (pipelineRefs.prepare).
func (p *pass) pipelineOf(r connectors.Record) *config.Pipeline {
	c := p.conn
	if p.refs != nil {
		c = p.refs.c
	}
	return pipelineOf(c, p.in.Object, r)
}

// pipelineOf returns the configuration of the pipeline a side-A record of object is in, nil
// when the connection binds none of it.
func pipelineOf(c *config.Connection, object string, r connectors.Record) *config.Pipeline {
	for i := range c.Pipelines {
		p := &c.Pipelines[i]
		if p.Object == object && str(r.Fields[p.PipelineField]) == p.Pipeline {
			return p
		}
	}
	return nil
}

func (sp *stagePass) quarantine(ctx context.Context, o *config.Object, r connectors.Record, reason string) error {
	return sp.a.quarantine(ctx, sp.c.Name, o.Name, store.SideA, r, reason)
}

// str renders a normalised value (an id read as a number, say) as text.
func str(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	}
	return fmt.Sprint(v)
}
