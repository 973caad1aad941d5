package sellsyactions

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/actions/actiontest"
	"github.com/crmsync/crmsync/connectors/sellsy/sim"
)

// The company fields of Sellsy's create and update schemas beyond the basics — social URLs,
// marketing subscriptions, rate category, accounting codes, business segment and number of
// employees — reach Sellsy on create and on update, and read back. CompanyInput had none of
// them.
func TestCompanyFields(t *testing.T) {
	tests := []struct {
		name  string
		in    CompanyInput
		field string
		want  any
	}{
		{"twitter", CompanyInput{Twitter: "https://twitter.com/acme"}, "social.twitter", "https://twitter.com/acme"},
		{"facebook", CompanyInput{Facebook: "https://facebook.com/acme"}, "social.facebook", "https://facebook.com/acme"},
		{"linkedin", CompanyInput{LinkedIn: "https://linkedin.com/company/acme"}, "social.linkedin", "https://linkedin.com/company/acme"},
		{"viadeo", CompanyInput{Viadeo: "https://viadeo.com/acme"}, "social.viadeo", "https://viadeo.com/acme"},
		{"marketing subscriptions", CompanyInput{MarketingSubscriptions: []string{"sms", "email", "sms"}}, "marketing_campaigns_subscriptions", []any{"email", "sms"}},
		{"rate category", CompanyInput{RateCategoryID: 9956}, "rate_category_id", 9956.0},
		{"accounting code", CompanyInput{AccountingCodeID: 12345}, "accounting_code_id", 12345.0},
		{"accounting purchase code", CompanyInput{AccountingPurchaseCodeID: 98556}, "accounting_purchase_code_id", 98556.0},
		{"business segment: an id on write, an object on read", CompanyInput{BusinessSegment: 3}, "business_segment.id", 3.0},
		{"number of employees", CompanyInput{NumberOfEmployees: 1}, "number_of_employees.id", 1.0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, "secret")
			in := tc.in
			in.Type, in.Name = "client", "ACME"
			var out RecordOutput
			require.NoError(t, h.run("Sellsy.CreateCompany", in, &out))
			assert.Equal(t, tc.want, field(out.Record, tc.field), "create")

			in = tc.in
			in.ID = 1 // the seeded prospect
			require.NoError(t, h.run("Sellsy.UpdateCompany", in, &out))
			assert.Equal(t, tc.want, field(out.Record, tc.field), "update")
		})
	}
	h := newHarness(t, "secret")
	ae := h.run("Sellsy.CreateCompany", CompanyInput{Type: "client", Name: "X", MarketingSubscriptions: []string{"fax"}}, &RecordOutput{})
	require.Error(t, ae)
	assert.Contains(t, ae.Error(), `marketing channel "fax"`)
}

// The bodies of company and individual creates and updates, with every field their inputs
// have, are valid against Sellsy's spec (CompaniesCreateNewCompanyRequest,
// CompaniesUpdateInformationRequest, IndividualsCreateNewIndividualRequest,
// IndividualsUpdateInformationRequest), and so are the simulator's answers.
func TestRecordBodiesMatchSpec(t *testing.T) {
	proxy, env := specEnv(t, func(s *sim.Server) { s.SeedPeople(0, 1) })
	yes := true
	company := CompanyInput{Name: "ACME", Email: "hello@acme.example", Website: "https://acme.example", PhoneNumber: "+33100000000",
		MobileNumber: "+33600000000", FaxNumber: "+33100000001", Reference: "CLI-1", Capital: "4000", AuxiliaryCode: "0EX11C", Note: "n",
		SIRET: "73282932000074", VAT: "FR99999999999", APENAFCode: "4711C", CompanyType: "SAS", RCS: "RCS Paris",
		Twitter: "https://twitter.com/acme", Facebook: "https://facebook.com/acme", LinkedIn: "https://linkedin.com/acme", Viadeo: "https://viadeo.com/acme",
		RateCategoryID: 9956, AccountingCodeID: 12345, AccountingPurchaseCodeID: 98556, BusinessSegment: 3, NumberOfEmployees: 1,
		OwnerID: 1, MarketingSubscriptions: []string{"email"}, IsArchived: new(bool)}
	individual := IndividualInput{Civility: "mrs", FirstName: "Léa", LastName: "Durand", Email: "lea@example.com", Website: "https://lea.example",
		PhoneNumber: "+33100000000", MobileNumber: "+33600000000", FaxNumber: "+33100000001", Reference: "IND-1", AuxiliaryCode: "0EX", Note: "n",
		Twitter: "https://twitter.com/lea", Facebook: "https://facebook.com/lea", LinkedIn: "https://linkedin.com/lea", Viadeo: "https://viadeo.com/lea",
		SyncMailchimp: &yes, SyncMailjet: &yes, SyncSimplemail: &yes, RateCategoryID: 1, AccountingCodeID: 2, AccountingPurchaseCodeID: 3,
		OwnerID: 1, IsArchived: new(bool), MarketingSubscriptions: []string{"sms"}}

	var out RecordOutput
	co := company
	co.Type, co.Created = "client", "2026-01-15T10:00:00+01:00"
	require.NoError(t, actiontest.Run(env, "Sellsy.CreateCompany", co, &out))
	co = company
	co.ID = out.ID
	require.NoError(t, actiontest.Run(env, "Sellsy.UpdateCompany", co, &out))
	in := individual
	in.Type, in.Created = "prospect", "2026-01-15T10:00:00+01:00"
	require.NoError(t, actiontest.Run(env, "Sellsy.CreateIndividual", in, &out))
	in = individual
	in.ID = out.ID
	require.NoError(t, actiontest.Run(env, "Sellsy.UpdateIndividual", in, &out))

	assert.Subset(t, proxy.Seen(), []string{"POST /v2/companies", "PUT /v2/companies/2", "POST /v2/individuals", fmt.Sprintf("PUT /v2/individuals/%d", out.ID)})
	assert.Empty(t, proxy.Problems())
}

