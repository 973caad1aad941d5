package recordactions

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/testsuite"

	"github.com/crmsync/crmsync/actions"
	"github.com/crmsync/crmsync/actions/actiontest"
	"github.com/crmsync/crmsync/activities"
	"github.com/crmsync/crmsync/config"
	"github.com/crmsync/crmsync/connectors/simkit"
	"github.com/crmsync/crmsync/sandbox"
)

type harness struct {
	t     *testing.T
	sb    *sandbox.Sandbox
	env   *testsuite.TestActivityEnvironment
	names []string
	// gate, when set, sees every Automation request on its way to the simulator and answers
	// it with the status it returns instead (0: passes it on; a negative status: passes it on,
	// then answers with that status, the answer lost).
	gate atomic.Pointer[func(*http.Request) int]
}

// newHarness starts the sandbox (Sellsy, Automation, UNAS, MiniCRM) and registers the
// activities of the connections given as YAML templates (%[1]s Sellsy, %[2]s Automation,
// %[3]s UNAS, %[4]s MiniCRM).
func newHarness(t *testing.T, files ...string) *harness {
	t.Helper()
	sb, err := sandbox.Start(sandbox.Options{SellsyClientID: "id", SellsyClientSecret: "secret", SellsyRequestsPerSecond: -1,
		MauticUsername: "u", MauticPassword: "p", MauticFirst: 0, MauticContacts: 3,
		UNASAddr: "127.0.0.1:0", UNASAPIKey: "uk", UNASOrders: 4,
		MiniCRMAddr: "127.0.0.1:0", MiniCRMSystemID: "7", MiniCRMAPIKey: "mk", MiniCRMRequestsPerMinute: -1})
	require.NoError(t, err)
	t.Cleanup(func() { _ = sb.Close() })
	for k, v := range map[string]string{"RA_SELLSY_ID": "id", "RA_SELLSY_SECRET": "secret", "RA_USER": "u", "RA_PASSWORD": "p",
		"RA_UNAS": "uk", "RA_MINICRM_ID": "7", "RA_MINICRM_KEY": "mk"} {
		t.Setenv(k, v)
	}
	h := &harness{t: t, sb: sb}
	target, err := url.Parse(sb.MauticURL)
	require.NoError(t, err)
	proxy := httputil.NewSingleHostReverseProxy(target)
	mautic := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if g := h.gate.Load(); g != nil {
			if status := (*g)(r); status != 0 {
				if status < 0 {
					status = -status
					proxy.ServeHTTP(httptest.NewRecorder(), r)
				}
				http.Error(w, `{"errors":[{"message":"refused","code":`+fmt.Sprint(status)+`}]}`, status)
				return
			}
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(mautic.Close)
	var conns []*config.Connection
	for i, f := range files {
		c, err := config.Parse(filepath.Join(t.TempDir(), fmt.Sprintf("c%d.yaml", i)), []byte(fmt.Sprintf(f, sb.SellsyURL, mautic.URL, sb.UNASURL, sb.MiniCRMURL)))
		require.NoError(t, err)
		conns = append(conns, c)
	}
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestActivityEnvironment()
	h.env, h.names = env, Register(env, activities.NewConnections(conns), conns)
	return h
}

const sellsyMautic = `name: sm%[5]s
a: {system: sellsy, settings: {api_url: %[1]s/v2, token_url: %[1]s/oauth2/access-tokens, requests_per_second: "1000"}, credentials: {client_id: RA_SELLSY_ID, client_secret: RA_SELLSY_SECRET}}
b: {system: mautic, settings: {base_url: %[2]s, requests_per_second: "1000"}, credentials: {username: RA_USER, password: RA_PASSWORD}}
objects: [{name: contact, match: {a: email, b: email}, fields: [{a: email, b: email}]}]
`

const unasMiniCRM = `name: um
a: {system: unas, settings: {base_url: %[3]s/shop}, credentials: {api_key: RA_UNAS}}
b: {system: minicrm, settings: {base_url: %[4]s, owner: "101", requests_per_second: "1000"}, credentials: {system_id: RA_MINICRM_ID, api_key: RA_MINICRM_KEY}}
direction: a_to_b
objects: [{name: order, b_object: "card:Orders", match: {a: order_ref, b: Text1203}, fields: [{a: order_ref, b: Text1203}]}]
`

func named(file, suffix string) string { return strings.ReplaceAll(file, "%[5]s", suffix) }

// run executes an activity by its registered name and decodes its output into out.
func (h *harness) run(name string, in, out any) error { return actiontest.Run(h.env, name, in, out) }

func TestNames(t *testing.T) {
	tests := []struct {
		system string
		want   []string
	}{
		{"mautic", []string{"Automation.Describe", "Automation.List", "Automation.Get", "Automation.Find", "Automation.Create", "Automation.Update", "Automation.Delete", "Automation.Call"}},
		{"weavy", []string{"Weavy.Describe", "Weavy.List", "Weavy.Get", "Weavy.Find", "Weavy.Create", "Weavy.Update", "Weavy.Delete", "Weavy.Call"}},
		{"unas", []string{"UNAS.Describe", "UNAS.List", "UNAS.Get", "UNAS.Find", "UNAS.Call"}},
		{"sellsy", []string{"Sellsy.Describe", "Sellsy.List", "Sellsy.Get", "Sellsy.Find"}},
	}
	for _, tc := range tests {
		t.Run(tc.system, func(t *testing.T) {
			assert.Equal(t, tc.want, Names(tc.system))
		})
	}
}

func TestRegistersTheLoadedSystems(t *testing.T) {
	h := newHarness(t, named(sellsyMautic, ""))
	assert.Contains(t, h.names, "Automation.Create")
	assert.Contains(t, h.names, "Sellsy.Get")
	assert.NotContains(t, h.names, "MiniCRM.Get", "no loaded connection has MiniCRM")
	assert.NotContains(t, h.names, "Sellsy.Create", "Sellsy's writes are its typed activities")
}

// Automation contacts end to end through the activities: create, find, get, update, list,
// describe, delete, and a record Automation refuses reported in its result.
func TestAutomationRecords(t *testing.T) {
	h := newHarness(t, named(sellsyMautic, ""))
	var created WriteOutput
	require.NoError(t, h.run("Automation.Create", WriteInput{Target: Target{Object: "contact"}, Records: []Record{
		{Fields: map[string]any{"email": "nina@example.com", "firstname": "Nina", "tags": []any{"vip", "2026"}}},
		{Fields: map[string]any{"email": "not-an-address", "firstname": "Bad"}},
	}}, &created))
	require.Len(t, created.Results, 2)
	assert.True(t, created.Results[0].Created)
	require.NotEmpty(t, created.Results[0].ID)
	assert.Equal(t, 1, created.Failed)
	assert.Equal(t, actions.ErrTypeInvalidRecord, created.Results[1].ErrorType, "%+v", created.Results[1])
	id := created.Results[0].ID

	var found RecordsOutput
	require.NoError(t, h.run("Automation.Find", FindInput{Target: Target{Object: "contact"}, Field: "email", Values: []string{"NINA@example.com"}}, &found))
	require.Len(t, found.Records, 1)
	assert.Equal(t, id, found.Records[0].ID)
	assert.Equal(t, "Nina", found.Records[0].Fields["firstname"])

	var updated WriteOutput
	require.NoError(t, h.run("Automation.Update", WriteInput{Target: Target{Object: "contact"}, Records: []Record{{ID: id, Fields: map[string]any{"firstname": "Nadia"}}}}, &updated))
	assert.Zero(t, updated.Failed)
	var got RecordsOutput
	require.NoError(t, h.run("Automation.Get", GetInput{Target: Target{Object: "contact"}, IDs: []string{id, "999999"}}, &got))
	require.Len(t, got.Records, 1, "an unknown id is left out")
	assert.Equal(t, "Nadia", got.Records[0].Fields["firstname"])
	assert.Equal(t, "nina@example.com", got.Records[0].Fields["email"])

	var page ListOutput
	require.NoError(t, h.run("Automation.List", ListInput{Target: Target{Object: "contact"}, Since: time.Now().Add(-time.Hour), Limit: 50}, &page))
	assert.GreaterOrEqual(t, len(page.Records), 1)
	assert.Contains(t, recordIDs(page.Records), id)

	var fields DescribeOutput
	require.NoError(t, h.run("Automation.Describe", DescribeInput{Target: Target{Object: "contact"}}, &fields))
	var names []string
	for _, f := range fields.Fields {
		names = append(names, f.Name)
	}
	assert.Contains(t, names, "email")

	var deleted WriteOutput
	require.NoError(t, h.run("Automation.Delete", DeleteInput{Target: Target{Object: "contact"}, IDs: []string{id}}, &deleted))
	assert.Zero(t, deleted.Failed)
	require.NoError(t, h.run("Automation.Get", GetInput{Target: Target{Object: "contact"}, IDs: []string{id}}, &got))
	assert.Empty(t, got.Records)
}

func recordIDs(rs []Record) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.ID)
	}
	return out
}

