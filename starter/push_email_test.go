package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/sandbox"
)

// push --email looks the record up by the object's match key on its side: an e-mail for
// contacts, the name for the example's companies. Finding none says what was looked for where,
// not "no company with this e-mail", which reads as if companies were looked up by e-mail.
func TestPushByEmailSaysWhatItLookedFor(t *testing.T) {
	sb, err := sandbox.Start(sandbox.Options{SellsyClientID: "id", SellsyClientSecret: "s3cr3t-value", SellsyRequestsPerSecond: -1,
		MauticUsername: "u", MauticPassword: "p", MauticContacts: 2})
	require.NoError(t, err)
	t.Cleanup(func() { _ = sb.Close() })
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"push", "sellsy-mautic", "--email", "nobody@example.com"}, `push: mautic has no contact whose email (the match key of object contact on side b) is "nobody@example.com"`},
		{[]string{"push", "sellsy-mautic", "--email", "nobody@example.com", "--object", "company"}, `push: mautic has no company whose companyname (the match key of object company on side b) is "nobody@example.com"`},
		{[]string{"push", "sellsy-mautic", "--email", "nobody@example.com", "--side", "a"}, `push: sellsy has no contact whose email (the match key of object contact on side a) is "nobody@example.com"`},
	} {
		t.Run(strings.Join(tt.args[3:], " "), func(t *testing.T) {
			useFake(t, &fakeTemporal{workflows: map[string]fakeWorkflow{}})
			writeSellsyConnection(t, sb.SellsyURL, sb.MauticURL, "", "")
			err := run(context.Background(), tt.args, &bytes.Buffer{})
			require.Error(t, err)
			assert.EqualError(t, err, tt.want)
		})
	}
}
