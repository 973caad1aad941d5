package main

import (
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A name set but empty, or with spaces around it, is refused naming the variable, as the
// worker refuses it: an empty CRMSYNC_NAMESPACE or CRMSYNC_TEMPORAL_ADDRESS would otherwise
// be the SDK's default in silence, and a task queue "crmsync " one that no worker polls.
func TestSettingsRefuseEmptyOrSpacedNames(t *testing.T) {
	tests := []struct {
		key, value, want string
	}{
		{"CRMSYNC_TEMPORAL_ADDRESS", "", `CRMSYNC_TEMPORAL_ADDRESS="": empty (leave it unset for the default)`},
		{"CRMSYNC_NAMESPACE", "", `CRMSYNC_NAMESPACE="": empty (leave it unset for the default)`},
		{"CRMSYNC_NAMESPACE", "  ", `CRMSYNC_NAMESPACE="  ": empty (leave it unset for the default)`},
		{"CRMSYNC_TASK_QUEUE", "crmsync ", `CRMSYNC_TASK_QUEUE="crmsync ": has spaces around it`},
		{"CRMSYNC_CONNECTIONS", "", `CRMSYNC_CONNECTIONS="": empty (leave it unset for the default)`},
		{"CRMSYNC_DATA_DIR", "", `CRMSYNC_DATA_DIR="": empty (leave it unset for the default)`},
		{"CRMSYNC_SELLSY_CONNECTION", " acme", `CRMSYNC_SELLSY_CONNECTION=" acme": has spaces around it`},
	}
	for _, tt := range tests {
		t.Run(tt.key+"="+tt.value, func(t *testing.T) {
			t.Setenv(tt.key, tt.value)
			_, err := loadSettings()
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

// What the worker accepts the command accepts: an empty CRMSYNC_SELLSY_CONNECTION (as
// docker-compose.yml passes it) is its default, and an empty CRMSYNC_DATA_DIR is not used
// when a DSN names the store.
func TestSettingsAcceptWhatTheWorkerAccepts(t *testing.T) {
	for _, key := range []string{"CRMSYNC_TEMPORAL_ADDRESS", "CRMSYNC_NAMESPACE", "CRMSYNC_TASK_QUEUE", "CRMSYNC_CONNECTIONS", "CRMSYNC_DATA_DIR", "CRMSYNC_STORE_DSN"} {
		t.Setenv(key, "")
		require.NoError(t, os.Unsetenv(key))
	}
	t.Setenv("CRMSYNC_SELLSY_CONNECTION", "")
	_, err := loadSettings()
	require.NoError(t, err)

	t.Setenv("CRMSYNC_STORE_DSN", "postgres://db/crmsync")
	t.Setenv("CRMSYNC_DATA_DIR", "")
	_, err = loadSettings()
	require.NoError(t, err)
}

// A yes/no or other value envconfig cannot read is refused naming the variable and the value,
// as the worker words it, not with envconfig's and strconv's words.
func TestSettingsRefuseABadYesNo(t *testing.T) {
	for _, v := range []string{"yes", "on", ""} {
		t.Setenv("CRMSYNC_TEMPORAL_TLS", v)
		_, err := loadSettings()
		require.Error(t, err, v)
		assert.Equal(t, `settings: CRMSYNC_TEMPORAL_TLS="`+v+`": not true or false (leave it unset for false)`, err.Error())
	}
	t.Setenv("CRMSYNC_TEMPORAL_TLS", "false")
	_, err := loadSettings()
	require.NoError(t, err)
}
