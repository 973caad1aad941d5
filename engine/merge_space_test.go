package engine

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/config"
	"github.com/crmsync/crmsync/connectors"
)

func TestCodecMergeA(t *testing.T) {
	weavy := FieldSpec{System: "weavy", Name: "birthday", Type: "datetime"}
	tests := []struct {
		name string
		c    Codec
		d    config.Direction
		in   any
		want any
	}{
		{"date-time to a text, in the form A stores it", NewCodec(weavy, mauticF("d", "text"), nil), config.Both, "1980-03-01 08:00:00", "1980-03-01T08:00:00Z"},
		{"to B only: as read", NewCodec(weavy, mauticF("d", "text"), nil), config.AToB, "1980-03-01 08:00:00", "1980-03-01 08:00:00"},
		{"to a typed field: AToB's form", NewCodec(weavy, mauticF("d", "datetime"), nil), config.AToB, "1980-03-01 08:00:00", "1980-03-01T08:00:00Z"},
		{"time", NewCodec(mauticF("t", "time"), sellsyF("cf.t", "simpletext"), nil), config.BToA, "10:00:00", "10:00"},
		{"not of A's class: as read", NewCodec(mauticF("t", "time"), sellsyF("cf.t", "simpletext"), nil), config.Both, "soon", "soon"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.c.MergeA(tt.in, tt.d)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestCodecMergeB(t *testing.T) {
	sellsyTime, text := sellsyF("cf.t", "time"), mauticF("t", "text")
	weavyDateTime := FieldSpec{System: "weavy", Name: "birthday", Type: "datetime"}
	date := FieldSpec{System: "mautic", Name: "d", Type: "date"}
	level := withOpts(sellsyF("cf.level", "select"), "Gold", "Silver")
	tests := []struct {
		name string
		c    Codec
		d    config.Direction
		in   any
		want any
	}{
		{"time from a text, as A holds it", NewCodec(sellsyTime, text, nil), config.BToA, "9:05", "09:05"},
		{"two-way: the same", NewCodec(sellsyTime, text, nil), config.Both, "9:05", "09:05"},
		{"no direction is two-way", NewCodec(sellsyTime, text, nil), "", "9:05", "09:05"},
		{"only a target: as read", NewCodec(sellsyTime, text, nil), config.AToB, "9:05", "9:05"},
		{"yes/no from a text", NewCodec(sellsyF("cf.b", "boolean"), text, nil), config.BToA, "oui", "true"},
		{"number from a text with a space", NewCodec(sellsyF("cf.n", "numeric"), text, nil), config.BToA, "1 200", "1200"},
		{"number from a text with a no-break space", NewCodec(sellsyF("cf.n", "numeric"), text, nil), config.BToA, "1\u00a0200", "1200"},
		{"number from a French text: narrow space and comma", NewCodec(sellsyF("cf.n", "numeric"), text, nil), config.BToA, "1\u202f200,5", "1200.5"},
		{"number from a text with a trailing zero", NewCodec(sellsyF("cf.n", "numeric"), text, nil), config.BToA, "15.50", "15.5"},
		{"date-time from a date text", NewCodec(weavyDateTime, text, nil), config.BToA, "1980-03-01", "1980-03-01T00:00:00Z"},
		{"date-time at a date's precision", NewCodec(date, weavyDateTime, nil), config.Both, "2026-03-01T10:00:00Z", "2026-03-01T00:00:00Z"},
		{"date-time in another form, no zone", NewCodec(date, weavyDateTime, nil), config.Both, "2026-03-01 10:00:00", "2026-03-01T00:00:00Z"},
		{"date-time only a target: its time kept", NewCodec(date, weavyDateTime, nil), config.AToB, "2026-03-01 10:00:00", "2026-03-01T10:00:00Z"},
		{"option through the value map and back", NewCodec(level, mauticF("level", "select"), map[string]string{"Gold": "gold"}), config.Both, "gold", "gold"},
		{"option A lacks: as read, its write reports it", NewCodec(level, withOpts(mauticF("level", "select"), "gold", "bronze"), map[string]string{"Gold": "gold"}), config.Both, "bronze", "bronze"},
		{"not a number for A: as read", NewCodec(sellsyF("cf.n", "numeric"), text, nil), config.BToA, "lots", "lots"},
		{"not a time for A: as read", NewCodec(sellsyTime, text, nil), config.BToA, "soon", "soon"},
		{"empty", NewCodec(sellsyTime, text, nil), config.Both, " ", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, tt.c.MergeB(tt.in, tt.d))
		})
	}
}

// simSide is one system's field in a simulated sync: the value it holds, in the form it keeps
// values in (a number at its scale, a date-time in UTC...), and when its record changed.
type simSide struct {
	spec FieldSpec
	v    any
	at   time.Time
	// show, when set, gives a kept value in the form the system reads it back in.
	show func(any) any
}

// keep is what the system keeps of a value written to the field.
func (s *simSide) keep(v any) {
	if n, err := convert(v, s.spec, s.spec, nil); err == nil {
		v = n
	}
	if s.show != nil {
		v = s.show(v)
	}
	s.v = v
}

// weavyForm is how weavy reads its date-times back: no zone, a space for the T.
func weavyForm(v any) any {
	if s, ok := v.(string); ok {
		if d, err := time.Parse(time.RFC3339, s); err == nil {
			return d.UTC().Format("2006-01-02 15:04:05")
		}
	}
	return v
}

// simCycle runs one pass of side A then one of side B over a pair, as activities do: values
// in merge space, the Unchanged shortcut, writes converted to side A. It returns the new
// snapshot and the number of writes.
func simCycle(t *testing.T, f config.Field, c Codec, a, b *simSide, snapshot map[string]any) (map[string]any, int) {
	t.Helper()
	writes := 0
	for _, s := range []Side{A, B} {
		av, err := c.MergeA(a.v, f.Direction)
		require.NoError(t, err)
		bv := c.MergeB(b.v, f.Direction)
		ra := connectors.Record{Fields: map[string]any{f.A: av}, UpdatedAt: a.at}
		rb := connectors.Record{Fields: map[string]any{f.B: bv}, UpdatedAt: b.at}
		read := ra
		if s == B {
			read = rb
		}
		if Unchanged([]config.Field{f}, s, read, snapshot) {
			continue
		}
		d := Merge([]config.Field{f}, ra, rb, snapshot)
		if v, ok := d.UpdateA[f.A]; ok {
			w, err := c.BToA(v)
			require.NoError(t, err)
			a.keep(w)
			writes++
		}
		if v, ok := d.UpdateB[f.B]; ok {
			b.keep(v)
			writes++
		}
		snapshot = d.Snapshot
	}
	return snapshot, writes
}

// simSettle runs a first cycle over a new pair, which makes writes writes, then three more,
// which must write nothing: a value that does not settle is written at every pass.
func simSettle(t *testing.T, f config.Field, c Codec, a, b *simSide, writes int) {
	t.Helper()
	snap, n := simCycle(t, f, c, a, b, nil)
	assert.Equal(t, writes, n, "first cycle")
	for i := range 3 {
		snap, n = simCycle(t, f, c, a, b, snap)
		assert.Zero(t, n, "cycle %d: nothing changed", i+2)
	}
}

// A value that reaches side A in another form than side B's is written once, then left
// alone: both compare as A holds them. B keeps its own form.
func TestMergeSpaceWritesATravellingValueOnce(t *testing.T) {
	weavy := FieldSpec{System: "weavy", Name: "birthday", Type: "datetime"}
	tests := []struct {
		name   string
		a, b   FieldSpec
		dir    config.Direction
		showA  func(any) any
		av, bv any
		wantA  any
		wantB  any
		writes int // in the first cycle
	}{
		{"time from a text", sellsyF("cf.t", "time"), mauticF("t", "text"), config.BToA, nil, nil, "9:05", "09:05", "9:05", 1},
		{"time from a text, two-way", sellsyF("cf.t", "time"), mauticF("t", "text"), config.Both, nil, nil, "9:05", "09:05", "9:05", 1},
		{"yes/no from a text", sellsyF("cf.b", "boolean"), mauticF("b", "text"), config.BToA, nil, nil, "oui", true, "oui", 1},
		{"number from a text", sellsyF("cf.n", "numeric"), mauticF("n", "text"), config.BToA, nil, nil, "1 200", 1200.0, "1 200", 1},
		{"number with a trailing zero", sellsyF("cf.n", "numeric"), mauticF("n", "text"), config.BToA, nil, nil, "15.50", 15.5, "15.50", 1},
		{"number to a whole-number field", scaled(mauticF("n", "number"), 0), sellsyF("cf.n", "numeric"), config.BToA, nil, nil, 15.9, 15.0, 15.9, 1},
		{"date-time from a date text", weavy, mauticF("d", "textarea"), config.BToA, weavyForm, nil, "1980-03-01", "1980-03-01 00:00:00", "1980-03-01", 1},
		{"date-time from a date text, two-way", weavy, mauticF("d", "textarea"), config.Both, weavyForm, nil, "1980-03-01", "1980-03-01 00:00:00", "1980-03-01", 1},
		// Synced before both sides compared as A holds them: B holds A's value as A reads it.
		{"date-time and a text of it, two-way", weavy, mauticF("d", "text"), config.Both, weavyForm, "1980-03-01 08:00:00", "1980-03-01 08:00:00", "1980-03-01 08:00:00", "1980-03-01 08:00:00", 0},
		{"date-time to a text", weavy, mauticF("d", "text"), config.AToB, weavyForm, "1980-03-01 08:00:00", nil, "1980-03-01 08:00:00", "1980-03-01 08:00:00", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := config.Field{A: "x", B: "y", Direction: tt.dir}
			c := NewCodec(tt.a, tt.b, nil)
			a, b := &simSide{spec: tt.a, v: tt.av, at: t0, show: tt.showA}, &simSide{spec: tt.b, v: tt.bv, at: t0}
			simSettle(t, f, c, a, b, tt.writes)
			assert.Equal(t, tt.wantA, a.v)
			assert.Equal(t, tt.wantB, b.v, "B's own form kept")
		})
	}
}

