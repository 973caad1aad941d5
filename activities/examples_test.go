package activities

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/testsuite"

	"github.com/crmsync/crmsync/config"
	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/engine"
	"github.com/crmsync/crmsync/sandbox"
	"github.com/crmsync/crmsync/store"
)

// exampleRun is an example connection of config/examples on simulators of its own whose
// records overlap (the same people on both sides, with values that differ).
type exampleRun struct {
	t    *testing.T
	name string
	acts *Activities
	st   store.Store
	ae   *testsuite.TestActivityEnvironment
	info ConnectionInfo
	sb   *sandbox.Sandbox
}

func startExample(t *testing.T, example string) *exampleRun {
	t.Helper()
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
	// The sandbox's URLs, and no client-side rate below the simulators' own.
	urls := strings.NewReplacer("base_url: http://127.0.0.1:18084", "base_url: "+sb.AltiorURL+"\n    requests_per_second: \"1000\"",
		"http://127.0.0.1:18081", sb.SellsyURL, "http://127.0.0.1:18082", sb.MauticURL, "http://127.0.0.1:18083", sb.WeavyURL,
		"http://127.0.0.1:18084", sb.AltiorURL, "http://127.0.0.1:18085", sb.UNASURL, "http://127.0.0.1:18086", sb.MiniCRMURL,
		`requests_per_second: "1" `, `requests_per_second: "1000"`, `requests_per_second: "10"`, `requests_per_second: "1000"`,
		`requests_per_second: "5"`, `requests_per_second: "1000"`)
	data, err := os.ReadFile("../config/examples/" + example + ".yaml")
	require.NoError(t, err)
	conn, err := config.Parse(example+".yaml", []byte(urls.Replace(string(data))))
	require.NoError(t, err)
	r := &exampleRun{t: t, name: example, sb: sb}
	r.acts, r.st, r.ae = activitiesOf(t, conn)
	v, err := r.ae.ExecuteActivity(r.acts.DescribeConnection, example)
	require.NoError(t, err)
	require.NoError(t, v.Get(&r.info))
	return r
}

// pass runs a whole pass, stretch after stretch.
func (r *exampleRun) pass(object, side, mode string) Counts {
	r.t.Helper()
	return passToEnd(r.t, r.ae, r.acts, PassInput{Connection: r.name, Object: object, Side: side, Mode: mode})
}

// round runs every object's passes from both sides, as a workflow does; the import skips the
// passes its initialisation choices leave out (they only mark the records as existing).
// check, when set, is given each pass's counts.
func (r *exampleRun) round(mode string, check func(object, side string, c Counts)) Counts {
	r.t.Helper()
	var total Counts
	for _, o := range r.info.Objects {
		for _, side := range []string{"a", "b"} {
			m := mode
			for _, s := range r.info.NoImport {
				if mode == ModeImport && s == o+"/"+side {
					m = ModeMark
				}
			}
			c := r.pass(o, side, m)
			if check != nil {
				check(o, side, c)
			}
			total.Add(c)
		}
	}
	return total
}

// settled asserts that a round of mode writes nothing and quarantines nothing.
func (r *exampleRun) settled(mode, when string) {
	r.t.Helper()
	r.round(mode, func(o, side string, c Counts) {
		assert.Zero(r.t, c.CreatedA+c.CreatedB+c.UpdatedA+c.UpdatedB, "%s pass of %s side %s %s: %+v", mode, o, side, when, c)
		assert.Zero(r.t, c.Quarantined, "%s pass of %s side %s %s", mode, o, side, when)
	})
}

// Every example connection settles: once the import has run, a second full read of every
// object from both sides writes nothing. A value a system stores otherwise than it was written
// (normalised, or ignored by its update API) would show here as a write that comes back.
func TestExamplesSettleAfterTheImport(t *testing.T) {
	for _, example := range []string{"sellsy-mautic", "sellsy-mautic-full", "weavy-mautic", "sellsy-altior", "unas-minicrm"} {
		t.Run(example, func(t *testing.T) {
			r := startExample(t, example)
			imported := r.round(ModeImport, nil)
			t.Logf("import: %+v", imported)
			require.Positive(t, imported.CreatedA+imported.CreatedB+imported.UpdatedA+imported.UpdatedB, "the import had work to do: %+v", imported)
			r.settled(ModeImport, "after the import")
		})
	}
}

