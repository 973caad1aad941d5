package main

import (
	"bytes"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The example reaches Temporal and crmsync's worker as crmsync's programs do, from the
// CRMSYNC_* variables (not the Temporal CLI's TEMPORAL_ADDRESS), and serves its own queue. The
// follow-up task's label is the account's own (WONDEAL_TASK_LABEL_ID, required): it was label
// 2 whatever the account.
func TestSettings(t *testing.T) {
	label := map[string]string{"WONDEAL_TASK_LABEL_ID": "7"}
	defaults := Settings{TemporalAddress: "localhost:7233", Namespace: "default", ActivityQueue: "crmsync", TaskQueue: "examples", TaskLabelID: 7}
	tests := []struct {
		name    string
		env     map[string]string
		want    Settings
		wantErr string
	}{
		{"defaults", label, defaults, ""},
		{"unprefixed variables are ignored", map[string]string{"TEMPORAL_ADDRESS": "stray:7233", "NAMESPACE": "stray", "TASK_QUEUE": "stray", "WONDEAL_TASK_LABEL_ID": "7"}, defaults, ""},
		{"crmsync's variables and the example's queue", map[string]string{"CRMSYNC_TEMPORAL_ADDRESS": "temporal:7233", "CRMSYNC_NAMESPACE": "prod",
			"CRMSYNC_TASK_QUEUE": "crmsync-prod", "WONDEAL_TASK_QUEUE": "sales", "WONDEAL_TASK_LABEL_ID": "3"},
			Settings{TemporalAddress: "temporal:7233", Namespace: "prod", ActivityQueue: "crmsync-prod", TaskQueue: "sales", TaskLabelID: 3}, ""},
		{"no task label", nil, Settings{}, "WONDEAL_TASK_LABEL_ID"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, f := range reflect.VisibleFields(reflect.TypeFor[Settings]()) {
				if f.Anonymous {
					continue // temporalconn.Settings: its fields are visited as promoted fields
				}
				name := f.Tag.Get("envconfig")
				for _, v := range []string{name, strings.TrimPrefix(name, "CRMSYNC_"), "TEMPORAL_ADDRESS"} {
					t.Setenv(v, "")
					require.NoError(t, os.Unsetenv(v))
				}
			}
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			s, err := loadSettings()
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, s)
		})
	}

	var out bytes.Buffer
	require.NoError(t, usage(&out))
	for _, v := range []string{"CRMSYNC_TEMPORAL_ADDRESS", "CRMSYNC_NAMESPACE", "CRMSYNC_TASK_QUEUE", "WONDEAL_TASK_QUEUE", "WONDEAL_TASK_LABEL_ID", "start: {workflow: OnOpportunityWon"} {
		assert.Contains(t, out.String(), v)
	}
}
