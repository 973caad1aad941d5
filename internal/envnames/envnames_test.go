package envnames

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestCheck(t *testing.T) {
	tests := []struct {
		name  string
		names []Name
		want  []string
	}{
		{"set and trimmed", []Name{{"CRMSYNC_NAMESPACE", "prod", true}}, nil},
		{"empty and needed", []Name{{"CRMSYNC_NAMESPACE", "", true}},
			[]string{`CRMSYNC_NAMESPACE="": empty (leave it unset for the default)`}},
		{"blank and needed", []Name{{"CRMSYNC_NAMESPACE", " ", true}},
			[]string{`CRMSYNC_NAMESPACE=" ": empty (leave it unset for the default)`}},
		{"empty, default empty", []Name{{"CRMSYNC_SELLSY_CONNECTION", "", false}}, nil},
		{"spaces around", []Name{{"CRMSYNC_TASK_QUEUE", "crmsync ", false}},
			[]string{`CRMSYNC_TASK_QUEUE="crmsync ": has spaces around it`}},
		{"every problem, in order", []Name{{"CRMSYNC_TASK_QUEUE", "\tq", true}, {"CRMSYNC_DATA_DIR", "", true}},
			[]string{`CRMSYNC_TASK_QUEUE="\tq": has spaces around it`, `CRMSYNC_DATA_DIR="": empty (leave it unset for the default)`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, Check(tt.names))
		})
	}
}
