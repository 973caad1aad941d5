package connectors

import "context"

// Stage is one stage of a pipeline (a Sellsy opportunity step, an order status), in the
// pipeline's order.
type Stage struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// Staged is a system whose records move along pipelines of ordered stages.
type Staged interface {
	// Pipeline returns a pipeline's name and its stages in order.
	Pipeline(ctx context.Context, pipeline string) (name string, stages []Stage, err error)
}

// EventEmitter is a system whose records receive events in order: Altior affaire events,
// or MiniCRM card statuses (the event is the status the card moves to).
type EventEmitter interface {
	// AddEvent gives a record of object an event; giving one it already has is not an error.
	AddEvent(ctx context.Context, object, id, code string) error
}

// EventCatalog is an EventEmitter that lists an object's events in their order.
type EventCatalog interface {
	EventOrder(ctx context.Context, object string) ([]string, error)
}

// EventField is an EventEmitter whose records hold their event in a field (a MiniCRM card's
// status, StatusId): a record can be created at its event rather than moved there after.
type EventField interface {
	// EventField names the field of object that holds its records' event ("" for none).
	EventField(object string) string
}

// PipelineInfo is one pipeline of a Staged system: its id and its name as users see it.
type PipelineInfo struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// PipelineLister is a Staged system that lists its pipelines, so that a configuration may name
// a pipeline by its name as users see it there (Sellsy's), not only by its id.
type PipelineLister interface {
	Staged
	ListPipelines(ctx context.Context) ([]PipelineInfo, error)
}
