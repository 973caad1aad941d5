package altior

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// Messages list what Altior has as "code (label)", the label left out when Altior has none,
// and "none" when it has nothing.
func TestListEstablishments(t *testing.T) {
	tests := []struct {
		name string
		es   []Establishment
		want string
	}{
		{"named", []Establishment{{ID: "E1", Name: "Siège Lyon"}, {ID: "E2", Name: "Agence Nantes"}}, "E1 (Siège Lyon), E2 (Agence Nantes)"},
		{"one without a name", []Establishment{{ID: "E1", Name: "Siège Lyon"}, {ID: "E2"}}, "E1 (Siège Lyon), E2"},
		{"none", nil, "none"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, listEstablishments(tt.es))
		})
	}
}
