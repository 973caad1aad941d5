package recordactions

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/actions"
	"github.com/crmsync/crmsync/actions/actiontest"
	"github.com/crmsync/crmsync/activities"
	"github.com/crmsync/crmsync/config"
)

// A record activity whose connection's file, saved since the worker started, cannot give it
// a connector — the file does not validate, or names a credential variable that is unset or
// empty — fails as a ConfigurationError, not retried, naming the file and the reason.
func TestRecordActivityOfASavedFileItCannotOpenIsAConfigurationError(t *testing.T) {
	tests := []struct {
		name  string
		saved string
		want  []string
	}{
		{"the file does not validate", shopFile + "schedule: {max_deletes: lots}\n", []string{"shop.yaml", "max_deletes"}},
		{"a credential's variable is unset", strings.Replace(shopFile, "password: RV_PASS", "password: RV_UNSET", 1),
			[]string{"shop.yaml", "RV_UNSET", "credentials.password"}},
		{"a credential's variable is empty", strings.Replace(shopFile, "password: RV_PASS", "password: RV_EMPTY", 1),
			[]string{"shop.yaml", "RV_EMPTY", "credentials.password"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for k, v := range map[string]string{"RV_ID": "id-123", "RV_SECRET": "secret-456", "RV_USER": "user-1",
				"RV_PASS": "pass-234", "RV_TOKEN": "webhook-token-789", "RV_EMPTY": ""} {
				t.Setenv(k, v)
			}
			file := filepath.Join(t.TempDir(), "shop.yaml")
			require.NoError(t, os.WriteFile(file, []byte(shopFile), 0o600))
			c, err := config.Load(file)
			require.NoError(t, err)
			a := &Actions{System: "mautic", Conns: activities.NewConnections([]*config.Connection{c})}
			require.NoError(t, os.WriteFile(file, []byte(tc.saved), 0o600))
			later := time.Now().Add(time.Minute)
			require.NoError(t, os.Chtimes(file, later, later))

			_, err = a.Get(context.Background(), GetInput{Target: Target{Object: "contact"}, IDs: []string{"1"}})
			ae := actiontest.AppErr(t, err)
			assert.Equal(t, actions.ErrTypeConfiguration, ae.Type(), err.Error())
			assert.True(t, ae.NonRetryable())
			for _, w := range tc.want {
				assert.Contains(t, err.Error(), w)
			}
			assert.NotContains(t, err.Error(), "pass-234")
		})
	}
}
