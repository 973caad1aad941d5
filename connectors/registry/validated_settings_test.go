package registry

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/config"
)

// A setting written with spaces around it passes validation, and the connector opens with it
// as validated: the file's reader trims it for both.
func TestSettingsOpenAsValidated(t *testing.T) {
	for _, v := range []string{"SELLSY_CLIENT_ID", "SELLSY_CLIENT_SECRET", "MAUTIC_USERNAME", "MAUTIC_PASSWORD"} {
		t.Setenv(v, "x")
	}
	example, err := os.ReadFile("../../config/examples/sellsy-mautic.yaml")
	require.NoError(t, err)
	tests := []struct {
		name, old, new, side string
	}{
		{"a rate with a trailing space", `requests_per_second: "20"`, `requests_per_second: "20 "`, "b"},
		{"a company type with a trailing space", `company_type: prospect`, `company_type: "prospect "`, "a"},
		{"a URL with a leading space", `api_url: http://127.0.0.1:18081/v2`, `api_url: " http://127.0.0.1:18081/v2"`, "a"},
		{"a URL with a trailing tab", `base_url: http://127.0.0.1:18082`, `base_url: "http://127.0.0.1:18082\t"`, "b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Contains(t, string(example), tt.old)
			c, err := config.Parse("c.yaml", []byte(strings.Replace(string(example), tt.old, tt.new, 1)))
			require.NoError(t, err, "validates")
			conn, err := Open(c, tt.side, nil)
			require.NoError(t, err, "opens as validated")
			require.Equal(t, c.Side(tt.side).System, conn.System())
		})
	}
}
