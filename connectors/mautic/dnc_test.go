package mautic

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/config"
	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/mautic/sim"
	"github.com/crmsync/crmsync/engine"
)

// refusing serves the simulator, but refuses every do-not-contact change on the sms channel.
func refusing(t *testing.T, e *env) *Client {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.URL.Path, "/dnc/sms/") {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			_, _ = io.WriteString(w, `{"errors":[{"message":"Invalid channel given","code":400,"type":null}]}`)
			return
		}
		e.sim.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	c, err := New(Config{BaseURL: srv.URL, Username: user, Password: pass, RequestsPerSecond: 1000})
	require.NoError(t, err)
	return c
}

// A do-not-contact change that fails says which contact, channel and field: the channel in
// the error's Op, the field dnc.<channel> in its Fields, the contact id in its message.
func TestDNCFailureNamesChannelAndField(t *testing.T) {
	e := setup(t, sim.Options{})
	ctx := context.Background()
	e.sim.SeedPeople(0, 1)
	c := refusing(t, e)
	res, err := c.Update(ctx, connectors.ObjectContact, []connectors.Record{{ID: "1", Fields: map[string]any{"dnc.email": true, "dnc.sms": true}}})
	require.NoError(t, err, "a refused change fails its record, not the call")
	ce := kindOf(t, res[0].Err)
	assert.Equal(t, connectors.KindInvalid, ce.Kind)
	assert.Equal(t, "POST /contacts/{id}/dnc/sms/add", ce.Op)
	assert.Equal(t, map[string]string{"dnc.sms": "Invalid channel given"}, ce.Fields)
	assert.Contains(t, ce.Message, "contact 1")
	assert.Contains(t, ce.Message, "sms")
	assert.Equal(t, http.StatusBadRequest, ce.Status)

	got, err := e.client.Get(ctx, connectors.ObjectContact, []string{"1"})
	require.NoError(t, err)
	assert.Equal(t, true, got[0].Fields["dnc.email"], "the other channel was written")
}

// loggingClient is a client of the simulator whose log is kept.
func loggingClient(t *testing.T, url string) (*Client, *bytes.Buffer) {
	t.Helper()
	var log bytes.Buffer
	c, err := New(Config{BaseURL: url, Username: user, Password: pass, RequestsPerSecond: 1000,
		Logger: slog.New(slog.NewTextHandler(&log, nil))})
	require.NoError(t, err)
	return c, &log
}

// addDNC puts contact id on the do-not-contact list of the channel, with the reason.
func addDNC(t *testing.T, e *env, id, channel string, reason int) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, e.srv.URL+"/api/contacts/"+id+"/dnc/"+channel+"/add", strings.NewReader(fmt.Sprintf(`{"reason":%d}`, reason)))
	require.NoError(t, err)
	req.SetBasicAuth(user, pass)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
}

// dncRoute is the simulator's count key of the do-not-contact routes.
const dncRoute = "POST /api/contacts/{id}/dnc/{channel}/{action}"

// waitCount waits for the simulator to have counted n requests of route: it counts a request
// after answering it, so the count of the last one may come just after its answer.
func waitCount(t *testing.T, e *env, route string, n int) {
	t.Helper()
	assert.Eventually(t, func() bool { return e.sim.Kit().Counts()[route] == n }, 5*time.Second, time.Millisecond,
		"%s: want %d, have %v", route, n, e.sim.Kit().Counts())
}

// resetCounts zeroes the simulator's request counts once the n do-not-contact changes made
// before are counted.
func resetCounts(t *testing.T, e *env, n int) {
	t.Helper()
	waitCount(t, e, dncRoute, n)
	e.sim.Kit().ResetCounts()
}

