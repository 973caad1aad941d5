// Package sellsyactions exposes Sellsy API V2 (and V1) operations as Temporal activities, so
// that anyone's workflow — in Go or any other Temporal SDK — can call Sellsy by activity name
// on crmsync's task queue, with the worker's credentials, quotas, retries and error classes.
//
// Every activity takes ONE plain JSON input and returns ONE plain JSON output. Names are
// stable (see Names). Credentials never travel in inputs: the worker builds the Client from
// its environment. An input that does not decode into its type (an id sent as "12"), or that
// has a field its type does not (Sellsy's "step" for step_id, a typo), fails as InvalidRecord
// naming the field, not retried: ignored, it made an update a no-op that reported success.
//
// Activities (name: input → output; each type's doc comment has a JSON example):
//
//	Sellsy.CreateCompany       CompanyInput     → RecordOutput
//	Sellsy.UpdateCompany       CompanyInput     → RecordOutput
//	Sellsy.SearchCompanies     SearchInput      → SearchOutput   (type: client|prospect|supplier)
//	Sellsy.DeleteCompany       DeleteInput      → DeleteOutput
//	Sellsy.CreateIndividual    IndividualInput  → RecordOutput   (a person as client, prospect or supplier)
//	Sellsy.UpdateIndividual    IndividualInput  → RecordOutput
//	Sellsy.SearchIndividuals   SearchInput      → SearchOutput   (type: client|prospect|supplier)
//	Sellsy.DeleteIndividual    DeleteInput      → DeleteOutput
//	Sellsy.CreateContact       ContactInput     → RecordOutput
//	Sellsy.UpdateContact       ContactInput     → RecordOutput
//	Sellsy.SearchContacts      SearchInput      → SearchOutput
//	Sellsy.DeleteContact       DeleteInput      → DeleteOutput
//	Sellsy.CreateOpportunity   OpportunityInput → RecordOutput
//	Sellsy.UpdateOpportunity   OpportunityInput → RecordOutput
//	Sellsy.SearchOpportunities SearchInput      → SearchOutput
//	Sellsy.DeleteOpportunity   DeleteInput      → DeleteOutput
//	Sellsy.CreateEvent         EventInput       → RecordOutput
//	Sellsy.DeleteEvent         DeleteInput      → DeleteOutput   (a calendar event)
//	Sellsy.CreateTask          TaskInput        → RecordOutput
//	Sellsy.DeleteTask          DeleteInput      → DeleteOutput
//	Sellsy.CreateComment       CommentInput     → RecordOutput
//	Sellsy.DeleteComment       DeleteInput      → DeleteOutput
//	Sellsy.Call                CallInput        → CallOutput     (any API V2 request)
//	Sellsy.CallV1              CallV1Input      → CallV1Output   (any API V1 method)
//
// An update sends only the fields its input sets: an empty text or a zero id leaves the
// field as it is. To empty fields, an update names them, by their JSON names, in the input's
// clear list — {"id": 12, "clear": ["phone_number", "due_date"]} — and they are sent as Sellsy
// takes "none": null where its spec has the field nullable, "" for a note, [] for the
// marketing subscriptions. A name the input cannot clear (a required field, an unknown one),
// one the input also sets, or a clear list on a create is refused as InvalidRecord. A type
// other than the record's on UpdateCompany or UpdateIndividual is refused too: Sellsy's
// update bodies have no type, so the change would be dropped without a word.
//
// What Sellsy's API V2 cannot take from the seed's dialogs, each said on its input type: a
// filter on a company's business sector (SearchInput), an event's alerts, recurrence and
// staff edit rights (EventInput), a task's start and end, alerts and staff edit rights
// (TaskInput), a comment on a task (CommentInput) and an opportunity's type, or a brief
// besides its note (OpportunityInput).
//
// A delete sends DELETE /{collection}/{id}, which Sellsy answers 204. A record Sellsy does
// not have (404) is InvalidRecord naming it — unless the DELETE had been sent before, in this
// attempt after a lost answer or in an earlier one (it heartbeats just before sending): then
// that try deleted it, and the output says already_deleted.
//
// A search returns up to its limit (at most MaxSearchLimit) records in all, reading Sellsy's
// pages of 100 itself, and the cursor to continue. It heartbeats after each page, so with a
// HeartbeatTimeout a retried attempt resumes after the last page read.
//
// A create heartbeats just before it sends its POST, and, when follow-up calls (smart tags, a
// contact's company and individual links) come next, the new record's id once Sellsy answers.
// A retry after a failed follow-up resumes from that record; a retry after a lost answer (a
// timeout, a 500, a 502 or 504, a worker gone) first looks for a record like the input
// created since the activity was scheduled and returns it when there is one, so a create
// never makes the record twice. It reads the candidates newest first, down to the records
// older than the activity (1,000 at most); when several look alike, or more than that match,
// it creates none and fails as UncertainCreate. A POST Sellsy refused (a 4xx, a 429, a 503)
// wrote nothing: its retry creates the record without looking. Temporal hands an attempt's
// last heartbeat to the next one with or without a HeartbeatTimeout. A follow-up that fails
// names the record and the step ("contact 12 was created, then linking it to company 999
// failed: …"); after a create its error carries the record (a RecordOutput) as details, so
// that a caller whose create failed as InvalidRecord there completes that record instead of
// creating another.
//
// Errors are Temporal application errors whose Type is one of:
//
//	InvalidRecord       Sellsy refused the input (a 400/404, a refused field), or it does not
//	                    decode into its type; not retryable.
//	RateLimited         the quota is spent; retried after NextRetryDelay.
//	ConfigurationError  credentials, rights or plan; not retryable.
//	UncertainCreate     a retried create found several records it may have made, or too many
//	                    to read; not retryable.
//	Unconfirmed         a Sellsy.Call POST (not a search) or a Sellsy.CallV1 method other than
//	                    get… got no answer saying whether it was applied (a timeout, a 500,
//	                    502 or 504), or an earlier attempt sent it and never reported; not
//	                    retryable: check, and call again if it was not applied.
//	Retryable           anything else (network, 5xx; a lost answer to a call that may be
//	                    sent again: a read, a search, a PUT, PATCH or DELETE); retried with
//	                    backoff.
package sellsyactions

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"

	"github.com/crmsync/crmsync/actions"
	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/sellsy"
)

