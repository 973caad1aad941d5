package config

import (
	"cmp"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/sellsy"
)

// noDeletes are the systems on which no deletion is ever propagated, and why.
var noDeletes = map[string]string{
	"weavy":  "never takes part in deletions: the integration propagates none on weavy",
	"altior": "has no delete in its API (connectors/altior/API.md)",
}

// cannotDelete are the systems whose records a propagated deletion cannot delete, and why:
// deletions may come from them, never go to them.
var cannotDelete = map[string]string{
	"unas":    "the UNAS connector is read-only: it refuses every write, deletions included",
	"minicrm": "the MiniCRM connector does not support deleting records",
}

// minInterval keeps a misconfigured connection from hammering the APIs.
const minInterval = 10 * time.Second

// knownSystems lists the connector types a connection may name, with the credentials each
// needs (optionalCredentials lists the others it may name, knownSettings its settings).
var knownSystems = map[string][]string{
	"sellsy":  {"client_id", "client_secret"},
	"mautic":  {"username", "password"},
	"weavy":   {"username", "password"},
	"altior":  {"api_key"},
	"unas":    {"api_key"},
	"minicrm": {"system_id", "api_key"},
}

// cardPrefix names a MiniCRM module's cards as an object (minicrm.CardPrefix).
const cardPrefix = "card:"

// systemObjects lists, per system, the objects its connector reads and writes (sorted);
// MiniCRM's cards are cardPrefix and a module's name besides. Written out, not taken from
// the connectors: their tests import the engine, which imports config (a test in
// connectors/registry keeps the two in step).
var systemObjects = map[string][]string{
	"sellsy":  {connectors.ObjectCompany, connectors.ObjectContact, sellsy.ObjectIndividual, sellsy.ObjectOpportunity},
	"mautic":  {connectors.ObjectCompany, connectors.ObjectContact},
	"weavy":   {connectors.ObjectCompany, connectors.ObjectContact},
	"altior":  {"affaire", connectors.ObjectCompany, connectors.ObjectContact},
	"unas":    {"company", "customer", "order"},
	"minicrm": {"business", "person"},
}

// SystemObjects returns the objects of system as the connection file names them (nil for a
// system crmsync does not know); MiniCRM's cards ("card:<module>") are not listed.
func SystemObjects(system string) []string { return slices.Clone(systemObjects[system]) }

// objectProblem says why object is not one of system's objects ("not an object of …"), or
// "" when it is (or when the system itself is unknown, reported apart).
func objectProblem(system, object string) string {
	known, ok := systemObjects[system]
	if !ok || slices.Contains(known, object) {
		return ""
	}
	list := strings.Join(known, ", ")
	if system == "minicrm" {
		if module, ok := strings.CutPrefix(object, cardPrefix); ok && strings.TrimSpace(module) != "" {
			return ""
		}
		list += ", " + cardPrefix + "<module> (a module's cards, such as " + cardPrefix + "Orders)"
	}
	return fmt.Sprintf("not an object of %s%s; its objects: %s", system, DidYouMean(object, known), list)
}

var (
	namePattern   = regexp.MustCompile(`^[a-z0-9-]*$`)
	envVarPattern = regexp.MustCompile(`^[A-Z_][A-Z0-9_]*$`)
)

// maxNameLen is a DNS label's length (RFC 1035), which the connection name is shaped like:
// nothing in crmsync needs fewer characters (Temporal takes workflow ids of 1000), but a name
// that fits a label fits wherever it is used beside the ids (webhook URLs, metric labels).
const maxNameLen = 63

