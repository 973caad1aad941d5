package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/config"
	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/registry"
	"github.com/crmsync/crmsync/sandbox"
)

// withFields adds fields to what a real connector describes, so that the checks of custom
// field types do not depend on which custom fields the simulators seed.
type withFields struct {
	connectors.Connector
	extra map[string][]connectors.Field
}

func (w withFields) Describe(ctx context.Context, object string) ([]connectors.Field, error) {
	fs, err := w.Connector.Describe(ctx, object)
	return append(fs, w.extra[object]...), err
}

var (
	sellsyExtra = map[string][]connectors.Field{connectors.ObjectContact: {
		{Name: "cf.zz_budget", Type: "amount"},
		{Name: "cf.zz_level", Type: "select", Options: []connectors.Option{{Value: "Gold"}, {Value: "Silver"}}},
	}, connectors.ObjectCompany: { // a gate that applies to companies only
		{Name: "cf.zz_sa", Type: "boolean"},
		{Name: "cf.zz_sa_text", Type: "simple-text"},
	}}
	mauticExtra = map[string][]connectors.Field{connectors.ObjectContact: {
		{Name: "zz_level", Label: "Level", Type: "select", Options: []connectors.Option{{Value: "gold"}, {Value: "silver"}}},
	}}
)

// liveConnection writes a connection file joining the sandbox's two systems (Sellsy on side a,
// unless swapped) with the given objects section, and loads it.
func liveConnection(t *testing.T, sb *sandbox.Sandbox, swapped bool, objects string) *config.Connection {
	t.Helper()
	sellsy := `
  system: sellsy
  settings:
    api_url: ` + sb.SellsyURL + `/v2
    token_url: ` + sb.SellsyURL + `/oauth2/access-tokens
    requests_per_second: "1000"
  credentials: {client_id: VT_SELLSY_ID, client_secret: VT_SELLSY_SECRET}
`
	mautic := `
  system: mautic
  settings:
    base_url: ` + sb.MauticURL + `
  credentials: {username: VT_MAUTIC_USER, password: VT_MAUTIC_PASS}
`
	a, b := sellsy, mautic
	if swapped {
		a, b = mautic, sellsy
	}
	doc := "name: live\na:" + a + "b:" + b + "objects:\n" + objects
	path := filepath.Join(t.TempDir(), "conn.yaml")
	require.NoError(t, os.WriteFile(path, []byte(doc), 0o600))
	c, err := config.Load(path)
	require.NoError(t, err)
	return c
}

func startSandbox(t *testing.T) *sandbox.Sandbox {
	t.Helper()
	sb, err := sandbox.Start(sandbox.Options{
		SellsyClientID: "vt-id", SellsyClientSecret: "vt-secret", SellsyRequestsPerSecond: -1,
		MauticUsername: "vt-user", MauticPassword: "vt-pass",
	})
	require.NoError(t, err)
	t.Cleanup(func() { _ = sb.Close() })
	t.Setenv("VT_SELLSY_ID", "vt-id")
	t.Setenv("VT_SELLSY_SECRET", "vt-secret")
	t.Setenv("VT_MAUTIC_USER", "vt-user")
	t.Setenv("VT_MAUTIC_PASS", "vt-pass")
	return sb
}

func TestCheckLive(t *testing.T) {
	sb := startSandbox(t)
	ctx := context.Background()

	t.Run("the example's mapping is valid", func(t *testing.T) {
		c := liveConnection(t, sb, false, `
  - name: company
    match: {a: name, b: companyname}
    fields:
      - {a: name, b: companyname}
      - {a: email, b: companyemail}
      - {a: website, b: companywebsite}
      - {a: phone_number, b: companyphone}
      - {a: siret, b: siret, direction: a_to_b}
  - name: contact
    match: {a: email, b: email}
    links: [company]
    fields:
      - {a: email, b: email}
      - {a: first_name, b: firstname}
      - {a: last_name, b: lastname}
      - {a: phone_number, b: phone}
      - {a: mobile_number, b: mobile}
      - {a: position, b: position}
`)
		assert.NoError(t, checkLive(ctx, c))
	})

	t.Run("unknown field", func(t *testing.T) {
		c := liveConnection(t, sb, false, `
  - name: contact
    match: {a: email, b: email}
    fields:
      - {a: email, b: email}
      - {a: last_name, b: nickname}
`)
		err := checkLive(ctx, c)
		require.Error(t, err)
		lines := strings.Split(err.Error(), "\n")
		require.Len(t, lines, 1, err.Error())
		assert.True(t, strings.HasPrefix(lines[0], c.File+`: objects[0].fields[1].b: mautic contact has no field "nickname" (fields: `), lines[0])
		assert.Contains(t, lines[0], " firstname,")
		assert.Contains(t, lines[0], " lastname,")
	})
}

