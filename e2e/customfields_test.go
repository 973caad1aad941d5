package e2e

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"

	"github.com/crmsync/crmsync/activities"
	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/mautic"
	mauticsim "github.com/crmsync/crmsync/connectors/mautic/sim"
	"github.com/crmsync/crmsync/connectors/sellsy"
	"github.com/crmsync/crmsync/connectors/simkit"
	"github.com/crmsync/crmsync/internal/testenv"
	"github.com/crmsync/crmsync/sandbox"
	"github.com/crmsync/crmsync/store"
	"github.com/crmsync/crmsync/workflows"
)

const cfConnection = "e2e-custom-fields"

// cfConnectionFile maps a Sellsy custom field of every type of the plugin's table to an
// Automation field, with value maps, one-way fields, consent and deletes.
const cfConnectionFile = `name: e2e-custom-fields
a:
  system: sellsy
  settings: {api_url: %[1]s/v2, token_url: %[1]s/oauth2/access-tokens, requests_per_second: "500"}
  credentials: {client_id: CF_SELLSY_ID, client_secret: CF_SELLSY_SECRET}
b:
  system: mautic
  settings: {base_url: %[2]s, requests_per_second: "500"}
  credentials: {username: CF_MAUTIC_USER, password: CF_MAUTIC_PASSWORD, webhook_secret: CF_WEBHOOK_SECRET, push_token: CF_PUSH_TOKEN}
schedule: {interval: 1h, overlap: 3s}
objects:
  - name: company
    match: {a: name, b: companyname}
    fields: [{a: name, b: companyname}]
  - name: contact
    match: {a: email, b: email}
    links: [company]
    deletes: b_to_a
    fields:
      - {a: email, b: email}
      - {a: last_name, b: lastname}
      - {a: cf.cf_text, b: cf_text}                          # simpletext → text
      - {a: cf.cf_rich, b: cf_textarea}                      # richtext → textarea
      - {a: cf.cf_num, b: cf_number}                         # numeric → number
      - {a: cf.cf_amount, b: cf_amount_n, direction: a_to_b} # amount → number, one way
      - {a: cf.cf_unit, b: cf_unit_n, direction: a_to_b}     # unit → number, one way
      - {a: cf.cf_select, b: cf_select, values: {Bronze: bronze, Argent: silver, Or: gold}}
      - {a: cf.cf_radio, b: cf_priority, values: {Basse: low, Moyenne: medium, Haute: high}}
      - {a: cf.cf_checkbox, b: cf_multiselect, values: {Web: a, Salon: b, Partenaire: c}}
      - {a: cf.cf_date, b: cf_date}
      - {a: cf.cf_time, b: cf_time_text}                     # time → text
      - {a: cf.cf_email, b: cf_email}
      - {a: cf.cf_url, b: cf_url}
      - {a: cf.cf_bool, b: cf_bool}
      - {a: cf.cf_third, b: cf_companies}                    # entity fields → multiselect of ids
      - {a: cf.cf_item, b: cf_items}
      - {a: cf.cf_people, b: cf_people_ids}
      - {a: cf.cf_staff, b: cf_staff_ids}
      - {a: unsubscribed.email, b: dnc.email}                # consent travels
      - {a: unsubscribed.sms, b: dnc.sms}
`

