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

// liveConnection is a valid connection file named live, read every 15 minutes.
const liveConnection = `name: live
a: {system: sellsy, credentials: {client_id: L_ID, client_secret: L_SECRET}}
b: {system: mautic, settings: {base_url: "http://127.0.0.1:1"}, credentials: {username: L_USER, password: L_PASS}}
schedule: {interval: 15m}
objects:
  - name: contact
    match: {a: email, b: email}
    fields: [{a: email, b: email}]
`

// A connection file changed on disk applies to the running connection: a new interval is
// read by the next DescribeConnection; a broken file is a configuration error naming it.
func TestConnectionFileChangesApply(t *testing.T) {
	file := filepath.Join(t.TempDir(), "live.yaml")
	base := liveConnection
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

// A broken file is read once per change, not at every activity and delivery: its error stands
// until the file's modification time or size changes. Each step writes the file with the text
// at the time; a text of the same size written at an unchanged time is not read, which shows
// that no read took place. One of another size is: a save that truncates the file, then writes
// it, may give both states one coarse modification time, and a read between the two must not
// keep the empty file's error until the next edit.
func TestConnectionsReadABrokenFileOncePerChange(t *testing.T) {
	file := filepath.Join(t.TempDir(), "live.yaml")
	t0 := time.Now().Add(-time.Hour)
	require.NoError(t, os.WriteFile(file, []byte(liveConnection), 0o600))
	require.NoError(t, os.Chtimes(file, t0, t0))
	c, err := config.Load(file)
	require.NoError(t, err)
	conns := NewConnections([]*config.Connection{c})

	broken := strings.Replace(liveConnection, "15m", "soon", 1)
	fixed := strings.Replace(liveConnection, "15m", "30m", 1)
	sameSize := strings.Replace(liveConnection, "15m", "300m", 1)             // as long as broken
	renamed := strings.Replace(liveConnection, "name: live", "name: liv2", 1) // as long as fixed
	tests := []struct {
		name     string
		text     string
		at       time.Duration // after t0
		interval time.Duration
		wantErr  string
	}{
		{"broken", broken, time.Minute, 0, `"soon" is not a duration`},
		{"asked again", "", time.Minute, 0, `"soon" is not a duration`},
		{"fixed at the same time and size: not read", sameSize, time.Minute, 0, `"soon" is not a duration`},
		{"touched", sameSize, 2 * time.Minute, 300 * time.Minute, ""},
		{"emptied (a save truncating the file)", " ", 2*time.Minute + time.Second, 0, "live.yaml"},
		{"written at the same time, another size: read", fixed, 2*time.Minute + time.Second, 30 * time.Minute, ""},
		{"renamed", renamed, 3 * time.Minute, 0, `name changed from "live" to "liv2"`},
		{"named back at the same time: not read", fixed, 3 * time.Minute, 0, `name changed from "live" to "liv2"`},
		{"named back", fixed, 4 * time.Minute, 30 * time.Minute, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.text != "" {
				require.NoError(t, os.WriteFile(file, []byte(tt.text), 0o600))
			}
			require.NoError(t, os.Chtimes(file, t0.Add(tt.at), t0.Add(tt.at)))
			got, err := conns.Config("live")
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				assert.Equal(t, connectors.KindConfig, connectors.KindOf(err))
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.interval, time.Duration(got.Schedule.Interval))
		})
	}
}

// A name no loaded file has is refused with the names loaded, and with why a file added since
// the start is not among them.
func TestConnectionsUnknownNameSaysNewFilesTakeARestart(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name   string
		loaded []string
		want   string
	}{
		{"one loaded", []string{"shop"}, `no connection file of this worker is named "added" (loaded: shop); `},
		{"several loaded", []string{"shop", "crm"}, `(loaded: crm, shop); `},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var loaded []*config.Connection
			for _, n := range tt.loaded {
				loaded = append(loaded, &config.Connection{Name: n, File: filepath.Join(dir, n+".yaml")})
			}
			_, err := NewConnections(loaded).Config("added")
			require.Error(t, err)
			assert.Equal(t, connectors.KindConfig, connectors.KindOf(err))
			assert.Contains(t, err.Error(), tt.want)
			assert.Contains(t, err.Error(), "a connection file added after the worker started takes a restart of the worker, which reads CRMSYNC_CONNECTIONS at start")
		})
	}
}
