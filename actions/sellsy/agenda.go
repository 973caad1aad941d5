package sellsyactions

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"

	"github.com/crmsync/crmsync/actions"
)

// EventInput creates a calendar event (Sellsy's CalendarEventCreateItem). Title, Start and
// End (RFC 3339, sent as datetime_start / datetime_end) and LabelID are required. Related is
// the one record the event is about (optional); Participants are staff members, contacts or
// external e-mail addresses; Created back-dates it. Sellsy's V2 takes no alert (reminder)
// and no recurrence for an event, and a participant is its type and id only, with no edit
// right: the seed's event dialog's alerts, "Recurring Event" and staff "Can Edit" cannot be
// sent (CalendarEventCreateItem, spec v2.128.0).
//
//	{"title": "Demo", "description": "product demo", "datetime_start": "2026-03-05T09:00:00+01:00",
//	 "datetime_end": "2026-03-05T10:00:00+01:00", "label_id": 3, "all_day": false, "is_private": false,
//	 "priority": 1, "provider_calendar": "claire.martin@example.com",
//	 "participants": [{"type": "staff", "id": 1}, {"type": "contact", "id": 1000001}, {"type": "external", "id": "guest@example.org"}],
//	 "related": {"type": "company", "id": 12}, "created": "2026-03-01T08:00:00+01:00"}
type EventInput struct {
	Title            string        `json:"title"`
	Description      string        `json:"description,omitempty"`
	Start            string        `json:"datetime_start"`
	End              string        `json:"datetime_end"`
	LabelID          int           `json:"label_id"`
	AllDay           bool          `json:"all_day,omitempty"`
	IsPrivate        bool          `json:"is_private,omitempty"`
	Priority         int           `json:"priority,omitempty"`          // 0 | 1
	ProviderCalendar string        `json:"provider_calendar,omitempty"` // the calendar id, e.g. an e-mail address
	Participants     []Participant `json:"participants,omitempty"`
	Related          *Related      `json:"related,omitempty"`
	Created          string        `json:"created,omitempty"`
}

// Participant is a calendar-event participant: Type staff or contact with an integer ID, or
// external with an e-mail address as ID.
//
//	{"type": "staff", "id": 1}
//	{"type": "external", "id": "guest@example.org"}
type Participant struct {
	Type string `json:"type"`
	ID   any    `json:"id"`
}

// CreateEvent creates a calendar event (activity Sellsy.CreateEvent).
func (a *Actions) CreateEvent(ctx context.Context, in EventInput) (RecordOutput, error) {
	b := map[string]any{"title": in.Title, "datetime_start": in.Start, "datetime_end": in.End, "label_id": in.LabelID}
	set(b, "description", in.Description)
	if in.AllDay {
		b["all_day"] = true
	}
	if in.IsPrivate {
		b["is_private"] = true
	}
	set(b, "priority", in.Priority)
	set(b, "provider_calendar", in.ProviderCalendar)
	if len(in.Participants) > 0 {
		b["participants"] = in.Participants
	}
	if in.Related != nil {
		b["related"] = []Related{*in.Related}
	}
	set(b, "created", in.Created)
	return a.write(ctx, http.MethodPost, "/calendar-events", b, "", nil)
}

// TaskInput creates a task. DueDate (RFC 3339) and LabelID are required; Related is the one
// record the task is about (optional). Created back-dates it. A V2 task has a due date only:
// the seed's task dialog's start and end times cannot be sent (a calendar event has them),
// nor its alerts, nor a staff member's "Can Edit" (assigned_staff_ids are ids only):
// TaskCreateItem (spec v2.128.0) has none of them.
//
//	{"title": "Call back", "description": "about the renewal", "due_date": "2026-03-05T09:00:00+01:00",
//	 "label_id": 1, "priority": 1, "status": "todo", "is_private": false, "owner_id": 1,
//	 "assigned_staff_ids": [1], "related": {"type": "opportunity", "id": 3}}
type TaskInput struct {
	Title            string   `json:"title,omitempty"`
	Description      string   `json:"description,omitempty"`
	DueDate          string   `json:"due_date"`
	LabelID          int      `json:"label_id"`
	Priority         int      `json:"priority,omitempty"` // 0 | 1
	Status           string   `json:"status,omitempty"`   // todo (default) | done
	IsPrivate        bool     `json:"is_private,omitempty"`
	OwnerID          int      `json:"owner_id,omitempty"`
	AssignedStaffIDs []int    `json:"assigned_staff_ids,omitempty"`
	Related          *Related `json:"related,omitempty"`
	Created          string   `json:"created,omitempty"`
}

// CreateTask creates a task (activity Sellsy.CreateTask).
func (a *Actions) CreateTask(ctx context.Context, in TaskInput) (RecordOutput, error) {
	b := map[string]any{"due_date": in.DueDate, "label_id": in.LabelID, "related": []Related{}}
	if in.Related != nil {
		b["related"] = []Related{*in.Related}
	}
	set(b, "title", in.Title)
	set(b, "description", in.Description)
	set(b, "priority", in.Priority)
	set(b, "status", in.Status)
	if in.IsPrivate {
		b["is_private"] = true
	}
	set(b, "owner_id", in.OwnerID)
	set(b, "assigned_staff_ids", in.AssignedStaffIDs)
	set(b, "created", in.Created)
	return a.write(ctx, http.MethodPost, "/tasks", b, "", nil)
}

