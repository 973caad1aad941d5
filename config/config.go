// Package config loads and validates connection files: the YAML document that says which two
// systems a connection joins, which objects and fields it syncs, in which direction, and when.
//
// Secrets are never in the file: credentials name environment variables that the worker reads.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Direction says which way a field (or a whole connection) syncs.
type Direction string

const (
	Both Direction = "both"   // either side's change travels; the most recent wins a conflict
	AToB Direction = "a_to_b" // side A is the source; B is overwritten
	BToA Direction = "b_to_a" // side B is the source; A is overwritten
)

// Connection is one connection file.
type Connection struct {
	// Name identifies the connection in workflow ids, the store and the CLI.
	Name      string    `yaml:"name"`
	A         System    `yaml:"a"`
	B         System    `yaml:"b"`
	Schedule  Schedule  `yaml:"schedule"`
	Objects   []Object  `yaml:"objects"`
	Direction Direction `yaml:"direction"` // default for fields that name none; "both" when empty
	// StartDate, when set (2026-01-31), is the sync start date: records last changed before
	// it are never read. It is fixed once the connection has run.
	StartDate string `yaml:"start_date"`
	// Events route the system's webhooks (Sellsy's) to workflows: start one with the record,
	// or signal a running one.
	Events []EventRoute `yaml:"events"`
	// Pipelines propagate stage changes (PipelineSync): one configuration per pipeline.
	Pipelines []Pipeline `yaml:"pipelines"`

	// File is where the connection was loaded from, for error messages.
	File string `yaml:"-"`
}

// System is one side of a connection.
type System struct {
	// System is the connector type: sellsy, mautic, weavy, altior, unas or minicrm.
	System string `yaml:"system"`
	// Settings are the connector's non-secret settings (URLs, quotas).
	Settings map[string]string `yaml:"settings"`
	// Credentials maps each credential the connector needs to the name of the environment
	// variable that holds it.
	Credentials map[string]string `yaml:"credentials"`
}

// Schedule sets when the incremental sync runs.
type Schedule struct {
	// Interval between incremental cycles; 15 minutes by default.
	Interval Duration `yaml:"interval"`
	// Overlap re-reads this much time before each cursor so that a record modified while a
	// cycle ran is not missed; 2 minutes by default.
	Overlap Duration `yaml:"overlap"`
	// Reconcile is how often the id map is checked against both systems to catch deletions
	// a webhook did not announce; 24 hours by default. Only objects that propagate deletes
	// are reconciled.
	Reconcile Duration `yaml:"reconcile"`
	// FullRead, when set, makes a cycle read every record of every object again that often,
	// whatever the cursors say: changes a system makes without moving its records' update
	// time (Sellsy does not document whether custom-field edits move it) are then caught
	// within that time. Off by default.
	FullRead Duration `yaml:"full_read"`
	// MaxDeletes is the most records the propagated deletions of one cycle (from a cycle's
	// start to the next's: webhooks and reconciliation together) may delete; past it the
	// connection pauses, nothing more deleted, until someone checks them and resumes with
	// --allow-deletes. 100 by default; -1 for no limit.
	MaxDeletes int `yaml:"max_deletes"`
}

// DeleteLimit returns the most deletions a cycle may propagate, or 0 for no limit.
func (s Schedule) DeleteLimit() int {
	switch {
	case s.MaxDeletes < 0:
		return 0
	case s.MaxDeletes == 0:
		return DefaultMaxDeletes
	}
	return s.MaxDeletes
}

// Object is one object pair of a connection (companies ⇄ companies, contacts ⇄ contacts).
type Object struct {
	// Name of the object pair, also the engine's object name: company, contact, opportunity, order…
	Name string `yaml:"name"`
	// AObject and BObject name the object on each side; both default to Name.
	AObject string `yaml:"a_object"`
	BObject string `yaml:"b_object"`
	// Match names the fields that identify the same record on both sides (e-mail for
	// contacts; SIRET or name for companies).
	Match FieldPair `yaml:"match"`
	// Links names the object pairs this object links to: a contact's "company".
	Links  []string `yaml:"links"`
	Fields []Field  `yaml:"fields"`
	// Filter keeps, per side, only the records whose fields hold these values: a gate such
	// as Sellsy's "Synchronisation Altior" = yes, or Altior tiers of kind "moral". A value
	// may be a list, of which a record holds any (Sellsy companies of type prospect or
	// client). Records that fail it are not sent; records created on a side are given its
	// values (a list's first).
	Filter SideValues `yaml:"filter"`
	// Initial holds the initialisation choices InitialImport applies.
	Initial Initial `yaml:"initial"`
	// Deletes propagates deletions: b_to_a deletes the side-A record when its side-B
	// counterpart is deleted (Automation → Sellsy), a_to_b the reverse, both either way.
	// Empty (the default): a deletion is never propagated.
	Deletes Direction `yaml:"deletes"`
}

