package activities

import (
	"time"
)

// Modes of a pass.
const (
	ModeImport      = "import"      // list every record of the side
	ModeIncremental = "incremental" // list records changed since the side's cursor
	// ModeMark reads nothing: the side's existing records are not to be sent (an
	// initialisation choice), so its cursor is only set to now, and the incremental sync
	// sends what changes from then on.
	ModeMark = "mark"
	// ModeSkip reads nothing either, in the incremental sync: no field travels from the side
	// (a one-way object), so its changes have nowhere to go; its cursor follows.
	ModeSkip = "skip"
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
	// Since and PassStart are set by the first stretch of a pass and passed back unchanged;
	// AsOf is passed back as the previous stretch returned it (PassResult.AsOf), so that the
	// stretch that ends the pass sets its cursor no later than an earlier page said.
	Since     time.Time
	PassStart time.Time
	AsOf      time.Time `json:",omitzero"`
	// Stretch bounds the activity's running time; PageSize the records per page.
	Stretch  time.Duration
	PageSize int
	// CycleStart is when the incremental cycle (or the import) the pass belongs to began: a
	// connector may answer from a read it made since (connectors.ListQuery.NotBefore). Zero:
	// read afresh.
	CycleStart time.Time `json:",omitzero"`
	// Plan makes the pass a dry run: it reads, matches and merges as it would, counts what it
	// would create, update and refuse, and writes nothing — to the systems, to the id map, to
	// the quarantine or to the cursors.
	Plan bool `json:",omitempty"`
	// PlanMatchedByOther tells a dry-run pass that the other side's pass of the object ran
	// before it and planned the records both sides hold: in a real import they would be
	// paired by then, so this pass counts them unchanged rather than twice.
	PlanMatchedByOther bool `json:",omitempty"`
}

// PassResult reports a stretch. It holds a cursor and counts, never records.
type PassResult struct {
	Position  string
	Since     time.Time
	PassStart time.Time
	// AsOf is the earliest moment a page of the pass said its changes go up to
	// (connectors.Page.AsOf); zero when every page was read during the pass.
	AsOf   time.Time `json:",omitzero"`
	Done   bool
	Pages  int
	Counts Counts
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
	Missing     int `json:"missing"`  // paired records deleted on the other side (left alone)
	Filtered    int `json:"filtered"` // records the object's filter keeps out (a gate set to no)
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
	c.Filtered += o.Filtered
}

// writes keeps the records a page wrote (and the conflicts it settled) before it failed:
// they are saved, and when the page is read again they are found unchanged, so these counts
// would otherwise be lost. What it read, and quarantined, counts when it is read again.
func (c Counts) writes() Counts {
	return Counts{CreatedA: c.CreatedA, CreatedB: c.CreatedB, UpdatedA: c.UpdatedA, UpdatedB: c.UpdatedB, Conflicts: c.Conflicts}
}

// Written is the number of records written on either side.
func (c Counts) Written() int { return c.CreatedA + c.CreatedB + c.UpdatedA + c.UpdatedB }

// ConnectionInfo is what a workflow needs to know of a connection file.
type ConnectionInfo struct {
	Objects  []string // in sync order
	Interval time.Duration
	ASystem  string
	BSystem  string
	// Reconcile is how often the id maps of the objects that propagate deletions are
	// checked against both systems; ReconcileObjects lists those objects.
	Reconcile        time.Duration
	ReconcileObjects []string
	// NoImport lists the "object/side" passes the initial import skips (initialisation
	// choices: existing records of that side are not sent to the other).
	NoImport []string
	// NoSync lists the "object/side" passes the incremental sync skips: sides from which no
	// field travels. Their records are not read (a slow API such as MiniCRM's spends its
	// quota on writes), so an edit made there stays until the other side's record changes.
	NoSync []string
	// FullRead is how often a cycle reads every record again whatever the cursors say
	// (zero: never).
	FullRead time.Duration
	// MaxDeletes is the most records the deletions of one cycle may delete (0: no limit).
	MaxDeletes int `json:",omitempty"`
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

// DeleteInput reports records deleted on one side (from a webhook or a reconciliation).
type DeleteInput struct {
	Connection string
	Object     string
	Side       string      // where the records were deleted: "a" or "b"
	IDs        []string    // their ids on that side
	Guard      DeleteGuard `json:",omitzero"`
}

// DeleteGuard bounds what deletions may delete (schedule.max_deletes): when Limited, the
// counterparts of at most Allowance records are deleted, and a batch that would go past it
// deletes nothing and fails as a configuration error — the connection pauses for someone to
// check the deletions.
type DeleteGuard struct {
	Limited   bool
	Allowance int // what the cycle has left
}

// DeleteResult says what became of reported deletions.
type DeleteResult struct {
	Propagated int // counterparts deleted on the other side
	Kept       int // counterparts kept: the connection does not propagate this deletion
	NotDeleted int // the record still exists: the report was stale or forged
	Unknown    int // no pair: nothing was synced for this record
	// LeftOut counts records a lookup left out that the system says exist when asked for
	// one by one (a role that hides them, a lookup answered wrongly): nothing was deleted.
	LeftOut int `json:",omitempty"`
	// Merged counts records merged into another of their side (Automation and Sellsy delete
	// the losing record of a merge): the counterpart was paired with the survivor, not deleted.
	Merged int `json:",omitempty"`
}

// Add adds o to r.
func (r *DeleteResult) Add(o DeleteResult) {
	r.Propagated += o.Propagated
	r.Kept += o.Kept
	r.NotDeleted += o.NotDeleted
	r.Unknown += o.Unknown
	r.LeftOut += o.LeftOut
	r.Merged += o.Merged
}

// ReconcileInput asks for one stretch of a reconciliation: the id map of one object is read
// in pages, and the records of one side are looked up to find those deleted.
type ReconcileInput struct {
	Connection string
	Object     string
	Side       string      // the side whose deletions are looked for
	After      string      // resume after this side-A id ("" starts)
	Guard      DeleteGuard `json:",omitzero"`
	Stretch    time.Duration
	PageSize   int `json:",omitempty"` // pairs checked a page (0: 200)
}

// ReconcileResult reports a stretch of a reconciliation.
type ReconcileResult struct {
	After   string
	Done    bool
	Checked int
	Deletes DeleteResult
}

// HeldDeletes is what PropagateDeletes did before schedule.max_deletes held the rest back: the
// details of its configuration error, so that the deletions made count against the limit
// after the resume (a plain resume gave a fresh allowance to what was left).
type HeldDeletes struct {
	Handled int // the input's ids handled, from the first
	Result  DeleteResult
}

// PushInput asks to sync one record now, whatever the schedule: the "send contact to
// Sellsy" action.
type PushInput struct {
	Connection string `json:"connection"`
	Object     string `json:"object"`
	Side       string `json:"side"` // the side the record is on: "a" or "b"
	ID         string `json:"id"`
}
