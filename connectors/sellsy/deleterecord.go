package sellsy

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/crmsync/crmsync/connectors"
)

// deletable are the API V2 collections whose records DeleteRecord deletes (the spec's
// DELETE /{collection}/{id}, each answered 204 with no body), by the name of one record.
var deletable = map[string]string{
	"companies": "company", "individuals": "individual", "contacts": "contact", "opportunities": "opportunity",
	"tasks": "task", "calendar-events": "calendar event", "comments": "comment",
}

// DeleteRecord deletes record id of collection (companies, individuals, contacts,
// opportunities, tasks, calendar-events or comments). A record Sellsy does not have (404) is
// KindInvalid naming it. A DELETE is sent again after a lost answer or a server error, as any
// call that may be repeated: when the repeat finds no record, the try before it deleted it,
// and DeleteRecord reports repeated with no error. A 403 is the record's own (its access
// rights) when the API client has the scope, as for Delete.
func (c *Client) DeleteRecord(ctx context.Context, collection string, id int) (repeated bool, err error) {
	name, ok := deletable[collection]
	if !ok {
		return false, &connectors.Error{Kind: connectors.KindInvalid, System: System, Op: "DELETE /" + collection + "/{id}",
			Message: fmt.Sprintf("collection %q: Sellsy's API V2 deletes none of its records here (companies, individuals, contacts, opportunities, tasks, calendar-events, comments)", collection)}
	}
	op := "DELETE /" + collection + "/{id}"
	if id <= 0 {
		return false, &connectors.Error{Kind: connectors.KindInvalid, System: System, Op: op,
			Message: fmt.Sprintf("%s id %d: a Sellsy id is a positive whole number", name, id)}
	}
	record := name + " " + strconv.Itoa(id)
	var mayHaveRun bool
	status, err := c.do(ctx, call{method: http.MethodDelete, path: "/" + collection + "/" + strconv.Itoa(id), op: op,
		rec: recordCall{acl: c.newACLCheck(), record: "delete " + record}, mayHaveRun: &mayHaveRun}, nil)
	if status == http.StatusNotFound {
		if mayHaveRun {
			return true, nil
		}
		var e *connectors.Error
		if errors.As(err, &e) {
			named := *e
			named.Message = fmt.Sprintf("%s does not exist in Sellsy (%s)", record, e.Message)
			return false, &named
		}
	}
	return false, err
}
