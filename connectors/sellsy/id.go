package sellsy

import (
	"strconv"
	"strings"
)

// ParseID reads a Sellsy record id: a positive decimal integer, with spaces around it allowed
// (a link a user maps may carry them). It is the one rule every call that takes an id follows,
// so that an id names the same record — or none — in Get, Update, Delete and Gone alike;
// callers send strconv.Itoa of the number, never the string as given, so " 12 ", "012" and
// "+12" all reach record 12. "0", "-3" and anything that is not an integer name no record and
// are not sent.
func ParseID(s string) (int, bool) {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	return n, err == nil && n > 0
}