func TestCheckFieldsLive(t *testing.T) {
	sb := startSandbox(t)
	ctx := context.Background()
	check := func(t *testing.T, c *config.Connection) error {
		t.Helper()
		var conns [2]connectors.Connector
		for i, side := range []string{"a", "b"} {
			conn, err := registry.Open(c, side, nil)
			require.NoError(t, err)
			extra := mauticExtra
			if conn.System() == "sellsy" {
				extra = sellsyExtra
			}
			conns[i] = withFields{Connector: conn, extra: extra}
		}
		return checkFields(ctx, c, conns[0], conns[1], &describer{conns: conns})
	}
	contact := func(fields string) string {
		return `
  - name: contact
    match: {a: email, b: email}
    fields:
      - {a: email, b: email}
      - {a: last_name, b: lastname}
` + fields
	}
	swappedContact := func(fields string) string {
		return `
  - name: contact
    match: {a: email, b: email}
    fields:
      - {a: email, b: email}
      - {a: lastname, b: last_name}
` + fields
	}
	company := func(filter string) string {
		return `
  - name: company
    match: {a: name, b: companyname}` + filter + `
    fields:
      - {a: name, b: companyname}
`
	}
	// gatedContact is a contact object behind a company-only gate.
	const gatedContact = `
  - name: contact
    match: {a: email, b: email}
    filter: {a: {cf.zz_sa: true}}
    fields:
      - {a: email, b: email}
      - {a: last_name, b: lastname}
`
	tests := []struct {
		name    string
		swapped bool
		objects string
		want    []string // whole messages after "<file>: "
		unknown int      // unknown-field messages expected besides want
		// gateAt: the unknown-field message is that of a gate (at this object) that exists on
		// companies only.
		gateAt string
	}{
		{name: "standard and custom fields that fit", objects: contact(`
      - {a: cf.zz_budget, b: points, direction: a_to_b}
      - {a: cf.zz_level, b: zz_level, values: {Gold: gold, Silver: silver}}
      - {a: phone_number, b: phone}
`)},
		{name: "incompatible type", objects: contact(`
      - {a: phone_number, b: points}
`), want: []string{
			"objects[0].fields[2]: sellsy field phone_number (phone) cannot map to mautic field points (number): allowed: tel, text",
		}},
		{name: "amount field both ways", objects: contact(`
      - {a: cf.zz_budget, b: points}
`), want: []string{
			"objects[0].fields[2]: sellsy field cf.zz_budget (amount) cannot map to mautic field points (number) in direction both: amount fields sync only from Sellsy to Automation: set direction: a_to_b",
		}},
		{name: "amount field from Automation, Sellsy on side b", swapped: true, objects: swappedContact(`
      - {a: points, b: cf.zz_budget, direction: a_to_b}
`), want: []string{
			"objects[0].fields[2]: mautic field points (number) cannot map to sellsy field cf.zz_budget (amount) in direction a_to_b: amount fields sync only from Sellsy to Automation: set direction: b_to_a",
		}},
		{name: "amount field from Sellsy, Sellsy on side b", swapped: true, objects: swappedContact(`
      - {a: points, b: cf.zz_budget, direction: b_to_a}
`)},
		{name: "amount field to a list", objects: contact(`
      - {a: cf.zz_budget, b: zz_level, direction: a_to_b}
`), want: []string{
			"objects[0].fields[2]: sellsy field cf.zz_budget (amount) cannot map to mautic field zz_level (select): allowed for a Sellsy custom field: number; and only a_to_b (Sellsy → Automation)",
		}},
		{name: "value map naming options that do not exist", objects: contact(`
      - {a: cf.zz_level, b: zz_level, values: {Gold: gold, Platinum: platinum}}
`), want: []string{
			`objects[0].fields[2].values: "Platinum" is not in the value list of sellsy field cf.zz_level (values: Gold, Silver)`,
			`objects[0].fields[2].values: "platinum" (for "Platinum") is not in the value list of mautic field zz_level (value list "Level") (values: gold, silver)`,
			`objects[0].fields[2].values: value "Silver" of sellsy field cf.zz_level has no counterpart in mautic field zz_level (value list "Level"): map it under values: (values of zz_level: gold, silver)`,
			`objects[0].fields[2].values: value "silver" of mautic field zz_level (value list "Level") has no counterpart in sellsy field cf.zz_level: map it under values:, or set direction: a_to_b (values of cf.zz_level: Gold, Silver)`,
		}},
		{name: "a value map that leaves an option out", objects: contact(`
      - {a: cf.zz_level, b: zz_level, values: {Gold: gold}, direction: a_to_b}
`), want: []string{
			`objects[0].fields[2].values: value "Silver" of sellsy field cf.zz_level has no counterpart in mautic field zz_level (value list "Level"): map it under values: (values of zz_level: gold, silver)`,
		}},
		{name: "a gate on a yes/no field", objects: company(`
    filter: {a: {cf.zz_sa: true}}
`)},
		{name: "a gate on a text field", objects: company(`
    filter: {a: {cf.zz_sa_text: true}}
`), want: []string{
			`objects[0].filter.a.cf.zz_sa_text: sellsy field "cf.zz_sa_text" is of type simple-text, not yes/no: a gate written true needs a yes/no (boolean) field: change the field's type, or name a yes/no field`,
		}},
		{name: "a yes/no gate given a text value", objects: company(`
    filter: {a: {cf.zz_sa: "oui"}}
`), want: []string{
			`objects[0].filter.a.cf.zz_sa: sellsy field "cf.zz_sa" is yes/no: write true or false, not oui`,
		}},
		{name: "a gate that does not apply to contacts", objects: company("") + gatedContact, unknown: 1, want: []string{}, gateAt: "objects[1]"},
		{name: "a contact-only connection gated by a company field", objects: gatedContact, unknown: 1, want: []string{}, gateAt: "objects[0]"},
		{name: "missing required fields on both sides", objects: `
  - name: company
    match: {a: siret, b: siret}
    fields:
      - {a: siret, b: siret}
      - {a: email, b: companyemail}
  - name: contact
    match: {a: email, b: email}
    fields:
      - {a: email, b: email}
`, want: []string{
			"objects[0] (company): sellsy company requires fields that are not mapped: name",
			"objects[0] (company): mautic company requires fields that are not mapped: companyname",
			"objects[1] (contact): sellsy contact requires fields that are not mapped: last_name",
		}},
		{name: "a side that is never written needs no required field", objects: `
  - name: contact
    match: {a: email, b: email}
    fields:
      - {a: email, b: email, direction: a_to_b}
`},
		{name: "every problem in one run", objects: contact(`
      - {a: phone_number, b: points}
      - {a: cf.zz_budget, b: fax}
      - {a: nope, b: zz_level}
`), unknown: 1, want: []string{
			"objects[0].fields[2]: sellsy field phone_number (phone) cannot map to mautic field points (number): allowed: tel, text",
			"objects[0].fields[3]: sellsy field cf.zz_budget (amount) cannot map to mautic field fax (tel): allowed for a Sellsy custom field: number; and only a_to_b (Sellsy → Automation)",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := liveConnection(t, sb, tt.swapped, tt.objects)
			err := check(t, c)
			if tt.want == nil {
				assert.NoError(t, err)
				return
			}
			require.Error(t, err)
			got := []string{}
			unknown := 0
			for _, line := range strings.Split(err.Error(), "\n") {
				require.True(t, strings.HasPrefix(line, c.File+": "), "every message names the file: %s", line)
				line = strings.TrimPrefix(line, c.File+": ")
				if strings.Contains(line, "has no field") {
					unknown++
					if tt.gateAt != "" {
						assert.True(t, strings.HasPrefix(line, tt.gateAt+`.filter.a: sellsy contact has no field "cf.zz_sa" (fields: `), line)
						assert.True(t, strings.HasSuffix(line, `: cf.zz_sa exists on company but does not apply to contact: add contact to the field's related objects in sellsy`), line)
					}
					continue // the unknown-field message, with the whole field list, is checked above
				}
				got = append(got, line)
			}
			assert.Equal(t, tt.want, got)
			assert.Equal(t, tt.unknown, unknown, "unknown-field messages")
		})
	}
}

