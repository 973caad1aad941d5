package mautic

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// A delivery announcing a contact or a company saved, its company or consent changed, asks
// for a sync now; deletions (handled apart), other events, empty lists and bodies that are no
// JSON object do not.
func TestAnnouncedChange(t *testing.T) {
	tests := []struct {
		name, body, want string
	}{
		{name: "a contact saved", body: `{"mautic.lead_post_save_update":[{"contact":{"id":1}}]}`, want: EventContactUpdate},
		{name: "a contact identified", body: `{"mautic.lead_post_save_new":[{"contact":{"id":1}}]}`, want: "mautic.lead_post_save_new"},
		{name: "its company changed", body: `{"mautic.lead_company_change":[{"contact":{"id":1},"company":{"id":2}}]}`, want: "mautic.lead_company_change"},
		{name: "its consent changed", body: `{"mautic.lead_channel_subscription_changed":[{"contact":{"id":1}}]}`, want: "mautic.lead_channel_subscription_changed"},
		{name: "a company saved", body: `{"mautic.company_post_save":[{"company":{"id":2}}]}`, want: "mautic.company_post_save"},
		{name: "beside a deletion", body: `{"mautic.lead_post_delete":[{"id":3}],"mautic.lead_post_save_update":[{"contact":{"id":1}}]}`, want: EventContactUpdate},
		{name: "a deletion only", body: `{"mautic.lead_post_delete":[{"id":3}]}`},
		{name: "another event", body: `{"mautic.email_on_open":[{"id":1}]}`},
		{name: "an empty list", body: `{"mautic.lead_post_save_update":[]}`},
		{name: "null", body: `{"mautic.lead_post_save_update":null}`},
		{name: "no JSON object", body: `[1,2]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, AnnouncedChange([]byte(tt.body)))
		})
	}
}
