package config

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/text/unicode/norm"
)

// Whatever a connection file holds, Parse answers a connection or an error that names the
// file; it never panics. `go test -fuzz FuzzParse ./config` explores further than the seeds.
func FuzzParse(f *testing.F) {
	examples, err := filepath.Glob("examples/*.yaml")
	require.NoError(f, err)
	for _, path := range examples {
		data, err := os.ReadFile(path)
		require.NoError(f, err)
		f.Add(data)
	}
	f.Add([]byte("name: x\na: {system: sellsy}\nb: {system: mautic}\nobjects: [{name: contact, fields: [{a: email, b: email, direction: sideways}]}]\n"))
	f.Add([]byte("name: [broken"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse("fuzz.yaml", data)
		if err != nil {
			assert.Contains(t, err.Error(), "fuzz.yaml", "the error names the file")
			return
		}
		assert.NotEmpty(t, c.Name)
		assert.Equal(t, "fuzz.yaml", c.File)
	})
}

// A status map that parses holds exactly what its JSON says; one that does not gets an
// error, never a panic.
func FuzzParseStatusMap(f *testing.F) {
	f.Add(`{"Függőben": "Új", "Teljesítve": "Lezárt"}`)
	f.Add(`{“Függőben”: “Új”}`)
	f.Add(`{"a": "b", "a": "c"}`)
	f.Add(`{"a": 1}`)
	f.Add(`[]`)
	f.Add(`{"a": "b"} x`)
	f.Fuzz(func(t *testing.T, text string) {
		m, err := ParseStatusMap(text)
		if err != nil {
			require.Nil(t, m)
			return
		}
		var plain map[string]string
		require.NoError(t, json.Unmarshal([]byte(typographicQuotes.Replace(strings.TrimSpace(text))), &plain), "a map ParseStatusMap accepts is JSON")
		composed := make(map[string]string, len(plain)) // names are read composed (NFC)
		for k, v := range plain {
			composed[norm.NFC.String(k)] = norm.NFC.String(v)
		}
		assert.Equal(t, composed, m)
	})
}
