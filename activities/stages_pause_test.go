package activities

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/testsuite"
)

// A confirming scan asks between two pages whether PipelineSync was paused meanwhile, and
// ends its stretch there: a pause holds the events at once, not after a minute more of them;
// the scan goes on from its place after the resume.
func TestAScanStopsAtThePageAPauseFinds(t *testing.T) {
	tests := []struct {
		name        string
		paused      bool
		err         error
		wantChecked int
		wantDone    bool
	}{
		{name: "paused", paused: true, wantChecked: 2},
		{name: "running", wantChecked: 5, wantDone: true},
		{name: "the check fails", err: fmt.Errorf("temporal unreachable"), wantChecked: 5, wantDone: true},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name := fmt.Sprintf("sp%d", i)
			acts, _, _, _, _ := stagedOpportunity(t, name, `{"13": GAGNEE}`, 5)
			var asked []string
			acts.WorkflowPaused = func(_ context.Context, id string) (bool, error) {
				asked = append(asked, id)
				return tt.paused, tt.err
			}
			var suite testsuite.WorkflowTestSuite
			ae := suite.NewTestActivityEnvironment()
			ae.RegisterActivity(acts)
			v, err := ae.ExecuteActivity(acts.PropagateStages, StageInput{Connection: name, PageSize: 2, Stretch: time.Hour})
			require.NoError(t, err)
			var res StageResult
			require.NoError(t, v.Get(&res))
			assert.Equal(t, tt.wantChecked, res.Checked, "%+v", res)
			assert.Equal(t, tt.wantChecked, res.Emitted, "one event for each opportunity checked: %+v", res)
			assert.Equal(t, tt.wantDone, res.Done)
			require.NotEmpty(t, asked)
			assert.Equal(t, "default-test-workflow-id", asked[0], "its own workflow")
			assert.Len(t, asked, 1, "at most every %s", pauseCheckEvery)
			if tt.paused {
				// After the resume the scan goes on from its place: the other three.
				acts.WorkflowPaused = nil
				v, err := ae.ExecuteActivity(acts.PropagateStages, StageInput{Connection: name, PageSize: 2, Stretch: time.Hour, Position: res.Position})
				require.NoError(t, err)
				var rest StageResult
				require.NoError(t, v.Get(&rest))
				assert.True(t, rest.Done)
				assert.Equal(t, 3, rest.Emitted, "%+v", rest)
			}
		})
	}
}
