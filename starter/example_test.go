package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/sandbox"
)

// TestExamplesValidateLive checks the example connection files against the simulators, as a
// user would with `crmsync validate --live` before starting anything.
func TestExamplesValidateLive(t *testing.T) {
	sb, err := sandbox.Start(sandbox.Options{SellsyClientID: "id", SellsyClientSecret: "secret", SellsyRequestsPerSecond: -1, MauticUsername: "u", MauticPassword: "p",
		WeavyAddr: "127.0.0.1:0", WeavyUsername: "wu", WeavyPassword: "wp", WeavyProject: "crm",
		AltiorAddr: "127.0.0.1:0", AltiorAPIKey: "ak",
		UNASAddr: "127.0.0.1:0", UNASAPIKey: "uk", MiniCRMAddr: "127.0.0.1:0", MiniCRMSystemID: "7", MiniCRMAPIKey: "mk"})
	require.NoError(t, err)
	t.Cleanup(func() { _ = sb.Close() })
	for k, v := range map[string]string{"UNAS_API_KEY": "uk", "MINICRM_SYSTEM_ID": "7", "MINICRM_API_KEY": "mk", "ALTIOR_API_KEY": "ak", "SELLSY_CLIENT_ID": "id", "SELLSY_CLIENT_SECRET": "secret", "MAUTIC_USERNAME": "u", "MAUTIC_PASSWORD": "p", "MAUTIC_WEBHOOK_SECRET": "w", "MAUTIC_PUSH_TOKEN": "t", "WEAVY_USERNAME": "wu", "WEAVY_PASSWORD": "wp"} {
		t.Setenv(k, v)
	}
	files, err := filepath.Glob("../config/examples/*.yaml")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			require.NoError(t, err)
			text := strings.NewReplacer("http://127.0.0.1:18081", sb.SellsyURL, "http://127.0.0.1:18082", sb.MauticURL, "http://127.0.0.1:18083", sb.WeavyURL, "http://127.0.0.1:18084", sb.AltiorURL, "http://127.0.0.1:18085", sb.UNASURL, "http://127.0.0.1:18086", sb.MiniCRMURL).Replace(string(data))
			path := filepath.Join(t.TempDir(), filepath.Base(f))
			require.NoError(t, os.WriteFile(path, []byte(text), 0o600))
			var out bytes.Buffer
			require.NoError(t, run(context.Background(), []string{"validate", "--live", path}, &out))
			assert.Contains(t, out.String(), "is valid")
			// Every field the file names is one `crmsync fields` lists: its mapping screen
			// reads every object of every system.
			out.Reset()
			require.NoError(t, run(context.Background(), []string{"fields", path}, &out))
			assert.Contains(t, out.String(), "(side a)")
			assert.Contains(t, out.String(), "(side b)")
		})
	}
}

// validate --live refuses a weavy connection whose API read right is off on a table, naming
// the table and the right to switch on in the weavy studio.
func TestValidateLiveChecksWeavyRights(t *testing.T) {
	sb, path := weavyMauticExample(t, sandbox.Options{})

	sb.Weavy.SetRight("customercontact", "read", false)
	err := run(context.Background(), []string{"validate", "--live", path}, &bytes.Buffer{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), path+": a: ")
	assert.Contains(t, err.Error(), "API lecture")
	assert.Contains(t, err.Error(), "Client / Contact")
}

// validate --live does the Altior guide's manual checks: the SA field exists on Sellsy and is
// yes/no, and the reference user and establishment exist in Altior.
func TestValidateLiveAltiorChecks(t *testing.T) {
	sb := sellsyAltiorSandbox(t, nil)
	base := sellsyAltiorExample(t, sb)
	tests := []struct {
		name  string
		edit  *strings.Replacer
		wants []string
	}{
		{"unknown gate field", strings.NewReplacer("a: {cf.SA: true}               # only", "a: {cf.SYNC: true}             # only"), []string{`objects[0].filter.a: sellsy company has no field "cf.SYNC"`}},
		{"gate not yes/no", strings.NewReplacer("a: {cf.SA: true}               # only", "a: {cf.SA: oui}                # only"), []string{`objects[0].filter.a.cf.SA: sellsy field "cf.SA" is yes/no: write true or false, not oui`}},
		{"reference user and establishment", strings.NewReplacer("ref@example.com", "gone@example.com", "establishment: E1", "establishment: E7"), []string{"no Altior user has this e-mail", `"E7" is not an Altior establishment`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.NotEmpty(t, tt.wants, "every case is a mistake")
			validateLive(t, "sellsy-altior.yaml", tt.edit.Replace(base), tt.wants...)
		})
	}
}

