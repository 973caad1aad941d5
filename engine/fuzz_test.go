package engine

import (
	"math"
	"sort"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/connectors"
)

// fuzzValue builds a record value of one of the shapes connectors give.
func fuzzValue(shape uint8, s string, f float64, b bool) any {
	switch shape % 5 {
	case 0:
		return s
	case 1:
		return f
	case 2:
		return b
	case 3:
		return []string{s, "2"}
	default:
		return []any{s}
	}
}

// For every two-way mapping the type table allows, whatever the value: converting never panics, and a
// value that went to the other side and back converts to what it converted to the first time.
// Were it otherwise, each cycle would see a change that is none and write it again (an echo).
func FuzzCodecRoundTripIsStable(f *testing.F) {
	f.Add(uint8(0), "2024-03-01", 12.5, true)
	f.Add(uint8(0), "09:30", 0.0, false)
	f.Add(uint8(0), " yes ", 1.0, true)
	f.Add(uint8(1), "", 1e21, false)
	f.Add(uint8(3), "1", math.Copysign(0, -1), true)
	f.Add(uint8(4), "01/02/2024", 3.0, false)
	options := []connectors.Option{{Value: "1", Label: "One"}, {Value: "2", Label: "Two"}}
	// Every rule of both tables: the custom fields' (named cf.…) and the standard fields'.
	type entry struct {
		name, kind string
		r          rule
	}
	var entries []entry
	for name, table := range map[string]map[string]rule{"cf.x": sellsyCustomToMautic, "x": sellsyStandardToMautic} {
		for kind, r := range table {
			entries = append(entries, entry{name, kind, r})
		}
	}
	sort.Slice(entries, func(i, j int) bool {
		return entries[i].name+" "+entries[i].kind < entries[j].name+" "+entries[j].kind
	})
	f.Fuzz(func(t *testing.T, shape uint8, s string, num float64, b bool) {
		v := fuzzValue(shape, s, num, b)
		for _, e := range entries {
			if e.r.oneWay {
				continue // nothing comes back
			}
			kind := e.kind
			for _, target := range e.r.targets {
				a := FieldSpec{System: "sellsy", Name: e.name, Type: kind}
				m := FieldSpec{System: "mautic", Name: "f", Type: target}
				if classOf(m) == classSingle || classOf(m) == classList {
					a.Options, m.Options = options, options
				}
				c := NewCodec(a, m, nil)
				for _, way := range []struct {
					name        string
					there, back func(any) (any, error)
				}{{"A→B", c.AToB, c.BToA}, {"B→A", c.BToA, c.AToB}} {
					w, err := way.there(v)
					if err != nil {
						continue
					}
					v2, err := way.back(w)
					if err != nil {
						continue
					}
					w2, err := way.there(v2)
					require.NoError(t, err, "%s %s→%s: %#v → %#v → %#v", way.name, kind, target, v, w, v2)
					assert.True(t, Equal(w, w2), "%s %s→%s: %#v → %#v → %#v → %#v", way.name, kind, target, v, w, v2, w2)
				}
			}
		}
	})
}

// Equal is reflexive and symmetric, and agrees with Canon, for any value shape.
func FuzzEqual(f *testing.F) {
	f.Add(uint8(0), "x", uint8(1), "1", 1.0, true)
	f.Add(uint8(3), "a", uint8(4), "a", 0.0, false)
	f.Fuzz(func(t *testing.T, s1 uint8, t1 string, s2 uint8, t2 string, num float64, b bool) {
		x, y := fuzzValue(s1, t1, num, b), fuzzValue(s2, t2, num, !b)
		assert.True(t, Equal(x, x), "%#v equals itself", x)
		assert.Equal(t, Equal(x, y), Equal(y, x), "%#v, %#v", x, y)
		assert.True(t, Equal(x, Canon(x)), "%#v equals its canonical form", x)
	})
}