// A re-subscription from the other side takes off only a manual do-not-contact (reason 3,
// crmsync's). Automation's own — the contact's unsubscribe (1), a bounce (2) — stays, logged;
// the record does not fail and its other fields are written. The reasons come from the write's
// answer: no call more.
func TestResubscribeKeepsAutomationsOwnDNC(t *testing.T) {
	e := setup(t, sim.Options{})
	ctx := context.Background()
	e.sim.SeedPeople(0, 4)
	addDNC(t, e, "1", "email", sim.ReasonUnsubscribed)
	addDNC(t, e, "2", "email", sim.ReasonBounced)
	addDNC(t, e, "3", "email", sim.ReasonManual)
	addDNC(t, e, "4", "email", sim.ReasonBounced)
	addDNC(t, e, "4", "sms", sim.ReasonManual)
	c, log := loggingClient(t, e.srv.URL)
	resetCounts(t, e, 5)
	recs := make([]connectors.Record, 4)
	for i := range recs {
		recs[i] = connectors.Record{ID: fmt.Sprint(i + 1), Fields: map[string]any{"dnc.email": false, "position": "CTO"}}
	}
	recs[3].Fields["dnc.sms"] = false
	res, err := c.Update(ctx, connectors.ObjectContact, recs)
	require.NoError(t, err)
	for i, r := range res {
		assert.NoError(t, r.Err, i)
	}
	waitCount(t, e, dncRoute, 2) // contact 3's email and contact 4's sms
	assert.Zero(t, e.sim.Kit().Counts()["GET /api/contacts"], "the reasons were read from the write's answer")

	got, err := e.client.Get(ctx, connectors.ObjectContact, []string{"1", "2", "3", "4"})
	require.NoError(t, err)
	require.Len(t, got, 4)
	for i, want := range []bool{true, true, false, true} {
		assert.Equal(t, want, got[i].Fields["dnc.email"], "contact %d", i+1)
		assert.Equal(t, "CTO", got[i].Fields["position"], "contact %d: its other fields are written", i+1)
	}
	assert.Equal(t, false, got[3].Fields["dnc.sms"], "a manual entry is taken off")
	assert.Equal(t, true, got[1].Fields[FieldBounced], "the bounce is still known")
	assert.Contains(t, log.String(), "contact 1 stays do-not-contact on email: Automation holds it as unsubscribed by the contact (1)")
	assert.Contains(t, log.String(), "contact 2 stays do-not-contact on email: Automation holds it as bounced (2)")
	assert.Contains(t, log.String(), "contact 4 stays do-not-contact on email")
	assert.NotContains(t, log.String(), "contact 3 ")
}

// When the write's answer does not show the entries, they are read with one listing; a
// channel without an entry costs no call.
func TestResubscribeReadsReasonsTheAnswerLacks(t *testing.T) {
	e := setup(t, sim.Options{})
	ctx := context.Background()
	e.sim.SeedPeople(0, 3)
	addDNC(t, e, "1", "email", sim.ReasonBounced)
	addDNC(t, e, "2", "email", sim.ReasonManual)
	// A proxy that drops doNotContact from the batch answers.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasSuffix(r.URL.Path, "/batch/edit") {
			e.sim.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		e.sim.ServeHTTP(rec, r)
		var ans map[string]any
		require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &ans))
		for _, c := range ans["contacts"].([]any) {
			delete(c.(map[string]any), "doNotContact")
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(rec.Code)
		require.NoError(t, json.NewEncoder(w).Encode(ans))
	}))
	t.Cleanup(srv.Close)
	c, _ := loggingClient(t, srv.URL)
	resetCounts(t, e, 2)
	res, err := c.Update(ctx, connectors.ObjectContact, []connectors.Record{
		{ID: "1", Fields: map[string]any{"dnc.email": false}},
		{ID: "2", Fields: map[string]any{"dnc.email": false}},
		{ID: "3", Fields: map[string]any{"dnc.email": false, "dnc.sms": false}},
	})
	require.NoError(t, err)
	for i, r := range res {
		assert.NoError(t, r.Err, i)
	}
	waitCount(t, e, "GET /api/contacts", 1)
	waitCount(t, e, dncRoute, 1) // contact 2's only
	got, err := e.client.Get(ctx, connectors.ObjectContact, []string{"1", "2"})
	require.NoError(t, err)
	assert.Equal(t, true, got[0].Fields["dnc.email"])
	assert.Equal(t, false, got[1].Fields["dnc.email"])
}