// EventRoute sends the webhook events of one object (and event type) to a workflow.
type EventRoute struct {
	// Object is the record's object (company, contact, individual, opportunity); Event the
	// event type (created, updated, deleted…), any when empty.
	Object string `yaml:"object"`
	Event  string `yaml:"event"`
	// Start starts a workflow with the record (read back through the API) as input.
	Start *StartRoute `yaml:"start"`
	// Signal signals a running workflow ("{connection}" in its id is replaced).
	Signal *SignalRoute `yaml:"signal"`
}

// StartRoute names the workflow an event starts.
type StartRoute struct {
	Workflow  string `yaml:"workflow"`   // workflow type
	TaskQueue string `yaml:"task_queue"` // default the worker's task queue (CRMSYNC_TASK_QUEUE)
}

// SignalRoute names the workflow and signal an event sends.
type SignalRoute struct {
	WorkflowID string `yaml:"workflow_id"`
	Name       string `yaml:"name"`
}

// Pipeline binds the stages of one side-A pipeline (a Sellsy pipeline's steps) to events of
// the paired side-B records (Altior affaire events).
type Pipeline struct {
	// Object is the object pair whose records move (opportunity ⇄ affaire).
	Object string `yaml:"object"`
	// Pipeline is the side-A pipeline's id, or its name as users see it there (resolved
	// against the live system: ResolvePipelines).
	Pipeline string `yaml:"pipeline"`
	// Events binds stages, by id or by name (ResolveEvents), to the event each emits, in the
	// pipeline's order; the first event of side B must be bound.
	Events map[string]string `yaml:"events"`
	// PipelineField and StageField name the side-A fields that hold a record's pipeline and
	// stage (default pipeline_id and step_id); PipelineTarget and StageTarget the side-B fields
	// that receive the pipeline's and the stage's names (default cf.PIPE and cf.ETAP).
	PipelineField  string `yaml:"pipeline_field"`
	StageField     string `yaml:"stage_field"`
	PipelineTarget string `yaml:"pipeline_target"`
	StageTarget    string `yaml:"stage_target"`
	// Establishment, when set, is written on the side-B records of this pipeline.
	Establishment string `yaml:"establishment"`
	// Follow makes every stage change give the side-B record the event of the stage reached,
	// forward or back, and nothing else (MiniCRM card statuses following UNAS order statuses:
	// a status is a state, not a step to replay). Without it, the events of every bound stage
	// passed are emitted in order and a move back emits nothing (Altior affaire events).
	Follow bool `yaml:"follow"`
	// StatusMap binds stages to events in the integration guide's format,
	// '{"UNAS status": "MiniCRM status", …}' (typographic quotes accepted), instead of Events.
	StatusMap string `yaml:"status_map"`

	// pipelineAs and stepsAs hold, once names are resolved to ids, what the file wrote: the
	// pipeline's name, and each step's by its id (Named, StepNamed, WrittenSteps).
	pipelineAs string
	stepsAs    map[string]string
}

// Strict reports whether every stage of the pipeline must be bound to an event of side B
// (a status map, or follow: the record takes the event of whatever stage it reaches).
// `crmsync validate --live` and PipelineSync both check it so.
func (p Pipeline) Strict() bool { return p.Follow || p.StatusMap != "" }

// NoTarget, as a pipeline's pipeline_target or stage_target, writes nothing there.
const NoTarget = "none"

// Start returns the start date (zero when none), at midnight UTC.
func (c *Connection) Start() time.Time {
	t, _ := time.Parse(time.DateOnly, c.StartDate)
	return t
}

