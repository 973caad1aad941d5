package activities

import (
	"bytes"
	"cmp"
	"compress/flate"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
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

// Defaults of a stretch.
const (
	DefaultStretch  = time.Minute
	DefaultPageSize = 100
)

// SyncPass runs one stretch of a pass: it lists pages of one object on one side, merges each
// record with its counterpart on the other side and writes the result on both, heartbeating
// the cursor after each page so that a retried stretch resumes from the last page done.
func (a *Activities) SyncPass(ctx context.Context, in PassInput) (PassResult, error) {
	res, err := a.syncPass(ctx, in)
	if err != nil {
		recordFailure(ctx, in, err)
	}
	return res, err
}

func (a *Activities) syncPass(ctx context.Context, in PassInput) (res PassResult, err error) {
	// A panic here (a connector's FindByKey or Get decoding an answer it cannot read, a bug
	// in the merge) would otherwise fail the attempt with the SDK's PanicError, which the
	// pass's retry policy retries without end, a stack trace for its only message: it is the
	// configuration error naming the pass and its page instead, which pauses the connection
	// with that message (see recoverAs).
	defer recoverAs("SyncPass", func() string { return passAt(in, cmp.Or(res.Position, in.Position), res.Pages) }, &err)
	p, err := a.newPass(ctx, in)
	if err != nil {
		return PassResult{}, toTemporal(err)
	}
	if err := p.checkStartDate(ctx, !in.Plan); err != nil {
		return PassResult{}, toTemporal(err)
	}
	if err := p.checkMarked(ctx); err != nil {
		return PassResult{}, toTemporal(err)
	}
	res = PassResult{Position: in.Position, Since: in.Since, PassStart: in.PassStart, AsOf: in.AsOf}
	if activity.HasHeartbeatDetails(ctx) {
		var hb PassResult
		if err := activity.GetHeartbeatDetails(ctx, &hb); err == nil {
			res = hb
		}
		if res.Done {
			// The last attempt finished (its cursor set) and its answer was lost: reading
			// the pass again from its last page, or from the start, would add nothing.
			return res, nil
		}
	}
	if res.PassStart.IsZero() {
		res.PassStart = a.now().UTC()
		if err := p.noteTables(ctx); err != nil {
			return res, err
		}
		if in.Mode == ModeIncremental {
			res.Since, err = p.since(ctx)
			if err != nil {
				return res, toTemporal(err)
			}
		}
	}
	switch {
	case in.Plan && (in.Mode == ModeMark || in.Mode == ModeSkip):
		res.Done = true // nothing to plan, and no cursor to set
		return res, nil
	case in.Mode == ModeMark:
		return p.markSide(ctx, res)
	case in.Mode == ModeSkip:
		res.Done = true
		return res, p.setCursor(ctx, res.PassStart.Format(time.RFC3339Nano), res.Since)
	}
	if p.pauses.pausedOnRetry(ctx) {
		return res, nil // paused during the backoff: the rest after the resume, from here
	}
	limit := newStretchLimit(ctx, in.Stretch)
	alive := heartbeat.Start(ctx, res, heartbeat.Options{})
	defer alive.Stop()
	if in.Mode == ModeIncremental && res.Pages == 0 && res.Position == "" {
		// Records held back for a link paired since go first (see releaseWaits). A retry
		// finds only those still waiting.
		c, err := p.releaseWaits(ctx)
		res.Counts.Add(c)
		recordCounts(ctx, in, c)
		if err != nil {
			return res, toTemporal(err)
		}
		alive.Commit(ctx, res)
	}

	// Stopping at the limit leaves a prefetched page unread: cancel its reader.
	readCtx, stopReading := context.WithCancel(ctx)
	defer stopReading()
	since := res.Since
	if start := p.conn.Start(); since.Before(start) {
		since = start // records changed before the start date are never read
	}
	pages := p.prefetch(readCtx, res.Position, since)
	committed := res.Pages // pages committed before this attempt
	for pg := range pages {
		err := pg.err
		var counts Counts
		if err == nil {
			counts, err = p.processPage(ctx, pg.page.Records, pg.readAt)
		}
		if err == nil {
			err = p.quarantineUnreadable(ctx, pg.page.Unreadable, &counts)
		}
		if err != nil {
			// What the page wrote before it failed is saved: count it now, in the heartbeat
			// a retry resumes from too. (A dry run wrote nothing: its page plans it again.)
			if w := counts.writes(); w != (Counts{}) && !in.Plan {
				res.Counts.Add(w)
				recordCounts(ctx, in, w)
				alive.Commit(ctx, res)
			}
			if stoppedAtAWait(ctx, err) {
				return res, nil // the worker's stop, not a failure: the page goes again on the next worker
			}
			if passingFailure(ctx, err, res.Pages > committed) {
				recordFailure(ctx, in, err)
				return res, nil
			}
			return res, toTemporal(err)
		}
		counts.Read += pg.page.Filtered
		counts.Filtered += pg.page.Filtered
		res.Counts.Add(counts)
		recordCounts(ctx, in, counts)
		res.Pages++
		res.Position = pg.page.Cursor
		if asOf := pg.page.AsOf; !asOf.IsZero() && (res.AsOf.IsZero() || asOf.Before(res.AsOf)) {
			res.AsOf = asOf
		}
		if !pg.page.More {
			res.Done = true
		}
		if res.Done && !in.Plan { // a dry run moves no cursor
			// The next pass reads from the moment this one started (or from the earlier
			// moment an answer from an earlier read went up to); the overlap window,
			// applied when reading, covers clock skew and records changed while it ran.
			next := res.PassStart
			if !res.AsOf.IsZero() && res.AsOf.Before(next) {
				next = res.AsOf
			}
			if err := p.setCursor(ctx, next.Format(time.RFC3339Nano), res.Since); err != nil {
				return res, err
			}
		}
		alive.Commit(ctx, res)
		if res.Done || limit.reached() || p.pauses.pausedNow(ctx) {
			break
		}
	}
	return res, ctx.Err()
}

// quarantineUnreadable quarantines the records a page could not read, by their id, with
// the reason the connector gave (a dry run counts them).
func (p *pass) quarantineUnreadable(ctx context.Context, recs []connectors.Unreadable, c *Counts) error {
	for _, u := range recs {
		c.Read++
		c.Quarantined++
		if p.in.Plan {
			continue
		}
		if err := p.quarantine(ctx, store.Side(p.side), connectors.Record{ID: u.ID}, fmt.Sprintf("%s %s cannot be read: %s", p.x.System(), p.objX, u.Reason)); err != nil {
			return err
		}
	}
	return nil
}

// pass is the state of one stretch.
type pass struct {
	a        *Activities
	in       PassInput
	conn     *config.Connection
	obj      *config.Object
	side     engine.Side
	x, y     connectors.Connector // x is read, y is the other side
	objX     string
	objY     string
	pageSize int
	// marked is the initial import's mark of this side, when it marked the side instead of
	// importing it: the records it holds back stay on their side.
	marked *mark
	// creates is false when this side's records are not created on the other: no field
	// travels from it, or the object matches on a key that no field carries there (a
	// connection to Sellsy only, whose amounts go to Automation). A record created without
	// its key could never be found by it again: a lost create answer would be made twice,
	// and Automation hides a contact without an e-mail as anonymous.
	creates bool
	// keyIsYsID is true when the object matches on the record id of side y (IDCRM): a create
	// there gives the key, and a key naming no record there names one that is gone.
	keyIsYsID bool
	// idOn says, per side, whether the object maps or matches the record's id there
	// (config.RecordID): its records then carry it as a field.
	idOn map[engine.Side]bool
	// release is set by RetryQuarantined: a record held after an interrupted create (see
	// holdInterrupted) has been looked at, and is created.
	release bool
	// pauses asks between two pages whether the pass's workflow was paused meanwhile (a dry
	// run writes nothing, and never asks).
	pauses pauseWatch
	// cursor is the side's cursor once read (checkMarked, since): one read per attempt.
	cursor *storedCursor
	// stages is the connection's pipelines, once the strict check of the status maps passed
	// for a pass of an object one moves (checkStages).
	stages *stagePass
	// refs resolves the names of the connection's pipelines and steps (pipelineRefs).
	refs *pipelineRefs
	// lastSaved holds the side-x ids of the records whose pairs the previous page saved:
	// the next page, read while that one was written, may hold them again, read after them
	// (see freshen).
	lastSaved map[string]bool
}

// markKey is where the store keeps when the initial import skipped a side of an object.
func markKey(object string) string { return object + "@marked" }

// withRecordID gives the records of side s their id as the field config.RecordID when the
// object maps or matches it there, so that the engine reads, compares and copies it like any
// other field (the Sellsy opportunity id written into the Altior affaire's cf.SLSY).
func (p *pass) withRecordID(s engine.Side, recs []connectors.Record) {
	if !p.idOn[s] {
		return
	}
	for i := range recs {
		if recs[i].Fields == nil {
			recs[i].Fields = map[string]any{}
		}
		recs[i].Fields[config.RecordID] = recs[i].ID
	}
}

// withIDKey adds to the fields written on side y, when the object pairs on the id of side x's
// records (match: {a: id, b: cf.SLSY}), that id in y's match field: on a create, so that a
// retried create finds the record it made instead of making another; on a paired record
// written for another reason that does not hold it yet (paired before the connection matched
// on ids).
func (p *pass) withIDKey(it *item, theirs map[string]any) map[string]any {
	if p.side.MatchField(p.obj.Match) != config.RecordID {
		return theirs
	}
	field := p.side.Other().MatchField(p.obj.Match)
	if it.y != nil && engine.MatchKey(it.y.Fields[field]) == engine.MatchKey(it.x.ID) {
		return theirs
	}
	if theirs == nil {
		theirs = map[string]any{}
	}
	theirs[field] = it.x.ID
	return theirs
}

// namesRecordID reports, per side, whether an object's match or fields name the record id.
func namesRecordID(o *config.Object) map[engine.Side]bool {
	out := map[engine.Side]bool{
		engine.A: o.Match.A == config.RecordID,
		engine.B: o.Match.B == config.RecordID,
	}
	for _, f := range o.Fields {
		out[engine.A] = out[engine.A] || f.A == config.RecordID
		out[engine.B] = out[engine.B] || f.B == config.RecordID
	}
	return out
}

// matchKey returns the key an unpaired record is looked up by on the other side: "" when it
// has none, or when the object matches nothing (initial.match: false).
func (p *pass) matchKey(r connectors.Record) string {
	if !p.obj.MatchesOnKey() {
		return ""
	}
	return engine.MatchKey(r.Fields[p.side.MatchField(p.obj.Match)])
}

// lookupValue is the value an unpaired record of side x is looked up by on side y, given its
// key. The key (lower case, spaces collapsed) serves the fields connectors search whatever
// their case (e-mails, names, SIRET); a record id and a custom field ("cf.<CODE>"), which
// systems compare exactly (Altior's cf.<CODE> search is case-sensitive), are looked up as
// written, spaces collapsed. Either way the answers are indexed by their key (findByKey).
func (p *pass) lookupValue(r connectors.Record, key string) string {
	field := p.side.Other().MatchField(p.obj.Match)
	if field != config.RecordID && !strings.HasPrefix(field, "cf.") {
		return key
	}
	return p.written(r, key)
}

// lookupValues is lookupValue, and for a number written in groups (a SIRET "123 456 789
// 00012", whose key is its digits) the value as written too, and for a SIRET or a SIREN the
// way French registers write it ("123 456 789 00012"): a system that compares exactly
// (weavy's equal) finds it only as the other side stores it, whole or in groups; and a value
// whose key composed its accents, as written too.
func (p *pass) lookupValues(r connectors.Record, key string) []string {
	out := []string{p.lookupValue(r, key)}
	if w := p.written(r, key); strings.ReplaceAll(w, " ", "") == key && !slices.Contains(out, w) {
		out = append(out, w)
	}
	if g := inGroups(key); g != "" && !slices.Contains(out, g) {
		out = append(out, g)
	}
	if w := strings.ToLower(p.written(r, key)); out[0] == key && !slices.Contains(out, w) {
		// Accents written as letters and combining marks: the key composes them, a system
		// that compares exactly finds the value only as the other side stores it.
		out = append(out, w)
	}
	return out
}

// inGroups writes a SIRET (14 digits) or a SIREN (9) in its usual groups of three, "" for
// another key.
func inGroups(key string) string {
	if (len(key) != 14 && len(key) != 9) || strings.Trim(key, "0123456789") != "" {
		return ""
	}
	return strings.TrimSpace(key[0:3] + " " + key[3:6] + " " + key[6:9] + " " + key[9:])
}

// written is the match field of r as written, spaces collapsed; key when it is a number.
func (p *pass) written(r connectors.Record, key string) string {
	s, ok := engine.Canon(r.Fields[p.side.MatchField(p.obj.Match)]).(string)
	if !ok {
		return key // a number: its key is how it is written
	}
	return strings.Join(strings.Fields(s), " ")
}

// linkRequirer is a connector whose objects need some links to be created (an Altior affaire
// its tiers).
type linkRequirer interface {
	RequiredLinks(object string) []string
}

// waitsForLink reports whether a record about to be created on side y would miss a link y
// requires because the record it links to is not paired yet (a company at SA = no, an
// individual not synced yet). It is held back rather than refused, and goes across at the
// first pass after that record is paired (noteWaits, releaseWaits). A record that links to
// nothing at all is not held: its create is refused and quarantined with the reason.
func (p *pass) waitsForLink(it *item, linkY map[string]string) bool {
	lr, ok := p.y.(linkRequirer)
	if !ok {
		return false
	}
	for _, key := range lr.RequiredLinks(p.objY) {
		if linkY[key] != "" {
			continue
		}
		for _, l := range p.obj.Links {
			if ref, links := it.links[l]; links && !ref.none() && p.conn.LinkKey(l, string(p.side.Other())) == key {
				return true
			}
		}
	}
	return false
}

func (a *Activities) newPass(ctx context.Context, in PassInput) (*pass, error) {
	c, err := a.Conns.Config(in.Connection)
	if err != nil {
		return nil, err
	}
	obj, ok := c.Object(in.Object)
	if !ok {
		return nil, configError(errUnknownObject(c, in.Object))
	}
	ca, cb, err := a.Conns.Connectors(in.Connection)
	if err != nil {
		return nil, err
	}
	p := &pass{a: a, in: in, conn: c, obj: obj, side: engine.Side(in.Side), pageSize: in.PageSize, idOn: namesRecordID(obj)}
	p.creates = engine.CreatedOn(c, obj, p.side.Other())
	p.keyIsYsID = p.side.Other().MatchField(obj.Match) == config.RecordID
	if p.pageSize <= 0 {
		p.pageSize = DefaultPageSize
	}
	if !in.Plan {
		p.pauses = workflowPauseWatch(a.WorkflowPaused)
	}
	switch p.side {
	case engine.A:
		p.x, p.y, p.objX, p.objY = ca, cb, obj.AObject, obj.BObject
	case engine.B:
		p.x, p.y, p.objX, p.objY = cb, ca, obj.BObject, obj.AObject
	default:
		return nil, configError(fmt.Errorf("side %q is neither a nor b", in.Side))
	}
	if p.marked, err = loadMark(ctx, a.Store, in.Connection, in.Object, store.Side(in.Side), p.gated()); err != nil {
		return nil, err
	}
	return p, nil
}

// NeedsMark reports whether only the initial import's mark keeps the existing records of one
// side ("a" or "b") of an object on their side: the side's records are created on the other,
// and initial.from_a (from_b) is false. An incremental sync refuses to read such a side before
// the import has marked it (checkMarked).
func NeedsMark(c *config.Connection, o *config.Object, side string) bool {
	return !o.ImportsFrom(side) && engine.CreatedOn(c, o, engine.Side(side).Other())
}

// checkMarked refuses an incremental pass of a side whose existing records are not to be
// sent (initial.from_a or from_b false) while the initial import has not marked it: only the
// mark holds those records back, and without one every record the pass reads would be created
// on the other side (a sync started before its import ended, or an object given that choice
// since the import). The configuration error pauses the sync, saying to run the import. A
// side with a cursor but no mark goes on: it has been read before (an import of the versions
// that kept no mark, a sync started with --no-import), so its pass is no first read of every
// record.
func (p *pass) checkMarked(ctx context.Context) error {
	if p.in.Mode != ModeIncremental || p.marked != nil || !NeedsMark(p.conn, p.obj, p.in.Side) {
		return nil
	}
	if _, read, err := p.sideCursor(ctx); err != nil || read {
		return err
	}
	return configError(fmt.Errorf("%s: object %s, side %s: initial.from_%s is false: the %s %s records that exist before the initial import are not to be sent, and no import has marked them yet: run `crmsync start import %s --wait` (it marks side %s and sends none of them), then `crmsync resume %s`",
		p.conn.File, p.in.Object, p.in.Side, p.in.Side, p.x.System(), p.objX, p.in.Connection, p.in.Side, p.in.Connection))
}

// outsidePipelines reports whether a side-A record of an object with pipelines configured is
// in none of them (a Sellsy opportunity of a pipeline the connection does not bind): it gets
// no counterpart, as the guide's "one configuration per pipeline you need" means. It goes
// once its pipeline is configured and it is read again (schedule.full_read) or changes.
func (p *pass) outsidePipelines(r connectors.Record) bool {
	return p.side == engine.A && slices.Contains(pipelineObjects(p.conn), p.in.Object) && p.pipelineOf(r) == nil
}

// otherKind reports the first field of side y's filter that a record found by key holds with
// another value, when that value says what kind of record it is (a text: Altior's kind,
// moral or physical; a list: Sellsy's type, prospect or client) rather than whether it syncs
// (a yes/no gate, which a match joins). want is shown for a user (prospect or client).
func (p *pass) otherKind(y connectors.Record) (field string, has any, want string) {
	filter := p.obj.Filter.Of(string(p.side.Other()))
	for _, k := range slices.Sorted(maps.Keys(filter)) {
		want := filter[k]
		if _, gate := want.(bool); gate {
			continue
		}
		if v := y.Fields[k]; v != nil && !holds(v, want) {
			return k, v, config.FilterText(want)
		}
	}
	return "", nil, ""
}

// passes reports whether a record holds every value of a filter (one of a list's).
func passes(r connectors.Record, filter map[string]any) bool {
	for k, want := range filter {
		if !holds(r.Fields[k], want) {
			return false
		}
	}
	return true
}

// holds reports whether a record's value v is a filter value: the one value, or any of a
// list's.
func holds(v, want any) bool {
	if list, ok := want.([]any); ok {
		return slices.ContainsFunc(list, func(w any) bool { return engine.Equal(v, w) })
	}
	return engine.Equal(v, want) // one value: no list made for it, per record of every page
}

// startDateKey is where the store keeps the start date a connection first ran with.
const startDateKey = "_start_date"

// checkStartDate fixes the connection's start date the first time it runs (a dry run, !fix,
// does not) and refuses a later change: records before the old date were never read, and
// moving it would silently import them or leave a gap.
func (p *pass) checkStartDate(ctx context.Context, fix bool) error {
	got, ok, err := p.a.Store.Cursor(ctx, p.conn.Name, startDateKey, store.SideA)
	if err != nil {
		return err
	}
	if !ok && !fix {
		return nil // a dry run fixes nothing
	}
	if !ok {
		return p.a.Store.SetCursor(ctx, p.conn.Name, startDateKey, store.SideA, p.conn.StartDate)
	}
	if got != p.conn.StartDate {
		was := got
		if was == "" {
			was = "none"
		}
		return configError(fmt.Errorf("%s: start_date: the connection first ran with %s and it cannot change (records before it were never read): put it back, or start a new connection under another name", p.conn.File, was))
	}
	return p.checkStartZone(ctx, fix)
}

// startZoneKey is where the store keeps the side-A time zone a start date was first applied in.
const startZoneKey = "_start_zone"

// checkStartZone binds side A's time_zone setting as the start date is bound: the start date's
// midnight is in that zone, so a changed zone would move it by hours, reading orders that were
// never read or leaving some out. A connection without a start date is free to change it;
// one that ran before the zone was kept has it kept now.
func (p *pass) checkStartZone(ctx context.Context, fix bool) error {
	if p.conn.StartDate == "" {
		return nil
	}
	zone := strings.TrimSpace(p.conn.A.Settings["time_zone"])
	got, ok, err := p.a.Store.Cursor(ctx, p.conn.Name, startZoneKey, store.SideA)
	switch {
	case err != nil:
		return err
	case !ok && !fix:
		return nil
	case !ok:
		return p.a.Store.SetCursor(ctx, p.conn.Name, startZoneKey, store.SideA, zone)
	case got != zone:
		was := got
		if was == "" {
			was = "none (the system's default)"
		}
		return configError(fmt.Errorf("%s: a.settings.time_zone: the start date was first applied in %s and it cannot change (the start date's midnight would move, and orders before it were never read): put it back, or start a new connection under another name", p.conn.File, was))
	}
	return nil
}

// codecs returns the value codecs of the pass's object.
func (p *pass) codecs(ctx context.Context) (*fieldCodecs, error) {
	a, b := p.x, p.y
	if p.side == engine.B {
		a, b = p.y, p.x
	}
	return p.a.Conns.codecs(ctx, p.conn, p.obj, a, b, p.a.now())
}

func errUnknownObject(c *config.Connection, name string) error {
	return fmt.Errorf("%s: no object %q in this connection (objects: %s)", c.File, name, strings.Join(c.ObjectNames(), ", "))
}

// storedCursor is a cursor read from the store: its value, and whether there was one.
type storedCursor struct {
	v  string
	ok bool
}

// sideCursor returns the side's cursor as the pass found it, reading the store once: the
// pass sets it only after both of its readers (checkMarked, since) have run.
func (p *pass) sideCursor(ctx context.Context) (string, bool, error) {
	if p.cursor == nil {
		v, ok, err := p.a.Store.Cursor(ctx, p.in.Connection, p.in.Object, store.Side(p.in.Side))
		if err != nil {
			return "", false, err
		}
		p.cursor = &storedCursor{v: v, ok: ok}
	}
	return p.cursor.v, p.cursor.ok, nil
}

// cursorTime reads a cursor of the pass's side, the object's own or, named, one of its
// tables'. One that is not a time is a configuration error: retried, the pass would fail the
// same way for ever, so the connection pauses until the cursor is set again.
func (p *pass) cursorTime(v, table string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		of := fmt.Sprintf("%s/%s side %s", p.in.Connection, p.in.Object, p.in.Side)
		if table != "" {
			of += ", table " + table + ","
		}
		return time.Time{}, &connectors.Error{Kind: connectors.KindConfig, System: "store", Op: "cursor",
			Message: fmt.Sprintf("the cursor of %s is not a time (%q): run crmsync resync %s --objects %s",
				of, v, p.in.Connection, p.in.Object)}
	}
	return t, nil
}

