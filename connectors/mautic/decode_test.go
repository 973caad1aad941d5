package mautic

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDecodeBatch(t *testing.T) {
	tests := []struct {
		name  string
		raw   string
		base  string
		ids   []string // "" for a failed item
		codes []int
	}{
		{"aligned array", `{"contacts":[{"id":7,"fields":{"all":{"email":"a@example.com"}}},null,{"id":"9"}],"statusCodes":[201,400,200],"errors":{"1":{"message":"email: bad"}}}`, "contacts", []string{"7", "", "9"}, []int{201, 400, 200}},
		{"object keyed by index", `{"contacts":{"0":{"id":7},"2":{"id":9}},"statusCodes":[201,400,200]}`, "contacts", []string{"7", "", "9"}, []int{201, 400, 200}},
		{"companies", `{"companies":[{"id":3}],"statusCodes":[201]}`, "companies", []string{"3"}, []int{201}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, ents, err := decodeBatch([]byte(tt.raw), tt.base, len(tt.ids))
			require.NoError(t, err)
			assert.Equal(t, tt.codes, a.StatusCodes)
			require.Len(t, ents, len(tt.ids))
			for i, id := range tt.ids {
				if id == "" {
					assert.Nil(t, ents[i])
					continue
				}
				require.NotNil(t, ents[i])
				assert.Equal(t, id, string(ents[i].ID))
			}
		})
	}
	_, _, err := decodeBatch([]byte(`{"contacts":[`), "contacts", 1)
	assert.Error(t, err)
}
