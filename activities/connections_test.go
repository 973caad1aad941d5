package activities

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/config"
	"github.com/crmsync/crmsync/connectors"
)

// A connection file changed on disk applies to the running connection: a new interval is
// read by the next DescribeConnection; a broken file is a configuration error naming it.
func TestConnectionFileChangesApply(t *testing.T) {
	file := filepath.Join(t.TempDir(), "live.yaml")
	base := `name: live
a: {system: sellsy, credentials: {client_id: L_ID, client_secret: L_SECRET}}
b: {system: mautic, settings: {base_url: "http://127.0.0.1:1"}, credentials: {username: L_USER, password: L_PASS}}
schedule: {interval: 15m}
objects:
  - name: contact
    match: {a: email, b: email}
    fields: [{a: email, b: email}]
`
	write := func(text string, at time.Time) {
		require.NoError(t, os.WriteFile(file, []byte(text), 0o600))
		require.NoError(t, os.Chtimes(file, at, at))
	}
	t0 := time.Now().Add(-time.Hour)
	write(base, t0)
	c, err := config.Load(file)
	require.NoError(t, err)
	acts := &Activities{Conns: NewConnections([]*config.Connection{c})}

	tests := []struct {
		name     string
		text     string
		interval time.Duration
		wantErr  string
	}{
		{name: "as loaded", interval: 15 * time.Minute},
		{name: "interval changed", text: strings.Replace(base, "15m", "5m", 1), interval: 5 * time.Minute},
		{name: "broken file", text: strings.Replace(base, "15m", "soon", 1), wantErr: `live.yaml: line 4: schedule.interval: "soon" is not a duration`},
		{name: "renamed", text: strings.Replace(base, "name: live", "name: other", 1), wantErr: `name changed from "live" to "other"`},
		{name: "fixed", text: strings.Replace(base, "15m", "30m", 1), interval: 30 * time.Minute},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.text != "" {
				write(tt.text, t0.Add(time.Duration(i)*time.Minute))
			}
			info, err := acts.DescribeConnection(context.Background(), "live")
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.interval, info.Interval)
		})
	}
	_, err = acts.Conns.Config("nope")
	assert.Equal(t, connectors.KindConfig, connectors.KindOf(err))
}