// since returns where an incremental pass starts reading: the side's cursor, or the earlier
// cursor of a table synced now (earliestTable), minus the overlap.
func (p *pass) since(ctx context.Context) (time.Time, error) {
	v, ok, err := p.sideCursor(ctx)
	if err != nil || !ok || v == "" {
		return time.Time{}, err
	}
	t, err := p.cursorTime(v, "")
	if err != nil {
		return time.Time{}, err
	}
	if t, err = p.earliestTable(ctx, t); err != nil || t.IsZero() {
		return t, err
	}
	return t.Add(-p.conn.Schedule.Overlap.Std()), nil
}

// passAt names where a pass whose page from cursor panicked was (pages: the pages of the
// pass done before it): the object, the side and the page, which the panic's own message
// (the system, the line of code) does not know.
func passAt(in PassInput, cursor string, pages int) string {
	return fmt.Sprintf("pass of %s from side %s, %s (page %d of the pass)", in.Object, in.Side, pageAt(cursor), pages+1)
}

// pageAt names the page a listing reads from cursor.
func pageAt(cursor string) string {
	if cursor == "" {
		return "the first page"
	}
	return fmt.Sprintf("the page after cursor %q", cursor)
}

type fetched struct {
	page   connectors.Page
	readAt time.Time // when the read of the page began
	err    error
}

