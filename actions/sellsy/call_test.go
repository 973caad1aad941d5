package sellsyactions

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/actions/actiontest"
)

// An any-call that writes (a V2 POST other than a search, a V1 method other than get…) and
// gets no answer saying whether Sellsy applied it fails as Unconfirmed, not retried: it used
// to be Retryable, and Temporal's retry sent the POST again, making a second company. One
// Sellsy refused (nothing written) keeps its class, and a call that may be sent again (a read,
// a search, a PUT) stays Retryable.
func TestCallThatWritesIsNotRetriedAfterALostAnswer(t *testing.T) {
	const (
		lose   = iota // Sellsy carries the POST out, the answer is lost (a proxy's 502)
		refuse        // the request is answered failStatus, nothing written
	)
	company := []byte(`{"type":"client","name":"Once"}`)
	tests := []struct {
		name     string
		activity string
		in       any
		how      int
		path     string // the request path the fault hits
		status   int
		errType  string
		created  int      // companies made
		beat     callSent // the attempt's last heartbeat (zero: none, or taken back)
	}{
		{"POST, answer lost", "Sellsy.Call", CallInput{Method: "POST", Path: "/companies", Body: company}, lose, "/v2/companies", 0, ErrTypeUnconfirmed, 1, callSent{Sent: true}},
		{"post in lower case, answer lost", "Sellsy.Call", CallInput{Method: "post", Path: "/companies?x=1", Body: company}, lose, "/v2/companies", 0, ErrTypeUnconfirmed, 1, callSent{Sent: true}},
		{"POST, a 500", "Sellsy.Call", CallInput{Method: "POST", Path: "/companies", Body: company}, refuse, "/v2/companies", http.StatusInternalServerError, ErrTypeUnconfirmed, 0, callSent{Sent: true}},
		{"POST refused, 503", "Sellsy.Call", CallInput{Method: "POST", Path: "/companies", Body: company}, refuse, "/v2/companies", http.StatusServiceUnavailable, ErrTypeRetryable, 0, callSent{}},
		{"POST refused, 429", "Sellsy.Call", CallInput{Method: "POST", Path: "/companies", Body: company}, refuse, "/v2/companies", http.StatusTooManyRequests, ErrTypeRateLimited, 0, callSent{}},
		{"POST refused, 400", "Sellsy.Call", CallInput{Method: "POST", Path: "/companies", Body: []byte(`{"type":"client"}`)}, refuse, "", 0, ErrTypeInvalidRecord, 0, callSent{}},
		{"a search, answer lost", "Sellsy.Call", CallInput{Method: "POST", Path: "/companies/search", Body: []byte(`{"filters":{}}`)}, lose, "/v2/companies/search", 0, ErrTypeRetryable, 0, callSent{}},
		{"GET, a 502", "Sellsy.Call", CallInput{Method: "GET", Path: "/companies/1"}, refuse, "/v2/companies/1", http.StatusBadGateway, ErrTypeRetryable, 0, callSent{}},
		{"PUT, a 502", "Sellsy.Call", CallInput{Method: "PUT", Path: "/companies/1", Body: []byte(`{"name":"X"}`)}, refuse, "/v2/companies/1", http.StatusBadGateway, ErrTypeRetryable, 0, callSent{}},
		{"V1 write, answer lost", "Sellsy.CallV1", CallV1Input{Method: "Client.create", Params: map[string]any{"third": map[string]any{"name": "Once"}}}, lose, "/0/", 0, ErrTypeUnconfirmed, 0, callSent{Sent: true}},
		{"V1 write refused, 429", "Sellsy.CallV1", CallV1Input{Method: "Client.create"}, refuse, "/0/", http.StatusTooManyRequests, ErrTypeRateLimited, 0, callSent{}},
		{"V1 read, answer lost", "Sellsy.CallV1", CallV1Input{Method: "Infos.getInfos"}, lose, "/0/", 0, ErrTypeRetryable, 0, callSent{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, "secret")
			beat := actiontest.LastBeat[callSent](h.env)
			before := stored(h, "companies")
			path := tc.path
			if tc.how == lose {
				h.loseAnswer.Store(&path)
			} else if tc.status != 0 {
				h.failPath.Store(&path)
				h.failStatus.Store(int64(tc.status))
			}
			ae := actiontest.AppErr(t, h.run(tc.activity, tc.in, &CallOutput{}))
			assert.Equal(t, tc.errType, ae.Type(), "%v", ae)
			assert.Equal(t, tc.errType != ErrTypeRetryable && tc.errType != ErrTypeRateLimited, ae.NonRetryable())
			if tc.errType == ErrTypeUnconfirmed {
				assert.Contains(t, ae.Error(), "it may or may not have been, so it is not sent again")
			}
			assert.Equal(t, before+tc.created, stored(h, "companies"))
			assert.Equal(t, tc.beat, beat())
		})
	}
}

