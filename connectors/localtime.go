package connectors

import "time"

// LocalSince formats t in loc with layout, for a "changed since" filter that a system
// compares as local wall time (weavy's srvDate, MiniCRM's UpdatedSince). In the hour before
// clocks go back, wall times recur: a change made in the second occurrence reads as earlier
// than t's wall time and would be left out. When the zone's offset drops within the hour
// after t, t moves back by the drop: the filter may read some changes again, never miss one.
func LocalSince(t time.Time, loc *time.Location, layout string) string {
	t = t.Truncate(time.Second)
	_, now := t.In(loc).Zone()
	if _, later := t.Add(time.Hour).In(loc).Zone(); later < now {
		t = t.Add(-time.Duration(now-later) * time.Second)
	}
	return t.In(loc).Format(layout)
}
