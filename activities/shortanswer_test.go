package activities

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/testsuite"

	"github.com/crmsync/crmsync/config"
	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/store"
)

// shortAnswers answers writes with one Result fewer than the records sent, and no error: a
// connector's bug the pass must not take for a write.
type shortAnswers struct {
	connectors.Connector
	create, update bool
}

func (s *shortAnswers) Create(ctx context.Context, object string, recs []connectors.Record) ([]connectors.Result, error) {
	res, err := s.Connector.Create(ctx, object, recs)
	if s.create && len(res) > 0 {
		res = res[:len(res)-1]
	}
	return res, err
}

func (s *shortAnswers) Update(ctx context.Context, object string, recs []connectors.Record) ([]connectors.Result, error) {
	if s.update {
		return make([]connectors.Result, len(recs)-1), nil // nothing written, nothing said
	}
	return s.Connector.Update(ctx, object, recs)
}

// A write answered with fewer results than records fails the pass with a configuration error
// naming it; no record it did not account for is saved as synced.
func TestShortAnswerIsNotTakenAsWritten(t *testing.T) {
	tests := []struct {
		name           string
		create, update bool
		prepare        func(h *harness)
	}{
		{"create", true, false, func(h *harness) {}},
		{"update", false, true, func(h *harness) {
			h.cycle(ModeImport)
			h.edit(h.sellsy, 12, map[string]any{"position": "CEO"})
			h.edit(h.sellsy, 13, map[string]any{"position": "CFO"})
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, "both")
			tt.prepare(h)
			h.acts.Conns.use("t", h.sellsy, &shortAnswers{Connector: h.mautic, create: tt.create, update: tt.update})
			mode := ModeImport
			if tt.update {
				mode = ModeIncremental
			}
			var env testsuite.WorkflowTestSuite
			ae := env.NewTestActivityEnvironment()
			ae.RegisterActivity(h.acts)
			_, err := ae.ExecuteActivity(h.acts.SyncPass, PassInput{Connection: "t", Object: "contact", Side: "a", Mode: mode, PageSize: 50})
			require.Error(t, err)
			assert.Contains(t, err.Error(), "results for")
			assert.Contains(t, err.Error(), "records sent")
			if tt.update {
				got := h.person(h.mautic, 12)
				pairs, err := h.st.Pairs(h.ctx, "t", "contact", store.SideB, []string{got.ID})
				require.NoError(t, err)
				pair, ok := pairs[got.ID]
				require.True(t, ok, "the pair is kept")
				assert.NotEqual(t, "CEO", pair.Snapshot[config.Field{A: "position", B: "position"}.Key()], "not saved as synced: the update was never made")
			} else {
				// People 0–9 are Sellsy's only: created on Automation, none paired.
				var ids []string
				for i := range 10 {
					ids = append(ids, h.person(h.sellsy, i).ID)
				}
				pairs, err := h.st.Pairs(h.ctx, "t", "contact", store.SideA, ids)
				require.NoError(t, err)
				assert.Empty(t, pairs, "no create is paired from an answer that does not say which record it is")
			}
		})
	}
}