// Error types of the application errors the activities return (those of package actions).
const (
	ErrTypeInvalidRecord = actions.ErrTypeInvalidRecord
	ErrTypeRateLimited   = actions.ErrTypeRateLimited
	ErrTypeConfiguration = actions.ErrTypeConfiguration
	ErrTypeRetryable     = actions.ErrTypeRetryable
)

// Actions holds the Sellsy client the activities use.
type Actions struct {
	// Source gives the client: in the worker, one built again when its connection's file is
	// saved (see Source).
	Source func() (*sellsy.Client, error)
	// Secrets returns the values Sellsy.Call and Sellsy.CallV1 hide from their answers: the
	// credentials of the worker's connections (Sellsy's webhooks list their URLs, which carry
	// a token). nil hides nothing.
	Secrets func() []string
	// MaxResultBytes bounds the records one search returns, in bytes of JSON, so that its
	// result (and its heartbeats) stay well under Temporal's 2 MB payload limit; 0 means
	// DefaultMaxResultBytes.
	MaxResultBytes int
	// heartbeatEvery is how often a search heartbeats while a page is being read (0:
	// searchHeartbeat), and heartbeat how (nil: activity.RecordHeartbeat); tests set them.
	heartbeatEvery time.Duration
	heartbeat      func(ctx context.Context, details ...any)
}

// activityDef is one activity: its stable name, its method, and what Register registers.
type activityDef struct {
	name string
	fn   any // the method: func(context.Context, In) (Out, error)
	run  any // the method decoding its own JSON input (actions.DecodedStrict: a field its type does not have is refused)
}

func def[In, Out any](name string, fn func(context.Context, In) (Out, error)) activityDef {
	return activityDef{name: name, fn: fn, run: actions.DecodedStrict(fn)}
}

