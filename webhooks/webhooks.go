// Package webhooks is the worker's webhook receiver. It turns what the systems announce into
// workflow signals and starts, and nothing more: a delivery is checked (signature or secret
// token), deduplicated, and routed; records are always read back through the API by the
// activities that act on them.
//
//	POST /webhooks/{connection}/mautic   Automation webhooks, signed with Webhook-Signature;
//	                                     mautic.lead_post_delete → signal "deleted" to the
//	                                     connection's IncrementalSync, once per object pair
//	                                     whose Automation object is contact; a contact or
//	                                     company saved (mautic.ChangeEvents) → sync-now
//	POST /push/{connection}/{token}      "send contact to Sellsy": starts PushRecord for the
//	                                     Automation contact whose id the body or query gives,
//	                                     as the connection's object pair on Automation's
//	                                     contacts (?object= names it when there are several);
//	                                     answered 200. GET, PUT and PATCH too: Automation's
//	                                     campaign action "Send a webhook" may use them. HEAD
//	                                     (an uptime check) is answered 200 and starts nothing
//	POST /webhooks/{connection}/sellsy/{token}
//	                                     Sellsy webhooks (form field notif), the token being
//	                                     the URL's secret: each event an events: route takes
//	                                     to its record's SellsyEvents workflow, which reads
//	                                     the record back and routes it (RouteSellsyEvent),
//	                                     but sync-now to crmsync's own workflows, sent at
//	                                     once; opportunity changes to the PipelineSync
//	GET  /webhooks/{connection}/sellsy/{token}
//	                                     Sellsy's ping: 200 when the token is right
//	POST /webhooks/{connection}/unas     UNAS automatism webhooks (VIP), signed with
//	                                     X-Unas-Hmac; a verified delivery asks the connection's
//	                                     PipelineSync and IncrementalSync to run now
//	GET  /healthz                        200 "ok" while the worker reaches Temporal, else 503
package webhooks

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/crmsync/crmsync/activities"
	"github.com/crmsync/crmsync/config"
	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/mautic"
	"github.com/crmsync/crmsync/connectors/sellsy"
	"github.com/crmsync/crmsync/workflows"
)

// Credential keys a connection's Automation side may name for the receiver.
const (
	CredWebhookSecret = "webhook_secret" // the secret of Automation's webhook (signature)
	CredPushToken     = "push_token"     // the token in the push URL
	CredWebhookToken  = "webhook_token"  // (Sellsy) the token in the webhook URL: Sellsy signs nothing
)

// maxBody bounds what a delivery may send. A delivery is a few kilobytes (Sellsy's notif, a
// UNAS hint; Automation's batches some hundred kilobytes at most), and Automation's and UNAS's
// are read whole before their signature can be checked: a bound well above the real ones,
// and well under what a flood of forged deliveries could make the worker hold.
const maxBody = 2 << 20

// DefaultMaxReading is how many deliveries the receiver reads at once: with maxBody, the
// memory unchecked bodies may take (64 MiB). One more is answered 503 with Retry-After,
// which every sender retries.
const DefaultMaxReading = 32

// readingRetryAfter is the Retry-After of a delivery refused while the receiver reads as many
// as it may.
const readingRetryAfter = "5"

// DedupWindow is how long a delivery (Automation's, UNAS's) or a signal sent for a Sellsy event
// is remembered, to ignore it when it comes again: a sender redelivers within seconds or
// minutes of the first attempt. Sellsy's start routes need no window: the workflow id says
// whether an event was acted on (eventWorkflowID).
const DedupWindow = 5 * time.Minute

// Temporal is what the receiver needs of a Temporal client.
type Temporal interface {
	SignalWorkflow(ctx context.Context, workflowID, runID, signalName string, arg any) error
	ExecuteWorkflow(ctx context.Context, options client.StartWorkflowOptions, workflow any, args ...any) (client.WorkflowRun, error)
	SignalWithStartWorkflow(ctx context.Context, workflowID, signalName string, signalArg any, options client.StartWorkflowOptions, workflow any, args ...any) (client.WorkflowRun, error)
}

// Receiver routes webhook deliveries to workflows.
type Receiver struct {
	temporal  Temporal
	taskQueue string
	config    func(name string) (*config.Connection, error)
	log       *slog.Logger
	seen      *seenSet
	open      func(connection string) (a, b connectors.Connector, err error)
	health    func(ctx context.Context) error
	files     map[string]string // connection → its file, for every connection known (fixed at start)
	// reading holds a slot per delivery whose body is being read (DefaultMaxReading).
	reading chan struct{}
	// nudges spaces the sync-now signals Sellsy events send (syncNow).
	nudges *nudges
}

// readBody reads a delivery's body, at most maxBody bytes, in one of the receiver's reading
// slots. It answers the refusals itself: 503 with Retry-After while every slot is taken (the
// sender tries again; nothing is held for it meanwhile), 413 for a body past maxBody, 400 for
// one that cannot be read.
func (r *Receiver) readBody(w http.ResponseWriter, req *http.Request) ([]byte, bool) {
	select {
	case r.reading <- struct{}{}:
		defer func() { <-r.reading }()
	default:
		// The route, not the path: the push's and Sellsy's paths hold their token.
		r.log.Warn("delivery refused: as many being read as the receiver reads at once", "route", req.Pattern, "connection", req.PathValue("connection"),
			"remote", req.RemoteAddr, "reading", cap(r.reading))
		w.Header().Set("Retry-After", readingRetryAfter)
		http.Error(w, "too many deliveries at once: try again later", http.StatusServiceUnavailable)
		return nil, false
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, req.Body, maxBody))
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		http.Error(w, fmt.Sprintf("body too large: at most %d bytes", maxBody), http.StatusRequestEntityTooLarge)
		return nil, false
	case err != nil:
		http.Error(w, "body unreadable", http.StatusBadRequest)
		return nil, false
	}
	return body, true
}

