package engine

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/config"
)

// A filter value of the connection file lets through the records holding it as written: a code
// with a leading zero or a date is not read by YAML's rules as the octal 83 or a time.
func TestFilterValuesFromTheFileMatchRecords(t *testing.T) {
	const file = `name: demo
a: {system: sellsy, credentials: {client_id: SELLSY_ID, client_secret: SELLSY_SECRET}}
b: {system: mautic, settings: {base_url: https://m.example}, credentials: {username: M_USER, password: M_PASS}}
objects:
  - name: contact
    filter: {a: {cf.CODE: VALUE}}
    match: {a: email, b: email}
    fields: [{a: email, b: email}]
`
	tests := []struct {
		name, written string
		record        any // the value a record holds, as its connector reads it
		passes        bool
	}{
		{name: "a leading zero", written: "0123", record: "0123", passes: true},
		{name: "not the octal it would be", written: "0123", record: "83"},
		{name: "a date", written: "2026-01-01", record: "2026-01-01", passes: true},
		{name: "a number read as a number", written: "12", record: 12.0, passes: true},
		{name: "a number read as a text", written: "12", record: "12", passes: true},
		{name: "another number", written: "12", record: 13.0},
		{name: "a gate", written: "true", record: true, passes: true},
		{name: "a gate closed", written: "true", record: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := config.Parse("conn.yaml", []byte(strings.Replace(file, "VALUE", tt.written, 1)))
			require.NoError(t, err)
			assert.Equal(t, tt.passes, Equal(tt.record, c.Objects[0].Filter.A["cf.CODE"]))
		})
	}
}
