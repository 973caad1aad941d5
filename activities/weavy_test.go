package activities

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/config"
	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/simkit"
	"github.com/crmsync/crmsync/store"
)

// An Automation contact with no weavy contact became an entrant; when a weavy user later
// creates the contact with that e-mail, the contact takes the pair (the seed's rule updates
// the contact when there is one) and the entrant is reported — not the contact quarantined as
// a duplicate while Automation's edits go on reaching the entrant.
func TestAWeavyContactTakesThePairOfItsEntrant(t *testing.T) {
	r := startExample(t, "weavy-mautic")
	r.round(ModeImport, nil)
	const person = 70 // in Automation only: the import made an entrant of them
	ctx := context.Background()
	_, automation, err := r.acts.Conns.Connectors(r.name)
	require.NoError(t, err)
	found, err := automation.FindByKey(ctx, connectors.ObjectContact, "email", []string{simkit.PersonAt(person).Email})
	require.NoError(t, err)
	require.Len(t, found, 1)
	mautic := found[0].ID
	pairs, err := r.st.Pairs(ctx, r.name, "contact", store.SideB, []string{mautic})
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(pairs[mautic].AID, "e:"), "paired with an entrant: %+v", pairs[mautic])
	entrant := pairs[mautic].AID

	r.sb.Weavy.SeedPeople(person, 1) // a weavy user creates the contact
	// The contact takes the pair, the entrant is reported as superseded; read later in the
	// same pass (entrants come after contacts), the entrant is reported again, as the
	// contact's duplicate, which is the reason that stays.
	c := r.pass("contact", "a", ModeIncremental)
	assert.Equal(t, 2, c.Quarantined, "the entrant is reported: %+v", c)
	pairs, err = r.st.Pairs(ctx, r.name, "contact", store.SideB, []string{mautic})
	require.NoError(t, err)
	assert.Equal(t, "c:CC0000070", pairs[mautic].AID, "the contact holds the pair")
	q, err := r.st.ListQuarantine(ctx, r.name, 10)
	require.NoError(t, err)
	require.Len(t, q, 1)
	assert.Equal(t, entrant, q[0].RecordID)
	assert.Equal(t, "duplicate email: its mautic record "+mautic+" is already paired with weavy record c:CC0000070", q[0].Reason)

	// Automation's edits now reach the contact.
	_, err = automation.Update(ctx, connectors.ObjectContact, []connectors.Record{{ID: mautic, Fields: map[string]any{"lastname": "Contact"}}})
	require.NoError(t, err)
	r.pass("contact", "b", ModeImport)
	for _, rec := range r.sb.Weavy.Dump("customercontact") {
		if rec["codecustomercontact"] == "CC0000070" {
			assert.Equal(t, "Contact", rec["lastName"])
		}
	}
}

// A SIRET written in groups on both sides ("123 456 789 00012") pairs: it is looked up as
// written too, since weavy compares exactly, and its digits match whatever the spelling
// (before, the lookup by its digits alone found nothing and a second tiers was created).
func TestASIRETInGroupsPairs(t *testing.T) {
	tests := []struct {
		name, inWeavy, inAutomation string
	}{
		{"the same spelling", "123 456 789 00012", "123 456 789 00012"},
		{"whole in weavy", "12345678900012", "123 456 789 00012"},
		{"whole in Automation", "123 456 789 00012", "12345678900012"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := startExample(t, "weavy-mautic")
			r.useWeavyExample(func(yaml string) string {
				return strings.Replace(yaml, "match: {a: name, b: companyname}", "match: {a: siretNumber, b: siret}", 1)
			})

			ctx := context.Background()
			weavy, automation, err := r.acts.Conns.Connectors(r.name)
			require.NoError(t, err)
			co := simkit.CompanyAt(simkit.PersonAt(45).Company)
			ws, err := weavy.FindByKey(ctx, connectors.ObjectCompany, "name", []string{co.Name})
			require.NoError(t, err)
			require.Len(t, ws, 1)
			_, err = weavy.Update(ctx, connectors.ObjectCompany, []connectors.Record{{ID: ws[0].ID, Fields: map[string]any{"siretNumber": tt.inWeavy}}})
			require.NoError(t, err)
			ms, err := automation.FindByKey(ctx, connectors.ObjectCompany, "companyname", []string{co.Name})
			require.NoError(t, err)
			require.Len(t, ms, 1)
			_, err = automation.Update(ctx, connectors.ObjectCompany, []connectors.Record{{ID: ms[0].ID, Fields: map[string]any{"siret": tt.inAutomation}}})
			require.NoError(t, err)

			r.pass("company", "b", ModeImport) // Automation's companies looked up in weavy by SIRET
			n := 0
			for _, rec := range r.sb.Weavy.Dump("customer") {
				if s, _ := rec["siretNumber"].(string); strings.ReplaceAll(s, " ", "") == "12345678900012" {
					n++
				}
			}
			assert.Equal(t, 1, n, "one weavy tiers with that SIRET, not a second one created")
		})
	}
}

