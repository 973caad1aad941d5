package connectors

import (
	"encoding/base64"
	"slices"
	"strings"
)

// Offset listings (UNAS, weavy) lose a record when one before it leaves the listing between
// two pages: every later record moves a place towards the start, and the next page, read at
// the plain offset, starts one too far. Their cursors carry the ids of the last records a page
// held (anchors); the next page is read from a little before its offset and resumes just
// after the last anchor it finds there.

// EncodeAnchors writes anchors as one cursor field: base64url, "" for none.
func EncodeAnchors(anchors []string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strings.Join(anchors, "\n")))
}

// DecodeAnchors reads a field EncodeAnchors wrote.
func DecodeAnchors(field string) ([]string, error) {
	if field == "" {
		return nil, nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(field)
	if err != nil {
		return nil, err
	}
	if len(raw) == 0 { // the decoder skips line breaks: "\r" holds nothing
		return nil, nil
	}
	return strings.Split(string(raw), "\n"), nil
}

// LastIDs returns the ids of the last n records of page: the anchors of the next page.
func LastIDs[T any](page []T, n int, id func(T) string) []string {
	var out []string
	for _, r := range page[max(0, len(page)-n):] {
		out = append(out, id(r))
	}
	return out
}

// ResumeAfter returns the index in page just after the last record whose id is one of
// anchors, and whether one is there (0 and false when none is).
func ResumeAfter[T any](page []T, anchors []string, id func(T) string) (int, bool) {
	for i := len(page) - 1; i >= 0; i-- {
		if slices.Contains(anchors, id(page[i])) {
			return i + 1, true
		}
	}
	return 0, false
}
