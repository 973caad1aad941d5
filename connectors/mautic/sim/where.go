package sim

import (
	"encoding/csv"
	"fmt"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// parseBracketed turns PHP-style query keys (where[0][val][1][col]=x) into nested maps, the way
// PHP builds $_GET. "[]" appends.
func parseBracketed(q url.Values, base string) any {
	var root any
	for key, vals := range q {
		if key != base && !strings.HasPrefix(key, base+"[") {
			continue
		}
		parts := bracketParts(key[len(base):])
		for _, v := range vals {
			root = setPath(root, parts, v)
		}
	}
	return root
}

func bracketParts(s string) []string {
	var parts []string
	for len(s) > 0 && s[0] == '[' {
		end := strings.IndexByte(s, ']')
		if end < 0 {
			break
		}
		parts = append(parts, s[1:end])
		s = s[end+1:]
	}
	return parts
}

func setPath(node any, parts []string, v string) any {
	if len(parts) == 0 {
		return v
	}
	m, ok := node.(map[string]any)
	if !ok {
		m = map[string]any{}
	}
	k := parts[0]
	if k == "" {
		k = strconv.Itoa(len(m))
	}
	m[k] = setPath(m[k], parts[1:], v)
	return m
}

// ordered returns the values of a PHP array (map with keys) in key order, numeric keys first.
func ordered(node any) []any {
	m, ok := node.(map[string]any)
	if !ok {
		return nil
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		a, ea := strconv.Atoi(keys[i])
		b, eb := strconv.Atoi(keys[j])
		if ea == nil && eb == nil {
			return a < b
		}
		return keys[i] < keys[j]
	})
	out := make([]any, len(keys))
	for i, k := range keys {
		out[i] = m[k]
	}
	return out
}

// clause is one where[] entry.
type clause struct {
	col  string
	expr string
	val  string
	vals []string        // in / notIn / between
	set  map[string]bool // in / notIn: lower-cased values
	num  float64         // numeric value (id, points, number fields)
	tm   time.Time       // date value
	re   *regexp.Regexp
	sub  []clause // andX / orX
}

var exprs = map[string]bool{"eq": true, "neq": true, "lt": true, "lte": true, "gt": true, "gte": true,
	"like": true, "notLike": true, "in": true, "notIn": true, "between": true, "notBetween": true,
	"isNull": true, "isNotNull": true, "isEmpty": true, "isNotEmpty": true, "andX": true, "orX": true}

// buildClauses converts parsed where[] entries, checking columns against the object's columns.
func (s *store) buildClauses(node any) ([]clause, error) {
	var out []clause
	for _, raw := range ordered(node) {
		m, ok := raw.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("where: each clause needs col, expr and val")
		}
		if _, internal := m["internal"]; internal {
			continue // Mautic strips clauses with an internal key
		}
		c := clause{expr: str(m["expr"]), col: strings.TrimPrefix(strings.TrimPrefix(str(m["col"]), "l."), "comp.")}
		if !exprs[c.expr] {
			return nil, fmt.Errorf("where: unknown expr %q", c.expr)
		}
		if c.expr == "andX" || c.expr == "orX" {
			sub, err := s.buildClauses(m["val"])
			if err != nil {
				return nil, err
			}
			c.sub = sub
			out = append(out, c)
			continue
		}
		kind, ok := s.colKind(c.col)
		if !ok {
			return nil, fmt.Errorf("where: unknown column %q", c.col)
		}
		switch c.expr {
		case "in", "notIn":
			r := csv.NewReader(strings.NewReader(str(m["val"])))
			r.LazyQuotes = true
			rec, err := r.Read()
			if err != nil {
				rec = nil
			}
			c.vals = rec
			c.set = make(map[string]bool, len(rec))
			for _, v := range rec {
				c.set[strings.ToLower(v)] = true
			}
		case "between", "notBetween":
			for _, v := range ordered(m["val"]) {
				c.vals = append(c.vals, str(v))
			}
			if len(c.vals) != 2 {
				return nil, fmt.Errorf("where: %s needs two values", c.expr)
			}
		case "like", "notLike":
			c.val = str(m["val"])
			c.re = likeRegexp(c.val)
		default:
			c.val = str(m["val"])
		}
		switch kind {
		case kindNumber:
			c.num, _ = strconv.ParseFloat(c.val, 64)
		case kindDate:
			if c.val != "" {
				t, err := parseWhereTime(c.val)
				if err != nil {
					return nil, fmt.Errorf("where: bad date %q", c.val)
				}
				c.tm = t
			}
		}
		out = append(out, c)
	}
	return out, nil
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