// A date on side A and a date-time on side B, two-way: B's value compares at the day. B's time
// of day stays while the day is A's; a new day on B travels to A, B's time kept; a new day on A
// is written to B at that day's midnight (A has no time of day to give).
func TestMergeSpaceDateAndDateTime(t *testing.T) {
	aSpec := FieldSpec{System: "mautic", Name: "d", Type: "date"}
	bSpec := FieldSpec{System: "weavy", Name: "d", Type: "datetime"}
	f := config.Field{A: "d", B: "d", Direction: config.Both}
	c := NewCodec(aSpec, bSpec, nil)
	a := &simSide{spec: aSpec, v: "2026-03-01", at: t0}
	b := &simSide{spec: bSpec, v: "2026-03-01T10:00:00Z", at: t0.Add(time.Hour)}
	steps := []struct {
		name         string
		edit         func()
		writes       int
		wantA, wantB any
	}{
		{"first sync: the same day", nil, 0, "2026-03-01", "2026-03-01T10:00:00Z"},
		{"no edit", nil, 0, "2026-03-01", "2026-03-01T10:00:00Z"},
		{"B's time of day edited", func() { b.v, b.at = "2026-03-01T15:30:00Z", t0.Add(2*time.Hour) }, 0, "2026-03-01", "2026-03-01T15:30:00Z"},
		{"B's day edited", func() { b.v, b.at = "2026-03-04T15:30:00Z", t0.Add(3*time.Hour) }, 1, "2026-03-04", "2026-03-04T15:30:00Z"},
		{"no edit after it", nil, 0, "2026-03-04", "2026-03-04T15:30:00Z"},
		{"A's day edited", func() { a.v, a.at = "2026-03-09", t0.Add(4*time.Hour) }, 1, "2026-03-09", "2026-03-09T00:00:00Z"},
		{"no edit after that", nil, 0, "2026-03-09", "2026-03-09T00:00:00Z"},
	}
	var snap map[string]any
	for _, st := range steps {
		if st.edit != nil {
			st.edit()
		}
		var writes int
		snap, writes = simCycle(t, f, c, a, b, snap)
		assert.Equal(t, st.writes, writes, st.name)
		assert.Equal(t, st.wantA, a.v, st.name)
		assert.Equal(t, st.wantB, b.v, st.name)
	}
}

