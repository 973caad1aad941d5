package workflows

import (
	"go.temporal.io/sdk/workflow"

	"github.com/crmsync/crmsync/activities"
)

// RetryQuarantineWorkflowID names a connection's retry of its quarantine; a second retry
// asked while one runs joins it.
func RetryQuarantineWorkflowID(connection string) string {
	return connection + "/retry-quarantine"
}

// RetryQuarantine runs a connection's quarantined records through the sync again, once what
// refused them is fixed (`crmsync quarantine CONN --retry`). Records stay out of the
// history: it carries the connection and the counts only.
func RetryQuarantine(ctx workflow.Context, in activities.RetryInput) (activities.RetryResult, error) {
	ctx = passActivityOptions(ctx, Tuning{}.withDefaults())
	_ = workflow.UpsertTypedSearchAttributes(ctx, AttrConnection.ValueSet(in.Connection), AttrPhase.ValueSet(PhaseSyncing))
	var a *activities.Activities
	var res activities.RetryResult
	err := workflow.ExecuteActivity(ctx, a.RetryQuarantined, in).Get(ctx, &res)
	phase := PhaseDone
	if err != nil {
		phase = "failed"
	}
	_ = workflow.UpsertTypedSearchAttributes(ctx, AttrPhase.ValueSet(phase), AttrRecords.ValueSet(int64(res.Retried)), AttrQuarantined.ValueSet(int64(res.Quarantined)))
	return res, err
}
