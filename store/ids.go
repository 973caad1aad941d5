package store

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/crmsync/crmsync/internal/utf8text"
)

// MaxIDBytes bounds the record ids the store keeps, on both backends: PostgreSQL refuses an
// index entry over about 2,700 bytes (the connection, object and id together), where SQLite
// keeps any. Ids of CRMs are far shorter.
const MaxIDBytes = 1024

// ErrBadID is what an error refusing a record id the store cannot keep is (errors.Is): longer
// than MaxIDBytes, holding a NUL character, or not UTF-8 — what PostgreSQL refuses, and
// SQLite, refusing it too, keeps the two backends alike. The error is a *BadIDError.
var ErrBadID = errors.New("a record id the store cannot keep")

// BadIDError is a record id the store refused, whole in ID (its message shows only its
// first bytes).
type BadIDError struct {
	Side   Side // the side of the pair it is the id of; "" outside pairs
	ID     string
	Reason string
}

func (e *BadIDError) Error() string {
	side := ""
	if e.Side != "" {
		side = "side " + string(e.Side) + " "
	}
	return fmt.Sprintf("%s: %sid %s (%d bytes) %s", ErrBadID, side, idPreview(e.ID), len(e.ID), e.Reason)
}

// Unwrap makes errors.Is(err, ErrBadID) hold.
func (e *BadIDError) Unwrap() error { return ErrBadID }

// CheckID returns nil for a record id the store keeps, else a *BadIDError (ErrBadID).
func CheckID(id string) error {
	if reason := badID(id); reason != "" {
		return &BadIDError{ID: id, Reason: reason}
	}
	return nil
}

// badID is why the store cannot keep id, "" when it can.
func badID(id string) string {
	switch {
	case len(id) > MaxIDBytes:
		return fmt.Sprintf("is longer than %d bytes", MaxIDBytes)
	case strings.IndexByte(id, 0) >= 0:
		return "holds a NUL character"
	case !utf8.ValidString(id):
		return "is not UTF-8"
	}
	return ""
}

// idPreviewBytes bounds the part of a refused id errors show.
const idPreviewBytes = 64

// idPreview is the start of id, quoted, with "…" when cut.
func idPreview(id string) string {
	if len(id) <= idPreviewBytes {
		return fmt.Sprintf("%q", id)
	}
	return fmt.Sprintf("%q…", utf8text.Cut(id, idPreviewBytes))
}

// checkPairIDs returns the ids of pairs the store cannot keep, as *BadIDError joined.
func checkPairIDs(pairs []Pair) error {
	var errs []error
	for _, p := range pairs {
		for _, side := range []struct {
			side Side
			id   string
		}{{SideA, p.AID}, {SideB, p.BID}} {
			if reason := badID(side.id); reason != "" {
				errs = append(errs, &BadIDError{Side: side.side, ID: side.id, Reason: reason})
			}
		}
	}
	return errors.Join(errs...)
}

// quarantineIDPrefix bounds the part of a refused id kept in a quarantine entry's id.
const quarantineIDPrefix = 200

// quarantineID is the id a quarantine entry is kept under: the record's id when the store can
// keep it, else its start (NUL and bytes that are not UTF-8 replaced by U+FFFD) followed by a
// hash of the whole id, so that the refused record stays visible and one id keeps one entry.
func quarantineID(id string) string {
	if badID(id) == "" {
		return id
	}
	sum := sha256.Sum256([]byte(id))
	return plainText(utf8text.Cut(id, quarantineIDPrefix)) + "…[" + fmt.Sprint(len(id)) + " bytes, sha256 " + hex.EncodeToString(sum[:8]) + "]"
}

// shortenedIDRE matches the end quarantineID gives an id it shortens.
var shortenedIDRE = regexp.MustCompile(`…\[[0-9]+ bytes, sha256 [0-9a-f]{16}\]$`)

// ShortenedID reports whether id, read from the quarantine (ListQuarantine,
// QuarantinedBefore), is the shortened form of a record id the store could not keep: the
// record cannot be read back by it (a retry of the quarantine must leave such an entry, not
// take it for a record gone).
func ShortenedID(id string) bool { return shortenedIDRE.MatchString(id) }

// quarantineReason is the reason an entry is kept with: the id shortened says so.
func quarantineReason(id, reason string) string {
	if why := badID(id); why != "" {
		reason = "(the record's id " + why + ": it is kept shortened here) " + reason
	}
	return plainText(reason)
}

// storableIDs drops the ids PostgreSQL refuses even as a query's parameter (a NUL, bytes
// that are not UTF-8): it can hold no row of theirs, and one such id would fail the query.
func storableIDs(ids []string) []string {
	out := ids[:0:0]
	for _, id := range ids {
		if strings.IndexByte(id, 0) < 0 && utf8.ValidString(id) {
			out = append(out, id)
		}
	}
	return out
}

// storedKeys returns keys without repeats, each under the id its entry is kept under (see
// quarantineID), and the keys given by the keys stored whose id differs.
func storedKeys(keys []QuarantineKey) ([]QuarantineKey, map[QuarantineKey]QuarantineKey) {
	keys = uniqueKeys(keys)
	var given map[QuarantineKey]QuarantineKey
	out := make([]QuarantineKey, len(keys))
	for i, k := range keys {
		out[i] = k
		if id := quarantineID(k.RecordID); id != k.RecordID {
			out[i].RecordID = id
			if given == nil {
				given = map[QuarantineKey]QuarantineKey{}
			}
			given[out[i]] = k
		}
	}
	return out, given
}

// givenKeys maps the stored keys found back to the keys given.
func givenKeys(found []QuarantineKey, given map[QuarantineKey]QuarantineKey) []QuarantineKey {
	for i, k := range found {
		if g, ok := given[k]; ok {
			found[i] = g
		}
	}
	return found
}
