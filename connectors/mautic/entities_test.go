package mautic

import (
	"context"
	"html"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/mautic/internal/phptext"
	"github.com/crmsync/crmsync/connectors/mautic/sim"
)

// Automation stores text HTML-encoded ("O'Brien" as "O&#39;Brien"): it is read back as it was
// written, or the sync would take the encoded form for an edit made in Automation and copy it
// to the other side. Fields that hold HTML keep their markup and entities as they are.
func TestTextReadBackAsWritten(t *testing.T) {
	e := setup(t, sim.Options{})
	ctx := context.Background()
	require.NoError(t, e.sim.AddField("contact", sim.FieldDef{Alias: "cf_html", Type: "html"}))
	require.NoError(t, e.sim.AddField("contact", sim.FieldDef{Alias: "cf_rich", Type: "textarea", AllowHTML: true}))
	e.sim.SeedPeople(0, 1)
	fields := map[string]any{
		"lastname":    "O'Brien",
		"firstname":   `Jean "Jo" <Dupont> & fils`,
		"cf_textarea": "line 1\nline 2\ttabbed",
		"cf_text":     "Zoé &#39; already an entity",
		"cf_html":     "<p>O'Brien &amp; fils</p>",
		"cf_rich":     "<b>x</b> &lt;y&gt;",
	}
	res, err := e.client.Update(ctx, connectors.ObjectContact, []connectors.Record{{ID: "1", Fields: fields}})
	require.NoError(t, err)
	require.NoError(t, res[0].Err)
	assert.Equal(t, "O&#39;Brien", e.sim.Dump("contacts")[0]["fields"].(map[string]any)["all"].(map[string]any)["lastname"], "stored cleaned")

	got, err := e.client.Get(ctx, connectors.ObjectContact, []string{"1"})
	require.NoError(t, err)
	require.Len(t, got, 1)
	for k, v := range fields {
		assert.Equal(t, v, got[0].Fields[k], k)
	}

	// A new contact's, read back from a listing and from a lookup.
	res, err = e.client.Create(ctx, connectors.ObjectContact, []connectors.Record{{Fields: map[string]any{"email": "o.brien@example.com", "lastname": "O'Brien"}}})
	require.NoError(t, err)
	require.NoError(t, res[0].Err)
	page, err := e.client.List(ctx, connectors.ObjectContact, connectors.ListQuery{})
	require.NoError(t, err)
	require.Len(t, page.Records, 2)
	assert.Equal(t, "O'Brien", page.Records[1].Fields["lastname"])
	found, err := e.client.FindByKey(ctx, connectors.ObjectContact, "lastname", []string{"o'brien"})
	require.NoError(t, err)
	assert.ElementsMatch(t, []string{"1", res[0].ID}, ids(found), "found by the text as written")
}

// A value Mautic may drop is compared, in the write's answer, with the text decoded: a
// numeric text with a control character is stored encoded, not dropped, and is not reported.
func TestEchoComparedDecoded(t *testing.T) {
	e := setup(t, sim.Options{})
	ctx := context.Background()
	e.sim.SeedPeople(0, 1)
	res, err := e.client.Update(ctx, connectors.ObjectContact, []connectors.Record{{ID: "1", Fields: map[string]any{"cf_text": "0\n"}}})
	require.NoError(t, err)
	assert.NoError(t, res[0].Err)
	got, err := e.client.Get(ctx, connectors.ObjectContact, []string{"1"})
	require.NoError(t, err)
	assert.Equal(t, "0\n", got[0].Fields["cf_text"])
}

// Company names are stored encoded: the lookups of company creates, of FindByKey and of a
// contact's company ask for both forms and compare the names decoded, so that two Sellsy
// establishments named "O'Brien & Fils" stay two Automation companies, and a contact is
// linked to the right one.
func TestCompanyNamesWithSpecialCharacters(t *testing.T) {
	e := setup(t, sim.Options{})
	ctx := context.Background()
	const name = "O'Brien & Fils"
	first, err := e.client.Create(ctx, connectors.ObjectCompany, []connectors.Record{{Fields: map[string]any{"companyname": name, "siret": "1"}}})
	require.NoError(t, err)
	require.NoError(t, first[0].Err)
	second, err := e.client.Create(ctx, connectors.ObjectCompany, []connectors.Record{{Fields: map[string]any{"companyname": name, "siret": "2"}}})
	require.NoError(t, err)
	require.NoError(t, second[0].Err)
	assert.True(t, second[0].Created, "not merged into the first")
	assert.NotEqual(t, first[0].ID, second[0].ID)
	assert.Equal(t, 2, e.sim.Count("companies"))

	found, err := e.client.FindByKey(ctx, connectors.ObjectCompany, "companyname", []string{name})
	require.NoError(t, err)
	assert.ElementsMatch(t, []string{first[0].ID, second[0].ID}, ids(found))
	for _, r := range found {
		assert.Equal(t, name, r.Fields["companyname"])
	}

	res, err := e.client.Create(ctx, connectors.ObjectContact, []connectors.Record{{Fields: map[string]any{"email": "jo@example.com"},
		Links: map[string]string{connectors.ObjectCompany: first[0].ID}}})
	require.NoError(t, err)
	require.NoError(t, res[0].Err)
	got, err := e.client.Get(ctx, connectors.ObjectContact, []string{res[0].ID})
	require.NoError(t, err)
	require.Len(t, got, 1)
	assert.Equal(t, first[0].ID, got[0].Links[connectors.ObjectCompany], "the oldest company of that name, found by its stored name")
}

// takenIn compares the names found decoded.
func TestCompanyNamesTakenEncoded(t *testing.T) {
	ents := []*entity{{ID: "1", Fields: entityFields{All: map[string]any{"companyname": "O&#39;Brien &#38; Fils"}}}}
	assert.Equal(t, map[string]bool{"o'brien & fils": true}, takenIn([]string{"O'Brien & Fils", "Martin"}, ents))
}

// The fields Mautic stores as sent: type html, or allowHtml in any of the ways Mautic writes
// it (markup kept), a select or multiselect (its options), an e-mail.
func TestKeptAsSent(t *testing.T) {
	tests := []struct {
		typ, props string
		want       bool
	}{
		{"html", `[]`, true},
		{"textarea", `{"allowHtml":true}`, true},
		{"textarea", `{"allowHtml":"1"}`, true},
		{"textarea", `{"allowHtml":1}`, true},
		{"textarea", `{"allowHtml":"0"}`, false},
		{"textarea", `{"allowHtml":false}`, false},
		{"textarea", `[]`, false},
		{"text", ``, false},
		{"select", `{"list":[{"label":"A &amp; B","value":"A &amp; B"}]}`, true},
		{"multiselect", `[]`, true},
		{"email", `[]`, true},
		{"tel", `[]`, false},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, keptAsSent(tt.typ, []byte(tt.props)), "%s %s", tt.typ, tt.props)
	}
}

// html.UnescapeString, with which the connector reads a text back, undoes
// phptext.SpecialChars (PHP's FILTER_SANITIZE_SPECIAL_CHARS).
func TestUnescapeSpecialChars(t *testing.T) {
	in := "O'Brien \"&\" <b>\n\t\r\x01 é ü 日本 ; # \x7f"
	assert.Equal(t, in, html.UnescapeString(phptext.SpecialChars(in)))
	assert.Equal(t, []string{"a", "O'B", "O&#39;B"}, bothForms([]string{"a", "O'B"}))
}
