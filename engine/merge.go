package engine

import (
	"slices"

	"github.com/crmsync/crmsync/config"
	"github.com/crmsync/crmsync/connectors"
)

// Decision is what the merge of one pair of records asks for.
type Decision struct {
	// UpdateA and UpdateB hold the fields to write on each side, in that side's field names;
	// nil when that side is already right.
	UpdateA map[string]any
	UpdateB map[string]any
	// Snapshot holds, per field mapping, the canonical value both sides hold once the updates
	// are written. It becomes the base of the next three-way merge.
	Snapshot map[string]any
	// Conflicts counts fields changed on both sides since the last sync, settled by the most
	// recent change.
	Conflicts int
}

// Merge decides, field by field, the value both records must hold, from the records as they
// are now and the snapshot of the last sync (nil when the pair was never synced):
//
//   - a one-way field takes its source's value (the source wins) and is never written on its
//     source; an empty source clears the target only when it was emptied since the last sync;
//   - a two-way field changed on one side only takes that side's value;
//   - a two-way field changed on both sides takes the most recently updated record's value;
//   - on a first sync (no snapshot) a non-empty value beats an empty one, then the most recent
//     record wins.
//
// Both records hold their values in merge space, side B's representation: side A's values
// converted (Codec.MergeA), side B's as Codec.MergeB gives them, so that a value that reaches
// A in another form is no difference.
//
// Because the snapshot holds exactly what was written, a record that comes back holding our
// own write is unchanged against it and produces no update: nothing echoes.
func Merge(fields []config.Field, a, b connectors.Record, snapshot map[string]any) Decision {
	d := Decision{Snapshot: make(map[string]any, len(fields))}
	aNewer := !b.UpdatedAt.After(a.UpdatedAt) // ties go to side A
	for _, f := range fields {
		av, bv := a.Fields[f.A], b.Fields[f.B]
		sv, synced := snapshot[f.Key()]
		if _, held := snapshot[heldKey(f)]; held {
			sv, synced = nil, false // a value seen, never synced
		}
		// A field a record cannot hold (Record.Absent) has no value of its own: neither side
		// is written (read as empty, it would clear the other side's value), and nothing is
		// synced, so the base stays what both last held. Taken as the other side's value, it
		// made a value the record never had look like its change once it could hold the
		// field again: Sellsy's consent, unknown on one read, undid an unsubscription made
		// meanwhile in Automation. Never synced, the field keeps the other side's value,
		// marked as no base (heldKey), for Unchanged to tell that record's next change.
		if absentA, absentB := slices.Contains(a.Absent, f.A), slices.Contains(b.Absent, f.B); absentA || absentB {
			switch {
			case synced:
				d.Snapshot[f.Key()] = Canon(sv)
			case !absentA:
				d.Snapshot[f.Key()], d.Snapshot[heldKey(f)] = Canon(av), true
			case !absentB:
				d.Snapshot[f.Key()], d.Snapshot[heldKey(f)] = Canon(bv), true
			}
			continue
		}
		if f.Fixed != "" {
			d.mergeFixed(f, av, bv, sv, synced)
			continue
		}
		final, write := av, true
		switch {
		case Equal(av, bv):
			final = av
		case f.Direction == config.AToB:
			final, write = av, !IsEmpty(av) || !IsEmpty(sv)
		case f.Direction == config.BToA:
			final, write = bv, !IsEmpty(bv) || !IsEmpty(sv)
		case !synced:
			switch {
			case IsEmpty(bv):
				final = av
			case IsEmpty(av):
				final = bv
			case aNewer:
				final = av
			default:
				final = bv
			}
		default:
			aChanged, bChanged := !Equal(av, sv), !Equal(bv, sv)
			switch {
			case aChanged && !bChanged:
				final = av
			case bChanged && !aChanged:
				final = bv
			default:
				d.Conflicts++
				if aNewer {
					final = av
				} else {
					final = bv
				}
			}
		}
		if !write {
			// An empty one-way source that was empty before too: leave the target alone.
			d.Snapshot[f.Key()] = nil
			continue
		}
		d.Snapshot[f.Key()] = Canon(final)
		if f.Direction != config.BToA && !Equal(final, bv) {
			if d.UpdateB == nil {
				d.UpdateB = map[string]any{}
			}
			d.UpdateB[f.B] = final
		}
		if f.Direction != config.AToB && !Equal(final, av) {
			if d.UpdateA == nil {
				d.UpdateA = map[string]any{}
			}
			d.UpdateA[f.A] = final
		}
	}
	return d
}

