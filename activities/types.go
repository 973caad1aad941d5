package activities

import (
	"time"
)

// Modes of a pass.
const (
	ModeImport      = "import"      // list every record of the side
	ModeIncremental = "incremental" // list records changed since the side's cursor
)

// PassInput asks for one stretch of a pass: a pass reads one object on one side, page after
// page, and writes what the engine decides on both sides. A stretch is the part of a pass one
// activity runs (about a minute); the workflow chains stretches until the pass is done.
type PassInput struct {
	Connection string
	Object     string
	Side       string // "a" or "b"
	Mode       string
	// Position resumes the pass where the previous stretch stopped ("" starts the pass).
	Position string
	// Since and PassStart are set by the first stretch of a pass and passed back unchanged.
	Since     time.Time
	PassStart time.Time
	// Stretch bounds the activity's running time; PageSize the records per page.
	Stretch  time.Duration
	PageSize int
}

// PassResult reports a stretch. It holds a cursor and counts, never records.
type PassResult struct {
	Position  string
	Since     time.Time
	PassStart time.Time
	Done      bool
	Pages     int
	Counts    Counts
}

// Counts are what a pass did. They add up across stretches, passes and cycles.
type Counts struct {
	Read        int `json:"read"`
	Unchanged   int `json:"unchanged"`
	CreatedA    int `json:"created_a"`
	CreatedB    int `json:"created_b"`
	UpdatedA    int `json:"updated_a"`
	UpdatedB    int `json:"updated_b"`
	Conflicts   int `json:"conflicts"`
	Quarantined int `json:"quarantined"`
	Missing     int `json:"missing"` // paired records deleted on the other side (left alone)
}

// Add adds o to c.
func (c *Counts) Add(o Counts) {
	c.Read += o.Read
	c.Unchanged += o.Unchanged
	c.CreatedA += o.CreatedA
	c.CreatedB += o.CreatedB
	c.UpdatedA += o.UpdatedA
	c.UpdatedB += o.UpdatedB
	c.Conflicts += o.Conflicts
	c.Quarantined += o.Quarantined
	c.Missing += o.Missing
}

// Written is the number of records written on either side.
func (c Counts) Written() int { return c.CreatedA + c.CreatedB + c.UpdatedA + c.UpdatedB }

// ConnectionInfo is what a workflow needs to know of a connection file.
type ConnectionInfo struct {
	Objects  []string // in sync order
	Interval time.Duration
	ASystem  string
	BSystem  string
}

// ResetInput asks to sync objects again from a date (zero: from the beginning).
type ResetInput struct {
	Connection string
	Objects    []string // nil: all
	Since      time.Time
}

// StoreStats are the store's figures for a connection.
type StoreStats struct {
	Pairs       map[string]int
	Quarantined int
}
