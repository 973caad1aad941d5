package store

import (
	"context"
	"fmt"
)

// Wait is a record of one side held back because a record it links to (of object LinkObject,
// id LinkID on the same side) is not paired yet: it cannot go across without that link.
type Wait struct {
	RecordID, LinkObject, LinkID string
}

// Waits keeps the records held back for a link, so that they go across once it is paired
// even if they never change again (an incremental read would not see them).
type Waits interface {
	// SetWaits replaces what the records ids of object on side wait for by waits, which
	// name only records of ids (none: they wait for nothing now), in one transaction. A
	// wait whose record or link id the store cannot keep (see CheckID) is ErrBadID.
	SetWaits(ctx context.Context, connection, object string, side Side, ids []string, waits []Wait) error
	// ReadyWaits returns, in id order, up to limit records of object on side that wait for
	// a record now paired. A limit <= 0 means DefaultLimit.
	ReadyWaits(ctx context.Context, connection, object string, side Side, limit int) ([]string, error)
}

// checkWaits checks that waits name only records of ids, with ids the store can keep (else a
// *BadIDError), and returns them without repeats
// (a record listed twice waits for one record of each object): PostgreSQL refuses to upsert
// one row twice in a statement.
func checkWaits(ids []string, waits []Wait) ([]Wait, error) {
	in := make(map[string]bool, len(ids))
	for _, id := range ids {
		in[id] = true
	}
	type key struct{ record, object string }
	at := map[key]int{}
	var out []Wait
	for _, w := range waits {
		if !in[w.RecordID] {
			return nil, fmt.Errorf("wait of record %q, which is not among the records set", w.RecordID)
		}
		for _, id := range []string{w.RecordID, w.LinkID} {
			if err := CheckID(id); err != nil {
				return nil, err
			}
		}
		k := key{w.RecordID, w.LinkObject}
		if i, dup := at[k]; dup {
			out[i] = w // the later one wins, as a second upsert would
			continue
		}
		at[k] = len(out)
		out = append(out, w)
	}
	return out, nil
}
