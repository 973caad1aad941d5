package sandbox

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestStartSeedsOverlappingPeopleAndServesAdmin(t *testing.T) {
	sb, err := Start(Options{
		SellsyContacts: 50, MauticFirst: 40, MauticContacts: 20,
		SellsyClientID: "id", SellsyClientSecret: "secret", MauticUsername: "u", MauticPassword: "p",
	})
	require.NoError(t, err)
	t.Cleanup(func() { _ = sb.Close() })

	assert.Equal(t, 50, sb.Sellsy.Count("contacts"))
	assert.Equal(t, 10, sb.Sellsy.Count("companies"))
	assert.Equal(t, 20, sb.Mautic.Count("contacts"))
	assert.Equal(t, 4, sb.Mautic.Count("companies"), "people 40–59 work for companies 8–11")

	for _, base := range []string{sb.SellsyURL, sb.MauticURL} {
		resp, err := http.Get(base + "/_sim/stats")
		require.NoError(t, err)
		var stats map[string]any
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&stats))
		resp.Body.Close()
		assert.Equal(t, http.StatusOK, resp.StatusCode, base)
	}
}

func TestStartsEverySimulatorAsked(t *testing.T) {
	sb, err := Start(Options{
		MauticUsername: "u", MauticPassword: "p", SellsyClientID: "i", SellsyClientSecret: "s",
		WeavyAddr: "127.0.0.1:0", WeavyContacts: 10, WeavyEntrantsFirst: 100, WeavyEntrants: 3, WeavyUsername: "w", WeavyPassword: "w",
		AltiorAddr: "127.0.0.1:0", AltiorAPIKey: "k", AltiorTiers: 10,
		UNASAddr: "127.0.0.1:0", UNASAPIKey: "k", UNASOrders: 12,
		MiniCRMAddr: "127.0.0.1:0", MiniCRMSystemID: "1", MiniCRMAPIKey: "k",
	})
	require.NoError(t, err)
	t.Cleanup(func() { _ = sb.Close() })
	assert.Equal(t, 10, sb.Weavy.Count("customercontact"))
	assert.Equal(t, 3, sb.Weavy.Count("marketinginbound"))
	assert.Equal(t, 2, sb.Altior.Count("tiers"))
	assert.Equal(t, 12, sb.UNAS.Count())
	for _, base := range []string{sb.WeavyURL, sb.AltiorURL, sb.UNASURL, sb.MiniCRMURL} {
		resp, err := http.Get(base + "/_sim/stats")
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, http.StatusOK, resp.StatusCode, base)
	}
}

func TestRefusesAnUnknownWeavySelectOrder(t *testing.T) {
	_, err := Start(Options{MauticUsername: "u", MauticPassword: "p", SellsyClientID: "i", SellsyClientSecret: "s",
		WeavyAddr: "127.0.0.1:0", WeavyUsername: "w", WeavyPassword: "w", WeavySelectOrder: "random"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `select order "random" is neither "inserted" nor "modified"`)
}
