package activities

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/config"
	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/simkit"
	"github.com/crmsync/crmsync/engine"
	"github.com/crmsync/crmsync/store"
)

// An Automation text that reaches a typed field on side A is written there once, in A's form,
// then left alone: Automation's value compares as A holds it. Compared as read, "9:05" never
// equalled Sellsy's "09:05" (nor "1980-03-01" weavy's date-time) and every read of side A
// wrote the record again.
func TestMergeSpaceTextToATypedField(t *testing.T) {
	const person = 45 // in Sellsy (0–59), weavy (30–49) and Automation (40–79)
	tests := []struct {
		name    string
		example string
		setup   func(r *exampleRun)
		field   string // side A's
		text    string // written to Automation's cf field
		bField  string
		mode    string // of the reads of side A
		wantA   any
		wantRaw any // Automation's, left as it was
	}{
		{
			name:    "Sellsy time from Automation's text, to Sellsy only",
			example: "sellsy-mautic-full",
			setup: func(r *exampleRun) {
				data, err := os.ReadFile("../config/examples/sellsy-mautic-full.yaml")
				require.NoError(t, err)
				yaml := strings.NewReplacer("http://127.0.0.1:18081", r.sb.SellsyURL, "http://127.0.0.1:18082", r.sb.MauticURL,
					`requests_per_second: "5"`, `requests_per_second: "1000"`,
					"direction: both               #", "direction: b_to_a              #").Replace(string(data))
				require.Contains(t, yaml, "direction: b_to_a ")
				conn, err := config.Parse("sellsy-mautic-full.yaml", []byte(yaml))
				require.NoError(t, err)
				r.acts, r.st, r.ae = activitiesOf(t, conn)
			},
			field: "cf.cf_time", bField: "cf_time_text", text: "9:05", mode: ModeIncremental,
			wantA: "09:05", wantRaw: "9:05",
		},
		{
			name:    "weavy date-time from Automation's textarea",
			example: "weavy-mautic",
			setup: func(r *exampleRun) {
				r.useWeavyExample(func(yaml string) string {
					return strings.Replace(yaml, "      - {a: description, b: position, direction: b_to_a}",
						"      - {a: description, b: position, direction: b_to_a}\n      - {a: birthday, b: cf_textarea, direction: b_to_a}", 1)
				})
			},
			field: "birthday", bField: "cf_textarea", text: "1980-03-01", mode: ModeImport,
			wantA: "1980-03-01 00:00:00", wantRaw: "1980-03-01", // weavy reads its date-times so
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := startExample(t, tt.example)
			tt.setup(r)
			ctx := context.Background()
			a, automation, err := r.acts.Conns.Connectors(r.name)
			require.NoError(t, err)
			email := simkit.PersonAt(person).Email
			found, err := automation.FindByKey(ctx, connectors.ObjectContact, "email", []string{email})
			require.NoError(t, err)
			require.Len(t, found, 1)
			_, err = automation.Update(ctx, connectors.ObjectContact, []connectors.Record{{ID: found[0].ID, Fields: map[string]any{tt.bField: tt.text}}})
			require.NoError(t, err)

			r.round(ModeImport, nil)
			for i := 0; i < 3; i++ {
				c := r.pass("contact", "a", tt.mode)
				assert.Zero(t, c.UpdatedA+c.UpdatedB, "read %d of side A: nothing changed, nothing written: %+v", i+1, c)
			}
			got, err := a.FindByKey(ctx, connectors.ObjectContact, "email", []string{email})
			require.NoError(t, err)
			require.Len(t, got, 1)
			assert.Equal(t, tt.wantA, got[0].Fields[tt.field], "written to side A in its form")
			back, err := automation.FindByKey(ctx, connectors.ObjectContact, "email", []string{email})
			require.NoError(t, err)
			require.Len(t, back, 1)
			assert.Equal(t, tt.wantRaw, back[0].Fields[tt.bField], "Automation's text is not rewritten in A's form")
		})
	}
}

