package sellsyactions

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/actions/actiontest"
)

// An update empties the fields its clear list names, as Sellsy takes "none" for each (null,
// "" for a note, [] for the subscriptions), through the simulator and read back. An update
// used to skip every empty value: a phone, a due date or a SIRET could not be removed.
func TestUpdateClears(t *testing.T) {
	tests := []struct {
		name     string
		activity string
		set      any // an update that gives the field a value first
		clear    any // the update that clears it
		field    string
		want     any
	}{
		{"contact phone", "Sellsy.UpdateContact", ContactInput{ID: firstContact, PhoneNumber: "+33 1 00 00 00 00"},
			ContactInput{ID: firstContact, Clear: []string{"phone_number"}}, "phone_number", nil},
		{"contact birth date", "Sellsy.UpdateContact", ContactInput{ID: firstContact, BirthDate: "1980-05-17"},
			ContactInput{ID: firstContact, Clear: []string{"birth_date"}}, "birth_date", nil},
		{"contact twitter", "Sellsy.UpdateContact", ContactInput{ID: firstContact, Twitter: "https://twitter.com/ada"},
			ContactInput{ID: firstContact, Clear: []string{"twitter"}}, "social.twitter", ""},
		{"contact note", "Sellsy.UpdateContact", ContactInput{ID: firstContact, Note: "n"},
			ContactInput{ID: firstContact, Clear: []string{"note"}}, "note", ""},
		{"contact subscriptions", "Sellsy.UpdateContact", ContactInput{ID: firstContact, MarketingSubscriptions: []string{"sms"}},
			ContactInput{ID: firstContact, Clear: []string{"marketing_campaigns_subscriptions"}}, "marketing_campaigns_subscriptions", []any{}},
		{"contact civility, named twice", "Sellsy.UpdateContact", ContactInput{ID: firstContact, Civility: "mrs"},
			ContactInput{ID: firstContact, Clear: []string{"civility", "civility"}}, "civility", nil},
		{"opportunity due date", "Sellsy.UpdateOpportunity", OpportunityInput{ID: firstOpportunity, DueDate: "2026-06-30"},
			OpportunityInput{ID: firstOpportunity, Clear: []string{"due_date"}}, "due_date", nil},
		{"opportunity contacts", "Sellsy.UpdateOpportunity", OpportunityInput{ID: firstOpportunity, ContactIDs: []int{firstContact}},
			OpportunityInput{ID: firstOpportunity, Clear: []string{"contact_ids"}}, "contact_ids", []any{}},
		{"opportunity note", "Sellsy.UpdateOpportunity", OpportunityInput{ID: firstOpportunity, Note: "call"},
			OpportunityInput{ID: firstOpportunity, Clear: []string{"note"}}, "note", ""},
		{"company e-mail", "Sellsy.UpdateCompany", CompanyInput{ID: 1, Email: "a@b.example"},
			CompanyInput{ID: 1, Clear: []string{"email"}}, "email", nil},
		{"company SIRET", "Sellsy.UpdateCompany", CompanyInput{ID: 1, SIRET: "73282932000074", VAT: "FR99999999999"},
			CompanyInput{ID: 1, Clear: []string{"siret"}}, "legal_france.siret", nil},
		{"company business segment", "Sellsy.UpdateCompany", CompanyInput{ID: 1, BusinessSegment: 3},
			CompanyInput{ID: 1, Clear: []string{"business_segment"}}, "business_segment", nil},
		{"company linkedin, with a value set beside", "Sellsy.UpdateCompany", CompanyInput{ID: 1, LinkedIn: "https://linkedin.com/acme"},
			CompanyInput{ID: 1, Twitter: "https://twitter.com/acme", Clear: []string{"linkedin"}}, "social.linkedin", ""},
		{"individual first name", "Sellsy.UpdateIndividual", IndividualInput{ID: firstIndividual, FirstName: "Léa"},
			IndividualInput{ID: firstIndividual, Clear: []string{"first_name"}}, "first_name", nil},
		{"individual rate category", "Sellsy.UpdateIndividual", IndividualInput{ID: firstIndividual, RateCategoryID: 7},
			IndividualInput{ID: firstIndividual, Clear: []string{"rate_category_id"}}, "rate_category_id", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, "secret")
			h.sim.SeedOpportunities(1)
			require.NoError(t, h.run("Sellsy.CreateIndividual", IndividualInput{Type: "client", LastName: "Durand"}, &RecordOutput{}))
			var out RecordOutput
			require.NoError(t, h.run(tc.activity, tc.set, &out))
			require.NotEqual(t, tc.want, field(out.Record, tc.field), "the value to clear is set")
			require.NoError(t, h.run(tc.activity, tc.clear, &out))
			assert.Equal(t, tc.want, field(out.Record, tc.field))
		})
	}
}

