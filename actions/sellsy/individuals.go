package sellsyactions

import (
	"context"
	"net/http"
)

// ---- individuals (persons that are clients, prospects or suppliers) ----

// IndividualInput creates or updates an individual: a person who is a client, prospect or
// supplier in their own name (the seed's "Type of Client": person; a company is a
// CompanyInput). Type is client, prospect or supplier and LastName the person's name, both
// required on create; Type is not changeable on update (another type is refused). On update only the fields set are
// sent; ID is required. The fields are those of Sellsy's IndividualsCreateNewIndividualRequest:
// Twitter, Facebook, LinkedIn and Viadeo are its social URLs (as a company's: a Twitter
// handle is sent as its URL), the Sync* switches its
// newsletter tools, RateCategoryID, AccountingCodeID and AccountingPurchaseCodeID ids, and
// MarketingSubscriptions the full list of channels it is subscribed to (nil leaves it as it
// is). Created back-dates a new individual (RFC 3339).
//
//	{"type": "client", "civility": "mrs", "first_name": "Léa", "last_name": "Durand",
//	 "email": "lea.durand@example.com", "mobile_number": "+33 6 12 34 56 78", "note": "met at the fair",
//	 "linkedin": "https://linkedin.com/in/lea", "sync_mailchimp": true, "marketing_campaigns_subscriptions": ["email"],
//	 "smart_tags": ["vip"]}
type IndividualInput struct {
	ID                       int      `json:"id,omitempty"`
	Type                     string   `json:"type,omitempty"`
	Civility                 string   `json:"civility,omitempty"` // mr | mrs | ms
	FirstName                string   `json:"first_name,omitempty"`
	LastName                 string   `json:"last_name,omitempty"`
	Email                    string   `json:"email,omitempty"`
	Website                  string   `json:"website,omitempty"`
	PhoneNumber              string   `json:"phone_number,omitempty"`
	MobileNumber             string   `json:"mobile_number,omitempty"`
	FaxNumber                string   `json:"fax_number,omitempty"`
	Reference                string   `json:"reference,omitempty"`
	AuxiliaryCode            string   `json:"auxiliary_code,omitempty"`
	Note                     string   `json:"note,omitempty"`
	Twitter                  string   `json:"twitter,omitempty"`
	Facebook                 string   `json:"facebook,omitempty"`
	LinkedIn                 string   `json:"linkedin,omitempty"`
	Viadeo                   string   `json:"viadeo,omitempty"`
	SyncMailchimp            *bool    `json:"sync_mailchimp,omitempty"`
	SyncMailjet              *bool    `json:"sync_mailjet,omitempty"`
	SyncSimplemail           *bool    `json:"sync_simplemail,omitempty"`
	RateCategoryID           int      `json:"rate_category_id,omitempty"`
	AccountingCodeID         int      `json:"accounting_code_id,omitempty"`
	AccountingPurchaseCodeID int      `json:"accounting_purchase_code_id,omitempty"`
	OwnerID                  int      `json:"owner_id,omitempty"`
	IsArchived               *bool    `json:"is_archived,omitempty"`
	MarketingSubscriptions   []string `json:"marketing_campaigns_subscriptions"` // no omitempty: [] (no channel) is a value, nil (null) none
	SmartTags                []string `json:"smart_tags,omitempty"`
	Created                  string   `json:"created,omitempty"` // create only
	// Clear lists the fields an update empties (update only): see the package doc.
	Clear []string `json:"clear,omitempty"`
}

func individualBody(in IndividualInput) (map[string]any, error) {
	b := map[string]any{}
	set(b, "type", in.Type)
	set(b, "civility", in.Civility)
	set(b, "first_name", in.FirstName)
	set(b, "last_name", in.LastName)
	set(b, "email", in.Email)
	set(b, "website", in.Website)
	set(b, "phone_number", in.PhoneNumber)
	set(b, "mobile_number", in.MobileNumber)
	set(b, "fax_number", in.FaxNumber)
	set(b, "reference", in.Reference)
	set(b, "auxiliary_code", in.AuxiliaryCode)
	set(b, "note", in.Note)
	social, err := socialBody(in.Twitter, in.Facebook, in.LinkedIn, in.Viadeo)
	if err != nil {
		return nil, err
	}
	set(b, "social", social)
	set(b, "sync", syncBody(in.SyncMailchimp, in.SyncMailjet, in.SyncSimplemail))
	set(b, "rate_category_id", in.RateCategoryID)
	set(b, "accounting_code_id", in.AccountingCodeID)
	set(b, "accounting_purchase_code_id", in.AccountingPurchaseCodeID)
	set(b, "owner_id", in.OwnerID)
	set(b, "is_archived", in.IsArchived)
	if err := setSubscriptions(b, in.MarketingSubscriptions); err != nil {
		return nil, err
	}
	return b, nil
}

// CreateIndividual creates an individual (activity Sellsy.CreateIndividual).
func (a *Actions) CreateIndividual(ctx context.Context, in IndividualInput) (RecordOutput, error) {
	if err := checkType(in.Type, true); err != nil {
		return RecordOutput{}, err
	}
	if in.LastName == "" {
		return RecordOutput{}, invalid("last_name is required")
	}
	if err := noClearOnCreate(in.Clear); err != nil {
		return RecordOutput{}, err
	}
	body, err := individualBody(in)
	if err != nil {
		return RecordOutput{}, err
	}
	set(body, "created", in.Created)
	return a.write(ctx, http.MethodPost, "/individuals", body, "individuals", in.SmartTags)
}

// UpdateIndividual updates an individual by ID (activity Sellsy.UpdateIndividual); Clear
// empties fields. A type other than the individual's is refused, as for companies.
func (a *Actions) UpdateIndividual(ctx context.Context, in IndividualInput) (RecordOutput, error) {
	if in.ID <= 0 {
		return RecordOutput{}, invalid("id is required")
	}
	if err := checkType(in.Type, false); err != nil {
		return RecordOutput{}, err
	}
	if in.Created != "" {
		return RecordOutput{}, invalid("created is set on create only")
	}
	typ := in.Type
	in.Type = ""
	body, err := individualBody(in)
	if err != nil {
		return RecordOutput{}, err
	}
	return a.updateTyped(ctx, "individuals", in.ID, typ, body, individualClear, in.Clear, in.SmartTags)
}

// SearchIndividuals returns up to Limit individuals, reading the pages that takes; Type
// restricts to client, prospect or supplier (activity Sellsy.SearchIndividuals).
func (a *Actions) SearchIndividuals(ctx context.Context, in SearchInput) (SearchOutput, error) {
	return a.searchTyped(ctx, "individuals", in)
}