// Two weavy contacts with one e-mail read on one page: the one not kept is quarantined with
// a reason that names the contact holding the pair (it said "another record of this page").
func TestADuplicateOfOnePageIsNamed(t *testing.T) {
	r := startExample(t, "weavy-mautic")
	p := simkit.PersonAt(45) // a weavy contact (CC0000045) and an Automation contact
	weavyPost(t, r.sb.WeavyURL, "customercontact", map[string]any{
		"customercontact_ID": "DUP45", "customer_ID": fmt.Sprintf("C%07d", p.Company),
		"lastName": p.LastName, "firstName": p.FirstName, "email": p.Email,
	})
	r.round(ModeImport, nil)
	q, err := r.st.ListQuarantine(context.Background(), r.name, 50)
	require.NoError(t, err)
	reasons := map[string]string{}
	for _, e := range q {
		reasons[e.RecordID] = e.Reason
	}
	reason := reasons["c:DUP45"] + reasons["c:CC0000045"]
	require.NotEmpty(t, reason, "one of the two is reported")
	assert.Regexp(t, `c:(CC0000045|DUP45)`, reason, "naming the other")
}

// weavyPost creates a record of entity in the weavy simulator, as a weavy user would.
func weavyPost(t *testing.T, base, entity string, body map[string]any) {
	t.Helper()
	b, err := json.Marshal(map[string]any{"scope": "API", "projectCode": "crm", "userName": "wu", "password": "wp"})
	require.NoError(t, err)
	resp, err := http.Post(base+"/v1/Authenticate", "application/json", bytes.NewReader(b))
	require.NoError(t, err)
	var tok struct{ AuthToken string }
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&tok))
	resp.Body.Close()
	b, err = json.Marshal(body)
	require.NoError(t, err)
	req, err := http.NewRequest(http.MethodPost, base+"/v1/Data/crm/"+entity, bytes.NewReader(b))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+tok.AuthToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err = http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
}

// The guide's IDCRM: the weavy tiers' code kept in an Automation company field. Matched on
// the name first, the mapping {a: id, b: idcrm} fills it on every pair; made the key, it then
// pairs every company again, without creating one (companydescription stands in for idcrm).
func TestIDCRMAsTheCompanyKey(t *testing.T) {
	r := startExample(t, "weavy-mautic")
	withIDCRM := func(yaml string) string {
		return strings.Replace(yaml, "      - {a: name, b: companyname}\n", "      - {a: name, b: companyname}\n      - {a: id, b: companydescription, direction: a_to_b}\n", 1)
	}
	r.useWeavyExample(withIDCRM) // each use a store of its own: nothing paired
	for _, mode := range []string{ModeImport, ModeIncremental} {
		r.pass("company", "a", mode)
		r.pass("company", "b", mode)
	}
	companies := r.sb.Mautic.Count("company")
	codes := map[any]bool{}
	for _, c := range r.sb.Weavy.Dump("customer") {
		codes[c["customer_ID"]] = true
	}
	for _, c := range r.sb.Mautic.Dump("companies") {
		fields, _ := c["fields"].(map[string]any)
		all, _ := fields["all"].(map[string]any)
		assert.True(t, codes[all["companydescription"]], "IDCRM of %v is a weavy tiers' code: %v", all["companyname"], all["companydescription"])
	}

	r.useWeavyExample(func(yaml string) string {
		return strings.Replace(withIDCRM(yaml), "match: {a: name, b: companyname}", "match: {a: id, b: companydescription}", 1)
	})
	ca := r.pass("company", "a", ModeImport)
	cb := r.pass("company", "b", ModeImport)
	assert.Zero(t, ca.CreatedB+cb.CreatedA+ca.Quarantined+cb.Quarantined, "all paired on IDCRM: %+v %+v", ca, cb)
	assert.Equal(t, companies, r.sb.Mautic.Count("company"))

	// A company made in Automation, with no IDCRM, becomes a weavy tiers, whose code the
	// next read of weavy writes into its IDCRM; then nothing more is written.
	ctx := context.Background()
	_, automation, err := r.acts.Conns.Connectors(r.name)
	require.NoError(t, err)
	tiers := len(r.sb.Weavy.Dump("customer"))
	res, err := automation.Create(ctx, connectors.ObjectCompany, []connectors.Record{{Fields: map[string]any{"companyname": "Nouvelle Société IDCRM"}}})
	require.NoError(t, err)
	require.NoError(t, res[0].Err)
	time.Sleep(1100 * time.Millisecond) // both systems time their records to the second
	cb = r.pass("company", "b", ModeIncremental)
	assert.Equal(t, 1, cb.CreatedA, "created in weavy: %+v", cb)
	assert.Equal(t, tiers+1, len(r.sb.Weavy.Dump("customer")))
	ca = r.pass("company", "a", ModeIncremental)
	assert.Equal(t, 1, ca.UpdatedB, "its code reaches the IDCRM: %+v", ca)
	got, err := automation.Get(ctx, connectors.ObjectCompany, []string{res[0].ID})
	require.NoError(t, err)
	require.Len(t, got, 1)
	code, _ := got[0].Fields["companydescription"].(string)
	assert.NotEmpty(t, code)
	found := false
	for _, c := range r.sb.Weavy.Dump("customer") {
		found = found || c["customer_ID"] == code && c["name"] == "Nouvelle Société IDCRM"
	}
	assert.True(t, found, "IDCRM %q is the new tiers' code", code)
	for i := 0; i < 2; i++ {
		ca, cb = r.pass("company", "a", ModeIncremental), r.pass("company", "b", ModeIncremental)
		assert.Zero(t, ca.CreatedB+ca.UpdatedB+ca.UpdatedA+cb.CreatedA+cb.UpdatedA+cb.UpdatedB, "settled: %+v %+v", ca, cb)
	}

	// One whose IDCRM names no tiers (deleted in weavy, or typed wrong) is not made again
	// under another code: it is quarantined, saying so.
	res, err = automation.Create(ctx, connectors.ObjectCompany, []connectors.Record{{Fields: map[string]any{"companyname": "Ancienne Société", "companydescription": "C9999999"}}})
	require.NoError(t, err)
	require.NoError(t, res[0].Err)
	time.Sleep(1100 * time.Millisecond)
	cb = r.pass("company", "b", ModeIncremental)
	assert.Zero(t, cb.CreatedA, "%+v", cb)
	assert.Equal(t, 1, cb.Quarantined, "%+v", cb)
	q, err := r.st.ListQuarantine(ctx, r.name, 10)
	require.NoError(t, err)
	require.Len(t, q, 1)
	assert.Contains(t, q[0].Reason, `its companydescription "C9999999" names no weavy company`)
}

