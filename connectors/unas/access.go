package unas

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

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

// CheckSchedule checks that a connection's schedule fits the shop's hourly budget of
// multi-order getOrder calls (30 on PREMIUM, 90 on VIP, or the connection's
// order_lists_per_hour): every interval spends listings of them — one for the incremental
// cycle, whose objects share one read, and one for PipelineSync's scan. Cycles that ask for
// more would wait for the budget and fall behind their schedule. It logs in to learn the
// package.
func (c *Client) CheckSchedule(ctx context.Context, listings int, interval time.Duration) error {
	if listings <= 0 || interval <= 0 {
		return nil
	}
	if _, err := c.currentToken(ctx); err != nil {
		return err
	}
	limit, pkg := c.limit(ClassOrderList)
	perHour := int(math.Ceil(float64(listings) * float64(time.Hour) / float64(interval)))
	if perHour <= limit {
		return nil
	}
	shortest := time.Duration(math.Ceil(float64(listings)*float64(time.Hour)/float64(limit)/float64(time.Minute))) * time.Minute
	what := "the incremental cycle"
	if listings > 1 {
		what = fmt.Sprintf("%d listings (the incremental cycle and PipelineSync's scan)", listings)
	}
	return cfgErr("schedule", fmt.Sprintf("schedule.interval %s: every interval spends %s of the multi-order getOrder calls, %d an hour, more than the %d an hour the shop allows crmsync (%s): set schedule.interval to at least %s",
		interval, what, perHour, limit, pkg, shortest))
}
