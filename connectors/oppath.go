package connectors

import (
	"regexp"
	"strings"
)

// version matches a path segment that names an API version rather than a record: v1, V2.1, R3.
var version = regexp.MustCompile(`^[vVrR][0-9]+(\.[0-9]+)*$`)

// OpPath returns path fit for an Error's Op: without its query, and with every segment that
// may be an id or a value replaced by {id}. A segment is taken for one when it holds a digit
// (unless it is a version such as v1 or R3), an "@" or a percent-escape, so that
// "/api/contacts/12/edit" becomes "/api/contacts/{id}/edit" and "/tiers/T000042" becomes
// "/tiers/{id}". A code without digits ("/customer/DUPONT") cannot be told from a route
// segment: a connector whose routes carry such codes replaces them itself.
func OpPath(path string) string {
	path, _, _ = strings.Cut(path, "?")
	segs := strings.Split(path, "/")
	for i, s := range segs {
		if isIDSegment(s) {
			segs[i] = "{id}"
		}
	}
	return strings.Join(segs, "/")
}

func isIDSegment(s string) bool {
	if s == "" || version.MatchString(s) {
		return false
	}
	return strings.ContainsAny(s, "0123456789@%")
}
