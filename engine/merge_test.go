package engine

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/config"
	"github.com/crmsync/crmsync/connectors"
)

var (
	t0     = time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
	fields = []config.Field{
		{A: "first_name", B: "firstname", Direction: config.Both},
		{A: "phone_number", B: "phone", Direction: config.Both},
		{A: "amount", B: "amount", Direction: config.AToB},
		{A: "score", B: "points", Direction: config.BToA},
	}
)

func rec(at time.Time, kv ...any) connectors.Record {
	r := connectors.Record{Fields: map[string]any{}, UpdatedAt: at}
	for i := 0; i < len(kv); i += 2 {
		r.Fields[kv[i].(string)] = kv[i+1]
	}
	return r
}

func snap(kv ...any) map[string]any {
	m := map[string]any{}
	for i := 0; i < len(kv); i += 2 {
		m[kv[i].(string)] = Canon(kv[i+1])
	}
	return m
}

func TestMerge(t *testing.T) {
	base := snap("first_name>firstname", "Ann", "phone_number>phone", "1", "amount>amount", "10", "score>points", 5.0)
	tests := []struct {
		name          string
		a, b          connectors.Record
		snapshot      map[string]any
		wantA, wantB  map[string]any
		wantConflicts int
	}{
		{
			name:     "nothing changed: no writes (our own write coming back does not echo)",
			a:        rec(t0, "first_name", "Ann", "phone_number", "1", "amount", "10", "score", 5.0),
			b:        rec(t0.Add(time.Hour), "firstname", "Ann", "phone", "1", "amount", 10.0, "points", "5"),
			snapshot: base,
		},
		{
			name:     "changed on A only travels to B",
			a:        rec(t0, "first_name", "Anne", "phone_number", "1", "amount", "10", "score", 5.0),
			b:        rec(t0.Add(time.Hour), "firstname", "Ann", "phone", "1", "amount", "10", "points", 5.0),
			snapshot: base,
			wantB:    map[string]any{"firstname": "Anne"},
		},
		{
			name:     "edits of different fields on each side merge",
			a:        rec(t0, "first_name", "Anne", "phone_number", "1", "amount", "10", "score", 5.0),
			b:        rec(t0.Add(time.Hour), "firstname", "Ann", "phone", "2", "amount", "10", "points", 5.0),
			snapshot: base,
			wantA:    map[string]any{"phone_number": "2"},
			wantB:    map[string]any{"firstname": "Anne"},
		},
		{
			name:          "conflict: most recent change wins (B newer)",
			a:             rec(t0, "first_name", "Anna", "phone_number", "1", "amount", "10", "score", 5.0),
			b:             rec(t0.Add(time.Minute), "firstname", "Annie", "phone", "1", "amount", "10", "points", 5.0),
			snapshot:      base,
			wantA:         map[string]any{"first_name": "Annie"},
			wantConflicts: 1,
		},
		{
			name:          "conflict: most recent change wins (A newer)",
			a:             rec(t0.Add(time.Minute), "first_name", "Anna", "phone_number", "1", "amount", "10", "score", 5.0),
			b:             rec(t0, "firstname", "Annie", "phone", "1", "amount", "10", "points", 5.0),
			snapshot:      base,
			wantB:         map[string]any{"firstname": "Anna"},
			wantConflicts: 1,
		},
		{
			name:     "one-way field: the source wins even when only the target changed",
			a:        rec(t0, "first_name", "Ann", "phone_number", "1", "amount", "10", "score", 7.0),
			b:        rec(t0.Add(time.Hour), "firstname", "Ann", "phone", "1", "amount", "99", "points", 5.0),
			snapshot: base,
			wantA:    map[string]any{"score": 5.0},
			wantB:    map[string]any{"amount": "10"},
		},
		{
			name:  "first sync: values fill the empty side, the more recent record wins a difference",
			a:     rec(t0, "first_name", "Ann", "phone_number", nil, "amount", "10"),
			b:     rec(t0.Add(time.Hour), "firstname", "Annie", "phone", "3", "points", 4.0),
			wantA: map[string]any{"first_name": "Annie", "phone_number": "3", "score": 4.0},
			wantB: map[string]any{"amount": "10"},
		},
		{
			name:  "an empty one-way source never synced does not clear the target nor get written",
			a:     rec(t0, "first_name", "Ann"),
			b:     rec(t0, "firstname", "Ann", "amount", "12"),
			wantA: nil,
		},
		{
			name:     "a one-way source emptied since the last sync clears the target",
			a:        rec(t0, "first_name", "Ann", "phone_number", "1", "amount", nil, "score", 5.0),
			b:        rec(t0, "firstname", "Ann", "phone", "1", "amount", "10", "points", 5.0),
			snapshot: base,
			wantB:    map[string]any{"amount": nil},
		},
		{
			name:     "numbers written as strings by one API equal numbers of the other",
			a:        rec(t0, "first_name", " Ann ", "phone_number", "1", "amount", "10.0", "score", "5"),
			b:        rec(t0, "firstname", "Ann", "phone", 1.0, "amount", 10.0, "points", 5.0),
			snapshot: base,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := Merge(fields, tt.a, tt.b, tt.snapshot)
			assert.Equal(t, tt.wantA, d.UpdateA, "updates of A")
			assert.Equal(t, tt.wantB, d.UpdateB, "updates of B")
			assert.Equal(t, tt.wantConflicts, d.Conflicts)
			// Once written, both sides agree with the new snapshot: a second merge is a no-op.
			a2, b2 := apply(tt.a, d.UpdateA), apply(tt.b, d.UpdateB)
			again := Merge(fields, a2, b2, d.Snapshot)
			assert.Nil(t, again.UpdateA, "second merge writes nothing on A")
			assert.Nil(t, again.UpdateB, "second merge writes nothing on B")
		})
	}
}