// SideValues holds field values for each side, in each system's own field names.
type SideValues struct {
	A map[string]any `yaml:"a"`
	B map[string]any `yaml:"b"`
}

// Of returns the values of one side ("a" or "b").
func (v SideValues) Of(side string) map[string]any {
	if side == "b" {
		return v.B
	}
	return v.A
}

// FilterValues returns the values a filter value lets through: a list's, or the one value.
func FilterValues(v any) []any {
	if list, ok := v.([]any); ok {
		return list
	}
	return []any{v}
}

// FilterGiven returns what a filter value gives the records created on its side: the one
// value, or a list's first.
func FilterGiven(v any) any {
	if list, ok := v.([]any); ok && len(list) > 0 {
		return list[0]
	}
	return v
}

// FilterText shows a filter value for a user: prospect, or prospect or client for a list.
func FilterText(v any) string {
	list := FilterValues(v)
	out := make([]string, len(list))
	for i, x := range list {
		out[i] = fmt.Sprint(x)
	}
	return strings.Join(out, " or ")
}

// Initial are the initialisation choices of an object: which existing records the initial
// import sends to the other side. Both default to yes.
type Initial struct {
	// FromA sends the existing records of side A to side B ("import existing Sellsy records
	// to Altior"); FromB the other way ("export existing Altior tiers to Sellsy").
	FromA *bool `yaml:"from_a"`
	FromB *bool `yaml:"from_b"`
	// Match is the choice "match on the key so that two records sharing it become one pair"
	// (the Altior guide's "rapprochement sur le SIRET"). Unset, every record needs a match key
	// and one without it is quarantined (a contact matched on its e-mail). true: a record with
	// a key pairs on it and one without a key is created on the other side (a prospect with no
	// SIRET). false: nothing is matched: records pair only through the id map, each created
	// on the other side. It applies to every pass, not only the initial import, so that a
	// record created later follows the same rule.
	Match *bool `yaml:"match"`
}

// MatchesOnKey reports whether unpaired records are looked up on the other side by their
// match key (initial.match is not false).
func (o *Object) MatchesOnKey() bool { return o.Initial.Match == nil || *o.Initial.Match }

// KeyRequired reports whether a record without a match key is quarantined rather than
// created (initial.match unset).
func (o *Object) KeyRequired() bool { return o.Initial.Match == nil }

// RecordID, as a field name (in match or fields), stands for the record's own id on that
// side: `{a: id, b: cf.SLSY, direction: a_to_b}` writes the Sellsy id into an Altior custom
// field, and `match: {a: id, b: cf.SLSY}` pairs on it. It is read-only: it can only be the
// source of a one-way field.
const RecordID = "id"

// ImportsFrom reports whether the initial import reads the existing records of a side.
func (o *Object) ImportsFrom(side string) bool {
	v := o.Initial.FromA
	if side == "b" {
		v = o.Initial.FromB
	}
	return v == nil || *v
}

// Sends reports whether any field carries a side's values ("a" or "b") to the other side.
// A side that sends nothing (every field a_to_b, seen from b) never creates records on the
// other: its unpaired records are left alone, and the initial import does not read it.
func (o *Object) Sends(side string) bool {
	from := AToB
	if side == "b" {
		from = BToA
	}
	for _, f := range o.Fields {
		if f.Direction == Both || f.Direction == "" || f.Direction == from {
			return true
		}
	}
	return false
}

// DeletesFrom reports whether a deletion on side ("a" or "b") is propagated to the other side.
func (o *Object) DeletesFrom(side string) bool {
	switch o.Deletes {
	case Both:
		return true
	case AToB:
		return side == "a"
	case BToA:
		return side == "b"
	}
	return false
}

// FieldPair names a field on each side.
type FieldPair struct {
	A string `yaml:"a"`
	B string `yaml:"b"`
}