// pipelineFile is a Sellsy ⇄ Altior connection file with the sandbox's URLs, its companies and
// opportunities, and one pipeline of opportunities with those events.
func pipelineFile(sb *sandbox.Sandbox, pipeline, events string) string {
	return `name: pl
a:
  system: sellsy
  settings: {api_url: ` + sb.SellsyURL + `/v2, token_url: ` + sb.SellsyURL + `/oauth2/access-tokens}
  credentials: {client_id: SELLSY_CLIENT_ID, client_secret: SELLSY_CLIENT_SECRET}
b:
  system: altior
  settings: {base_url: ` + sb.AltiorURL + `, reference_user_email: ref@example.com, establishment: E1}
  credentials: {api_key: ALTIOR_API_KEY}
direction: a_to_b
objects:
  - name: company
    match: {a: siret, b: siret}
    filter: {b: {kind: moral}}
    fields: [{a: name, b: name}, {a: siret, b: siret}, {a: type, b: relation}]
  - name: opportunity
    b_object: affaire
    match: {a: name, b: title}
    links: [company]
    fields: [{a: name, b: title}]
pipelines:
  - object: opportunity
    pipeline: "` + pipeline + `"
    events: ` + events + "\n"
}

// validate --live checks each pipeline against Sellsy and Altior: the pipeline and its steps
// exist, the events exist, the first is bound, and they follow the steps' order. It resolves
// the pipelines and steps a file names by name, as the guide has users write them: a name
// Sellsy does not have is reported at its field with what Sellsy has, and the checks of the
// bindings name the steps as written.
func TestValidateLivePipelines(t *testing.T) {
	sb := sellsyAltiorSandbox(t, nil)
	tests := []struct {
		name           string
		pipeline, evts string
		wants          []string // none: valid
	}{
		{name: "valid", pipeline: "1", evts: `{"11": QUALIF, "14": PROPOSITION, "13": GAGNEE}`},
		{name: "unknown pipeline", pipeline: "9", evts: `{"11": QUALIF}`, wants: []string{`pipelines[0].pipeline: "9" is neither the id nor the name of a sellsy pipeline; its pipelines: 1 "Ventes"`}},
		{name: "out of order, unknown step and event", pipeline: "1", evts: `{"11": QUALIF, "14": GAGNEE, "13": PROPOSITION, "99": SIGNEE}`,
			wants: []string{`step "13" is bound to event "PROPOSITION", which comes before`, `event "SIGNEE", which does not exist`, `pipelines[0].events["99"]: "99" is neither the id nor the name of a step of pipeline 1; its steps: 11 "Découverte"`}},
		{name: "first event unbound", pipeline: "1", evts: `{"13": GAGNEE}`, wants: []string{`the first event "QUALIF" is bound to no step`}},
		{name: "stage field missing on the affaire", pipeline: "1", evts: "{\"11\": QUALIF}\n    stage_target: cf.ETAPE\n    pipeline_field: funnel",
			wants: []string{`pipelines[0].stage_target: altior affaire has no field "cf.ETAPE"`, `pipelines[0].pipeline_field: sellsy opportunity has no field "funnel"`}},
		{name: "unknown establishment", pipeline: "1", evts: "{\"11\": QUALIF}\n    establishment: E9",
			wants: []string{`pipelines[0]: altior establishment: configuration: "E9" is not an Altior establishment (establishments: E1 (Siège Lyon), E2 (Agence Nantes))`}},
		// By name.
		{name: "names", pipeline: "Grands comptes", evts: `{Qualification: QUALIF, "Gagné": GAGNEE}`},
		{name: "names and ids", pipeline: "Ventes", evts: `{"Découverte": QUALIF, "14": PROPOSITION, "Signature": GAGNEE}`},
		{name: "an unknown pipeline name", pipeline: "Grand comptes", evts: `{Qualification: QUALIF}`,
			wants: []string{`pl.yaml: pipelines[0].pipeline: "Grand comptes" is neither the id nor the name of a sellsy pipeline (did you mean Grands comptes?); its pipelines: 1 "Ventes", 3 "Grands comptes", 2 "Partenariats"`}},
		{name: "an unknown step name", pipeline: "Ventes", evts: `{"Découverte": QUALIF, "Signatur": GAGNEE}`,
			wants: []string{`pl.yaml: pipelines[0].events["Signatur"]: "Signatur" is neither the id nor the name of a step of pipeline "Ventes" (1) (did you mean Signature?); its steps: 11 "Découverte", 14 "Proposition", 12 "Négociation", 13 "Signature"`}},
		{name: "a step of another pipeline", pipeline: "Grands comptes", evts: `{Qualification: QUALIF, Signature: GAGNEE}`,
			wants: []string{`pipelines[0].events["Signature"]: "Signature" is neither the id nor the name of a step of pipeline "Grands comptes" (3)`}},
		{name: "one pipeline by id and by name", pipeline: "1", evts: "{\"11\": QUALIF}\n  - object: opportunity\n    pipeline: Ventes\n    events: {\"Découverte\": QUALIF}",
			wants: []string{`pl.yaml: pipelines[1].pipeline: "Ventes" is pipeline 1, which pipelines[0] configures already: one configuration per pipeline`}},
		{name: "out of order, named as written", pipeline: "Ventes", evts: `{"Découverte": QUALIF, "Proposition": GAGNEE, "Signature": PROPOSITION}`,
			wants: []string{`pl.yaml: pipelines[0] (pipeline "Ventes" (1)): step "Signature" is bound to event "PROPOSITION", which comes before the event of an earlier step`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			validateLive(t, "pl.yaml", pipelineFile(sb, tt.pipeline, tt.evts), tt.wants...)
		})
	}
}

