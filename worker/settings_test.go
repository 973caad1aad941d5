package main

import (
	"os"
	"reflect"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Every setting the worker reads is documented in the README's table of settings.
func TestREADMEDocumentsEverySetting(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	require.NoError(t, err)
	settings := reflect.TypeFor[Settings]()
	require.Positive(t, settings.NumField())
	for i := range settings.NumField() {
		name := "CRMSYNC_" + settings.Field(i).Tag.Get("envconfig")
		assert.Contains(t, string(readme), "| `"+name+"` |", "%s (Settings.%s)", name, settings.Field(i).Name)
	}
}
