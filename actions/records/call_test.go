package recordactions

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/actions"
	"github.com/crmsync/crmsync/actions/actiontest"
)

// An any-call that writes and gets no answer saying whether the system applied it fails as
// Unconfirmed, not retried, as Sellsy.Call does: it was Retryable, and Temporal's retry sent
// Automation's POST /api/companies/new again, making a second company (DESIGN rule 2). One
// the system refused (nothing written) keeps its class and its retry, and a call that may be
// sent again (a read) stays Retryable.
func TestCallThatWritesIsNotRetriedAfterALostAnswer(t *testing.T) {
	company := json.RawMessage(`{"companyname":"Once"}`)
	tests := []struct {
		name    string
		in      CallInput
		status  int // the answer to the call (negative: the call is carried out, its answer lost)
		errType string
		created int
		beat    actions.CallSent // the attempt's last heartbeat
	}{
		{"POST, answer lost", CallInput{Method: "POST", Path: "/api/companies/new", Body: company}, -http.StatusBadGateway, actions.ErrTypeUnconfirmed, 1, actions.CallSent{Sent: true}},
		{"POST, a 500", CallInput{Method: "post", Path: "/api/companies/new", Body: company}, http.StatusInternalServerError, actions.ErrTypeUnconfirmed, 0, actions.CallSent{Sent: true}},
		{"POST refused, 503", CallInput{Method: "POST", Path: "/api/companies/new", Body: company}, http.StatusServiceUnavailable, actions.ErrTypeRetryable, 0, actions.CallSent{}},
		{"GET, a 502", CallInput{Method: "GET", Path: "/api/companies"}, http.StatusBadGateway, actions.ErrTypeRetryable, 0, actions.CallSent{}},
		// Automation's PUT …/edit creates the record when the id does not exist (reference:
		// 201), under a new id: sent again, it creates another — by Temporal's retry, or by
		// the connector's own within the attempt (connectors/mautic's send).
		{"PUT to an id that does not exist, answer lost", CallInput{Method: "PUT", Path: "/api/companies/424242/edit", Body: company}, -http.StatusBadGateway, actions.ErrTypeUnconfirmed, 1, actions.CallSent{Sent: true}},
		{"PATCH, a 502", CallInput{Method: "PATCH", Path: "/api/companies/424242/edit", Body: company}, http.StatusBadGateway, actions.ErrTypeRetryable, 0, actions.CallSent{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, named(sellsyMautic, ""))
			beat := actiontest.LastBeat[actions.CallSent](h.env)
			gate := func(r *http.Request) int {
				if strings.HasPrefix(r.URL.Path, "/api/companies") {
					return tc.status
				}
				return 0
			}
			h.gate.Store(&gate)
			before := h.sb.Mautic.Count("company")
			ae := actiontest.AppErr(t, h.run("Automation.Call", tc.in, &CallOutput{}))
			assert.Equal(t, tc.errType, ae.Type(), "%v", ae)
			assert.Equal(t, tc.errType == actions.ErrTypeUnconfirmed, ae.NonRetryable())
			if tc.created >= 0 {
				assert.Equal(t, before+tc.created, h.sb.Mautic.Count("company"))
			}
			assert.Equal(t, tc.beat, beat())
		})
	}
}

// The retry of an attempt that sent a write and never reported (a worker lost, a timeout)
// does not send it again; a read is sent whatever the details — UNAS's get… functions and
// Automation's GETs — while MiniCRM's PUT to a collection creates, and is not.
func TestCallRetriedAfterAnAttemptThatNeverReported(t *testing.T) {
	tests := []struct {
		name, file, activity string
		in                   CallInput
		errType              string // "": it succeeds
	}{
		{"Automation POST", named(sellsyMautic, ""), "Automation.Call", CallInput{Method: "POST", Path: "/api/companies/new", Body: json.RawMessage(`{"companyname":"Once"}`)}, actions.ErrTypeUnconfirmed},
		{"Automation GET", named(sellsyMautic, ""), "Automation.Call", CallInput{Method: "GET", Path: "/api/companies"}, ""},
		{"Automation PUT", named(sellsyMautic, ""), "Automation.Call", CallInput{Method: "PUT", Path: "/api/companies/424242/edit", Body: json.RawMessage(`{"companyname":"Once"}`)}, actions.ErrTypeUnconfirmed},
		{"UNAS read", unasMiniCRM, "UNAS.Call", CallInput{Method: "POST", Path: "/getOrderStatus", Body: json.RawMessage(`"<Params></Params>"`)}, ""},
		{"UNAS write", unasMiniCRM, "UNAS.Call", CallInput{Method: "POST", Path: "/setOrder", Body: json.RawMessage(`"<Orders></Orders>"`)}, actions.ErrTypeUnconfirmed},
		{"MiniCRM create", unasMiniCRM, "MiniCRM.Call", CallInput{Method: "PUT", Path: "/Api/R3/Contact", Body: json.RawMessage(`{"Type":"Business","Name":"Once"}`)}, actions.ErrTypeUnconfirmed},
		{"MiniCRM read", unasMiniCRM, "MiniCRM.Call", CallInput{Method: "GET", Path: "/Api/R3/Category"}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, tc.file)
			before := h.sb.Mautic.Count("company")
			h.env.SetHeartbeatDetails(actions.CallSent{Sent: true})
			err := h.run(tc.activity, tc.in, &CallOutput{})
			if tc.errType == "" {
				require.NoError(t, err)
				return
			}
			ae := actiontest.AppErr(t, err)
			assert.Equal(t, tc.errType, ae.Type())
			assert.True(t, ae.NonRetryable())
			assert.Contains(t, ae.Error(), "an earlier attempt sent it and never reported")
			assert.Equal(t, before, h.sb.Mautic.Count("company"), "nothing sent")
		})
	}
}