// Inputs refused before any call, and the errors of a refusing or rationing system.
func TestErrors(t *testing.T) {
	h := newHarness(t, named(sellsyMautic, ""), unasMiniCRM)
	tests := []struct {
		name     string
		activity string
		in       any
		wantType string
		wantMsg  string
	}{
		{"update without id", "Automation.Update", WriteInput{Target: Target{Object: "contact"}, Records: []Record{{Fields: map[string]any{"firstname": "X"}}}},
			actions.ErrTypeInvalidRecord, "records[0]: id is required"},
		{"create with an id", "Automation.Create", WriteInput{Target: Target{Object: "contact"}, Records: []Record{{ID: "4", Fields: map[string]any{"email": "a@b.c"}}}},
			actions.ErrTypeInvalidRecord, "has no id"},
		{"no object", "Automation.Get", GetInput{IDs: []string{"1"}}, actions.ErrTypeInvalidRecord, "object is required"},
		{"no field", "MiniCRM.Find", FindInput{Target: Target{Object: "person"}, Values: []string{"x"}}, actions.ErrTypeInvalidRecord, "field is required"},
		{"unknown object", "Automation.List", ListInput{Target: Target{Object: "dragons"}}, actions.ErrTypeConfiguration, "dragons"},
		{"unknown connection", "Automation.Get", GetInput{Target: Target{Connection: "nope", Object: "contact"}, IDs: []string{"1"}}, actions.ErrTypeConfiguration, "nope"},
		{"connection without the system", "Automation.Get", GetInput{Target: Target{Connection: "um", Object: "contact"}, IDs: []string{"1"}}, actions.ErrTypeConfiguration, `connection "um" has no mautic side`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out any
			ae := actiontest.AppErr(t, h.run(tc.activity, tc.in, &out))
			assert.Equal(t, tc.wantType, ae.Type())
			assert.Contains(t, ae.Error(), tc.wantMsg)
			assert.True(t, ae.NonRetryable())
		})
	}

	t.Run("rate limited", func(t *testing.T) {
		// Refused three times: a short wait is taken twice within the call (connectors.Retry).
		h.sb.Mautic.Kit().SetFaults(simkit.Faults{RateLimitNext: 3})
		defer h.sb.Mautic.Kit().SetFaults(simkit.Faults{})
		var out RecordsOutput
		ae := actiontest.AppErr(t, h.run("Automation.Get", GetInput{Target: Target{Object: "contact"}, IDs: []string{"1"}}, &out))
		assert.Equal(t, actions.ErrTypeRateLimited, ae.Type())
		assert.Positive(t, ae.NextRetryDelay())
	})
}