// heldKey is the snapshot key that marks a field's snapshot value as one side's value, held
// while the other side's record could not hold the field (Record.Absent), not a value both
// held: Unchanged compares with it, Merge takes the field as never synced. It is not named
// "@…" like the other keys of a snapshot that are no field: a pass carries those over into the
// next snapshot (processPage's saving), and a marker kept there once the field synced would
// have Merge take it as never synced for ever; the snapshot Merge returns holds it only while
// the field is still absent (activities' TestHeldMarkerGoesOnceBothSidesHoldTheField).
func heldKey(f config.Field) string { return "held:" + f.Key() }

// mergeFixed merges a two-way field that one side (f.Fixed) sets only at creation. That
// side's changes travel; the other side's value is otherwise left as it is — the fixed side
// cannot take it, and writing the fixed side's old value over it would undo an edit made
// there (an ERP's prospect turned client). On a first sync the other side keeps a value of
// its own. The snapshot follows the fixed side.
func (d *Decision) mergeFixed(f config.Field, av, bv, sv any, synced bool) {
	fixed, other, otherField, update := av, bv, f.B, &d.UpdateB
	if f.Fixed == string(B) {
		fixed, other, otherField, update = bv, av, f.A, &d.UpdateA
	}
	d.Snapshot[f.Key()] = Canon(fixed)
	changed := synced && !Equal(fixed, sv)
	// Written when the values differ and the fixed side changed, or has a value the other
	// side lacks.
	if Equal(fixed, other) || !changed && (!IsEmpty(other) || IsEmpty(fixed)) {
		return
	}
	if *update == nil {
		*update = map[string]any{}
	}
	(*update)[otherField] = fixed
}

// Unchanged reports whether every mapped field of a record read on one side still equals the
// snapshot: such a record has nothing to propagate, so its counterpart need not be read.
func Unchanged(fields []config.Field, side Side, r connectors.Record, snapshot map[string]any) bool {
	if snapshot == nil {
		return false
	}
	for _, f := range fields {
		if f.Fixed != "" && f.Fixed != string(side) {
			// Set at creation only on the other side: a change here has nothing to carry.
			continue
		}
		if slices.Contains(r.Absent, side.Field(f)) {
			continue // a field the record cannot hold has not changed on it
		}
		sv, ok := snapshot[f.Key()]
		if ok && IsEmpty(sv) && f.Direction != config.Both && side.Field(f) != side.sourceField(f) {
			// The target of a one-way field whose source is empty was left alone (Merge
			// writes no empty value over it): whatever it holds is not ours to track, and a
			// change of it has nothing to propagate.
			continue
		}
		if !ok || !Equal(r.Fields[side.Field(f)], sv) {
			return false
		}
	}
	return true
}

// sourceField is the name, on this side, of a one-way field's source ("" when this side is
// its target).
func (s Side) sourceField(f config.Field) string {
	if (f.Direction == config.AToB) == (s == A) {
		return s.Field(f)
	}
	return ""
}

// Side is one side of a connection.
type Side string

const (
	A Side = "a"
	B Side = "b"
)

// Other returns the opposite side.
func (s Side) Other() Side {
	if s == A {
		return B
	}
	return A
}

// Field returns the name of a mapped field on this side.
func (s Side) Field(f config.Field) string {
	if s == A {
		return f.A
	}
	return f.B
}

// MatchField returns the name of the match field on this side.
func (s Side) MatchField(m config.FieldPair) string {
	if s == A {
		return m.A
	}
	return m.B
}

// Orient returns the (a, b) arguments of Merge for a record read on side s and its
// counterpart on the other side.
func Orient(s Side, read, other connectors.Record) (a, b connectors.Record) {
	if s == A {
		return read, other
	}
	return other, read
}

// Updates returns the decision's writes for the side a record was read on (own) and for the
// other side.
func (d Decision) Updates(s Side) (own, other map[string]any) {
	if s == A {
		return d.UpdateA, d.UpdateB
	}
	return d.UpdateB, d.UpdateA
}

// PairFields returns the mappings as they apply to a pair whose records both exist, given
// the fields each side can only set at creation (specs by field name). Such a field cannot
// take the other side's value: a two-way one is marked Fixed on that side (its changes
// travel, the other side's stay where they are: see mergeFixed), and a one-way field whose
// target it is (or one create-only on both sides) is left out — it applied when the record
// was created. Without this, the merge would write a value the API ignores, record it in the
// snapshot as written, and send the untouched value back over the other side's at the next
// read.
func PairFields(fields []config.Field, specA, specB map[string]FieldSpec) []config.Field {
	out := make([]config.Field, 0, len(fields))
	for _, f := range fields {
		fixedA, fixedB := specA[f.A].CreateOnly, specB[f.B].CreateOnly
		switch {
		case fixedA && fixedB,
			fixedA && f.Direction == config.BToA,
			fixedB && f.Direction == config.AToB:
			continue
		case fixedA && f.Direction == config.Both:
			f.Fixed = string(A)
		case fixedB && f.Direction == config.Both:
			f.Fixed = string(B)
		}
		out = append(out, f)
	}
	return out
}
