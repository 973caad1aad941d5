package mautic

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"

	"github.com/crmsync/crmsync/connectors"
)

// companyRow is one company a contact is in, as GET /contacts/{id}/companies lists them (the
// rows of companies_leads: numbers may come as strings).
type companyRow struct {
	CompanyID flexID `json:"company_id"`
	IsPrimary any    `json:"is_primary"`
}

// contactCompanies reads the companies a contact is in: their ids and the primary one's.
func (c *Client) contactCompanies(ctx context.Context, id string) (ids []string, primary string, err error) {
	const op = "GET /contacts/{id}/companies"
	raw, err := c.do(ctx, http.MethodGet, "/contacts/"+id+"/companies", op, nil, nil)
	if err != nil {
		return nil, "", err
	}
	var answer struct {
		Companies json.RawMessage `json:"companies"`
	}
	if err := json.Unmarshal(raw, &answer); err != nil {
		return nil, "", decodeErr(op, err)
	}
	var rows []companyRow
	if err := phpList(answer.Companies, &rows); err != nil { // a list, or a PHP array with gaps
		return nil, "", decodeErr(op, err)
	}
	for _, r := range rows {
		ids = append(ids, string(r.CompanyID))
		if p, _ := boolOf(r.IsPrimary); p {
			primary = string(r.CompanyID)
		}
	}
	return ids, primary, nil
}

// linkCompany writes the company link of an updated contact with the company routes, so that
// the other companies it is in stay: "companies": [id] on the contact would take it out of
// every company not listed (LeadModel::modifyCompanies). A contact moved to another company
// joins it — rejoins it, when already in it as a secondary one, since only joining makes a
// company primary — and leaves the primary one it had. A contact taken out of its company
// leaves the one the removal was read from (LinkWas), while it is still in it, or else its
// primary one; the oldest company it is still in then becomes primary, as Automation does.
func (c *Client) linkCompany(ctx context.Context, id string, links map[string]string) error {
	want := links[connectors.ObjectCompany]
	ids, primary, err := c.contactCompanies(ctx, id)
	if err != nil {
		return err
	}
	var calls [][2]string // company, action
	if want != "" {
		if primary == want {
			return nil
		}
		if slices.Contains(ids, want) {
			calls = append(calls, [2]string{want, "remove"})
		}
		calls = append(calls, [2]string{want, "add"})
		if primary != "" {
			calls = append(calls, [2]string{primary, "remove"})
		}
	} else {
		leave := primary
		if was, ok := links[connectors.LinkWas(connectors.ObjectCompany)]; ok {
			leave = ""
			if slices.Contains(ids, was) {
				leave = was
			}
		}
		if leave != "" {
			calls = append(calls, [2]string{leave, "remove"})
		}
	}
	for _, call := range calls {
		op := "POST /companies/{companyId}/contact/{contactId}/" + call[1]
		if _, err := c.do(ctx, http.MethodPost, fmt.Sprintf("/companies/%s/contact/%s/%s", call[0], id, call[1]), op, nil, nil); err != nil {
			return err
		}
	}
	return nil
}

// applyLinks writes the company links of the contacts an update wrote (see linkCompany),
// Concurrency at a time. A failure fails the record's Result, naming the contact and the
// company; failures other than KindInvalid are also returned, as applyDNC does.
func (c *Client) applyLinks(ctx context.Context, records []connectors.Record, results []connectors.Result) error {
	var calls []contactCall
	for i, r := range records {
		company, ok := r.Links[connectors.ObjectCompany]
		if !ok || results[i].Err != nil || results[i].ID == "" {
			continue
		}
		id := results[i].ID
		calls = append(calls, contactCall{record: i, op: "link",
			run:  func() error { return c.linkCompany(ctx, id, r.Links) },
			name: func(err error) error { return linkError(err, id, company) }})
	}
	return runContactCalls(results, calls)
}

// linkError names the contact and the company in a link write's error: the quarantine says
// which link was not written, its other fields being.
func linkError(err error, id, company string) error {
	return contactCallError(err, "companies", func(reason string) string {
		if company == "" {
			return fmt.Sprintf("contact %s: could not be taken out of its company: %s", id, reason)
		}
		return fmt.Sprintf("contact %s: could not be put in company %s: %s", id, company, reason)
	})
}
