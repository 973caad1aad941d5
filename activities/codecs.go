package activities

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/crmsync/crmsync/config"
	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/engine"
)

// codecTTL bounds how long field descriptions are trusted: options added to a select field
// on either side are picked up within this time.
const codecTTL = 15 * time.Minute

// fieldCodecs converts one object's mapped values between the two sides. The engine merges
// in side B's representation: side-A values are converted on the way in (AToB) and on the
// way out (BToA); side-B values that travel to A are taken as A would hold them (MergeA,
// MergeB).
type fieldCodecs struct {
	byA map[string]engine.Codec // keyed by the A field name
	// pair holds the mappings as they apply once both records exist (engine.PairFields):
	// a field one side sets only at creation travels from that side.
	pair []config.Field
	at   time.Time
	// obj is the object of the connection file they were built from: codecs serve only that
	// object, never the object as a file read since has it (other fields, directions).
	obj *config.Object
}

// codecs returns the codecs of an object, from both systems' field descriptions (cached).
// They are cached only when built for the connection file as last read (Config): a stretch
// that began before its file was read again builds its own, which would otherwise serve the
// passes on the new file until codecTTL.
func (cs *Connections) codecs(ctx context.Context, c *config.Connection, obj *config.Object, a, b connectors.Connector, now time.Time) (*fieldCodecs, error) {
	key := c.Name + "/" + obj.Name
	cs.mu.Lock()
	fc, ok := cs.fieldCodecs[key]
	cs.mu.Unlock()
	if ok && fc.obj == obj && now.Sub(fc.at) < codecTTL {
		return fc, nil
	}
	fa, err := a.Describe(ctx, obj.AObject)
	if err != nil {
		return nil, err
	}
	fb, err := b.Describe(ctx, obj.BObject)
	if err != nil {
		return nil, err
	}
	// The file may have been edited since `crmsync validate --live` (the worker reads it again):
	// the mapping is checked here too, before anything is written. A field neither system
	// describes, a type the table refuses, a one-way field mapped the other way or a required
	// field left out pauses the connection with the file's place and the reason.
	da, db := engine.Describe(a.System(), obj.AObject, fa), engine.Describe(b.System(), obj.BObject, fb)
	if problems := engine.CheckObject(c, slices.IndexFunc(c.Objects, func(o config.Object) bool { return o.Name == obj.Name }), da, db); len(problems) > 0 {
		msgs := make([]string, len(problems))
		for i, p := range problems {
			msgs[i] = c.File + ": " + p.Error()
		}
		return nil, configError(fmt.Errorf("%s (fix the mapping, check it with `crmsync validate --live`, then resume)", strings.Join(msgs, "; ")))
	}
	specA, specB := index(a.System(), fa), index(b.System(), fb)
	fc = &fieldCodecs{byA: make(map[string]engine.Codec, len(obj.Fields)), pair: engine.PairFields(obj.Fields, specA, specB), at: now, obj: obj}
	for _, f := range obj.Fields {
		codec := engine.NewCodec(specA[f.A], specB[f.B], f.Values)
		if len(f.ValuesBack) > 0 { // several A values share a B value: the way back is named
			codec = codec.WithBack(f.Reversed())
		}
		fc.byA[f.A] = codec
	}
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if cs.conns[c.Name] != c {
		return fc, nil // the file was read again meanwhile: these are for this stretch only
	}
	if cs.fieldCodecs == nil {
		cs.fieldCodecs = map[string]*fieldCodecs{}
	}
	cs.fieldCodecs[key] = fc
	return fc, nil
}

func index(system string, fields []connectors.Field) map[string]engine.FieldSpec {
	m := make(map[string]engine.FieldSpec, len(fields))
	for _, f := range fields {
		m[f.Name] = engine.SpecOf(system, f)
	}
	return m
}

// toMergeSpace returns a record's mapped values in merge space, side B's representation:
// side A's converted (engine.Codec.MergeA), side B's as side A would hold them for the fields
// that travel from B to A, in the form side-A values take there for the others
// (engine.Codec.MergeB).
func (fc *fieldCodecs) toMergeSpace(obj *config.Object, side engine.Side, r connectors.Record) (connectors.Record, error) {
	if len(fc.byA) == 0 {
		return r, nil
	}
	out := r
	out.Fields = make(map[string]any, len(r.Fields))
	for k, v := range r.Fields {
		out.Fields[k] = v
	}
	if side == engine.B {
		for _, f := range obj.Fields {
			if v, present := r.Fields[f.B]; present {
				out.Fields[f.B] = fc.byA[f.A].MergeB(v, f.Direction)
			}
		}
		return out, nil
	}
	for _, f := range obj.Fields {
		codec, ok := fc.byA[f.A]
		v, present := r.Fields[f.A]
		if !ok || !present {
			continue
		}
		conv, err := codec.MergeA(v, f.Direction)
		if err != nil {
			return r, err
		}
		out.Fields[f.A] = conv
	}
	return out, nil
}

// snapshotInMergeSpace returns a pair's snapshot with the values of the mapped fields taken
// to merge space as side B's are (engine.Codec.MergeB), which leaves a value already there as
// it is. A snapshot saved by a version whose merge space differed (a text "9:05" that the
// merge now takes as Sellsy's time "09:05") would otherwise make the unchanged side look
// changed at the first pass after an upgrade, and a pending edit on the other side could
// lose the conflict to it.
func (fc *fieldCodecs) snapshotInMergeSpace(obj *config.Object, snap map[string]any) map[string]any {
	if snap == nil || len(fc.byA) == 0 {
		return snap
	}
	out := make(map[string]any, len(snap))
	for k, v := range snap {
		out[k] = v
	}
	// Every mapped field, a field one side sets only at creation (Fixed in fc.pair) too: its
	// snapshot follows that side's value in merge space, and left in an older form it would
	// look like a change there, written over the other side's edit.
	for _, f := range obj.Fields {
		codec, ok := fc.byA[f.A]
		v, synced := snap[f.Key()]
		if ok && synced && !engine.IsEmpty(v) {
			out[f.Key()] = codec.MergeB(v, f.Direction)
		}
	}
	return out
}

// toSideA converts values decided in merge space back to side A's representation.
func (fc *fieldCodecs) toSideA(update map[string]any) (map[string]any, error) {
	if len(update) == 0 || len(fc.byA) == 0 {
		return update, nil
	}
	out := make(map[string]any, len(update))
	for name, v := range update {
		codec, ok := fc.byA[name]
		if !ok {
			out[name] = v
			continue
		}
		conv, err := codec.BToA(v)
		if err != nil {
			return nil, fmt.Errorf("%w", err)
		}
		out[name] = conv
	}
	return out, nil
}
