package webhooks

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/crmsync/crmsync/activities"
	"github.com/crmsync/crmsync/config"
	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/sellsy"
	sellsysim "github.com/crmsync/crmsync/connectors/sellsy/sim"
	"github.com/crmsync/crmsync/connectors/simkit"
	"github.com/crmsync/crmsync/workflows"
)

// fakeTemporal records signals and starts.
type fakeTemporal struct {
	mu      sync.Mutex
	signals []workflows.DeletedRequest
	staged  [][]string
	nudged  []EventSignal // to a user's workflow (watchSignal)
	synced  []EventSignal // sync-now to the connection's IncrementalSync
	events  []EventInput
	types   []any
	starts  []activities.PushInput
	ids     []string
	noSync  bool
	fail    error // every signal and start fails with it
	// deletedTo are the workflows the deletion signals went to.
	deletedTo []string
	// handed are the Sellsy events handed to SellsyEvents workflows, handedTo their ids.
	handed   []activities.SellsyEvent
	handedTo []string
	// route, when set, routes each handed event at once, as its workflow's activity would;
	// routeErrs are its failures (the workflow would retry them).
	route     func(context.Context, activities.SellsyEvent) error
	routeErrs []error
}

func (f *fakeTemporal) SignalWithStartWorkflow(ctx context.Context, id, signal string, arg any, o client.StartWorkflowOptions, wf any, args ...any) (client.WorkflowRun, error) {
	f.mu.Lock()
	if f.fail != nil {
		f.mu.Unlock()
		return nil, f.fail
	}
	ev := arg.(activities.SellsyEvent)
	in, _ := args[0].(workflows.SellsyEventsInput)
	if signal != workflows.SignalSellsyEvent || o.ID != id || o.TaskQueue != "crmsync" ||
		reflect.ValueOf(wf).Pointer() != reflect.ValueOf(workflows.SellsyEvents).Pointer() ||
		in.Connection != ev.Connection || in.Object != ev.Object || in.ID != ev.ID || in.Pending != nil ||
		id != workflows.SellsyEventsWorkflowID(ev.Connection, ev.Object, ev.ID) {
		panic(fmt.Sprintf("unexpected signal-with-start %s %s %+v %+v", id, signal, o, args))
	}
	f.handed = append(f.handed, ev)
	f.handedTo = append(f.handedTo, id)
	route := f.route
	f.mu.Unlock()
	if route != nil {
		if err := route(ctx, ev); err != nil {
			f.mu.Lock()
			f.routeErrs = append(f.routeErrs, err)
			f.mu.Unlock()
		}
	}
	return fakeRun{id: id}, nil
}

func (f *fakeTemporal) SignalWorkflow(_ context.Context, id, _, name string, arg any) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.noSync {
		return serviceerror.NewNotFound("workflow not found")
	}
	if f.fail != nil {
		return f.fail
	}
	switch {
	case strings.HasSuffix(id, "/incremental-sync") && name == workflows.SignalDeleted:
		f.signals = append(f.signals, arg.(workflows.DeletedRequest))
		f.deletedTo = append(f.deletedTo, id)
	case id == "shop/pipeline-sync" && name == workflows.SignalStageChanged:
		f.staged = append(f.staged, arg.([]string))
	case id == "shop/incremental-sync" && name == workflows.SignalSyncNow:
		f.synced = append(f.synced, arg.(EventSignal))
	case id == "shop/watch" && name == "record-changed":
		f.nudged = append(f.nudged, arg.(EventSignal))
	default:
		panic("unexpected signal " + id + " " + name)
	}
	return nil
}

func (f *fakeTemporal) ExecuteWorkflow(_ context.Context, o client.StartWorkflowOptions, wf any, args ...any) (client.WorkflowRun, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return nil, f.fail
	}
	for _, id := range f.ids {
		if id == o.ID && o.WorkflowIDReusePolicy == enums.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE {
			return nil, serviceerror.NewWorkflowExecutionAlreadyStarted("started", "", "")
		}
	}
	switch in := args[0].(type) {
	case activities.PushInput:
		f.starts = append(f.starts, in)
	case EventInput:
		f.events = append(f.events, in)
		f.types = append(f.types, wf)
	}
	f.ids = append(f.ids, o.ID)
	return fakeRun{id: o.ID}, nil
}

// routeWith makes the fake route each handed event through r at once, as its workflow's
// activity would, and fails the test if one fails: the delivery's answer no longer says so.
func (f *fakeTemporal) routeWith(t *testing.T, r *Receiver) {
	f.route = r.RouteSellsyEvent
	t.Cleanup(func() {
		f.mu.Lock()
		defer f.mu.Unlock()
		assert.Empty(t, f.routeErrs, "every event handed over was routed")
	})
}