// Clearing one field leaves the others, those beside it in the same object too.
func TestUpdateClearsOnlyTheFieldsNamed(t *testing.T) {
	h := newHarness(t, "secret")
	var out RecordOutput
	require.NoError(t, h.run("Sellsy.UpdateCompany", CompanyInput{ID: 1, SIRET: "73282932000074", VAT: "FR99999999999", LinkedIn: "https://linkedin.com/acme"}, &out))
	require.NoError(t, h.run("Sellsy.UpdateCompany", CompanyInput{ID: 1, Twitter: "https://twitter.com/acme", Clear: []string{"siret", "linkedin"}}, &out))
	assert.Nil(t, field(out.Record, "legal_france.siret"))
	assert.Equal(t, "FR99999999999", field(out.Record, "legal_france.vat"))
	assert.Equal(t, "", field(out.Record, "social.linkedin"))
	assert.Equal(t, "https://twitter.com/acme", field(out.Record, "social.twitter"))
}

// field reads a dotted path of a record.
func field(rec map[string]any, path string) any {
	var v any = rec
	for _, k := range strings.Split(path, ".") {
		m, _ := v.(map[string]any)
		v = m[k]
	}
	return v
}

// A clear list is refused, as InvalidRecord before anything is written, when it names a field
// the update cannot clear or also sets, or comes with a create.
func TestClearRefused(t *testing.T) {
	tests := []struct {
		name, activity, collection string
		in                         any
		want                       string
	}{
		{"company name is required", "Sellsy.UpdateCompany", "companies", CompanyInput{ID: 1, Clear: []string{"name"}}, `clear: "name" is not a field this update can clear; it clears accounting_code_id,`},
		{"company type", "Sellsy.UpdateCompany", "companies", CompanyInput{ID: 1, Clear: []string{"type"}}, `clear: "type"`},
		{"an unknown field", "Sellsy.UpdateContact", "contacts", ContactInput{ID: firstContact, Clear: []string{"shoe_size"}}, `clear: "shoe_size"`},
		{"contact last name", "Sellsy.UpdateContact", "contacts", ContactInput{ID: firstContact, Clear: []string{"last_name"}}, `clear: "last_name"`},
		{"opportunity name", "Sellsy.UpdateOpportunity", "opportunities", OpportunityInput{ID: firstOpportunity, Clear: []string{"name"}}, `clear: "name"`},
		{"opportunity related", "Sellsy.UpdateOpportunity", "opportunities", OpportunityInput{ID: firstOpportunity, Clear: []string{"related"}}, `clear: "related"`},
		{"individual last name", "Sellsy.UpdateIndividual", "individuals", IndividualInput{ID: firstIndividual, Clear: []string{"last_name"}}, `clear: "last_name"`},
		{"set and cleared", "Sellsy.UpdateContact", "contacts", ContactInput{ID: firstContact, PhoneNumber: "+33 1", Clear: []string{"phone_number"}}, `"phone_number" is given a value too`},
		{"a social URL set and cleared", "Sellsy.UpdateCompany", "companies", CompanyInput{ID: 1, Twitter: "https://t.example", Clear: []string{"twitter"}}, `"twitter" is given a value too`},
		{"subscriptions set and cleared", "Sellsy.UpdateContact", "contacts", ContactInput{ID: firstContact, Unsubscribe: []string{"sms"}, Clear: []string{"marketing_campaigns_subscriptions"}}, "given a value too"},
		{"due date set and cleared", "Sellsy.UpdateOpportunity", "opportunities", OpportunityInput{ID: firstOpportunity, DueDate: "2026-01-01", Clear: []string{"due_date"}}, "given a value too"},
		{"create company", "Sellsy.CreateCompany", "companies", CompanyInput{Type: "client", Name: "X", Clear: []string{"email"}}, "clear is for updates"},
		{"create contact", "Sellsy.CreateContact", "contacts", ContactInput{LastName: "X", Clear: []string{"email"}}, "clear is for updates"},
		{"create opportunity", "Sellsy.CreateOpportunity", "opportunities", OpportunityInput{Name: "X", PipelineID: 1, StepID: 11, Related: []Related{{"company", 1}}, Clear: []string{"note"}}, "clear is for updates"},
		{"create individual", "Sellsy.CreateIndividual", "individuals", IndividualInput{Type: "client", LastName: "X", Clear: []string{"email"}}, "clear is for updates"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, "secret")
			h.sim.SeedOpportunities(1)
			require.NoError(t, h.run("Sellsy.CreateIndividual", IndividualInput{Type: "client", LastName: "Durand"}, &RecordOutput{}))
			before := h.sim.Dump(tc.collection)
			ae := actiontest.AppErr(t, h.run(tc.activity, tc.in, &RecordOutput{}))
			assert.Equal(t, ErrTypeInvalidRecord, ae.Type())
			assert.True(t, ae.NonRetryable())
			assert.Contains(t, ae.Error(), tc.want)
			assert.Equal(t, before, h.sim.Dump(tc.collection), "nothing written")
		})
	}
}

