package weavy

import (
	"slices"
	"sync"
	"time"

	"github.com/crmsync/crmsync/connectors"
)

// srvZone learns srvDate's zone, which weavy does not document, from the records read: each
// carries srvDate and srvDateUTC, stamped together, so srvDate − srvDateUTC is the zone's
// offset at that instant. A Since filter on srvDate written in the wrong zone would be hours
// ahead and lose those changes for good, so the filter takes the earliest reading the last
// measure allows (sinceWall).
type srvZone struct {
	mu       sync.Mutex
	measured bool
	off      time.Duration // srvDate − srvDateUTC of the last record read
	at       time.Time     // that record's srvDateUTC
}

// maxOffset bounds a plausible zone offset; anything larger is a stamp, not a zone.
const maxOffset = 14 * time.Hour

// observe measures the offset on a record read (one without both stamps tells nothing).
func (z *srvZone) observe(raw map[string]any) {
	local, ok1 := stamp(raw, "srvDate")
	utc, ok2 := stamp(raw, "srvDateUTC")
	if !ok1 || !ok2 {
		return
	}
	// Zone offsets are whole quarter hours; rounding absorbs stamps taken a second apart.
	off := local.Sub(utc).Round(15 * time.Minute)
	if off > maxOffset || off < -maxOffset {
		return
	}
	z.mu.Lock()
	defer z.mu.Unlock()
	z.measured, z.off, z.at = true, off, utc
}

func (z *srvZone) last() (measured bool, off time.Duration, at time.Time) {
	z.mu.Lock()
	defer z.mu.Unlock()
	return z.measured, z.off, z.at
}

// stamp reads a date-time field of a raw record as a wall time.
func stamp(raw map[string]any, name string) (time.Time, bool) {
	s, ok := get(raw, name).(string)
	if !ok {
		return time.Time{}, false
	}
	return parseDate(s)
}

// sinceWall writes t as srvDate's wall time (dateLayout), the earliest of the readings the
// last measure allows: UTC when srvDate − srvDateUTC was 0, the configured zone when it was
// that zone's offset at the measured instant (a few records read again cost nothing, the
// merge finds them unchanged). An offset that is neither is a zone of its own: it is applied
// an hour early, since daylight saving may have moved it between the measured record and t.
// Before any measure (List probes the table first, so only a table with nothing to measure
// on gets here) it is t less the largest offset a zone can have: nothing can be missed.
func (c *Client) sinceWall(t time.Time) string {
	measured, off, at := c.srv.last()
	if !measured {
		return t.Truncate(time.Second).UTC().Add(-maxOffset).Format(dateLayout)
	}
	var walls []string
	if off == 0 {
		walls = append(walls, connectors.LocalSince(t, time.UTC, dateLayout))
	}
	if off == offsetAt(c.zone, at) {
		walls = append(walls, connectors.LocalSince(t, c.zone, dateLayout))
	}
	if len(walls) == 0 {
		walls = append(walls, t.Truncate(time.Second).UTC().Add(off-time.Hour).Format(dateLayout))
	}
	return slices.Min(walls) // dateLayout sorts as time does
}

// offsetAt is loc's offset from UTC at the instant t.
func offsetAt(loc *time.Location, t time.Time) time.Duration {
	_, secs := t.In(loc).Zone()
	return time.Duration(secs) * time.Second
}
