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
