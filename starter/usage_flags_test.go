package main

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// flagInUsage is a flag named in a usage text: "--header", "[--dry-run]", "  -reason string".
var flagInUsage = regexp.MustCompile(`(?:^|[\s\[|(])--?([a-z][a-z0-9-]*[a-z0-9])\b`)

// `crmsync -h` names every flag each command's own usage (COMMAND -h) names, so that a user
// reading the overview, as the README's command table, learns of each one.
func TestUsageNamesEveryFlagOfEachCommand(t *testing.T) {
	for _, cmd := range [][]string{
		{"validate"}, {"start"}, {"pause"}, {"resume"}, {"resync"}, {"sync-now"}, {"status"},
		{"watch"}, {"quarantine"}, {"push"}, {"sellsy", "call"}, {"sellsy", "webhooks"}, {"call"},
	} {
		t.Run(strings.Join(cmd, " "), func(t *testing.T) {
			var out bytes.Buffer
			require.NoError(t, run(context.Background(), append(cmd, "-h"), &out))
			own := out.String()
			require.NotEmpty(t, own, "%s -h prints its usage", cmd)
			line := usageLine(t, cmd[0])
			seen := map[string]bool{}
			for _, m := range flagInUsage.FindAllStringSubmatch(own, -1) {
				if !seen[m[1]] {
					seen[m[1]] = true
					assert.Contains(t, line, "--"+m[1], "crmsync -h, on %s: its own usage names --%s", cmd[0], m[1])
				}
			}
			if cmd[0] != "sync-now" { // the one command without flags
				assert.NotEmpty(t, seen, "the flags of %s -h are found", cmd)
			}
		})
	}
}

// usageLine is what the overall usage says of a command: its lines, up to the next command.
func usageLine(t *testing.T, cmd string) string {
	t.Helper()
	var lines []string
	for _, l := range strings.Split(usage, "\n") {
		if strings.HasPrefix(l, "  "+cmd+" ") {
			lines = append(lines, l)
			continue
		}
		if len(lines) == 0 {
			continue
		}
		if !strings.HasPrefix(l, "    ") {
			break // another command, or the end of the list
		}
		lines[len(lines)-1] += " " + strings.TrimSpace(l)
	}
	require.NotEmpty(t, lines, "crmsync -h names %s", cmd)
	return strings.Join(lines, "\n")
}