func apply(r connectors.Record, upd map[string]any) connectors.Record {
	out := connectors.Record{Fields: map[string]any{}, UpdatedAt: r.UpdatedAt.Add(time.Second)}
	for k, v := range r.Fields {
		out.Fields[k] = v
	}
	for k, v := range upd {
		out.Fields[k] = v
	}
	return out
}

func TestUnchanged(t *testing.T) {
	s := snap("first_name>firstname", "Ann", "phone_number>phone", "1", "amount>amount", "10", "score>points", 5.0)
	assert.True(t, Unchanged(fields, A, rec(t0, "first_name", "Ann", "phone_number", "1", "amount", "10", "score", "5"), s))
	assert.False(t, Unchanged(fields, A, rec(t0, "first_name", "Anne", "phone_number", "1", "amount", "10", "score", 5.0), s))
	assert.True(t, Unchanged(fields, B, rec(t0, "firstname", "Ann", "phone", "1", "amount", 10.0, "points", 5.0), s))
	assert.False(t, Unchanged(fields, B, rec(t0), nil), "never synced")

	// A one-way field whose source is empty leaves its target alone: what the target holds
	// is not a change to propagate, however often the record is read. Its source is watched.
	tests := []struct {
		name string
		side Side
		r    connectors.Record
		snap map[string]any
		want bool
	}{
		{"target of a_to_b, source empty", B, rec(t0, "firstname", "Ann", "phone", "1", "amount", 99.0, "points", 5.0),
			snap("first_name>firstname", "Ann", "phone_number>phone", "1", "amount>amount", nil, "score>points", 5.0), true},
		{"target of a_to_b, source set: a change there is reverted", B, rec(t0, "firstname", "Ann", "phone", "1", "amount", 99.0, "points", 5.0),
			s, false},
		{"source of a_to_b, set since", A, rec(t0, "first_name", "Ann", "phone_number", "1", "amount", "10", "score", 5.0),
			snap("first_name>firstname", "Ann", "phone_number>phone", "1", "amount>amount", nil, "score>points", 5.0), false},
		{"target of b_to_a, source empty", A, rec(t0, "first_name", "Ann", "phone_number", "1", "amount", "10", "score", 7.0),
			snap("first_name>firstname", "Ann", "phone_number>phone", "1", "amount>amount", "10", "score>points", nil), true},
		{"a two-way field is always watched", B, rec(t0, "firstname", "Ann", "phone", "2", "amount", 10.0, "points", 5.0),
			snap("first_name>firstname", "Ann", "phone_number>phone", nil, "amount>amount", "10", "score>points", 5.0), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, Unchanged(fields, tc.side, tc.r, tc.snap))
		})
	}
}

