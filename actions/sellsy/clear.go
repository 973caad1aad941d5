package sellsyactions

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
)

// emptyValue says how an update clears one field of its input: where the field goes in the
// body, and the value Sellsy takes for none — null where the spec has the field nullable, ""
// for a text that is not (a note), [] for a list written whole.
type emptyValue struct {
	path  []string
	value any
}

func nullAt(path ...string) emptyValue { return emptyValue{path, nil} }

// clearables builds the clearable fields of an input: each of names is cleared with null at
// its own key, unless listed in special.
func clearables(special map[string]emptyValue, names ...string) map[string]emptyValue {
	out := maps.Clone(special)
	for _, n := range names {
		out[n] = nullAt(n)
	}
	return out
}

// socialClear clears the social URLs (social.twitter, … are nullable).
var socialClear = map[string]emptyValue{
	"twitter": nullAt("social", "twitter"), "facebook": nullAt("social", "facebook"),
	"linkedin": nullAt("social", "linkedin"), "viadeo": nullAt("social", "viadeo"),
}

// partyClear clears what companies, individuals and contacts share: the social URLs, the
// note ("") and the subscriptions ([]).
var partyClear = merge(socialClear, map[string]emptyValue{
	"note":                              {[]string{"note"}, ""},
	"marketing_campaigns_subscriptions": {[]string{"marketing_campaigns_subscriptions"}, []string{}},
})

var (
	// companyClear: the nullable fields of CompaniesUpdateInformationRequest, the note ("")
	// and the subscriptions ([]). Not the name (required), the type or is_archived.
	companyClear = clearables(merge(partyClear, map[string]emptyValue{
		"siret":               nullAt("legal_france", "siret"),
		"siren":               nullAt("legal_france", "siren"),
		"vat":                 nullAt("legal_france", "vat"),
		"ape_naf_code":        nullAt("legal_france", "ape_naf_code"),
		"company_type":        nullAt("legal_france", "company_type"),
		"rcs_immatriculation": nullAt("legal_france", "rcs_immatriculation"),
	}), "email", "website", "phone_number", "mobile_number", "fax_number", "reference", "capital", "auxiliary_code",
		"rate_category_id", "accounting_code_id", "accounting_purchase_code_id", "business_segment", "number_of_employees", "owner_id")

	// individualClear: the nullable fields of IndividualsUpdateInformationRequest, the note
	// and the subscriptions. Not the last name (required) or the type.
	individualClear = clearables(partyClear, "civility", "first_name", "email", "website", "phone_number", "mobile_number", "fax_number", "reference", "auxiliary_code",
		"rate_category_id", "accounting_code_id", "accounting_purchase_code_id", "owner_id")

	// contactClear: the nullable fields of ContactUpdateItem, the note and the
	// subscriptions. Not the last name (required) or the sync switches (set them false).
	contactClear = clearables(partyClear, "civility", "first_name", "position", "email", "phone_number", "mobile_number", "fax_number", "website", "birth_date", "owner_id")

	// opportunityClear: the nullable fields of OpportunityUpdate and the note. Not the name,
	// status, pipeline, step, source, amount or probability, which an opportunity always has,
	// nor related (at least one).
	opportunityClear = clearables(map[string]emptyValue{
		"note": {[]string{"note"}, ""},
	}, "due_date", "main_doc_id", "assigned_staff_ids", "contact_ids")
)

func merge(a, b map[string]emptyValue) map[string]emptyValue {
	out := maps.Clone(a)
	maps.Copy(out, b)
	return out
}

// applyClear puts in body the empty value of each field of clear, refusing a field the input
// cannot clear and one the input also gives a value.
func applyClear(body map[string]any, fields map[string]emptyValue, clear []string) error {
	seen := map[string]bool{}
	for _, f := range clear {
		if seen[f] {
			continue
		}
		seen[f] = true
		e, ok := fields[f]
		if !ok {
			return invalid(fmt.Sprintf("clear: %q is not a field this update can clear; it clears %s",
				f, strings.Join(slices.Sorted(maps.Keys(fields)), ", ")))
		}
		m := body
		for _, k := range e.path[:len(e.path)-1] {
			sub, _ := m[k].(map[string]any)
			if sub == nil {
				sub = map[string]any{}
				m[k] = sub
			}
			m = sub
		}
		last := e.path[len(e.path)-1]
		if _, set := m[last]; set {
			return invalid(fmt.Sprintf("clear: %q is given a value too; set it or clear it, not both", f))
		}
		m[last] = e.value
	}
	return nil
}

// noClearOnCreate refuses a clear list on a create: a new record has nothing to clear.
func noClearOnCreate(clear []string) error {
	if len(clear) > 0 {
		return invalid("clear is for updates: a new record has no value to clear (leave the fields out)")
	}
	return nil
}

// checkTypeKept refuses an update that would change the type of a company or an individual:
// Sellsy's update bodies (CompaniesUpdateInformationRequest,
// IndividualsUpdateInformationRequest) have no type, so the change would be dropped without a
// word. The type the record already has is accepted, and not sent.
func (a *Actions) checkTypeKept(ctx context.Context, obj string, id int, typ string) error {
	if typ == "" {
		return nil
	}
	var cur struct {
		Type string `json:"type"`
	}
	if err := a.json(ctx, http.MethodGet, fmt.Sprintf("/%s/%d", obj, id), nil, nil, &cur); err != nil {
		return err
	}
	if cur.Type != typ {
		return invalid(fmt.Sprintf("type cannot change from %q to %q on update: Sellsy's update of %s has no type; leave type out (or give the one it has)",
			cur.Type, typ, obj))
	}
	return nil
}
