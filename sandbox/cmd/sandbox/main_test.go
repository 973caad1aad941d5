package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Flags are read wherever they are; a stray word is refused instead of leaving the flags
// after it silently unread (the flag package stops at the first argument that is not one).
func TestParseOptions(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{name: "defaults", args: nil},
		{name: "flags", args: []string{"-sellsy-addr", "127.0.0.1:0", "-mautic-contacts", "7"}},
		{name: "a stray word", args: []string{"-sellsy-addr", "127.0.0.1:0", "start", "-mautic-contacts", "7"},
			wantErr: `sandbox: unexpected argument "start": every setting is a flag`},
		{name: "an unknown flag", args: []string{"-nope"}, wantErr: "flag provided but not defined: -nope"},
		{name: "a batch limit of 0", args: []string{"-mautic-batch-max", "0"}, wantErr: "sandbox: -mautic-batch-max 0: at least 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, err := parseOptions(tt.args)
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				return
			}
			require.NoError(t, err)
			if len(tt.args) > 0 {
				assert.Equal(t, "127.0.0.1:0", o.SellsyAddr)
				assert.Equal(t, 7, o.MauticContacts)
			} else {
				assert.Equal(t, "127.0.0.1:18081", o.SellsyAddr)
				assert.Equal(t, 4000, o.MauticContacts)
			}
		})
	}
}