// validate --live names every scope the Sellsy API client lacks for the example Sellsy ⇄
// Altior connection, and passes once they are granted.
func TestValidateLiveSellsyScopes(t *testing.T) {
	full := []string{"companies.read", "companies.write", "contacts.read", "contacts.write", "custom-fields.read",
		"individuals.read", "individuals.write", "opportunities.read"}
	tests := []struct {
		name   string
		scopes []string
		events string // appended to the example
		wants  []string
	}{
		{"all granted", full, "", nil},
		{"read only", []string{"companies.read", "contacts.read", "individuals.read", "opportunities.read"}, "",
			[]string{"a: sellsy scopes: configuration: the API client lacks the scope(s) companies.write, contacts.write, custom-fields.read, individuals.write that this connection needs"}},
		{"events on tasks, read back without tasks.read", full, taskEvents,
			[]string{"a: sellsy scopes: configuration: the API client lacks the scope(s) tasks.read that this connection needs"}},
		{"events on tasks with tasks.read", append(full, "tasks.read"), taskEvents, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sb := sellsyAltiorSandbox(t, tt.scopes)
			example := sellsyAltiorExample(t, sb)
			if tt.events != "" {
				example = withWebhookToken(t, example)
			}
			validateLive(t, "sellsy-altior.yaml", example+tt.events, tt.wants...)
		})
	}
}

// taskEvents routes Sellsy's task events: each is read back before it starts anything. The
// events reach the worker at the URL of the webhook token the example's side a is given.
const taskEvents = `
events:
  - {object: task, event: created, start: {workflow: FollowUpTask}}
`

// withWebhookToken gives the example's Sellsy side the webhook token events need, and sets it.
func withWebhookToken(t *testing.T, example string) string {
	t.Helper()
	const secret = "    client_secret: SELLSY_CLIENT_SECRET\n"
	require.Contains(t, example, secret)
	t.Setenv("SELLSY_WEBHOOK_TOKEN", "example-token")
	return strings.Replace(example, secret, secret+"    webhook_token: SELLSY_WEBHOOK_TOKEN\n", 1)
}