// Validate checks the connection and returns every problem found, each naming the file, the
// field and the reason.
func (c *Connection) Validate() error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s: %s", c.File, field, fmt.Sprintf(format, args...)))
	}
	switch {
	case c.Name == "":
		bad("name", "missing: the connection's name, lower-case letters, digits and dashes (it becomes part of workflow ids)")
	case !namePattern.MatchString(c.Name):
		bad("name", "%q must be lower-case letters, digits and dashes (it becomes part of workflow ids)", c.Name)
	case c.Name[0] == '-':
		bad("name", "%q must start with a letter or a digit", c.Name)
	}
	if n := utf8.RuneCountInString(c.Name); n > maxNameLen {
		bad("name", "%q is %d characters long: at most %d, a DNS label's length (the name becomes part of workflow ids, webhook URLs and metric labels)", c.Name, n, maxNameLen)
	}
	for _, side := range []string{"a", "b"} {
		s := c.Side(side)
		if _, ok := knownSystems[s.System]; !ok {
			supported := strings.Join(sortedKeys(knownSystems), ", ")
			if strings.TrimSpace(s.System) == "" {
				bad(side+".system", "missing: one of %s", supported)
			} else {
				bad(side+".system", "%q is not a supported system (supported: %s)%s", s.System, supported, systemMeant(s.System))
			}
			continue
		}
		for _, p := range credentialProblems(s) {
			bad(side+".credentials."+p.key, "%s", p.reason)
		}
		for _, p := range settingsProblems(s) {
			bad(side+".settings."+p.key, "%s", p.reason)
		}
	}
	if !validDirection(c.Direction) {
		bad("direction", "%q is not one of both, a_to_b, b_to_a", c.Direction)
	}
	if c.Schedule.Interval.Std() < minInterval {
		bad("schedule.interval", "%s is too short (at least %s)", c.Schedule.Interval.Std(), minInterval)
	}
	if c.Schedule.Reconcile.Std() < minInterval {
		bad("schedule.reconcile", "%s is too short (at least %s)", c.Schedule.Reconcile.Std(), minInterval)
	}
	if c.Schedule.MaxDeletes < -1 {
		bad("schedule.max_deletes", "%d: give the most records a cycle's deletions may delete (100 when left out), or -1 for no limit", c.Schedule.MaxDeletes)
	}
	if fr := c.Schedule.FullRead.Std(); fr < 0 {
		bad("schedule.full_read", "%s must not be negative: give how often a cycle reads everything again (such as 24h), or leave it out", fr)
	} else if fr != 0 && fr < c.Schedule.Interval.Std() {
		bad("schedule.full_read", "%s is shorter than schedule.interval (%s): every cycle would read everything; leave it out instead", fr, c.Schedule.Interval.Std())
	}
	if c.Schedule.Overlap.Std() < 0 {
		bad("schedule.overlap", "must not be negative")
	}
	if len(c.Objects) == 0 {
		bad("objects", "at least one object pair is needed")
	}
	if c.StartDate != "" {
		if _, err := time.Parse(time.DateOnly, c.StartDate); err != nil {
			bad("start_date", "%q is not a date like 2026-01-31", c.StartDate)
		}
	}
	names := map[string]bool{}
	for i, o := range c.Objects {
		at := fmt.Sprintf("objects[%d]", i)
		switch {
		case o.Name == "":
			bad(at+".name", "missing")
		case strings.Contains(o.Name, ",") || strings.TrimSpace(o.Name) != o.Name:
			bad(at+".name", "%q: an object's name has no comma and no space at either end, so that crmsync resync --objects, which takes a comma-separated list, can name it", o.Name)
		case names[o.Name]:
			bad(at+".name", "%q appears twice", o.Name)
		}
		names[o.Name] = true
		for _, side := range []string{"a", "b"} {
			object, key := cmp.Or(o.AObject, o.Name), "a_object"
			if side == "b" {
				object, key = cmp.Or(o.BObject, o.Name), "b_object"
			}
			if object == "" {
				continue // the missing name is reported
			}
			problem := objectProblem(c.Side(side).System, object)
			switch {
			case problem == "":
			case object == o.Name:
				// Left out, the side's object is the pair's name: say so, or the name the
				// message quotes is nowhere in the file under that key.
				bad(at+"."+key, "%q (the pair's name, which %s defaults to) is %s: name it with %s", object, key, problem, key)
			default:
				bad(at+"."+key, "%q is %s", object, problem)
			}
		}
		if o.Match.A == "" || o.Match.B == "" {
			bad(at+".match", "both a and b are needed: the fields that identify the same %s on both sides", o.Name)
		}
		if len(o.Fields) == 0 {
			bad(at+".fields", "no field is mapped")
		}
		if o.Deletes != "" && !validDirection(o.Deletes) {
			bad(at+".deletes", "%q is not one of both, a_to_b, b_to_a (leave it out to never propagate deletions)", o.Deletes)
		} else if o.Deletes != "" {
			for _, side := range []string{"a", "b"} {
				system := c.Side(side).System
				if why, ok := noDeletes[system]; ok {
					bad(at+".deletes", "not possible on this connection: %s (side %s) %s; leave deletes out", system, side, why)
				} else if why, ok := cannotDelete[system]; ok && o.DeletesFrom(otherSide(side)) {
					bad(at+".deletes", "%s propagates deletions to %s (side %s), where none can be made: %s; leave deletes out", o.Deletes, system, side, why)
				}
			}
		}
		seenA, seenB := map[string]bool{}, map[string]bool{}
		for j, f := range o.Fields {
			fat := fmt.Sprintf("%s.fields[%d]", at, j)
			if f.A == "" || f.B == "" {
				bad(fat, "both a and b are needed")
				continue
			}
			// A field that took the connection's direction was reported with it.
			if !validDirection(f.Direction) && (f.Direction != c.Direction || validDirection(c.Direction)) {
				bad(fat+".direction", "%q is not one of both, a_to_b, b_to_a", f.Direction)
			}
			// The record's id can be read, never written.
			switch {
			case f.A == RecordID && f.B == RecordID:
				bad(fat, "id on both sides: one record's id cannot be written into the other's")
			case f.A == RecordID && f.Direction != AToB:
				bad(fat+".direction", "a is the record's id, which cannot be written: use a_to_b")
			case f.B == RecordID && f.Direction != BToA:
				bad(fat+".direction", "b is the record's id, which cannot be written: use b_to_a")
			}
			valuesAt := ".values"
			if f.StatusMap != "" {
				if where, problem := statusMapInto(f.StatusMap, &c.Objects[i].Fields[j].Values, "values"); problem != "" {
					bad(fat+where, "%s", problem)
				} else {
					// The values the status map filled get the checks values: gets.
					f, valuesAt = c.Objects[i].Fields[j], ".status_map"
				}
			}
			if seenA[f.A] {
				bad(fat+".a", "%q is mapped twice", f.A)
			}
			if seenB[f.B] {
				bad(fat+".b", "%q is mapped twice", f.B)
			}
			seenA[f.A], seenB[f.B] = true, true
			for _, msg := range valueMapProblems(f) {
				bad(fat+valuesAt, "%s field %s>%s: %s", o.Name, f.A, f.B, msg)
			}
		}
	}
	if len(c.Events) > 0 && c.A.System != sellsy.System && c.B.System != sellsy.System {
		bad("events", "routes Sellsy's webhooks, but neither side of this connection is sellsy")
	} else if len(c.Events) > 0 {
		for _, side := range []string{"a", "b"} {
			if s := c.Side(side); s.System == sellsy.System && s.Credentials[webhookToken] == "" {
				bad(side+".credentials."+webhookToken, "missing: events: routes Sellsy's webhooks, which reach the worker only at /webhooks/%s/sellsy/<token>: name the environment variable that holds the token (such as SELLSY_WEBHOOK_TOKEN)", c.Name)
			}
		}
	}
	webhookObjects := sellsy.WebhookObjects()
	objects := strings.Join(webhookObjects, ", ")
	for i, e := range c.Events {
		at := fmt.Sprintf("events[%d]", i)
		if e.Object == "" {
			bad(at+".object", "missing: the object whose events are routed (%s)", objects)
		} else if !slices.Contains(webhookObjects, e.Object) {
			bad(at+".object", "%q is not an object whose Sellsy events can be read back%s (%s)", e.Object, DidYouMean(e.Object, webhookObjects), objects)
		}
		if events := sellsy.WebhookEvents(); e.Event != "" && !slices.Contains(events, e.Event) {
			if near := Nearest(e.Event, events); near != "" {
				bad(at+".event", "%q is not an event Sellsy sends (did you mean %s?): a route is compared exactly with the notification's event, so it would route nothing (known events: %s)",
					e.Event, near, strings.Join(events, ", "))
			}
		}
		switch {
		case (e.Start == nil) == (e.Signal == nil):
			bad(at, "give exactly one of start or signal")
		case e.Start != nil && e.Start.Workflow == "":
			bad(at+".start.workflow", "missing: the workflow type to start")
		case e.Start != nil && e.Start.TaskQueue == "" && IsOwnWorkflowType(e.Start.Workflow):
			// On the worker's own queue the name is crmsync's workflow: every event would
			// start one more under its own id, a sync or pipelines running for ever.
			bad(at+".start.workflow", "%q is one of crmsync's own workflows: each event would start another beside the connection's own (a sync or pipelines that run for ever, an import that reads everything again); to sync on an event, use signal: {workflow_id: \"{connection}/incremental-sync\", name: sync-now}", e.Start.Workflow)
		case e.Signal != nil && (e.Signal.WorkflowID == "" || e.Signal.Name == ""):
			bad(at+".signal", "both workflow_id and name are needed")
		case e.Signal != nil && e.Signal.Name != "sync-now" && IsOwnWorkflow(e.Signal.WorkflowID):
			// The others take inputs an event does not carry (a resync would read it as
			// "everything"), or are the user's to send: a delivery forged by whoever holds
			// the URL must not pause, resume or lift schedule.max_deletes.
			why := "their other signals take inputs a Sellsy event does not carry, or are yours to send with the crmsync command"
			if e.Signal.Name == "stage-changed" {
				why = "opportunity events reach it on their own when the connection has pipelines"
			}
			bad(at+".signal.name", "%q: a Sellsy event can ask crmsync's own workflow %s for sync-now only (%s)",
				e.Signal.Name, strings.ReplaceAll(e.Signal.WorkflowID, "{connection}", c.Name), why)
		}
	}
	seenPipeline := map[string]bool{}
	for i, p := range c.Pipelines {
		at := fmt.Sprintf("pipelines[%d]", i)
		if !names[p.Object] {
			bad(at+".object", "%q is not an object of this connection%s (objects: %s)", p.Object, DidYouMean(p.Object, keys(names)), strings.Join(keys(names), ", "))
		}
		if p.Pipeline == "" {
			bad(at+".pipeline", "missing: the id or the name of the pipeline")
		} else if seenPipeline[p.Pipeline] {
			bad(at+".pipeline", "%q is configured twice: one configuration per pipeline", p.Pipeline)
		}
		seenPipeline[p.Pipeline] = true
		if p.StatusMap != "" {
			if where, problem := statusMapInto(p.StatusMap, &c.Pipelines[i].Events, "events"); problem != "" {
				bad(at+where, "%s", problem)
			}
		} else if len(p.Events) == 0 {
			bad(at+".events", "bind at least the first event to a stage")
		}
	}
	for _, side := range []string{"a", "b"} {
		if at, object, ok := c.cardsWithoutOwner(side); ok {
			bad(side+".settings.owner", "missing: %s writes MiniCRM cards (%s), and MiniCRM gives a card without an owner to a user of its own choosing; name the user id that owns them", at, object)
		}
		if at, object, ok := c.writesTo(side, "altior", nil); ok {
			for _, key := range []string{"reference_user_email", "establishment"} {
				if strings.TrimSpace(c.Side(side).Settings[key]) == "" {
					bad(side+".settings."+key, "missing: %s writes Altior records (%s), which are created as the connection's reference user (by e-mail) in its establishment; name both", at, object)
				}
			}
		}
	}
	for _, side := range []string{"a", "b"} {
		if at, problem := c.companyTypeProblem(side); problem != "" {
			bad(at, "%s", problem)
		}
	}
	for i, o := range c.Objects {
		for _, l := range o.Links {
			if !names[l] {
				bad(fmt.Sprintf("objects[%d].links", i), "%q is not an object of this connection%s (objects: %s)", l, DidYouMean(l, keys(names)), strings.Join(keys(names), ", "))
			}
		}
	}
	return errors.Join(errs...)
}

