package main

import (
	"reflect"
	"testing"

	"github.com/stretchr/testify/assert"
)

// The usage names every variable the command reads: the TLS and API key settings included,
// without which a user of Temporal Cloud cannot reach it.
func TestUsageNamesEverySetting(t *testing.T) {
	for _, f := range reflect.VisibleFields(reflect.TypeFor[settings]()) {
		if name := f.Tag.Get("envconfig"); name != "" {
			assert.Contains(t, usage, name, "settings.%s", f.Name)
		}
	}
}