// Field maps one field of side A to one field of side B.
type Field struct {
	A         string    `yaml:"a"`
	B         string    `yaml:"b"`
	Direction Direction `yaml:"direction"`
	// StatusMap is a value map in the integration guide's format,
	// '{"UNAS status": "MiniCRM status", …}' (typographic quotes accepted); it fills Values
	// and is checked strictly by `crmsync validate --live`.
	StatusMap string `yaml:"status_map,omitempty"` // the connection's direction when empty
	// Values maps option values of list fields (select, radio, checkbox, multiselect), A value
	// → B value, where the two systems spell them differently; values absent from the map
	// must be spelled the same on both sides. For a field synced both ways, no two A values
	// may map to one B value unless ValuesBack says which of them comes back.
	Values map[string]string `yaml:"values,omitempty"`
	// ValuesBack maps B values to A values for the way back where it differs from Values
	// reversed: when several A values map to one B value (Sellsy's mr, mrs and ms to
	// Altior's M and MME), it names the one a B value becomes.
	ValuesBack map[string]string `yaml:"values_back,omitempty"`
	// Fixed names the side ("a" or "b") whose API sets the field only when a record is
	// created, for a field synced both ways (engine.PairFields sets it; never in the file).
	Fixed string `yaml:"-"`
}

// Reversed returns the value map of the way back, B value → A value: Values reversed, with
// ValuesBack's entries taking precedence.
func (f Field) Reversed() map[string]string {
	if len(f.Values) == 0 && len(f.ValuesBack) == 0 {
		return nil
	}
	out := make(map[string]string, len(f.Values)+len(f.ValuesBack))
	for _, a := range slices.Sorted(maps.Keys(f.Values)) { // sorted: ties resolve the same way every time
		if _, taken := out[f.Values[a]]; !taken {
			out[f.Values[a]] = a
		}
	}
	maps.Copy(out, f.ValuesBack)
	return out
}

// Key identifies the field mapping in snapshots.
func (f Field) Key() string { return f.A + ">" + f.B }

// Duration is a time.Duration written as "15m" in YAML.
type Duration time.Duration

// UnmarshalYAML parses a Go duration string.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("line %d: a duration is one value (examples: 90s, 15m, 1h), not a list or a mapping", n.Line)
	}
	v, err := time.ParseDuration(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %q is not a duration (examples: 90s, 15m, 1h)", n.Line, n.Value)
	}
	*d = Duration(v)
	return nil
}

// MarshalYAML writes the duration as a string.
func (d Duration) MarshalYAML() (any, error) { return time.Duration(d).String(), nil }

// Defaults applied by Parse.
const (
	DefaultInterval = 15 * time.Minute
	DefaultOverlap  = 2 * time.Minute
	// DefaultReconcile is how often deletions are looked for in the id map.
	DefaultReconcile = 24 * time.Hour
	// DefaultMaxDeletes is how many records a cycle's propagated deletions may delete before
	// the connection pauses for someone to check them (schedule.max_deletes).
	DefaultMaxDeletes = 100
)

// Load reads and validates one connection file.
func Load(path string) (*Connection, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, readError(path, err)
	}
	return Parse(path, data)
}

// readError says which file or folder could not be read, and why, in words: os's "open
// conns/.#a.yaml: no such file or directory" does not say the file is a dangling link.
func readError(path string, err error) error {
	if info, lerr := os.Lstat(path); lerr == nil && info.Mode()&os.ModeSymlink != 0 && errors.Is(err, fs.ErrNotExist) {
		target, _ := os.Readlink(path)
		return fmt.Errorf("%s: cannot be read: it is a link to %s, which does not exist", path, target)
	}
	var reason error = err
	var pe *fs.PathError
	if errors.As(err, &pe) {
		reason = pe.Err // the path is said once, first
	}
	switch info, serr := os.Stat(path); {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("%s: no such file or folder", path)
	case errors.Is(err, fs.ErrPermission):
		return fmt.Errorf("%s: cannot be read: permission denied", path)
	case serr == nil && info.IsDir():
		return fmt.Errorf("%s: is a folder, not a connection file", path)
	}
	return fmt.Errorf("%s: cannot be read: %w", path, reason)
}

