package sim

import (
	"slices"
	"time"
)

// companyLink is one row of companies_leads: a contact is in a company since added.
type companyLink struct {
	company int
	added   time.Time
}

// linkedTo reports whether the contact is in the company.
func (r *rec) linkedTo(company int) bool {
	return slices.ContainsFunc(r.links, func(l companyLink) bool { return l.company == company })
}

// addLinks puts the contact in companies it is not in yet; the first becomes its primary
// company, whose name the contact's company field shows (CompanyLeadRepository::saveEntities
// makes the first company of a batch primary and every other not).
func (s *Server) addLinks(contact *rec, companies []*rec, now time.Time) {
	if len(companies) == 0 {
		return
	}
	for _, comp := range companies {
		contact.links = append(contact.links, companyLink{company: comp.id, added: now})
	}
	contact.company = companies[0].id
	contact.fields["company"] = companies[0].fields["companyname"]
	contact.json.Store(nil)
}

// removeLink takes the contact out of a company. When that was its primary company, the
// oldest company it is still in becomes primary, or none is left and the company field is
// emptied (CompanyModel::updateContactAfterPrimaryCompanyWasRemoved, which also sets
// dateModified).
func (s *Server) removeLink(contact *rec, company int, now time.Time) {
	i := slices.IndexFunc(contact.links, func(l companyLink) bool { return l.company == company })
	if i < 0 {
		return
	}
	contact.links = slices.Delete(contact.links, i, i+1)
	contact.json.Store(nil)
	if contact.company != company {
		return
	}
	contact.company = 0
	contact.fields["company"] = nil
	for _, l := range contact.links {
		if comp := s.companies.recs[l.company]; comp != nil {
			contact.company = comp.id
			contact.fields["company"] = comp.fields["companyname"]
			break
		}
	}
	contact.modified = &now
}