// Two connections on Automation: the activities ask which.
func TestSeveralConnectionsMustBeNamed(t *testing.T) {
	h := newHarness(t, named(sellsyMautic, "1"), named(sellsyMautic, "2"))
	var out RecordsOutput
	ae := actiontest.AppErr(t, h.run("Automation.Find", FindInput{Target: Target{Object: "contact"}, Field: "email", Values: []string{"x@example.com"}}, &out))
	assert.Equal(t, actions.ErrTypeConfiguration, ae.Type())
	assert.Contains(t, ae.Error(), "sm1, sm2")
	require.NoError(t, h.run("Automation.Find", FindInput{Target: Target{Connection: "sm2", Object: "contact"}, Field: "email", Values: []string{"x@example.com"}}, &out))
}

// Read-only UNAS: orders through List and Get, and any call (XML) through Call.
func TestUNASReadsAndCalls(t *testing.T) {
	h := newHarness(t, unasMiniCRM)
	var page ListOutput
	require.NoError(t, h.run("UNAS.List", ListInput{Target: Target{Object: "order"}}, &page))
	require.Len(t, page.Records, 4)
	var got RecordsOutput
	require.NoError(t, h.run("UNAS.Get", GetInput{Target: Target{Object: "order"}, IDs: []string{page.Records[0].ID}}, &got))
	require.Len(t, got.Records, 1)
	assert.Equal(t, page.Records[0].Fields["key"], got.Records[0].Fields["key"])

	body, _ := json.Marshal("<Params></Params>")
	var call CallOutput
	require.NoError(t, h.run("UNAS.Call", CallInput{Method: "POST", Path: "/getOrderStatus", Body: body}, &call))
	assert.Equal(t, 200, call.Status)
	var xml string
	require.NoError(t, json.Unmarshal(call.Body, &xml), "the XML answer as a JSON string")
	assert.Contains(t, xml, "<OrderStatuses>")

	var out any
	ae := actiontest.AppErr(t, h.run("UNAS.Call", CallInput{Method: "POST", Path: "/getOrderStatus", Body: json.RawMessage(`{"not": "a string"}`)}, &out))
	assert.Equal(t, actions.ErrTypeInvalidRecord, ae.Type())
}

// MiniCRM's any call: JSON in, JSON out.
func TestMiniCRMCall(t *testing.T) {
	h := newHarness(t, unasMiniCRM)
	var call CallOutput
	require.NoError(t, h.run("MiniCRM.Call", CallInput{Method: "GET", Path: "/Api/R3/Category"}, &call))
	assert.Equal(t, 200, call.Status)
	assert.True(t, json.Valid(call.Body))
	assert.Contains(t, string(call.Body), "Orders")
}
