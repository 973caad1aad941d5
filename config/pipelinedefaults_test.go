package config

import (
	"os"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A pipeline's fields and targets default to what its pair has: Sellsy's pipeline and step
// into Altior's PIPE and ETAP fields, and UNAS's one status list into nothing but the status
// map (the guide's UNAS Status field is optional, and MiniCRM has no cf.PIPE or cf.ETAP).
func TestPipelineDefaultsFollowTheSystems(t *testing.T) {
	unset := regexp.MustCompile(`(?m)^\s+(pipeline_field|stage_field|pipeline_target|stage_target):.*\n`)
	tests := []struct {
		file string
		want [4]string // pipeline_field, stage_field, pipeline_target, stage_target
	}{
		{"examples/sellsy-altior.yaml", [4]string{"pipeline_id", "step_id", "cf.PIPE", "cf.ETAP"}},
		{"examples/unas-minicrm.yaml", [4]string{"pipeline", "status", NoTarget, NoTarget}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			data, err := os.ReadFile(tt.file)
			require.NoError(t, err)
			c, err := Parse(tt.file, unset.ReplaceAll(data, nil))
			require.NoError(t, err)
			require.NotEmpty(t, c.Pipelines)
			for _, p := range c.Pipelines {
				assert.Equal(t, tt.want, [4]string{p.PipelineField, p.StageField, p.PipelineTarget, p.StageTarget}, p.Pipeline)
			}
		})
	}
}

// The fields read follow side A's system, the targets written side B's.
func TestPipelineDefaultsBySide(t *testing.T) {
	tests := []struct {
		a, b string
		want [4]string
	}{
		{"sellsy", "altior", [4]string{"pipeline_id", "step_id", "cf.PIPE", "cf.ETAP"}},
		{"unas", "minicrm", [4]string{"pipeline", "status", NoTarget, NoTarget}},
		{"sellsy", "minicrm", [4]string{"pipeline_id", "step_id", NoTarget, NoTarget}},
		{"unas", "altior", [4]string{"pipeline", "status", "cf.PIPE", "cf.ETAP"}},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, pipelineDefaults(tt.a, tt.b), "%s → %s", tt.a, tt.b)
	}
}
