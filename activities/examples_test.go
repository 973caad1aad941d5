package activities

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/config"
	"github.com/crmsync/crmsync/sandbox"
)

// Every example connection settles: once the import has run on simulators whose records
// overlap (the same people on both sides, with values that differ), a second full read of
// every object from both sides writes nothing. A value a system stores otherwise than it was
// written (normalised, ignored by its update API) would show here as a write that comes back.
func TestExamplesSettleAfterTheImport(t *testing.T) {
	for _, example := range []string{"sellsy-mautic", "sellsy-mautic-full", "weavy-mautic", "sellsy-altior", "unas-minicrm"} {
		t.Run(example, func(t *testing.T) {
			sb, err := sandbox.Start(sandbox.Options{
				SellsyFirst: 0, SellsyContacts: 60, SellsyClientID: "id", SellsyClientSecret: "secret", SellsyRequestsPerSecond: -1,
				MauticFirst: 40, MauticContacts: 40, MauticUsername: "u", MauticPassword: "p",
				WeavyAddr: "127.0.0.1:0", WeavyUsername: "wu", WeavyPassword: "wp", WeavyProject: "crm", WeavyFirst: 30, WeavyContacts: 20,
				WeavyEntrantsFirst: 55, WeavyEntrants: 10,
				AltiorAddr: "127.0.0.1:0", AltiorAPIKey: "ak", AltiorTiersFirst: 20, AltiorTiers: 30,
				UNASAddr: "127.0.0.1:0", UNASAPIKey: "uk", UNASOrders: 20,
				MiniCRMAddr: "127.0.0.1:0", MiniCRMSystemID: "7", MiniCRMAPIKey: "mk", MiniCRMRequestsPerMinute: -1,
			})
			require.NoError(t, err)
			t.Cleanup(func() { _ = sb.Close() })
			for k, v := range map[string]string{"SELLSY_CLIENT_ID": "id", "SELLSY_CLIENT_SECRET": "secret", "MAUTIC_USERNAME": "u", "MAUTIC_PASSWORD": "p",
				"WEAVY_USERNAME": "wu", "WEAVY_PASSWORD": "wp", "ALTIOR_API_KEY": "ak", "UNAS_API_KEY": "uk", "MINICRM_SYSTEM_ID": "7", "MINICRM_API_KEY": "mk"} {
				t.Setenv(k, v)
			}
			urls := strings.NewReplacer("http://127.0.0.1:18081", sb.SellsyURL, "http://127.0.0.1:18082", sb.MauticURL, "http://127.0.0.1:18083", sb.WeavyURL,
				"http://127.0.0.1:18084", sb.AltiorURL, "http://127.0.0.1:18085", sb.UNASURL, "http://127.0.0.1:18086", sb.MiniCRMURL,
				`requests_per_second: "1" `, `requests_per_second: "1000"`, `requests_per_second: "10"`, `requests_per_second: "1000"`,
				`requests_per_second: "5"`, `requests_per_second: "1000"`)
			data, err := os.ReadFile("../config/examples/" + example + ".yaml")
			require.NoError(t, err)
			conn, err := config.Parse(example+".yaml", []byte(urls.Replace(string(data))))
			require.NoError(t, err)
			acts, _, ae := activitiesOf(t, conn)
			v, err := ae.ExecuteActivity(acts.DescribeConnection, example)
			require.NoError(t, err)
			var info ConnectionInfo
			require.NoError(t, v.Get(&info))
			pass := func(object, side, mode string) Counts {
				in := PassInput{Connection: example, Object: object, Side: side, Mode: mode}
				var total Counts
				for {
					v, err := ae.ExecuteActivity(acts.SyncPass, in)
					require.NoError(t, err, "%s side %s", object, side)
					var r PassResult
					require.NoError(t, v.Get(&r))
					total.Add(r.Counts)
					if r.Done {
						return total
					}
					in.Position, in.Since, in.PassStart = r.Position, r.Since, r.PassStart
				}
			}
			var imported Counts
			for _, o := range info.Objects {
				for _, side := range []string{"a", "b"} {
					mode := ModeImport
					for _, s := range info.NoImport {
						if s == o+"/"+side {
							mode = ModeMark
						}
					}
					imported.Add(pass(o, side, mode))
				}
			}
			t.Logf("import: %+v", imported)
			require.Positive(t, imported.CreatedA+imported.CreatedB+imported.UpdatedA+imported.UpdatedB, "the import had work to do: %+v", imported)
			for _, o := range info.Objects {
				for _, side := range []string{"a", "b"} {
					c := pass(o, side, ModeImport)
					assert.Zero(t, c.CreatedA+c.CreatedB+c.UpdatedA+c.UpdatedB, "full read of %s side %s after the import: %+v", o, side, c)
					assert.Zero(t, c.Quarantined, "full read of %s side %s", o, side)
				}
			}
		})
	}
}
