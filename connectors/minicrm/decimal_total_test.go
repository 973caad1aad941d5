package minicrm

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/connectors"
)

// An order total with decimals (RON, EUR) is kept whole in a Float field, and refused by an
// Int field with the field named, not rounded.
func TestDecimalTotal(t *testing.T) {
	_, cl, _ := setup(t, 0)
	ctx := context.Background()
	tests := []struct {
		name    string
		field   string
		total   any
		want    float64
		wantErr string
	}{
		{name: "float field keeps the bani", field: "Float1210", total: 149.9, want: 149.9},
		{name: "float field takes a whole total", field: "Float1210", total: 12700.0, want: 12700},
		{name: "int field refuses decimals", field: "Int1205", total: 149.9, wantErr: "Int1205"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := cl.Create(ctx, "card:Orders", []connectors.Record{{Fields: map[string]any{"Name": "UNAS " + tt.name, tt.field: tt.total}}})
			require.NoError(t, err)
			require.Len(t, res, 1)
			if tt.wantErr != "" {
				require.Error(t, res[0].Err)
				assert.Contains(t, res[0].Err.Error(), tt.wantErr)
				return
			}
			require.NoError(t, res[0].Err)
			got, err := cl.Get(ctx, "card:Orders", []string{res[0].ID})
			require.NoError(t, err)
			require.Len(t, got, 1)
			assert.Equal(t, tt.want, got[0].Fields[tt.field])
		})
	}
}
