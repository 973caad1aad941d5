package engine

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/config"
	"github.com/crmsync/crmsync/connectors"
)

func opts(values ...string) []connectors.Option {
	out := make([]connectors.Option, len(values))
	for i, v := range values {
		out[i] = connectors.Option{Value: v, Label: v}
	}
	return out
}

func withOpts(s FieldSpec, values ...string) FieldSpec { s.Options = opts(values...); return s }

func TestCodec(t *testing.T) {
	level := withOpts(sellsyF("cf.level", "select"), "Gold", "Silver", "Platinum")
	mlevel := withOpts(mauticF("level", "select"), "gold", "silver")
	tags := withOpts(sellsyF("cf.tags", "checkbox"), "A", "B", "C")
	mtags := withOpts(mauticF("tags", "multiselect"), "a", "b", "C")
	entity := sellsyF("cf.owner", "staff")
	mentity := withOpts(mauticF("owner", "multiselect"), "12", "13")
	mentitySingle := withOpts(mauticF("owner", "select"), "12", "13")
	levelMap := map[string]string{"Gold": "gold", "Silver": "silver"}
	tagMap := map[string]string{"A": "a", "B": "b"}

	tests := []struct {
		name    string
		c       Codec
		aToB    bool
		in      any
		want    any
		wantErr string
	}{
		{"zero codec is the identity", Codec{}, true, []any{1}, []any{1}, ""},
		{"nil stays nil", NewCodec(level, mlevel, levelMap), true, nil, nil, ""},
		{"empty string is nil", NewCodec(sellsyF("n", "string"), mauticF("n", "text"), nil), true, " ", nil, ""},
		{"text identity", NewCodec(sellsyF("cf.seg", "simple-text"), mauticF("seg", "text"), nil), true, " PME ", "PME", ""},
		{"text back", NewCodec(sellsyF("cf.seg", "simple-text"), mauticF("seg", "text"), nil), false, "PME", "PME", ""},
		{"date-time without a zone keeps its time", NewCodec(FieldSpec{System: "weavy", Name: "bouncedEmailDetected", Type: "datetime"}, mauticF("bounced_at", "datetime"), nil), true, "2026-03-01 10:30:05", "2026-03-01T10:30:05Z", ""},
		{"date-time with T and no zone", NewCodec(FieldSpec{System: "weavy", Name: "d", Type: "datetime"}, mauticF("d", "datetime"), nil), true, "2026-03-01T10:30:05", "2026-03-01T10:30:05Z", ""},
		{"date-time in RFC 3339 to UTC", NewCodec(mauticF("bounced_at", "datetime"), FieldSpec{System: "weavy", Name: "d", Type: "datetime"}, nil), true, "2026-03-01T11:30:05+01:00", "2026-03-01T10:30:05Z", ""},
		{"a date as a date-time", NewCodec(FieldSpec{System: "weavy", Name: "d", Type: "datetime"}, mauticF("d", "datetime"), nil), true, "2026-03-01", "2026-03-01T00:00:00Z", ""},

		{"select by equal value", NewCodec(withOpts(sellsyF("cf.l", "select"), "gold"), mlevel, nil), true, "gold", "gold", ""},
		{"select through the value map", NewCodec(level, mlevel, levelMap), true, "Gold", "gold", ""},
		{"select back through the reversed map", NewCodec(level, mlevel, levelMap), false, "silver", "Silver", ""},
		{"select unknown value", NewCodec(level, mlevel, levelMap), true, "Platinum", nil,
			`value "Platinum" of sellsy field cf.level has no counterpart in mautic field level (options: gold, silver) and no value map entry`},
		{"select unknown value back", NewCodec(level, mlevel, nil), false, "gold", nil,
			`value "gold" of mautic field level has no counterpart in sellsy field cf.level (options: Gold, Silver, Platinum) and no value map entry`},
		{"radio to select", NewCodec(sellsyF("cf.r", "radio"), mauticF("r", "select"), nil), true, "x", "x", ""},
		{"select from a one-element list", NewCodec(level, mlevel, levelMap), true, []string{"Gold"}, "gold", ""},
		{"select from a longer list", NewCodec(level, mlevel, levelMap), true, []string{"Gold", "Silver"}, nil,
			`value [Gold Silver] of sellsy field cf.level cannot be written to mautic field level: mautic field level holds a single value`},

		{"checkbox to multiselect element-wise", NewCodec(tags, mtags, tagMap), true, []string{"A", "C"}, []string{"a", "C"}, ""},
		{"multiselect to checkbox", NewCodec(tags, mtags, tagMap), false, []any{"b", "C"}, []string{"B", "C"}, ""},
		{"checkbox unknown element", NewCodec(tags, mtags, tagMap), true, []string{"A", "Z"}, nil,
			`value "Z" of sellsy field cf.tags has no counterpart in mautic field tags (options: a, b, C) and no value map entry`},
		{"checkbox single value becomes a list", NewCodec(tags, mtags, tagMap), true, "B", []string{"b"}, ""},

		{"entity ids to multiselect", NewCodec(entity, mentity, nil), true, []string{"12", "13"}, []string{"12", "13"}, ""},
		{"entity id missing from the options", NewCodec(entity, mentity, nil), true, []string{"12", "99"}, nil,
			`value "99" of sellsy field cf.owner has no counterpart in mautic field owner (options: 12, 13) and no value map entry`},
		{"entity ids kept when options are unknown", NewCodec(entity, mauticF("owner", "multiselect"), nil), true, []string{"99"}, []string{"99"}, ""},
		{"multiselect to entity ids", NewCodec(entity, mentity, nil), false, []string{"13"}, []string{"13"}, ""},
		{"entity to single select", NewCodec(entity, mentitySingle, nil), true, []string{"12"}, "12", ""},
		{"single select to entity list", NewCodec(entity, mentitySingle, nil), false, "13", []string{"13"}, ""},

		{"date as is", NewCodec(sellsyF("cf.d", "date"), mauticF("d", "date"), nil), true, "2026-11-25", "2026-11-25", ""},
		{"date from RFC 3339", NewCodec(sellsyF("cf.d", "date"), mauticF("d", "date"), nil), false, "2026-11-25T10:00:00+01:00", "2026-11-25", ""},
		{"date from DD/MM/YYYY", NewCodec(sellsyF("cf.d", "date"), mauticF("d", "date"), nil), true, "25/11/2026", "2026-11-25", ""},
		{"bad date", NewCodec(sellsyF("cf.d", "date"), mauticF("d", "date"), nil), true, "tomorrow", nil,
			`value "tomorrow" of sellsy field cf.d cannot be written to mautic field d: not a date (YYYY-MM-DD, DD/MM/YYYY or RFC 3339)`},

		{"time to text", NewCodec(sellsyF("cf.t", "time"), mauticF("t", "text"), nil), true, "09:30", "09:30", ""},
		{"text with seconds to time", NewCodec(sellsyF("cf.t", "time"), mauticF("t", "text"), nil), false, "09:30:15", "09:30", ""},
		{"bad time", NewCodec(sellsyF("cf.t", "time"), mauticF("t", "text"), nil), false, "half past nine", nil,
			`value "half past nine" of mautic field t cannot be written to sellsy field cf.t: not a time (HH:MM)`},

		{"boolean", NewCodec(sellsyF("cf.b", "boolean"), mauticF("b", "boolean"), nil), true, true, true, ""},
		{"boolean from 1", NewCodec(sellsyF("cf.b", "boolean"), mauticF("b", "boolean"), nil), false, "1", true, ""},
		{"boolean from no", NewCodec(sellsyF("cf.b", "boolean"), mauticF("b", "boolean"), nil), false, "no", false, ""},
		{"boolean from yes", NewCodec(sellsyF("cf.b", "boolean"), mauticF("b", "boolean"), nil), false, "Yes", true, ""},
		{"boolean from false", NewCodec(sellsyF("cf.b", "boolean"), mauticF("b", "boolean"), nil), false, "false", false, ""},
		{"boolean from 0", NewCodec(sellsyF("cf.b", "boolean"), mauticF("b", "boolean"), nil), false, 0.0, false, ""},
		{"boolean from 1.0", NewCodec(sellsyF("cf.b", "boolean"), mauticF("b", "boolean"), nil), false, 1.0, true, ""},
		{"bad boolean", NewCodec(sellsyF("cf.b", "boolean"), mauticF("b", "boolean"), nil), false, "maybe", nil,
			`value "maybe" of mautic field b cannot be written to sellsy field cf.b: not a yes/no value`},

		{"numeric string", NewCodec(sellsyF("cf.n", "numeric"), mauticF("n", "number"), nil), true, "18", 18.0, ""},
		{"numeric with a comma", NewCodec(sellsyF("cf.n", "numeric"), mauticF("n", "number"), nil), true, "15,26", 15.26, ""},
		{"number back", NewCodec(sellsyF("cf.n", "numeric"), mauticF("n", "number"), nil), false, 3.0, 3.0, ""},
		{"bad number", NewCodec(sellsyF("cf.n", "numeric"), mauticF("n", "number"), nil), true, "lots", nil,
			`value "lots" of sellsy field cf.n cannot be written to mautic field n: not a number`},
		{"amount to number", NewCodec(sellsyF("cf.budget", "amount"), mauticF("budget", "number"), nil), true, 15.26, 15.26, ""},
		// (an amount maps to a number field only: the number-to-text conversion, on a pair with no type table)
		{"number to text without trailing zeros", NewCodec(FieldSpec{System: "weavy", Name: "budget", Type: "number"}, mauticF("budget", "text"), nil), true, 15.50, "15.5", ""},
		{"whole number to text", NewCodec(FieldSpec{System: "weavy", Name: "budget", Type: "number"}, mauticF("budget", "text"), nil), true, 1500.0, "1500", ""},
		{"unit to number", NewCodec(sellsyF("cf.w", "numeric-with-unit"), mauticF("w", "number"), nil), true, "2,5", 2.5, ""},
		{"list to text is refused", NewCodec(sellsyF("cf.s", "simple-text"), mauticF("s", "text"), nil), false, []string{"a", "b"}, nil,
			`value [a b] of mautic field s cannot be written to sellsy field cf.s: not a text`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got any
			var err error
			if tt.aToB {
				got, err = tt.c.AToB(tt.in)
			} else {
				got, err = tt.c.BToA(tt.in)
			}
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Equal(t, tt.wantErr, err.Error())
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

// Several A values to one B value, both ways: WithBack says which one comes back.
func TestCodecWithBack(t *testing.T) {
	sellsy := withOpts(FieldSpec{System: "sellsy", Name: "civility", Type: "select"}, "mr", "mrs", "ms")
	altior := withOpts(FieldSpec{System: "altior", Name: "civility", Type: "select"}, "M", "MME")
	values := map[string]string{"mr": "M", "mrs": "MME", "ms": "MME"}
	tests := []struct {
		name string
		back map[string]string
		from string
		want string
	}{
		{"mrs comes back", map[string]string{"M": "mr", "MME": "mrs"}, "MME", "mrs"},
		{"ms comes back", map[string]string{"M": "mr", "MME": "ms"}, "MME", "ms"},
		{"the other value unchanged", map[string]string{"M": "mr", "MME": "ms"}, "M", "mr"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := NewCodec(sellsy, altior, values).WithBack(tt.back)
			got, err := c.BToA(tt.from)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
			got, err = c.AToB("ms")
			require.NoError(t, err)
			assert.Equal(t, "MME", got, "the way there is unchanged")
		})
	}
}

func scaled(s FieldSpec, n int) FieldSpec { s.Scale = &n; return s }

// A number field with a scale reads back at that precision (Automation: a whole number
// without one): values are converted and compared at it, so Sellsy's 15.5 and the 15 read
// back from Automation are one value, not a change to copy back on every pass.
func TestCodecNumberScale(t *testing.T) {
	num := sellsyF("cf.n", "numeric")
	whole := scaled(mauticF("n", "number"), 0)
	cents := scaled(mauticF("n", "number"), 2)
	tests := []struct {
		name string
		c    Codec
		way  string // "a→b", "b→a", or the direction of MergeB
		in   any
		want any
	}{
		{"to a whole-number field: decimals dropped", NewCodec(num, whole, nil), "a→b", 15.5, 15.0},
		{"as PHP's (int): toward zero", NewCodec(num, whole, nil), "a→b", 15.99, 15.0},
		{"negative toward zero", NewCodec(num, whole, nil), "a→b", -2.7, -2.0},
		{"no negative zero", NewCodec(num, whole, nil), "a→b", -0.4, 0.0},
		{"from a string", NewCodec(num, whole, nil), "a→b", "1234,56", 1234.0},
		{"to a field with a scale: rounded", NewCodec(num, cents, nil), "a→b", 12.345, 12.35},
		{"rounded half away from zero", NewCodec(num, cents, nil), "a→b", -0.125, -0.13},
		{"within the scale: unchanged", NewCodec(num, cents, nil), "a→b", 12.5, 12.5},
		{"no scale known: unchanged", NewCodec(num, mauticF("n", "number"), nil), "a→b", 15.5, 15.5},
		{"to text: unchanged", NewCodec(num, scaled(mauticF("n", "text"), 0), nil), "a→b", 15.5, "15.5"},
		{"back to a field without a scale: unchanged", NewCodec(num, whole, nil), "b→a", 15.0, 15.0},
		{"back to a whole-number field on side A", NewCodec(whole, num, nil), "b→a", 15.5, 15.0},
		{"B read at side A's scale", NewCodec(whole, num, nil), "both", 15.5, 15.0},
		{"B read at side A's scale, from a string", NewCodec(whole, num, nil), "b_to_a", "15.5", 15.0},
		{"B kept when side A has no scale", NewCodec(num, whole, nil), "both", 15.0, 15.0},
		{"B not a number: as read", NewCodec(whole, num, nil), "both", "lots", "lots"},
		{"B only a target: at its own precision", NewCodec(whole, num, nil), "a_to_b", 15.9, 15.9},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got any
			var err error
			switch tt.way {
			case "a→b":
				got, err = tt.c.AToB(tt.in)
			case "b→a":
				got, err = tt.c.BToA(tt.in)
			default:
				got = tt.c.MergeB(tt.in, config.Direction(tt.way))
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
			if f, ok := got.(float64); ok && f == 0 {
				assert.False(t, math.Signbit(f), "-0 would be written as -0")
			}
		})
	}
}

// A value map may name an option by any of its labels (an Altior civility: "Madame" and its
// abbreviation "Mme" are both MME): the value comes back through whichever the map names.
func TestCodecOptionWithSeveralLabels(t *testing.T) {
	sellsy := withOpts(FieldSpec{System: "sellsy", Name: "civility", Type: "select"}, "mr", "mrs")
	altior := FieldSpec{System: "altior", Name: "civility", Type: "select", Options: []connectors.Option{
		{Value: "M", Label: "Monsieur"}, {Value: "MME", Label: "Madame"}, {Value: "M", Label: "M."}, {Value: "MME", Label: "Mme"},
	}}
	tests := []struct {
		name   string
		values map[string]string
	}{
		{"by abbreviation", map[string]string{"mr": "M.", "mrs": "Mme"}},
		{"by label", map[string]string{"mr": "Monsieur", "mrs": "Madame"}},
		{"by code", map[string]string{"mr": "M", "mrs": "MME"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := NewCodec(sellsy, altior, tt.values)
			for a, b := range map[string]string{"mr": "M", "mrs": "MME"} {
				got, err := c.AToB(a)
				require.NoError(t, err)
				assert.Equal(t, b, got)
				back, err := c.BToA(b)
				require.NoError(t, err, "%s comes back", b)
				assert.Equal(t, a, back)
			}
		})
	}
}

// Select and list values match the same way in both directions: a value maps when the other
// side has an option whose value or label names the same choice (its own value, or its
// option's label); an explicit value map comes first; names compare composed (NFC) and with
// their case, both ways alike.
func TestCodecSelectMatchesBothWays(t *testing.T) {
	const decomposed, composed = "E\u0301lectricite\u0301", "\u00c9lectricit\u00e9" // "Électricité" twice
	sellsyLevel := withOpts(sellsyF("cf.level", "select"), "Gold", "Silver")        // Sellsy options: value = label
	mauticLevel := FieldSpec{System: "mautic", Name: "level", Type: "select", Options: []connectors.Option{
		{Value: "gold", Label: "Gold"}, {Value: "silver", Label: "Silver"},
	}}
	lower := withOpts(mauticF("level", "select"), "gold", "silver") // value = label: no label to meet
	sellsySector := withOpts(sellsyF("cf.sector", "select"), composed, "Services")
	mauticSector := FieldSpec{System: "mautic", Name: "sector", Type: "select", Options: []connectors.Option{
		{Value: "elec", Label: decomposed}, {Value: "serv", Label: "Services"},
	}}
	sellsyDecomposed := withOpts(sellsyF("cf.sector", "select"), decomposed)
	mauticComposed := FieldSpec{System: "mautic", Name: "sector", Type: "select", Options: []connectors.Option{{Value: "elec", Label: composed}}}
	tags := withOpts(sellsyF("cf.tags", "checkbox"), "Web", "Salon")
	mtags := FieldSpec{System: "mautic", Name: "tags", Type: "multiselect", Options: []connectors.Option{
		{Value: "web", Label: "Web"}, {Value: "fair", Label: "Salon"},
	}}
	// A system that reads an option by its label, whose value the other side uses.
	byLabel := FieldSpec{System: "minicrm", Name: "status", Type: "select", Options: []connectors.Option{{Value: "2001", Label: "New"}}}
	byValue := FieldSpec{System: "mautic", Name: "status", Type: "select", Options: []connectors.Option{{Value: "2001", Label: "Nouveau"}}}

	tests := []struct {
		name       string
		a, b       FieldSpec
		values     map[string]string
		aVal, bVal any    // each converts to the other
		wantErrAB  string // AToB(aVal) fails so (then BToA(bVal) is checked against wantErrBA)
		wantErrBA  string
		backA      any // what BToA(bVal) gives when it is not aVal
	}{
		{name: "by the Automation label, Gold", a: sellsyLevel, b: mauticLevel, aVal: "Gold", bVal: "gold"},
		{name: "by the Automation label, Silver (the issue's way back)", a: sellsyLevel, b: mauticLevel, aVal: "Silver", bVal: "silver"},
		{name: "Sellsy on side B", a: mauticLevel, b: sellsyLevel, aVal: "silver", bVal: "Silver"},
		{name: "explicit map first, over the labels", a: sellsyLevel, b: mauticLevel, values: map[string]string{"Gold": "silver", "Silver": "gold"}, aVal: "Gold", bVal: "silver"},
		{name: "explicit map first, the other entry", a: sellsyLevel, b: mauticLevel, values: map[string]string{"Gold": "silver", "Silver": "gold"}, aVal: "Silver", bVal: "gold"},
		{name: "explicit map by the Automation label", a: sellsyLevel, b: mauticLevel, values: map[string]string{"Gold": "Silver"}, aVal: "Gold", bVal: "silver"},
		{name: "accents composed on Sellsy, decomposed on Automation", a: sellsySector, b: mauticSector, aVal: composed, bVal: "elec"},
		{name: "accents decomposed on Sellsy, composed on Automation", a: sellsyDecomposed, b: mauticComposed, aVal: decomposed, bVal: "elec"},
		{name: "a value map written with decomposed accents", a: sellsySector, b: withOpts(mauticF("sector", "select"), "e", "s"), values: map[string]string{decomposed: "e", "Services": "s"}, aVal: composed, bVal: "e"},
		{name: "checkbox ⇄ multiselect by labels", a: tags, b: mtags, aVal: []string{"Web", "Salon"}, bVal: []string{"web", "fair"}},
		{name: "a label given on one side, the same option value on the other", a: byLabel, b: byValue, aVal: "New", bVal: "2001", backA: "2001"}, // written back by its value
		{name: "case counts, Sellsy → Automation", a: sellsyLevel, b: lower, aVal: "Silver",
			wantErrAB: `value "Silver" of sellsy field cf.level has no counterpart in mautic field level (options: gold, silver) and no value map entry`},
		{name: "case counts, Automation → Sellsy", a: sellsyLevel, b: lower, bVal: "silver",
			wantErrBA: `value "silver" of mautic field level has no counterpart in sellsy field cf.level (options: Gold, Silver) and no value map entry`},
		{name: "no option of that name either way", a: sellsyLevel, b: mauticLevel, aVal: "Bronze",
			wantErrAB: `value "Bronze" of sellsy field cf.level has no counterpart in mautic field level (options: gold, silver) and no value map entry`},
		{name: "no option of that name, the way back", a: sellsyLevel, b: mauticLevel, bVal: "bronze",
			wantErrBA: `value "bronze" of mautic field level has no counterpart in sellsy field cf.level (options: Gold, Silver) and no value map entry`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := NewCodec(tt.a, tt.b, tt.values)
			if tt.aVal != nil {
				got, err := c.AToB(tt.aVal)
				if tt.wantErrAB != "" {
					require.Error(t, err)
					assert.Equal(t, tt.wantErrAB, err.Error())
				} else {
					require.NoError(t, err, "A → B")
					assert.Equal(t, tt.bVal, got, "A → B")
				}
			}
			if tt.bVal != nil {
				got, err := c.BToA(tt.bVal)
				if tt.wantErrBA != "" {
					require.Error(t, err)
					assert.Equal(t, tt.wantErrBA, err.Error())
				} else if tt.wantErrAB == "" {
					require.NoError(t, err, "B → A")
					want := tt.aVal
					if tt.backA != nil {
						want = tt.backA
					}
					assert.Equal(t, want, got, "B → A")
					// And it is stable: the value merged from B is B's value.
					assert.Equal(t, tt.bVal, c.MergeB(tt.bVal, config.Both), "merge space")
				}
			}
		})
	}
}

