package sellsy

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/crmsync/crmsync/connectors"
)

var _ connectors.AccessChecker = (*Client)(nil)

// resources are the scope names of the objects: an object's records need <resource>.read to
// be read and <resource>.write to be created or updated.
var resources = map[string]string{
	connectors.ObjectCompany: "companies", connectors.ObjectContact: "contacts",
	ObjectIndividual: "individuals", ObjectOpportunity: "opportunities",
}

// NeededScopes lists the OAuth scopes a connection's use of Sellsy needs, sorted.
func NeededScopes(needs []connectors.Access) []string {
	set := map[string]bool{}
	for _, n := range needs {
		res, ok := resources[n.Object]
		if !ok {
			continue
		}
		set[res+".read"] = true
		if n.Write {
			set[res+".write"] = true
		}
		if slices.ContainsFunc(n.Fields, func(f string) bool { return strings.HasPrefix(f, "cf.") }) {
			set["custom-fields.read"] = true // the definitions, and the cf.{id} embeds
		}
		if n.Object == connectors.ObjectContact && n.Linked {
			set["companies.read"] = true // GET /contacts/{id}/companies, GET /companies/{id}/contacts
			if n.Write {
				set["companies.write"] = true // POST and DELETE /companies/{id}/contacts/{id}
			}
		}
	}
	out := make([]string, 0, len(set))
	for s := range set {
		out = append(out, s)
	}
	slices.Sort(out)
	return out
}

// CheckAccess compares the scopes the connection needs with the access token's. A token
// response that names no scope (Sellsy documents none) cannot be checked: missing rights then
// show as 403 errors on use, so CheckAccess says nothing rather than guessing.
func (c *Client) CheckAccess(ctx context.Context, needs []connectors.Access) error {
	have, err := c.Scopes(ctx)
	if err != nil || have == nil {
		return err
	}
	var missing []string
	for _, s := range NeededScopes(needs) {
		if !slices.Contains(have, s) {
			missing = append(missing, s)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	return &connectors.Error{Kind: connectors.KindConfig, System: System, Op: "scopes",
		Message: fmt.Sprintf("the API client lacks the scope(s) %s that this connection needs (it has %s): grant them to the API access in Sellsy's developer portal",
			strings.Join(missing, ", "), strings.Join(have, ", "))}
}
