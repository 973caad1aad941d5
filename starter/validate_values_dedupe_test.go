package main

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/crmsync/crmsync/config"
	"github.com/crmsync/crmsync/connectors"
)

// Altior describes a value whose abbreviation differs from its code and label twice (the code
// with its label, the code with its abbreviation): a value without counterpart is named once.
func TestCheckValuesNamesAValueOnce(t *testing.T) {
	civilities := connectors.Field{Name: "civility", Label: "Civilité", Type: "select", Options: []connectors.Option{
		{Value: "M", Label: "Monsieur"}, {Value: "MME", Label: "Madame"}, {Value: "M", Label: "M."}, {Value: "MME", Label: "Mme"}}}
	civility := connectors.Field{Name: "civility", Label: "Civility", Type: "select", Options: []connectors.Option{{Value: "mr", Label: "Mr"}, {Value: "mrs", Label: "Mrs"}, {Value: "ms", Label: "Ms"}}}
	tests := []struct {
		name   string
		values map[string]string
		dir    config.Direction
		want   []string
	}{
		{name: "one value left out", values: map[string]string{"MME": "mrs"}, dir: config.AToB, want: []string{
			`value "M" of altior field civility (value list "Civilité") has no counterpart in sellsy field civility (value list "Civility"): map it under values: (values of civility: mr, mrs, ms)`,
		}},
		{name: "both values left out", values: map[string]string{}, dir: config.AToB, want: []string{
			`values "M", "MME" of altior field civility (value list "Civilité") have no counterpart in sellsy field civility (value list "Civility"): map them under values: (values of civility: mr, mrs, ms)`,
		}},
		{name: "both mapped", values: map[string]string{"M": "mr", "MME": "mrs"}, dir: config.AToB},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := config.Field{Values: tt.values}
			assert.Equal(t, tt.want, checkValues("altior", civilities, "sellsy", civility, tt.values, f.Reversed(), tt.dir))
		})
	}
	t.Run("a side-B value left out on the way back", func(t *testing.T) {
		values := map[string]string{"mr": "M", "mrs": "M", "ms": "M"}
		f := config.Field{Values: values, ValuesBack: map[string]string{"M": "mr"}}
		assert.Equal(t, []string{
			`value "MME" of altior field civility (value list "Civilité") has no counterpart in sellsy field civility (value list "Civility"): map it under values:, or set direction: a_to_b (values of civility: mr, mrs, ms)`,
		}, checkValues("sellsy", civility, "altior", civilities, values, f.Reversed(), config.Both))
	})
}
