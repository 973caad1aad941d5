package workflows

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/testsuite"

	"github.com/crmsync/crmsync/activities"
)

// PushOne takes the object's lock, which a SyncPass holds for a whole page (a MiniCRM page of
// 100 records takes minutes): its attempts must outlast such a wait, not time out after two
// minutes and start again at the back of the queue, and a lost worker is found by the
// heartbeat timeout instead (the activity heartbeats while it waits), generous as the passes'.
func TestPushOneOutlastsAPageHoldingTheLock(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := newTestEnv(&s)
	var a *activities.Activities
	env.RegisterActivity(a)
	in := activities.PushInput{Connection: "demo", Object: "contact", Side: "b", ID: "42"}
	env.OnActivity(a.PushOne, mock.Anything, in).Return(activities.Counts{Read: 1, UpdatedA: 1}, nil)
	var got activity.Info
	env.SetOnActivityStartedListener(func(info *activity.Info, _ context.Context, _ converter.EncodedValues) {
		got = *info
	})
	env.ExecuteWorkflow(PushRecord, in)
	require.NoError(t, env.GetWorkflowError())
	require.Equal(t, "PushOne", got.ActivityType.Name)

	attempt := got.Deadline.Sub(got.StartedTime).Round(time.Minute)
	tests := []struct {
		name string
		ok   bool
		msg  string
	}{
		{"an attempt outlasts a page's lock", attempt >= 30*time.Minute, "start-to-close " + attempt.String()},
		{"an attempt is still bounded", attempt <= time.Hour, "start-to-close " + attempt.String()},
		{"a lost worker is found by its heartbeats", got.HeartbeatTimeout > 0, "heartbeat timeout " + got.HeartbeatTimeout.String()},
		{"the heartbeat timeout is generous", got.HeartbeatTimeout >= 30*time.Second, "heartbeat timeout " + got.HeartbeatTimeout.String()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { assert.True(t, tt.ok, tt.msg) })
	}
}