// parseWhereTime reads a where[] date. Mautic hands the string to the database, which stores
// UTC in "Y-m-d H:i:s"; RFC 3339 and plain dates are accepted as a convenience.
func parseWhereTime(v string) (time.Time, error) {
	for _, layout := range []string{"2006-01-02 15:04:05", time.RFC3339, "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, v, time.UTC); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("bad time")
}

func likeRegexp(p string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString("(?is)^")
	for _, r := range p {
		switch r {
		case '%':
			b.WriteString(".*")
		case '_':
			b.WriteString(".")
		default:
			b.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	b.WriteString("$")
	return regexp.MustCompile(b.String())
}

type colKind int

const (
	kindText colKind = iota
	kindNumber
	kindDate
)

func (s *store) colKind(col string) (colKind, bool) {
	switch col {
	case "id", "points", "score":
		return kindNumber, true
	case "date_added", "date_modified", "date_identified", "last_active":
		return kindDate, true
	}
	f, ok := s.fieldByAlias[col]
	if !ok {
		return 0, false
	}
	if f.Type == "number" || f.Type == "boolean" {
		return kindNumber, true
	}
	return kindText, true
}

// colValue returns a record's value for a column: nil for NULL, else float64, time.Time or string.
func (s *store) colValue(r *rec, col string) any {
	switch col {
	case "id":
		return float64(r.id)
	case "date_added":
		return r.added
	case "date_identified":
		if r.identified == nil {
			return nil
		}
		return *r.identified
	case "date_modified":
		if r.modified == nil {
			return nil
		}
		return *r.modified
	case "last_active":
		return nil
	case "points", "score":
		if v, ok := r.fields["points"]; ok && v != nil {
			return toFloat(v)
		}
		return float64(0)
	}
	v, ok := r.fields[col]
	if !ok || v == nil {
		return nil
	}
	switch x := v.(type) {
	case float64:
		return x
	case int:
		return float64(x)
	case string:
		return x
	}
	return fmt.Sprint(v)
}

func toFloat(v any) float64 {
	switch x := v.(type) {
	case float64:
		return x
	case int:
		return float64(x)
	case string:
		f, _ := strconv.ParseFloat(x, 64)
		return f
	}
	return 0
}

// match evaluates clauses (ANDed) on r with SQL semantics: a comparison with NULL is false.
func (s *store) match(r *rec, cs []clause) bool {
	for i := range cs {
		if !s.matchOne(r, &cs[i]) {
			return false
		}
	}
	return true
}

func (s *store) matchOne(r *rec, c *clause) bool {
	switch c.expr {
	case "andX":
		return s.match(r, c.sub)
	case "orX":
		for i := range c.sub {
			if s.matchOne(r, &c.sub[i]) {
				return true
			}
		}
		return len(c.sub) == 0
	}
	v := s.colValue(r, c.col)
	switch c.expr {
	case "isNull":
		return v == nil
	case "isNotNull":
		return v != nil
	case "isEmpty":
		return v == nil || v == ""
	case "isNotEmpty":
		return v != nil && v != ""
	}
	if v == nil {
		return false
	}
	switch c.expr {
	case "like":
		return c.re.MatchString(fmt.Sprint(v))
	case "notLike":
		return !c.re.MatchString(fmt.Sprint(v))
	case "in", "notIn":
		if x, ok := v.(string); ok {
			return c.set[strings.ToLower(x)] == (c.expr == "in")
		}
		in := false
		for _, x := range c.vals {
			if cmpValue(v, x) == 0 {
				in = true
				break
			}
		}
		return in == (c.expr == "in")
	case "between", "notBetween":
		in := cmpValue(v, c.vals[0]) >= 0 && cmpValue(v, c.vals[1]) <= 0
		return in == (c.expr == "between")
	}
	var d int
	switch x := v.(type) {
	case float64:
		d = cmpFloat(x, c.num)
	case time.Time:
		d = x.Compare(c.tm)
	default:
		d = strings.Compare(strings.ToLower(fmt.Sprint(v)), strings.ToLower(c.val))
	}
	switch c.expr {
	case "eq":
		return d == 0
	case "neq":
		return d != 0
	case "lt":
		return d < 0
	case "lte":
		return d <= 0
	case "gt":
		return d > 0
	case "gte":
		return d >= 0
	}
	return false
}

// cmpValue compares a column value with a raw string the way MySQL would (case-insensitive
// collation for text).
func cmpValue(v any, raw string) int {
	switch x := v.(type) {
	case float64:
		f, _ := strconv.ParseFloat(raw, 64)
		return cmpFloat(x, f)
	case time.Time:
		t, _ := parseWhereTime(raw)
		return x.Compare(t)
	}
	return strings.Compare(strings.ToLower(fmt.Sprint(v)), strings.ToLower(raw))
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