// shopConnection is the Sellsy ⇄ Automation connection the receiver tests deliver to, its
// webhook secret, push token and Sellsy token set in the environment.
func shopConnection(t testing.TB) *config.Connection {
	t.Setenv("SHOP_MAUTIC_WEBHOOK_SECRET", "whsec-123")
	t.Setenv("SHOP_PUSH_TOKEN", "tok-456")
	t.Setenv("SHOP_SELLSY_TOKEN", "sel-789")
	return &config.Connection{Name: "shop",
		A:       config.System{System: "sellsy", Credentials: map[string]string{CredWebhookToken: "SHOP_SELLSY_TOKEN"}},
		B:       config.System{System: "mautic", Credentials: map[string]string{CredWebhookSecret: "SHOP_MAUTIC_WEBHOOK_SECRET", CredPushToken: "SHOP_PUSH_TOKEN"}},
		Objects: []config.Object{{Name: "company", Fields: []config.Field{{A: "name", B: "companyname"}}}, {Name: "contact", Fields: []config.Field{{A: "email", B: "email"}}}}}
}

func newReceiver(t *testing.T, f *fakeTemporal) (*httptest.Server, *bytes.Buffer) {
	var logs bytes.Buffer
	r := New(f, "crmsync", []*config.Connection{shopConnection(t)}, slog.New(slog.NewTextHandler(&logs, nil)))
	srv := httptest.NewServer(r.Handler())
	t.Cleanup(srv.Close)
	return srv, &logs
}

// fakeRun is the run handle a start returns.
type fakeRun struct {
	client.WorkflowRun
	id string
}

func (r fakeRun) GetID() string    { return r.id }
func (r fakeRun) GetRunID() string { return "run-1" }

// notif is a Sellsy webhook delivery: the form field notif holding the event's JSON.
func notif(event, typ, id string) string {
	return "notif=" + url.QueryEscape(`{"event":"`+event+`","relatedtype":"`+typ+`","relatedid":"`+id+`","timestamp":"1764000000"}`)
}

// bareNotif is a delivery with only the keys the reference confirms: no timestamp.
func bareNotif(event, typ, id string) string {
	return "notif=" + url.QueryEscape(`{"event":"`+event+`","relatedtype":"`+typ+`","relatedid":"`+id+`"}`)
}

func sign(body, secret string) string { return simkit.SignHMAC([]byte(body), secret) }

func post(t *testing.T, url, contentType, body string, header map[string]string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", contentType)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

const updateDelivery = `{"mautic.lead_post_save_update":[{"contact":{"id":17,"fields":{}},"timestamp":"2026-11-25T10:00:00+00:00"}]}`

const deleteDelivery = `{"mautic.lead_post_delete":[{"id":17,"contact":{"id":17,"fields":{}},"timestamp":"2026-11-25T10:00:00+00:00"},{"id":18,"contact":{"id":18},"timestamp":"2026-11-25T10:00:01+00:00"}]}`

func TestMauticWebhook(t *testing.T) {
	tests := []struct {
		name      string
		body      string
		signature string
		status    int
		signals   int
		synced    []EventSignal // sync-now to the connection's IncrementalSync
		log       string
		// toAutomationOnly: every field goes from Sellsy to Automation, nothing back.
		toAutomationOnly bool
	}{
		{name: "signed deletion", body: deleteDelivery, signature: sign(deleteDelivery, "whsec-123"), status: 200, signals: 1},
		{name: "a contact saved", body: updateDelivery, signature: sign(updateDelivery, "whsec-123"), status: 200,
			synced: []EventSignal{{Event: "mautic.lead_post_save_update"}}},
		{name: "a company saved", body: `{"mautic.company_post_save":[{"company":{"id":3}}]}`, signature: sign(`{"mautic.company_post_save":[{"company":{"id":3}}]}`, "whsec-123"), status: 200,
			synced: []EventSignal{{Event: "mautic.company_post_save"}}},
		{name: "a consent changed", body: `{"mautic.lead_channel_subscription_changed":[{"contact":{"id":17},"channel":"email"}]}`,
			signature: sign(`{"mautic.lead_channel_subscription_changed":[{"contact":{"id":17},"channel":"email"}]}`, "whsec-123"), status: 200,
			synced: []EventSignal{{Event: "mautic.lead_channel_subscription_changed"}}},
		{name: "a deletion and a save", body: `{"mautic.lead_post_delete":[{"id":17}],"mautic.lead_post_save_update":[{"contact":{"id":18}}]}`,
			signature: sign(`{"mautic.lead_post_delete":[{"id":17}],"mautic.lead_post_save_update":[{"contact":{"id":18}}]}`, "whsec-123"), status: 200,
			signals: 1, synced: []EventSignal{{Event: "mautic.lead_post_save_update"}}},
		{name: "a save, unsigned", body: updateDelivery, status: 401, log: "bad signature"},
		{name: "a save, on a connection one way to Automation", body: updateDelivery, signature: sign(updateDelivery, "whsec-123"), toAutomationOnly: true, status: 200},
		{name: "wrong secret", body: deleteDelivery, signature: sign(deleteDelivery, "guess"), status: 401, log: "bad signature"},
		{name: "tampered body", body: strings.Replace(deleteDelivery, "17", "99", 2), signature: sign(deleteDelivery, "whsec-123"), status: 401, log: "bad signature"},
		{name: "no signature", body: deleteDelivery, status: 401, log: "bad signature"},
		{name: "unrelated event", body: `{"mautic.email_on_open":[{"id":1}]}`, signature: sign(`{"mautic.email_on_open":[{"id":1}]}`, "whsec-123"), status: 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeTemporal{}
			conn := shopConnection(t)
			if tt.toAutomationOnly {
				for i := range conn.Objects {
					for j := range conn.Objects[i].Fields {
						conn.Objects[i].Fields[j].Direction = config.AToB
					}
				}
			}
			var logs bytes.Buffer
			srv := httptest.NewServer(New(f, "crmsync", []*config.Connection{conn}, slog.New(slog.NewTextHandler(&logs, nil))).Handler())
			t.Cleanup(srv.Close)
			status, _ := post(t, srv.URL+"/webhooks/shop/mautic", "application/json", tt.body, map[string]string{"Webhook-Signature": tt.signature})
			assert.Equal(t, tt.status, status)
			require.Len(t, f.signals, tt.signals)
			if tt.signals > 0 && tt.synced == nil {
				assert.Equal(t, workflows.DeletedRequest{Object: "contact", Side: "b", IDs: []string{"17", "18"}}, f.signals[0])
			}
			assert.Equal(t, tt.synced, f.synced)
			assert.Contains(t, logs.String(), tt.log)
			assert.NotContains(t, logs.String(), "whsec-123")
		})
	}
}

