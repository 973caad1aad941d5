package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/crmsync/crmsync/config"
	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/registry"
	"github.com/crmsync/crmsync/connectors/sellsy"
	"github.com/crmsync/crmsync/engine"
)

const validateUsage = `usage: crmsync validate [--live] [FILE|FOLDER...]

Checks connection files: the named ones (a folder: its *.yaml and *.yml files), or else the
worker's (CRMSYNC_CONNECTIONS).
  --live  also connect to both systems: credentials, rights, settings, and every mapped field
Flags may come before or after the files.`

func validate(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("validate", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	live := fs.Bool("live", false, "also connect to both systems and check every mapped field exists")
	files, err := parseAnywhere(fs, args)
	if err != nil {
		return fmt.Errorf("validate: %w\n%s", err, validateUsage)
	}
	// A folder stands for its connection files, as in CRMSYNC_CONNECTIONS.
	var named []string
	for _, f := range files {
		info, err := os.Stat(f)
		if errors.Is(err, os.ErrNotExist) && maybeConnectionName(f) {
			// A connection's name, as fields takes it: its file in CRMSYNC_CONNECTIONS.
			file, err := connectionFile(f)
			if err != nil {
				return fmt.Errorf("validate: %w", err)
			}
			named = append(named, file)
			continue
		}
		if err != nil || !info.IsDir() {
			named = append(named, f) // Load names what is wrong with it
			continue
		}
		inFolder, err := config.Files(f)
		if err != nil {
			return fmt.Errorf("validate: %w", err)
		}
		if len(inFolder) == 0 {
			return fmt.Errorf("validate: no connection file (*.yaml, *.yml) in %s", f)
		}
		named = append(named, inFolder...)
	}
	files = named
	if len(files) == 0 { // the worker's connections
		s, err := loadSettings()
		if err != nil {
			return err
		}
		if files, err = config.Files(s.Connections); err != nil {
			return fmt.Errorf("validate: CRMSYNC_CONNECTIONS: %w", err)
		}
		if len(files) == 0 {
			return fmt.Errorf("validate: no connection file in %s (CRMSYNC_CONNECTIONS); name the files to check", s.Connections)
		}
	}
	var errs []error
	seen := map[string]string{}
	checked := map[string]bool{}
	for _, f := range files {
		// A file named twice (a glob and its own name) is one connection, checked once.
		key := filepath.Clean(f)
		if abs, err := filepath.Abs(f); err == nil {
			key = abs
		}
		if checked[key] {
			continue
		}
		checked[key] = true
		c, err := config.Load(f)
		if err == nil {
			if prev, dup := seen[c.Name]; dup {
				err = fmt.Errorf("%s: name: %q is already used by %s", f, c.Name, prev)
			} else {
				seen[c.Name] = f
			}
		}
		if err == nil && *live {
			err = checkLive(ctx, c)
		} else if err == nil {
			// Where records would be created without their match key needs no field
			// description: said offline too (--live says it with the rest).
			var bad []error
			for i := range c.Objects {
				for _, e := range engine.CheckMatch(c, i) {
					bad = append(bad, fmt.Errorf("%s: %w", f, e))
				}
			}
			err = errors.Join(bad...)
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		checked := "" // offline: the file alone
		if *live {
			checked = ", checked against both systems"
		}
		fmt.Fprintf(out, "%s: connection %q is valid (%s ⇄ %s; objects %s)%s\n", f, c.Name, c.A.System, c.B.System, strings.Join(c.ObjectNames(), ", "), checked)
	}
	return errors.Join(errs...)
}

// maybeConnectionName tells an argument of validate that may be a connection's name rather
// than a file's: no folder, no YAML extension.
func maybeConnectionName(arg string) bool {
	ext := strings.ToLower(filepath.Ext(arg))
	return !strings.ContainsAny(arg, `/\`) && ext != ".yaml" && ext != ".yml" && !strings.HasPrefix(arg, "-")
}

// connectionFile is the file of the connection named name in CRMSYNC_CONNECTIONS. With no file
// there to read, the name is no file either: both are said.
func connectionFile(name string) (string, error) {
	s, err := loadSettings()
	if err != nil {
		return "", err
	}
	c, err := findConnection(s, name)
	if err != nil {
		return "", fmt.Errorf("%q is no file or folder, and %w", name, err)
	}
	return c.File, nil
}

// checkLive reads the fields both systems describe and checks, before anything is written,
// that every mapped and match field exists, that each mapping's types are compatible in its
// direction (engine.CheckMapping), that value maps name existing options, and that every
// required field of a side that receives writes is mapped. Every problem is reported.
func checkLive(ctx context.Context, c *config.Connection) error {
	s, err := loadSettings()
	if err != nil {
		return err
	}
	// Every credential the worker reads at start (config.CheckSecrets: the optional ones,
	// such as webhook_secret, too), of both sides, all named at once: opening the connectors
	// reads only the ones they need, and stops at the first side that fails.
	if err := config.CheckSecrets(c); err != nil {
		return err
	}
	accounts, closeStore := sharedBudget(ctx, s, c, os.Stderr)
	defer closeStore()
	conns, err := openSides(c, accounts)
	if err != nil {
		return err
	}
	var errs []error
	// add collects a side's failed check; a failure the side's checks share (a login
	// refused fails each of them alike) is said once.
	add := func(side string, err error) {
		err = fmt.Errorf("%s: %s: %w", c.File, side, err)
		if !slices.ContainsFunc(errs, func(e error) bool { return e.Error() == err.Error() }) {
			errs = append(errs, err)
		}
	}
	for i, side := range []string{"a", "b"} {
		// Credentials with scoped rights (Sellsy's OAuth scopes, weavy's per-table "API
		// lecture / ajout / MAJ") must allow what the connection does on that side: nothing
		// runs on a table the connection may not read or write.
		if ac, ok := conns[i].(connectors.AccessChecker); ok {
			if err := ac.CheckAccess(ctx, accessOf(c, side)); err != nil {
				add(side, err)
			}
		}
		// A system whose reads are rationed by the hour (UNAS) must afford the schedule.
		if sc, ok := conns[i].(scheduleChecker); ok {
			if err := sc.CheckSchedule(ctx, listingsPerInterval(c, side), c.Schedule.Interval.Std()); err != nil {
				add(side, err)
			}
		}
		// Settings that name records of the system (Altior's reference user and
		// establishment) are looked up.
		if sc, ok := conns[i].(settingsChecker); ok {
			if err := sc.CheckSettings(ctx); err != nil {
				add(side, err)
			}
		}
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	d := &describer{conns: conns}
	if err := checkPipelines(ctx, c, conns[0], conns[1], d); err != nil {
		errs = append(errs, err)
	}
	if err := checkFields(ctx, c, conns[0], conns[1], d); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// openSides opens the connectors of sides a and b, sharing accounts' budgets. Its error is
// registry.OpenShared's, which names the file and the side.
func openSides(c *config.Connection, accounts *registry.Accounts) ([2]connectors.Connector, error) {
	var conns [2]connectors.Connector
	for i, side := range []string{"a", "b"} {
		conn, err := registry.OpenShared(c, side, nil, accounts)
		if err != nil {
			return conns, err
		}
		conns[i] = conn
	}
	return conns, nil
}

// scheduleChecker is a connector whose reads are rationed by the hour.
type scheduleChecker interface {
	CheckSchedule(ctx context.Context, listings int, interval time.Duration) error
}

// listingsPerInterval is how many listings of one side a schedule interval makes: one for the
// incremental cycle when an object sends from that side, one for PipelineSync's scan (of side
// A) when the connection has pipelines.
func listingsPerInterval(c *config.Connection, side string) int {
	n := 0
	for _, name := range c.ObjectNames() {
		if o, _ := c.Object(name); o.Sends(side) {
			n = 1
			break
		}
	}
	if side == "a" && len(c.Pipelines) > 0 {
		n++
	}
	return n
}

// checkPipelines checks each pipeline configuration against both systems: the pipeline and
// its bound steps exist, the events exist, the first event is bound, and events follow the
// pipeline's step order.
func checkPipelines(ctx context.Context, c *config.Connection, a, b connectors.Connector, d *describer) error {
	if len(c.Pipelines) == 0 {
		return nil
	}
	staged, ok := a.(connectors.Staged)
	catalog, ok2 := b.(connectors.EventCatalog)
	if !ok || !ok2 {
		return fmt.Errorf("%s: pipelines: %s has no pipelines or %s no events", c.File, a.System(), b.System())
	}
	var errs []error
	// The fields that hold and receive a record's pipeline and stage exist (the guide's
	// "create the Altior custom fields Pipeline (PIPE) and Etape (ETAP)").
	has := func(side int, object, field string) (bool, error) {
		fields, err := d.fields(ctx, side, object)
		return slices.ContainsFunc(fields, func(f connectors.Field) bool { return f.Name == field }), err
	}
	// A pipeline named by its name is resolved against side A's pipelines, as PipelineSync
	// resolves it: a name the system does not have, or has twice, is named at its field.
	pipelines, unresolved, listErr := resolvePipelines(ctx, c, staged, a.System())
	if listErr != nil {
		errs = append(errs, fmt.Errorf("%s: pipelines: %w", c.File, listErr))
	}
	for _, e := range unresolved {
		errs = append(errs, fmt.Errorf("%s: %w", c.File, e))
	}
	for i, p := range pipelines {
		o, ok := c.Object(p.Object)
		if !ok {
			continue // config.Load already refused it
		}
		for _, f := range []struct {
			side          int
			object, field string
			key           string
		}{
			{0, o.AObject, p.PipelineField, "pipeline_field"}, {0, o.AObject, p.StageField, "stage_field"},
			{1, o.BObject, p.PipelineTarget, "pipeline_target"}, {1, o.BObject, p.StageTarget, "stage_target"},
		} {
			if f.field == config.NoTarget {
				continue
			}
			conn := d.conns[f.side]
			ok, err := has(f.side, f.object, f.field)
			switch {
			case err != nil:
				errs = append(errs, fmt.Errorf("%s: pipelines[%d].%s: %w", c.File, i, f.key, err))
			case !ok:
				errs = append(errs, fmt.Errorf("%s: pipelines[%d].%s: %s %s has no field %q: create it (a custom field's code follows \"cf.\") or name another", c.File, i, f.key, conn.System(), f.object, f.field))
			}
		}
		if ec, ok := b.(establishmentChecker); ok && p.Establishment != "" {
			if err := ec.CheckEstablishment(ctx, "establishment", p.Establishment); err != nil {
				errs = append(errs, fmt.Errorf("%s: pipelines[%d]: %w", c.File, i, err))
			}
		}
		if listErr != nil || slices.ContainsFunc(unresolved, func(e *config.RefError) bool { return e.Index == i }) {
			continue // which pipeline it names is not known: said above
		}
		_, stages, err := staged.Pipeline(ctx, p.Pipeline)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: pipelines[%d]: %w", c.File, i, err))
			continue
		}
		ids := make([]string, len(stages))
		for j, s := range stages {
			ids[j] = s.ID
		}
		p, problems := p.ResolveEvents(i, stages)
		unknown := map[string]bool{} // keys resolved to no step, said here: the check below leaves them out
		for _, e := range problems {
			errs = append(errs, fmt.Errorf("%s: %w", c.File, e))
			var re *config.RefError
			if errors.As(e, &re) && re.Key != "" {
				unknown[re.Key] = true
			}
		}
		events, err := catalog.EventOrder(ctx, o.BObject)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: pipelines[%d]: %w", c.File, i, err))
			continue
		}
		// The steps as the file names them, so that each problem names what the user wrote;
		// a key resolved to no step still binds its event (which must exist, and binds the
		// first event if it is that one).
		steps, bindings := p.WrittenSteps(ids)
		for k := range unknown {
			bindings[k] = c.Pipelines[i].Events[k]
		}
		check := engine.CheckBindings(steps, bindings, events)
		if p.Strict() { // every stage bound, in any order
			check = engine.CheckStatusMap(bindings, steps, events)
		}
		for _, e := range check {
			if notAStep(e, unknown) {
				continue
			}
			errs = append(errs, fmt.Errorf("%s: pipelines[%d] (pipeline %s): %w", c.File, i, p.Named(), e))
		}
	}
	return errors.Join(errs...)
}

// resolvePipelines returns the connection's pipelines with each pipeline value an id, when side
// A lists its pipelines (config.ResolvePipelines), and the values it could not resolve; as
// written when it lists none (its pipelines are named by id only) or could not be listed (err).
func resolvePipelines(ctx context.Context, c *config.Connection, staged connectors.Staged, system string) ([]config.Pipeline, []*config.RefError, error) {
	lister, ok := staged.(connectors.PipelineLister)
	if !ok {
		return c.Pipelines, nil, nil
	}
	listed, err := lister.ListPipelines(ctx)
	if err != nil {
		return c.Pipelines, nil, err
	}
	resolved, errs := config.ResolvePipelines(c.Pipelines, system, listed)
	unresolved := make([]*config.RefError, 0, len(errs))
	for _, e := range errs {
		var re *config.RefError
		if errors.As(e, &re) {
			unresolved = append(unresolved, re)
		}
	}
	return resolved, unresolved, nil
}

// notAStep reports whether e is engine.CheckBindings's "not a step of the pipeline" for one of
// the keys already reported, with what the system has, at their field.
func notAStep(e error, keys map[string]bool) bool {
	var ns *engine.NotAStepError
	return errors.As(e, &ns) && keys[ns.Step]
}

// accessOf lists what a connection does with each object of one side ("a" or "b"): the
// fields it reads, whether it writes there (fields or deletions travel to that side, or
// pipelines write their stages there) and whether it follows links.
func accessOf(c *config.Connection, side string) []connectors.Access {
	other := "b"
	if side == "b" {
		other = "a"
	}
	var out []connectors.Access
	for _, o := range c.Objects {
		acc := connectors.Access{Object: o.AObject, Write: o.Sends(other) || o.DeletesFrom(other), Linked: len(o.Links) > 0}
		pick := func(p config.FieldPair) string { return p.A }
		if side == "b" {
			acc.Object = o.BObject
			pick = func(p config.FieldPair) string { return p.B }
		}
		acc.Fields = append(acc.Fields, pick(o.Match))
		for _, f := range o.Fields {
			acc.Fields = append(acc.Fields, pick(config.FieldPair{A: f.A, B: f.B}))
		}
		for k := range o.Filter.Of(side) {
			acc.Fields = append(acc.Fields, k)
		}
		for _, p := range c.Pipelines {
			if p.Object == o.Name && side == "b" {
				acc.Write = true // stages and events are written on side B
				acc.Fields = append(acc.Fields, p.PipelineTarget, p.StageTarget)
			}
		}
		out = append(out, acc)
	}
	// Webhook events are read back through the API of the side that sends them (Sellsy's)
	// before anything acts on them: that needs the event object's read scope.
	if c.Side(side).System == sellsy.System {
		for _, r := range c.Events {
			out = append(out, connectors.Access{Object: r.Object})
		}
	}
	return out
}

// describer reads each object's fields once for all the checks of one validation. Side is
// 0 for A, 1 for B.
type describer struct {
	conns [2]connectors.Connector
	cache map[string]described // a failure too: an object asked about again is not described again
}

type described struct {
	fields []connectors.Field
	err    error
}

func (d *describer) fields(ctx context.Context, side int, object string) ([]connectors.Field, error) {
	key := fmt.Sprintf("%d/%s", side, object)
	if got, ok := d.cache[key]; ok {
		return got.fields, got.err
	}
	fields, err := d.conns[side].Describe(ctx, object)
	if d.cache == nil {
		d.cache = map[string]described{}
	}
	d.cache[key] = described{fields, err}
	return fields, err
}

// establishmentChecker is a connector whose records belong to establishments (Altior's).
type establishmentChecker interface {
	CheckEstablishment(ctx context.Context, setting, id string) error
}

// settingsChecker is a connector that can check what its settings name, without writing.
type settingsChecker interface {
	CheckSettings(ctx context.Context) error
}

// checkFields is checkLive with both connectors open.
func checkFields(ctx context.Context, c *config.Connection, a, b connectors.Connector, d *describer) error {
	var errs []error
	fail := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", c.File, fmt.Sprintf(format, args...)))
	}
	conns := [2]connectors.Connector{a, b}
	for i, o := range c.Objects {
		var desc [2]engine.Described
		for s, side := range []string{"a", "b"} {
			object := o.AObject
			if side == "b" {
				object = o.BObject
			}
			fields, err := d.fields(ctx, s, object)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: objects[%d] (%s): %s: %w", c.File, i, o.Name, side, err))
				continue
			}
			desc[s] = engine.Describe(conns[s].System(), object, fields)
			known := desc[s].Fields
			pick := func(p config.FieldPair) string {
				if side == "a" {
					return p.A
				}
				return p.B
			}
			// Mapped fields are checked with their types below (engine.CheckObject).
			// config.RecordID is the record's own id, which no system describes as a field.
			if m := pick(o.Match); m != config.RecordID && known[m].Name == "" {
				fail("objects[%d].match.%s: %s", i, side, desc[s].Missing(m))
			}
			filter := o.Filter.Of(side)
			for _, k := range slices.Sorted(maps.Keys(filter)) {
				f, ok := known[k]
				if !ok {
					fail("objects[%d].filter.%s: %s%s", i, side, desc[s].Missing(k), d.elsewhere(ctx, c, s, object, k))
					continue
				}
				if msg := checkGate(f, filter[k]); msg != "" {
					fail("objects[%d].filter.%s.%s: %s field %q %s", i, side, k, conns[s].System(), k, msg)
				} else if msg := checkGateTypes(conns[s].System(), object, known["type"], f, filter); msg != "" {
					fail("objects[%d] (%s): filter %s.%s: %s", i, o.Name, side, k, msg)
				}
			}
		}
		if desc[0].Fields == nil || desc[1].Fields == nil {
			continue
		}
		// A status map is checked strictly: every status of side A mapped, each key a status
		// of side A, each target a status of side B.
		for j, f := range o.Fields {
			if f.StatusMap == "" {
				continue
			}
			var source, target []string
			for _, opt := range desc[0].Fields[f.A].Options {
				source = append(source, opt.Value)
			}
			for _, opt := range desc[1].Fields[f.B].Options {
				target = append(target, opt.Label)
			}
			for _, e := range engine.CheckStatusMap(f.Values, source, target) {
				fail("objects[%d].fields[%d].status_map: %v", i, j, e)
			}
		}
		// The checks the worker also makes before it writes: fields exist, types fit their
		// direction, required fields are mapped.
		for _, e := range engine.CheckObject(c, i, desc[0], desc[1]) {
			fail("%v", e)
		}
		for j, f := range o.Fields {
			fa, okA := desc[0].Fields[f.A]
			fb, okB := desc[1].Fields[f.B]
			if !okA || !okB || f.StatusMap != "" { // a status map is checked strictly above
				continue
			}
			for _, msg := range checkValues(a.System(), fa, b.System(), fb, f.Values, f.Reversed(), f.Direction) {
				fail("objects[%d].fields[%d].values: %s", i, j, msg)
			}
		}
	}
	return errors.Join(errs...)
}

// checkValues checks a list field's value map against the options each side describes
// (Altior's value lists, Automation's select options…): every key is an option of side A,
// every value one of side B, each checked as soon as that side has options; and every option
// of side A has a counterpart on side B (an entry of the map, or the same option there),
// else its records would be quarantined at run time; so has every option of side B when
// values travel to side A.
func checkValues(sysA string, fa connectors.Field, sysB string, fb connectors.Field, values, back map[string]string, dir config.Direction) []string {
	var msgs []string
	keys := slices.Sorted(maps.Keys(values))
	if len(fa.Options) > 0 {
		for _, k := range keys {
			if !hasOption(fa, k) {
				msgs = append(msgs, fmt.Sprintf("%q is not in the value list of %s (values: %s)", k, listName(sysA, fa), optionList(fa)))
			}
		}
	}
	if len(fb.Options) > 0 {
		for _, k := range keys {
			if v := values[k]; !hasOption(fb, v) {
				msgs = append(msgs, fmt.Sprintf("%q (for %q) is not in the value list of %s (values: %s)", v, k, listName(sysB, fb), optionList(fb)))
			}
		}
	}
	// counterpartless lists the options of from that the worker's codec cannot convert to a
	// value of to: their records would be quarantined at run time.
	codec := engine.NewCodec(engine.SpecOf(sysA, fa), engine.SpecOf(sysB, fb), values).WithBack(back)
	counterpartless := func(from, to connectors.Field, convert func(any) (any, error)) []string {
		if len(from.Options) == 0 || len(to.Options) == 0 {
			return nil
		}
		var out []string
		for _, o := range from.Options {
			if slices.Contains(out, o.Value) {
				continue // an option named twice (Altior's code with its label, then with its abbreviation)
			}
			if _, err := convert(o.Value); err != nil {
				out = append(out, o.Value)
			}
		}
		return out
	}
	// Side-A values are always converted to side B's (the merge works in B's values).
	if miss := counterpartless(fa, fb, codec.AToB); len(miss) > 0 {
		msgs = append(msgs, fmt.Sprintf("%s %s no counterpart in %s: map %s under values: (values of %s: %s)",
			quoteList(miss, listName(sysA, fa)), plural(len(miss), "has", "have"), listName(sysB, fb), plural(len(miss), "it", "them"), fb.Name, optionList(fb)))
	}
	if dir != config.AToB {
		// back is values reversed, or what values_back says where several A values share a
		// B value; its entries must name options of both sides too.
		for _, k := range slices.Sorted(maps.Keys(back)) {
			if values[back[k]] == k {
				continue // an entry of values, checked above
			}
			if len(fb.Options) > 0 && !hasOption(fb, k) {
				msgs = append(msgs, fmt.Sprintf("values_back: %q is not in the value list of %s (values: %s)", k, listName(sysB, fb), optionList(fb)))
			}
			if v := back[k]; len(fa.Options) > 0 && !hasOption(fa, v) {
				msgs = append(msgs, fmt.Sprintf("values_back: %q (for %q) is not in the value list of %s (values: %s)", v, k, listName(sysA, fa), optionList(fa)))
			}
		}
		if miss := counterpartless(fb, fa, codec.BToA); len(miss) > 0 {
			msgs = append(msgs, fmt.Sprintf("%s %s no counterpart in %s: map %s under values:, or set direction: a_to_b (values of %s: %s)",
				quoteList(miss, listName(sysB, fb)), plural(len(miss), "has", "have"), listName(sysA, fa), plural(len(miss), "it", "them"), fa.Name, optionList(fa)))
		}
	}
	return msgs
}

// listName names a list field and, when it has one, the value list it shows
// (`altior field role "Rôle"`).
func listName(system string, f connectors.Field) string {
	if f.Label != "" && f.Label != f.Name {
		return fmt.Sprintf("%s field %s (value list %q)", system, f.Name, f.Label)
	}
	return fmt.Sprintf("%s field %s", system, f.Name)
}

func quoteList(values []string, of string) string {
	q := make([]string, len(values))
	for i, v := range values {
		q[i] = strconv.Quote(v)
	}
	return plural(len(values), "value ", "values ") + strings.Join(q, ", ") + " of " + of
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// checkGate checks a filter value against its field: a yes/no field takes true or false, and
// true or false needs a yes/no field (a gate such as Sellsy's "Synchronisation Altior" made
// a text field would keep every record out, and nothing would ever sync). It returns the
// reason, or "".
func checkGate(f connectors.Field, v any) string {
	_, isBool := v.(bool)
	// Sellsy says boolean (V1 yesno), UNAS bool, the others boolean.
	yesNo := engine.SellsyKind(f.Type) == "boolean" || strings.EqualFold(f.Type, "bool")
	switch {
	case yesNo && !isBool:
		return fmt.Sprintf("is yes/no: write true or false, not %s", config.FilterText(v))
	case !yesNo && isBool:
		return fmt.Sprintf("is of type %s, not yes/no: a gate written %v needs a yes/no (boolean) field: change the field's type, or name a yes/no field", f.Type, v)
	}
	return ""
}

// checkGateTypes checks that a Sellsy gate written true applies to every company type its
// object lets through (the types its filter on type names, else all): a custom field related
// to clients only holds no value on a prospect or a supplier, which could then never be set to
// yes and would never go down, silently. types is the object's type field (none on contacts).
// It returns the reason, or "".
func checkGateTypes(system, object string, types, gate connectors.Field, filter map[string]any) string {
	if system != sellsy.System || gate.AppliesTo == nil || len(types.Options) == 0 || filter[gate.Name] != true {
		return ""
	}
	letThrough := func(t string) bool {
		allowed, ok := filter["type"]
		return !ok || slices.ContainsFunc(config.FilterValues(allowed), func(v any) bool { return strings.EqualFold(fmt.Sprint(v), t) })
	}
	var applies, missing []string
	for _, t := range types.Options {
		switch {
		case slices.Contains(gate.AppliesTo, t.Value):
			applies = append(applies, t.Value)
		case letThrough(t.Value):
			missing = append(missing, t.Value)
		}
	}
	if len(missing) == 0 {
		return ""
	}
	records := object + "s"
	if strings.HasSuffix(object, "y") {
		records = strings.TrimSuffix(object, "y") + "ies" // companies
	}
	return fmt.Sprintf("the Sellsy field applies to %s only: %s %s could never be set to yes, so they would never go down: add %s to its related objects in Sellsy, or keep them out with a filter on type",
		strings.Join(applies, " and "), strings.Join(missing, " and "), records, strings.Join(missing, ", "))
}

// elsewhere says, for a field an object lacks, which other objects of the connection on the
// same side have it: a custom field that applies to companies but not to contacts (Sellsy's
// related objects) must be made to apply to this one too.
func (d *describer) elsewhere(ctx context.Context, c *config.Connection, side int, object, name string) string {
	var has []string
	// The connection's objects on that side, then companies and contacts, which every
	// connector knows (a connection of contacts alone gated by a company-only field).
	var others []string
	for _, o := range c.Objects {
		others = append(others, []string{o.AObject, o.BObject}[side])
	}
	others = append(others, connectors.ObjectCompany, connectors.ObjectContact)
	for _, other := range others {
		if other == object || slices.Contains(has, other) {
			continue
		}
		fields, err := d.fields(ctx, side, other)
		if err == nil && slices.ContainsFunc(fields, func(f connectors.Field) bool { return f.Name == name }) {
			has = append(has, other)
		}
	}
	if len(has) == 0 {
		return ""
	}
	return fmt.Sprintf(": %s exists on %s but does not apply to %s: add %s to the field's related objects in %s", name, strings.Join(has, ", "), object, object, d.conns[side].System())
}

// hasOption reports whether v names an option of the field, by value or by label (MiniCRM
// statuses are ids named by their labels).
func hasOption(f connectors.Field, v string) bool {
	for _, o := range f.Options {
		if o.Value == v || (o.Label != "" && o.Label == v) {
			return true
		}
	}
	return false
}

func optionList(f connectors.Field) string {
	values := make([]string, 0, len(f.Options))
	for _, o := range f.Options {
		if !slices.Contains(values, o.Value) { // an option named twice (a label and an abbreviation)
			values = append(values, o.Value)
		}
	}
	return strings.Join(values, ", ")
}