// Parse decodes and validates a connection file's content; path is used in messages.
func Parse(path string, data []byte) (*Connection, error) {
	root, err := parseDocument(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	foldListSettings(root)
	// Every value that does not fit is reported, each with its line and field; the decoder
	// stops at the first and names no field.
	if problems := shapeProblems(root); len(problems) > 0 {
		var errs []error
		for i, p := range problems {
			if i == maxProblems {
				errs = append(errs, fmt.Errorf("%s: and %d more", path, len(problems)-i))
				break
			}
			errs = append(errs, fmt.Errorf("%s: %s", path, p))
		}
		return nil, errors.Join(errs...)
	}
	// The document read once: its shape was checked above, unknown keys included.
	var c Connection
	if err := root.Decode(&c); err != nil {
		return nil, fmt.Errorf("%s: %s", path, yamlMessage(err))
	}
	c.File = path
	c.applyDefaults(root)
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return &c, nil
}

// parseDocument reads a connection file's one YAML document and returns its root node: an
// empty file, a syntax error and a second document are refused.
func parseDocument(data []byte) (*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	err := dec.Decode(&doc)
	if errors.Is(err, io.EOF) {
		return nil, errEmptyFile
	}
	if err != nil {
		return nil, yamlSyntaxError(data, err)
	}
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case err == nil:
		return nil, fmt.Errorf("line %d: a second document (after ---): a connection file holds one connection; put each in a file of its own", max(next.Line, 1))
	case !errors.Is(err, io.EOF):
		return nil, yamlSyntaxError(data, err)
	}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	if root.Kind == yaml.DocumentNode || (root.Kind == yaml.ScalarNode && root.Tag == "!!null") {
		return nil, errEmptyFile
	}
	return root, nil
}

// yamlSyntaxError is the YAML decoder's error err about data, in one line; a line indented
// with a tab, of which the decoder says "found character that cannot start any token" or
// speaks of a tab on the line before, is named as such, with its line.
func yamlSyntaxError(data []byte, err error) error {
	msg := yamlMessage(err)
	if line, ok := tabIndented(data, msg); ok {
		return fmt.Errorf("line %d: the line is indented with a tab: YAML allows only spaces for indentation; replace the tab with spaces", line)
	}
	if m := yamlLine.FindStringSubmatch(msg); m != nil && strings.Contains(msg, "did not find expected") {
		// The decoder names where the block it could not close began (or the line before the
		// one that broke it): the mistake is the first line the document no longer parses at.
		if line, ok := firstUnparsedLine(data); ok && strconv.Itoa(line) != m[1] {
			return fmt.Errorf("line %d: %s: this line is indented out of step with the lines above it", line, strings.TrimPrefix(msg, m[0]))
		}
	}
	return errors.New(msg)
}

// maxReparsedLines bounds the files firstUnparsedLine reads again line by line (a connection
// file is some tens of lines).
const maxReparsedLines = 2000

// firstUnparsedLine is the first line (from 1) at which the document's lines up to it no
// longer parse as YAML.
func firstUnparsedLine(data []byte) (int, bool) {
	lines := strings.SplitAfter(string(data), "\n")
	if len(lines) > maxReparsedLines {
		return 0, false
	}
	var b strings.Builder
	for n, line := range lines {
		b.WriteString(line)
		var v any
		if yaml.Unmarshal([]byte(b.String()), &v) != nil {
			return n + 1, true
		}
	}
	return 0, false
}

// yamlLine is the line a decoder's message starts with (it names none for the first line).
var yamlLine = regexp.MustCompile(`^line (\d+): `)

// tabIndented returns the line (from 1) indented with a tab that the decoder's message msg is
// about: the line it names (or the first when it names none), or the next one, as the decoder
// names the line before a tab that breaks the indentation.
func tabIndented(data []byte, msg string) (int, bool) {
	if !strings.Contains(msg, "cannot start any token") && !strings.Contains(msg, "tab character") {
		return 0, false
	}
	reported := 1
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		reported, _ = strconv.Atoi(m[1])
	}
	lines := strings.Split(string(data), "\n")
	for _, n := range []int{reported, reported + 1} {
		if n < 1 || n > len(lines) {
			continue
		}
		text := lines[n-1]
		indent := text[:len(text)-len(strings.TrimLeft(text, " \t"))]
		if strings.Contains(indent, "\t") && strings.TrimSpace(text) != "" {
			return n, true
		}
	}
	return 0, false
}

// given reports whether the document under n sets the value at path (the keys of nested
// mappings) to something other than null (a key with nothing after it, or ~), in a mapping
// or in one merged into it (<<: *base) as the decoder reads them: a mapping's own key over a
// merged one's, an earlier merged mapping over a later one.
func given(n *yaml.Node, path ...string) bool {
	return givenAt(n, path, 0)
}