// TestCustomFieldsDeletesAndPushEndToEnd runs a connection with a custom field of every type
// of the plugin's table through the worker: values convert both ways, an unmapped select
// value is quarantined, one-way fields stay one way, consent travels, a deletion announced by
// Automation's signed webhook deletes the Sellsy contact, and the push URL sends one contact.
func TestCustomFieldsDeletesAndPushEndToEnd(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	srv := testenv.DevServer(t)
	sb, err := sandbox.Start(sandbox.Options{
		SellsyContacts: 20, MauticFirst: 15, MauticContacts: 10,
		SellsyClientID: "cf-id", SellsyClientSecret: "cf-secret", SellsyRequestsPerSecond: -1,
		MauticUsername: "cf-user", MauticPassword: "cf-password",
	})
	require.NoError(t, err)
	t.Cleanup(func() { _ = sb.Close() })
	for _, f := range []mauticsim.FieldDef{
		{Alias: "cf_amount_n", Label: "Amount", Type: "number", Scale: 2},
		{Alias: "cf_unit_n", Label: "Weight", Type: "number", Scale: 2},
		{Alias: "cf_priority", Label: "Priority", Type: "select", Options: []string{"low", "medium", "high", "urgent"}},
		{Alias: "cf_companies", Label: "Companies", Type: "multiselect", Options: []string{"1", "2", "3", "4", "5"}},
		{Alias: "cf_items", Label: "Items", Type: "multiselect", Options: []string{"1", "2", "3"}},
		{Alias: "cf_people_ids", Label: "People", Type: "multiselect", Options: []string{"1000001", "1000002", "1000003"}},
		{Alias: "cf_staff_ids", Label: "Staff", Type: "multiselect", Options: []string{"1", "2", "3"}},
	} {
		require.NoError(t, sb.Mautic.AddField("contact", f))
	}

	dir := t.TempDir()
	connFile := filepath.Join(dir, "cf.yaml")
	require.NoError(t, os.WriteFile(connFile, []byte(fmt.Sprintf(cfConnectionFile, sb.SellsyURL, sb.MauticURL)), 0o600))
	w := testenv.StartWorker(t, []string{
		"CRMSYNC_TEMPORAL_ADDRESS=" + srv.FrontendHostPort(),
		"CRMSYNC_CONNECTIONS=" + connFile,
		"CRMSYNC_DATA_DIR=" + dir,
		"CRMSYNC_WEBHOOK_ADDR=127.0.0.1:0",
		"CF_SELLSY_ID=cf-id", "CF_SELLSY_SECRET=cf-secret",
		"CF_MAUTIC_USER=cf-user", "CF_MAUTIC_PASSWORD=cf-password",
		"CF_WEBHOOK_SECRET=whsec-e2e", "CF_PUSH_TOKEN=push-e2e",
	})
	hookAddr := w.ListenAddr(t, "webhook receiver")
	sb.Mautic.SetWebhook("http://"+hookAddr+"/webhooks/"+cfConnection+"/mautic", "whsec-e2e")

	sl, err := sellsy.New(sellsy.Config{APIURL: sb.SellsyURL + "/v2", TokenURL: sb.SellsyURL + "/oauth2/access-tokens", ClientID: "cf-id", ClientSecret: "cf-secret", RequestsPerSecond: 500})
	require.NoError(t, err)
	mt, err := mautic.New(mautic.Config{BaseURL: sb.MauticURL, Username: "cf-user", Password: "cf-password", RequestsPerSecond: 500})
	require.NoError(t, err)
	r := &run{t: t, ctx: ctx, sb: sb, tc: srv.Client(), sellsy: sl, mautic: mt}

	// Sellsy person 3 holds a value in every custom field; Automation person 17 holds a
	// priority that has no Sellsy counterpart.
	r.edit(sl, 3, map[string]any{
		"cf.cf_text": "Texte court", "cf.cf_rich": "<p>Texte riche</p>", "cf.cf_num": 42.0,
		"cf.cf_amount": 1250.5, "cf.cf_unit": 12.5, "cf.cf_select": "Argent", "cf.cf_radio": "Haute",
		"cf.cf_checkbox": []string{"Web", "Partenaire"}, "cf.cf_date": "2026-03-14", "cf.cf_time": "09:30",
		"cf.cf_email": "secondary@example.org", "cf.cf_url": "https://example.org", "cf.cf_bool": true,
		"cf.cf_third": []string{"2"}, "cf.cf_item": []string{"1", "3"}, "cf.cf_people": []string{"1000002"},
		"cf.cf_staff": []string{"3"}, "unsubscribed.sms": true,
	})
	r.edit(mt, 17, map[string]any{"cf_priority": "urgent"})

	importRun, err := r.tc.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: workflows.ImportWorkflowID(cfConnection), TaskQueue: workflows.TaskQueue},
		workflows.InitialImport, workflows.ImportInput{Connection: cfConnection})
	require.NoError(t, err)
	var p workflows.Progress
	require.NoError(t, importRun.Get(ctx, &p))

	got := r.person(mt, 3).Fields
	want := map[string]any{
		"cf_text": "Texte court", "cf_textarea": "<p>Texte riche</p>", "cf_number": 42.0,
		"cf_amount_n": 1250.5, "cf_unit_n": 12.5, "cf_select": "silver", "cf_priority": "high",
		"cf_multiselect": []string{"a", "c"}, "cf_date": "2026-03-14", "cf_time_text": "09:30",
		"cf_email": "secondary@example.org", "cf_url": "https://example.org", "cf_bool": true,
		"cf_companies": []string{"2"}, "cf_items": []string{"1", "3"}, "cf_people_ids": []string{"1000002"},
		"cf_staff_ids": []string{"3"}, "dnc.sms": true, "dnc.email": false,
	}
	for k, v := range want {
		assert.Equal(t, v, got[k], "Automation field %s of person 3", k)
	}

	st, err := store.OpenExisting(ctx, "sqlite:"+filepath.Join(dir, "crmsync.db"))
	require.NoError(t, err)
	defer st.Close()
	q, err := st.ListQuarantine(ctx, cfConnection, 10)
	require.NoError(t, err)
	// Person 17 is refused from both sides (each pass meets the value); nobody else is.
	require.Len(t, q, 2)
	ids := []string{q[0].RecordID, q[1].RecordID}
	assert.ElementsMatch(t, []string{r.person(mt, 17).ID, r.person(sl, 17).ID}, ids)
	for _, e := range q {
		assert.Contains(t, e.Reason, `value "urgent" of mautic field cf_priority has no counterpart in sellsy field cf.cf_radio`)
	}
	assert.Equal(t, 2, p.Quarantined)

	// Automation → Sellsy: a select through the value map, a boolean, consent; an edit of a
	// one-way field is undone from Sellsy.
	_, err = r.tc.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: workflows.SyncWorkflowID(cfConnection), TaskQueue: workflows.TaskQueue},
		workflows.IncrementalSync, workflows.SyncInput{Connection: cfConnection})
	require.NoError(t, err)
	r.connection = cfConnection
	r.waitCycles(1)
	r.edit(mt, 3, map[string]any{"cf_select": "gold", "cf_bool": false, "dnc.email": true, "cf_amount_n": 1.0})
	r.cycle()
	back := r.person(sl, 3).Fields
	assert.Equal(t, "Or", back["cf.cf_select"])
	assert.Equal(t, false, back["cf.cf_bool"])
	assert.Equal(t, true, back["unsubscribed.email"])
	assert.Equal(t, 1250.5, back["cf.cf_amount"], "amount is never written on Sellsy")
	assert.Equal(t, 1250.5, r.person(mt, 3).Fields["cf_amount_n"], "Sellsy's amount wins")

	// A contact deleted in Automation: its signed webhook deletes the Sellsy contact.
	before := sb.Sellsy.Count("contacts")
	gone := r.person(mt, 16)
	res, err := mt.Delete(ctx, connectors.ObjectContact, []string{gone.ID})
	require.NoError(t, err)
	require.NoError(t, res[0].Err)
	testenv.Eventually(t, time.Minute, 100*time.Millisecond, "the webhook-announced deletion", func() bool {
		return sb.Sellsy.Count("contacts") == before-1
	})
	recs, err := sl.FindByKey(ctx, connectors.ObjectContact, "email", []string{simkit.PersonAt(16).Email})
	require.NoError(t, err)
	assert.Empty(t, recs)

	// "Send contact to Sellsy": the push URL an Automation campaign calls.
	created, err := mt.Create(ctx, connectors.ObjectContact, []connectors.Record{{Fields: map[string]any{"email": "campaign@example.net", "lastname": "Campagne"}}})
	require.NoError(t, err)
	require.NoError(t, created[0].Err)
	resp, err := http.Post("http://"+hookAddr+"/push/"+cfConnection+"/push-e2e", "application/json", strings.NewReader(`{"contact":{"id":`+created[0].ID+`}}`))
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	testenv.Eventually(t, time.Minute, 100*time.Millisecond, "the pushed contact on Sellsy", func() bool {
		recs, err := sl.FindByKey(ctx, connectors.ObjectContact, "email", []string{"campaign@example.net"})
		return err == nil && len(recs) == 1
	})
	pushID := workflows.PushWorkflowID(activities.PushInput{Connection: cfConnection, Object: "contact", Side: "b", ID: created[0].ID})
	require.NoError(t, r.tc.GetWorkflow(ctx, pushID, "").Get(ctx, nil))
	r.recordHistory(pushID, "push-record")
	r.recordHistory(workflows.SyncWorkflowID(cfConnection), "incremental-sync-deletes")
	r.noSecretsInHistories("cf-secret", "cf-password", "whsec-e2e", "push-e2e")
}