// After the import of each two-way example, edits on either side of a field mapped both ways
// reach the other side in one incremental round, converted where the systems spell values
// differently — an edit made on both sides of one pair settles on the most recent — and the
// next round writes nothing.
func TestExamplesCarryEditsAndSettle(t *testing.T) {
	text := func(side string) [2]any { return [2]any{"Edited " + side + "1", "Edited " + side + "2"} }
	tests := []struct {
		example, object, a, b string
		onA, seenOnB          [2]any // two values written on A, and what B then holds
		onB, seenOnA          [2]any // two values written on B, and what A then holds
	}{
		{"sellsy-mautic", "contact", "last_name", "lastname", text("A"), text("A"), text("B"), text("B")},
		{"sellsy-mautic", "company", "phone_number", "companyphone", [2]any{"+33 1 11", "+33 1 12"}, [2]any{"+33 1 11", "+33 1 12"},
			[2]any{"+33 1 21", "+33 1 22"}, [2]any{"+33 1 21", "+33 1 22"}},
		{"sellsy-mautic-full", "contact", "cf.cf_select", "cf_select", [2]any{"Or", "Argent"}, [2]any{"gold", "silver"},
			[2]any{"bronze", "gold"}, [2]any{"Bronze", "Or"}},
		{"sellsy-mautic-full", "contact", "cf.cf_checkbox", "cf_multiselect", [2]any{[]any{"Web", "Salon"}, []any{"Partenaire"}},
			[2]any{[]any{"a", "b"}, []any{"c"}}, [2]any{[]any{"c", "a"}, []any{"b"}}, [2]any{[]any{"Partenaire", "Web"}, []any{"Salon"}}},
		{"sellsy-mautic-full", "contact", "cf.cf_date", "cf_date", [2]any{"2026-03-05", "2026-03-06"}, [2]any{"2026-03-05", "2026-03-06"},
			[2]any{"2026-04-01", "2026-04-02"}, [2]any{"2026-04-01", "2026-04-02"}},
		{"sellsy-mautic-full", "contact", "unsubscribed.email", "dnc.email", [2]any{true, true}, [2]any{true, true}, [2]any{true, true}, [2]any{true, true}},
		{"weavy-mautic", "contact", "lastName", "lastname", text("A"), text("A"), text("B"), text("B")},
		{"weavy-mautic", "company", "phoneNumber", "companyphone", [2]any{"0101", "0102"}, [2]any{"0101", "0102"}, [2]any{"0201", "0202"}, [2]any{"0201", "0202"}},
		{"sellsy-altior", "contact", "last_name", "last_name", text("A"), text("A"), text("B"), text("B")},
		{"sellsy-altior", "contact", "civility", "civility", [2]any{"mr", "ms"}, [2]any{"M", "MME"}, [2]any{"MME", "M"}, [2]any{"mrs", "mr"}},
		{"sellsy-altior", "company", "name", "name", text("A"), text("A"), text("B"), text("B")},
	}
	for _, tt := range tests {
		t.Run(tt.example+"/"+tt.object+"/"+tt.a, func(t *testing.T) {
			r := startExample(t, tt.example)
			r.round(ModeImport, nil)
			ctx := context.Background()
			pairs, err := r.st.ListPairs(ctx, r.name, tt.object, "", 5)
			require.NoError(t, err)
			require.Len(t, pairs, 5, "the import paired records")
			ca, cb, err := r.acts.Conns.Connectors(r.name)
			require.NoError(t, err)
			c, err := r.acts.Conns.Config(r.name)
			require.NoError(t, err)
			obj, ok := c.Object(tt.object)
			require.True(t, ok, tt.object)
			edit := func(c connectors.Connector, object, id, field string, value any) {
				t.Helper()
				res, err := c.Update(ctx, object, []connectors.Record{{ID: id, Fields: map[string]any{field: value}}})
				require.NoError(t, err)
				require.NoError(t, res[0].Err)
			}
			// Pairs 0 and 1 edited on A, 2 and 3 on B, 4 on both (B last: B wins).
			wantA, wantB := make([]any, len(pairs)), make([]any, len(pairs))
			for i, p := range pairs {
				switch {
				case i < 2:
					edit(ca, obj.AObject, p.AID, tt.a, tt.onA[i])
					wantA[i], wantB[i] = tt.onA[i], tt.seenOnB[i]
				case i < 4:
					edit(cb, obj.BObject, p.BID, tt.b, tt.onB[i-2])
					wantA[i], wantB[i] = tt.seenOnA[i-2], tt.onB[i-2]
				default:
					edit(ca, obj.AObject, p.AID, tt.a, tt.onA[0])
					time.Sleep(1100 * time.Millisecond) // Sellsy's and Automation's times are to the second
					edit(cb, obj.BObject, p.BID, tt.b, tt.onB[1])
					wantA[i], wantB[i] = tt.seenOnA[1], tt.onB[1]
				}
			}
			r.round(ModeIncremental, nil)
			for i, p := range pairs {
				got, err := ca.Get(ctx, obj.AObject, []string{p.AID})
				require.NoError(t, err)
				require.Len(t, got, 1)
				assert.True(t, engine.Equal(wantA[i], got[0].Fields[tt.a]), "pair %d on A: want %v, got %v", i, wantA[i], got[0].Fields[tt.a])
				got, err = cb.Get(ctx, obj.BObject, []string{p.BID})
				require.NoError(t, err)
				require.Len(t, got, 1)
				assert.True(t, engine.Equal(wantB[i], got[0].Fields[tt.b]), "pair %d on B: want %v, got %v", i, wantB[i], got[0].Fields[tt.b])
			}
			r.settled(ModeIncremental, "after the edits")
		})
	}
}
