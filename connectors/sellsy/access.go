package sellsy

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/crmsync/crmsync/connectors"
)

var _ connectors.AccessChecker = (*Client)(nil)

// resources are the scope names of the objects: an object's records need <resource>.read to
// be read and <resource>.write to be created or updated. The agenda objects are read back
// when their webhook events are routed.
var resources = map[string]string{
	connectors.ObjectCompany: "companies", connectors.ObjectContact: "contacts",
	ObjectIndividual: "individuals", ObjectOpportunity: "opportunities",
	ObjectTask: "tasks", ObjectComment: "comments", ObjectCalendarEvent: "calendars",
}

// probePaths are the paths that probe a scope whose resource is not its path.
var probePaths = map[string]string{"calendars": "/calendar-events"}

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

// probeBodies are minimal valid creations, sent with verify=true (Sellsy validates them and
// persists nothing, 204) to learn whether the API client may write a resource. A resource
// without one is sent {}: a 400 refusing the body still shows the scope was granted.
var probeBodies = map[string]map[string]any{
	"companies":   {"type": "prospect", "name": "crmsync access check"},
	"contacts":    {"last_name": "crmsync access check"},
	"individuals": {"type": "prospect", "last_name": "crmsync access check"},
}

// CheckAccess checks that the API client has every scope the connection needs. A token
// response that names its scopes (Sellsy's does not; the simulator can) is compared and
// costs nothing more. Otherwise each scope is probed: GET /{resource}?limit=1 for
// <resource>.read, POST /{resource}?verify=true (validate only, nothing persisted) for
// <resource>.write; Sellsy answers 403 for a scope the API client lacks. Other failures
// (credentials refused, quota, Sellsy down) are returned as they are.
func (c *Client) CheckAccess(ctx context.Context, needs []connectors.Access) error {
	needed := NeededScopes(needs)
	if len(needed) == 0 {
		return nil
	}
	missing, how, status, err := c.missingScopes(ctx, needed)
	if err != nil || len(missing) == 0 {
		return err
	}
	return lacksScopes(missing, how, status)
}

// missingScopes returns those of needed the API client lacks, and how that is known: from the
// scopes its token names when it names them (nothing sent, status 0), else by a probe a scope
// (probeScope, status 403).
func (c *Client) missingScopes(ctx context.Context, needed []string) (missing []string, how string, status int, err error) {
	have, err := c.Scopes(ctx)
	if err != nil {
		return nil, "", 0, err
	}
	if have != nil {
		for _, s := range needed {
			if !slices.Contains(have, s) {
				missing = append(missing, s)
			}
		}
		return missing, "it has " + strings.Join(have, ", "), 0, nil
	}
	var refused []string
	for _, scope := range needed {
		forbidden, probe, err := c.probeScope(ctx, scope)
		if err != nil {
			return nil, "", 0, err
		}
		if forbidden {
			missing = append(missing, scope)
			refused = append(refused, probe)
		}
	}
	return missing, "Sellsy answered 403 to " + strings.Join(refused, ", "), http.StatusForbidden, nil
}

// lacksScopes is the configuration error of scopes the API client lacks, with the status
// that told it (0: none, the token named its scopes).
func lacksScopes(missing []string, how string, status int) error {
	return &connectors.Error{Kind: connectors.KindConfig, System: System, Op: "scopes", Status: status,
		Message: fmt.Sprintf("the API client lacks the scope(s) %s that this connection needs (%s): %s",
			strings.Join(missing, ", "), how, enableHint)}
}

// enableHint says where scopes are granted.
const enableHint = "enable them in the scopes of this API client in Sellsy's API access settings, then validate again"

// probeScope asks Sellsy whether the API client has scope (<resource>.read or .write); it
// reports a 403 with the request that met it.
func (c *Client) probeScope(ctx context.Context, scope string) (forbidden bool, probe string, err error) {
	res, access, _ := strings.Cut(scope, ".")
	if res == "" || (access != "read" && access != "write") {
		return false, "", &connectors.Error{Kind: connectors.KindConfig, System: System, Op: "scopes",
			Message: fmt.Sprintf("scope %q is not <resource>.read or <resource>.write", scope)}
	}
	path := "/" + res
	if p, ok := probePaths[res]; ok {
		path = p
	}
	k := call{path: path, query: url.Values{}}
	if access == "read" {
		k.method = http.MethodGet
		k.query.Set("limit", "1")
	} else {
		k.method = http.MethodPost
		k.query.Set("verify", "true")
		k.body = probeBodies[res]
		if k.body == nil {
			k.body = map[string]any{}
		}
	}
	probe = k.method + " " + path + "?" + k.query.Encode()
	k.op = probe
	_, err = c.do(ctx, k, nil)
	switch {
	case err == nil:
		return false, probe, nil
	case connectors.StatusOf(err) == http.StatusForbidden:
		return true, probe, nil
	case connectors.StatusOf(err) == http.StatusBadRequest && access == "write":
		return false, probe, nil // the body was judged, so the scope let it through
	}
	return false, probe, err
}
