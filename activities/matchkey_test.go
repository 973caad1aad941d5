package activities

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/testsuite"

	"github.com/crmsync/crmsync/config"
	"github.com/crmsync/crmsync/connectors"
)

// "To Sellsy only" (direction: b_to_a) keeping the example's amount → Automation field: the
// e-mail goes to Sellsy only, so a Sellsy contact created on Automation would have none
// (Automation hides it as anonymous: missing at every pass). Sellsy-only contacts are filtered;
// once the connection goes both ways, the import sends them.
func TestToSellsyOnlyCreatesNothingOnAutomation(t *testing.T) {
	r := startExample(t, "sellsy-mautic-full")
	data, err := os.ReadFile("../config/examples/sellsy-mautic-full.yaml")
	require.NoError(t, err)
	yaml := strings.NewReplacer("http://127.0.0.1:18081", r.sb.SellsyURL, "http://127.0.0.1:18082", r.sb.MauticURL,
		`requests_per_second: "5"`, `requests_per_second: "1000"`).Replace(string(data))
	toSellsy := strings.Replace(yaml, "direction: both               #", "direction: b_to_a              #", 1)
	require.NotEqual(t, yaml, toSellsy, "the example's direction line")
	conn, err := config.Parse("sellsy-mautic-full.yaml", []byte(toSellsy))
	require.NoError(t, err)
	r.acts, r.st, r.ae = activitiesOf(t, conn)

	contacts := func(want func(c Counts)) func(object, side string, c Counts) {
		return func(object, side string, c Counts) {
			if object == "contact" && side == "a" {
				want(c)
			}
		}
	}
	before := r.sb.Mautic.Count("contact")
	r.round(ModeImport, contacts(func(c Counts) {
		assert.Equal(t, Counts{Read: 60, Unchanged: 20, Filtered: 40}, c, "Sellsy contacts 0–39 filtered, 40–59 paired")
	}))
	assert.Equal(t, before, r.sb.Mautic.Count("contact"))
	var keyless []any
	for _, rec := range r.sb.Mautic.Dump("contact") {
		if all, _ := rec["fields"].(map[string]any)["all"].(map[string]any); all["email"] == nil || all["email"] == "" {
			keyless = append(keyless, rec["id"])
		}
	}
	assert.Empty(t, keyless, "Automation contacts without an e-mail")
	again := r.round(ModeImport, nil)
	assert.Zero(t, again.Missing, "%+v", again)

	both, err := config.Parse("sellsy-mautic-full.yaml", []byte(yaml))
	require.NoError(t, err)
	r.acts = &Activities{Conns: NewConnections([]*config.Connection{both}), Store: r.st}
	r.ae.RegisterActivity(r.acts)
	r.round(ModeImport, contacts(func(c Counts) {
		assert.Equal(t, 40, c.CreatedB, "Sellsy contacts 0–39 reach Automation: %+v", c)
	}))
	_, m, err := r.acts.Conns.Connectors(r.name)
	require.NoError(t, err)
	found, err := m.FindByKey(t.Context(), "contact", "email", []string{"person000001@example.com"})
	require.NoError(t, err)
	assert.Len(t, found, 1)
}

