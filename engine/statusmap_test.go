package engine

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/config"
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
		`status "Paid" maps to "Platita", which is not a status of the module (statuses: Nouă, Plătită, Expediată) (did you mean "Plătită"?)`,
	}, msgs)
	assert.Empty(t, CheckStatusMap(map[string]string{"New": "Nouă", "Paid": "Plătită", "Shipped": "Expediată"}, shop, module))
}

// A status map pasted with decomposed accents ("e" followed by U+0301) is the map of the
// shop's statuses: ParseStatusMap composes its names (NFC), as the UNAS connector does the
// shop's.
func TestCheckStatusMapDecomposedAccents(t *testing.T) {
	m, err := config.ParseStatusMap("{”Bee\u0301rkezett”: ”Lezárt”}")
	require.NoError(t, err)
	assert.Empty(t, CheckStatusMap(m, []string{"Beérkezett"}, []string{"Lezárt"}))
}

// A name of the map that differs from a system's only in what cannot be seen is one mistake
// that says so, not two that read exactly like the right names. The comparison stays exact: a
// system name written with decomposed accents would not match the composed map at run time.
func TestCheckStatusMapInvisibleDifference(t *testing.T) {
	errs := CheckStatusMap(map[string]string{"New\u200b": "Lezárt", "Paid": "Új"}, []string{"New", "Paid"}, []string{"Leza\u0301rt", "Új"})
	var msgs []string
	for _, e := range errs {
		msgs = append(msgs, e.Error())
	}
	require.Len(t, msgs, 2, "%q", msgs)
	assert.Contains(t, msgs[0], `status "New" of the shop is not mapped: the map's "New\u200b" differs from it only in what cannot be seen`)
	assert.Contains(t, msgs[0], "U+200B")
	assert.Contains(t, msgs[1], `status "New\u200b" maps to "Lezárt", which is not a status of the module`)
	assert.Contains(t, msgs[1], "decomposed accents")
}

// A name typed without its accents (a keyboard without Romanian or Hungarian letters), in
// another case, or misspelt, is named with the status it was meant for.
func TestCheckStatusMapSuggestsTheStatusMeant(t *testing.T) {
	shop := []string{"Beérkezett", "Teljesítve"}
	module := []string{"New", "Closed", "Expediată"}
	tests := []struct {
		name string
		m    map[string]string
		want string
	}{
		{"shop status without accents", map[string]string{"Beerkezett": "New", "Teljesítve": "Closed"},
			`status "Beerkezett" is not a status of the shop (statuses: Beérkezett, Teljesítve) (did you mean "Beérkezett"?)`},
		{"module status in another case", map[string]string{"Beérkezett": "New", "Teljesítve": "closed"},
			`status "Teljesítve" maps to "closed", which is not a status of the module (statuses: New, Closed, Expediată) (did you mean "Closed"?)`},
		{"module status without accents and in capitals", map[string]string{"Beérkezett": "EXPEDIATA", "Teljesítve": "Closed"},
			`(did you mean "Expediată"?)`},
		{"misspelt", map[string]string{"Beérkezett": "New", "Teljesítve": "Clsoed"},
			`(did you mean "Closed"?)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var msgs []string
			for _, e := range CheckStatusMap(tt.m, shop, module) {
				msgs = append(msgs, e.Error())
			}
			found := false
			for _, m := range msgs {
				found = found || strings.Contains(m, tt.want)
			}
			assert.True(t, found, "%q in %q", tt.want, msgs)
		})
	}
}