// companyTypeProblem is what is wrong with a Sellsy side's company_type given the objects'
// filters on type, with where, or "". The type of a Sellsy company or individual is set at
// its creation only: from the filter when it names type (its first value), else from
// company_type. A company_type the filter of an object creating records there overrides says
// what the connection does not do; not one of the filter's, it would create records its own
// filter leaves out.
func (c *Connection) companyTypeProblem(side string) (at, problem string) {
	s := c.Side(side)
	ct := s.Settings["company_type"]
	if s.System != sellsy.System || !slices.Contains(knownSettings[sellsy.System]["company_type"].oneOf, ct) {
		return "", "" // unset (the connector's prospect), or reported as not a type
	}
	for i, o := range c.Objects {
		object := cmp.Or(o.AObject, o.Name)
		if side == "b" {
			object = cmp.Or(o.BObject, o.Name)
		}
		want, ok := o.Filter.Of(side)["type"]
		thirds := map[string]string{connectors.ObjectCompany: "companies", sellsy.ObjectIndividual: "individuals"}[object]
		if !ok || !o.Sends(otherSide(side)) || thirds == "" {
			continue
		}
		given := fmt.Sprint(FilterGiven(want))
		if given == ct {
			continue
		}
		fix := fmt.Sprintf("leave company_type out, or make it %s", given)
		if slices.ContainsFunc(FilterValues(want), func(v any) bool { return fmt.Sprint(v) == ct }) {
			fix = fmt.Sprintf("put %s first in the filter's list, or leave company_type out", ct)
		}
		return side + ".settings.company_type", fmt.Sprintf("%q, but objects[%d] (%s) gives the Sellsy %s it creates the type %s, from its filter (filter.%s.type: %s), which company_type does not change: %s",
			ct, i, o.Name, thirds, given, side, FilterText(want), fix)
	}
	return "", ""
}