// activities pairs each stable name with its method.
func (a *Actions) activities() []activityDef {
	return []activityDef{
		def("Sellsy.CreateCompany", a.CreateCompany),
		def("Sellsy.UpdateCompany", a.UpdateCompany),
		def("Sellsy.SearchCompanies", a.SearchCompanies),
		def("Sellsy.DeleteCompany", a.DeleteCompany),
		def("Sellsy.CreateIndividual", a.CreateIndividual),
		def("Sellsy.UpdateIndividual", a.UpdateIndividual),
		def("Sellsy.SearchIndividuals", a.SearchIndividuals),
		def("Sellsy.DeleteIndividual", a.DeleteIndividual),
		def("Sellsy.CreateContact", a.CreateContact),
		def("Sellsy.UpdateContact", a.UpdateContact),
		def("Sellsy.SearchContacts", a.SearchContacts),
		def("Sellsy.DeleteContact", a.DeleteContact),
		def("Sellsy.CreateOpportunity", a.CreateOpportunity),
		def("Sellsy.UpdateOpportunity", a.UpdateOpportunity),
		def("Sellsy.SearchOpportunities", a.SearchOpportunities),
		def("Sellsy.DeleteOpportunity", a.DeleteOpportunity),
		def("Sellsy.CreateEvent", a.CreateEvent),
		def("Sellsy.DeleteEvent", a.DeleteEvent),
		def("Sellsy.CreateTask", a.CreateTask),
		def("Sellsy.DeleteTask", a.DeleteTask),
		def("Sellsy.CreateComment", a.CreateComment),
		def("Sellsy.DeleteComment", a.DeleteComment),
		def("Sellsy.Call", a.Call),
		def("Sellsy.CallV1", a.CallV1),
	}
}

// Names returns the stable activity names Register uses, in registration order.
func Names() []string {
	var out []string
	for _, x := range (&Actions{}).activities() {
		out = append(out, x.name)
	}
	return out
}

// Register registers every activity of a under its stable name. Each decodes its own JSON
// input, so that one that does not fit the type fails as InvalidRecord, not retried.
func Register(r worker.ActivityRegistry, a *Actions) {
	for _, x := range a.activities() {
		r.RegisterActivityWithOptions(x.run, activity.RegisterOptions{Name: x.name})
	}
}

// toTemporal turns a connector failure into the application error Temporal acts on.
func toTemporal(err error) error { return actions.ToTemporal(err) }

func invalid(msg string) error { return actions.Invalid(msg) }

// ---- shared types ----

// Related links an event, a task or a comment to a record. Type is company, individual,
// contact or opportunity.
//
//	{"type": "company", "id": 12}
type Related struct {
	Type string `json:"type"`
	ID   int    `json:"id"`
}

// RecordOutput is the record Sellsy answered with, in its V2 read shape.
//
//	{"id": 12, "record": {"id": 12, "name": "ACME", "type": "client", ...}}
type RecordOutput struct {
	ID     int            `json:"id"`
	Record map[string]any `json:"record"`
	// SmartTags are the record's smart tags after the call, when the input set some.
	SmartTags []string `json:"smart_tags,omitempty"`
}

// ---- plumbing ----

func (a *Actions) client() (*sellsy.Client, error) {
	if a == nil || a.Source == nil {
		return nil, temporal.NewNonRetryableApplicationError("sellsy: no client configured on this worker", ErrTypeConfiguration, nil)
	}
	c, err := a.Source()
	if err != nil {
		return nil, toTemporal(err)
	}
	return c, nil
}

// json calls path with body and decodes the answer into out.
func (a *Actions) json(ctx context.Context, method, path string, query url.Values, body, out any) error {
	return toTemporal(a.call(ctx, method, path, query, body, out))
}

// call is json with the connector's own error, for a caller that reads its status.
func (a *Actions) call(ctx context.Context, method, path string, query url.Values, body, out any) error {
	c, err := a.client()
	if err != nil {
		return err
	}
	var raw []byte
	if body != nil {
		if raw, err = json.Marshal(body); err != nil {
			return invalid("input is not JSON-serialisable")
		}
	}
	_, resp, err := c.Call(ctx, method, path, query, raw)
	if err != nil {
		return err
	}
	if out != nil && len(resp) > 0 {
		if err := json.Unmarshal(resp, out); err != nil {
			return temporal.NewApplicationError("sellsy: undecodable answer", ErrTypeRetryable)
		}
	}
	return nil
}

