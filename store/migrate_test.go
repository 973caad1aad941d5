package store

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestApplyMigrations(t *testing.T) {
	migrations := [][]string{nil, {"v1a", "v1b"}, {"v2"}, {"v3"}}
	tests := []struct {
		name     string
		current  int
		failOn   string
		ran      []string
		recorded []int
		err      string
	}{
		{name: "a new database", current: 0, ran: []string{"v1a", "v1b", "v2", "v3"}, recorded: []int{1, 2, 3}},
		{name: "from version 1", current: 1, ran: []string{"v2", "v3"}, recorded: []int{2, 3}},
		{name: "up to date", current: 3},
		{name: "a statement fails", current: 1, failOn: "v3", ran: []string{"v2", "v3"}, recorded: []int{2}, err: "version 3: boom"},
		{name: "a newer crmsync wrote it", current: 4, err: "database schema version 4 is newer than this crmsync knows (3)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ran []string
			var recorded []int
			err := applyMigrations(tt.current, migrations,
				func(stmt string) error {
					ran = append(ran, stmt)
					if stmt == tt.failOn {
						return errors.New("boom")
					}
					return nil
				},
				func(v int) error { recorded = append(recorded, v); return nil })
			if tt.err != "" {
				require.EqualError(t, err, tt.err)
			} else {
				require.NoError(t, err)
			}
			assert.Equal(t, tt.ran, ran)
			assert.Equal(t, tt.recorded, recorded)
		})
	}
}