// WithConfig makes the receiver read each delivery's connection through load: the worker
// gives its activities.Connections' Config, so that the receiver and the activities read a
// changed file alike (routes, sides and credentials apply to the next delivery). A connection
// load returns an error for is refused with 503 when the receiver knows it (its file no
// longer validates), and is unknown (404) otherwise.
func (r *Receiver) WithConfig(load func(name string) (*config.Connection, error)) *Receiver {
	r.config = load
	return r
}

// WithHealth makes GET /healthz answer 503 with the error when check fails (the worker checks
// that Temporal answers), and 200 otherwise.
func (r *Receiver) WithHealth(check func(ctx context.Context) error) *Receiver {
	r.health = check
	return r
}

// healthz answers whether the worker can do its work: 200 "ok", or 503 and why not.
func (r *Receiver) healthz(w http.ResponseWriter, req *http.Request) {
	if r.health != nil {
		ctx, cancel := context.WithTimeout(req.Context(), 5*time.Second)
		defer cancel()
		if err := r.health(ctx); err != nil {
			http.Error(w, "unhealthy: "+err.Error(), http.StatusServiceUnavailable)
			return
		}
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte("ok\n"))
}

// WithConnectors lets the receiver read records back through the connections' connectors,
// which routes that start a workflow with the record need.
func (r *Receiver) WithConnectors(open func(connection string) (a, b connectors.Connector, err error)) *Receiver {
	r.open = open
	return r
}

// EventInput is what a workflow started by a webhook event receives: the record as read back
// through the API, never as the webhook announced it; for a "deleted" event (the record
// confirmed gone) no fields nor links.
type EventInput struct {
	Connection string            `json:"connection"`
	Object     string            `json:"object"`
	Event      string            `json:"event"`
	ID         string            `json:"id"`
	Fields     map[string]any    `json:"fields"`
	Links      map[string]string `json:"links,omitempty"`
}

// EventSignal is the argument of a signal sent by a webhook event. For a Sellsy event it says
// what reading the record back found: State, and the Digest of the record read (the same
// digest, the same record). Not the record's values: signals usually go to crmsync's own
// syncs, whose histories hold no record values; a workflow that wants them takes a start
// route, or reads the record.
type EventSignal struct {
	Object string `json:"object"`
	Event  string `json:"event"`
	ID     string `json:"id"`
	State  string `json:"state,omitempty"`
	Digest string `json:"digest,omitempty"`
}

// What reading back the record of a Sellsy event found (EventSignal.State).
const (
	StateExists = "exists" // the record is there
	StateGone   = "gone"   // a deletion confirmed: the record cannot be read
)

// New returns a receiver for these connections. Their files are read again when they change,
// as the activities read them (activities.Connections); WithConfig shares the worker's.
func New(t Temporal, taskQueue string, conns []*config.Connection, log *slog.Logger) *Receiver {
	files := make(map[string]string, len(conns))
	for _, c := range conns {
		files[c.Name] = c.File
	}
	return &Receiver{temporal: t, taskQueue: taskQueue, config: activities.NewConnections(conns).Config, log: log,
		seen: newSeenSet(10000, DedupWindow, time.Now), files: files, reading: make(chan struct{}, DefaultMaxReading),
		nudges: newNudges(SyncNowEvery)}
}

// connection returns the named connection as its file reads now: nil for a name the receiver
// does not know, an error (with its file) for a known one whose file does not validate.
func (r *Receiver) connection(name string) (c *config.Connection, file string, err error) {
	// A stat per call: the file is parsed only when it changed, and a broken file's error is
	// kept until it changes (activities.Connections), so a flood of retries parses nothing.
	c, err = r.config(name)
	file, known := r.files[name]
	switch {
	case err == nil && c != nil:
		return c, c.File, nil
	case !known:
		return nil, "", nil
	case err == nil:
		err = errors.New("no configuration") // config found nothing for a connection it had
	}
	return nil, file, err
}

// Handler serves the receiver's routes.
func (r *Receiver) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /webhooks/{connection}/mautic", r.mauticWebhook)
	// Every method Automation's campaign action "Send a webhook" sends its data with: GET
	// (its default, the data in the query), POST, PUT and PATCH (a form, or JSON).
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch} {
		mux.HandleFunc(m+" /push/{connection}/{token}", r.push)
	}
	// The GET route would answer HEAD too: an uptime check or a link preview would start a
	// push. Whatever the token, so that HEAD tells nothing about which are right.
	mux.HandleFunc("HEAD /push/{connection}/{token}", func(http.ResponseWriter, *http.Request) {})
	mux.HandleFunc("POST /webhooks/{connection}/sellsy/{token}", r.sellsyWebhook)
	mux.HandleFunc("GET /webhooks/{connection}/sellsy/{token}", r.sellsyPing)
	mux.HandleFunc("POST /webhooks/{connection}/unas", r.unasWebhook)
	mux.HandleFunc("GET /healthz", r.healthz)
	return mux
}

// unasWebhook takes UNAS's automatism deliveries (order_status_modify, order_send, …). UNAS
// does not document their JSON, so a delivery is only a hint that orders changed: once its
// signature verifies, the connection's PipelineSync (statuses) and IncrementalSync (orders,
// customers) are asked to run now, and each reads what changed since it last did. UNAS
// retries a delivery that is not answered 200 five times, 5 minutes apart.
func (r *Receiver) unasWebhook(w http.ResponseWriter, req *http.Request) {
	name := req.PathValue("connection")
	_, _, body, ok := r.signedDelivery(w, req, "unas", "UNAS", "X-Unas-Hmac")
	if !ok {
		return
	}
	key := deliveryKey("unas", name, body)
	if !r.seen.add(key) {
		w.WriteHeader(http.StatusOK) // a redelivery: the scan it asked for has run
		return
	}
	ctx := context.WithoutCancel(req.Context())
	for _, id := range []string{workflows.PipelineWorkflowID(name), workflows.SyncWorkflowID(name)} {
		if err := r.signalSyncNow(ctx, name, id, EventSignal{Object: "order", Event: "changed"}); err != nil {
			r.log.Error("UNAS change not delivered to the workflow", "connection", name, "workflow", id, "error", err)
			// Not handled: UNAS's next attempt must be acted on.
			r.seen.forget(key)
			http.Error(w, "temporarily unavailable", http.StatusServiceUnavailable) // UNAS retries in 5 minutes
			return
		}
	}
	w.WriteHeader(http.StatusOK)
}

