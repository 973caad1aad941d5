package unas

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/crmsync/crmsync/connectors"
)

var _ connectors.AccessChecker = (*Client)(nil)

// CheckAccess checks the API key's permissions, which the login lists (an API key is created
// in UNAS with a chosen set of functions): reading orders and customers takes getOrder, and
// the status list (the status map, the order pipeline) getOrderStatus. It logs in if needed
// and reads nothing else.
func (c *Client) CheckAccess(ctx context.Context, needs []connectors.Access) error {
	if len(needs) == 0 {
		return nil
	}
	if _, err := c.currentToken(ctx); err != nil {
		return err
	}
	have := c.Session().Permissions
	var missing []string
	for _, p := range []string{"getOrder", "getOrderStatus"} {
		if !slices.Contains(have, p) {
			missing = append(missing, p)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	return cfgErr("login", fmt.Sprintf("the API key lacks the permission(s) %s that this connection needs (it has %s): tick them on the key in UNAS (Settings → External connections → API connection)",
		strings.Join(missing, ", "), strings.Join(have, ", ")))
}
