package engine

import (
	"fmt"
	"slices"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"github.com/crmsync/crmsync/config"
)

// CheckStatusMap validates a status map strictly against both systems: every source status
// is mapped, every key is a source status, every target is a status of the target module.
// Each mistake is one error, in a stable order.
//
// Names compare exactly: config.ParseStatusMap composes the map's names (NFC), and the UNAS
// connector the shop's, so a map pasted with decomposed accents matches; a name that still
// differs from a system's only in what cannot be seen (an invisible character, a space at
// its end, a system that writes its own name with decomposed accents) is one mistake that
// says so, rather than "not mapped" and "not a status" naming two names that read alike.
// (Matching such names here would only move the failure to the first record: values are
// looked up exactly when they are synced.)
func CheckStatusMap(m map[string]string, source, target []string) []error {
	var errs []error
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	told := map[string]bool{} // keys whose mistake was told with the shop's status they resemble
	for _, s := range source {
		if _, ok := m[s]; ok {
			continue
		}
		msg := fmt.Sprintf("status %q of the shop is not mapped", s)
		for _, k := range keys {
			if slices.Contains(source, k) || told[k] {
				continue
			}
			if why, ok := config.InvisibleDifference(k, s); ok {
				msg += fmt.Sprintf(": the map's %q differs from it only in what cannot be seen (%s)%s", k, why, retype(s, "shop"))
				told[k] = true
				break
			}
		}
		errs = append(errs, fmt.Errorf("%s", msg))
	}
	for _, k := range keys {
		if !slices.Contains(source, k) && !told[k] {
			errs = append(errs, fmt.Errorf("status %q is not a status of the shop (statuses: %s)%s", k, strings.Join(source, ", "), resembles(k, source, "shop")))
		}
		if !slices.Contains(target, m[k]) {
			errs = append(errs, fmt.Errorf("status %q maps to %q, which is not a status of the module (statuses: %s)%s", k, m[k], strings.Join(target, ", "), resembles(m[k], target, "module")))
		}
	}
	return errs
}

// resembles says which of a system's names a name of the map differs from only invisibly,
// and how, or else which one it was meant for (see meant); "" when none.
func resembles(name string, names []string, system string) string {
	for _, n := range names {
		if why, ok := config.InvisibleDifference(name, n); ok {
			return fmt.Sprintf(": the %s's %q differs from it only in what cannot be seen (%s)%s", system, n, why, retype(n, system))
		}
	}
	if n := meant(name, names); n != "" {
		return fmt.Sprintf(" (did you mean %q?)", n)
	}
	return ""
}

// meant returns the name of names that name was meant for: the same once case and accents
// are set aside (a map typed on a keyboard without Romanian or Hungarian letters), else the
// nearest in spelling; "" when none is close.
func meant(name string, names []string) string {
	b, bared := bare(name), bareAll(names)
	for i, n := range names {
		if n != name && bared[i] == b {
			return n
		}
	}
	if n := config.Nearest(b, bared); n != "" {
		return names[slices.Index(bared, n)]
	}
	return ""
}

// bare is s in lower case without its accents ("Expediată" → "expediata").
func bare(s string) string {
	var b strings.Builder
	for _, r := range norm.NFD.String(strings.ToLower(s)) {
		if !unicode.Is(unicode.Mn, r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func bareAll(names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = bare(n)
	}
	return out
}

// retype tells what to do when a system writes its own name with decomposed accents, which a
// status map (whose names are composed) cannot name.
func retype(name, system string) string {
	if norm.NFC.IsNormalString(name) {
		return ""
	}
	return fmt.Sprintf("; a status map's names are composed, so rename the status in the %s with accents typed on a keyboard", system)
}