// sideOf finds the connection the path names, as its file reads now, and its side ("a" or
// "b") that is system (label names it in answers). It answers the refusals itself: 404 for no
// such connection or side, 503 (logged with the file and the reason) while the connection's
// file does not validate: the sender retries, and no delivery is checked against a file that
// is not the one on disk.
func (r *Receiver) sideOf(w http.ResponseWriter, req *http.Request, system, label string) (c *config.Connection, side string, sys config.System, ok bool) {
	name := req.PathValue("connection")
	c, file, err := r.connection(name)
	switch {
	case err != nil:
		r.log.Error("delivery refused: the connection's file does not validate", "connection", name, "file", file, "error", err)
		http.Error(w, "this connection's file does not validate: see the worker's log", http.StatusServiceUnavailable)
		return nil, "", sys, false
	case c != nil:
		if side, sys, ok := systemSide(c, system); ok {
			return c, side, sys, true
		}
	}
	http.Error(w, "no "+label+" connection of this name", http.StatusNotFound)
	return nil, "", sys, false
}

// systemSide is the side of c that is system, side B first: a delivery and the event it
// hands to Temporal (RouteSellsyEvent) are checked against the same side.
func systemSide(c *config.Connection, system string) (side string, sys config.System, ok bool) {
	switch system {
	case c.B.System:
		return "b", c.B, true
	case c.A.System:
		return "a", c.A, true
	}
	return "", sys, false
}

// signedDelivery reads a delivery for the connection named in the path whose side is system
// (label names it in answers) and checks its signature, base64(HMAC-SHA256(body, secret)) in
// header, with the secret the side's webhook_secret credential names: Automation's and
// UNAS's scheme. It answers the refusals itself (sideOf's, credential's — 404 for a
// connection without a secret, 503 while its secret cannot be read —, 400 for an unreadable
// body, 401 for a bad signature, logged) and reports whether the delivery may be acted on.
func (r *Receiver) signedDelivery(w http.ResponseWriter, req *http.Request, system, label, header string) (c *config.Connection, side string, body []byte, ok bool) {
	name := req.PathValue("connection")
	c, side, sys, ok := r.sideOf(w, req, system, label)
	if !ok {
		return nil, "", nil, false
	}
	secret, ok := r.credential(w, req, c, sys, CredWebhookSecret,
		"webhook refused: the connection names no webhook secret", "webhooks are not configured for this connection")
	if !ok {
		return nil, "", nil, false
	}
	if body, ok = r.readBody(w, req); !ok {
		return nil, "", nil, false
	}
	if !connectors.VerifyHMAC(body, req.Header.Get(header), secret) {
		r.log.Warn("webhook refused: bad signature", "connection", name, "remote", req.RemoteAddr, "bytes", len(body))
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return nil, "", nil, false
	}
	return c, side, body, true
}

// contactObjects lists, in the file's order, the connection's object pairs whose object on
// side is Automation's contact (its a_object or b_object, which default to the pair's name):
// the pairs an Automation contact's deletion or push is about, whatever the file names them
// ("contact", "person", "lead"…).
func contactObjects(c *config.Connection, side string) []string {
	var out []string
	for _, o := range c.Objects {
		on := o.AObject
		if side == "b" {
			on = o.BObject
		}
		if on == "" {
			on = o.Name
		}
		if on == connectors.ObjectContact {
			out = append(out, o.Name)
		}
	}
	return out
}

// credential reads the secret the credential key of sys, a side of c, names. It answers the
// refusals itself: 404 (answer) when c names no such credential, logged with refused — there
// is nothing to retry for; and 503 when c names one that cannot be read now (its variable
// empty, the file its _FILE names missing or unreadable: a secret being rotated), logged with
// the connection, its file, the credential and the reason, which names the variable or the
// file but never a value. A 404 would tell the sender to give the delivery up; a 503 makes it
// retry, as for a connection file that does not validate (sideOf). The sender is not told
// the worker's variables nor paths.
func (r *Receiver) credential(w http.ResponseWriter, req *http.Request, c *config.Connection, sys config.System, key, refused, answer string) (string, bool) {
	if _, named := sys.Credentials[key]; !named {
		r.log.Warn(refused, "connection", c.Name, "credential", key, "remote", req.RemoteAddr)
		http.Error(w, answer, http.StatusNotFound)
		return "", false
	}
	v, err := sys.Secret(key)
	if err != nil {
		r.log.Error("delivery refused for now: a credential of the connection cannot be read", "connection", c.Name, "file", c.File,
			"credential", key, "route", req.Pattern, "remote", req.RemoteAddr, "error", err)
		http.Error(w, "this connection's credentials cannot be read now: see the worker's log", http.StatusServiceUnavailable)
		return "", false
	}
	return v, true
}