// prefetch lists pages in the background, one page ahead of the writer, so that reading
// side x and writing side y overlap.
func (p *pass) prefetch(ctx context.Context, cursor string, since time.Time) <-chan fetched {
	out := make(chan fetched, 1)
	go func() {
		defer close(out)
		for {
			q := connectors.ListQuery{Since: since, Cursor: cursor, Limit: p.pageSize, NotBefore: p.in.CycleStart}
			readAt := p.a.now()
			page, err := p.list(ctx, q)
			select {
			case out <- fetched{page, readAt, err}:
			case <-ctx.Done():
				return
			}
			if err != nil || !page.More {
				return
			}
			cursor = page.Cursor
		}
	}()
	return out
}

// list reads one page of side x. It runs in prefetch's goroutine, which neither the
// activity's recover nor the Temporal SDK's covers: a panic in the connector's List would end
// the worker process (and then the next worker the attempt moves to). It becomes the page's
// error instead, not retried, naming the system, the object and the page's cursor; so does
// the error of a panic a connector recovered in a goroutine of its own.
func (p *pass) list(ctx context.Context, q connectors.ListQuery) (page connectors.Page, err error) {
	defer func() {
		err = connectors.PanicIn(err, fmt.Sprintf("listing %s (%s of side %s), %s", p.objX, p.in.Object, p.in.Side, pageAt(q.Cursor)))
	}()
	defer connectors.Recover(p.x.System(), "List "+p.objX, &err)
	return p.x.List(ctx, p.objX, q)
}

// checkStages runs, before a pass of an object a strict pipeline moves (a status_map, or
// follow) writes anything, the strict check of the status maps PipelineSync runs: an order at
// an unmapped status, or mapped to a status the module does not have, would otherwise be
// created in the module's first status, whose automations run for every card. The check is
// PipelineSync's, cached with it (statusMapRecheck): a stretch reads the shop's statuses and
// the module's schema only when no complete check is recent. Systems without pipelines are
// left to PipelineSync, which names that mistake.
func (p *pass) checkStages(ctx context.Context) error {
	if p.stages != nil || !slices.ContainsFunc(p.conn.Pipelines, func(pl config.Pipeline) bool { return pl.Object == p.in.Object && pl.Strict() }) {
		return nil
	}
	ca, cb := p.x, p.y
	if p.side == engine.B {
		ca, cb = p.y, p.x
	}
	sp, ok := p.a.stagePassOf(p.pipelineRefs(), ca, cb)
	if !ok {
		return nil
	}
	sp.reuseMeta = true
	if err := sp.checkStatusMaps(ctx, p.a.now()); err != nil {
		return err
	}
	p.stages = sp
	return nil
}

// atItsStage returns, for a record about to be created on side y, the fields that put it at
// its stage, when the object follows a pipeline (follow: true) and side y holds a record's
// event in a field (connectors.EventField: a MiniCRM card's StatusId): the card is created at
// its order's status, not in the module's first, whose automations would run for it (an import
// of old orders would mail every customer), with the stage's and pipeline's names
// PipelineSync writes. It returns the stage too, recorded in the new pair as propagated so
// that PipelineSync's first scan finds the card in step and writes nothing.
//
// A record whose stage has no mapped status of side y is not created (it would go to the
// first status): the map is checked again, and a mistake in it (a status added to the shop
// since the last check) fails the pass with a configuration error; a stage that cannot be
// mapped (a status deleted from the shop while orders hold it) quarantines the record with
// the reason returned, and is remembered with the check, so that the next stretches do not
// check again for it.
func (p *pass) atItsStage(ctx context.Context, x connectors.Record) (fields map[string]any, stage, reason string, err error) {
	ef, isField := p.y.(connectors.EventField)
	catalog, listed := p.y.(connectors.EventCatalog)
	if p.side != engine.A || !isField || !listed || p.stages == nil {
		return nil, "", "", nil
	}
	field := ef.EventField(p.objY)
	if field == "" {
		return nil, "", "", nil
	}
	cfg := p.pipelineOf(x)
	if cfg == nil || !cfg.Follow {
		return nil, "", "", nil
	}
	to := str(x.Fields[cfg.StageField])
	for {
		meta, err := p.stages.pipeline(ctx, cfg.Pipeline)
		if err != nil {
			return nil, "", "", err
		}
		events, err := catalog.EventOrder(ctx, p.objY)
		if err != nil {
			return nil, "", "", err
		}
		ev, mapped := cfg.Events[to]
		at := slices.Index(meta.order, to)
		switch {
		case to == "":
			reason = fmt.Sprintf("%s record has no %s: not created on %s, where it would start in the module's first status", p.x.System(), cfg.StageField, p.y.System())
		case !mapped:
			reason = fmt.Sprintf("%s status %q is not in pipeline %s's status map: not created on %s, where it would start in the module's first status; map it, then retry it", p.x.System(), to, cfg.Named(), p.y.System())
		case !slices.Contains(events, ev):
			reason = fmt.Sprintf("%s status %q maps to %q, which is not a status of %s %s: not created there, where it would start in the module's first status; map it to one, then retry it", p.x.System(), to, ev, p.y.System(), p.objY)
		case at < 0:
			reason = fmt.Sprintf("%s status %q is not a status of pipeline %s: not created on %s, where it would start in the module's first status", p.x.System(), to, cfg.Named(), p.y.System())
		}
		if reason != "" && !p.stages.fresh && !p.a.unmappable(p.conn.Name, p.y, to) {
			// Checked from the cache: the map may have gone wrong since (a status added to
			// the shop). Checked afresh, its mistake pauses the connection before this page
			// writes anything; a complete map leaves the record at fault.
			p.a.statusMaps.Delete(p.conn.Name)
			p.stages = nil
			if err := p.checkStages(ctx); err != nil || p.stages == nil {
				return nil, "", "", err
			}
			reason = ""
			continue
		}
		if reason != "" {
			if p.stages.fresh {
				p.a.noteUnmappable(p.conn.Name, p.y, to) // the next stretches need not check again
			}
			return nil, "", reason, nil
		}
		fields = map[string]any{field: ev}
		putStage(fields, cfg, meta.name, meta.stages[at].Name)
		return fields, to, "", nil
	}
}

// establishmentField is the side-B field a pipeline's establishment is written to, as
// PipelineSync does.
const establishmentField = "establishment_id"

// inItsEstablishment gives a record about to be created on side B the establishment of its
// pipeline (an affaire of "Grands comptes" in E2): created in the connection's own, it would
// sit in the wrong one until PipelineSync moved it. A value the record sets itself is kept.
func (p *pass) inItsEstablishment(x connectors.Record, fields map[string]any) map[string]any {
	if p.side != engine.A {
		return fields
	}
	cfg := p.pipelineOf(x)
	if cfg == nil || cfg.Establishment == "" || fields[establishmentField] != nil {
		return fields
	}
	if fields == nil {
		fields = map[string]any{}
	}
	fields[establishmentField] = cfg.Establishment
	return fields
}

// versionKey is where a pair's snapshot keeps the Version of the side's record last synced.
func versionKey(side engine.Side) string { return "@version/" + string(side) }

// older reports whether r, paired by pr, carries a Version older than the one last synced
// from its side.
func older(r connectors.Record, pr store.Pair, side engine.Side) bool {
	last, _ := pr.Snapshot[versionKey(side)].(string)
	return r.Version != "" && last != "" && r.Version < last
}

// freshen reads again the records whose pair was saved after their read began (a push, a
// quarantine retry or a pass of another worker got the object's lock first and synced them):
// merged against that newer snapshot, the older read would look like a change and write the
// record's earlier values back over what was just synced. The pass's own previous page is
// not such a writer: it read its records before this page did. A record no longer there is
// left out, for the reconciliation to see.
func (p *pass) freshen(ctx context.Context, records []connectors.Record, pairs map[string]store.Pair, readAt time.Time) ([]connectors.Record, error) {
	var stale []string
	isStale := map[string]bool{}
	for _, r := range records {
		if pr, ok := pairs[r.ID]; ok && pr.SyncedAt.After(readAt) && !p.lastSaved[r.ID] {
			stale = append(stale, r.ID)
			isStale[r.ID] = true
		}
	}
	if len(stale) == 0 {
		return records, nil
	}
	again, err := p.x.Get(ctx, p.objX, stale)
	if err != nil {
		return nil, err
	}
	p.withRecordID(p.side, again)
	byID := make(map[string]connectors.Record, len(again))
	for _, r := range again {
		byID[r.ID] = r
	}
	out := make([]connectors.Record, 0, len(records))
	for _, r := range records {
		if isStale[r.ID] {
			fresh, ok := byID[r.ID]
			if !ok {
				continue
			}
			r = fresh
		}
		out = append(out, r)
	}
	return out, nil
}

// synced reports whether a pair was ever synced whole: one saved after a create that was not
// whole has no field in its snapshot (see processPage), its record still being made.
func (p *pass) synced(pr *store.Pair) bool {
	if pr == nil {
		return false
	}
	for _, f := range p.obj.Fields {
		if _, ok := pr.Snapshot[f.Key()]; ok {
			return true
		}
	}
	return false
}