// Value maps are checked against whichever side has a value list, and every option of a
// list that is sent must have a counterpart.
func TestCheckValues(t *testing.T) {
	roles := connectors.Field{Name: "role", Label: "Rôle", Type: "select", Options: []connectors.Option{{Value: "DIR", Label: "Directeur"}, {Value: "COM", Label: "Commercial"}}}
	position := connectors.Field{Name: "position", Type: "string"}
	civility := connectors.Field{Name: "civility", Label: "Civility", Type: "select", Options: []connectors.Option{{Value: "mr", Label: "Mr"}, {Value: "mrs", Label: "Mrs"}, {Value: "ms", Label: "Ms"}}}
	civilities := connectors.Field{Name: "civility", Label: "Civilité", Type: "select", Options: []connectors.Option{{Value: "M", Label: "Monsieur"}, {Value: "MME", Label: "Madame"}}}
	tests := []struct {
		name   string
		fa, fb connectors.Field
		values map[string]string
		back   map[string]string // values_back
		dir    config.Direction
		want   []string
	}{
		{name: "side A without a list: values checked against side B's", fa: position, fb: roles, dir: config.AToB,
			values: map[string]string{"Director": "DIR", "Sales": "VENTE"}, want: []string{
				`"VENTE" (for "Sales") is not in the value list of altior field role (value list "Rôle") (values: DIR, COM)`,
			}},
		{name: "every value of both lists mapped", fa: civility, fb: civilities, values: map[string]string{"mr": "M", "mrs": "MME", "ms": "MME"}, dir: config.AToB},
		{name: "a side-A option left out", fa: civility, fb: civilities, values: map[string]string{"mr": "M", "mrs": "MME"}, dir: config.AToB, want: []string{
			`value "ms" of sellsy field civility (value list "Civility") has no counterpart in altior field civility (value list "Civilité"): map it under values: (values of civility: M, MME)`,
		}},
		{name: "a key that is not a side-A option", fa: civility, fb: civilities, values: map[string]string{"mr": "M", "mrs": "MME", "ms": "MME", "dr": "M"}, dir: config.AToB, want: []string{
			`"dr" is not in the value list of sellsy field civility (value list "Civility") (values: mr, mrs, ms)`,
		}},
		{name: "options mapped by label", fa: civility, fb: civilities, values: map[string]string{"Mr": "Monsieur", "Mrs": "Madame", "Ms": "Madame"}, dir: config.AToB},
		// The worker's codec converts a value through its own option's label too (the same
		// rule both ways): validate says what it will do.
		{name: "a value whose label is a side-B value maps by that label", dir: config.AToB,
			fa: connectors.Field{Name: "status", Type: "select", Options: []connectors.Option{{Value: "2001", Label: "New"}}},
			fb: connectors.Field{Name: "stage", Type: "select", Options: []connectors.Option{{Value: "New"}}}},
		{name: "a value whose label is no side-B value is no counterpart", dir: config.AToB,
			fa: connectors.Field{Name: "status", Type: "select", Options: []connectors.Option{{Value: "2001", Label: "Fresh"}}},
			fb: connectors.Field{Name: "stage", Type: "select", Options: []connectors.Option{{Value: "New"}}}, want: []string{
				`value "2001" of sellsy field status has no counterpart in altior field stage: map it under values: (values of stage: New)`,
			}},
		{name: "side-B options need a counterpart when they travel back", fa: civilities, fb: civility, values: map[string]string{"M": "mr", "MME": "mrs"}, dir: config.Both, want: []string{
			`value "ms" of sellsy field civility (value list "Civility") has no counterpart in altior field civility (value list "Civilité"): map it under values:, or set direction: a_to_b (values of civility: M, MME)`,
		}},
		{name: "several side-A options to one, values_back names the way back", fa: civility, fb: civilities, dir: config.Both,
			values: map[string]string{"mr": "M", "mrs": "MME", "ms": "MME"}, back: map[string]string{"MME": "mrs"}},
		{name: "values_back naming options that do not exist", fa: civility, fb: civilities, dir: config.Both,
			values: map[string]string{"mr": "M", "mrs": "MME", "ms": "MME"}, back: map[string]string{"MME": "dr", "MLLE": "ms"}, want: []string{
				`values_back: "MLLE" is not in the value list of altior field civility (value list "Civilité") (values: M, MME)`,
				`values_back: "dr" (for "MME") is not in the value list of sellsy field civility (value list "Civility") (values: mr, mrs, ms)`,
			}},
		{name: "side-B options that never travel back", fa: civilities, fb: civility, values: map[string]string{"M": "mr", "MME": "mrs"}, dir: config.AToB},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sysA, sysB := "sellsy", "altior"
			if tt.fa.Name == "role" || tt.fa.Label == "Civilité" {
				sysA, sysB = "altior", "sellsy"
			}
			f := config.Field{Values: tt.values, ValuesBack: tt.back}
			got := checkValues(sysA, tt.fa, sysB, tt.fb, tt.values, f.Reversed(), tt.dir)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestCheckGate(t *testing.T) {
	tests := []struct {
		name string
		typ  string
		v    any
		want string
	}{
		{"Sellsy V2 yes/no", "boolean", true, ""},
		{"Sellsy V1 yes/no", "yesno", false, ""},
		{"UNAS bool", "bool", true, ""},
		{"text value on a text field", "simple-text", "oui", ""},
		{"true on a text field", "simple-text", true, "is of type simple-text, not yes/no: a gate written true needs a yes/no (boolean) field: change the field's type, or name a yes/no field"},
		{"false on a select", "select", false, "is of type select, not yes/no: a gate written false needs a yes/no (boolean) field: change the field's type, or name a yes/no field"},
		{"text on a yes/no field", "boolean", "yes", "is yes/no: write true or false, not yes"},
		{"a list on a yes/no field", "boolean", []any{"yes", "oui"}, "is yes/no: write true or false, not yes or oui"},
		{"a list on a select", "select", []any{"prospect", "client"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, checkGate(connectors.Field{Name: "cf.SA", Type: tt.typ}, tt.v))
		})
	}
}

// validate --live checks weavy's insert and update rights (API ajout, API MAJ) on the tables
// the connection writes, not only the read right, and changes nothing doing so.
func TestValidateLiveWeavyWriteRights(t *testing.T) {
	tests := []struct {
		table, right string
		want         string // "": the right is not needed
	}{
		{"customer", "insert", "the API ajout right is off for the table Client: switch it on in the weavy studio"},
		{"customer", "update", "the API MAJ right is off for the table Client: switch it on in the weavy studio"},
		{"customercontact", "update", "the API MAJ right is off for the table Client / Contact: switch it on in the weavy studio"},
		{"customercontact", "insert", ""}, // Automation never creates weavy contacts: new ones are entrants
		{"marketinginbound", "insert", "the API ajout right is off for the table Marketing / Entrant: switch it on in the weavy studio"},
		{"marketinginbound", "update", "the API MAJ right is off for the table Marketing / Entrant: switch it on in the weavy studio"},
	}
	sb, path := weavyMauticExample(t, sandbox.Options{WeavyContacts: 3, WeavyEntrantsFirst: 100, WeavyEntrants: 2})
	c, err := config.Load(path)
	require.NoError(t, err)
	before := map[string]int{}
	for _, e := range []string{"customer", "customercontact", "marketinginbound"} {
		before[e] = sb.Weavy.Count(e)
	}
	for _, tt := range tests {
		t.Run(tt.table+"/"+tt.right, func(t *testing.T) {
			sb.Weavy.SetRight(tt.table, tt.right, false)
			defer sb.Weavy.SetRight(tt.table, tt.right, true)
			err := checkLive(context.Background(), c)
			if tt.want == "" {
				assert.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.True(t, strings.HasPrefix(err.Error(), path+": a: weavy "), err.Error())
			assert.True(t, strings.HasSuffix(err.Error(), ": configuration (HTTP 403): weavy: "+tt.want), err.Error())
		})
	}
	for e, n := range before {
		assert.Equal(t, n, sb.Weavy.Count(e), "%s: the probes create nothing", e)
	}
}

// Sellsy companies' legal form (legal_france.company_type) maps to Altior's legal forms; its
// values are checked against Altior's list "Forme juridique".
func TestValidateLiveLegalForms(t *testing.T) {
	sb := sellsyAltiorSandbox(t, nil)
	base := sellsyAltiorExample(t, sb) // the example maps legal_form as the spellings are
	tests := []struct {
		name, mapping string
		want          string
	}{
		{"other spellings through values", `{a: legal_form, b: legal_form, values: {"S.A.S.": SAS, "S.A.R.L.": SARL}}`, ""},
		{"a value not in Altior's list", `{a: legal_form, b: legal_form, values: {"S.A.S.U.": SASU}}`,
			`"SASU" (for "S.A.S.U.") is not in the value list of altior field legal_form (value list "Forme juridique") (values: AS, CTC, EI, AH, EPLE, SARL, SAS)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := strings.Replace(base, "{a: legal_form, b: legal_form}", tt.mapping, 1)
			require.NotEqual(t, base, file, "the example's legal_form mapping is replaced")
			var wants []string
			if tt.want != "" {
				wants = append(wants, tt.want)
			}
			validateLive(t, "sellsy-altior.yaml", file, wants...)
		})
	}
}

// describeCounter answers Describe with err and counts the calls.
type describeCounter struct {
	connectors.Connector
	calls int
	err   error
}

func (d *describeCounter) Describe(context.Context, string) ([]connectors.Field, error) {
	d.calls++
	return nil, d.err
}

// The checks of one validation describe an object once, even when that fails.
func TestDescriberAsksOnce(t *testing.T) {
	refused := errors.New("no such object")
	c := &describeCounter{err: refused}
	d := &describer{conns: [2]connectors.Connector{c, c}}
	for range 3 {
		_, err := d.fields(context.Background(), 0, "company")
		assert.ErrorIs(t, err, refused)
	}
	_, err := d.fields(context.Background(), 1, "company")
	assert.ErrorIs(t, err, refused)
	assert.Equal(t, 2, c.calls, "once per side and object")
}

// Offline, validate says where records would be created without their match key: that needs
// no field description (with --live it comes with the other checks).
func TestValidateOfflineChecksWhereKeysGo(t *testing.T) {
	example, err := os.ReadFile("../config/examples/sellsy-mautic.yaml")
	require.NoError(t, err)
	tests := []struct {
		name  string
		match string
		want  string // "" for valid
	}{
		{name: "name both ways", match: "{a: name, b: companyname}"},
		{name: "siret mapped a_to_b only", match: "{a: siret, b: siret}",
			want: "objects[0] (company): the sellsy company records created from mautic would lack the match field siret"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text := regexp.MustCompile(`match: \{a: name, b: companyname\}[^\n]*`).ReplaceAllString(string(example), "match: "+tt.match)
			file := filepath.Join(t.TempDir(), "conn.yaml")
			require.NoError(t, os.WriteFile(file, []byte(text), 0o600))
			var out bytes.Buffer
			err := validate(t.Context(), []string{file}, &out)
			if tt.want == "" {
				require.NoError(t, err)
				assert.Contains(t, out.String(), "is valid")
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), file+": "+tt.want)
		})
	}
}