// sellsyAltiorSandbox starts the Sellsy (with only these OAuth scopes when set) and Altior
// simulators, and sets the credentials the example connection names.
func sellsyAltiorSandbox(t *testing.T, scopes []string) *sandbox.Sandbox {
	t.Helper()
	sb, err := sandbox.Start(sandbox.Options{SellsyClientID: "id", SellsyClientSecret: "secret", SellsyRequestsPerSecond: -1, SellsyScopes: scopes,
		MauticUsername: "u", MauticPassword: "p", AltiorAddr: "127.0.0.1:0", AltiorAPIKey: "ak"})
	require.NoError(t, err)
	t.Cleanup(func() { _ = sb.Close() })
	for k, v := range map[string]string{"SELLSY_CLIENT_ID": "id", "SELLSY_CLIENT_SECRET": "secret", "ALTIOR_API_KEY": "ak"} {
		t.Setenv(k, v)
	}
	return sb
}

// sellsyAltiorExample returns the example Sellsy ⇄ Altior connection pointed at sb.
func sellsyAltiorExample(t *testing.T, sb *sandbox.Sandbox) string {
	t.Helper()
	data, err := os.ReadFile("../config/examples/sellsy-altior.yaml")
	require.NoError(t, err)
	return strings.NewReplacer("http://127.0.0.1:18081", sb.SellsyURL, "http://127.0.0.1:18084", sb.AltiorURL).Replace(string(data))
}

// validate --live refuses a UNAS schedule the shop's hourly budget cannot pay for, and says
// which interval it can.
func TestValidateLiveUNASSchedule(t *testing.T) {
	sb, data := unasMiniCRMExample(t)
	tests := []struct {
		schedule string
		wantErr  string
	}{
		{"", ""},
		{"schedule: {interval: 4m}\n", ""},
		{"schedule: {interval: 1m}\n", "unas-minicrm.yaml: a: unas schedule: configuration: schedule.interval 1m0s: every interval spends 2 listings (the incremental cycle and PipelineSync's scan) of the multi-order getOrder calls, 120 an hour, more than the 30 an hour the shop allows crmsync (PREMIUM): set schedule.interval to at least 4m0s"},
	}
	for _, tc := range tests {
		t.Run(tc.schedule, func(t *testing.T) {
			var wants []string
			if tc.wantErr != "" {
				wants = append(wants, tc.wantErr)
			}
			validateLive(t, "unas-minicrm.yaml", unasMiniCRMURLs(sb, data)+tc.schedule, wants...)
		})
	}
}

// validate --live names each mistake of a UNAS → MiniCRM connection that would otherwise
// surface only once it runs: an owner MiniCRM does not know (it would give the cards to a
// random user), a status map that leaves a status of the shop out or names a status the module
// lacks (strictly, with follow or without), a time zone that is not one.
func TestValidateLiveUNASMiniCRM(t *testing.T) {
	sb, data := unasMiniCRMExample(t)
	tests := []struct {
		name  string
		edit  *strings.Replacer
		wants []string
	}{
		{name: "the example", edit: strings.NewReplacer()},
		{name: "unknown owner", edit: strings.NewReplacer(`owner: "101"`, `owner: "4242"`),
			wants: []string{"unas-minicrm.yaml: b: ", "owner user 4242 does not exist (settings.owner; the system's user ids: 101, 102, 103)"}},
		{name: "a status of the shop unmapped, without follow", edit: strings.NewReplacer("follow: true ", "follow: false", `, “Törölve”: “Cancelled”`, ""),
			wants: []string{`unas-minicrm.yaml: pipelines[0] (pipeline orders): status "Törölve" of the shop is not mapped`}},
		{name: "a status the module lacks", edit: strings.NewReplacer(`“Closed”`, `“Done”`),
			wants: []string{`status "Teljesítve" maps to "Done", which is not a status of the module (statuses: New, In progress, Shipped, Closed, Cancelled)`}},
		{name: "an unknown time zone", edit: strings.NewReplacer("    base_url: http://127.0.0.1:18085/shop\n", "    base_url: http://127.0.0.1:18085/shop\n    time_zone: Mars/Olympus\n"),
			wants: []string{`unas-minicrm.yaml: a.settings.time_zone: "Mars/Olympus" is not an IANA time zone`}}, // offline already
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			edited := tt.edit.Replace(data)
			require.NotEqual(t, tt.name != "the example", edited == data, "the edit applies")
			validateLive(t, "unas-minicrm.yaml", unasMiniCRMURLs(sb, edited), tt.wants...)
		})
	}
}

