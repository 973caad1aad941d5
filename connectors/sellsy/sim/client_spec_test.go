package sim_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/connectors/sellsy"
	"github.com/crmsync/crmsync/connectors/sellsy/sim"
	"github.com/crmsync/crmsync/connectors/sellsy/sim/spectest"
)

// The connector's webhook management (Webhooks, CreateWebhook, DeleteWebhook, behind
// `crmsync sellsy webhooks`) sends and reads what the spec defines, and lists every page.
func TestConnectorWebhooksMatchSpec(t *testing.T) {
	p, srv := spectest.Start(t, sim.New(sim.Options{ClientID: "cid", ClientSecret: "secret", RequestsPerSecond: -1}))
	c, err := sellsy.New(sellsy.Config{APIURL: srv.URL + "/v2", TokenURL: srv.URL + "/oauth2/access-tokens",
		ClientID: "cid", ClientSecret: "secret", RequestsPerSecond: 10000})
	require.NoError(t, err)
	ctx := context.Background()

	hooks, err := c.Webhooks(ctx)
	require.NoError(t, err)
	assert.Empty(t, hooks)
	var ids []int
	for i := 0; i < 103; i++ { // more than one page of 100
		id, err := c.CreateWebhook(ctx, fmt.Sprintf("https://crm.example/hook/%d", i), []string{"client.created", "opportunity.updated"})
		require.NoError(t, err)
		require.NotZero(t, id)
		ids = append(ids, id)
	}
	hooks, err = c.Webhooks(ctx)
	require.NoError(t, err)
	require.Len(t, hooks, 103)
	assert.Equal(t, sellsy.Webhook{ID: ids[102], Endpoint: "https://crm.example/hook/102", IsEnabled: true,
		Events: []string{"client.created", "opportunity.updated"}}, hooks[102])
	require.NoError(t, c.DeleteWebhook(ctx, ids[0]))
	hooks, err = c.Webhooks(ctx)
	require.NoError(t, err)
	assert.Len(t, hooks, 102)
	_, err = c.CreateWebhook(ctx, "not a url", []string{"client.created"})
	require.Error(t, err)

	assert.Empty(t, p.Problems())
	assert.Contains(t, p.Seen(), "DELETE /v2/webhooks/"+fmt.Sprint(ids[0]))
}