// cardsWithoutOwner names the first object (objects[i], and its object there) that writes
// MiniCRM cards on side when that side names no owner user.
func (c *Connection) cardsWithoutOwner(side string) (at, object string, ok bool) {
	if strings.TrimSpace(c.Side(side).Settings["owner"]) != "" {
		return "", "", false
	}
	return c.writesTo(side, "minicrm", func(object string) bool { return strings.HasPrefix(object, cardPrefix) })
}

// writesTo names the first object (objects[i], and its object there) that writes records on
// side when that side is system, of those whose object there is kept by only (nil: all).
func (c *Connection) writesTo(side, system string, only func(object string) bool) (at, object string, ok bool) {
	if c.Side(side).System != system {
		return "", "", false
	}
	other := map[string]string{"a": "b", "b": "a"}[side]
	for i, o := range c.Objects {
		object := o.AObject
		if side == "b" {
			object = o.BObject
		}
		if o.Sends(other) && (only == nil || only(object)) {
			return fmt.Sprintf("objects[%d]", i), object, true
		}
	}
	return "", "", false
}

// statusMapInto parses a status map (the integration guide's format) into *dst, which it
// stands in for: dst must be empty, alternative names its key. A problem comes with where it
// is (".status_map", or "" for the pair of keys).
func statusMapInto(text string, dst *map[string]string, alternative string) (where, problem string) {
	m, err := ParseStatusMap(text)
	switch {
	case err != nil:
		return ".status_map", err.Error()
	case len(*dst) > 0:
		return "", "give either status_map or " + alternative + ", not both"
	}
	*dst = m
	return "", ""
}