// Every field a clear list accepts is a field of the input (by its JSON name), so that what
// the caller names is what the input documents.
func TestClearableFieldsAreInputFields(t *testing.T) {
	tests := []struct {
		input  any
		fields map[string]emptyValue
	}{
		{CompanyInput{}, companyClear},
		{IndividualInput{}, individualClear},
		{ContactInput{}, contactClear},
		{OpportunityInput{}, opportunityClear},
	}
	for _, tc := range tests {
		typ := reflect.TypeOf(tc.input)
		t.Run(typ.Name(), func(t *testing.T) {
			names := map[string]bool{}
			for i := 0; i < typ.NumField(); i++ {
				name, _, _ := strings.Cut(typ.Field(i).Tag.Get("json"), ",")
				names[name] = true
			}
			for f := range tc.fields {
				assert.True(t, names[f], "%s is not a field of %s", f, typ.Name())
			}
		})
	}
}

// An update that would change the type of a company or an individual is refused, naming both
// types: Sellsy's update has no type and would drop it without a word (it used to be dropped
// here the same way). The type the record has is accepted.
func TestUpdateTypeChange(t *testing.T) {
	tests := []struct {
		name, activity string
		in             any
		want           string // "" when accepted
	}{
		{"company: prospect to client", "Sellsy.UpdateCompany", CompanyInput{ID: 1, Type: "client", Note: "n"}, `type cannot change from "prospect" to "client"`},
		{"company: its own type", "Sellsy.UpdateCompany", CompanyInput{ID: 1, Type: "prospect", Note: "n"}, ""},
		{"company: not a type", "Sellsy.UpdateCompany", CompanyInput{ID: 1, Type: "partner"}, `type "partner"`},
		{"individual: client to supplier", "Sellsy.UpdateIndividual", IndividualInput{ID: firstIndividual, Type: "supplier", Note: "n"}, `type cannot change from "client" to "supplier"`},
		{"individual: its own type", "Sellsy.UpdateIndividual", IndividualInput{ID: firstIndividual, Type: "client", Note: "n"}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, "secret")
			require.NoError(t, h.run("Sellsy.CreateIndividual", IndividualInput{Type: "client", LastName: "Durand"}, &RecordOutput{}))
			var out RecordOutput
			err := h.run(tc.activity, tc.in, &out)
			if tc.want == "" {
				require.NoError(t, err)
				assert.Equal(t, "n", out.Record["note"])
				return
			}
			ae := actiontest.AppErr(t, err)
			assert.Equal(t, ErrTypeInvalidRecord, ae.Type())
			assert.True(t, ae.NonRetryable())
			assert.Contains(t, ae.Error(), tc.want)
		})
	}
}