func TestEqualAndCanon(t *testing.T) {
	tests := []struct {
		a, b any
		want bool
	}{
		{nil, "", true},
		{"  x ", "x", true},
		{"15", 15.0, true},
		{"15.5", 15.0, false},
		{[]string{"b", "a"}, []any{"a", "b"}, true},
		{[]string{}, nil, true},
		{[]string{"Y", "Y"}, []string{"Y"}, true}, // a many-to-one value map
		{[]any{"a", "b", "a"}, []string{"b", "a"}, true},
		{[]string{"a", "b"}, []string{"a"}, false},
		{true, "true", false},
		{true, true, true},
		{"abc", 1.0, false},
		// A number and a string read as a number field reads text (asNumber): trailing
		// zeros, the French forms a system may give a number back in.
		{1234.5, "1234.50", true},
		{1234.5, "1 234,5", true},
		{"1\u202f234,5", 1234.5, true},
		{1234.5, "1234,5", true},
		{1234.5, "1\u00a0234,50", true},
		{1234.5, "1 234,6", false},
		{1234.0, "1,234", false},     // a lone comma is a decimal mark: 1.234
		{1234.5, "1,234.5", false},   // comma and dot: no number (TestAsNumberStrings)
		{"1234.5", "1234.50", false}, // two texts compare as texts
		{"1 234,5", "1234.5", false}, // idem
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, Equal(tt.a, tt.b), "%#v vs %#v", tt.a, tt.b)
	}
	keys := []struct {
		v    any
		want string
	}{
		{" Jane.Doe@Example.COM ", "jane.doe@example.com"},
		{nil, ""},
		{"ACME   SARL", "acme sarl"},
		{"123 456 789 00012", "12345678900012"}, // a SIRET as people type it
		{"12345678900012", "12345678900012"},
		{"06 12 34 56 78", "0612345678"},
		{"Garage 2000", "garage 2000"},
		{"2024-01", "2024-01"},
		{42.0, "42"},
	}
	for _, tt := range keys {
		assert.Equal(t, tt.want, MatchKey(tt.v), "%#v", tt.v)
	}
}

// A field that one side sets only at creation is marked Fixed on that side once the pair
// exists when it is two-way, and a one-way field that targets it drops out.
func TestPairFields(t *testing.T) {
	fixed := map[string]FieldSpec{"type": {Name: "type", CreateOnly: true}, "relation": {Name: "relation", CreateOnly: true}}
	tests := []struct {
		name      string
		field     config.Field
		gone      bool
		wantFixed string
	}{
		{name: "plain two-way", field: config.Field{A: "name", B: "name", Direction: config.Both}},
		{name: "two-way, create-only on A", field: config.Field{A: "type", B: "kind", Direction: config.Both}, wantFixed: "a"},
		{name: "two-way, create-only on B", field: config.Field{A: "name", B: "relation", Direction: config.Both}, wantFixed: "b"},
		{name: "from create-only A", field: config.Field{A: "type", B: "kind", Direction: config.AToB}},
		{name: "to create-only A", field: config.Field{A: "type", B: "kind", Direction: config.BToA}, gone: true},
		{name: "to create-only B", field: config.Field{A: "name", B: "relation", Direction: config.AToB}, gone: true},
		{name: "create-only on both", field: config.Field{A: "type", B: "relation", Direction: config.Both}, gone: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := PairFields([]config.Field{tt.field}, fixed, fixed)
			if tt.gone {
				assert.Empty(t, got)
				return
			}
			require.Len(t, got, 1)
			assert.Equal(t, tt.field.Direction, got[0].Direction)
			assert.Equal(t, tt.wantFixed, got[0].Fixed)
		})
	}
}

// A two-way field side A sets only at creation (Sellsy's type ⇄ Altior's relation): A's
// changes reach B; B's value is left as it is otherwise, on a first sync too; an empty B is
// filled. A is never written, and the snapshot follows A: read again, neither side has
// anything to carry.
func TestMergeFixed(t *testing.T) {
	f := config.Field{A: "type", B: "relation", Direction: config.Both, Fixed: "a"}
	tests := []struct {
		name     string
		a, b     any
		snapshot map[string]any // nil: never synced
		wantB    any            // nil: B not written
	}{
		{name: "first sync, B has its own value: kept", a: "prospect", b: "client", wantB: nil},
		{name: "first sync, B empty: filled", a: "prospect", b: nil, wantB: "prospect"},
		{name: "A changed: B takes it", a: "client", b: "prospect", snapshot: map[string]any{"type>relation": "prospect"}, wantB: "client"},
		{name: "B edited, A unchanged: B's edit stays", a: "prospect", b: "client", snapshot: map[string]any{"type>relation": "prospect"}},
		{name: "both changed: A's reaches B", a: "supplier", b: "client", snapshot: map[string]any{"type>relation": "prospect"}, wantB: "supplier"},
		{name: "equal", a: "client", b: "client", snapshot: map[string]any{"type>relation": "prospect"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := Merge([]config.Field{f}, connectors.Record{Fields: map[string]any{"type": tt.a}, UpdatedAt: t0},
				connectors.Record{Fields: map[string]any{"relation": tt.b}, UpdatedAt: t0.Add(time.Hour)}, tt.snapshot)
			assert.Nil(t, d.UpdateA, "A is never written")
			if tt.wantB == nil {
				assert.Nil(t, d.UpdateB)
			} else {
				assert.Equal(t, map[string]any{"relation": tt.wantB}, d.UpdateB)
			}
			assert.Equal(t, tt.a, d.Snapshot["type>relation"], "the snapshot follows A")
			assert.True(t, Unchanged([]config.Field{f}, A, connectors.Record{Fields: map[string]any{"type": tt.a}}, d.Snapshot), "A read again")
			assert.True(t, Unchanged([]config.Field{f}, B, connectors.Record{Fields: map[string]any{"relation": "anything"}}, d.Snapshot),
				"B's value carries nothing")
		})
	}
}

