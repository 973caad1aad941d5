package store

import "context"

// Notes keeps a short value per record of an object, of one kind: what a record not paired
// yet should not forget (the furthest stage an opportunity reached before its affaire
// existed). Rows are read for the ids a page holds, never all at once.
type Notes interface {
	// Notes returns the values of kind noted for these records of object, keyed by id;
	// records without one are absent.
	Notes(ctx context.Context, connection, object, kind string, ids []string) (map[string]string, error)
	// SetNotes writes values of kind for records of object, in one transaction; an empty
	// value removes the record's note.
	SetNotes(ctx context.Context, connection, object, kind string, values map[string]string) error
}
