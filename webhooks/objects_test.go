package webhooks

import (
	"bytes"
	"log/slog"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/activities"
	"github.com/crmsync/crmsync/config"
	"github.com/crmsync/crmsync/workflows"
)

// receiverWith is a receiver for the shop connection with these object pairs.
func receiverWith(t *testing.T, f *fakeTemporal, objects ...config.Object) string {
	conn := shopConnection(t)
	conn.Objects = objects
	var logs bytes.Buffer
	srv := httptest.NewServer(New(f, "crmsync", []*config.Connection{conn}, slog.New(slog.NewTextHandler(&logs, nil))).Handler())
	t.Cleanup(srv.Close)
	return srv.URL
}

// An Automation contact's deletion and push are about the connection's object pairs whose
// Automation object is contact, whatever the file names them: the receiver named them
// "contact", and a connection calling its pair "person" got deletions and pushes for an
// object it does not have (dropped by the sync, or failing the push).
func TestAutomationContactObjects(t *testing.T) {
	person := config.Object{Name: "person", AObject: "contact", BObject: "contact"}
	lead := config.Object{Name: "lead", AObject: "contact", BObject: "contact"}
	company := config.Object{Name: "company"}
	tests := []struct {
		name    string
		objects []config.Object
		deleted []string // the objects a deletion is signalled for
		path    string   // the push's query
		status  int      // the push's answer
		pushed  string   // the object pushed
		answer  string
	}{
		{name: "one pair, named person", objects: []config.Object{company, person}, deleted: []string{"person"}, path: "?id=42", status: 200, pushed: "person"},
		{name: "one pair, named by the query", objects: []config.Object{company, person}, deleted: []string{"person"}, path: "?id=42&object=person", status: 200, pushed: "person"},
		{name: "two pairs: the query names one", objects: []config.Object{person, company, lead}, deleted: []string{"person", "lead"}, path: "?id=42&object=lead", status: 200, pushed: "lead"},
		{name: "two pairs, none named", objects: []config.Object{person, company, lead}, deleted: []string{"person", "lead"}, path: "?id=42", status: 400,
			answer: "name one with ?object= (person, lead)"},
		{name: "a pair not on contacts", objects: []config.Object{company, person}, deleted: []string{"person"}, path: "?id=42&object=company", status: 400,
			answer: `object "company" is not one of this connection's objects on Automation's contacts: person`},
		{name: "no pair on contacts", objects: []config.Object{company}, path: "?id=42", status: 404, answer: "syncs no Automation contacts"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeTemporal{}
			url := receiverWith(t, f, tt.objects...)
			status, _ := post(t, url+"/webhooks/shop/mautic", "application/json", deleteDelivery, map[string]string{"Webhook-Signature": sign(deleteDelivery, "whsec-123")})
			assert.Equal(t, 200, status)
			var got []string
			for _, d := range f.signals {
				assert.Equal(t, workflows.DeletedRequest{Object: d.Object, Side: "b", IDs: []string{"17", "18"}}, d)
				got = append(got, d.Object)
			}
			assert.Equal(t, tt.deleted, got)

			status, answer := post(t, url+"/push/shop/tok-456"+tt.path, "text/plain", "", nil)
			assert.Equal(t, tt.status, status, answer)
			assert.Contains(t, answer, tt.answer)
			if tt.pushed == "" {
				assert.Empty(t, f.starts)
				return
			}
			require.Len(t, f.starts, 1)
			assert.Equal(t, activities.PushInput{Connection: "shop", Object: tt.pushed, Side: "b", ID: "42"}, f.starts[0])
		})
	}
}