// A side-B value is taken as side A would hold it when it travels to A, as read when B only
// receives; side-A values are taken to the form A stores them in when B's values reach A.
func TestToMergeSpaceFollowsTheDirection(t *testing.T) {
	timeA, text := engine.FieldSpec{System: "sellsy", Name: "cf.t", Type: "time"}, engine.FieldSpec{System: "mautic", Name: "t", Type: "text"}
	dateTimeA := engine.FieldSpec{System: "weavy", Name: "d", Type: "datetime"}
	zero := 0
	whole, numeric := engine.FieldSpec{System: "mautic", Name: "n", Type: "number", Scale: &zero}, engine.FieldSpec{System: "sellsy", Name: "cf.n", Type: "numeric"}
	tests := []struct {
		name string
		a, b engine.FieldSpec
		dir  config.Direction
		side engine.Side
		in   any
		want any
	}{
		{"B's text as A's time, two-way", timeA, text, config.Both, engine.B, "9:05", "09:05"},
		{"B's text as A's time, to A only", timeA, text, config.BToA, engine.B, "9:05", "09:05"},
		{"B's text as read, to B only", timeA, text, config.AToB, engine.B, "9:05", "9:05"},
		{"A's date-time as A stores it, two-way", dateTimeA, text, config.Both, engine.A, "2026-03-01 10:00:00", "2026-03-01T10:00:00Z"},
		{"A's date-time as read, to B only", dateTimeA, text, config.AToB, engine.A, "2026-03-01 10:00:00", "2026-03-01 10:00:00"},
		{"B's number at A's scale, two-way", whole, numeric, config.Both, engine.B, 15.9, 15.0},
		{"B's number at its own, to B only", whole, numeric, config.AToB, engine.B, 15.9, 15.9},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			obj := &config.Object{Fields: []config.Field{{A: "x", B: "y", Direction: tt.dir}}}
			fc := &fieldCodecs{byA: map[string]engine.Codec{"x": engine.NewCodec(tt.a, tt.b, nil)}}
			name := tt.side.Field(obj.Fields[0])
			got, err := fc.toMergeSpace(obj, tt.side, connectors.Record{ID: "1", Fields: map[string]any{name: tt.in}})
			require.NoError(t, err)
			assert.Equal(t, tt.want, got.Fields[name])
		})
	}
}

// A snapshot saved in an older form of merge space (Automation's text as read, "9:05") is
// taken as side B's values are now ("09:05"): at the first pass after an upgrade, the
// unchanged Automation value is no change, and an edit waiting on Sellsy wins without a
// conflict, even when Automation's record is the newer.
func TestSnapshotInMergeSpaceKeepsAPendingEdit(t *testing.T) {
	timeA, text := engine.FieldSpec{System: "sellsy", Name: "cf.t", Type: "time"}, engine.FieldSpec{System: "mautic", Name: "t", Type: "text"}
	field := config.Field{A: "cf.t", B: "t", Direction: config.Both}
	obj := &config.Object{Fields: []config.Field{field}}
	fc := &fieldCodecs{byA: map[string]engine.Codec{"cf.t": engine.NewCodec(timeA, text, nil)}}
	tests := []struct {
		name     string
		snapshot any
	}{
		{"old form, text as read", "9:05"},
		{"merge space already", "09:05"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			snap := map[string]any{field.Key(): tt.snapshot, "@stage": "won"}
			now := time.Now()
			a, err := fc.toMergeSpace(obj, engine.A, connectors.Record{ID: "1", UpdatedAt: now.Add(-time.Hour), Fields: map[string]any{"cf.t": "09:30"}})
			require.NoError(t, err)
			b, err := fc.toMergeSpace(obj, engine.B, connectors.Record{ID: "2", UpdatedAt: now, Fields: map[string]any{"t": "9:05"}})
			require.NoError(t, err)
			got := fc.snapshotInMergeSpace(obj, snap)
			assert.Equal(t, "09:05", got[field.Key()])
			assert.Equal(t, "won", got["@stage"], "other state is kept")
			assert.Equal(t, tt.snapshot, snap[field.Key()], "the stored snapshot is not changed in place")
			d := engine.Merge(obj.Fields, a, b, got)
			assert.Zero(t, d.Conflicts)
			assert.Equal(t, map[string]any{"t": "09:30"}, d.UpdateB, "Sellsy's edit reaches Automation")
			assert.Empty(t, d.UpdateA)
		})
	}
}

