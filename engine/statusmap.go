package engine

import (
	"fmt"
	"slices"
	"strings"
)

// CheckStatusMap validates a status map strictly against both systems: every source status
// is mapped, every key is a source status, every target is a status of the target module.
// Each mistake is one error, in a stable order.
func CheckStatusMap(m map[string]string, source, target []string) []error {
	var errs []error
	for _, s := range source {
		if _, ok := m[s]; !ok {
			errs = append(errs, fmt.Errorf("status %q of the shop is not mapped", s))
		}
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if !slices.Contains(source, k) {
			errs = append(errs, fmt.Errorf("status %q is not a status of the shop (statuses: %s)", k, strings.Join(source, ", ")))
		}
		if !slices.Contains(target, m[k]) {
			errs = append(errs, fmt.Errorf("status %q maps to %q, which is not a status of the module (statuses: %s)", k, m[k], strings.Join(target, ", ")))
		}
	}
	return errs
}