// linkKey is the snapshot key of a link, holding the side-A id of the linked record.
func linkKey(object string) string { return "@" + object }

// item is one record of a page on its way through the plan.
type item struct {
	x    connectors.Record
	pair *store.Pair
	// snap is pair's snapshot in merge space (snapshotInMergeSpace, a converted copy), taken
	// once per record for both the Unchanged check and the merge.
	snap     map[string]any
	y        *connectors.Record
	links    map[string]linkRef // linked object → ids of the linked record, from x
	decision engine.Decision
	// synced holds, for the links x reads as none where the last sync had one, the id on
	// side y of the record linked then (resolveSynced).
	synced map[string]string
	// stage is the stage a record is created at on side y (atItsStage), recorded in its pair
	// as propagated.
	stage string
}

// processPage merges and writes one page of records read on side x, whose read began at
// readAt.
func (p *pass) processPage(ctx context.Context, records []connectors.Record, readAt time.Time) (c Counts, err error) {
	c.Read = len(records)
	if len(records) == 0 {
		return c, nil
	}
	// Before the object's lock is taken and anything is written: the check reads both systems.
	if err := p.checkStages(ctx); err != nil {
		return c, err
	}
	if p.side == engine.A && slices.Contains(pipelineObjects(p.conn), p.in.Object) {
		// Which records have a pipeline configured, when the file names some by name.
		if err := p.pipelineRefs().prepare(ctx, p.in.Object, records); err != nil {
			return c, err
		}
	}
	conn, object := p.in.Connection, p.in.Object
	xSide, ySide := store.Side(p.side), store.Side(p.side.Other())
	// A record whose id the store cannot keep (longer than store.MaxIDBytes, a NUL) is set
	// aside with the reason, rather than failing its page at every attempt.
	kept := records[:0:0]
	for _, r := range records {
		if err := store.CheckID(r.ID); err != nil {
			c.Quarantined++
			if err := p.quarantine(ctx, xSide, r, fmt.Sprintf("not synced: %v", err)); err != nil {
				return c, err
			}
			continue
		}
		kept = append(kept, r)
	}
	records = kept
	readIDs := make([]string, len(records))
	for i, r := range records {
		readIDs[i] = r.ID
	}
	if !p.in.Plan {
		// From matching to saving the pairs, one writer per object of a connection: a push or
		// a retry of the quarantine meeting a pass on the same new record would otherwise
		// both find it unpaired and both create it.
		held, unlock, lockErr := p.a.Store.LockHeld(ctx, conn+"/"+object)
		if lockErr != nil {
			return c, lockErr
		}
		defer unlock()
		// The page's work goes on under the lock's context: should the lock be lost (its
		// database session ended, another worker may hold it now), what is under way stops,
		// the pairs are not saved, and the page fails saying why (see lockLost).
		ctx = held
		defer func() {
			if lost := lockLost(held); err != nil && lost != nil {
				err = lost
			}
		}()
	}

	p.withRecordID(p.side, records)
	// The pairs of the records read; those of records filtered out or quarantined below are
	// not used.
	pairs, err := p.a.Store.Pairs(ctx, conn, object, xSide, readIDs)
	if err != nil {
		return c, err
	}
	if records, err = p.freshen(ctx, records, pairs, readAt); err != nil {
		return c, err
	}
	// The object's filter on this side (a gate such as SA = yes) keeps records out.
	if filter := p.obj.Filter.Of(p.in.Side); len(filter) > 0 {
		kept := records[:0:0]
		var out []string
		for _, r := range records {
			if passes(r, filter) {
				kept = append(kept, r)
				continue
			}
			c.Filtered++
			out = append(out, r.ID)
			if !p.in.Plan {
				// Kept at its side by the mark, and now at the gate's no: opted out, so
				// that a yes again sends it across.
				if err := p.marked.release(ctx, r.ID); err != nil {
					return c, err
				}
			}
		}
		if err := p.marked.flush(ctx); err != nil {
			return c, err
		}
		if !p.in.Plan {
			if err := p.clearFilteredOut(ctx, out); err != nil {
				return c, err
			}
		}
		records = kept
	}
	fc, err := p.codecs(ctx)
	if err != nil {
		return c, err
	}
	// Side-A values are merged in side B's representation (select options through the value
	// map, dates, numbers…); a value that has no counterpart quarantines its record.
	converted := records[:0:0]
	for _, r := range records {
		m, err := fc.toMergeSpace(p.obj, p.side, r)
		if err != nil {
			c.Quarantined++
			if err := p.quarantine(ctx, xSide, r, err.Error()); err != nil {
				return c, err
			}
			continue
		}
		converted = append(converted, m)
	}
	records = converted

	links, err := p.resolveLinks(ctx, records, xSide)
	if err != nil {
		return c, err
	}

	items := make([]*item, 0, len(records))
	var fetchIDs, keys []string
	for _, r := range records {
		it := &item{x: r, links: links[r.ID]}
		if pr, ok := pairs[r.ID]; ok {
			it.pair = &pr
			if older(r, pr, p.side) {
				c.Unchanged++ // read from an older source than the one last synced
				continue
			}
			// Compared as the merge compares it (r is in merge space): a snapshot saved in an
			// older form made the record look changed, and its counterpart was read for nothing.
			it.snap = fc.snapshotInMergeSpace(p.obj, pr.Snapshot)
			if engine.Unchanged(fc.pair, p.side, r, it.snap) && p.linksUnchanged(it) {
				c.Unchanged++
				continue
			}
			fetchIDs = append(fetchIDs, p.otherID(pr))
		} else {
			key := p.matchKey(r)
			switch {
			case key != "":
				keys = append(keys, p.lookupValues(r, key)...)
			case !p.creates:
				// Neither paired by a key nor created: not this connection's business.
				c.Filtered++
				continue
			case p.obj.KeyRequired() && !p.keyIsYsID:
				// (A key that is the other side's record id is given by the create: IDCRM.)
				c.Quarantined++
				if err := p.quarantine(ctx, xSide, r, fmt.Sprintf("%s has no %s: %ss are matched on it", p.x.System(), p.side.MatchField(p.obj.Match), object)); err != nil {
					return c, err
				}
				continue
			}
			// Without a key (initial.match true or false), the record is created on the
			// other side: see unkeyed.
		}
		items = append(items, it)
	}

	if err := p.resolveSynced(ctx, items); err != nil {
		return c, err
	}
	byID, err := p.getByID(ctx, fetchIDs)
	if err != nil {
		return c, err
	}
	hits, err := p.findByKey(ctx, keys)
	if err != nil {
		return c, err
	}
	byKey := hits.byKey
	// A record found by key may already be paired with another record of side x (two
	// records of x share one e-mail): pairing it again would merge two people into one.
	var foundIDs []string
	for _, r := range byKey {
		foundIDs = append(foundIDs, r.ID)
	}
	takenY, err := p.a.Store.Pairs(ctx, conn, object, ySide, foundIDs)
	if err != nil {
		return c, err
	}

	var (
		creates, updatesY, updatesX []connectors.Record
		createItems, updYItems      []*item
		updXItems                   []*item
		save                        []*item
	)
	claimed := map[string]string{}  // id of side y → the record of side x of this page paired with it
	creating := map[string]string{} // match key → the record of side x created with it
	for _, it := range items {
		switch {
		case it.pair != nil:
			y, ok := byID[p.otherID(*it.pair)]
			if !ok {
				c.Missing++
				continue
			}
			it.y = &y
		default:
			key := p.matchKey(it.x)
			if y, ok := byKey[key]; ok && key != "" {
				if p.in.Plan && p.in.PlanMatchedByOther {
					c.Unchanged++
					continue
				}
				if field, has, want := p.otherKind(y); field != "" {
					// Found by key, but a record of another kind (an Altior company tiers
					// with the e-mail of a Sellsy individual): pairing would turn it into
					// this object's kind. A gate (SA = no) is joined; a kind is not.
					c.Quarantined++
					if err := p.quarantine(ctx, xSide, it.x, fmt.Sprintf("its %s matches %s record %s, whose %s is %v, not %v as this object's: not paired with it",
						p.side.MatchField(p.obj.Match), p.y.System(), y.ID, field, has, want)); err != nil {
						return c, err
					}
					continue
				}
				if taken, dup := takenY[y.ID]; dup && claimed[y.ID] == "" {
					// Paired with a record of x deleted since (where deletions do not
					// travel, the pair stays): the record with its key takes its place.
					stale, err := p.stalePair(ctx, taken)
					if err != nil {
						return c, err
					}
					// A weavy contact with the e-mail of an entrant paired before it
					// existed: the contact is what the rule updates, the entrant is
					// reported.
					sup, ok := p.x.(connectors.Superseder)
					superseded := !stale && ok && sup.Supersedes(p.objX, it.x.ID, p.xID(taken))
					if stale || superseded {
						// Free for this record: saving its pair replaces the old one (a
						// pair's ids are unique on both sides), so a write that fails
						// below leaves the old pair, not none, and a dry run changes nothing.
						delete(takenY, y.ID)
					}
					if superseded {
						c.Quarantined++
						if err := p.quarantine(ctx, xSide, connectors.Record{ID: p.xID(taken)}, fmt.Sprintf("superseded: %s record %s has its %s and now holds the pair with %s record %s; this one is no longer synced (merge or delete it in %s)",
							p.x.System(), it.x.ID, p.side.MatchField(p.obj.Match), p.y.System(), y.ID, p.x.System())); err != nil {
							return c, err
						}
					}
				}
				if taken, dup := takenY[y.ID]; dup || claimed[y.ID] != "" {
					other := p.x.System() + " record " + claimed[y.ID] + " (read with it)"
					if dup {
						other = p.x.System() + " record " + p.xID(taken)
					}
					c.Quarantined++
					if err := p.quarantine(ctx, xSide, it.x, fmt.Sprintf("duplicate %s: its %s record %s is already paired with %s", p.side.MatchField(p.obj.Match), p.y.System(), y.ID, other)); err != nil {
						return c, err
					}
					continue
				}
				claimed[y.ID] = it.x.ID
				it.y = &y
				if dups := hits.dups[key]; len(dups) > 0 {
					if err := p.reportDuplicates(ctx, &c, it.x, y, dups); err != nil {
						return c, err
					}
				}
			}
		}
		other := connectors.Record{Fields: map[string]any{}}
		if it.y != nil {
			other = *it.y
		}
		if it.y != nil {
			if other, err = fc.toMergeSpace(p.obj, p.side.Other(), other); err != nil {
				c.Quarantined++
				if err := p.quarantine(ctx, xSide, it.x, fmt.Sprintf("its %s counterpart %s: %v", p.y.System(), other.ID, err)); err != nil {
					return c, err
				}
				continue
			}
		}
		a, b := engine.Orient(p.side, it.x, other)
		fields := p.obj.Fields // a create sets every field…
		if it.y != nil {
			fields = fc.pair // …an update only those the target's API changes
		}
		it.decision = engine.Merge(fields, a, b, it.snap)
		if it.decision.UpdateA, err = fc.toSideA(it.decision.UpdateA); err != nil {
			c.Quarantined++
			if err := p.quarantine(ctx, xSide, it.x, err.Error()); err != nil {
				return c, err
			}
			continue
		}
		c.Conflicts += it.decision.Conflicts
		own, theirs := it.decision.Updates(p.side)
		linkX, linkY := p.planLinks(it)
		p.snapshotLinks(it, linkY)
		held := false
		if it.y == nil && p.creates {
			if held, err = p.marked.holds(ctx, it.x); err != nil {
				return c, err
			}
		}
		if it.y == nil && (!p.creates || held || p.waitsForLink(it, linkY) || p.outsidePipelines(it.x)) {
			// This side's records are not created on the other (see creates), the record
			// existed before the import skipped its side, or the record it must link to
			// on the other side is not paired yet: it is not created on the other (not
			// now, for the last).
			c.Filtered++
			continue
		}
		if it.y == nil {
			// Its stage first: a record that cannot be created at it is not created.
			at, stage, reason, err := p.atItsStage(ctx, it.x)
			if err != nil {
				return c, err
			}
			if reason != "" {
				c.Quarantined++
				if err := p.quarantine(ctx, xSide, it.x, reason); err != nil {
					return c, err
				}
				continue
			}
			// Two records of this page with one key and no counterpart yet (two weavy
			// contacts sharing an e-mail Automation lacks): one is created, the other
			// reported. Both would go in one batch, and a system that matches on the key
			// (Automation on e-mail) would answer both with one record, one pair lost.
			if key := p.matchKey(it.x); key != "" {
				if p.keyIsYsID {
					// Its key names a record of the other side that is not there (deleted,
					// or typed wrong): a new one would get another id. Someone decides.
					c.Quarantined++
					if err := p.quarantine(ctx, xSide, it.x, fmt.Sprintf("its %s %q names no %s %s: correct it, or empty it to create the record there", p.side.MatchField(p.obj.Match), fmt.Sprint(it.x.Fields[p.side.MatchField(p.obj.Match)]), p.y.System(), p.objY)); err != nil {
						return c, err
					}
					continue
				}
				if h, ok := hits.elsewhere[key]; ok {
					// Found by its key, though not in the match field: creating it would
					// make a second of what may be the same person; pairing with it may
					// merge two (an accounting address several share). Someone decides.
					c.Quarantined++
					if err := p.quarantine(ctx, xSide, it.x, fmt.Sprintf("its %[1]s is %[2]s record %[3]s's %[4]s, not its %[5]s: neither paired with it nor created as a second one; if they are the same, make it %[3]s's %[5]s (or give this record that one); if not, take it off %[3]s's %[4]s",
						p.side.MatchField(p.obj.Match), p.y.System(), h.rec.ID, h.field, p.side.Other().MatchField(p.obj.Match))); err != nil {
						return c, err
					}
					continue
				}
				if first, dup := creating[key]; dup {
					c.Quarantined++
					if err := p.quarantine(ctx, xSide, it.x, fmt.Sprintf("duplicate %s: %s record %s of the same page has it too, and only that one is created on %s", p.side.MatchField(p.obj.Match), p.x.System(), first, p.y.System())); err != nil {
						return c, err
					}
					continue
				}
				creating[key] = it.x.ID
			}
			// A record created on the other side belongs to the object there: it gets
			// that side's filter values (SA = yes on records that come up from Altior; a
			// list's first, prospect for Sellsy companies of type prospect or client).
			for k, v := range p.obj.Filter.Of(string(p.side.Other())) {
				if theirs == nil {
					theirs = map[string]any{}
				}
				theirs[k] = config.FilterGiven(v)
			}
			theirs = p.withIDKey(it, theirs)
			if len(at) > 0 {
				if theirs == nil {
					theirs = map[string]any{}
				}
				maps.Copy(theirs, at)
				it.stage = stage
			}
			theirs = p.inItsEstablishment(it.x, theirs)
			creates = append(creates, connectors.Record{Fields: theirs, Links: linkY})
			createItems = append(createItems, it)
			continue
		}
		// A record matched on the other side that its filter keeps out (SA = no) joins the
		// object there: it gets the filter values rather than a duplicate being created, as
		// does one whose create was not whole. A record paired and synced is left as it is:
		// SA = no there is the user's opting out, not a missing value.
		if filterY := p.obj.Filter.Of(string(p.side.Other())); !p.synced(it.pair) && !passes(*it.y, filterY) {
			if theirs == nil {
				theirs = map[string]any{}
			}
			for k, v := range filterY {
				if !holds(it.y.Fields[k], v) {
					theirs[k] = config.FilterGiven(v)
				}
			}
		}
		theirs = p.withIDKey(it, theirs)
		if len(theirs) > 0 || len(linkY) > 0 {
			updatesY = append(updatesY, connectors.Record{ID: it.y.ID, Fields: theirs, Links: linkY})
			updYItems = append(updYItems, it)
		}
		if len(own) > 0 || len(linkX) > 0 {
			updatesX = append(updatesX, connectors.Record{ID: it.x.ID, Fields: own, Links: linkX})
			updXItems = append(updXItems, it)
		}
		if len(theirs) == 0 && len(linkY) == 0 && len(own) == 0 && len(linkX) == 0 {
			c.Unchanged++ // matched as it is, or changed in a way that needs no write
		}
		save = append(save, it)
	}

	if p.in.Plan {
		p.countPlan(&c, len(creates), updYItems, updXItems)
		return c, nil
	}

	failed := map[*item]bool{}
	unsettled := map[*item]bool{} // created but not whole: saved, yet not in step
	// A write refused for a reason that is not the record's (quota, outage) fails the page
	// once what did succeed is saved: the retry finds those paired and unchanged, and the
	// others are written again rather than quarantined.
	var retry error
	keep := func(err error) {
		if retry == nil {
			retry = err
		}
	}
	creates, createItems, inflight, err := p.holdInterrupted(ctx, &c, creates, createItems)
	if err != nil {
		return c, err
	}
	if len(creates) > 0 {
		results, err := p.y.Create(ctx, p.objY, creates)
		if len(results) != len(creates) {
			// Not one per record: which answers which is unknown. None is used; the records
			// stay in flight, and the retry looks before creating any again.
			results, err = connectors.CheckResults(p.y.System(), "create", len(creates), nil, err)
		}
		if err != nil {
			// Some may have been created before the call failed: their pairs are saved
			// below, and the page fails with err after that.
			keep(err)
		}
		taken, err := p.answeredTaken(ctx, results, createItems, save)
		if err != nil {
			return c, err
		}
		for i, r := range results {
			if i >= len(createItems) {
				break
			}
			it := createItems[i]
			if r.ID == "" && r.Err == nil {
				continue // not attempted, or no answer: it stays in flight (see holdInterrupted)
			}
			if inflight != nil && (r.ID != "" || connectors.NothingWritten(r.Err)) {
				// Created or refused: either way, known. A failure that may come after the
				// system made it (a lost answer, a panic decoding it) keeps the record in
				// flight: the page fails with it, and its retry looks before creating
				// (holdInterrupted) instead of creating it twice.
				delete(inflight.creating, it.x.ID)
			}
			if t, ok := taken[i]; ok {
				// Its pair is not saved: it would replace the owner's, and that record
				// would never sync again.
				reason, err := p.giveBack(ctx, fc, t, creates[i], &c, keep)
				if err != nil {
					return c, err
				}
				c.Quarantined++
				if err := p.quarantine(ctx, xSide, it.x, reason); err != nil {
					return c, err
				}
				continue
			}
			if r.ID != "" && r.Err != nil {
				// Created, then a second call failed (Sellsy's custom fields, SA = yes among
				// them, go in a PUT after the POST): the record exists, so its pair is
				// saved — a retry must not create it again — and the failure is reported;
				// the next pass writes what is missing.
				it.y = &connectors.Record{ID: r.ID}
				// No snapshot: the record is not in step yet, so the next pass merges it
				// whole instead of finding it unchanged.
				it.decision.Snapshot = map[string]any{}
				p.count(&c, false, true)
				save = append(save, it)
				unsettled[it] = true // its quarantine entry, if any, stays
				if connectors.KindOf(r.Err) != connectors.KindInvalid {
					keep(r.Err)
					continue
				}
				c.Quarantined++
				if err := p.quarantine(ctx, xSide, it.x, fmt.Sprintf("created on %s as %s, but not whole: %v", p.y.System(), r.ID, r.Err)); err != nil {
					return c, err
				}
				continue
			}
			if r.Err != nil && connectors.KindOf(r.Err) != connectors.KindInvalid {
				keep(r.Err)
				continue
			}
			if r.Err != nil {
				c.Quarantined++
				if err := p.quarantine(ctx, xSide, it.x, fmt.Sprintf("create on %s refused: %v", p.y.System(), r.Err)); err != nil {
					return c, err
				}
				continue
			}
			it.y = &connectors.Record{ID: r.ID}
			p.count(&c, false, r.Created)
			save = append(save, it)
		}
	}
	if err := p.write(ctx, p.y, p.objY, updatesY, updYItems, failed, keep, &c, false); err != nil {
		return c, err
	}
	if err := p.write(ctx, p.x, p.objX, updatesX, updXItems, failed, keep, &c, true); err != nil {
		return c, err
	}

	newPairs := make([]store.Pair, 0, len(save))
	now := p.a.now().UTC()
	for _, it := range save {
		if failed[it] {
			continue
		}
		pr := store.Pair{Snapshot: it.decision.Snapshot, SyncedAt: now}
		for side, r := range map[engine.Side]*connectors.Record{p.side: &it.x, p.side.Other(): it.y} {
			if r != nil && r.Version != "" {
				if pr.Snapshot == nil {
					pr.Snapshot = map[string]any{}
				}
				pr.Snapshot[versionKey(side)] = r.Version
			}
		}
		if it.stage != "" && !unsettled[it] {
			// Created at its stage: PipelineSync's first scan finds it in step and writes
			// nothing. A create not whole may lack it: the scan writes it.
			if pr.Snapshot == nil {
				pr.Snapshot = map[string]any{}
			}
			pr.Snapshot[stageKey] = it.stage
		}
		if it.pair != nil {
			// State other activities keep in the snapshot (the stage PipelineSync last
			// propagated) survives a sync of the fields.
			for k, v := range it.pair.Snapshot {
				if _, set := pr.Snapshot[k]; !set && strings.HasPrefix(k, "@") {
					pr.Snapshot[k] = v
				}
			}
		}
		if p.side == engine.A {
			pr.AID, pr.BID = it.x.ID, it.y.ID
		} else {
			pr.AID, pr.BID = it.y.ID, it.x.ID
		}
		newPairs = append(newPairs, pr)
	}
	if err := lockLost(ctx); err != nil {
		return c, err
	}
	if err := p.a.Store.SavePairs(ctx, conn, object, newPairs); err != nil {
		if errors.Is(err, store.ErrBadID) {
			// A record created on y with an id the store cannot keep: retried, the page would
			// fail the same way. Paused with the id, for a person to look at.
			return c, configError(fmt.Errorf("%s: the pairs of %s could not be saved: %w", p.conn.File, object, err))
		}
		return c, err
	}
	// The next page, read before this one was written (prefetch), is not stale for a record
	// this page saved without writing it on x: its copy there is the one just merged. A
	// record written on x is: its copy on the next page (a listing that gives it again) is
	// from before the write, and freshen reads it again.
	p.lastSaved = make(map[string]bool, len(save))
	for _, it := range save {
		p.lastSaved[it.x.ID] = true
	}
	for _, it := range updXItems {
		delete(p.lastSaved, it.x.ID)
	}
	// Only now that the pairs are saved may their records leave the in-flight list.
	if err := p.setInflight(ctx, inflight); err != nil {
		return c, err
	}
	if err := p.clearQuarantine(ctx, save, failed, unsettled); err != nil {
		return c, err
	}
	if retry == nil {
		// The waits change once the page is written: a record released from its wait whose
		// write fails keeps it, and the retry (or the next pass) releases it again; no read
		// of its own would find it, as it did not change.
		if err := p.noteWaits(ctx, readIDs, links); err != nil {
			return c, err
		}
	}
	return c, retry
}