// A record whose pair's snapshot was saved in an older form of merge space (Automation's text
// "9:05" as read, now Sellsy's time "09:05") is found unchanged from either side at the first
// full read after an upgrade, as the merge would find it: its counterpart is not read.
// Unchanged was given the snapshot as stored, and every such record looked changed.
func TestUnchangedComparesWithTheSnapshotInMergeSpace(t *testing.T) {
	const person = 45 // in Sellsy (0–59) and Automation (40–79)
	key := config.Field{A: "cf.cf_time", B: "cf_time_text"}.Key()
	tests := []struct {
		side  string
		other func(r *exampleRun) *simkit.Kit
	}{
		{"a", func(r *exampleRun) *simkit.Kit { return r.sb.Mautic.Kit() }},
		{"b", func(r *exampleRun) *simkit.Kit { return r.sb.Sellsy.Kit() }},
	}
	for _, tt := range tests {
		t.Run("read on side "+tt.side, func(t *testing.T) {
			r := startExample(t, "sellsy-mautic-full")
			ctx := context.Background()
			contact := r.automationContact(person)
			_, automation, err := r.acts.Conns.Connectors(r.name)
			require.NoError(t, err)
			_, err = automation.Update(ctx, connectors.ObjectContact, []connectors.Record{{ID: contact.ID, Fields: map[string]any{"cf_time_text": "9:05"}}})
			require.NoError(t, err)
			r.round(ModeImport, nil)

			pairs, err := r.st.Pairs(ctx, r.name, "contact", store.SideB, []string{contact.ID})
			require.NoError(t, err)
			pair, ok := pairs[contact.ID]
			require.True(t, ok, "person %d is paired", person)
			require.Equal(t, "09:05", pair.Snapshot[key], "synced in merge space")
			pair.Snapshot[key] = "9:05" // as an older version saved it
			require.NoError(t, r.st.SavePairs(ctx, r.name, "contact", []store.Pair{pair}))

			other := tt.other(r)
			other.ResetCounts()
			c := r.pass("contact", tt.side, ModeImport)
			assert.Positive(t, c.Read)
			assert.Equal(t, c.Read, c.Unchanged, "full read of side %s: %+v", tt.side, c)
			assert.Zero(t, other.Total(), "full read of side %s read the other side: %v", tt.side, other.Counts())
		})
	}
}

// The snapshot of a two-way field that one side sets only at creation (engine.PairFields marks
// it Fixed) follows that side's value in merge space, as any other field's does: taken to
// merge space too, an older form of it is no change of the fixed side, and an edit made on
// the other side is kept. Left as stored, it looked like a change of weavy's birthday and
// wrote weavy's value over Automation's edit.
func TestSnapshotInMergeSpaceOfAFieldSetAtCreation(t *testing.T) {
	birthday := engine.FieldSpec{System: "weavy", Name: "birthday", Type: "datetime", CreateOnly: true}
	text := engine.FieldSpec{System: "mautic", Name: "cf_birthday", Type: "text"}
	field := config.Field{A: "birthday", B: "cf_birthday", Direction: config.Both}
	obj := &config.Object{Fields: []config.Field{field}}
	fc := &fieldCodecs{
		byA:  map[string]engine.Codec{field.A: engine.NewCodec(birthday, text, nil)},
		pair: engine.PairFields(obj.Fields, map[string]engine.FieldSpec{field.A: birthday}, map[string]engine.FieldSpec{field.B: text}),
	}
	require.Equal(t, "a", fc.pair[0].Fixed, "set at creation only on weavy")
	tests := []struct {
		name     string
		fields   []config.Field // the object's, as snapshotInMergeSpace walks them
		snapshot any
	}{
		{"old form, as weavy reads it", obj.Fields, "1980-03-01 08:00:00"},
		{"merge space already", obj.Fields, "1980-03-01T08:00:00Z"},
		// The mappings as they apply to a pair, the field marked Fixed: taken to merge space
		// as any other. Skipping Fixed fields left this one in weavy's form.
		{"old form, the pair's fields", fc.pair, "1980-03-01 08:00:00"},
		{"merge space already, the pair's fields", fc.pair, "1980-03-01T08:00:00Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			now := time.Now()
			a, err := fc.toMergeSpace(obj, engine.A, connectors.Record{ID: "1", UpdatedAt: now, Fields: map[string]any{field.A: "1980-03-01 08:00:00"}})
			require.NoError(t, err)
			b, err := fc.toMergeSpace(obj, engine.B, connectors.Record{ID: "2", UpdatedAt: now.Add(-time.Hour), Fields: map[string]any{field.B: "1981-01-01"}})
			require.NoError(t, err)
			snap := fc.snapshotInMergeSpace(&config.Object{Fields: tt.fields}, map[string]any{field.Key(): tt.snapshot})
			assert.Equal(t, "1980-03-01T08:00:00Z", snap[field.Key()])
			assert.True(t, engine.Unchanged(fc.pair, engine.A, a, snap), "weavy's value has not changed")
			d := engine.Merge(fc.pair, a, b, snap)
			assert.Empty(t, d.UpdateB, "Automation's edit is kept")
			assert.Empty(t, d.UpdateA, "weavy cannot take it")
		})
	}
}