// An opportunity's number and creation date are set at creation: Sellsy's OpportunityUpdate
// has neither. An update setting one is refused as InvalidRecord before anything is sent; it
// used to send the number (which Sellsy refuses) and to drop the date without a word.
func TestOpportunityNumberAndCreatedOnCreateOnly(t *testing.T) {
	h := newHarness(t, "secret")
	var out RecordOutput
	require.NoError(t, h.run("Sellsy.CreateOpportunity", OpportunityInput{Name: "Renewal", PipelineID: 1, StepID: 11, Related: []Related{{"company", 1}},
		Number: "OPP-1155", Created: "2026-01-15T10:00:00+01:00"}, &out))
	assert.Equal(t, "OPP-1155", out.Record["number"])
	assert.Equal(t, "2026-01-15T10:00:00+01:00", out.Record["created"])
	id := out.ID
	for _, tc := range []struct {
		name string
		in   OpportunityInput
		want string
	}{
		{"number", OpportunityInput{ID: id, Name: "Renewal 2", Number: "OPP-2"}, "number is set on create only"},
		{"created", OpportunityInput{ID: id, Name: "Renewal 2", Created: "2026-02-01T10:00:00+01:00"}, "created is set on create only"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ae := actiontest.AppErr(t, h.run("Sellsy.UpdateOpportunity", tc.in, &RecordOutput{}))
			assert.Equal(t, ErrTypeInvalidRecord, ae.Type())
			assert.True(t, ae.NonRetryable())
			assert.Contains(t, ae.Error(), tc.want)
		})
	}
	require.NoError(t, h.run("Sellsy.UpdateOpportunity", OpportunityInput{ID: id, Status: "won"}, &out))
	assert.Equal(t, "Renewal", out.Record["name"], "the refused updates sent nothing")
	assert.Equal(t, "OPP-1155", out.Record["number"])
	assert.Equal(t, "2026-01-15T10:00:00+01:00", out.Record["created"])
}

// A Go workflow that passes an empty subscription list (no channel at all) unsubscribes the
// record from every channel: the list is its whole set of channels. Its omitempty dropped an
// empty list from the JSON, and the update left the subscriptions as they were.
func TestEmptySubscriptionListFromGo(t *testing.T) {
	tests := []struct {
		activity string
		in       any
		obj, id  string
	}{
		{"Sellsy.UpdateContact", ContactInput{ID: firstContact, MarketingSubscriptions: []string{}}, "contacts", fmt.Sprint(firstContact)},
		{"Sellsy.UpdateCompany", CompanyInput{ID: 1, MarketingSubscriptions: []string{}}, "companies", "1"},
		{"Sellsy.UpdateIndividual", IndividualInput{ID: firstIndividual, MarketingSubscriptions: []string{}}, "individuals", fmt.Sprint(firstIndividual)},
	}
	for _, tc := range tests {
		t.Run(tc.activity, func(t *testing.T) {
			h := newHarness(t, "secret")
			require.NoError(t, h.run("Sellsy.CreateIndividual", IndividualInput{Type: "prospect", LastName: "Martin"}, &RecordOutput{}))
			_, _, err := h.admin().Call(context.Background(), "PUT", "/"+tc.obj+"/"+tc.id, nil, []byte(`{"marketing_campaigns_subscriptions":["email","sms"]}`))
			require.NoError(t, err)
			var out RecordOutput
			require.NoError(t, h.run(tc.activity, tc.in, &out))
			assert.Equal(t, []any{}, out.Record["marketing_campaigns_subscriptions"])
		})
	}
}
