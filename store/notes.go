package store

import (
	"context"
	"errors"
)

// Notes keeps a short value per record of an object, of one kind: what a record not paired
// yet should not forget (the furthest stage an opportunity reached before its affaire
// existed). Rows are read for the ids a page holds, never all at once.
type Notes interface {
	// Notes returns the values of kind noted for these records of object, keyed by id;
	// records without one are absent.
	Notes(ctx context.Context, connection, object, kind string, ids []string) (map[string]string, error)
	// SetNotes writes values of kind for records of object, in one transaction; an empty
	// value removes the record's note. A record id the store cannot keep (see CheckID) is
	// ErrBadID, none written.
	SetNotes(ctx context.Context, connection, object, kind string, values map[string]string) error
}

// checkNotes refuses the values of records whose id the store cannot keep (a *BadIDError each,
// joined), and drops the removals of ids PostgreSQL could not hold (no note of theirs exists).
func checkNotes(values map[string]string) (map[string]string, error) {
	var errs []error
	out := make(map[string]string, len(values))
	for id, v := range values {
		switch {
		case v == "" && len(storableIDs([]string{id})) == 0:
		case v != "" && CheckID(id) != nil:
			errs = append(errs, CheckID(id))
		default:
			out[id] = v
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return out, nil
}
