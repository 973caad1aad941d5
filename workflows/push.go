package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/crmsync/crmsync/activities"
)

// PushWorkflowID names the push of one record; a second push of the same record while the
// first runs joins it.
func PushWorkflowID(in activities.PushInput) string {
	return in.Connection + "/push/" + in.Object + "/" + in.Side + "-" + in.ID
}

// PushRecord syncs one record now, outside the schedule: the "send contact to Sellsy" action
// of an Automation campaign, form or point trigger, or `crmsync push`. The record is matched
// on the other side (or created there) and merged field by field, as a cycle would.
func PushRecord(ctx workflow.Context, in activities.PushInput) (activities.Counts, error) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		// PushOne takes the object's lock, which a pass holds for a whole page (a MiniCRM
		// page takes minutes): an attempt outlasts that wait instead of timing out behind
		// it. It heartbeats meanwhile, so a lost worker is found by the heartbeat timeout
		// (as generous as the passes'); this only bounds a stuck attempt.
		StartToCloseTimeout: 30 * time.Minute,
		HeartbeatTimeout:    30 * time.Second,
		// Whoever asked has had their answer (the push URL's 200): an outage of a few hours
		// must not lose the push, since an unchanged record waits for its next change.
		ScheduleToCloseTimeout: 12 * time.Hour,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval: time.Second,
			MaximumInterval: time.Minute,
			// The 12 hours bound it (about 720 attempts a minute apart), not a count.
			MaximumAttempts:        1000,
			NonRetryableErrorTypes: []string{activities.ErrTypeConfiguration, activities.ErrTypeNotFound},
		},
	})
	_ = workflow.UpsertTypedSearchAttributes(ctx, AttrConnection.ValueSet(in.Connection), AttrPhase.ValueSet(PhaseSyncing))
	var a *activities.Activities
	var c activities.Counts
	err := workflow.ExecuteActivity(ctx, a.PushOne, in).Get(ctx, &c)
	phase := PhaseDone
	if err != nil {
		phase = "failed"
	}
	_ = workflow.UpsertTypedSearchAttributes(ctx, AttrPhase.ValueSet(phase), AttrRecords.ValueSet(int64(c.Read)), AttrQuarantined.ValueSet(int64(c.Quarantined)))
	return c, err
}