// The target of a one-way field takes its source's value at the target's own precision: A's
// whole number 15 is written over B's 15.9, and an edit of B is undone. Read at A's scale, B's
// 15.9 equalled 15 and stayed.
func TestMergeSpaceOneWayTargetAtItsOwnPrecision(t *testing.T) {
	aSpec, bSpec := scaled(mauticF("n", "number"), 0), sellsyF("cf.n", "numeric")
	f := config.Field{A: "n", B: "cf.n", Direction: config.AToB}
	c := NewCodec(aSpec, bSpec, nil)
	a := &simSide{spec: aSpec, v: 15.0, at: t0}
	b := &simSide{spec: bSpec, v: 15.9, at: t0}
	steps := []struct {
		name   string
		edit   func()
		writes int
		wantB  any
	}{
		{"first sync", nil, 1, 15.0},
		{"no edit", nil, 0, 15.0},
		{"B edited within A's precision", func() { b.v, b.at = 15.4, t0.Add(time.Hour) }, 1, 15.0},
		{"no edit after it", nil, 0, 15.0},
	}
	var snap map[string]any
	for _, st := range steps {
		if st.edit != nil {
			st.edit()
		}
		var writes int
		snap, writes = simCycle(t, f, c, a, b, snap)
		assert.Equal(t, st.writes, writes, st.name)
		assert.Equal(t, 15.0, a.v, st.name)
		assert.Equal(t, st.wantB, b.v, st.name)
	}
}

