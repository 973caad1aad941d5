package config

import (
	"fmt"
	"math"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// shapeProblem is a connection file's value that does not fit where it stands: an unknown
// key, a list where a text is expected, "lots" for a number. It names the line, the field
// (schedule.max_deletes) and the reason.
type shapeProblem struct {
	line   int
	path   string
	reason string
}

func (p shapeProblem) String() string {
	where := p.path
	if where == "" {
		where = "the file"
	}
	return fmt.Sprintf("line %d: %s: %s", p.line, where, p.reason)
}

// maxShapeSteps bounds the walk of a file whose aliases multiply it (the decoder refuses
// such a file on its own).
const maxShapeSteps = 100_000

// shapeChecker walks a connection file's YAML against the Connection type, collecting every
// problem instead of stopping at the first as the decoder does, each with its field path.
// Values are never quoted under credentials (a misplaced secret is not repeated).
type shapeChecker struct {
	problems []shapeProblem
	steps    int
	active   map[*yaml.Node]bool // aliases being expanded: one that contains itself stops
}

// shapeProblems returns the problems of the document's root node, in line order.
func shapeProblems(root *yaml.Node) []shapeProblem {
	sc := &shapeChecker{active: map[*yaml.Node]bool{}}
	sc.check(root, reflect.TypeFor[Connection](), "")
	sort.SliceStable(sc.problems, func(i, j int) bool { return sc.problems[i].line < sc.problems[j].line })
	return sc.problems
}

var durationType = reflect.TypeFor[Duration]()

func (sc *shapeChecker) add(n *yaml.Node, path, format string, args ...any) {
	sc.problems = append(sc.problems, shapeProblem{line: n.Line, path: path, reason: fmt.Sprintf(format, args...)})
}

func (sc *shapeChecker) check(n *yaml.Node, t reflect.Type, path string) {
	if sc.steps++; sc.steps > maxShapeSteps {
		return
	}
	if n.Kind == yaml.AliasNode {
		if n.Alias == nil || sc.active[n] {
			sc.add(n, path, "the alias *%s refers to itself", n.Value)
			return
		}
		sc.active[n] = true
		sc.check(n.Alias, t, path)
		delete(sc.active, n)
		return
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		switch {
		case t == filterItemType:
			sc.add(n, path, `no value: give each value of the list (a text or a number; "" for an empty field)`)
		case t.Kind() == reflect.Interface:
			// A filter value left empty has no default: it would keep only the records
			// whose field is empty, and create records with none.
			sc.add(n, path, `no value: give the value records must hold, or a list of the values they may hold (a text, a number, true or false; "" for an empty field)`)
		}
		return // nothing: the default
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == durationType {
		if n.Kind != yaml.ScalarNode {
			sc.add(n, path, "%s where a duration is expected (examples: 90s, 15m, 1h)", nodeKind(n))
		} else if _, err := time.ParseDuration(n.Value); err != nil {
			sc.add(n, path, "%q is not a duration (examples: 90s, 15m, 1h)", n.Value)
		}
		return
	}
	switch t.Kind() {
	case reflect.Struct:
		if sc.want(n, yaml.MappingNode, t, path) {
			sc.checkStruct(n, t, path, map[string]int{})
		}
	case reflect.Map:
		if !sc.want(n, yaml.MappingNode, t, path) {
			return
		}
		seen := map[string]int{}
		sc.pairs(n, func(key, value *yaml.Node) {
			at := joinKey(path, key.Value)
			if key.Kind != yaml.ScalarNode {
				sc.add(key, path, "%s as a key: keys are single values", nodeKind(key))
				return
			}
			if line, dup := seen[key.Value]; dup {
				sc.add(key, at, "given twice (first at line %d)", line)
			}
			seen[key.Value] = key.Line
			sc.check(value, t.Elem(), at)
		})
	case reflect.Slice:
		if sc.want(n, yaml.SequenceNode, t, path) {
			for i, item := range n.Content {
				sc.check(item, t.Elem(), fmt.Sprintf("%s[%d]", path, i))
			}
		}
	case reflect.Interface:
		sc.filterValue(n, t == filterItemType, path)
	case reflect.String:
		sc.want(n, yaml.ScalarNode, t, path)
	case reflect.Int, reflect.Int64:
		if !sc.want(n, yaml.ScalarNode, t, path) {
			return
		}
		_, quotedErr := strconv.Atoi(n.Value)
		switch {
		case n.Tag == "!!str" && quotedErr == nil:
			sc.add(n, path, "%q is quoted: give the whole number without quotes", n.Value)
		case n.Tag == "!!int" && n.Decode(reflect.New(t).Interface()) == nil:
		case (n.Tag == "!!int" || n.Tag == "!!float") && wholeNumber.MatchString(n.Value):
			// Past an int's range: the decoder's "cannot unmarshal !!int `1844674...` into
			// int" names no field, and a longer one it reads as a decimal number.
			if strings.HasPrefix(n.Value, "-") {
				sc.add(n, path, "%s is too small a number (at least %d)", sc.quote(n, path), int64(math.MinInt64))
			} else {
				sc.add(n, path, "%s is too large a number (at most %d)", sc.quote(n, path), int64(math.MaxInt64))
			}
		default:
			sc.add(n, path, "%s is not a whole number", sc.quote(n, path))
		}
	case reflect.Bool:
		if !sc.want(n, yaml.ScalarNode, t, path) {
			return
		}
		switch {
		case n.Tag == "!!bool" || slices.Contains(yaml11Bools, n.Value):
		case slices.Contains(quotedBools, n.Value):
			// "true" quoted: the decoder takes "yes" quoted for true, not "true". The node
			// is marked a boolean for it, as it would read true unquoted.
			n.Tag = "!!bool"
		default:
			sc.add(n, path, "%s is not true or false", sc.quote(n, path))
		}
	}
}

// filterItemType stands for a value of a filter's list, which check takes apart from a
// filter value (any): an item is neither a list nor true or false.
type filterItem any

var filterItemType = reflect.TypeFor[filterItem]()

// filterValue checks a filter value: one value, or a list of the values a record may hold
// (Sellsy companies of type prospect or client), compared with the records' values and
// written on the records created (a list's first). A value is kept as written, true and
// false apart: YAML's rules would make 0123 the octal 83, 2026-01-31 a time and 1e3 the
// number 1000, which no record holding them would pass.
func (sc *shapeChecker) filterValue(n *yaml.Node, item bool, path string) {
	switch {
	case n.Kind == yaml.SequenceNode && !item:
		if len(n.Content) == 0 {
			sc.add(n, path, "an empty list, which no record would pass: give the values records may hold, at least one")
		}
		for i, v := range n.Content {
			sc.check(v, filterItemType, fmt.Sprintf("%s[%d]", path, i))
		}
	case n.Kind != yaml.ScalarNode && item:
		sc.add(n, path, "%s in a list of values: each is one value (a text or a number)", nodeKind(n))
	case n.Kind != yaml.ScalarNode:
		sc.add(n, path, "%s where a value or a list of values is expected (a text, a number, true or false)", nodeKind(n))
	case n.Tag == "!!bool" && item:
		// A yes/no gate holds one of two values: a list of both would let every record
		// through, and a list of one is the value itself.
		sc.add(n, path, "%s in a list of values: a yes/no gate takes one value, true or false, not a list", n.Value)
	case n.Tag != "!!bool":
		n.Tag = "!!str"
	}
}

// yaml11Bools are the texts the decoder takes for true or false in a boolean field, quoted
// or not.
var yaml11Bools = []string{"y", "Y", "yes", "Yes", "YES", "on", "On", "ON", "n", "N", "no", "No", "NO", "off", "Off", "OFF"}

// quotedBools are YAML's own booleans, which a boolean field takes quoted too.
var quotedBools = []string{"true", "True", "TRUE", "false", "False", "FALSE"}

// checkStruct checks a mapping against a section's keys; the keys of merged mappings
// (<<: *base) are checked as the section's, and a key of the mapping's own overrides one of
// theirs (it is not given twice).
func (sc *shapeChecker) checkStruct(n *yaml.Node, t reflect.Type, path string, seen map[string]int) {
	fields := yamlFields(t)
	sc.pairs(n, func(key, value *yaml.Node) {
		if key.Kind == yaml.ScalarNode && key.Value == "<<" && key.Tag == "!!merge" {
			for value.Kind == yaml.AliasNode && value.Alias != nil && !sc.active[value] {
				value = value.Alias
			}
			merged := []*yaml.Node{value}
			if value.Kind == yaml.SequenceNode {
				merged = value.Content
			}
			for _, m := range merged {
				for m.Kind == yaml.AliasNode && m.Alias != nil {
					m = m.Alias
				}
				if sc.steps++; m.Kind == yaml.MappingNode && sc.steps < maxShapeSteps && !sc.active[m] {
					sc.active[m] = true
					sc.checkStruct(m, t, path, map[string]int{})
					delete(sc.active, m)
				}
			}
			return
		}
		if key.Kind != yaml.ScalarNode {
			sc.add(key, path, "%s as a key: keys are single values", nodeKind(key))
			return
		}
		at := joinKey(path, key.Value)
		f, ok := fields[key.Value]
		if !ok {
			names := sortedKeys(fields)
			hint := DidYouMean(key.Value, names)
			if hint == "" {
				hint = nestedKey(key.Value, fields)
			}
			sc.add(key, at, "unknown key%s; the keys of %s: %s", hint, sectionName(path), strings.Join(names, ", "))
			return
		}
		if line, dup := seen[key.Value]; dup {
			sc.add(key, at, "given twice (first at line %d)", line)
		}
		seen[key.Value] = key.Line
		sc.check(value, f.Type, at)
	})
}

// nestedKey is " (did you mean schedule.interval? it goes under schedule)" when key is near
// a key of one of the sections fields holds, or "".
func nestedKey(key string, fields map[string]reflect.StructField) string {
	for _, name := range sortedKeys(fields) {
		t := fields[name].Type
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct || t == durationType {
			continue
		}
		if n := Nearest(key, sortedKeys(yamlFields(t))); n != "" {
			return fmt.Sprintf(" (did you mean %s.%s? it goes under %s)", name, n, name)
		}
	}
	return ""
}

func (sc *shapeChecker) pairs(n *yaml.Node, each func(key, value *yaml.Node)) {
	for i := 0; i+1 < len(n.Content); i += 2 {
		each(n.Content[i], n.Content[i+1])
	}
}

// want reports whether n is of kind, and adds the problem when it is not.
func (sc *shapeChecker) want(n *yaml.Node, kind yaml.Kind, t reflect.Type, path string) bool {
	if n.Kind == kind {
		return true
	}
	sc.add(n, path, "%s where %s is expected", nodeKind(n), typeKind(t))
	return false
}

// quote shows a value in a message, except under credentials.
func (sc *shapeChecker) quote(n *yaml.Node, path string) string {
	if strings.Contains(path, "credentials") {
		return "the value"
	}
	return strconv.Quote(n.Value)
}

// yamlFields maps a section's YAML keys to its fields.
func yamlFields(t reflect.Type) map[string]reflect.StructField {
	out := map[string]reflect.StructField{}
	for _, f := range reflect.VisibleFields(t) {
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if !f.IsExported() || name == "-" || f.Anonymous {
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		out[name] = f
	}
	return out
}

// wholeNumber is a whole number written in decimal digits, whatever its size.
var wholeNumber = regexp.MustCompile(`^[-+]?[0-9]+$`)

var plainKey = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// joinKey appends a key to a field path: schedule.max_deletes, values["Mr."].
func joinKey(path, key string) string {
	switch {
	case !plainKey.MatchString(key):
		return fmt.Sprintf("%s[%q]", path, key)
	case path == "":
		return key
	}
	return path + "." + key
}

func sectionName(path string) string {
	if path == "" {
		return "a connection file"
	}
	return path
}

// nodeKind names what a node holds, for a user.
func nodeKind(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	}
	switch n.Tag {
	case "!!int", "!!float":
		return "a number"
	case "!!bool":
		return "true or false"
	}
	return "a text"
}

// typeKind names what a field of type t holds, for a user.
func typeKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Struct, reflect.Map:
		return "a mapping (key: value)"
	case reflect.Slice:
		return "a list"
	case reflect.Int, reflect.Int64:
		return "a whole number"
	case reflect.Bool:
		return "true or false"
	}
	return "a text"
}