// weavyMauticExample starts the Mautic and weavy simulators (opts adds to their settings),
// sets the credentials the example connection names, and writes the example Weavy ⇄ Mautic
// connection pointed at them; it returns the sandbox and the file's path.
func weavyMauticExample(t *testing.T, opts sandbox.Options) (*sandbox.Sandbox, string) {
	t.Helper()
	opts.MauticUsername, opts.MauticPassword, opts.SellsyClientID, opts.SellsyClientSecret = "u", "p", "id", "s"
	opts.WeavyAddr, opts.WeavyUsername, opts.WeavyPassword, opts.WeavyProject = "127.0.0.1:0", "wu", "wp", "crm"
	sb, err := sandbox.Start(opts)
	require.NoError(t, err)
	t.Cleanup(func() { _ = sb.Close() })
	for k, v := range map[string]string{"MAUTIC_USERNAME": "u", "MAUTIC_PASSWORD": "p", "WEAVY_USERNAME": "wu", "WEAVY_PASSWORD": "wp"} {
		t.Setenv(k, v)
	}
	data, err := os.ReadFile("../config/examples/weavy-mautic.yaml")
	require.NoError(t, err)
	text := strings.NewReplacer("http://127.0.0.1:18082", sb.MauticURL, "http://127.0.0.1:18083", sb.WeavyURL).Replace(string(data))
	path := filepath.Join(t.TempDir(), "weavy.yaml")
	require.NoError(t, os.WriteFile(path, []byte(text), 0o600))
	return sb, path
}

// unasMiniCRMExample starts the UNAS and MiniCRM simulators, sets the credentials the
// example connection names, and returns the sandbox and the example UNAS → MiniCRM
// connection as written (its URLs still the example's: see unasMiniCRMURLs).
func unasMiniCRMExample(t *testing.T) (*sandbox.Sandbox, string) {
	t.Helper()
	sb, err := sandbox.Start(sandbox.Options{SellsyClientID: "id", SellsyClientSecret: "secret", MauticUsername: "u", MauticPassword: "p",
		UNASAddr: "127.0.0.1:0", UNASAPIKey: "uk", MiniCRMAddr: "127.0.0.1:0", MiniCRMSystemID: "7", MiniCRMAPIKey: "mk"})
	require.NoError(t, err)
	t.Cleanup(func() { _ = sb.Close() })
	for k, v := range map[string]string{"UNAS_API_KEY": "uk", "MINICRM_SYSTEM_ID": "7", "MINICRM_API_KEY": "mk"} {
		t.Setenv(k, v)
	}
	data, err := os.ReadFile("../config/examples/unas-minicrm.yaml")
	require.NoError(t, err)
	return sb, string(data)
}

// unasMiniCRMURLs points a UNAS → MiniCRM connection's URLs at sb.
func unasMiniCRMURLs(sb *sandbox.Sandbox, text string) string {
	return strings.NewReplacer("http://127.0.0.1:18085", sb.UNASURL, "http://127.0.0.1:18086", sb.MiniCRMURL).Replace(text)
}

// validateLive writes text to a file named name and runs `crmsync validate --live` on it: no
// error when wants is empty, else an error containing each of wants.
func validateLive(t *testing.T, name, text string, wants ...string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(path, []byte(text), 0o600))
	err := run(context.Background(), []string{"validate", "--live", path}, &bytes.Buffer{})
	if len(wants) == 0 {
		require.NoError(t, err)
		return
	}
	require.Error(t, err)
	for _, w := range wants {
		assert.Contains(t, err.Error(), w)
	}
}
