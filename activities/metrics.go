package activities

import (
	"context"
	"errors"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
)

// MetricRecords is the counter of records a pass handled, tagged with the connection, the
// object, the side read, the mode and the outcome (read, unchanged, created_a, …, the names of
// Counts): the worker exports it for Prometheus as the counter crmsync_records_total. Tags
// hold names, never record data.
const MetricRecords = "crmsync_records"

// MetricPassFailures counts the stretches of passes that failed, tagged with the connection,
// object, side and the class of the failure (RateLimited, ConfigurationError, Retryable):
// a connection held back by a system's quota shows here.
const MetricPassFailures = "crmsync_pass_failures"

// recordFailure counts a failed stretch.
func recordFailure(ctx context.Context, in PassInput, err error) {
	class := "Retryable"
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) && appErr.Type() != "" {
		class = appErr.Type()
	}
	activity.GetMetricsHandler(ctx).WithTags(map[string]string{
		"connection": in.Connection, "object": in.Object, "side": in.Side, "class": class,
	}).Counter(MetricPassFailures).Inc(1)
}

// recordCounts adds a page's counts to the worker's metrics.
func recordCounts(ctx context.Context, in PassInput, c Counts) {
	mode := in.Mode
	if in.Plan {
		mode = "plan" // a dry run wrote none of it
	}
	m := activity.GetMetricsHandler(ctx).WithTags(map[string]string{
		"connection": in.Connection, "object": in.Object, "side": in.Side, "mode": mode,
	})
	addOutcomes(m, MetricRecords, []outcome{
		{"read", c.Read}, {"unchanged", c.Unchanged}, {"created_a", c.CreatedA}, {"created_b", c.CreatedB},
		{"updated_a", c.UpdatedA}, {"updated_b", c.UpdatedB}, {"conflicts", c.Conflicts}, {"quarantined", c.Quarantined},
		{"missing", c.Missing}, {"filtered", c.Filtered},
	})
}

// MetricStages counts what PipelineSync did, tagged with the connection and the outcome:
// checked, moved, emitted, backward, pending (the names of StageResult's counts).
const MetricStages = "crmsync_stages"

// recordStages adds one propagation's counts to the worker's metrics.
func recordStages(ctx context.Context, connection string, r StageResult) {
	m := activity.GetMetricsHandler(ctx).WithTags(map[string]string{"connection": connection})
	addOutcomes(m, MetricStages, []outcome{
		{"checked", r.Checked}, {"moved", r.Moved}, {"emitted", r.Emitted}, {"backward", r.Backward}, {"pending", r.Pending},
	})
}

// outcome is one count of a metric, under its outcome tag.
type outcome struct {
	name string
	n    int
}

// addOutcomes adds each non-zero count to metric, tagged with its outcome.
func addOutcomes(m client.MetricsHandler, metric string, outcomes []outcome) {
	for _, o := range outcomes {
		if o.n > 0 {
			m.WithTags(map[string]string{"outcome": o.name}).Counter(metric).Inc(int64(o.n))
		}
	}
}
