package sellsy

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"

	"github.com/crmsync/crmsync/connectors"
)

// Sellsy records carry access rights (the acl embed): a user may see or change some records
// and not others, and Sellsy answers 403 to a request about a record the API user may not
// touch — the same status as for a scope the API client lacks. A 403 on a request about one
// record (PUT or DELETE /{object}/{id}, its custom fields, its company links) is that
// record's error (KindInvalid: it is quarantined and the rest of the batch goes on), unless
// a scope the request needs is missing, which is the connection's (KindConfig). A 403 on a
// collection-level request (a list, a search, a probe) stays KindConfig.

// aclCheck tells, within one batch of writes, a record's access rights from a missing scope.
// Each scope met with a 403 is checked once per batch: with the scopes the token names when
// it names them (nothing to send), else with the probe CheckAccess sends (GET
// /{resource}?limit=1 or POST /{resource}?verify=true, which persists nothing): at most one
// more request per scope for a batch that meets a 403, none for one that does not.
type aclCheck struct {
	c       *Client
	mu      sync.Mutex
	checked map[string]error // scope → nil when granted, else the error of a missing scope
}

func (c *Client) newACLCheck() *aclCheck {
	return &aclCheck{c: c, checked: map[string]error{}}
}

// recordCall is a request about one record: record says what it does to which record
// ("change contact 12"), for the message of a 403.
type recordCall struct {
	acl    *aclCheck
	record string
}

// scopesOfCall is the scopes a request needs: its path's resource's (scopeOfCall), and for a
// link the other resource's too, as the spec's security lists them.
func scopesOfCall(k call) []string {
	return append([]string{scopeOfCall(k)}, alsoNeeded[k.op]...)
}

// alsoNeeded are the scopes the link requests about a record need besides their path's
// resource's (Contacts_getCompanies, Companies_linkContact). Two are left out: the unlink
// (Companies_unlinkContact) is only sent after a read of the contact's companies answered,
// which it does only with contacts.read, so checking that scope again would only cost a
// probe; and the companies' contacts (Companies_getContacts) are read by a walk that
// ignores its failures, not as a request about one record.
var alsoNeeded = map[string][]string{
	"GET /contacts/{id}/companies":                     {"companies.read"},
	"POST /companies/{companyId}/contacts/{contactId}": {"contacts.read"},
}

// scopeOfCall is the scope of a request's path's resource: read for a GET (or a search),
// write otherwise.
func scopeOfCall(k call) string {
	res, _, _ := strings.Cut(strings.TrimPrefix(k.path, "/"), "/")
	if res == "calendar-events" {
		res = "calendars" // the scopes' name for the calendar's resource
	}
	if k.method == http.MethodGet || (k.method == http.MethodPost && strings.HasSuffix(k.path, "/search")) {
		return res + ".read"
	}
	return res + ".write"
}

// refused turns the 403 e that answered the record request k into the record's error when
// the API client has the scopes k needs, or into a missing scope's KindConfig error.
func (a *aclCheck) refused(ctx context.Context, k call, e *connectors.Error) error {
	scopes := scopesOfCall(k)
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, scope := range scopes {
		missing, done := a.checked[scope]
		if !done {
			var err error
			missing, err = a.check(ctx, scope)
			if err != nil {
				return err // the check could not be made (quota, outage): as it failed
			}
			a.checked[scope] = missing
		}
		if missing != nil {
			return missing
		}
	}
	has := "the scope " + scopes[0]
	if len(scopes) > 1 {
		has = "the scopes " + strings.Join(scopes, " and ")
	}
	return &connectors.Error{Kind: connectors.KindInvalid, System: System, Op: e.Op, Status: http.StatusForbidden,
		Message: fmt.Sprintf("this Sellsy user may not %s: Sellsy answered 403 although the API client has %s, so the record's access rights (acl) keep it from this user; give the user access to the record in Sellsy, or leave the record out of the sync",
			k.rec.record, has)}
}

// check returns nil when the API client has scope, the KindConfig error of a missing scope
// when it has not, or the error that kept it from knowing.
func (a *aclCheck) check(ctx context.Context, scope string) (missing, err error) {
	lacking, how, _, err := a.c.missingScopes(ctx, []string{scope})
	if err != nil || len(lacking) == 0 {
		return nil, err
	}
	// A record request was answered 403, whichever way the scope was found missing.
	return lacksScopes(lacking, how, http.StatusForbidden), nil
}