func TestMauticWebhookIgnoresRedeliveries(t *testing.T) {
	f := &fakeTemporal{}
	srv, _ := newReceiver(t, f)
	for range 3 {
		status, _ := post(t, srv.URL+"/webhooks/shop/mautic", "application/json", deleteDelivery, map[string]string{"Webhook-Signature": sign(deleteDelivery, "whsec-123")})
		assert.Equal(t, 200, status)
	}
	assert.Len(t, f.signals, 1)
}

// Two connections on one Automation instance each get its deliveries: one delivery does not
// hide the other's as a duplicate.
func TestMauticWebhookReachesEveryConnection(t *testing.T) {
	f := &fakeTemporal{}
	shop := shopConnection(t)
	other := *shop
	other.Name = "shop2"
	var logs bytes.Buffer
	srv := httptest.NewServer(New(f, "crmsync", []*config.Connection{shop, &other}, slog.New(slog.NewTextHandler(&logs, nil))).Handler())
	t.Cleanup(srv.Close)
	for _, name := range []string{"shop", "shop2", "shop2"} {
		status, _ := post(t, srv.URL+"/webhooks/"+name+"/mautic", "application/json", deleteDelivery, map[string]string{"Webhook-Signature": sign(deleteDelivery, "whsec-123")})
		assert.Equal(t, 200, status)
	}
	assert.Equal(t, []string{"shop/incremental-sync", "shop2/incremental-sync"}, f.deletedTo, "each connection once")
}

func TestMauticWebhookWithoutRunningSync(t *testing.T) {
	f := &fakeTemporal{noSync: true}
	srv, logs := newReceiver(t, f)
	status, _ := post(t, srv.URL+"/webhooks/shop/mautic", "application/json", deleteDelivery, map[string]string{"Webhook-Signature": sign(deleteDelivery, "whsec-123")})
	assert.Equal(t, 200, status, "accepted: the reconciliation finds these deletions later")
	assert.Contains(t, logs.String(), "no incremental sync runs")
}

