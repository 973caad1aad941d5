package activities

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/altior"
	"github.com/crmsync/crmsync/store"
)

// An affaire side B answers in a shape it cannot read (KindInvalid on its Get) is that
// opportunity's problem: it is quarantined, naming the affaire, and the other opportunities'
// stages still move. A read that fails for any other reason fails the activity, quarantining
// nothing.
func TestPropagateStagesQuarantinesAnUnreadableAffaire(t *testing.T) {
	unreadable := &connectors.Error{Kind: connectors.KindInvalid, System: "altior", Op: "GET /affaires/{id}", Status: 200, Message: "events[0].date is not a date"}
	outage := &connectors.Error{Kind: connectors.KindRetryable, System: "altior", Op: "GET /affaires/{id}", Status: 503}
	tests := []struct {
		name      string
		getErr    error
		wantType  string // the application error's type; "": the activity succeeds
		wantMoved int
	}{
		{name: "unreadable: quarantined, the other moves", getErr: unreadable, wantMoved: 1},
		{name: "outage: the activity fails", getErr: outage, wantType: "Retryable"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			name := fmt.Sprintf("ur%d", i)
			acts, st, _, opps, affs := stagedOpportunity(t, name, `{"11": QUALIF, "13": GAGNEE}`, 2)
			useSideB(t, acts, name, func(c *altior.Client) connectors.Connector {
				return &refuseEvents{Client: c, on: affs[0], getErr: tt.getErr}
			})
			var suite testsuite.WorkflowTestSuite
			ae := suite.NewTestActivityEnvironment()
			ae.RegisterActivity(acts)
			v, err := ae.ExecuteActivity(acts.PropagateStages, StageInput{Connection: name, IDs: opps})
			q, qerr := st.ListQuarantine(ctx, name, 10)
			require.NoError(t, qerr)
			if tt.wantType != "" {
				var appErr *temporal.ApplicationError
				require.ErrorAs(t, err, &appErr)
				assert.Equal(t, tt.wantType, appErr.Type())
				assert.Empty(t, q, "not the record's fault")
				return
			}
			require.NoError(t, err)
			var res StageResult
			require.NoError(t, v.Get(&res))
			assert.Equal(t, tt.wantMoved, res.Moved, "%+v", res)
			assert.Equal(t, 1, res.Quarantined, "%+v", res)
			require.Len(t, q, 1)
			assert.Equal(t, opps[0], q[0].RecordID)
			assert.Equal(t, fmt.Sprintf("altior record %s cannot be read: %v", affs[0], unreadable), q[0].Reason)
			pairs, err := st.Pairs(ctx, name, "opportunity", store.SideA, opps)
			require.NoError(t, err)
			assert.Nil(t, pairs[opps[0]].Snapshot[stageKey], "the unreadable one is not recorded as propagated")
			assert.NotNil(t, pairs[opps[1]].Snapshot[stageKey], "the other one is")
		})
	}
}
