package unas

import (
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

// Budget counts the calls made to one shop in the last hour, per class, so that crmsync never
// breaks one of its limits: breaking one bans the IP for an hour, for every tool the shop
// uses. Connections reading one shop share one Budget (and it outlives a reloaded connection
// file). The zero value is not ready: use NewBudget.
type Budget struct {
	mu    sync.Mutex
	calls map[string][]time.Time
}

// NewBudget returns an empty budget.
func NewBudget() *Budget { return &Budget{calls: map[string][]time.Time{}} }

// take records a call of class at now when fewer than limit were made in the hour before;
// otherwise it returns how long until one more is allowed.
func (b *Budget) take(class string, limit int, now time.Time) (wait time.Duration, ok bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	kept := b.calls[class][:0]
	for _, t := range b.calls[class] {
		if now.Sub(t) < time.Hour {
			kept = append(kept, t)
		}
	}
	b.calls[class] = kept
	if len(kept) >= limit {
		// The oldest call leaves the window first; a second more keeps clear of the edge.
		return kept[0].Add(time.Hour).Sub(now) + time.Second, false
	}
	b.calls[class] = append(kept, now)
	return 0, true
}

// Spent returns the calls of class made in the hour before now.
func (b *Budget) Spent(class string, now time.Time) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := 0
	for _, t := range b.calls[class] {
		if now.Sub(t) < time.Hour {
			n++
		}
	}
	return n
}

// limit is what the client may spend an hour on class: the package's limit (PREMIUM's, the
// lower, until a login says which), or the connection's own lower setting for order lists.
func (c *Client) limit(class string) (limit int, pkg string) {
	c.mu.Lock()
	pkg = strings.ToUpper(c.sess.Subscription)
	c.mu.Unlock()
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

// spend takes one call of class (and one of the total) from the budget, or returns a rate
// limited error saying when the next one is allowed: the workflow then waits on a durable
// timer instead of calling into a ban.
func (c *Client) spend(class, op string) error {
	now := c.now()
	if class != ClassTotal {
		if err := c.take(class, op, now); err != nil {
			return err
		}
	}
	if err := c.take(ClassTotal, op, now); err != nil {
		if class != ClassTotal {
			c.budget.refund(class, now)
		}
		return err
	}
	return nil
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

func (c *Client) take(class, op string, now time.Time) error {
	limit, pkg := c.limit(class)
	if limit <= 0 {
		return nil
	}
	wait, ok := c.budget.take(class, limit, now)
	if ok {
		return nil
	}
	return &connectors.Error{Kind: connectors.KindRateLimited, System: System, Op: op, RetryAfter: wait,
		Message: fmt.Sprintf("unas: crmsync's hourly budget of %d %s calls (%s) is spent; the next one is allowed at %s",
			limit, class, pkg, now.Add(wait).UTC().Format(time.RFC3339))}
}

// refund gives back the call of class taken at now (a call not made after all).
func (b *Budget) refund(class string, now time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	calls := b.calls[class]
	for i := len(calls) - 1; i >= 0; i-- {
		if calls[i].Equal(now) {
			b.calls[class] = append(calls[:i], calls[i+1:]...)
			return
		}
	}
}