// tokenMatches reports whether the URL's token is the secret the credential key of sys, a
// side of c, names. It answers the refusals itself: credential's, and 404 (answer) for
// another token, logged with refused: it looks like an unknown URL.
func (r *Receiver) tokenMatches(w http.ResponseWriter, req *http.Request, c *config.Connection, sys config.System, key, refused, answer string) bool {
	want, ok := r.credential(w, req, c, sys, key, refused+": the connection names no "+key, answer)
	if !ok {
		return false
	}
	if subtle.ConstantTimeCompare([]byte(want), []byte(req.PathValue("token"))) != 1 {
		r.log.Warn(refused+": bad token", "connection", c.Name, "remote", req.RemoteAddr)
		http.Error(w, answer, http.StatusNotFound)
		return false
	}
	return true
}

func (r *Receiver) mauticWebhook(w http.ResponseWriter, req *http.Request) {
	name := req.PathValue("connection")
	c, side, body, ok := r.signedDelivery(w, req, "mautic", "Automation", "Webhook-Signature")
	if !ok {
		return
	}
	events, err := mautic.ParseWebhook(body)
	if err != nil {
		r.log.Warn("webhook refused: unreadable payload", "connection", name, "error", err)
		http.Error(w, "unreadable payload", http.StatusBadRequest)
		return
	}
	// A contact or company saved in Automation: its sync runs now and reads it (spaced as
	// Sellsy's sync-now), rather than at its next interval — unless nothing of Automation's
	// travels on this connection (one way to Automation), where the cycle would read nothing.
	if typ := mautic.AnnouncedChange(body); typ != "" && slices.ContainsFunc(c.Objects, func(o config.Object) bool { return o.Sends(side) }) {
		if err := r.nudge(context.WithoutCancel(req.Context()), name, workflows.SyncWorkflowID(name), EventSignal{Event: typ}); err != nil {
			r.log.Error("changes not delivered to the workflow", "connection", name, "error", err)
			http.Error(w, "temporarily unavailable", http.StatusServiceUnavailable)
			return
		}
	}
	var deleted, keys []string
	for _, e := range events {
		if e.Type != mautic.EventContactDelete || e.ContactID == "" {
			continue
		}
		// Per connection: two connections on one Automation get the same event, and each
		// must hear of it.
		key := "mautic|" + name + "|" + e.Type + "|" + e.ContactID + "|" + e.At.String()
		if !r.seen.add(key) {
			continue // a delivery seen before
		}
		deleted = append(deleted, e.ContactID)
		keys = append(keys, key)
	}
	if len(deleted) == 0 {
		w.WriteHeader(http.StatusOK)
		return
	}
	objects := contactObjects(c, side)
	if len(objects) == 0 {
		r.log.Info("contact deletions received for a connection that syncs no Automation contacts", "connection", name, "count", len(deleted))
	}
	// One request per object pair on Automation's contacts: the sync knows its objects by
	// their pair's name, which need not be "contact".
	for _, object := range objects {
		sig := workflows.DeletedRequest{Object: object, Side: side, IDs: deleted}
		err := r.temporal.SignalWorkflow(context.WithoutCancel(req.Context()), workflows.SyncWorkflowID(name), "", workflows.SignalDeleted, sig)
		var notFound *serviceerror.NotFound
		switch {
		case errors.As(err, &notFound):
			// Nothing to tell: the next reconciliation finds these deletions.
			r.log.Info("deletions received while no incremental sync runs", "connection", name, "count", len(deleted))
			w.WriteHeader(http.StatusOK)
			return
		case err != nil:
			r.log.Error("deletions not delivered to the workflow", "connection", name, "object", object, "error", err)
			for _, k := range keys {
				r.seen.forget(k) // not handled: the next attempt must be acted on
			}
			http.Error(w, "temporarily unavailable", http.StatusServiceUnavailable)
			return
		default:
			r.log.Info("deletions announced", "connection", name, "object", object, "count", len(deleted))
		}
	}
	w.WriteHeader(http.StatusOK)
}