func TestPush(t *testing.T) {
	tests := []struct {
		name   string
		path   string
		ctype  string
		body   string
		status int
		id     string
		answer string
	}{
		{name: "query id", path: "/push/shop/tok-456?id=42", ctype: "text/plain", status: 200, id: "42"},

		{name: "form contact[id]", path: "/push/shop/tok-456", ctype: "application/x-www-form-urlencoded", body: "contact%5Bid%5D=43&email=x%40example.com", status: 200, id: "43"},
		{name: "json contact.id", path: "/push/shop/tok-456", ctype: "application/json", body: `{"contact":{"id":44}}`, status: 200, id: "44"},
		{name: "json id", path: "/push/shop/tok-456", ctype: "application/json", body: `{"id":"45"}`, status: 200, id: "45"},
		// Automation's own webhook sends ids as JSON numbers: a million or more must not turn into 1.234567e+06.
		{name: "json contact.id of a million", path: "/push/shop/tok-456", ctype: "application/json", body: `{"contact":{"id":1234567}}`, status: 200, id: "1234567"},
		{name: "json id of a million", path: "/push/shop/tok-456", ctype: "application/json", body: `{"id":1234567}`, status: 200, id: "1234567"},
		{name: "json contact_id beyond float precision", path: "/push/shop/tok-456", ctype: "application/json", body: `{"contact_id":9007199254740993}`, status: 200, id: "9007199254740993"},
		{name: "json id written as a whole float", path: "/push/shop/tok-456", ctype: "application/json", body: `{"id":1.234567e6}`, status: 200, id: "1234567"},
		{name: "json id not whole", path: "/push/shop/tok-456", ctype: "application/json", body: `{"id":12.5}`, status: 400, answer: "is not a number"},
		{name: "json id negative", path: "/push/shop/tok-456", ctype: "application/json", body: `{"id":-3}`, status: 400, answer: "is not a number"},
		{name: "json with trailing data", path: "/push/shop/tok-456", ctype: "application/json", body: `{"id":46} x`, status: 400, answer: "not valid JSON"},
		{name: "bad token", path: "/push/shop/nope?id=42", ctype: "text/plain", status: 404, answer: "unknown push URL"},
		{name: "unknown connection", path: "/push/other/tok-456?id=42", ctype: "text/plain", status: 404},
		{name: "no id", path: "/push/shop/tok-456", ctype: "application/json", body: `{"email":"x@example.com"}`, status: 400, answer: "no contact id"},
		{name: "id not a number", path: "/push/shop/tok-456?id=12abc", ctype: "text/plain", status: 400, answer: "is not a number"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeTemporal{}
			srv, _ := newReceiver(t, f)
			status, answer := post(t, srv.URL+tt.path, tt.ctype, tt.body, nil)
			assert.Equal(t, tt.status, status)
			assert.Contains(t, answer, tt.answer)
			if tt.id == "" {
				assert.Empty(t, f.starts)
				return
			}
			require.Len(t, f.starts, 1)
			assert.Equal(t, activities.PushInput{Connection: "shop", Object: "contact", Side: "b", ID: tt.id}, f.starts[0])
			assert.Equal(t, "shop/push/contact/b-"+tt.id, f.ids[0])
			assert.Contains(t, answer, `"workflow_id":"shop/push/contact/b-`+tt.id)
		})
	}
}

func TestSellsyWebhook(t *testing.T) {
	tests := []struct {
		name   string
		path   string
		body   string
		status int
		staged [][]string
	}{
		{name: "an opportunity moved", path: "/webhooks/shop/sellsy/sel-789", body: notif("updated", "opportunity", "77"), status: 200, staged: [][]string{{"77"}}},
		{name: "a company event is not a stage change", path: "/webhooks/shop/sellsy/sel-789", body: notif("updated", "client", "5"), status: 200},
		{name: "the ping", path: "/webhooks/shop/sellsy/sel-789", body: "", status: 200},
		{name: "wrong token", path: "/webhooks/shop/sellsy/guess", body: notif("updated", "opportunity", "77"), status: 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeTemporal{}
			srv, _ := newReceiver(t, f)
			status, _ := post(t, srv.URL+tt.path, "application/x-www-form-urlencoded", tt.body, nil)
			assert.Equal(t, tt.status, status)
			assert.Equal(t, tt.staged, f.staged)
		})
	}
}

// fakeSellsy answers Get with the records it holds, counting the ids asked for in reads
// when it is set.
type fakeSellsy struct {
	connectors.Connector
	recs  map[string]connectors.Record
	reads *atomic.Int64
}

func (f fakeSellsy) Get(_ context.Context, _ string, ids []string) ([]connectors.Record, error) {
	if f.reads != nil {
		f.reads.Add(int64(len(ids)))
	}
	var out []connectors.Record
	for _, id := range ids {
		if r, ok := f.recs[id]; ok {
			out = append(out, r)
		}
	}
	return out, nil
}

func TestSellsyEventRoutes(t *testing.T) {
	conn := shopConnection(t)
	conn.Events = []config.EventRoute{
		{Object: "opportunity", Event: "created", Start: &config.StartRoute{Workflow: "OnNewDeal", TaskQueue: "sales"}},
		{Object: "company", Signal: &config.SignalRoute{WorkflowID: "{connection}/incremental-sync", Name: workflows.SignalSyncNow}},
		{Object: "contact", Signal: watchSignal},
	}
	f := &fakeTemporal{}
	r := New(f, "crmsync", []*config.Connection{conn}, slog.New(slog.NewTextHandler(io.Discard, nil))).
		WithConnectors(func(string) (connectors.Connector, connectors.Connector, error) {
			return fakeSellsy{recs: map[string]connectors.Record{"77": {ID: "77", Fields: map[string]any{"name": "Projet"}}, "5": {ID: "5", Fields: map[string]any{"name": "ACME"}}, "8": {ID: "8", Fields: map[string]any{"email": "ana@acme.test"}}}}, nil, nil
		})
	f.routeWith(t, r)
	srv := httptest.NewServer(r.Handler())
	t.Cleanup(srv.Close)
	for _, body := range []string{
		notif("created", "opportunity", "77"),  // starts OnNewDeal with the record read back
		notif("created", "opportunity", "77"),  // the same delivery again: nothing more
		notif("created", "opportunity", "666"), // forged: no such record, nothing started
		notif("updated", "opportunity", "77"),  // no route for updates
		notif("updated", "client", "5"),        // asks the incremental sync to run now
		notif("updated", "contact", "8"),       // signals the user's workflow with what was read
	} {
		status, _ := post(t, srv.URL+"/webhooks/shop/sellsy/sel-789", "application/x-www-form-urlencoded", body, nil)
		assert.Equal(t, 200, status)
	}
	require.Len(t, f.events, 1)
	assert.Equal(t, EventInput{Connection: "shop", Object: "opportunity", Event: "created", ID: "77", Fields: map[string]any{"name": "Projet"}}, f.events[0])
	assert.Equal(t, "OnNewDeal", f.types[0])
	assert.Equal(t, []EventSignal{{Object: "company", Event: "updated", ID: "5"}}, f.synced)
	assert.Equal(t, []EventSignal{{Object: "contact", Event: "updated", ID: "8", State: StateExists, Digest: recordDigest(&connectors.Record{ID: "8", Fields: map[string]any{"email": "ana@acme.test"}}, nil)}}, f.nudged)
}