// lockLost returns a retryable error when ctx, a store.LockHeld context, ended because the
// lock was lost: another worker may be writing the same records, so nothing more is saved and
// the page is tried again under the lock. nil otherwise.
func lockLost(ctx context.Context) error {
	if cause := context.Cause(ctx); errors.Is(cause, store.ErrLockLost) {
		return &connectors.Error{Kind: connectors.KindRetryable, System: "crmsync", Op: "lock",
			Message: fmt.Sprintf("the object's lock was lost before its pairs were saved (%v): the page is tried again", cause)}
	}
	return nil
}

// takenAnswer is a create answered with a record that belongs to another record of side x.
type takenAnswer struct {
	yID   string
	owner string // id of the record of side x it belongs to
	// snapshot holds the values the owner's pair holds (or is about to), which the record
	// should have.
	snapshot map[string]any
	samePage bool // the owner is on this page, not paired before
}

// answeredTaken finds, by result, the creates answered with a record that is not theirs to
// pair with: one already paired with another record of side x, or given to another record of
// this page. A system that merges a create into an existing record does that (Automation a
// company into the one of the same name, a contact into the one of the same e-mail), and
// says so with Created false; a pair of a record no longer there is free, as when matching.
func (p *pass) answeredTaken(ctx context.Context, results []connectors.Result, items, saved []*item) (map[int]takenAnswer, error) {
	owners := map[string]*item{} // id of side y → the item of this page paired with it
	for _, it := range saved {
		if it.y != nil {
			owners[it.y.ID] = it
		}
	}
	var ids []string
	for i, r := range results {
		if i < len(items) && r.ID != "" {
			ids = append(ids, r.ID)
		}
	}
	if len(ids) == 0 {
		return nil, nil
	}
	pairs, err := p.a.Store.Pairs(ctx, p.in.Connection, p.in.Object, store.Side(p.side.Other()), ids)
	if err != nil {
		return nil, err
	}
	var out map[int]takenAnswer
	for i, r := range results {
		if i >= len(items) || r.ID == "" {
			continue
		}
		it := items[i]
		t := takenAnswer{yID: r.ID}
		if o, ok := owners[r.ID]; ok && o != it {
			t.owner, t.snapshot, t.samePage = o.x.ID, o.decision.Snapshot, true
		} else if pr, ok := pairs[r.ID]; ok && p.xID(pr) != it.x.ID {
			// The creates are made: a failed check leaves the pair to its owner rather
			// than failing the page before their pairs are saved.
			if stale, err := p.stalePair(ctx, pr); err != nil || !stale {
				t.owner, t.snapshot = p.xID(pr), pr.Snapshot
			}
		}
		if t.owner == "" {
			owners[r.ID] = it
			continue
		}
		if out == nil {
			out = map[int]takenAnswer{}
		}
		out[i] = t
	}
	return out, nil
}

