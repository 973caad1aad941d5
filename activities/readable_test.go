package activities

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	unassim "github.com/crmsync/crmsync/connectors/unas/sim"
)

// An order without a customer e-mail is quarantined by the listing; retrying the quarantine
// reads it by id, which UNAS gives but crmsync cannot sync (its card would have no contact):
// it stays in quarantine with its reason, and the retry of the others goes on.
func TestARetryKeepsAnUnreadableRecordInQuarantine(t *testing.T) {
	acts, ae, sb := unasMiniCRM(t, "ur", 3, `objects:
  - name: customer
    b_object: person
    match: {a: email, b: Email}
    fields: [{a: name, b: LastName}, {a: email, b: Email}]
  - name: order
    b_object: "card:Orders"
    match: {a: order_ref, b: Text1203}
    links: [customer]
    fields: [{a: order_ref, b: Text1203}, {a: key, b: Name}]
`)
	ctx := context.Background()
	key := sb.UNAS.Dump()[0].Key
	sb.UNAS.EditOrder(key, func(o *unassim.Order) { o.Customer.Email = "" })
	for _, obj := range []string{"customer", "order"} {
		_, err := ae.ExecuteActivity(acts.SyncPass, PassInput{Connection: "ur", Object: obj, Side: "a", Mode: ModeImport})
		require.NoError(t, err)
	}
	before, err := acts.Store.ListQuarantine(ctx, "ur", 0)
	require.NoError(t, err)
	require.Len(t, before, 1, "the order without an e-mail")
	cards := len(sb.MiniCRM.Dump("Orders"))

	v, err := ae.ExecuteActivity(acts.RetryQuarantined, RetryInput{Connection: "ur"})
	require.NoError(t, err, "one unreadable record does not fail the retry")
	var r RetryResult
	require.NoError(t, v.Get(&r))
	assert.Equal(t, 0, r.Gone, "it is still in UNAS: %+v", r)
	assert.Equal(t, 1, r.Counts.Quarantined, "%+v", r)

	after, err := acts.Store.ListQuarantine(ctx, "ur", 0)
	require.NoError(t, err)
	require.Len(t, after, 1)
	assert.Equal(t, before[0].RecordID, after[0].RecordID)
	assert.Contains(t, after[0].Reason, "e-mail")
	assert.Len(t, sb.MiniCRM.Dump("Orders"), cards, "no card without a contact")
	for _, c := range sb.MiniCRM.Dump("Orders") {
		assert.NotNil(t, c["ContactId"], "card %v", fmt.Sprint(c["Text1203"]))
	}
}
