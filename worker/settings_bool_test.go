package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A yes/no setting (CRMSYNC_TEMPORAL_TLS) of the wrong form is refused naming the variable,
// the value and the values it takes, not with strconv's words.
func TestSettingsRefuseABadYesNo(t *testing.T) {
	for _, v := range []string{"yes", "on", "enabled", ""} {
		clearSettings(t)
		t.Setenv("CRMSYNC_TEMPORAL_TLS", v)
		_, err := loadSettings()
		require.Error(t, err, v)
		assert.Equal(t, `settings: CRMSYNC_TEMPORAL_TLS="`+v+`": not true or false (leave it unset for false)`, err.Error())
	}
	for _, v := range []string{"true", "false", "1", "0"} {
		clearSettings(t)
		t.Setenv("CRMSYNC_TEMPORAL_TLS", v)
		_, err := loadSettings()
		require.NoError(t, err, v)
	}
}