// giveBack writes back on the record a create was merged into the values of its owner's
// pair, for the fields the create sent: left with the merged record's values, it would look
// changed at the next pass and carry them over the owner (the first establishment taking the
// second's SIRET). It returns the reason the merged record is quarantined with.
func (p *pass) giveBack(ctx context.Context, fc *fieldCodecs, t takenAnswer, sent connectors.Record, c *Counts, keep func(error)) (string, error) {
	owner := fmt.Sprintf("already paired with %s record %s", p.x.System(), t.owner)
	if t.samePage {
		owner = fmt.Sprintf("given to %s record %s of the same page", p.x.System(), t.owner)
	}
	reason := fmt.Sprintf("%[1]s answered its create with its existing record %[2]s (merged into it), %[3]s: not paired with it, which would take that pair; to sync it, make it differ from the other in what %[1]s merges on (a name, an e-mail), or create its counterpart on %[1]s by hand, then retry it from the quarantine",
		p.y.System(), t.yID, owner)
	fields := map[string]any{}
	for _, f := range p.obj.Fields {
		name := p.side.Other().Field(f)
		v, synced := t.snapshot[f.Key()]
		if _, ok := sent.Fields[name]; ok && synced {
			fields[name] = v
		}
	}
	if len(fields) == 0 {
		return reason, nil
	}
	var err error
	if p.side == engine.B {
		if fields, err = fc.toSideA(fields); err != nil {
			return reason + fmt.Sprintf("; its values were not written back on %s record %s: %v", p.y.System(), t.yID, err), nil
		}
	}
	res, err := p.y.Update(ctx, p.objY, []connectors.Record{{ID: t.yID, Fields: fields}})
	res, err = connectors.CheckResults(p.y.System(), "update", 1, res, err)
	if err == nil {
		err = res[0].Err
	}
	switch {
	case err == nil:
		p.count(c, false, false)
		return reason, nil
	case connectors.KindOf(err) != connectors.KindInvalid:
		keep(err) // the page fails and its retry merges and writes back again
		return reason, nil
	}
	return reason + fmt.Sprintf("; its values were not written back on %s record %s, check it: %v", p.y.System(), t.yID, err), nil
}

// inflightKey is where the store keeps, per side, the create guard of an object: the ids of
// the records whose create on the other side was sent and whose pair is not saved yet, and
// of those held after such a create was interrupted (see holdInterrupted).
func inflightKey(object string) string { return object + "@creating" }

// createGuard is what inflightKey holds. Both lists live in one value, so that a record moves
// from one to the other in a single write.
type createGuard struct {
	Creating []string `json:"creating,omitempty"`
	Held     []string `json:"held,omitempty"`

	creating, held map[string]bool
}

// holdInterrupted guards the creates of records without a match key. A record with a key is
// found again by it if the worker dies between its create and the saving of its pair, so a
// retry pairs it instead of creating it twice; one without a key (a prospect with no SIRET
// under initial.match: true, any record under false) cannot be found again. So its id is
// written to the store before the create, and taken out once the create is answered and the
// pairs are saved. A record found there when it is about to be created again was written by
// an interrupted attempt that may have created it: it is not created twice but quarantined,
// for someone to look on the other side, and held: every pass that reads it again (the next
// cycle's overlap, a resync, an edit) quarantines it again rather than create it, until
// `crmsync quarantine --retry` (RetryQuarantined, p.release) creates it once that is checked.
//
// It returns the creates to send, and the guard to save once the pairs are.
func (p *pass) holdInterrupted(ctx context.Context, c *Counts, creates []connectors.Record, items []*item) ([]connectors.Record, []*item, *createGuard, error) {
	if len(items) == 0 {
		return creates, items, nil, nil
	}
	g, err := p.inflight(ctx)
	if err != nil {
		return nil, nil, nil, err
	}
	changed := false
	keptRecs, keptItems := creates[:0:0], items[:0:0]
	for i, it := range items {
		id := it.x.ID
		if g.held[id] && p.release {
			delete(g.held, id) // looked at: created below like any other
			changed = true
		}
		// A record given a key since its interrupted create is held too: the copy that
		// create may have made does not have the key, so the lookup did not find it.
		if g.creating[id] || g.held[id] {
			if g.creating[id] {
				delete(g.creating, id)
				g.held[id], changed = true, true
			}
			c.Quarantined++
			reason := fmt.Sprintf("an earlier attempt to create it on %s was interrupted before its pair was saved, and it had no %s to be found by: look for it on %s; if it is there, pair or delete that copy; then retry it from the quarantine, which creates it",
				p.y.System(), p.side.MatchField(p.obj.Match), p.y.System())
			if err := p.quarantine(ctx, store.Side(p.side), it.x, reason); err != nil {
				return nil, nil, nil, err
			}
			continue
		}
		// A record created where the key is the record id cannot be found again by the key
		// it holds here (none yet, or a stale one): the new record is known by its answer only.
		if p.matchKey(it.x) == "" || p.keyIsYsID {
			g.creating[id], changed = true, true
		}
		keptRecs, keptItems = append(keptRecs, creates[i]), append(keptItems, it)
	}
	if !changed {
		return keptRecs, keptItems, nil, nil // nothing to note, nor to clear later
	}
	return keptRecs, keptItems, g, p.setInflight(ctx, g)
}

// inflight reads the create guard of the pass's object and side.
func (p *pass) inflight(ctx context.Context) (*createGuard, error) {
	g := &createGuard{creating: map[string]bool{}, held: map[string]bool{}}
	v, ok, err := p.a.Store.Cursor(ctx, p.in.Connection, inflightKey(p.in.Object), store.Side(p.side))
	if err != nil || !ok || v == "" {
		return g, err
	}
	if err := json.Unmarshal([]byte(v), g); err != nil {
		return nil, fmt.Errorf("store: the in-flight creates of %s/%s side %s are not a JSON object: %w", p.in.Connection, p.in.Object, p.side, err)
	}
	for _, id := range g.Creating {
		g.creating[id] = true
	}
	for _, id := range g.Held {
		g.held[id] = true
	}
	return g, nil
}

// setInflight saves the create guard (nil: there was nothing to change).
func (p *pass) setInflight(ctx context.Context, g *createGuard) error {
	if g == nil {
		return nil
	}
	v := ""
	if len(g.creating) > 0 || len(g.held) > 0 {
		g.Creating, g.Held = slices.Sorted(maps.Keys(g.creating)), slices.Sorted(maps.Keys(g.held))
		b, err := json.Marshal(g)
		if err != nil {
			return err
		}
		v = string(b)
	}
	return p.a.Store.SetCursor(ctx, p.in.Connection, inflightKey(p.in.Object), store.Side(p.side), v)
}