// Every option of either side finds its counterpart when the other side names it by value or
// label, whichever side it starts from, and comes back to itself.
func TestCodecSelectRoundTripsFromEitherSide(t *testing.T) {
	sellsy := withOpts(sellsyF("cf.level", "select"), "Bronze", "Silver", "Gold")
	mautic := FieldSpec{System: "mautic", Name: "level", Type: "select", Options: []connectors.Option{
		{Value: "gold", Label: "Gold"}, {Value: "silver", Label: "Silver"}, {Value: "Bronze", Label: "Third place"},
	}}
	for _, pair := range []struct {
		name string
		c    Codec
	}{
		{"sellsy on side A", NewCodec(sellsy, mautic, nil)},
		{"sellsy on side B", NewCodec(mautic, sellsy, nil)},
	} {
		t.Run(pair.name, func(t *testing.T) {
			for _, o := range pair.c.a.Options {
				there, err := pair.c.AToB(o.Value)
				require.NoError(t, err, "A %s", o.Value)
				back, err := pair.c.BToA(there)
				require.NoError(t, err, "A %s → B %v", o.Value, there)
				assert.Equal(t, o.Value, back, "A %s → B %v", o.Value, there)
			}
			for _, o := range pair.c.b.Options {
				there, err := pair.c.BToA(o.Value)
				require.NoError(t, err, "B %s", o.Value)
				back, err := pair.c.AToB(there)
				require.NoError(t, err, "B %s → A %v", o.Value, there)
				assert.Equal(t, o.Value, back, "B %s → A %v", o.Value, there)
			}
		})
	}
}