func (a *Actions) write(ctx context.Context, method, path string, body map[string]any, tagsObj string, tags []string) (RecordOutput, error) {
	out, err := a.send(ctx, method, path, body, len(tags) > 0)
	if err != nil {
		return out, err
	}
	return out, followUp(tagsObj, method == http.MethodPost, out, "adding its smart tags", a.tag(ctx, &out, tagsObj, tags))
}

// records names one record of each collection in errors.
var records = map[string]string{"companies": "company", "individuals": "individual", "contacts": "contact", "opportunities": "opportunity"}

// followUp names the record and the step in the error of a call made after the record's own
// write (adding its smart tags, linking a contact to a company): the record was written
// although the activity failed. After a create (created) it says the record exists and
// carries it as the error's details (a RecordOutput): told only that Sellsy refused the input
// (a company id that does not exist), a caller created the record again. The error keeps the
// call's type, retry and delay; nil stays nil.
func followUp(collection string, created bool, out RecordOutput, step string, err error) error {
	var ae *temporal.ApplicationError
	if err == nil || !errors.As(err, &ae) {
		return err
	}
	rec := fmt.Sprintf("%s %d", records[collection], out.ID)
	msg := fmt.Sprintf("sellsy: %s: %s failed: %s", rec, step, ae.Message())
	opts := temporal.ApplicationErrorOptions{NonRetryable: ae.NonRetryable(), Cause: errors.Unwrap(ae), NextRetryDelay: ae.NextRetryDelay()}
	if created {
		msg = fmt.Sprintf("sellsy: %s was created, then %s failed: %s (the %s exists: complete it by its id rather than create it again)",
			rec, step, ae.Message(), records[collection])
		opts.Details = []any{out}
	}
	return temporal.NewApplicationErrorWithOptions(msg, ae.Type(), opts)
}

// created is what a create heartbeats: Sent just before its POST, so that a retry knows the
// record may exist although no answer said so (a timeout, a 5xx after the write, a worker
// gone), and the new record's ID once Sellsy answered, when follow-up calls come next. A
// retry that finds the ID resumes from that record; one that finds only Sent looks for the
// record first (findEarlier). Either way the record is not created twice (DESIGN rule 2).
// A POST Sellsy refused (a 4xx, a 429, a 503) made nothing: the zero value is heartbeated
// then, and the retry creates the record without looking for it.
type created struct {
	ID   int  `json:"id"`
	Sent bool `json:"sent,omitempty"`
}

// send writes the record: POST creates, PUT updates. A create heartbeats (created) so that a
// retried attempt finds the record an earlier one made instead of creating it again;
// followUps says whether calls on the new record (smart tags, links) come after it.
func (a *Actions) send(ctx context.Context, method, path string, body map[string]any, followUps bool) (RecordOutput, error) {
	if method != http.MethodPost {
		out, err := a.record(ctx, method, path, body)
		return out, toTemporal(inputNames(path, err))
	}
	var hb created
	if activity.HasHeartbeatDetails(ctx) {
		// Undecodable details (another version's) cannot name the record: it is created.
		_ = activity.GetHeartbeatDetails(ctx, &hb)
	}
	switch {
	case hb.ID > 0:
		var rec map[string]any
		if err := a.json(ctx, http.MethodGet, fmt.Sprintf("%s/%d", path, hb.ID), nil, nil, &rec); err != nil {
			return RecordOutput{}, err
		}
		return RecordOutput{ID: hb.ID, Record: rec}, nil
	case hb.Sent:
		out, found, err := a.findEarlier(ctx, strings.TrimPrefix(path, "/"), body)
		if err != nil || found {
			if found && followUps {
				activity.RecordHeartbeat(ctx, created{ID: out.ID})
			}
			return out, err
		}
	}
	// The first heartbeat of an attempt is sent at once, and one still buffered is sent
	// before a failure is reported: the server knows what this attempt did whatever follows.
	activity.RecordHeartbeat(ctx, created{Sent: true})
	out, err := a.record(ctx, method, path, body)
	switch {
	case err != nil && connectors.NothingWritten(err):
		// Nothing was written: a retry (after a rate limit, say) need not look for the
		// record, a lookup that may fail as UncertainCreate on a busy record.
		activity.RecordHeartbeat(ctx, created{})
	case err == nil && followUps && out.ID > 0:
		activity.RecordHeartbeat(ctx, created{ID: out.ID})
	}
	return out, toTemporal(inputNames(path, err))
}

