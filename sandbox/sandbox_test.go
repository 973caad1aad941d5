package sandbox

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"testing"
	"time"

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

// The Sellsy quota options reach the simulator: its first answer reports the windows set.
func TestSellsyQuotaOptions(t *testing.T) {
	tests := []struct {
		name                string
		rps, rpm, rpd       int
		second, minute, day string
	}{
		{"defaults", 0, 0, 0, "4", "1000000", "431999"},
		{"minute and day set", 0, 150, 1000, "4", "149", "999"},
		{"all lifted", -1, 0, 0, "1000000", "1000000", "1000000"},
		{"day lifted", 5, 150, -1, "4", "149", "1000000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sb, err := Start(Options{SellsyClientID: "id", SellsyClientSecret: "secret", MauticUsername: "u", MauticPassword: "p",
				SellsyRequestsPerSecond: tt.rps, SellsyRequestsPerMinute: tt.rpm, SellsyRequestsPerDay: tt.rpd})
			require.NoError(t, err)
			t.Cleanup(func() { _ = sb.Close() })
			tok := sellsyToken(t, sb.SellsyURL)
			req, _ := http.NewRequest("GET", sb.SellsyURL+"/v2/contacts?limit=1", nil)
			req.Header.Set("Authorization", "Bearer "+tok["access_token"].(string))
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			resp.Body.Close()
			require.Equal(t, http.StatusOK, resp.StatusCode)
			assert.Equal(t, tt.second, resp.Header.Get("X-Quota-Remaining-By-Second"))
			assert.Equal(t, tt.minute, resp.Header.Get("X-Quota-Remaining-By-Minute"))
			assert.Equal(t, tt.day, resp.Header.Get("X-Quota-Remaining-By-Day"))
		})
	}
}

// SellsyScopesNotInToken makes the token response name no scope, as Sellsy's, while the
// scopes stay enforced.
func TestSellsyScopesNotInToken(t *testing.T) {
	tests := []struct {
		name      string
		notInTok  bool
		wantScope bool
	}{
		{"announced", false, true},
		{"as Sellsy", true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sb, err := Start(Options{SellsyClientID: "id", SellsyClientSecret: "secret", MauticUsername: "u", MauticPassword: "p",
				SellsyScopes: []string{"contacts.read"}, SellsyScopesNotInToken: tt.notInTok})
			require.NoError(t, err)
			t.Cleanup(func() { _ = sb.Close() })
			tok := sellsyToken(t, sb.SellsyURL)
			_, has := tok["scope"]
			assert.Equal(t, tt.wantScope, has)
			req, _ := http.NewRequest("GET", sb.SellsyURL+"/v2/companies?limit=1", nil)
			req.Header.Set("Authorization", "Bearer "+tok["access_token"].(string))
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			resp.Body.Close()
			assert.Equal(t, http.StatusForbidden, resp.StatusCode, "companies.read is not granted")
		})
	}
}

// sellsyToken is the token response of the sandbox's Sellsy for client "id".
func sellsyToken(t *testing.T, base string) map[string]any {
	t.Helper()
	resp, err := http.PostForm(base+"/oauth2/access-tokens", url.Values{"grant_type": {"client_credentials"}, "client_id": {"id"}, "client_secret": {"secret"}})
	require.NoError(t, err)
	defer resp.Body.Close()
	var tok map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&tok))
	return tok
}

// -mautic-timezone shows Automation's dates in the API user's timezone, as Automation does;
// a name that is no timezone is refused, naming it.
func TestMauticTimezone(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	require.NoError(t, err)
	tests := []struct {
		zone    string
		loc     *time.Location
		wantErr string
	}{
		{zone: "", loc: time.UTC},
		{zone: "Europe/Paris", loc: paris},
		{zone: "Europe/Pariss", wantErr: `sandbox: mautic: timezone "Europe/Pariss"`},
	}
	for _, tt := range tests {
		t.Run(tt.zone, func(t *testing.T) {
			sb, err := Start(Options{SellsyClientID: "id", SellsyClientSecret: "secret", MauticUsername: "u", MauticPassword: "p",
				MauticFirst: 0, MauticContacts: 1, MauticTimezone: tt.zone})
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			t.Cleanup(func() { _ = sb.Close() })
			req, _ := http.NewRequest("GET", sb.MauticURL+"/api/contacts?limit=1", nil)
			req.SetBasicAuth("u", "p")
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			defer resp.Body.Close()
			var list struct {
				Contacts map[string]struct {
					DateAdded string `json:"dateAdded"`
				} `json:"contacts"`
			}
			require.NoError(t, json.NewDecoder(resp.Body).Decode(&list))
			require.Len(t, list.Contacts, 1)
			for _, c := range list.Contacts {
				at, err := time.Parse(time.RFC3339, c.DateAdded)
				require.NoError(t, err, c.DateAdded)
				_, want := at.In(tt.loc).Zone()
				_, got := at.Zone()
				assert.Equal(t, want, got, c.DateAdded)
			}
		})
	}
}

// -mautic-batch-max lowers Automation's api_batch_max_limit, as an administrator may: a batch
// past it is refused with Mautic's answer, and nothing of it is written.
func TestMauticBatchMax(t *testing.T) {
	tests := []struct {
		max, batch int
		status     int
	}{
		{max: 0, batch: 200, status: http.StatusCreated}, // 0: Mautic's default, 200
		{max: 50, batch: 50, status: http.StatusCreated},
		{max: 50, batch: 51, status: http.StatusInternalServerError},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%d of at most %d", tt.batch, tt.max), func(t *testing.T) {
			sb, err := Start(Options{SellsyClientID: "id", SellsyClientSecret: "secret", MauticUsername: "u", MauticPassword: "p", MauticBatchMax: tt.max})
			require.NoError(t, err)
			t.Cleanup(func() { _ = sb.Close() })
			var batch []map[string]string
			for i := range tt.batch {
				batch = append(batch, map[string]string{"email": fmt.Sprintf("p%d@example.com", i)})
			}
			body, err := json.Marshal(batch)
			require.NoError(t, err)
			req, _ := http.NewRequest("POST", sb.MauticURL+"/api/contacts/batch/new", bytes.NewReader(body))
			req.SetBasicAuth("u", "p")
			req.Header.Set("Content-Type", "application/json")
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			answer, _ := io.ReadAll(resp.Body)
			_ = resp.Body.Close()
			assert.Equal(t, tt.status, resp.StatusCode, string(answer))
			if tt.status == http.StatusInternalServerError {
				assert.Contains(t, string(answer), fmt.Sprintf("A max of %d entities are supported at a time.", tt.max))
				assert.Zero(t, sb.Mautic.Count("contacts"), "nothing written")
			} else {
				assert.Equal(t, tt.batch, sb.Mautic.Count("contacts"))
			}
		})
	}
}
