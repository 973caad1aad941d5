package activities

import (
	"context"

	"go.temporal.io/sdk/activity"
)

// MetricRecords is the counter of records a pass handled, tagged with the connection, the
// object, the side read, the mode and the outcome (read, unchanged, created_a, …, the names of
// Counts): the worker exports it for Prometheus as crmsync_records (the SDK's OpenTelemetry
// handler keeps counters as up-down counters, which Prometheus types as gauges; it only
// grows). Tags hold names, never record data.
const MetricRecords = "crmsync_records"

// recordCounts adds a page's counts to the worker's metrics.
func recordCounts(ctx context.Context, in PassInput, c Counts) {
	m := activity.GetMetricsHandler(ctx).WithTags(map[string]string{
		"connection": in.Connection, "object": in.Object, "side": in.Side, "mode": in.Mode,
	})
	for _, o := range []struct {
		outcome string
		n       int
	}{
		{"read", c.Read}, {"unchanged", c.Unchanged}, {"created_a", c.CreatedA}, {"created_b", c.CreatedB},
		{"updated_a", c.UpdatedA}, {"updated_b", c.UpdatedB}, {"conflicts", c.Conflicts}, {"quarantined", c.Quarantined},
	} {
		if o.n > 0 {
			m.WithTags(map[string]string{"outcome": o.outcome}).Counter(MetricRecords).Inc(int64(o.n))
		}
	}
}