// watchSignal is a signal route to a workflow of the user's, which gets the record's state as
// read back (a sync-now to crmsync's own sync reads nothing: TestSellsySyncNowReadsNothing).
var watchSignal = &config.SignalRoute{WorkflowID: "{connection}/watch", Name: "record-changed"}

// A route asking crmsync's own sync for sync-now is sent when the delivery comes, without a
// read back and without the record's SellsyEvents workflow: the sync reads what changed
// itself, so a read per event only spent the Sellsy quota (5 calls a second) and delayed the
// pass. Whatever the record's state, the sync is asked (a forged event costs a pass that finds
// nothing), once per delivery; an id that is none asks nothing, a sync that does not run is
// logged and the delivery answered, and Temporal unreachable answers 503 for Sellsy to retry.
func TestSellsySyncNowReadsNothing(t *testing.T) {
	syncNow := config.EventRoute{Object: "company", Signal: &config.SignalRoute{WorkflowID: "{connection}/incremental-sync", Name: workflows.SignalSyncNow}}
	tests := []struct {
		name   string
		routes []config.EventRoute
		body   string
		noSync bool  // the sync does not run
		fail   error // Temporal's answer to every call
		status int
		synced []EventSignal
		reads  int64
		handed int
	}{
		{name: "a record that exists", routes: []config.EventRoute{syncNow}, body: bareNotif("updated", "client", "5"), status: 200,
			synced: []EventSignal{{Object: "company", Event: "updated", ID: "5"}}},
		{name: "no such record (forged)", routes: []config.EventRoute{syncNow}, body: bareNotif("updated", "client", "666"), status: 200,
			synced: []EventSignal{{Object: "company", Event: "updated", ID: "666"}}},
		{name: "a deletion", routes: []config.EventRoute{syncNow}, body: bareNotif("deleted", "client", "9"), status: 200,
			synced: []EventSignal{{Object: "company", Event: "deleted", ID: "9"}}},
		{name: "the id as Sellsy reads it", routes: []config.EventRoute{syncNow}, body: bareNotif("updated", "client", "+05"), status: 200,
			synced: []EventSignal{{Object: "company", Event: "updated", ID: "5"}}},
		{name: "two routes to the sync, one signal", routes: []config.EventRoute{syncNow, {Object: "company", Event: "updated", Signal: syncNow.Signal}}, body: bareNotif("updated", "client", "5"), status: 200,
			synced: []EventSignal{{Object: "company", Event: "updated", ID: "5"}}},
		{name: "no Sellsy id", routes: []config.EventRoute{syncNow}, body: bareNotif("updated", "client", "abc"), status: 200},
		{name: "beside a route that reads back", routes: []config.EventRoute{syncNow, {Object: "company", Signal: watchSignal}}, body: bareNotif("updated", "client", "5"), status: 200,
			synced: []EventSignal{{Object: "company", Event: "updated", ID: "5"}}, reads: 1, handed: 1},
		{name: "the sync does not run", routes: []config.EventRoute{syncNow}, body: bareNotif("updated", "client", "5"), noSync: true, status: 200},
		{name: "Temporal unreachable", routes: []config.EventRoute{syncNow}, body: bareNotif("updated", "client", "5"), fail: serviceerror.NewUnavailable("frontend down"), status: 503},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeTemporal{noSync: tt.noSync, fail: tt.fail}
			var reads atomic.Int64
			acme := map[string]connectors.Record{"5": {ID: "5", Fields: map[string]any{"name": "ACME"}}}
			url := sellsyReceiver(t, f, fakeSellsy{recs: acme, reads: &reads}, simkit.NewClock(time.Now()), tt.routes...)
			status, _ := post(t, url, "application/x-www-form-urlencoded", tt.body, nil)
			assert.Equal(t, tt.status, status)
			assert.Equal(t, tt.synced, f.synced)
			assert.Equal(t, tt.reads, reads.Load(), "records read back")
			assert.Len(t, f.handed, tt.handed, "events handed to SellsyEvents workflows")
		})
	}
}