// useWeavyExample runs r on the weavy ⇄ Automation example as edit changes it, against r's
// sandbox, with a store of its own.
func (r *exampleRun) useWeavyExample(edit func(string) string) {
	r.t.Helper()
	data, err := os.ReadFile("../config/examples/weavy-mautic.yaml")
	require.NoError(r.t, err)
	yaml := strings.NewReplacer("http://127.0.0.1:18083", r.sb.WeavyURL, "http://127.0.0.1:18082", r.sb.MauticURL).Replace(edit(string(data)))
	conn, err := config.Parse("weavy-mautic.yaml", []byte(yaml))
	require.NoError(r.t, err)
	r.acts, r.st, r.ae = activitiesOf(r.t, conn)
}

// A company name whose accents are letters with combining marks (copied from a PDF) on both
// sides pairs: its key is composed, so it is looked up as written too, since weavy compares
// exactly (before, only the key was sent, which weavy's equal does not find, and a second
// tiers was created).
func TestADecomposedNamePairs(t *testing.T) {
	r := startExample(t, "weavy-mautic")
	ctx := context.Background()
	weavy, automation, err := r.acts.Conns.Connectors(r.name)
	require.NoError(t, err)
	co := simkit.CompanyAt(simkit.PersonAt(45).Company)
	const decomposed = "Socie\u0301te\u0301 Ge\u0301ne\u0301rale"
	ws, err := weavy.FindByKey(ctx, connectors.ObjectCompany, "name", []string{co.Name})
	require.NoError(t, err)
	require.Len(t, ws, 1)
	_, err = weavy.Update(ctx, connectors.ObjectCompany, []connectors.Record{{ID: ws[0].ID, Fields: map[string]any{"name": decomposed}}})
	require.NoError(t, err)
	ms, err := automation.FindByKey(ctx, connectors.ObjectCompany, "companyname", []string{co.Name})
	require.NoError(t, err)
	require.Len(t, ms, 1)
	_, err = automation.Update(ctx, connectors.ObjectCompany, []connectors.Record{{ID: ms[0].ID, Fields: map[string]any{"companyname": decomposed}}})
	require.NoError(t, err)

	r.pass("company", "b", ModeImport) // Automation's companies looked up in weavy by name
	n := 0
	for _, rec := range r.sb.Weavy.Dump("customer") {
		if rec["name"] == decomposed {
			n++
		}
	}
	assert.Equal(t, 1, n, "one weavy tiers with that name, not a second one created")
}
