package config

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Each side's settings are checked offline against the keys its connector reads: required
// ones, kinds, allowed values, and misspelt keys named with the key meant.
func TestSettingsAreChecked(t *testing.T) {
	conn := func(a, b string) string {
		// A company on each side, which MiniCRM calls a business.
		object := func(side string) string {
			if strings.Contains(side, "system: minicrm") {
				return "business"
			}
			return "company"
		}
		return "name: demo\na: " + a + "\nb: " + b + "\n" +
			"objects: [{name: company, a_object: " + object(a) + ", b_object: " + object(b) + ", match: {a: name, b: name}, fields: [{a: name, b: name}]}]\n"
	}
	const (
		sellsy  = "{system: sellsy, settings: {%s}, credentials: {client_id: S_ID, client_secret: S_SECRET}}"
		mautic  = "{system: mautic, settings: {%s}, credentials: {username: M_USER, password: M_PASS}}"
		weavy   = "{system: weavy, settings: {%s}, credentials: {username: W_USER, password: W_PASS}}"
		altior  = "{system: altior, settings: {%s}, credentials: {api_key: A_KEY}}"
		unas    = "{system: unas, settings: {%s}, credentials: {api_key: U_KEY}}"
		minicrm = "{system: minicrm, settings: {%s}, credentials: {system_id: M_ID, api_key: M_KEY}}"
	)
	set := func(side, settings string) string { return strings.Replace(side, "%s", settings, 1) }
	okMautic := set(mautic, "base_url: https://m.example")
	tests := []struct {
		name, yaml string
		want       []string // the whole error, line by line; none: valid
	}{
		{name: "every setting", yaml: conn(set(sellsy, `api_url: https://s.example/v2, token_url: https://s.example/token, v1_url: https://s.example/0/, company_type: client, requests_per_second: "2.5"`),
			set(mautic, `base_url: https://m.example, requests_per_second: 20`))},
		{name: "weavy, all settings", yaml: conn(set(weavy, `base_url: https://w.example, project: CRM, time_zone: Europe/Paris, requests_per_second: "10"`), okMautic)},
		{name: "unas and minicrm, all settings", yaml: conn(set(unas, `base_url: https://u.example/shop, order_lists_per_hour: "15", time_zone: Europe/Budapest, requests_per_second: "1"`),
			set(minicrm, `base_url: https://r3.example, owner: "101", requests_per_second: "1"`))},
		{name: "weavy without base_url nor project", yaml: conn(set(weavy, ""), okMautic), want: []string{
			"conn.yaml: a.settings.base_url: missing: weavy needs the weavy server's root, e.g. https://api.weavy.divalto.com",
			"conn.yaml: a.settings.project: missing: weavy needs the weavy project code",
		}},
		{name: "Automation without base_url", yaml: conn(set(sellsy, ""), set(mautic, `base_url: " "`)), want: []string{
			"conn.yaml: b.settings.base_url: missing: mautic needs the Automation instance's root, e.g. https://example.automation.webmecanik.com",
		}},
		{name: "altior and minicrm without base_url", yaml: conn(set(minicrm, ""), set(altior, "reference_user_email: ref@example.com, establishment: E1")), want: []string{
			"conn.yaml: a.settings.base_url: missing: minicrm needs the MiniCRM system's root, e.g. https://r3.minicrm.hu",
			"conn.yaml: b.settings.base_url: missing: altior needs the Altior environment's root, e.g. https://altior.example.com",
		}},
		{name: "a company type not allowed", yaml: conn(set(sellsy, "company_type: prospekt"), okMautic), want: []string{
			`conn.yaml: a.settings.company_type: "prospekt" is not one of prospect, client, supplier (did you mean prospect?)`,
		}},
		{name: "a rate that is not a number", yaml: conn(set(sellsy, "requests_per_second: fast"), set(mautic, `base_url: https://m.example, requests_per_second: "-1"`)), want: []string{
			`conn.yaml: a.settings.requests_per_second: "fast" is not a number of requests a second, such as "5" or "0.5" (leave it out for the default)`,
			`conn.yaml: b.settings.requests_per_second: "-1" is not a number of requests a second, such as "5" or "0.5" (leave it out for the default)`,
		}},
		{name: "a misspelt key", yaml: conn(set(sellsy, `requets_per_second: "5"`), okMautic), want: []string{
			"conn.yaml: a.settings.requets_per_second: not a setting of sellsy (did you mean requests_per_second?); its settings: api_url, company_type, requests_per_second, token_url, v1_url",
		}},
		{name: "a setting of another system", yaml: conn(set(sellsy, "base_url: https://s.example"), okMautic), want: []string{
			"conn.yaml: a.settings.base_url: not a setting of sellsy; its settings: api_url, company_type, requests_per_second, token_url, v1_url",
		}},
		{name: "URLs", yaml: conn(set(sellsy, "api_url: api.sellsy.com/v2"), set(mautic, "base_url: ftp://m.example")), want: []string{
			`conn.yaml: a.settings.api_url: "api.sellsy.com/v2" is not an http(s) URL like https://example.com`,
			`conn.yaml: b.settings.base_url: "ftp://m.example" is not an http(s) URL like https://example.com`,
		}},
		{name: "time zones, counts and project codes", yaml: conn(set(unas, `time_zone: Local, order_lists_per_hour: "ten"`), set(weavy, "base_url: https://w.example, project: a/b, time_zone: Paris")), want: []string{
			`conn.yaml: a.settings.order_lists_per_hour: "ten" is not a whole number of 0 or more`,
			`conn.yaml: a.settings.time_zone: "Local" is not an IANA time zone such as Europe/Paris`,
			`conn.yaml: b.settings.project: "a/b" is not a project code (no /, ? or #)`,
			`conn.yaml: b.settings.time_zone: "Paris" is not an IANA time zone such as Europe/Paris`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("conn.yaml", []byte(tt.yaml))
			if tt.want == nil {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Equal(t, tt.want, strings.Split(err.Error(), "\n"))
		})
	}
}

// Every credential, required or optional, must name an environment variable; a value given
// instead is refused without being repeated, and an unknown credential is named.
func TestCredentialsAreNames(t *testing.T) {
	conn := func(a, b string) string {
		return "name: demo\na: {system: sellsy, credentials: {client_id: S_ID, client_secret: S_SECRET" + a + "}}\n" +
			"b: {system: mautic, settings: {base_url: https://m.example}, credentials: {username: M_USER, password: M_PASS" + b + "}}\n" +
			"objects: [{name: contact, match: {a: email, b: email}, fields: [{a: email, b: email}]}]\n"
	}
	const notAName = "must be the NAME of an environment variable (like SELLSY_CLIENT_SECRET) that holds the credential, not the credential itself (not shown here)"
	tests := []struct {
		name, a, b string
		want       []string
	}{
		{name: "optional credentials as names", a: ", webhook_token: S_HOOK, v1_consumer_token: V1_CT, v1_consumer_secret: V1_CS, v1_user_token: V1_UT, v1_user_secret: V1_US",
			b: ", webhook_secret: M_HOOK, push_token: M_PUSH"},
		{name: "a required credential as a value", a: "", b: ", password: hunter2-Secret", want: []string{
			"conn.yaml: b.credentials.password: " + notAName}},
		{name: "optional credentials as values", a: ", webhook_token: tok-hunter2, v1_consumer_token: V1_CT, v1_consumer_secret: V1_CS, v1_user_token: V1_UT, v1_user_secret: hunter2/+=", b: ", webhook_secret: hunter2 secret, push_token: abc-hunter2", want: []string{
			"conn.yaml: a.credentials.v1_user_secret: " + notAName,
			"conn.yaml: a.credentials.webhook_token: " + notAName,
			"conn.yaml: b.credentials.push_token: " + notAName,
			"conn.yaml: b.credentials.webhook_secret: " + notAName,
		}},
		// API V1 signs with the four tokens together: a part of them would sign with empty
		// secrets, or, without the consumer token, be ignored for the V2 access token.
		{name: "API V1 tokens in part", a: ", v1_consumer_token: V1_CT, v1_consumer_secret: V1_CS", want: []string{
			"conn.yaml: a.credentials.v1_user_secret: " + v1Missing("v1_consumer_secret, v1_consumer_token"),
			"conn.yaml: a.credentials.v1_user_token: " + v1Missing("v1_consumer_secret, v1_consumer_token"),
		}},
		{name: "API V1 user tokens without the consumer's", a: ", v1_user_token: V1_UT, v1_user_secret: V1_US", want: []string{
			"conn.yaml: a.credentials.v1_consumer_secret: " + v1Missing("v1_user_secret, v1_user_token"),
			"conn.yaml: a.credentials.v1_consumer_token: " + v1Missing("v1_user_secret, v1_user_token"),
		}},
		// Left empty, it holds no credential to hide: it is missing.
		{name: "a credential left empty", a: ", webhook_token: ", want: []string{
			"conn.yaml: a.credentials.webhook_token: missing: name the environment variable that holds it (such as SELLSY_WEBHOOK_TOKEN), or leave the key out"}},
		{name: "a misspelt credential", b: ", webhook_secert: M_HOOK", want: []string{
			"conn.yaml: b.credentials.webhook_secert: not a credential of mautic (did you mean webhook_secret?); its credentials: password, push_token, username, webhook_secret"}},
		{name: "a credential of another system", b: ", webhook_token: M_HOOK", want: []string{
			"conn.yaml: b.credentials.webhook_token: not a credential of mautic; its credentials: password, push_token, username, webhook_secret"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text := conn(tt.a, tt.b)
			if tt.name == "a required credential as a value" {
				text = strings.Replace(text, "password: M_PASS, password:", "password:", 1)
			}
			_, err := Parse("conn.yaml", []byte(text))
			if tt.want == nil {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Equal(t, tt.want, strings.Split(err.Error(), "\n"))
			assert.NotContains(t, err.Error(), "hunter2")
		})
	}
}

// v1Missing is the reason given for a v1_* credential left out while named ones are.
func v1Missing(named string) string {
	return "missing: API V1 calls are signed with the four v1_* tokens together (v1_consumer_token, v1_consumer_secret, v1_user_token, v1_user_secret), and only " + named +
		" of them named: name the variable that holds it, or leave every v1_* credential out (V1 calls then send the V2 access token)"
}

// Secret never repeats what a connection names when it is not a variable's name (a System
// built without Validate, or a value that slipped through).
func TestSecretDoesNotShowAValue(t *testing.T) {
	for _, value := range []string{"hunter2-secret", "hunter2 secret", "sk_live_hunter2"} {
		t.Run(value, func(t *testing.T) {
			s := System{System: "mautic", Credentials: map[string]string{"webhook_secret": value}}
			_, err := s.Secret("webhook_secret")
			require.EqualError(t, err, "credentials.webhook_secret of mautic must be the NAME of an environment variable, not the credential itself (not shown here)")
			assert.NotContains(t, err.Error(), "hunter2")
		})
	}
}

func TestNearest(t *testing.T) {
	keys := []string{"requests_per_second", "api_url", "company_type", "a", "b"}
	tests := []struct{ word, want string }{
		{"requets_per_second", "requests_per_second"},
		{"Requests_Per_Second", "requests_per_second"},
		{"api-url", "api_url"},
		{"compnay_type", "company_type"},
		{"c", ""},
		{"base_url", ""},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, Nearest(tt.word, keys), tt.word)
	}
}