// clearQuarantine removes the quarantine entries of records that synced fine this time (a
// value map fixed, a duplicate resolved), so that what quarantine shows is what still fails.
// It costs one count per page while the connection has nothing in quarantine.
func (p *pass) clearQuarantine(ctx context.Context, saved []*item, failed, unsettled map[*item]bool) error {
	n, err := p.a.Store.CountQuarantine(ctx, p.in.Connection)
	if err != nil || n == 0 {
		return err
	}
	for _, it := range saved {
		if failed[it] || unsettled[it] {
			continue
		}
		if err := p.a.Store.ClearQuarantine(ctx, p.in.Connection, p.in.Object, store.Side(p.side), it.x.ID); err != nil {
			return err
		}
		if it.y != nil && it.y.ID != "" {
			if err := p.a.Store.ClearQuarantine(ctx, p.in.Connection, p.in.Object, store.Side(p.side.Other()), it.y.ID); err != nil {
				return err
			}
		}
	}
	return nil
}

// clearFilteredOut removes the quarantine entries of records the side's filter now keeps out
// (a duplicate switched to SA = no to settle it): the sync no longer sends them, so nothing
// would ever clear them. It costs one count per page while the connection has nothing in
// quarantine.
func (p *pass) clearFilteredOut(ctx context.Context, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	n, err := p.a.Store.CountQuarantine(ctx, p.in.Connection)
	if err != nil || n == 0 {
		return err
	}
	keys := make([]store.QuarantineKey, len(ids))
	for i, id := range ids {
		keys[i] = store.QuarantineKey{Object: p.in.Object, Side: store.Side(p.side), RecordID: id}
	}
	held, err := p.a.Store.StillQuarantined(ctx, p.in.Connection, keys)
	if err != nil {
		return err
	}
	for _, k := range held {
		if err := p.a.Store.ClearQuarantine(ctx, p.in.Connection, k.Object, k.Side, k.RecordID); err != nil {
			return err
		}
	}
	return nil
}

// write sends updates to one side and quarantines the records it refuses; a failure that is
// not a record's (the whole call, or a record's quota or outage) leaves them unsaved and is
// kept for the page to fail with.
func (p *pass) write(ctx context.Context, to connectors.Connector, object string, recs []connectors.Record, items []*item, failed map[*item]bool, keep func(error), c *Counts, own bool) error {
	if len(recs) == 0 {
		return nil
	}
	results, err := to.Update(ctx, object, recs)
	results, err = connectors.CheckResults(to.System(), "update", len(recs), results, err)
	if err != nil {
		for _, it := range items {
			failed[it] = true
		}
		keep(err)
		return nil
	}
	for i, r := range results {
		it := items[i]
		if r.Err != nil && connectors.KindOf(r.Err) != connectors.KindInvalid {
			failed[it] = true
			keep(r.Err)
			continue
		}
		if r.Err != nil {
			failed[it] = true
			c.Quarantined++
			if err := p.quarantine(ctx, store.Side(p.side), it.x, fmt.Sprintf("update on %s refused: %v", to.System(), r.Err)); err != nil {
				return err
			}
			continue
		}
		p.count(c, own, false)
	}
	return nil
}

// count adds one write to the counts of the side it went to.
func (p *pass) count(c *Counts, own, created bool) {
	onA := (p.side == engine.A) == own
	switch {
	case created && onA:
		c.CreatedA++
	case created:
		c.CreatedB++
	case onA:
		c.UpdatedA++
	default:
		c.UpdatedB++
	}
}

func (p *pass) otherID(pr store.Pair) string {
	if p.side == engine.A {
		return pr.BID
	}
	return pr.AID
}

func (p *pass) xID(pr store.Pair) string {
	if p.side == engine.A {
		return pr.AID
	}
	return pr.BID
}