// A date-time side B gives back in another form than the one written ("2026-03-01 10:00:00"
// for "2026-03-01T10:00:00Z", Automation's datetime fields) is the value written: no change on
// B, so an edit on A travels instead of losing to it.
func TestDateTimeReadBackInAnotherForm(t *testing.T) {
	c := NewCodec(FieldSpec{System: "weavy", Name: "seen", Type: "datetime"}, FieldSpec{System: "mautic", Name: "seen", Type: "datetime"}, nil)
	fs := []config.Field{{A: "seen", B: "seen", Direction: config.Both}}
	av, err := c.AToB("2026-03-01 10:00:00")
	require.NoError(t, err)
	d := Merge(fs, rec(t0, "seen", av), rec(t0, "seen", nil), nil)
	require.Equal(t, map[string]any{"seen": "2026-03-01T10:00:00Z"}, d.UpdateB)

	av2, err := c.AToB("2026-04-01 09:00:00")
	require.NoError(t, err)
	bv := c.NormalB("2026-03-01 10:00:00")
	d2 := Merge(fs, rec(t0.Add(time.Hour), "seen", av2), rec(t0.Add(2*time.Hour), "seen", bv), d.Snapshot)
	assert.Zero(t, d2.Conflicts)
	assert.Equal(t, map[string]any{"seen": "2026-04-01T09:00:00Z"}, d2.UpdateB)
	assert.Nil(t, d2.UpdateA)

	tests := []struct {
		spec FieldSpec
		in   any
		want any
	}{
		{FieldSpec{System: "mautic", Type: "datetime"}, "2026-03-01 10:00:00", "2026-03-01T10:00:00Z"},
		{FieldSpec{System: "mautic", Type: "date"}, "2026-03-01", "2026-03-01"},
		{FieldSpec{System: "mautic", Type: "time"}, "10:00:00", "10:00"},
		{FieldSpec{System: "mautic", Type: "datetime"}, "not a date", "not a date"}, // left for the merge to report
		{FieldSpec{System: "mautic", Type: "text"}, " as is ", " as is "},
		{FieldSpec{System: "mautic", Type: "number"}, "12", "12"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, NewCodec(FieldSpec{}, tt.spec, nil).NormalB(tt.in), "%s %v", tt.spec.Type, tt.in)
	}
}

// A field a record cannot hold (a weavy entrant's mobile, a contact's company name) is
// unknown, not empty: whatever changed, on either side, neither record is written for it,
// and the snapshot keeps what both last held, or, never synced, the other side's value marked
// as held (heldKey): see TestMergeAbsentThenPresent.
func TestMergeAbsentField(t *testing.T) {
	both := []config.Field{{A: "mobile", B: "mobile", Direction: config.Both}, {A: "first_name", B: "firstname", Direction: config.Both}}
	absentA := func(r connectors.Record) connectors.Record { r.Absent = []string{"mobile"}; return r }
	absentB := func(r connectors.Record) connectors.Record { r.Absent = []string{"mobile"}; return r }
	tests := []struct {
		name         string
		a, b         connectors.Record
		snapshot     map[string]any
		wantA, wantB map[string]any
		wantSnap     any
	}{
		{"absent on A, B's value kept though A is newer", absentA(rec(t0.Add(time.Hour), "first_name", "Anne")), rec(t0, "mobile", "06", "firstname", "Ann"),
			snap("mobile>mobile", "06", "first_name>firstname", "Ann"), nil, map[string]any{"firstname": "Anne"}, "06"},
		{"absent on B, A's value kept though B is newer", rec(t0, "mobile", "06", "first_name", "Ann"), absentB(rec(t0.Add(time.Hour), "firstname", "Ann")),
			snap("mobile>mobile", "06", "first_name>firstname", "Ann"), nil, nil, "06"},
		{"absent on B, A's change is no write to B (and still one to make)", rec(t0, "mobile", "07", "first_name", "Ann"), absentB(rec(t0.Add(time.Hour), "firstname", "Ann")),
			snap("mobile>mobile", "06", "first_name>firstname", "Ann"), nil, nil, "06"},
		{"absent on A, first sync: B's value stays, held", absentA(rec(t0, "first_name", "Ann")), rec(t0, "mobile", "06", "firstname", "Ann"),
			nil, nil, nil, "06"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := Merge(both, tc.a, tc.b, tc.snapshot)
			assert.Equal(t, tc.wantA, d.UpdateA)
			assert.Equal(t, tc.wantB, d.UpdateB)
			assert.Equal(t, tc.wantSnap, d.Snapshot["mobile>mobile"])
			_, held := d.Snapshot[heldKey(both[0])]
			assert.Equal(t, tc.snapshot == nil, held, "the other side's value marked held where there was no base")
			assert.Zero(t, d.Conflicts)
		})
	}
	s := snap("mobile>mobile", "06", "first_name>firstname", "Ann")
	assert.True(t, Unchanged(both, A, absentA(rec(t0, "first_name", "Ann")), s), "an absent field is no change")
	assert.False(t, Unchanged(both, A, rec(t0, "first_name", "Ann"), s), "an emptied field is one")
}