// frenchNumber is how a system that formats numbers the French way reads a number back: a
// decimal comma, the thousands apart by a narrow no-break space (1 234,5).
func frenchNumber(v any) any {
	f, ok := v.(float64)
	if !ok {
		return v
	}
	whole, frac, _ := strings.Cut(strconv.FormatFloat(f, 'f', -1, 64), ".")
	for i := len(whole) - 3; i > 0; i -= 3 {
		whole = whole[:i] + "\u202f" + whole[i:]
	}
	if frac != "" {
		return whole + "," + frac
	}
	return whole
}

// A number that a system reads back as text in its own format ("1 234,5" for the 1234.5
// written) is the number written: after the first write, nothing is written again, in any
// direction, whatever form the source's value had. Compared as plain ParseFloat reads a
// string, the one-way target looked changed at every pass and was written at every pass.
func TestMergeSpaceNumberReadBackFormatted(t *testing.T) {
	num, untyped := sellsyF("cf.n", "numeric"), FieldSpec{System: "x", Name: "n"}
	tests := []struct {
		name   string
		a, b   FieldSpec
		dir    config.Direction
		av, bv any
		wantB  any
		writes int // in the first cycle
	}{
		{"to B only", num, mauticF("n", "number"), config.AToB, 1234.5, nil, "1\u202f234,5", 1},
		{"to B only, B already holds it", num, mauticF("n", "number"), config.AToB, 1234.5, "1\u202f234,5", "1\u202f234,5", 0},
		{"to B only, A's text with a trailing zero", sellsyF("cf.t", "simpletext"), mauticF("n", "number"), config.AToB, "1234.50", nil, "1\u202f234,5", 1},
		{"to B only, A's text the French way", sellsyF("cf.t", "simpletext"), mauticF("n", "number"), config.AToB, "1 234,5", nil, "1\u202f234,5", 1},
		{"two-way", num, mauticF("n", "number"), config.Both, 1234.5, nil, "1\u202f234,5", 1},
		{"from B only", num, mauticF("n", "number"), config.BToA, nil, "1\u202f234,5", "1\u202f234,5", 1},
		{"types unknown, to B only", untyped, untyped, config.AToB, 1234.5, nil, "1\u202f234,5", 1},
		{"types unknown, two-way", untyped, untyped, config.Both, 1234.5, "1\u202f234,5", "1\u202f234,5", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := config.Field{A: "x", B: "y", Direction: tt.dir}
			c := NewCodec(tt.a, tt.b, nil)
			a := &simSide{spec: tt.a, v: tt.av, at: t0}
			b := &simSide{spec: tt.b, v: tt.bv, at: t0.Add(time.Hour), show: frenchNumber}
			simSettle(t, f, c, a, b, tt.writes)
			assert.Equal(t, tt.wantB, b.v)
		})
	}
}

// An option a system reads back by its label (MiniCRM answers an Enum field's id 3001 as
// "Card") is the option written: the target of a one-way field compares in the form side A's
// values take there, the option's value, and is not written again at every pass.
func TestMergeSpaceOptionReadBackByLabel(t *testing.T) {
	pay := FieldSpec{System: "minicrm", Name: "Enum1204", Type: "select", Options: []connectors.Option{{Value: "3001", Label: "Card"}, {Value: "3002", Label: "Bank transfer"}}}
	tags := FieldSpec{System: "minicrm", Name: "Tags", Type: "multiselect", Options: []connectors.Option{{Value: "11", Label: "VIP"}, {Value: "12", Label: "Partner"}}}
	byLabel := func(spec FieldSpec) func(any) any {
		label := func(v string) string {
			for _, o := range spec.Options {
				if o.Value == v {
					return o.Label
				}
			}
			return v
		}
		return func(v any) any {
			switch x := v.(type) {
			case string:
				return label(x)
			case []string:
				out := make([]string, len(x))
				for i, e := range x {
					out[i] = label(e)
				}
				return out
			}
			return v
		}
	}
	text := FieldSpec{System: "unas", Name: "payment_name", Type: "string"}
	tests := []struct {
		name   string
		b      FieldSpec
		dir    config.Direction
		av     any
		wantB  any
		writes int // in the first cycle
	}{
		{"select, to B only", pay, config.AToB, "Card", "Card", 1},
		{"select, two-way", pay, config.Both, "Card", "Card", 1},
		{"list, to B only", tags, config.AToB, "VIP", []string{"VIP"}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := config.Field{A: "x", B: "y", Direction: tt.dir}
			c := NewCodec(text, tt.b, nil)
			a := &simSide{spec: text, v: tt.av, at: t0}
			b := &simSide{spec: tt.b, at: t0, show: byLabel(tt.b)}
			simSettle(t, f, c, a, b, tt.writes)
			assert.Equal(t, tt.wantB, b.v)
		})
	}
}