// push starts PushRecord for an Automation contact. The object pair it is pushed as is the
// connection's one pair on Automation's contacts, or, when several are, the one the query
// parameter object names (400 naming the choices without it).
func (r *Receiver) push(w http.ResponseWriter, req *http.Request) {
	name := req.PathValue("connection")
	c, side, sys, ok := r.sideOf(w, req, "mautic", "Automation")
	if !ok {
		return
	}
	if !r.tokenMatches(w, req, c, sys, CredPushToken, "push refused", "unknown push URL") {
		return
	}
	choices := contactObjects(c, side)
	query := req.URL.Query()
	object := query.Get("object")
	switch {
	case len(choices) == 0:
		http.Error(w, "this connection syncs no Automation contacts", http.StatusNotFound)
		return
	case object != "" && !slices.Contains(choices, object):
		http.Error(w, fmt.Sprintf("object %q is not one of this connection's objects on Automation's contacts: %s", object, strings.Join(choices, ", ")), http.StatusBadRequest)
		return
	case object == "" && len(choices) > 1:
		http.Error(w, "several of this connection's objects are Automation's contacts: name one with ?object= ("+strings.Join(choices, ", ")+")", http.StatusBadRequest)
		return
	case object == "":
		object = choices[0]
	}
	id, found, err := queryContactID(query)
	if !found {
		body, ok := r.readBody(w, req)
		if !ok {
			return
		}
		id, err = bodyContactID(body)
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	in := activities.PushInput{Connection: name, Object: object, Side: side, ID: id}
	// Not cancelled with the request, as the other routes' signals and starts: a sender that
	// times out or disconnects while the start is under way would otherwise cancel it, and
	// the push would be lost unless the sender retried. The client's own RPC timeout bounds it.
	run, err := r.temporal.ExecuteWorkflow(context.WithoutCancel(req.Context()), client.StartWorkflowOptions{
		ID:                       workflows.PushWorkflowID(in),
		TaskQueue:                r.taskQueue,
		WorkflowIDConflictPolicy: enums.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		WorkflowIDReusePolicy:    enums.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
	}, workflows.PushRecord, in)
	if err != nil {
		r.log.Error("push not started", "connection", name, "error", err)
		http.Error(w, "temporarily unavailable", http.StatusServiceUnavailable)
		return
	}
	// 200, not 202: Automation's campaign action takes only 200 and 201 for success, and
	// fails (and retries) the campaign event on any other answer.
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_ = json.NewEncoder(w).Encode(map[string]string{"workflow_id": run.GetID(), "run_id": run.GetRunID()})
}

// sellsyConnection finds the Sellsy connection the path names and checks the URL's token;
// it answers the refusals itself (sideOf's, and tokenMatches': 404, logged, for a bad or
// unconfigured token, as for an unknown URL; 503, logged, while the token cannot be read).
// The side is chosen again when an event is routed (RouteSellsyEvent): the file may change.
func (r *Receiver) sellsyConnection(w http.ResponseWriter, req *http.Request) (c *config.Connection, ok bool) {
	c, _, sys, ok := r.sideOf(w, req, "sellsy", "Sellsy")
	if !ok {
		return nil, false
	}
	if !r.tokenMatches(w, req, c, sys, CredWebhookToken, "sellsy webhook refused", "unknown webhook URL") {
		return nil, false
	}
	return c, true
}

// sellsyPing answers the GET with which Sellsy checks a webhook's URL.
func (r *Receiver) sellsyPing(w http.ResponseWriter, req *http.Request) {
	if _, ok := r.sellsyConnection(w, req); ok {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	}
}

// sellsyWebhook takes Sellsy's webhooks. Sellsy signs nothing, so the URL carries a secret
// token and every event is a hint: records are read back before anything acts on them, so a
// forged or replayed delivery changes nothing — by the record's SellsyEvents workflow, once
// the delivery is answered (handOver); a sync asked to run now reads them itself (syncNow). The body is not what tells a redelivery apart:
// the reference only confirms event, relatedtype and relatedid, so two real changes of a
// record can arrive as the same body; the record as read back does (route).
func (r *Receiver) sellsyWebhook(w http.ResponseWriter, req *http.Request) {
	name := req.PathValue("connection")
	c, ok := r.sellsyConnection(w, req)
	if !ok {
		return
	}
	body, ok := r.readBody(w, req)
	if !ok {
		return
	}
	events, err := sellsy.ParseWebhook(body, req.Header.Get("Content-Type"))
	if err != nil {
		r.log.Warn("sellsy webhook refused: unreadable payload", "connection", name, "error", err)
		http.Error(w, "unreadable payload", http.StatusBadRequest)
		return
	}
	if len(events) == 0 {
		w.WriteHeader(http.StatusOK) // a ping by POST: nothing to do
		return
	}
	// PipelineSync hears of every delivery, even one seen before: it reads each opportunity
	// back and emits only what moved. So does a sync the events: routes ask to run now.
	err = r.stageChanged(req.Context(), name, events)
	if err == nil {
		err = r.syncNow(req.Context(), c, events)
	}
	if err == nil {
		err = r.handOver(req.Context(), c, events)
	}
	if err != nil { // not in Temporal's hands: Sellsy's next attempt must be acted on
		r.log.Error("sellsy events not handed to Temporal", "connection", name, "error", err)
		http.Error(w, "temporarily unavailable", http.StatusServiceUnavailable)
		return
	}
	w.WriteHeader(http.StatusOK)
}

// handOver gives each event that a route of the connection takes to the SellsyEvents
// workflow of its record (signal-with-start), which reads the record back and routes the
// event (RouteSellsyEvent). The delivery is answered once Temporal holds its events: a read
// back that fails (Sellsy down, its quota spent) is retried by the workflow, not lost with
// the answer, and a worker that stops loses nothing.
func (r *Receiver) handOver(ctx context.Context, c *config.Connection, events []sellsy.WebhookEvent) error {
	ctx = context.WithoutCancel(ctx)
	for _, e := range events {
		if len(routesReadingBack(c.Events, e)) == 0 {
			continue
		}
		recordID, ok := r.routableID(c, e)
		if !ok {
			continue
		}
		ev := activities.SellsyEvent{Connection: c.Name, Object: e.Object, Event: e.Type, ID: recordID, At: e.At, Digest: e.Digest}
		id := workflows.SellsyEventsWorkflowID(c.Name, ev.Object, ev.ID)
		_, err := r.temporal.SignalWithStartWorkflow(ctx, id, workflows.SignalSellsyEvent, ev, client.StartWorkflowOptions{
			ID: id, TaskQueue: r.taskQueue,
			TypedSearchAttributes: temporal.NewSearchAttributes(workflows.AttrConnection.ValueSet(c.Name)),
		}, workflows.SellsyEvents, workflows.SellsyEventsInput{Connection: c.Name, Object: ev.Object, ID: ev.ID})
		if err != nil {
			return err
		}
	}
	return nil
}

// routableID is the id of the record an event a route takes names, as Sellsy reads it ("077"
// is 77), or not ok, logged, for an event nothing may act on: an id that is no Sellsy id names
// no record (verify would ignore it), and an event that is no word of Sellsy's would only make
// a workflow id too long to start. What no route could act on stays out of Temporal.
func (r *Receiver) routableID(c *config.Connection, e sellsy.WebhookEvent) (string, bool) {
	n, isID := sellsy.ParseID(e.ObjectID)
	if !isID || !eventWord.MatchString(e.Type) {
		r.log.Info("sellsy event ignored: its id is no Sellsy id, or its event no word", "connection", c.Name, "object", e.Object)
		return "", false
	}
	return strconv.Itoa(n), true
}

// eventWord is what a notification's event may be to be routed: Sellsy's are short words
// (created, updated, addressadded, editPrefs).
var eventWord = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_.-]{0,63}$`)

// RouteSellsyEvent routes one Sellsy event as the connection's file now says (the
// activities' Activities.SellsyEvents, run by the record's SellsyEvents workflow): the
// record is read back and each route the event takes starts or signals its workflow (route).
// A connection whose Sellsy side or routes went routes nothing; one this worker does not know,
// or whose file does not validate, is an error, retried.
func (r *Receiver) RouteSellsyEvent(ctx context.Context, ev activities.SellsyEvent) error {
	c, file, err := r.connection(ev.Connection)
	switch {
	case err != nil:
		return fmt.Errorf("connection %s (%s) does not validate: %w", ev.Connection, file, err)
	case c == nil:
		// Another worker's receiver took it: this one may not have loaded that file yet (a
		// rolling restart), so the event waits for one that has.
		return fmt.Errorf("no connection file of this worker is named %q: every worker of task queue %q must load the same connection files", ev.Connection, r.taskQueue)
	}
	side, _, ok := systemSide(c, "sellsy") // as sideOf chose the side whose token the delivery carried
	if !ok {
		r.log.Info("sellsy event for a connection without a Sellsy side now: dropped", "connection", ev.Connection)
		return nil
	}
	return r.route(ctx, c, side, []sellsy.WebhookEvent{{Type: ev.Event, Object: ev.Object, ObjectID: ev.ID, At: ev.At, Digest: ev.Digest}})
}

// stageChanged tells the connection's PipelineSync which opportunities the events name.
func (r *Receiver) stageChanged(ctx context.Context, name string, events []sellsy.WebhookEvent) error {
	var ids []string
	for _, e := range events {
		if e.Object == sellsy.ObjectOpportunity && e.ObjectID != "" && !slices.Contains(ids, e.ObjectID) {
			ids = append(ids, e.ObjectID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	err := r.temporal.SignalWorkflow(context.WithoutCancel(ctx), workflows.PipelineWorkflowID(name), "", workflows.SignalStageChanged, ids)
	var notFound *serviceerror.NotFound
	if errors.As(err, &notFound) {
		r.log.Info("opportunity changes received while no pipeline sync runs", "connection", name, "count", len(ids))
		return nil
	}
	return err
}

// readBack reads the record an event names through the connector: nil when it does not
// exist. raw is the API's answer as it came, when the connector hands it over (Sellsy's
// ReadBackRaw): the whole record, beyond the fields the connector maps.
func readBack(ctx context.Context, conn connectors.Connector, object, id string) (rec *connectors.Record, raw []byte, err error) {
	switch rb := conn.(type) {
	case interface {
		ReadBackRaw(ctx context.Context, object, id string) (*connectors.Record, []byte, error)
	}:
		return rb.ReadBackRaw(ctx, object, id)
	case interface {
		ReadBack(ctx context.Context, object, id string) (*connectors.Record, error)
	}:
		rec, err = rb.ReadBack(ctx, object, id)
		return rec, nil, err
	}
	recs, err := conn.Get(ctx, object, []string{id})
	if err != nil || len(recs) == 0 {
		return nil, nil, err
	}
	return &recs[0], nil, nil
}

// route applies the connection's event routes. An event is only a hint: its record is read
// back first, and a route runs only when the read agrees with the event (verify). A repeated
// event is recognised by the record as read back, not by the delivery's body: a start's
// workflow id names the record's state (eventWorkflowID), so a redelivery that finds the
// record as it was starts nothing, even on another worker or after a restart, while a change
// — however soon after the last — starts again.
func (r *Receiver) route(ctx context.Context, c *config.Connection, side string, events []sellsy.WebhookEvent) error {
	for _, e := range events {
		routes := routesReadingBack(c.Events, e)
		if len(routes) == 0 {
			continue
		}
		rec, raw, id, err := r.verify(ctx, c, side, e)
		if err != nil {
			return err
		}
		if id == "" {
			continue
		}
		// Sellsy reads "077" or "+77" as 77: a delivery so written must not pass for another
		// record's event.
		e.ObjectID = id
		if rec != nil && !rec.UpdatedAt.IsZero() {
			// The record's update time tells its states apart (recordDigest covers it): the
			// notification's timestamp and body in the name would only let another delivery
			// of the same change (a replay, a forgery, a resend with a new timestamp) start
			// again. A record without one (an opportunity) keeps them.
			e.At, e.Digest = time.Time{}, ""
		}
		digest := recordDigest(rec, raw) // once per event: every route names the same state
		for _, rt := range routes {
			if rt.Signal != nil {
				err = r.signal(ctx, c.Name, rt.Signal, e, rec, digest)
			} else {
				err = r.start(ctx, c.Name, rt.Start, e, rec, digest)
			}
			if err != nil {
				return err
			}
		}
	}
	return nil
}

// routesReadingBack are the routes an event takes that act on the record read back: all but
// the sync-now ones, which syncNow sent when the delivery came.
func routesReadingBack(routes []config.EventRoute, e sellsy.WebhookEvent) []config.EventRoute {
	return slices.DeleteFunc(matchingRoutes(routes, e), syncNowRoute)
}

// matchingRoutes are the routes an event takes.
func matchingRoutes(routes []config.EventRoute, e sellsy.WebhookEvent) []config.EventRoute {
	var out []config.EventRoute
	for _, rt := range routes {
		if rt.Object == e.Object && (rt.Event == "" || rt.Event == e.Type) && e.ObjectID != "" {
			out = append(out, rt)
		}
	}
	return out
}

// verify reads back the record an event names and reports whether the event may be acted
// on: any event on a record that exists, a deletion on one that cannot be read. A deletion
// of a record that exists is forged; another event on a record that does not exist is
// forged, or the record was deleted since (its deleted event follows). Sellsy answers an id
// that never existed as it answers a deleted one (404), and the receiver has nothing else to
// tell them apart, so a forged deletion of an unknown id goes through: the workflow then
// gets only that id, which names nothing to act on. A deletion of what is no Sellsy id (not a
// positive whole number) is forged.
// raw is the API's answer the record was read from, when the connector hands it over. id is
// the record's id as the API reads it (the record's as read back; for a deletion, the
// event's parsed as the connector's Get would), "" when the event is not to be acted on.
func (r *Receiver) verify(ctx context.Context, c *config.Connection, side string, e sellsy.WebhookEvent) (rec *connectors.Record, raw []byte, id string, err error) {
	if r.open == nil {
		return nil, nil, "", errors.New("the receiver cannot read records back")
	}
	a, b, err := r.open(c.Name)
	if err != nil {
		return nil, nil, "", err
	}
	conn := a
	if side == "b" {
		conn = b
	}
	if rec, raw, err = readBack(ctx, conn, e.Object, e.ObjectID); err != nil {
		return nil, nil, "", err
	}
	switch {
	case e.Type == "deleted" && rec != nil:
		r.log.Info("deletion announced for a record that exists (forged): ignored", "connection", c.Name, "object", e.Object)
		return nil, nil, "", nil
	case e.Type != "deleted" && rec == nil:
		r.log.Info("event for a record that does not exist (forged, or deleted since)", "connection", c.Name, "object", e.Object)
		return nil, nil, "", nil
	case rec == nil:
		// Nothing read, which a deletion needs; but an id that is none ("abc", "0", one
		// past int) names no record that could have been deleted.
		n, isID := sellsy.ParseID(e.ObjectID)
		if !isID {
			r.log.Info("deletion announced for an id that is no Sellsy id (forged): ignored", "connection", c.Name, "object", e.Object)
			return nil, nil, "", nil
		}
		return nil, nil, strconv.Itoa(n), nil
	}
	return rec, raw, cmp.Or(rec.ID, e.ObjectID), nil
}

// signal sends a signal route's signal with what the read back found. The signals sent are
// remembered for DedupWindow, in memory (bounded), by the record's state: a redelivery
// finding the record as it was is not signalled again, a change is. One that gets past it
// (later, on another worker, after a restart) is harmless: it repeats a signal about the same
// record state, and a second sync-now only runs a pass that finds nothing new. digest is
// recordDigest(rec, raw).
func (r *Receiver) signal(ctx context.Context, connection string, to *config.SignalRoute, e sellsy.WebhookEvent, rec *connectors.Record, digest string) error {
	id := strings.ReplaceAll(to.WorkflowID, "{connection}", connection)
	key := "sellsy|" + id + "|" + to.Name + "|" + eventName(e, digest)
	if !r.seen.add(key) {
		return nil
	}
	sig := EventSignal{Object: e.Object, Event: e.Type, ID: e.ObjectID, State: StateGone}
	if rec != nil {
		sig.State, sig.Digest = StateExists, digest
	}
	err := r.temporal.SignalWorkflow(ctx, id, "", to.Name, sig)
	var notFound *serviceerror.NotFound
	switch {
	case errors.As(err, &notFound):
		r.log.Info("event for a workflow that does not run", "connection", connection, "workflow", id)
	case err != nil:
		r.seen.forget(key) // not sent: Sellsy's next attempt must send it
		return err
	}
	return nil
}

// start starts a start route's workflow with the record as read back (for a confirmed
// deletion, the id and the object: all there is left). digest is recordDigest(rec, raw).
func (r *Receiver) start(ctx context.Context, connection string, to *config.StartRoute, e sellsy.WebhookEvent, rec *connectors.Record, digest string) error {
	in := EventInput{Connection: connection, Object: e.Object, Event: e.Type, ID: e.ObjectID}
	if rec != nil {
		in.Fields, in.Links = rec.Fields, rec.Links
	}
	queue := to.TaskQueue
	if queue == "" {
		queue = r.taskQueue
	}
	_, err := r.temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID: eventWorkflowID(connection, to.Workflow, e, digest), TaskQueue: queue,
		WorkflowIDReusePolicy:                    enums.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		WorkflowExecutionErrorWhenAlreadyStarted: true,
	}, to.Workflow, in)
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	if errors.As(err, &started) {
		return nil // a repeated event: the record is as that run got it
	}
	return err
}

// eventWorkflowID names the workflow an event starts:
// <connection>/sellsy/<workflow>/<object>-<event>-<id>-<tag> (the workflow type in it, so that
// two routes on one event each start theirs). See eventName.
func eventWorkflowID(connection, workflow string, e sellsy.WebhookEvent, digest string) string {
	return fmt.Sprintf("%s/sellsy/%s/%s", connection, workflow, eventName(e, digest))
}

// onceEvents happen once to a record: Sellsy's ids are never reused, so another delivery of
// one — a replay after the record changed, one with another timestamp or related type — is
// the same event, named <object>-<event>-<id>-once. Not a deletion: one is acted on without a
// record to read (Sellsy answers 404 for an id not yet used as for a deleted one), so a
// deletion forged ahead for an id not yet used would take the name of the real one.
var onceEvents = map[string]bool{"created": true}

// eventName names an event (other than a creation: onceEvents) as the record
// was read back: <object>-<event>-<id>-<tag>, the tag
// being h and a digest of the notification and of the record read, after the notification's
// timestamp when it has one. A redelivery (the same notification, the record unchanged) gets
// the same name, while a later change gets another, even within the timestamp's second — or,
// without timestamps, with the same notification: the record's digest covers its update time
// and its whole read shape (recordDigest). A change that leaves a record without an update
// time (an opportunity) exactly as an earlier event found it is taken for that event's
// redelivery. Never a zero time: every later event would look like the first. digest is
// recordDigest of the record read ("" when there is none). route leaves the notification out
// (no timestamp, no digest) when the record read has an update time.
func eventName(e sellsy.WebhookEvent, digest string) string {
	if onceEvents[e.Type] {
		return fmt.Sprintf("%s-%s-%s-once", e.Object, e.Type, e.ObjectID)
	}
	h := sha256.New()
	h.Write([]byte(e.Digest))
	h.Write([]byte(digest))
	tag := "h" + hex.EncodeToString(h.Sum(nil))[:16]
	if !e.At.IsZero() {
		tag = strconv.FormatInt(e.At.Unix(), 10) + "-" + tag
	}
	return fmt.Sprintf("%s-%s-%s-%s", e.Object, e.Type, e.ObjectID, tag)
}

// recordDigest names a record's state as read back ("" for no record): its update time, its
// links, and the API's whole answer raw when the connector handed it over — else the fields
// the connector mapped. The mapped fields are a subset: two states of a record that differ
// elsewhere (a Sellsy company's reference, an opportunity's source) would get one digest,
// and, with notifications that carry no timestamp, the second change would be taken for a
// redelivery of the first.
func recordDigest(rec *connectors.Record, raw []byte) string {
	if rec == nil {
		return ""
	}
	view := struct {
		U time.Time         `json:"u"`
		L map[string]string `json:"l"`
		F map[string]any    `json:"f,omitempty"`
		R json.RawMessage   `json:"r,omitempty"`
	}{U: rec.UpdatedAt.UTC(), L: rec.Links}
	if json.Valid(raw) {
		view.R = raw
	} else {
		view.F = rec.Fields
	}
	content, _ := json.Marshal(view) // map keys are sorted: the same record gives the same bytes
	sum := sha256.Sum256(content)
	return hex.EncodeToString(sum[:])
}

// queryContactID reads the Automation contact id from the query (?id=, ?contact_id= or
// ?contact[id]=); found says whether the query names one (else it is in the body).
func queryContactID(q url.Values) (id string, found bool, err error) {
	for _, k := range []string{"id", "contact_id", "contact[id]"} {
		if v := q.Get(k); v != "" {
			id, err = validID(v)
			return id, true, err
		}
	}
	return "", false, nil
}

// bodyContactID reads the Automation contact id from a form or a JSON body: `id`,
// `contact_id`, or `contact.id` / `contact[id]` as Automation's campaign webhook action can
// send them.
func bodyContactID(body []byte) (string, error) {
	if strings.HasPrefix(strings.TrimSpace(string(body)), "{") {
		// Numbers are kept as written: as float64, an id of a million or more would print as
		// 1.234567e+06, and one past 2^53 would lose digits.
		var m map[string]any
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.UseNumber()
		if err := dec.Decode(&m); err != nil {
			return "", errors.New("body is not valid JSON")
		}
		if _, err := dec.Token(); err != io.EOF {
			return "", errors.New("body is not valid JSON")
		}
		if contact, ok := m["contact"].(map[string]any); ok {
			if v, ok := contact["id"]; ok {
				return validID(jsonID(v))
			}
		}
		for _, k := range []string{"id", "contact_id"} {
			if v, ok := m[k]; ok {
				return validID(jsonID(v))
			}
		}
		return "", errors.New("no contact id in the body (id, contact_id or contact.id)")
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return "", errors.New("body is neither JSON nor a form")
	}
	for _, k := range []string{"id", "contact_id", "contact[id]"} {
		if v := form.Get(k); v != "" {
			return validID(v)
		}
	}
	return "", errors.New("no contact id in the request (id, contact_id or contact[id])")
}

// jsonID writes a JSON id (decoded with UseNumber) as digits: a number as written, or, when
// written with a fraction or an exponent (1.234567e6), as the whole number it is. Anything
// else is left for validID to refuse.
func jsonID(v any) string {
	n, ok := v.(json.Number)
	if !ok {
		return fmt.Sprint(v)
	}
	s := n.String()
	if strings.Trim(s, "0123456789") == "" {
		return s
	}
	if f, err := n.Float64(); err == nil && f >= 0 && f == math.Trunc(f) && f < 1<<53 {
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	return s
}

func validID(v string) (string, error) {
	v = strings.TrimSpace(v)
	if v == "" || len(v) > 20 || strings.Trim(v, "0123456789") != "" {
		return "", fmt.Errorf("contact id %q is not a number", v)
	}
	return v, nil
}

// deliveryKey names a delivery in the seen set by its body, for a sender whose deliveries
// carry no id.
func deliveryKey(system, connection string, body []byte) string {
	sum := sha256.Sum256(body)
	return system + "|" + connection + "|" + hex.EncodeToString(sum[:])
}

// seenSet remembers deliveries for a while (ttl), at most n of them, to ignore duplicates.
type seenSet struct {
	mu    sync.Mutex
	n     int
	ttl   time.Duration
	now   func() time.Time
	order []string
	keys  map[string]time.Time // key → when it was recorded
}

func newSeenSet(n int, ttl time.Duration, now func() time.Time) *seenSet {
	return &seenSet{n: n, ttl: ttl, now: now, keys: map[string]time.Time{}}
}

// add records key and reports whether it is new (unseen, or seen longer than ttl ago).
func (s *seenSet) add(key string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	// Expired keys leave from the front: the order is the order they were recorded in.
	for len(s.order) > 0 && now.Sub(s.keys[s.order[0]]) >= s.ttl {
		delete(s.keys, s.order[0])
		s.order = s.order[1:]
	}
	if _, ok := s.keys[key]; ok { // the expired ones just left
		return false
	}
	s.keys[key] = now
	s.order = append(s.order, key)
	if len(s.order) > s.n {
		delete(s.keys, s.order[0])
		s.order = s.order[1:]
	}
	return true
}

// forget drops key, so that the same delivery is acted on when it comes again.
func (s *seenSet) forget(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.keys, key)
	s.order = slices.DeleteFunc(s.order, func(k string) bool { return k == key })
}