func givenAt(n *yaml.Node, path []string, depth int) bool {
	n, depth = unalias(n, depth)
	switch {
	case n == nil:
		return false
	case len(path) == 0:
		return n.Kind != yaml.ScalarNode || n.Tag != "!!null"
	}
	v, ok := lookup(n, path[0], depth)
	return ok && givenAt(v, path[1:], depth+1)
}

// lookup returns the value of key in mapping m, as the decoder reads it: m's own, else
// that of the first mapping merged into m that has it.
func lookup(m *yaml.Node, key string, depth int) (*yaml.Node, bool) {
	if m.Kind != yaml.MappingNode || depth >= maxGivenDepth {
		return nil, false
	}
	var merged []*yaml.Node
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], m.Content[i+1]
		switch {
		case k.Kind == yaml.ScalarNode && k.Value == "<<" && k.Tag == "!!merge":
			if v, _ = unalias(v, depth); v != nil && v.Kind == yaml.SequenceNode {
				merged = append(merged, v.Content...)
			} else if v != nil {
				merged = append(merged, v)
			}
		case k.Kind == yaml.ScalarNode && k.Value == key:
			return v, true
		}
	}
	for _, mm := range merged {
		if mm, d := unalias(mm, depth+1); mm != nil {
			if v, ok := lookup(mm, key, d+1); ok {
				return v, true
			}
		}
	}
	return nil, false
}

// unalias follows aliases to the node they stand for (nil past maxGivenDepth).
func unalias(n *yaml.Node, depth int) (*yaml.Node, int) {
	for n != nil && n.Kind == yaml.AliasNode {
		if depth++; depth >= maxGivenDepth {
			return nil, depth
		}
		n = n.Alias
	}
	return n, depth
}

// maxGivenDepth bounds given's walk through aliases and merges.
const maxGivenDepth = 64

// maxProblems is the most YAML-level problems of a file reported one by one.
const maxProblems = 50

var errEmptyFile = errors.New("the file is empty: a connection file names at least name, a, b and objects (see config/examples)")

// Files lists the connection files of paths: comma-separated files and folders, a folder
// standing for its *.yaml and *.yml files; sorted. A folder's hidden files (.name: editors'
// lock files and copies, such as Emacs's .#a.yaml, a link to nowhere) and backups (name~)
// are left out; a file named is read whatever its name. A file reached twice (a folder named
// with and without its trailing slash, or a folder and one of its files) is listed once: the
// worker would otherwise refuse its connection's name as already used.
func Files(paths string) ([]string, error) {
	var files []string
	seen := map[string]bool{}
	add := func(f string) {
		key := filepath.Clean(f)
		if abs, err := filepath.Abs(f); err == nil {
			key = abs
		}
		if !seen[key] {
			seen[key] = true
			files = append(files, f)
		}
	}
	for _, p := range strings.Split(paths, ",") {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		info, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("%w%s", readError(p, err), commaList(p))
		}
		if !info.IsDir() {
			add(p)
			continue
		}
		entries, err := os.ReadDir(p)
		if err != nil {
			return nil, readError(p, err)
		}
		for _, e := range entries {
			name := e.Name()
			if strings.HasPrefix(name, ".") || strings.HasSuffix(name, "~") {
				continue
			}
			if ext := filepath.Ext(name); ext == ".yaml" || ext == ".yml" {
				add(filepath.Join(p, name))
			}
		}
	}
	sort.Strings(files)
	return files, nil
}

// commaList is " (files and folders are separated by commas: …)" when p, which names no
// file, is a list of files or folders that exist separated by colons or semicolons (a PATH's
// way), or "".
func commaList(p string) string {
	parts := strings.FieldsFunc(p, func(r rune) bool { return r == ':' || r == ';' })
	if len(parts) < 2 {
		return ""
	}
	for _, part := range parts {
		if _, err := os.Stat(strings.TrimSpace(part)); err != nil {
			return ""
		}
	}
	return " (files and folders are separated by commas: " + strings.Join(parts, ",") + ")"
}

// LoadAll loads every *.yaml / *.yml file of the comma-separated list of files and folders.
// Every file is validated; all problems are reported together.
func LoadAll(paths string) ([]*Connection, error) {
	files, err := Files(paths)
	if err != nil {
		return nil, err
	}
	return LoadFiles(files)
}