// The whole way, with the engine's merge: Sellsy re-subscribes a contact who unsubscribed
// from Automation's e-mails themselves. The re-subscription is written to Automation with the
// contact's other changes, and keeps the unsubscribe; the next pass reads Automation still
// unsubscribed and carries that back to Sellsy.
func TestResubscribeMergedBackToTheOtherSide(t *testing.T) {
	e := setup(t, sim.Options{})
	ctx := context.Background()
	e.sim.SeedPeople(0, 1)
	addDNC(t, e, "1", "email", sim.ReasonUnsubscribed)
	fields := []config.Field{
		{A: "unsubscribed.email", B: "dnc.email", Direction: config.Both},
		{A: "position", B: "position", Direction: config.Both},
	}
	read := func() connectors.Record {
		got, err := e.client.Get(ctx, connectors.ObjectContact, []string{"1"})
		require.NoError(t, err)
		require.Len(t, got, 1)
		return got[0]
	}
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	sellsy := connectors.Record{ID: "s1", UpdatedAt: at, Fields: map[string]any{"unsubscribed.email": true, "position": "Gérant"}}
	first := engine.Merge(fields, sellsy, read(), nil)
	require.Nil(t, first.UpdateA)
	require.Nil(t, first.UpdateB)

	// Sellsy re-subscribes the contact and changes the position.
	sellsy.Fields = map[string]any{"unsubscribed.email": false, "position": "CTO"}
	sellsy.UpdatedAt = at.Add(time.Hour)
	d := engine.Merge(fields, sellsy, read(), first.Snapshot)
	require.Equal(t, map[string]any{"dnc.email": false, "position": "CTO"}, d.UpdateB)
	res, err := e.client.Update(ctx, connectors.ObjectContact, []connectors.Record{{ID: "1", Fields: d.UpdateB}})
	require.NoError(t, err)
	require.NoError(t, res[0].Err, "the record is written, not failed")

	after := read()
	assert.Equal(t, "CTO", after.Fields["position"])
	assert.Equal(t, true, after.Fields["dnc.email"], "the contact's own unsubscribe stays")
	back := engine.Merge(fields, sellsy, after, d.Snapshot)
	assert.Equal(t, map[string]any{"unsubscribed.email": true}, back.UpdateA, "carried back to Sellsy")
	assert.Nil(t, back.UpdateB)
}

// echoedDNC reads the entries of every shape a batch answer gives them, and tells an answer
// that does not show them from one that shows none.
func TestEchoedDNC(t *testing.T) {
	raw := `{"contacts":[
		{"id":1,"doNotContact":[{"channel":"email","reason":2}]},
		{"id":2,"doNotContact":{"3":{"channel":"sms","reason":"3"}}},
		{"id":3,"doNotContact":[]},
		{"id":4},
		{"id":5,"doNotContact":null},
		null]}`
	got := echoedDNC([]byte(raw), "contacts", 7)
	require.Len(t, got, 3, "shown: the first three; not shown: the others")
	assert.Equal(t, []int{2}, channelReasons(got[0], "email"))
	assert.Equal(t, []int{3}, channelReasons(got[1], "sms"))
	require.Contains(t, got, 2)
	assert.Empty(t, got[2])
	for i := 3; i < 7; i++ {
		assert.NotContains(t, got, i)
	}
}

// Entries that cannot be read at all are not taken off blind: the record fails, to be tried
// again, and no removal is sent.
func TestResubscribeWithReasonsUnknown(t *testing.T) {
	e := setup(t, sim.Options{})
	ctx := context.Background()
	e.sim.SeedPeople(0, 1)
	addDNC(t, e, "1", "email", sim.ReasonBounced)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.HasSuffix(r.URL.Path, "/batch/edit"):
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, `{"contacts":[{"id":1,"fields":{"all":{}}}],"statusCodes":[200],"errors":[]}`)
		case r.URL.Path == "/api/contacts":
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, `{"total":"0","contacts":{}}`)
		default:
			e.sim.ServeHTTP(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	c, _ := loggingClient(t, srv.URL)
	resetCounts(t, e, 1)
	res, err := c.Update(ctx, connectors.ObjectContact, []connectors.Record{{ID: "1", Fields: map[string]any{"dnc.email": false}}})
	require.NoError(t, err)
	ce := kindOf(t, res[0].Err)
	assert.Equal(t, connectors.KindRetryable, ce.Kind)
	assert.Contains(t, ce.Message, "contact 1: its do-not-contact entries could not be read")
	assert.Zero(t, e.sim.Kit().Counts()[dncRoute])
}
