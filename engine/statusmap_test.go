package engine

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestCheckStatusMap(t *testing.T) {
	shop := []string{"New", "Paid", "Shipped"}
	module := []string{"Nouă", "Plătită", "Expediată"}
	errs := CheckStatusMap(map[string]string{"New": "Nouă", "Paid": "Platita", "Lost": "Expediată"}, shop, module)
	var msgs []string
	for _, e := range errs {
		msgs = append(msgs, e.Error())
	}
	assert.Equal(t, []string{
		`status "Shipped" of the shop is not mapped`,
		`status "Lost" is not a status of the shop (statuses: New, Paid, Shipped)`,
		`status "Paid" maps to "Platita", which is not a status of the module (statuses: Nouă, Plătită, Expediată)`,
	}, msgs)
	assert.Empty(t, CheckStatusMap(map[string]string{"New": "Nouă", "Paid": "Plătită", "Shipped": "Expediată"}, shop, module))
}