// Sellsy pings a webhook's URL with GET: the right token answers 200, anything else 404.
func TestSellsyPing(t *testing.T) {
	tests := []struct {
		name, path string
		status     int
	}{
		{"right token", "/webhooks/shop/sellsy/sel-789", 200},
		{"wrong token", "/webhooks/shop/sellsy/guess", 404},
		{"unknown connection", "/webhooks/other/sellsy/sel-789", 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, _ := newReceiver(t, &fakeTemporal{})
			resp, err := http.Get(srv.URL + tt.path)
			require.NoError(t, err)
			resp.Body.Close()
			assert.Equal(t, tt.status, resp.StatusCode)
		})
	}
}

// sellsyRoutes returns a receiver for the shop connection with these routes, reading back
// recs, its duplicates remembered on clock.
func sellsyRoutes(t *testing.T, f *fakeTemporal, recs map[string]connectors.Record, clock *simkit.Clock, routes ...config.EventRoute) string {
	return sellsyReceiver(t, f, fakeSellsy{recs: recs}, clock, routes...)
}

// sellsyReceiver is sellsyRoutes reading the records back through c.
func sellsyReceiver(t *testing.T, f *fakeTemporal, c connectors.Connector, clock *simkit.Clock, routes ...config.EventRoute) string {
	conn := shopConnection(t)
	conn.Events = routes
	r := New(f, "crmsync", []*config.Connection{conn}, slog.New(slog.NewTextHandler(io.Discard, nil))).
		WithConnectors(func(string) (connectors.Connector, connectors.Connector, error) {
			return c, nil, nil
		})
	r.seen = newSeenSet(100, DedupWindow, clock.Now)
	f.routeWith(t, r)
	srv := httptest.NewServer(r.Handler())
	t.Cleanup(srv.Close)
	return srv.URL + "/webhooks/shop/sellsy/sel-789"
}

// A redelivery is ignored — the same notification finding the record as an earlier one did
// (the start's workflow id, the signal's remembered key) — while every change is acted on: a
// different event on the record, or the same event once the record changed, however soon
// after (it used to be dropped for 5 minutes when its body was the same), and with timestamps
// even within one second (it used to collide on the second).
func TestSellsyDeliveries(t *testing.T) {
	type step struct {
		body    string
		advance time.Duration     // the clock moves first
		names   map[string]string // record id → its name in Sellsy from then on
	}
	deal := config.EventRoute{Object: "opportunity", Start: &config.StartRoute{Workflow: "OnDeal"}}
	nudge := config.EventRoute{Object: "company", Signal: watchSignal}
	upd, cli := bareNotif("updated", "opportunity", "77"), bareNotif("updated", "client", "5")
	signed := map[string]string{"77": "Projet signé"}
	tests := []struct {
		name    string
		steps   []step
		started []string // the events started, as event/name
		nudged  int
		staged  int // signals to PipelineSync, which hears of every delivery (it reads back and emits only moves)
	}{
		{name: "delivered twice", steps: []step{{body: upd}, {body: upd}}, started: []string{"updated/Projet"}, staged: 2},
		{name: "then another event on the record", steps: []step{{body: upd}, {body: upd}, {body: bareNotif("created", "opportunity", "77")}},
			started: []string{"updated/Projet", "created/Projet"}, staged: 3},
		{name: "the same event later, the record changed", steps: []step{{body: upd}, {body: upd, advance: DedupWindow, names: signed}},
			started: []string{"updated/Projet", "updated/Projet signé"}},
		{name: "redelivered later, the record unchanged", steps: []step{{body: upd}, {body: upd, advance: DedupWindow}}, started: []string{"updated/Projet"}},
		{name: "the record changed again within the window", steps: []step{{body: upd}, {body: upd, advance: time.Minute, names: signed}},
			started: []string{"updated/Projet", "updated/Projet signé"}},
		{name: "the record changed again at once", steps: []step{{body: upd}, {body: upd, names: signed}},
			started: []string{"updated/Projet", "updated/Projet signé"}},
		{name: "timestamped, redelivered", steps: []step{{body: notif("updated", "opportunity", "77")}, {body: notif("updated", "opportunity", "77")}},
			started: []string{"updated/Projet"}},
		{name: "timestamped, changed twice in one second", steps: []step{{body: notif("updated", "opportunity", "77")}, {body: notif("updated", "opportunity", "77"), names: signed}},
			started: []string{"updated/Projet", "updated/Projet signé"}},
		{name: "signal route redelivered", steps: []step{{body: cli}, {body: cli}}, nudged: 1},
		{name: "signal route after the window", steps: []step{{body: cli}, {body: cli, advance: DedupWindow}}, nudged: 2},
		{name: "signal route, the record changed within the window", steps: []step{{body: cli}, {body: cli, advance: time.Minute, names: map[string]string{"5": "ACME SA"}}}, nudged: 2},
		{name: "timestamped signal redelivered", steps: []step{{body: notif("updated", "client", "5")}, {body: notif("updated", "client", "5")}}, nudged: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeTemporal{}
			clock := simkit.NewClock(time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC))
			recs := map[string]connectors.Record{"77": {ID: "77", Fields: map[string]any{"name": "Projet"}}, "5": {ID: "5", Fields: map[string]any{"name": "ACME"}}}
			url := sellsyRoutes(t, f, recs, clock, deal, nudge)
			for _, s := range tt.steps {
				clock.Advance(s.advance)
				for id, name := range s.names {
					recs[id] = connectors.Record{ID: id, Fields: map[string]any{"name": name}}
				}
				status, _ := post(t, url, "application/x-www-form-urlencoded", s.body, nil)
				assert.Equal(t, 200, status)
			}
			var started []string
			for _, e := range f.events {
				started = append(started, e.Event+"/"+e.Fields["name"].(string))
			}
			assert.Equal(t, tt.started, started)
			assert.Len(t, f.nudged, tt.nudged)
			if tt.staged > 0 {
				assert.Len(t, f.staged, tt.staged)
			}
			for _, id := range f.ids {
				assert.NotContains(t, id, "-0", "no id from a zero time")
				assert.NotContains(t, id, "-"+strconv.FormatInt(time.Time{}.Unix(), 10))
			}
		})
	}
}