// LoadFiles loads the connection files Files listed, as LoadAll does.
func LoadFiles(files []string) ([]*Connection, error) {
	var (
		conns []*Connection
		errs  []error
		seen  = map[string]string{}
	)
	for _, f := range files {
		c, err := Load(f)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if prev, dup := seen[c.Name]; dup {
			errs = append(errs, fmt.Errorf("%s: name: %q is already used by %s", f, c.Name, prev))
			continue
		}
		seen[c.Name] = f
		conns = append(conns, c)
	}
	return conns, errors.Join(errs...)
}

// pipelineDefaults are a pipeline's pipeline_field and stage_field left out, by the system of
// side A, which they are read on, and its pipeline_target and stage_target, by the system of
// side B, which they are written on: Sellsy's pipeline_id and step_id, UNAS's one status list
// (pipeline "orders", stage "status"); Altior's affaire fields PIPE and ETAP, and no field on
// MiniCRM, whose status map moves the card and whose UNAS Status field is optional (it has
// no cf.PIPE or cf.ETAP).
func pipelineDefaults(systemA, systemB string) [4]string {
	def := [4]string{"pipeline_id", "step_id", "cf.PIPE", "cf.ETAP"}
	if systemA == "unas" {
		def[0], def[1] = "pipeline", "status"
	}
	if systemB == "minicrm" {
		def[2], def[3] = NoTarget, NoTarget
	}
	return def
}

// applyDefaults fills what the file (whose root node is root) leaves out. A schedule
// duration given as 0s is kept as given, not taken for one left out: validation refuses an
// interval or reconciliation of 0s as too short, and an overlap of 0s re-reads nothing.
func (c *Connection) applyDefaults(root *yaml.Node) {
	if c.Schedule.Interval == 0 && !given(root, "schedule", "interval") {
		c.Schedule.Interval = Duration(DefaultInterval)
	}
	def := pipelineDefaults(c.A.System, c.B.System)
	for i := range c.Pipelines {
		p := &c.Pipelines[i]
		for j, f := range []*string{&p.PipelineField, &p.StageField, &p.PipelineTarget, &p.StageTarget} {
			if *f == "" {
				*f = def[j]
			}
		}
	}
	if c.Schedule.Reconcile == 0 && !given(root, "schedule", "reconcile") {
		c.Schedule.Reconcile = Duration(DefaultReconcile)
	}
	if c.Schedule.Overlap == 0 && !given(root, "schedule", "overlap") {
		c.Schedule.Overlap = Duration(DefaultOverlap)
	}
	if c.Direction == "" {
		c.Direction = Both
	}
	// Settings are trimmed once, here: the connectors read them as they were validated (a
	// requests_per_second of "20 " passes the check and must open as 20).
	for _, s := range []*System{&c.A, &c.B} {
		for k, v := range s.Settings {
			s.Settings[k] = strings.TrimSpace(v)
		}
	}
	for i := range c.Objects {
		o := &c.Objects[i]
		if o.AObject == "" {
			o.AObject = o.Name
		}
		if o.BObject == "" {
			o.BObject = o.Name
		}
		for j := range o.Fields {
			if o.Fields[j].Direction == "" {
				o.Fields[j].Direction = c.Direction
			}
		}
	}
}

// Object returns the object pair with this name.
func (c *Connection) Object(name string) (*Object, bool) {
	for i := range c.Objects {
		if c.Objects[i].Name == name {
			return &c.Objects[i], true
		}
	}
	return nil, false
}

// Side returns the system of side "a" or "b".
func (c *Connection) Side(side string) System {
	if side == "b" {
		return c.B
	}
	return c.A
}

// LinkKey is the key under which a side's records hold their link to the object pair named
// pair: the linked pair's object on that side ("company" for a Sellsy contact's company; a
// UNAS order's "customer" and a MiniCRM card's "person" for the pair joining them).
func (c *Connection) LinkKey(pair, side string) string {
	o, ok := c.Object(pair)
	if !ok {
		return pair
	}
	if side == "b" {
		return o.BObject
	}
	return o.AObject
}