// Sellsy's social fields take URLs (format: url): a Twitter handle is sent as its profile's
// URL and a URL written without its scheme gets https://, while a bare name for the others
// (which page would it be?) or anything else that is not a URL is refused as InvalidRecord
// naming the field, before any call. "@ada" used to be sent as it was.
func TestSocialURLs(t *testing.T) {
	tests := []struct {
		name  string
		in    ContactInput
		field string // the social field read back
		want  string // its URL, or the refusal's text
		err   bool
	}{
		{"twitter handle", ContactInput{Twitter: "@ada"}, "twitter", "https://twitter.com/ada", false},
		{"twitter handle without @", ContactInput{Twitter: "ada_l"}, "twitter", "https://twitter.com/ada_l", false},
		{"twitter URL", ContactInput{Twitter: "https://x.com/ada"}, "twitter", "https://x.com/ada", false},
		{"linkedin without its scheme", ContactInput{LinkedIn: "linkedin.com/in/ada"}, "linkedin", "https://linkedin.com/in/ada", false},
		{"facebook name: which page?", ContactInput{Facebook: "ada"}, "facebook", `facebook "ada" must be a URL`, true},
		{"viadeo handle", ContactInput{Viadeo: "@ada"}, "viadeo", `viadeo "@ada" must be a URL`, true},
		{"twitter not a handle", ContactInput{Twitter: "Ada Lovelace"}, "twitter", `twitter "Ada Lovelace" must be a URL (https://…) or a Twitter handle`, true},
		{"not http", ContactInput{LinkedIn: "ftp://linkedin.com/in/ada"}, "linkedin", `linkedin "ftp://linkedin.com/in/ada" must be a URL`, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, "secret")
			in := tc.in
			in.LastName = "Lovelace"
			var out RecordOutput
			err := h.run("Sellsy.CreateContact", in, &out)
			if tc.err {
				ae := actiontest.AppErr(t, err)
				assert.Equal(t, ErrTypeInvalidRecord, ae.Type())
				assert.Contains(t, ae.Error(), tc.want)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, field(out.Record, "social."+tc.field))
			in = tc.in
			in.ID = out.ID
			require.NoError(t, h.run("Sellsy.UpdateContact", in, &out))
			assert.Equal(t, tc.want, field(out.Record, "social."+tc.field), "update")
		})
	}
	h := newHarness(t, "secret")
	for _, run := range []struct {
		activity string
		in       any
	}{
		{"Sellsy.CreateCompany", CompanyInput{Type: "client", Name: "ACME", LinkedIn: "acme"}},
		{"Sellsy.UpdateIndividual", IndividualInput{ID: firstIndividual, Facebook: "lea"}},
	} {
		ae := actiontest.AppErr(t, h.run(run.activity, run.in, &RecordOutput{}))
		assert.Equal(t, ErrTypeInvalidRecord, ae.Type(), run.activity)
		assert.Contains(t, ae.Error(), "must be a URL", run.activity)
	}
}

// A company's creation date (CompaniesCreateNewCompanyRequest's created) back-dates a new
// company, as an individual's and an opportunity's do; Sellsy's update of a company has none,
// so an update setting it is refused as InvalidRecord before anything is sent. CompanyInput
// had no created: a company imported from elsewhere could not keep its creation date.
func TestCompanyCreatedOnCreateOnly(t *testing.T) {
	h := newHarness(t, "secret")
	var out RecordOutput
	require.NoError(t, h.run("Sellsy.CreateCompany", CompanyInput{Type: "client", Name: "ACME", Created: "2026-01-15T10:00:00+01:00"}, &out))
	assert.Equal(t, "2026-01-15T10:00:00+01:00", out.Record["created"])

	ae := actiontest.AppErr(t, h.run("Sellsy.UpdateCompany", CompanyInput{ID: out.ID, Name: "ACME 2", Created: "2026-02-01T10:00:00+01:00"}, &RecordOutput{}))
	assert.Equal(t, ErrTypeInvalidRecord, ae.Type())
	assert.True(t, ae.NonRetryable())
	assert.Contains(t, ae.Error(), "created is set on create only")
	require.NoError(t, h.run("Sellsy.UpdateCompany", CompanyInput{ID: out.ID, Note: "n"}, &out))
	assert.Equal(t, "ACME", out.Record["name"], "the refused update sent nothing")
	assert.Equal(t, "2026-01-15T10:00:00+01:00", out.Record["created"])
}