// A signal route reads the record back as a start route does: an event on a record that does
// not exist, or a deletion announced for one that does, signals nothing (both were signalled
// as announced), and the signal carries what the read found.
func TestSellsySignalRoutesReadBack(t *testing.T) {
	acme := connectors.Record{ID: "5", Fields: map[string]any{"name": "ACME"}}
	tests := []struct {
		name   string
		body   string
		nudged []EventSignal
	}{
		{name: "the record exists", body: bareNotif("updated", "client", "5"),
			nudged: []EventSignal{{Object: "company", Event: "updated", ID: "5", State: StateExists, Digest: recordDigest(&acme, nil)}}},
		{name: "no such record: forged", body: bareNotif("updated", "client", "666")},
		{name: "deletion of a record that exists: forged", body: bareNotif("deleted", "client", "5")},
		{name: "deletion confirmed", body: bareNotif("deleted", "client", "9"),
			nudged: []EventSignal{{Object: "company", Event: "deleted", ID: "9", State: StateGone}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeTemporal{}
			url := sellsyRoutes(t, f, map[string]connectors.Record{"5": acme}, simkit.NewClock(time.Now()),
				config.EventRoute{Object: "company", Signal: watchSignal})
			status, _ := post(t, url, "application/x-www-form-urlencoded", tt.body, nil)
			assert.Equal(t, 200, status)
			assert.Equal(t, tt.nudged, f.nudged)
		})
	}
}

// Every start route an event matches starts its workflow: two routes on one event used to
// share the workflow id, and the second was rejected as a duplicate.
func TestSellsyEventStartsEveryRoute(t *testing.T) {
	tests := []struct {
		name      string
		workflows []string
	}{
		{name: "one route", workflows: []string{"OnDeal"}},
		{name: "two workflows on one event", workflows: []string{"OnDeal", "NotifySales"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var routes []config.EventRoute
			for _, wf := range tt.workflows {
				routes = append(routes, config.EventRoute{Object: "opportunity", Start: &config.StartRoute{Workflow: wf}})
			}
			f := &fakeTemporal{}
			url := sellsyRoutes(t, f, map[string]connectors.Record{"77": {ID: "77", Fields: map[string]any{"name": "Projet"}}}, simkit.NewClock(time.Now()), routes...)
			status, _ := post(t, url, "application/x-www-form-urlencoded", bareNotif("updated", "opportunity", "77"), nil)
			assert.Equal(t, 200, status)
			var types []string
			for _, wf := range f.types {
				types = append(types, wf.(string))
			}
			assert.Equal(t, tt.workflows, types)
		})
	}
}

// A delivery that could not be handed to Temporal is not remembered: Sellsy's next attempt
// is acted on.
func TestSellsyDeliveryRetriedAfterFailure(t *testing.T) {
	f := &fakeTemporal{fail: serviceerror.NewUnavailable("frontend down")}
	clock := simkit.NewClock(time.Now())
	acme := map[string]connectors.Record{"5": {ID: "5", Fields: map[string]any{"name": "ACME"}}}
	url := sellsyRoutes(t, f, acme, clock, config.EventRoute{Object: "company", Signal: watchSignal})
	status, _ := post(t, url, "application/x-www-form-urlencoded", bareNotif("updated", "client", "5"), nil)
	assert.Equal(t, 503, status)
	f.fail = nil
	status, _ = post(t, url, "application/x-www-form-urlencoded", bareNotif("updated", "client", "5"), nil)
	assert.Equal(t, 200, status)
	require.Len(t, f.nudged, 1)
	assert.Equal(t, "5", f.nudged[0].ID)
}

