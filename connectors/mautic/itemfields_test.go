package mautic

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/connectors"
)

// A batch item the form refuses comes back as returnError builds it in batch mode: message
// "alias: reason, alias: reason" (FormErrorMessagesTrait::getFormErrorMessage) and details by
// field. Each refused field is named with its own reason, on the record it belongs to.
func TestBatchItemErrorNamesEveryRefusedField(t *testing.T) {
	const answer = `{"contacts":{"0":{"id":7},"2":{"id":9}},"statusCodes":[200,400,200],"errors":{"1":{
		"code":400,"message":"email: This value is not a valid email address., cf_select: The value you selected is not a valid choice.",
		"details":{"email":["This value is not a valid email address."],"cf_select":["The value you selected is not a valid choice."]},"type":null}}}`
	tests := []struct {
		name   string
		answer string
		fields map[string]string
	}{
		{name: "details name every field", answer: answer, fields: map[string]string{
			"email": "This value is not a valid email address.", "cf_select": "The value you selected is not a valid choice."}},
		{name: "no details: the message names the field", answer: strings.Replace(answer, `"details":{"email":["This value is not a valid email address."],"cf_select":["The value you selected is not a valid choice."]},`, "", 1),
			fields: map[string]string{"email": "This value is not a valid email address., cf_select: The value you selected is not a valid choice."}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				switch {
				case strings.HasSuffix(r.URL.Path, "/fields/company"):
					_, _ = w.Write([]byte(`{"total":1,"fields":[{"alias":"companyname","type":"text"}]}`))
				case r.URL.Path == "/api/companies/batch/edit":
					_, _ = w.Write([]byte(tt.answer))
				default:
					http.NotFound(w, r)
				}
			}))
			t.Cleanup(srv.Close)
			c, err := New(Config{BaseURL: srv.URL, Username: user, Password: pass, RequestsPerSecond: 1000})
			require.NoError(t, err)
			res, err := c.Update(context.Background(), connectors.ObjectCompany, []connectors.Record{
				{ID: "7", Fields: map[string]any{"companyname": "A"}},
				{ID: "8", Fields: map[string]any{"companyname": "B"}},
				{ID: "9", Fields: map[string]any{"companyname": "C"}},
			})
			require.NoError(t, err)
			require.Len(t, res, 3)
			assert.NoError(t, res[0].Err)
			assert.NoError(t, res[2].Err)
			e := kindOf(t, res[1].Err)
			assert.Equal(t, connectors.KindInvalid, e.Kind)
			assert.Equal(t, tt.fields, e.Fields)
		})
	}
}