// ObjectNames lists the object pairs in sync order: an object comes after the objects it
// links to (companies before contacts).
func (c *Connection) ObjectNames() []string {
	var order []string
	done := map[string]bool{}
	var visit func(name string)
	visit = func(name string) {
		if done[name] {
			return
		}
		done[name] = true
		if o, ok := c.Object(name); ok {
			for _, l := range o.Links {
				visit(l)
			}
		}
		order = append(order, name)
	}
	for _, o := range c.Objects {
		visit(o.Name)
	}
	return order
}

// Secret returns the value of a credential from the environment: the variable the
// connection file names, or else the file that variable with _FILE appended names (Docker and
// Kubernetes secrets are mounted as files). Both are trimmed of surrounding white space (a
// CRLF .env file leaves a \r), and a file of a leading byte order mark (U+FEFF, which Windows
// editors write); a value of white space only counts as empty.
func (s System) Secret(key string) (string, error) {
	env, ok := s.Credentials[key]
	if !ok {
		return "", fmt.Errorf("credentials.%s is not set for %s", key, s.System)
	}
	if !envVarPattern.MatchString(env) {
		// Not a name: perhaps the credential itself, which must not be repeated.
		return "", fmt.Errorf("credentials.%s of %s must be the NAME of an environment variable, not the credential itself (not shown here)", key, s.System)
	}
	raw := os.Getenv(env)
	if v := strings.TrimSpace(raw); v != "" {
		return v, nil
	}
	path := strings.TrimSpace(os.Getenv(env + "_FILE"))
	if path == "" {
		empty := "is empty"
		if raw != "" {
			empty = "holds only white space"
		}
		return "", fmt.Errorf("environment variable %s (credentials.%s of %s) %s, and %s_FILE names no file", env, key, s.System, empty, env)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("%s_FILE (credentials.%s of %s): %w", env, key, s.System, err)
	}
	v := strings.TrimSpace(strings.TrimPrefix(string(data), "\ufeff"))
	if v == "" {
		return "", fmt.Errorf("%s_FILE (credentials.%s of %s): %s is empty", env, key, s.System, path)
	}
	return v, nil
}

// CheckSecrets reads every credential the connections name and reports every one that
// cannot be read, each with its file, connection, field and variable: all at once, so that
// one restart is enough to see them fixed.
func CheckSecrets(conns ...*Connection) error {
	var errs []error
	for _, c := range conns {
		for _, side := range []string{"a", "b"} {
			sys := c.Side(side)
			for _, key := range slices.Sorted(maps.Keys(sys.Credentials)) {
				if _, err := sys.Secret(key); err != nil {
					errs = append(errs, fmt.Errorf("%s: connection %q: %s.credentials.%s: %w", c.File, c.Name, side, key, err))
				}
			}
		}
	}
	return errors.Join(errs...)
}

// SecretValues returns the values of every credential of both sides that can be read (the
// connector's, webhook secrets and tokens alike): what must never be shown.
func (c *Connection) SecretValues() []string {
	var out []string
	for _, sys := range []System{c.A, c.B} {
		for key := range sys.Credentials {
			if v, err := sys.Secret(key); err == nil && v != "" {
				out = append(out, v)
			}
		}
	}
	return out
}

// Secrets reads every credential the system's connector needs (see Validate) from the
// environment, keyed by credential name.
func (s System) Secrets() (map[string]string, error) {
	out := make(map[string]string, len(knownSystems[s.System]))
	var errs secretErrors
	for _, key := range knownSystems[s.System] {
		v, err := s.Secret(key)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out[key] = v
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return out, nil
}

// secretErrors are every credential of a system that cannot be read, on one line: callers
// put the file and side before it.
type secretErrors []error

func (e secretErrors) Error() string {
	msgs := make([]string, len(e))
	for i, err := range e {
		msgs[i] = err.Error()
	}
	return strings.Join(msgs, "; ")
}

func (e secretErrors) Unwrap() []error { return e }

// yamlMessage turns yaml.v3's error (a syntax error: the shape walk reports every value that
// does not fit, with its field, before anything is decoded) into one line.
func yamlMessage(err error) string {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	msg = strings.TrimPrefix(msg, "unmarshal errors:\n  ")
	return strings.ReplaceAll(strings.ReplaceAll(msg, "\n  ", "\n"), "\n", "; ")
}
