package mautic

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/connectors"
)

// A full page whose entries hold no id past the last one read is an error to retry, for a
// listing and a lookup alike: asking for the next page would get the same one, forever.
func TestFullPageWithNoIdIsRetryable(t *testing.T) {
	page := func(n int) string { // an array of n null entries: none has an id
		return `{"total":"999","contacts":[` + strings.TrimSuffix(strings.Repeat("null,", n), ",") + `]}`
	}
	tests := []struct {
		name string
		read func(c *Client) error
		size int
	}{
		{name: "List", size: 2, read: func(c *Client) error {
			_, err := c.List(context.Background(), connectors.ObjectContact, connectors.ListQuery{Limit: 2})
			return err
		}},
		{name: "FindByKey", size: PageLimit, read: func(c *Client) error {
			_, err := c.FindByKey(context.Background(), connectors.ObjectContact, "email", []string{"a@x.io"})
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _ := fakeAutomation(t, emailField, page(tt.size))
			err := tt.read(c)
			require.Error(t, err)
			e := kindOf(t, err)
			assert.Equal(t, connectors.KindRetryable, e.Kind)
			assert.Contains(t, e.Message, "a full page of contacts with no id after 0")
		})
	}
}
