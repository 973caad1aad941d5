package testenv

import (
	"context"
	"os"

	"go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"
	"google.golang.org/protobuf/encoding/protojson"
)

// History returns the full event history of a workflow run ("" runID: the latest run).
func History(ctx context.Context, c client.Client, workflowID, runID string) (*historypb.History, error) {
	h := &historypb.History{}
	it := c.GetWorkflowHistory(ctx, workflowID, runID, false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		e, err := it.Next()
		if err != nil {
			return nil, err
		}
		h.Events = append(h.Events, e)
	}
	return h, nil
}

// HistoryJSON renders a history the way `temporal workflow show --output json` does, which
// is the format the SDK's replayer reads.
func HistoryJSON(h *historypb.History) ([]byte, error) {
	return protojson.MarshalOptions{Indent: "  "}.Marshal(h)
}

// WriteHistory saves a run's history as JSON, for replay tests.
func WriteHistory(ctx context.Context, c client.Client, workflowID, runID, path string) error {
	h, err := History(ctx, c, workflowID, runID)
	if err != nil {
		return err
	}
	data, err := HistoryJSON(h)
	if err != nil {
		return err
	}
	return os.WriteFile(path, data, 0o644)
}