// valueMapProblems checks a field's value map on its own: no empty value, and, for a field
// synced both ways, no two A values mapping to one B value (the way back would be ambiguous)
// unless values_back names the one that comes back.
func valueMapProblems(f Field) []string {
	var out []string
	byB := map[string][]string{}
	for _, a := range sortedKeys(f.Values) {
		b := f.Values[a]
		if strings.TrimSpace(a) == "" {
			out = append(out, fmt.Sprintf("an empty value maps to %q: name the a value", b))
			continue
		}
		if strings.TrimSpace(b) == "" {
			out = append(out, fmt.Sprintf("%q maps to an empty value: name the b value", a))
			continue
		}
		byB[b] = append(byB[b], a)
	}
	for _, b := range sortedKeys(f.ValuesBack) {
		if a := f.ValuesBack[b]; strings.TrimSpace(b) == "" || strings.TrimSpace(a) == "" {
			out = append(out, fmt.Sprintf("values_back: %q → %q: name both the b value and the a value", b, a))
		}
	}
	if len(f.ValuesBack) > 0 && f.Direction == AToB {
		out = append(out, "values_back is the way back, but the field goes a_to_b only: remove it or set direction: both")
	}
	if f.Direction == Both || f.Direction == "" {
		for _, b := range sortedKeys(byB) {
			as := byB[b]
			back, named := f.ValuesBack[b]
			switch {
			case len(as) > 1 && !slices.Contains(as, back):
				out = append(out, fmt.Sprintf("%s all map to %q: with direction both, the way back would be ambiguous (name the one %q comes back as under values_back:, map each value once, or use direction a_to_b)", quoteAll(as), b, b))
			case named && strings.TrimSpace(back) != "" && !slices.Contains(as, back):
				// The one a value sent as b would be written back as another: it never stays.
				out = append(out, fmt.Sprintf("values_back: %q → %q, but values maps only %q to %q: with direction both, %q would come back as %q and never stay (make it %q, or remove the entry)", b, back, as[0], b, as[0], back, as[0]))
			}
		}
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func quoteAll(s []string) string {
	q := make([]string, len(s))
	for i, v := range s {
		q[i] = fmt.Sprintf("%q", v)
	}
	return strings.Join(q, ", ")
}

// webhookToken is the Sellsy credential whose value is the token of its webhook URL
// (webhooks.CredWebhookToken).
const webhookToken = "webhook_token"

// otherSide is "b" for "a" and "a" for "b".
func otherSide(side string) string {
	if side == "a" {
		return "b"
	}
	return "a"
}

func validDirection(d Direction) bool { return d == Both || d == AToB || d == BToA }

// Std returns the duration as a time.Duration.
func (d Duration) Std() time.Duration { return time.Duration(d) }

// productSystems names the systems by their products' names, which a file may give for
// the system key: Webmecanik Automation is the mautic connector's, Divalto weavy weavy's.
var productSystems = map[string]struct{ system, product string }{
	"automation": {"mautic", "Webmecanik Automation"},
	"webmecanik": {"mautic", "Webmecanik Automation"},
	"divalto":    {"weavy", "Divalto weavy"},
}

// systemMeant is " (did you mean X?)" for a system name misspelt or given as its product's.
func systemMeant(name string) string {
	for word, p := range productSystems {
		if strings.Contains(strings.ToLower(name), word) {
			return fmt.Sprintf(" (did you mean %s? %s is system %s)", p.system, p.product, p.system)
		}
	}
	return DidYouMean(name, sortedKeys(knownSystems))
}

func keys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// ownWorkflows are the suffixes of the ids of crmsync's own workflows of a connection
// (workflows.SyncWorkflowID and its kin, which this package cannot import).
var ownWorkflows = []string{"/incremental-sync", "/initial-import", "/pipeline-sync", "/import-dry-run", "/retry-quarantine"}

// sellsyEventsIDs is what the ids of the workflows that route a record's Sellsy events hold
// (workflows.SellsyEventsWorkflowID).
const sellsyEventsIDs = "/sellsy-events/"

// IsOwnWorkflowType reports whether a workflow type is one crmsync's worker runs (the
// worker's ownWorkflows, whose test keeps the two in step; not this package's ownWorkflows,
// which are ids), which a start route on its task queue would start.
func IsOwnWorkflowType(name string) bool {
	return slices.Contains([]string{"InitialImport", "IncrementalSync", "PushRecord", "PipelineSync", "RetryQuarantine", "SellsyEvents"}, name)
}

// IsOwnWorkflow reports whether a signal route's workflow id names one of crmsync's own
// workflows, of this connection or another.
func IsOwnWorkflow(id string) bool {
	if strings.Contains(id, sellsyEventsIDs) {
		return true
	}
	for _, suffix := range ownWorkflows {
		if strings.HasSuffix(id, suffix) {
			return true
		}
	}
	return false
}