func (p *pass) getByID(ctx context.Context, ids []string) (map[string]connectors.Record, error) {
	out := make(map[string]connectors.Record, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	recs, err := p.y.Get(ctx, p.objY, ids)
	if err != nil {
		return nil, err
	}
	p.withRecordID(p.side.Other(), recs)
	for _, r := range recs {
		out[r.ID] = r
	}
	return out, nil
}

// keyHits is what findByKey found on side y.
type keyHits struct {
	// byKey holds, by the key of its match field, the record kept for that key; dups the
	// other records sharing the key.
	byKey map[string]connectors.Record
	dups  map[string][]connectors.Record
	// elsewhere holds, by a key looked up that no record holds in its match field, a record
	// found by it that holds it in another field (an Altior contact found by its accounting
	// e-mail, its main one being another).
	elsewhere map[string]heldIn
}

// heldIn is a record found by a value it holds in another field than the match field.
type heldIn struct {
	rec   connectors.Record
	field string
}

// findByKey looks the unpaired records up on side y by their match key. When several records
// of y share a key, the oldest (lowest id order as returned first) is kept.
func (p *pass) findByKey(ctx context.Context, keys []string) (keyHits, error) {
	hits := keyHits{byKey: make(map[string]connectors.Record, len(keys))}
	if len(keys) == 0 {
		return hits, nil
	}
	field := p.side.Other().MatchField(p.obj.Match)
	var recs []connectors.Record
	var err error
	if field == config.RecordID {
		// Side y matches on its records' own id (an affaire's cf.SLSY holds its Sellsy
		// opportunity's id): they are read by id, which every system can, rather than
		// searched (Sellsy has no search by id). An id no longer there is not returned.
		recs, err = p.y.Get(ctx, p.objY, keys)
	} else {
		recs, err = p.y.FindByKey(ctx, p.objY, field, keys)
	}
	if err != nil {
		return keyHits{}, err
	}
	p.withRecordID(p.side.Other(), recs)
	found := make(map[string]bool, len(recs))
	for _, r := range recs {
		k := engine.MatchKey(r.Fields[field])
		if k == "" || found[r.ID] { // found by two spellings of its key
			continue
		}
		found[r.ID] = true
		if _, seen := hits.byKey[k]; seen {
			if hits.dups == nil {
				hits.dups = map[string][]connectors.Record{}
			}
			hits.dups[k] = append(hits.dups[k], r)
			continue
		}
		hits.byKey[k] = r
	}
	hits.elsewhere = p.heldElsewhere(recs, keys, hits.byKey)
	return hits, nil
}

// heldElsewhere finds, for each key looked up that no record holds in its match field, a
// record returned that holds it in another field: a system may search more than the match
// field (Altior finds a contact by any of its e-mails). Such a record is neither the key's
// counterpart nor proof that it has none, so the record looked up is not created (see
// processPage).
func (p *pass) heldElsewhere(recs []connectors.Record, keys []string, byKey map[string]connectors.Record) map[string]heldIn {
	field := p.side.Other().MatchField(p.obj.Match)
	wanted := map[string]bool{}
	for _, v := range keys {
		if k := engine.MatchKey(v); k != "" && byKey[k].ID == "" {
			wanted[k] = true
		}
	}
	if len(wanted) == 0 {
		return nil // every key found in its match field: nothing to look for elsewhere
	}
	var out map[string]heldIn
	for _, r := range recs {
		for _, f := range slices.Sorted(maps.Keys(r.Fields)) {
			s, ok := r.Fields[f].(string)
			if f == field || f == config.RecordID || !ok {
				continue
			}
			k := engine.MatchKey(s)
			if _, seen := out[k]; !wanted[k] || seen {
				continue
			}
			if out == nil {
				out = map[string]heldIn{}
			}
			out[k] = heldIn{rec: r, field: f}
		}
	}
	return out
}

// reportDuplicates quarantines, with a reason naming them all, the records of side y that
// share a match key with the one kept: exactly one record is updated, never silently.
func (p *pass) reportDuplicates(ctx context.Context, c *Counts, x connectors.Record, kept connectors.Record, dups []connectors.Record) error {
	field := p.side.Other().MatchField(p.obj.Match)
	ids := make([]string, len(dups))
	for i, d := range dups {
		ids[i] = d.ID
	}
	for _, d := range dups {
		c.Quarantined++
		reason := fmt.Sprintf("duplicate %s: %s records %s and %s share it; only %s is kept in step with %s record %s",
			field, p.y.System(), kept.ID, strings.Join(ids, ", "), kept.ID, p.x.System(), x.ID)
		if err := p.quarantine(ctx, store.Side(p.side.Other()), d, reason); err != nil {
			return err
		}
	}
	return nil
}

// quarantine keeps a refused record, with its reason, where `crmsync status` and the
// progress query show it. A dry run logs it instead.
func (p *pass) quarantine(ctx context.Context, side store.Side, r connectors.Record, reason string) error {
	if p.in.Plan {
		if activity.IsActivity(ctx) {
			activity.GetLogger(ctx).Info("dry run: would quarantine", "connection", p.in.Connection, "object", p.in.Object, "side", string(side), "record", r.ID, "reason", reason)
		}
		return nil
	}
	return p.a.quarantine(ctx, p.in.Connection, p.in.Object, side, r, reason)
}

// countPlan counts what a dry run would write: the creates on the other side and the
// updates of each.
func (p *pass) countPlan(c *Counts, creates int, updY, updX []*item) {
	for range creates {
		p.count(c, false, true)
	}
	for range updY {
		p.count(c, false, false)
	}
	for range updX {
		p.count(c, true, false)
	}
}

func (a *Activities) quarantine(ctx context.Context, connection, object string, side store.Side, r connectors.Record, reason string) error {
	raw, err := json.Marshal(r)
	if err != nil {
		return err
	}
	return a.Store.Quarantine(ctx, store.QuarantineEntry{
		Connection: connection, Object: object, Side: side, RecordID: r.ID,
		Reason: reason, Record: raw, At: a.now().UTC(),
	})
}

// stalePair reports whether the side-x record of a pair is gone: not returned by a lookup,
// and confirmed deleted at its own address where the system allows (connectors.GoneConfirmer),
// so that a lookup answered wrongly never unpairs a record.
func (p *pass) stalePair(ctx context.Context, pr store.Pair) (bool, error) {
	id := p.xID(pr)
	got, err := p.x.Get(ctx, p.objX, []string{id})
	if err != nil || len(got) > 0 {
		return false, err
	}
	gone, err := p.confirmedGone(ctx, []string{id})
	return len(gone) == 1, err
}

// markIDsKey is where the store says whether, and how, the initial import kept the records
// of a side that passed the object's gate when it marked that side (see markSide): "" or
// absent, it did not (a mark of a side without a gate, or a mark made before marks kept
// them); "reading <n>" while the mark lists the side (n chunks written); "ids <count>
// <shards>" once they are kept, in shards (markShardKey).
func markIDsKey(object string) string { return object + "@marked-ids" }

// markShardKey holds one shard of a mark's ids: the ids whose hash falls in it (shardOf),
// compressed (encodeIDs).
func markShardKey(object string, i int) string { return fmt.Sprintf("%s@marked-ids/%d", object, i) }

// markChunkKey holds the ids one stretch of a mark's listing found passing the gate, until
// the listing ends and they are sharded.
func markChunkKey(object string, i int) string { return fmt.Sprintf("%s@marked-read/%d", object, i) }

const (
	// markChunk is how many ids a mark's listing gathers before writing them down (and
	// committing its position, so that a retry reads from there).
	markChunk = 5000
	// markShard is how many ids a shard of a mark holds at most on average: a pass reads
	// only the shards of the records it is about to create, a few KB each.
	markShard = 4096
)

// gated reports whether the object has a gate on the pass's side: a yes/no value its filter
// asks for (SA = yes), which a user switches per record to opt it in.
func (p *pass) gated() bool { return gatedOn(p.obj, p.in.Side) }

// gatedOn reports whether object o has a gate on side: a yes/no value its filter asks for (a
// list is never one: config refuses true and false in it).
func gatedOn(o *config.Object, side string) bool {
	for _, v := range o.Filter.Of(side) {
		if _, ok := v.(bool); ok {
			return true
		}
	}
	return false
}

// markSide runs a ModeMark pass: the side's existing records are not to be sent. The mark is
// when the import began, not when this pass runs: records created on this side while earlier
// objects were importing (hours, at Altior's pace) are new and must go. An earlier cursor only
// reads more.
//
// Without a gate on the side, the mark holds back the records created before it. With one (a
// Sellsy company goes down only at SA = yes), the gate is the user's per-record opt-in: the
// mark lists the side and keeps the ids of the records that pass the gate now, and holds back
// only those, so that a record switched to yes later goes across at the next cycle. The
// listing runs in stretches like a pass, and writes what it found at each commit.
func (p *pass) markSide(ctx context.Context, res PassResult) (PassResult, error) {
	st, conn, object, side := p.a.Store, p.in.Connection, p.in.Object, store.Side(p.in.Side)
	at := cmp.Or(p.in.CycleStart, res.PassStart).UTC().Format(time.RFC3339Nano)
	header, hasHeader, err := st.Cursor(ctx, conn, markIDsKey(object), side)
	if err != nil {
		return res, err
	}
	if !p.gated() {
		res.Done = true
		if err := st.SetCursor(ctx, conn, markKey(object), side, at); err != nil {
			return res, err
		}
		if hasHeader && header != "" {
			// An earlier mark's ids, from when the object had a gate, no longer apply.
			if err := st.SetCursor(ctx, conn, markIDsKey(object), side, ""); err != nil {
				return res, err
			}
		}
		return res, p.setCursor(ctx, at, time.Time{})
	}

	chunks := 0
	if n, reading := strings.CutPrefix(header, "reading "); reading && (res.Pages > 0 || res.Position != "") {
		chunks, _ = strconv.Atoi(n) // a retry or the next stretch: the chunks written so far
	} else {
		// A new mark (or one whose chunks are not there any more): from the first page. The
		// time goes first, so that a mark left unfinished holds back what was created before.
		res.Pages, res.Position = 0, ""
		if err := st.SetCursor(ctx, conn, markKey(object), side, at); err != nil {
			return res, err
		}
		if err := st.SetCursor(ctx, conn, markIDsKey(object), side, "reading 0"); err != nil {
			return res, err
		}
	}
	limit := newStretchLimit(ctx, p.in.Stretch)
	alive := heartbeat.Start(ctx, res, heartbeat.Options{})
	defer alive.Stop()
	readCtx, stopReading := context.WithCancel(ctx)
	defer stopReading()

	filter := p.obj.Filter.Of(p.in.Side)
	var found []string
	for pg := range p.prefetch(readCtx, res.Position, time.Time{}) { // every record, whenever it changed
		if pg.err != nil {
			return res, toTemporal(pg.err) // the retry reads again from the last commit
		}
		for _, r := range pg.page.Records {
			if passes(r, filter) {
				found = append(found, r.ID)
			}
		}
		for _, u := range pg.page.Unreadable {
			found = append(found, u.ID) // its values unknown: it existed, and stays
		}
		res.Pages++
		res.Position = pg.page.Cursor
		done := !pg.page.More
		stop := done || limit.reached() || p.pauses.pausedNow(ctx)
		if len(found) < markChunk && !stop {
			continue
		}
		if len(found) > 0 {
			if err := st.SetCursor(ctx, conn, markChunkKey(object, chunks), side, encodeIDs(found)); err != nil {
				return res, err
			}
			chunks++
			found = nil
			if err := st.SetCursor(ctx, conn, markIDsKey(object), side, fmt.Sprintf("reading %d", chunks)); err != nil {
				return res, err
			}
		}
		if done {
			if err := p.shardMark(ctx, chunks); err != nil {
				return res, err
			}
			if err := p.setCursor(ctx, at, time.Time{}); err != nil {
				return res, err
			}
			res.Done = true
		}
		alive.Commit(ctx, res)
		if stop {
			break
		}
	}
	return res, ctx.Err()
}

// shardMark spreads the ids a mark's listing wrote in chunks over shards, says so in the
// mark, and empties the chunks.
func (p *pass) shardMark(ctx context.Context, chunks int) error {
	st, conn, object, side := p.a.Store, p.in.Connection, p.in.Object, store.Side(p.in.Side)
	seen := map[string]bool{}
	for i := range chunks {
		v, _, err := st.Cursor(ctx, conn, markChunkKey(object, i), side)
		if err != nil {
			return err
		}
		ids, err := decodeIDs(v)
		if err != nil {
			return fmt.Errorf("store: mark of %s/%s side %s, chunk %d: %w", conn, object, side, i, err)
		}
		for _, id := range ids {
			seen[id] = true
		}
	}
	shards := max(1, (len(seen)+markShard-1)/markShard)
	split := make([][]string, shards)
	for id := range seen {
		i := shardOf(id, shards)
		split[i] = append(split[i], id)
	}
	for i, ids := range split {
		if err := st.SetCursor(ctx, conn, markShardKey(object, i), side, encodeIDs(ids)); err != nil {
			return err
		}
	}
	if err := st.SetCursor(ctx, conn, markIDsKey(object), side, fmt.Sprintf("ids %d %d", len(seen), shards)); err != nil {
		return err
	}
	for i := range chunks {
		if err := st.SetCursor(ctx, conn, markChunkKey(object, i), side, ""); err != nil {
			return err
		}
	}
	return nil
}

// shardOf is the shard of a mark's ids an id is kept in.
func shardOf(id string, shards int) int {
	h := fnv.New32a()
	h.Write([]byte(id))
	return int(h.Sum32() % uint32(shards))
}

// encodeIDs writes ids compactly for the store: sorted, one a line, deflated, in base64
// (numeric ids in order compress to a few bytes each).
func encodeIDs(ids []string) string {
	ids = slices.Clone(ids)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	var buf bytes.Buffer
	w, _ := flate.NewWriter(&buf, flate.BestCompression)
	_, _ = io.WriteString(w, strings.Join(ids, "\n"))
	_ = w.Close()
	return base64.RawStdEncoding.EncodeToString(buf.Bytes())
}

// decodeIDs reads what encodeIDs wrote ("" is none).
func decodeIDs(s string) ([]string, error) {
	if s == "" {
		return nil, nil
	}
	raw, err := base64.RawStdEncoding.DecodeString(s)
	if err != nil {
		return nil, err
	}
	b, err := io.ReadAll(flate.NewReader(bytes.NewReader(raw)))
	if err != nil {
		return nil, err
	}
	if len(b) == 0 {
		return nil, nil
	}
	return strings.Split(string(b), "\n"), nil
}

// mark is the initial import's mark of one side of an object, read from the store.
type mark struct {
	st           store.Store
	conn, object string
	side         store.Side
	// at is when the import began.
	at time.Time
	// shards, when not 0, says that the mark kept the ids of the records that passed the
	// side's gate (markSide), in so many shards; loaded holds those read so far.
	shards int
	loaded map[int]map[string]bool
	// dirty holds the shards release changed, written once by flush.
	dirty map[int]bool
}

// loadMark reads the mark of a side of an object: nil when the side was imported (or the
// initial import has not run). The ids a mark kept under a gate count only while the side
// is still gated: a gate taken out of the file since lets every record through, and the
// records created before the mark stay on their side, as on a side that never had one.
func loadMark(ctx context.Context, st store.Store, conn, object string, side store.Side, gated bool) (*mark, error) {
	v, ok, err := st.Cursor(ctx, conn, markKey(object), side)
	if err != nil || !ok {
		return nil, err
	}
	at, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return nil, nil
	}
	m := &mark{st: st, conn: conn, object: object, side: side, at: at, loaded: map[int]map[string]bool{}}
	h, _, err := st.Cursor(ctx, conn, markIDsKey(object), side)
	if err != nil {
		return nil, err
	}
	if f := strings.Fields(h); gated && len(f) == 3 && f[0] == "ids" {
		m.shards, _ = strconv.Atoi(f[2])
	}
	return m, nil
}

// holds reports whether the mark keeps a record on its side: "import existing opportunities:
// no" and "export existing Altior tiers: no" keep it out, even once it is edited (an edit
// moves it past the cursor, not its creation time).
//
// A mark that kept ids (a side with a gate, see markSide) holds back the records that passed
// the gate at the mark, unless they say they were created since; a record switched to SA =
// yes after the mark goes. A mark without ids (a side without a gate, or a mark made before
// marks kept them) holds back the records created before it; records of systems that do not
// say when they were created cannot be told apart, and go across once edited.
func (m *mark) holds(ctx context.Context, r connectors.Record) (bool, error) {
	if m == nil {
		return false, nil
	}
	// Creation times have a resolution of a second: a record of the mark's own second counts
	// as new rather than being left out.
	known := !r.CreatedAt.IsZero()
	before := known && r.CreatedAt.Before(m.at.Truncate(time.Second))
	if m.shards == 0 || (known && !before) {
		return before, nil
	}
	ids, err := m.shard(ctx, shardOf(r.ID, m.shards))
	if err != nil {
		return false, err
	}
	return ids[r.ID], nil
}

// shard returns the ids of shard i of the mark, read once.
func (m *mark) shard(ctx context.Context, i int) (map[string]bool, error) {
	if ids, ok := m.loaded[i]; ok {
		return ids, nil
	}
	v, _, err := m.st.Cursor(ctx, m.conn, markShardKey(m.object, i), m.side)
	if err != nil {
		return nil, err
	}
	list, err := decodeIDs(v)
	if err != nil {
		return nil, fmt.Errorf("store: mark of %s/%s side %s, shard %d: %w", m.conn, m.object, m.side, i, err)
	}
	ids := make(map[string]bool, len(list))
	for _, id := range list {
		ids[id] = true
	}
	m.loaded[i] = ids
	return ids, nil
}

// release lets go of a record the mark kept at its side (it passed the gate then): seen
// since at the gate's no (SA = no), it opted out, so that switched to yes again it goes
// across like any record opted in after the mark. flush writes the shards it changed.
func (m *mark) release(ctx context.Context, id string) error {
	if m == nil || m.shards == 0 {
		return nil
	}
	i := shardOf(id, m.shards)
	ids, err := m.shard(ctx, i)
	if err != nil || !ids[id] {
		return err
	}
	delete(ids, id)
	if m.dirty == nil {
		m.dirty = map[int]bool{}
	}
	m.dirty[i] = true
	return nil
}

// flush writes each shard release changed, once. The caller holds the object's lock.
func (m *mark) flush(ctx context.Context) error {
	if m == nil {
		return nil
	}
	for i := range m.dirty {
		if err := m.st.SetCursor(ctx, m.conn, markShardKey(m.object, i), m.side, encodeIDs(slices.Collect(maps.Keys(m.loaded[i])))); err != nil {
			return err
		}
		delete(m.dirty, i)
	}
	return nil
}
