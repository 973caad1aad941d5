package unas

import "github.com/crmsync/crmsync/connectors"

// getShare is the share of an hourly limit one batch of records read back by id may spend:
// the rest stays for the listings and scans of the same hour.
const getShare = 10

var _ connectors.GetLimiter = (*Client)(nil)

// GetLimit implements connectors.GetLimiter: an order read back by id is a getOrder by Key
// (1,000 an hour on PREMIUM), a customer a multi-order getOrder by e-mail per 500 of its orders
// (30 an hour), so a batch takes a tenth of the class's limit — at least one record.
func (c *Client) GetLimit(object string) int {
	class := ClassOrderByKey
	if customerKind(object) {
		class = ClassOrderList
	}
	limit, _ := c.limit(class)
	return max(1, limit/getShare)
}
