package main

import (
	"bytes"
	"context"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Mistakes in the arguments are named, with what was meant: push's id given without --id,
// a webhooks word misspelt (named before any connection is opened), a connection name given
// to validate, which now checks that connection's file as fields reads it, and names the
// connections when none has the name.
func TestArgumentMistakesAreNamed(t *testing.T) {
	tests := []struct {
		name        string
		connections string
		args        []string
		wantOut     string
		wantErr     []string
	}{
		{name: "push id without --id", connections: exampleFile, args: []string{"push", "sellsy-mautic", "1"},
			wantErr: []string{"push: one connection name expected, got 2 (sellsy-mautic 1)", "the record's id goes with --id: `crmsync push sellsy-mautic --id 1`"}},
		{name: "webhooks word misspelt", connections: exampleFile, args: []string{"sellsy", "webhooks", "lst"},
			wantErr: []string{`sellsy webhooks: "lst" is not list, add or remove (did you mean list?)`}},
		{name: "webhooks word misspelt, no connection file", connections: "./nowhere", args: []string{"sellsy", "webhooks", "lst"},
			wantErr: []string{`sellsy webhooks: "lst" is not list, add or remove (did you mean list?)`}},
		{name: "webhooks add without an event", connections: exampleFile, args: []string{"sellsy", "webhooks", "add", "https://x/webhooks/c/sellsy/t"},
			wantErr: []string{"sellsy webhooks add: give the URL and at least one event (opportunity.updated, client.created, …)"}},
		{name: "validate a connection name", connections: exampleFile, args: []string{"validate", "sellsy-mautic"},
			wantOut: exampleFile + `: connection "sellsy-mautic" is valid`},
		{name: "validate a name no connection has", connections: exampleFile, args: []string{"validate", "sellsy-mautik"},
			wantErr: []string{`validate: "sellsy-mautik" is no file or folder, and no connection named "sellsy-mautik" in CRMSYNC_CONNECTIONS=` + exampleFile + ` (did you mean sellsy-mautic?)`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("CRMSYNC_CONNECTIONS", tt.connections)
			t.Setenv("CRMSYNC_SELLSY_CONNECTION", "")
			stderr = &bytes.Buffer{}
			t.Cleanup(func() { stderr = os.Stderr })
			var out bytes.Buffer
			err := run(context.Background(), tt.args, &out)
			if tt.wantErr == nil {
				require.NoError(t, err)
				assert.Contains(t, out.String(), tt.wantOut)
				return
			}
			require.Error(t, err)
			for _, want := range tt.wantErr {
				assert.Contains(t, err.Error(), want)
			}
		})
	}
}
