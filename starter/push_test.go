package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/activities"
	"github.com/crmsync/crmsync/store"
	"github.com/crmsync/crmsync/workflows"
)

// `crmsync push` says what became of the record: every count, why it was left out (from the
// connection file, when read here), and, for a refused one, the reason the workers' store
// keeps, with a non-zero exit.
func TestPushSaysWhatBecameOfTheRecord(t *testing.T) {
	const file = `name: cli
a: {system: sellsy, credentials: {client_id: L_ID, client_secret: L_SECRET}}
b: {system: mautic, settings: {base_url: "http://127.0.0.1:1"}, credentials: {username: L_USER, password: L_PASS}}
objects:
  - name: contact
    match: {a: email, b: email}
    filter: {b: {position: Buyer}}
    initial: {from_b: false}
    fields: [{a: email, b: email}, {a: position, b: position}]
`
	tests := []struct {
		name       string
		counts     activities.Counts
		withFile   bool
		file       string // the connection file, when another than file
		quarantine string // the reason in the workers' store ("": none, no store at all)
		wantOut    []string
		wantErr    []string
	}{
		{name: "created", counts: activities.Counts{Read: 1, CreatedA: 1},
			wantOut: []string{"pushed contact 42 from side b (cli/push/contact/b-42): created 1, updated 0, unchanged 0, left out 0, counterpart gone 0, quarantined 0"}},
		{name: "unchanged", counts: activities.Counts{Read: 1, Unchanged: 1},
			wantOut: []string{"created 0, updated 0, unchanged 1, left out 0"}},
		{name: "left out with the file read", counts: activities.Counts{Read: 1, Filtered: 1}, withFile: true,
			wantOut: []string{"left out 1", "left out by the connection's rules (", "what may leave it out:",
				"  - the object's filter on side b lets through only the records with position = Buyer",
				"  - initial.from_b is false: a record that existed before the initial import stays on side b"}},
		{name: "left out with no file here", counts: activities.Counts{Read: 1, Filtered: 1},
			wantOut: []string{"left out by the connection's rules, nothing written for it; the connection file, not read here, says which"}},
		{name: "counterpart gone", counts: activities.Counts{Read: 1, Missing: 1},
			wantOut: []string{"counterpart gone 1", "the record paired with it on side a is no longer there (deleted): nothing was written for it"}},
		{name: "counterpart in a table not synced", counts: activities.Counts{Read: 1, Missing: 1}, withFile: true, file: weavyContactsOnly,
			wantOut: []string{"counterpart gone 1", "the record paired with it on side a is no longer there (deleted), or is a weavy entrant, which a.settings.contact_tables (contacts) no longer syncs: nothing was written for it"}},
		{name: "refused", counts: activities.Counts{Read: 1, Quarantined: 1}, quarantine: "mautic has no email: contacts are matched on it",
			wantOut: []string{"quarantined 1", "quarantined: mautic has no email: contacts are matched on it"},
			wantErr: []string{"push: contact 42 of side b was refused: mautic has no email: contacts are matched on it", "`crmsync quarantine cli --retry`"}},
		{name: "refused with no store here", counts: activities.Counts{Read: 1, Quarantined: 1},
			wantOut: []string{"quarantined 1"},
			wantErr: []string{"push: 1 record(s) refused and quarantined; `crmsync quarantine cli` lists the reasons (the workers' store is not read here"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := activities.PushInput{Connection: "cli", Object: "contact", Side: "b", ID: "42"}
			useFake(t, &fakeTemporal{workflows: map[string]fakeWorkflow{}, results: map[string]any{workflows.PushWorkflowID(in): tt.counts}})
			stderr = &bytes.Buffer{} // the note that the name goes unchecked
			t.Cleanup(func() { stderr = os.Stderr })
			dir := t.TempDir() // (CRMSYNC_CONNECTIONS is a list: no comma in the subtests' names)
			t.Setenv("CRMSYNC_DATA_DIR", dir)
			if tt.withFile {
				path := filepath.Join(dir, "cli.yaml")
				body := file
				if tt.file != "" {
					body = tt.file
				}
				require.NoError(t, os.WriteFile(path, []byte(body), 0o600))
				t.Setenv("CRMSYNC_CONNECTIONS", path)
			}
			if tt.quarantine != "" {
				ctx := context.Background()
				st, err := store.Open(ctx, "sqlite:"+filepath.Join(dir, "crmsync.db"))
				require.NoError(t, err)
				require.NoError(t, st.Quarantine(ctx, store.QuarantineEntry{Connection: "cli", Object: "contact", Side: store.SideB, RecordID: "41", Reason: "another record's reason"}))
				require.NoError(t, st.Quarantine(ctx, store.QuarantineEntry{Connection: "cli", Object: "contact", Side: store.SideB, RecordID: "42", Reason: tt.quarantine}))
				require.NoError(t, st.Close())
			}
			var out bytes.Buffer
			err := run(context.Background(), []string{"push", "cli", "--id", "42"}, &out)
			for _, w := range tt.wantOut {
				assert.Contains(t, out.String(), w)
			}
			if len(tt.wantErr) == 0 {
				require.NoError(t, err)
				return
			}
			require.Error(t, err, "a refused push is a failure")
			for _, w := range tt.wantErr {
				assert.Contains(t, err.Error(), w)
			}
		})
	}
}

// weavyContactsOnly is a weavy connection that syncs weavy contacts and no entrants.
const weavyContactsOnly = `name: cli
a: {system: weavy, settings: {base_url: "http://127.0.0.1:1", project: crm, contact_tables: [contacts]}, credentials: {username: W_USER, password: W_PASS}}
b: {system: mautic, settings: {base_url: "http://127.0.0.1:1"}, credentials: {username: L_USER, password: L_PASS}}
objects:
  - name: contact
    match: {a: email, b: email}
    fields: [{a: email, b: email}, {a: lastName, b: lastname}]
`