// In a one-way connection, a side's records are created on the other only when the key goes
// there too; otherwise they are filtered, not quarantined, and pair only with a record that
// has their key.
func TestCreatesOnlyWhereTheKeyGoes(t *testing.T) {
	tests := []struct {
		name         string
		direction    string
		fields       string
		initial      string
		keyless      bool // a Sellsy contact without an e-mail too
		wantCreatedB int
		wantFiltered int
	}{
		{name: "key to Automation", direction: "a_to_b", fields: "      - {a: email, b: email}\n", wantCreatedB: 10},
		{name: "key to Sellsy only, a field to Automation", direction: "b_to_a",
			fields: "      - {a: email, b: email}\n      - {a: position, b: position, direction: a_to_b}\n", wantFiltered: 10},
		{name: "key to Sellsy only, a record without a key", direction: "b_to_a", initial: "    initial: {match: true}\n", keyless: true,
			fields: "      - {a: email, b: email}\n      - {a: position, b: position, direction: a_to_b}\n", wantFiltered: 11},
		{name: "key to Automation, a record without a key", direction: "a_to_b", initial: "    initial: {match: true}\n", keyless: true,
			fields: "      - {a: email, b: email}\n", wantCreatedB: 11},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarnessObjects(t, tt.direction, `
  - name: contact
    match: {a: email, b: email}
`+tt.initial+`    fields:
`+tt.fields+`      - {a: first_name, b: firstname}
      - {a: last_name, b: lastname}
`)
			if tt.keyless {
				_, err := h.sellsy.Create(h.ctx, "contact", []connectors.Record{{Fields: map[string]any{"last_name": "Anonyme"}}})
				require.NoError(t, err)
			}
			before := h.sb.Mautic.Count("contact")
			c := h.pass("contact", "a", ModeImport)
			assert.Equal(t, tt.wantCreatedB, c.CreatedB, "%+v", c)
			assert.Equal(t, tt.wantFiltered, c.Filtered, "%+v", c)
			assert.Zero(t, c.Quarantined, "%+v", c)
			assert.Equal(t, before+tt.wantCreatedB, h.sb.Mautic.Count("contact"))
			// Settled: the filtered ones are filtered again, nothing else happens.
			again := h.pass("contact", "a", ModeImport)
			assert.Equal(t, Counts{Read: again.Read, Unchanged: again.Read - tt.wantFiltered, Filtered: tt.wantFiltered}, again)
		})
	}
}

// losesAnswer creates for real, then loses the answer (a timeout after the server acted).
type losesAnswer struct {
	connectors.Connector
	lose bool
}

func (l *losesAnswer) Create(ctx context.Context, object string, recs []connectors.Record) ([]connectors.Result, error) {
	res, err := l.Connector.Create(ctx, object, recs)
	if l.lose && err == nil {
		return nil, &connectors.Error{Kind: connectors.KindRetryable, System: "mautic", Op: "create", Message: "timeout: no answer"}
	}
	return res, err
}

// A create whose answer was lost is found again by its key only if the create wrote it: a
// match field no field carries is refused before anything is written, rather than every
// record being created again by the retry.
func TestLostCreateAnswerNeedsTheKeyWritten(t *testing.T) {
	tests := []struct {
		name    string
		fields  string
		wantErr string
	}{
		{name: "match field mapped", fields: "      - {a: email, b: email}\n"},
		{name: "match field not mapped", wantErr: "TestLostCreateAnswerNeedsTheKeyWritten/match_field_not_mapped.yaml: objects[0] (contact): the mautic contact records created from sellsy would lack the match field email (no field maps it)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarnessObjects(t, "both", `
  - name: contact
    match: {a: email, b: email}
    fields:
`+tt.fields+`      - {a: first_name, b: firstname}
      - {a: last_name, b: lastname}
`)
			before := h.sb.Mautic.Count("contact")
			l := &losesAnswer{Connector: h.mautic, lose: true}
			h.acts.Conns.mu.Lock()
			h.acts.Conns.open["t"] = [2]connectors.Connector{h.sellsy, l}
			h.acts.Conns.mu.Unlock()
			var env testsuite.WorkflowTestSuite
			ae := env.NewTestActivityEnvironment()
			ae.RegisterActivity(h.acts)
			in := PassInput{Connection: "t", Object: "contact", Side: "a", Mode: ModeImport, PageSize: 100}
			_, err := ae.ExecuteActivity(h.acts.SyncPass, in)
			require.Error(t, err)
			if tt.wantErr != "" {
				assert.Contains(t, err.Error(), tt.wantErr)
				assert.Equal(t, before, h.sb.Mautic.Count("contact"), "nothing written")
				return
			}
			l.lose = false // the retry
			h.passWith(in)
			assert.Equal(t, before+10, h.sb.Mautic.Count("contact"), "Sellsy people 0–9 created once each")
		})
	}
}