// CommentInput creates a comment on one record (Related: company, individual, contact or
// opportunity — Sellsy V2 takes exactly one). ParentID makes it a reply, Created (RFC 3339)
// back-dates it, MentionedStaffIDs notifies staff. A comment cannot be on a task: V2's
// CommentCreateItem (spec v2.128.0) has no task among its related types, although a
// comment read with the related embed may show one (the seed's "comment on a task" cannot
// be sent; put it in the task's description).
//
//	{"description": "Won — thanks to the demo", "related": {"type": "company", "id": 12},
//	 "created": "2026-03-01T08:00:00+01:00", "parent_id": 0, "mentioned_staff_ids": [1]}
type CommentInput struct {
	Description       string  `json:"description"`
	Related           Related `json:"related"`
	ParentID          int     `json:"parent_id,omitempty"`
	Created           string  `json:"created,omitempty"`
	MentionedStaffIDs []int   `json:"mentioned_staff_ids,omitempty"`
}

// CreateComment creates a comment (activity Sellsy.CreateComment).
func (a *Actions) CreateComment(ctx context.Context, in CommentInput) (RecordOutput, error) {
	if in.Related.Type == "" || in.Related.ID <= 0 {
		return RecordOutput{}, invalid("related (type and id of the record to comment) is required")
	}
	b := map[string]any{"description": in.Description, "related": []Related{in.Related}}
	set(b, "parent_id", in.ParentID)
	set(b, "created", in.Created)
	set(b, "mentioned_staff_ids", in.MentionedStaffIDs)
	return a.write(ctx, http.MethodPost, "/comments", b, "", nil)
}

// ---- any call ----

// CallInput is an arbitrary API V2 request; Path is relative to the API URL. Headers are the
// caller's own, such as X-Switch-User (the authorisation is the worker's: Authorization,
// Accept, Content-Type and the like are refused).
//
//	{"method": "GET", "path": "/staffs", "query": {"limit": ["10"]}}
//	{"method": "POST", "path": "/companies/search", "body": {"filters": {"type": "client"}}}
//	{"method": "GET", "path": "/opportunities", "headers": {"X-Switch-User": "staff:2"}}
type CallInput struct {
	Method  string            `json:"method"`
	Path    string            `json:"path"`
	Query   url.Values        `json:"query,omitempty"`
	Headers map[string]string `json:"headers,omitempty"`
	Body    json.RawMessage   `json:"body,omitempty"`
}

// CallOutput is the answer: its HTTP status and its JSON body (null when empty).
type CallOutput = actions.CallOutput

// ErrTypeUnconfirmed is the error of an any-call that writes (a POST other than a search, a
// V1 method other than get…) and got no answer saying whether it was applied (a timeout, a
// lost connection, a 500, a gateway's 502 or 504), or whose earlier attempt never reported:
// not retried, since sending it again could apply it twice. Check, and call again if it was
// not applied.
const ErrTypeUnconfirmed = actions.ErrTypeUnconfirmed

// callSent is what an any-call that writes heartbeats (actions.CallSent).
type callSent = actions.CallSent

// v1Reads reports whether an API V1 method only reads: Sellsy names those get… (getList,
// getOne, getInfos).
func v1Reads(method string) bool {
	_, m, _ := strings.Cut(method, ".")
	return strings.HasPrefix(m, "get")
}

// Call performs an arbitrary authorised API V2 call (activity Sellsy.Call). A non-2xx answer
// is an error of the classes above. A POST other than a search that gets no answer saying
// whether Sellsy applied it fails as Unconfirmed, not retried: Temporal's retry could create
// its record twice.
func (a *Actions) Call(ctx context.Context, in CallInput) (CallOutput, error) {
	c, err := a.client()
	if err != nil {
		return CallOutput{}, err
	}
	once, what, err := actions.GuardCall(ctx, c.Repeatable, "sellsy", in.Method, in.Path)
	if err != nil {
		return CallOutput{}, err
	}
	headers := make(http.Header, len(in.Headers))
	for name, value := range in.Headers {
		headers[name] = []string{value}
	}
	status, body, err := c.CallHeaders(ctx, in.Method, in.Path, in.Query, headers, in.Body)
	if err != nil {
		return CallOutput{}, actions.CallError(ctx, once, what, err)
	}
	return actions.Answer(status, body, a.secrets()...), nil
}

// CallV1Input is an API V1 (RPC) call.
//
//	{"method": "Client.getList", "params": {"pagination": {"nbperpage": 10, "pagenum": 1}}}
type CallV1Input struct {
	Method string         `json:"method"`
	Params map[string]any `json:"params,omitempty"`
}

// CallV1Output is the envelope's "response".
//
//	{"response": {"infos": {"nbpages": 1, "pagenum": 1}, "result": {"12": {...}}}}
type CallV1Output struct {
	Response json.RawMessage `json:"response"`
}

// CallV1 performs an API V1 call with the worker's V1 credentials (activity Sellsy.CallV1). A
// method other than get… that gets no answer saying whether Sellsy applied it fails as
// Unconfirmed, not retried, as Call's POSTs do. Its answer hides the worker's secrets as
// Call's does.
func (a *Actions) CallV1(ctx context.Context, in CallV1Input) (CallV1Output, error) {
	c, err := a.client()
	if err != nil {
		return CallV1Output{}, err
	}
	once := !v1Reads(in.Method)
	what := "sellsy: V1 " + in.Method
	if once {
		if err := actions.SendOnce(ctx, what); err != nil {
			return CallV1Output{}, err
		}
	}
	resp, err := c.CallV1(ctx, in.Method, in.Params)
	if err != nil {
		return CallV1Output{}, actions.CallError(ctx, once, what, err)
	}
	// The answer lands in the caller's history: the worker's secrets are hidden as Call
	// hides them.
	return CallV1Output{Response: actions.Answer(0, resp, a.secrets()...).Body}, nil
}

// secrets are the values the any-calls hide from their answers (Secrets; none when nil).
func (a *Actions) secrets() []string {
	if a.Secrets == nil {
		return nil
	}
	return a.Secrets()
}
