package searchattr

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"

	"github.com/crmsync/crmsync/workflows"
)

func TestKeyword(t *testing.T) {
	paused, err := converter.GetDefaultDataConverter().ToPayload(workflows.PhasePaused)
	require.NoError(t, err)
	attrs := &commonpb.SearchAttributes{IndexedFields: map[string]*commonpb.Payload{workflows.AttrPhase.GetName(): paused}}
	tests := []struct {
		name  string
		attrs *commonpb.SearchAttributes
		want  string
	}{
		{"published", attrs, workflows.PhasePaused},
		{"another attribute only", &commonpb.SearchAttributes{IndexedFields: map[string]*commonpb.Payload{"Other": paused}}, ""},
		{"no attributes", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, Keyword(tt.attrs, workflows.AttrPhase))
		})
	}
}