// A field a record could not hold was not synced: the next merge where both records hold it
// compares them with what both last held (nothing, if never), not with the other side's value
// of the merge it was absent from. Taken as that base, a value it never had looked like a
// change on the side that could not hold it: Sellsy's consent, unknown on one read (no
// marketing_campaigns_subscriptions), undid an unsubscription made in Automation meanwhile;
// an edit made on A while B could not hold the field was reverted; a weavy table given the
// field since cleared Automation's value.
func TestMergeAbsentThenPresent(t *testing.T) {
	consent := []config.Field{{A: "unsubscribed.email", B: "dnc_email", Direction: config.Both}}
	mobile := []config.Field{{A: "mobile", B: "mobile", Direction: config.Both}}
	absent := func(r connectors.Record, field string) connectors.Record { r.Absent = []string{field}; return r }
	tests := []struct {
		name          string
		fields        []config.Field
		base          map[string]any // nil: never synced
		absentA, absB connectors.Record
		a, b          connectors.Record // read again, both holding the field
		wantA, wantB  map[string]any
		// unchangedB: absB read again before the records both hold the field has nothing
		// to carry (a change of it since the base has: it is still to reach A).
		unchangedB bool
	}{
		{
			name:    "unsubscribed in Automation while Sellsy's consent was unknown: Sellsy takes it",
			fields:  consent,
			base:    snap("unsubscribed.email>dnc_email", false),
			absentA: absent(rec(t0), "unsubscribed.email"),
			absB:    rec(t0.Add(time.Hour), "dnc_email", true),
			a:       rec(t0, "unsubscribed.email", false),
			b:       rec(t0.Add(time.Hour), "dnc_email", true),
			wantA:   map[string]any{"unsubscribed.email": true},
		},
		{
			name:       "edited on A while B could not hold it: the edit reaches B",
			fields:     mobile,
			base:       snap("mobile>mobile", "06"),
			absentA:    rec(t0.Add(time.Hour), "mobile", "07"),
			absB:       absent(rec(t0), "mobile"),
			a:          rec(t0.Add(time.Hour), "mobile", "07"),
			b:          rec(t0, "mobile", "06"),
			wantB:      map[string]any{"mobile": "07"},
			unchangedB: true,
		},
		{
			name:       "never synced, A's table gains the field empty: B's value fills it",
			fields:     mobile,
			absentA:    absent(rec(t0.Add(time.Hour)), "mobile"),
			absB:       rec(t0, "mobile", "06"),
			a:          rec(t0.Add(time.Hour)),
			b:          rec(t0, "mobile", "06"),
			wantA:      map[string]any{"mobile": "06"},
			unchangedB: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			first := Merge(tt.fields, tt.absentA, tt.absB, tt.base)
			assert.Nil(t, first.UpdateA, "nothing written while absent")
			assert.Nil(t, first.UpdateB, "nothing written while absent")
			assert.Equal(t, tt.unchangedB, Unchanged(tt.fields, B, tt.absB, first.Snapshot), "B read again")
			again := Merge(tt.fields, tt.absentA, tt.absB, first.Snapshot)
			assert.Equal(t, first.Snapshot, again.Snapshot, "read again while absent: the same snapshot")
			d := Merge(tt.fields, tt.a, tt.b, first.Snapshot)
			assert.Equal(t, tt.wantA, d.UpdateA, "updates of A")
			assert.Equal(t, tt.wantB, d.UpdateB, "updates of B")
			assert.Zero(t, d.Conflicts)
		})
	}
}
