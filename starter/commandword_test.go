package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// A command's word is found wherever its flags put it, skipping the values of the flags that
// take one, and not after "--".
func TestCommandWord(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		valued   []string
		word     string
		wantRest []string
	}{
		{"first", []string{"import", "c", "--wait"}, nil, "import", []string{"c", "--wait"}},
		{"after a flag", []string{"--wait", "import", "c"}, nil, "import", []string{"--wait", "c"}},
		{"after a flag's value", []string{"--connection", "call", "webhooks", "list"}, []string{"connection", "header"}, "webhooks", []string{"--connection", "call", "list"}},
		{"after a flag's value, one dash", []string{"-header", "X: 1", "call", "GET"}, []string{"connection", "header"}, "call", []string{"-header", "X: 1", "GET"}},
		{"a value given with =", []string{"--connection=c", "call"}, []string{"connection"}, "call", []string{"--connection=c"}},
		{"none", []string{"--wait"}, nil, "", []string{"--wait"}},
		{"none before --", []string{"--", "import"}, nil, "", []string{"--", "import"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			word, rest := commandWord(tt.args, tt.valued...)
			assert.Equal(t, tt.word, word)
			assert.Equal(t, tt.wantRest, rest)
		})
	}
}