// inputFieldOf is the input's name of a field Sellsy refused on a write to obj (its body's
// name or path, as the connector reports it): an opportunity's "step" is the input's step_id,
// a company's "legal_france.vat" its vat, "social.twitter" twitter, "sync.mailjet"
// sync_mailjet.
func inputFieldOf(obj, field string) string {
	if obj == "opportunities" {
		switch field {
		case "pipeline", "step", "source":
			return field + "_id"
		}
	}
	if field == "legal_form" { // the connector's name of legal_france.company_type
		return "company_type"
	}
	for _, prefix := range []string{"legal_france.", "social."} {
		if rest, ok := strings.CutPrefix(field, prefix); ok {
			return rest
		}
	}
	if rest, ok := strings.CutPrefix(field, "sync."); ok {
		return "sync_" + rest
	}
	return field
}

// inputNames adds to the error of a write Sellsy refused the input's names of the refused
// fields where they are not Sellsy's ("refused field(s): step: …" says step_id too), so that
// the caller is told which of its fields to fix. Any other error is err.
func inputNames(path string, err error) error {
	var e *connectors.Error
	if !errors.As(err, &e) || len(e.Fields) == 0 {
		return err
	}
	obj, _, _ := strings.Cut(strings.TrimPrefix(path, "/"), "/")
	var renamed []string
	for _, f := range slices.Sorted(maps.Keys(e.Fields)) {
		if in := inputFieldOf(obj, f); in != f && !slices.Contains(renamed, in) {
			renamed = append(renamed, in)
		}
	}
	if len(renamed) == 0 {
		return err
	}
	named := *e
	named.Message += " (input field(s): " + strings.Join(renamed, ", ") + ")"
	return &named
}

// record sends body and returns the record Sellsy answers with; the error is the
// connector's.
func (a *Actions) record(ctx context.Context, method, path string, body map[string]any) (RecordOutput, error) {
	var rec map[string]any
	if err := a.call(ctx, method, path, nil, body, &rec); err != nil {
		return RecordOutput{}, err
	}
	out := RecordOutput{Record: rec}
	if f, ok := rec["id"].(float64); ok {
		out.ID = int(f)
	}
	return out, nil
}

// tag links the smart tags to the record out names. Sellsy ignores a tag the record already
// has, so a retry that sends them again adds none twice.
func (a *Actions) tag(ctx context.Context, out *RecordOutput, tagsObj string, tags []string) error {
	if len(tags) == 0 || tagsObj == "" {
		return nil
	}
	req := make([]map[string]string, 0, len(tags))
	for _, t := range tags {
		req = append(req, map[string]string{"value": t})
	}
	var resp struct {
		Data []struct {
			Value string `json:"value"`
		} `json:"data"`
	}
	if err := a.json(ctx, http.MethodPost, fmt.Sprintf("/%s/%d/smart-tags", tagsObj, out.ID), nil, req, &resp); err != nil {
		return err
	}
	for _, d := range resp.Data {
		out.SmartTags = append(out.SmartTags, d.Value)
	}
	return nil
}

// set adds k=v to m unless v is the zero value.
func set(m map[string]any, k string, v any) {
	switch x := v.(type) {
	case string:
		if x == "" {
			return
		}
	case int:
		if x == 0 {
			return
		}
	case *int:
		if x == nil {
			return
		}
		v = *x
	case *bool:
		if x == nil {
			return
		}
		v = *x
	case []int:
		if x == nil {
			return
		}
	case []Related:
		if x == nil {
			return
		}
	case map[string]any:
		if len(x) == 0 {
			return
		}
	}
	m[k] = v
}
