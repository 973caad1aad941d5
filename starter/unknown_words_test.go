package main

import (
	"bytes"
	"context"
	"regexp"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A word the command does not know is named in the refusal, with the one probably meant,
// rather than answered with a usage that does not say what was wrong.
func TestUnknownWordsAreNamed(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"start", "imprt", "conn"}, `start: "imprt" is not import, sync or pipelines (did you mean import?): crmsync start import|sync|pipelines CONNECTION`},
		{[]string{"start", "everything", "conn"}, `start: "everything" is not import, sync or pipelines: crmsync start import|sync|pipelines CONNECTION`},
		{[]string{"sellsy", "webhook", "list"}, `sellsy: "webhook" is not call or webhooks (did you mean webhooks?)`},
		{[]string{"sellsy", "--connection", "c", "get", "/staffs"}, `sellsy: "get" is not call or webhooks`},
		{[]string{"call", "hubspot", "GET", "/x"}, `call: unknown system "hubspot" (one of altior, automation, minicrm, unas, weavy)`},
		{[]string{"statuss"}, `unknown command "statuss" (did you mean status?)`},
	}
	for _, tt := range tests {
		t.Run(tt.args[0]+" "+tt.args[1%len(tt.args)], func(t *testing.T) {
			err := run(context.Background(), tt.args, &bytes.Buffer{})
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
	// Said with nothing at all, start still asks for the word.
	err := run(context.Background(), []string{"start"}, &bytes.Buffer{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "start: say what to start: `crmsync start import|sync|pipelines CONNECTION`")
}

// `crmsync help COMMAND` prints that command's usage, as `crmsync COMMAND -h` does.
func TestHelpNamesACommand(t *testing.T) {
	for _, cmd := range []string{"start", "validate", "status", "sellsy", "call", "pause"} {
		var help, dashH bytes.Buffer
		require.NoError(t, run(context.Background(), []string{"help", cmd}, &help), cmd)
		require.NoError(t, run(context.Background(), []string{cmd, "-h"}, &dashH), cmd)
		assert.Equal(t, dashH.String(), help.String(), cmd)
		assert.Contains(t, help.String(), "usage: crmsync "+cmd, cmd)
	}
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), []string{"help"}, &out))
	assert.Contains(t, out.String(), "usage: crmsync COMMAND [ARGS]")
	err := run(context.Background(), []string{"help", "nope"}, &out)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `help: unknown command "nope"`)
}

// commands, which help and a misspelt command are checked against, are the commands the usage
// lists, each of which answers -h: a command added to one and not the other would be refused
// by help, or never suggested.
func TestCommandsAreTheUsagesCommands(t *testing.T) {
	var listed []string
	for _, m := range regexp.MustCompile(`(?m)^  ([a-z-]+) `).FindAllStringSubmatch(usage, -1) {
		if !slices.Contains(listed, m[1]) {
			listed = append(listed, m[1])
		}
	}
	assert.ElementsMatch(t, listed, commands)
	for _, cmd := range commands {
		err := run(context.Background(), []string{cmd, "-h"}, &bytes.Buffer{})
		assert.NoError(t, err, cmd)
	}
}