// A deletion starts its workflow with the id and the object once the record is confirmed
// gone; a deletion announced for a record that exists is forged and starts nothing. Sellsy
// answers an id that never existed as it answers a deleted one (404), so the receiver takes
// both as gone: the workflow gets only the id, nothing it could act on wrongly.
func TestSellsyDeletedEvent(t *testing.T) {
	tests := []struct {
		name  string
		id    string
		start []EventInput
	}{
		{name: "gone (or never existed: Sellsy cannot tell)", id: "666", start: []EventInput{{Connection: "shop", Object: "opportunity", Event: "deleted", ID: "666"}}},
		{name: "still there: forged", id: "77"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeTemporal{}
			url := sellsyRoutes(t, f, map[string]connectors.Record{"77": {ID: "77", Fields: map[string]any{"name": "Projet"}}}, simkit.NewClock(time.Now()),
				config.EventRoute{Object: "opportunity", Event: "deleted", Start: &config.StartRoute{Workflow: "OnDealDeleted"}})
			status, _ := post(t, url, "application/x-www-form-urlencoded", bareNotif("deleted", "opportunity", tt.id), nil)
			assert.Equal(t, 200, status)
			assert.Equal(t, tt.start, f.events)
		})
	}
}

func TestEventWorkflowID(t *testing.T) {
	rec := &connectors.Record{ID: "77", Fields: map[string]any{"name": "Projet", "amount": 10.0}}
	same := &connectors.Record{ID: "77", Fields: map[string]any{"amount": 10.0, "name": "Projet"}}
	changed := &connectors.Record{ID: "77", Fields: map[string]any{"name": "Projet", "amount": 20.0}}
	ev := sellsy.WebhookEvent{Type: "updated", Object: "opportunity", ObjectID: "77", Digest: "d1"}
	timed := ev
	timed.At = time.Unix(1764000000, 0)
	id := func(e sellsy.WebhookEvent, r *connectors.Record) string {
		return eventWorkflowID("shop", "OnDeal", e, recordDigest(r, nil))
	}
	later := *rec
	later.UpdatedAt = time.Unix(1764000060, 0) // A→B→A: the same fields, a later update time
	rawID := func(raw string) string { return eventWorkflowID("shop", "OnDeal", ev, recordDigest(rec, []byte(raw))) }
	tests := []struct {
		name   string
		a, b   string
		sameID bool
	}{
		{"timestamped, redelivered", id(timed, rec), id(timed, same), true},
		{"timestamped, record changed within the second", id(timed, rec), id(timed, changed), false},
		{"no timestamp, record unchanged", id(ev, rec), id(ev, same), true},
		{"no timestamp, record changed", id(ev, rec), id(ev, changed), false},
		{"no timestamp, another notification", id(ev, nil), id(sellsy.WebhookEvent{Type: "updated", Object: "opportunity", ObjectID: "77", Digest: "d2"}, nil), false},
		{"another workflow", id(ev, rec), eventWorkflowID("shop", "NotifySales", ev, recordDigest(rec, nil)), false},
		{"no timestamp, the same fields updated again", id(ev, rec), id(ev, &later), false},
		{"no timestamp, a change beyond the mapped fields", rawID(`{"id":77,"source":{"id":1}}`), rawID(`{"id":77,"source":{"id":2}}`), false},
		{"no timestamp, the same answer again", rawID(`{"id":77,"source":{"id":1}}`), rawID(`{"id": 77, "source": {"id": 1}}`), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Regexp(t, `^shop/sellsy/(OnDeal|NotifySales)/opportunity-updated-77-(1764000000-)?h[0-9a-f]{16}$`, tt.a)
			if tt.sameID {
				assert.Equal(t, tt.b, tt.a)
			} else {
				assert.NotEqual(t, tt.b, tt.a)
			}
		})
	}
}

// The simulator pings the URL it is given with GET, as Sellsy does: the receiver answers 200
// (it answered 405 when only POST was routed).
func TestSellsySimulatorPing(t *testing.T) {
	h := New(&fakeTemporal{}, "crmsync", []*config.Connection{shopConnection(t)}, slog.New(slog.NewTextHandler(io.Discard, nil))).Handler()
	type answer struct {
		method string
		status int
	}
	answers := make(chan answer, 10)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		answers <- answer{req.Method, rec.Code}
		w.WriteHeader(rec.Code)
	}))
	t.Cleanup(srv.Close)
	sl := sellsysim.New(sellsysim.Options{ClientID: "id", ClientSecret: "secret"})
	sl.SetWebhook(srv.URL + "/webhooks/shop/sellsy/sel-789")
	next := func() answer {
		select {
		case a := <-answers:
			return a
		case <-time.After(5 * time.Second):
			t.Fatal("nothing delivered")
			return answer{}
		}
	}
	assert.Equal(t, answer{http.MethodGet, 200}, next())
}
