package unas

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/crmsync/crmsync/connectors"
)

// Call classes UNAS limits per hour, besides every call together.
const (
	ClassOrderList   = "getOrder"       // getOrder answering several orders
	ClassOrderByKey  = "getOrder:key"   // getOrder by Key
	ClassOrderStatus = "getOrderStatus" // getOrderStatus
	ClassTotal       = "total"          // every call of the IP
)

// HourlyLimits are UNAS's documented limits per package and call class, per hour.
var HourlyLimits = map[string]map[string]int{
	"PREMIUM": {ClassTotal: 2000, ClassOrderList: 30, ClassOrderByKey: 1000, ClassOrderStatus: 30},
	"VIP":     {ClassTotal: 6000, ClassOrderList: 90, ClassOrderByKey: 3000, ClassOrderStatus: 90},
}

// requestTimeout bounds a call to UNAS (unless Config.HTTPClient sets a timeout of its own).
const requestTimeout = 120 * time.Second

// CountedFor is how long a ledger counts a call: UNAS's hour, which starts when UNAS receives
// the call, and that is up to a request's timeout after crmsync sent (and counted) it: a new
// connection's handshakes, a slow network. Counted for the hour alone, the call crmsync allows
// at the end of its hour could be UNAS's one over the limit, and ban the IP from the shop for
// an hour.
const CountedFor = time.Hour + requestTimeout

// Claim is one call of a class, against the hourly limit of that class.
type Claim struct {
	Class string
	Limit int
}

// Ledger counts the calls made to one shop in the last hour, per class, so that crmsync never
// breaks one of its limits: breaking one bans the IP for an hour, for every tool the shop
// uses. Take records one call of every claim at now, all or none; when a class already had
// its limit in the CountedFor before now (the hour, and the time a call may take to reach
// UNAS) it records nothing and says how long until one more is allowed. Budget keeps the count in the process; a ledger on the store (the worker's) shares
// it between worker processes.
type Ledger interface {
	Take(ctx context.Context, claims []Claim, now time.Time) (wait time.Duration, err error)
}

// Budget is a Ledger in memory: connections of one process reading one shop share one (and
// it outlives a reloaded connection file). The zero value is not ready: use NewBudget.
type Budget struct {
	mu    sync.Mutex
	calls map[string][]time.Time
}

var _ Ledger = (*Budget)(nil)

// NewBudget returns an empty budget.
func NewBudget() *Budget { return &Budget{calls: map[string][]time.Time{}} }

// Take implements Ledger.
func (b *Budget) Take(_ context.Context, claims []Claim, now time.Time) (time.Duration, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, c := range claims {
		kept := b.calls[c.Class][:0]
		for _, t := range b.calls[c.Class] {
			if now.Sub(t) < CountedFor {
				kept = append(kept, t)
			}
		}
		b.calls[c.Class] = kept
		if len(kept) >= c.Limit {
			// The oldest call leaves the window first; a second more keeps clear of the edge.
			return kept[0].Add(CountedFor).Sub(now) + time.Second, nil
		}
	}
	for _, c := range claims {
		b.calls[c.Class] = append(b.calls[c.Class], now)
	}
	return 0, nil
}

// Spent returns the calls of class the budget still counts at now: those made in the
// CountedFor before it.
func (b *Budget) Spent(class string, now time.Time) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := 0
	for _, t := range b.calls[class] {
		if now.Sub(t) < CountedFor {
			n++
		}
	}
	return n
}

// limit is what the client may spend an hour on class: the package's limit (PREMIUM's, the
// lower, until a login says which), or the connection's own lower setting for order lists.
func (c *Client) limit(class string) (limit int, pkg string) {
	pkg = strings.ToUpper(c.shop.session().Subscription)
	limits, ok := HourlyLimits[pkg]
	if !ok {
		pkg, limits = "PREMIUM", HourlyLimits["PREMIUM"]
	}
	limit = limits[class]
	if class == ClassOrderList && c.orderLists > 0 && c.orderLists < limit {
		limit = c.orderLists
	}
	return limit, pkg
}

// spend takes one call of class (and one of the total) from the ledger, or returns a rate
// limited error saying when the next one is allowed: the workflow then waits on a durable
// timer instead of calling into a ban.
func (c *Client) spend(ctx context.Context, class, op string) error {
	now := c.now()
	classes := []string{ClassTotal}
	if class != ClassTotal {
		classes = []string{class, ClassTotal}
	}
	var claims []Claim
	for _, cl := range classes {
		if limit, _ := c.limit(cl); limit > 0 {
			claims = append(claims, Claim{Class: cl, Limit: limit})
		}
	}
	if len(claims) == 0 {
		return nil
	}
	wait, err := c.budget.Take(ctx, claims, now)
	if err != nil {
		// Without the count, a call could earn a ban: wait and try again.
		return &connectors.Error{Kind: connectors.KindRetryable, System: System, Op: op, Message: "unas: the call budget cannot be read: " + err.Error()}
	}
	if wait <= 0 {
		return nil
	}
	_, pkg := c.limit(class)
	var limits []string
	for _, cl := range claims {
		limits = append(limits, fmt.Sprintf("%d %s", cl.Limit, cl.Class))
	}
	return &connectors.Error{Kind: connectors.KindRateLimited, System: System, Op: op, RetryAfter: wait,
		Message: fmt.Sprintf("unas: crmsync's hourly budget (%s calls, %s) is spent; the next call is allowed at %s",
			strings.Join(limits, ", "), pkg, now.Add(wait).UTC().Format(time.RFC3339))}
}

// classOf is the class of a call of function with these params.
func classOf(function, params string) string {
	switch {
	case function == "getOrder" && strings.Contains(params, "<Key>"):
		return ClassOrderByKey
	case function == "getOrder":
		return ClassOrderList
	case function == "getOrderStatus":
		return ClassOrderStatus
	}
	return ClassTotal
}
