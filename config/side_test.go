package config

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSideOn(t *testing.T) {
	conns := []*Connection{
		{Name: "sm", A: System{System: "sellsy"}, B: System{System: "mautic"}},
		{Name: "wm", A: System{System: "weavy"}, B: System{System: "mautic"}},
		{Name: "um", A: System{System: "unas"}, B: System{System: "minicrm"}},
	}
	tests := []struct {
		system, name string
		want         string // connection/side
		wantErr      string
	}{
		{system: "sellsy", want: "sm/a"},
		{system: "minicrm", want: "um/b"},
		{system: "mautic", name: "wm", want: "wm/b"},
		{system: "mautic", wantErr: "2 connections have a mautic side (sm, wm): name one"},
		{system: "altior", wantErr: "no connection has a altior side"},
		{system: "mautic", name: "nope", wantErr: `no connection named "nope"`},
		{system: "mautic", name: "mw", wantErr: `no connection named "mw"`},
		{system: "mautic", name: "wmm", wantErr: `no connection named "wmm" (did you mean wm?)`},
		{system: "mautic", name: "um", wantErr: `connection "um" has no mautic side (its systems: unas, minicrm)`},
	}
	for _, tc := range tests {
		t.Run(tc.system+"/"+tc.name, func(t *testing.T) {
			c, side, err := SideOn(conns, tc.system, tc.name)
			if tc.wantErr != "" {
				require.EqualError(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, c.Name+"/"+side)
		})
	}
}