// The retry of an attempt that sent a write and never reported (a worker lost, a timeout)
// does not send it again; a read is sent whatever the details.
func TestCallRetriedAfterAnAttemptThatNeverReported(t *testing.T) {
	tests := []struct {
		name     string
		activity string
		in       any
		errType  string // "": it succeeds
		named    string // how the error names the call
	}{
		{"POST", "Sellsy.Call", CallInput{Method: "POST", Path: "/companies", Body: []byte(`{"type":"client","name":"Once"}`)}, ErrTypeUnconfirmed, "sellsy: POST /companies: "},
		{"V1 write", "Sellsy.CallV1", CallV1Input{Method: "Client.create"}, ErrTypeUnconfirmed, "sellsy: V1 Client.create: "},
		{"GET", "Sellsy.Call", CallInput{Method: "GET", Path: "/companies/1"}, "", ""},
		{"V1 read", "Sellsy.CallV1", CallV1Input{Method: "Infos.getInfos"}, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, "secret")
			before := stored(h, "companies")
			h.env.SetHeartbeatDetails(callSent{Sent: true})
			err := h.run(tc.activity, tc.in, &CallOutput{})
			if tc.errType == "" {
				require.NoError(t, err)
				return
			}
			ae := actiontest.AppErr(t, err)
			assert.Equal(t, tc.errType, ae.Type())
			assert.True(t, ae.NonRetryable())
			assert.Contains(t, ae.Error(), "an earlier attempt sent it and never reported")
			assert.True(t, strings.HasPrefix(ae.Message(), tc.named), "%q names the call", ae.Message())
			assert.Equal(t, before, stored(h, "companies"), "nothing sent")
		})
	}
}

// A V1 write Sellsy refused for its rate limit (E_LIMIT_REQUEST_REACHED, in an HTTP 200
// envelope) wrote nothing: it fails as RateLimited with its heartbeat taken back, and
// Temporal's retry sends it. The retry used to fail as Unconfirmed, not retried, since the
// envelope's 200 did not read as a refusal.
func TestV1WriteRefusedForItsRateLimitIsRetried(t *testing.T) {
	h := newHarness(t, "secret")
	beat := actiontest.LastBeat[callSent](h.env)
	code := "E_LIMIT_REQUEST_REACHED"
	h.v1Code.Store(&code)
	h.v1Refusals.Store(3) // the client waits out two in the call; the third fails the attempt
	in := CallV1Input{Method: "Client.create", Params: map[string]any{"third": map[string]any{"name": "Once"}}}
	ae := actiontest.AppErr(t, h.run("Sellsy.CallV1", in, &CallV1Output{}))
	assert.Equal(t, ErrTypeRateLimited, ae.Type(), "%v", ae)
	assert.False(t, ae.NonRetryable())
	assert.Equal(t, callSent{}, beat(), "refused: nothing written, the heartbeat taken back")

	h.env.SetHeartbeatDetails(beat())
	err := h.run("Sellsy.CallV1", in, &CallV1Output{})
	// The retry reaches Sellsy: the simulator knows no Client.create (E_METHOD_DONT_EXIT).
	ae = actiontest.AppErr(t, err)
	assert.Equal(t, ErrTypeInvalidRecord, ae.Type(), "%v", ae)
	assert.Contains(t, ae.Error(), "E_METHOD_DONT_EXIT")
}
