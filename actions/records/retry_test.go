package recordactions

import (
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/actions"
	"github.com/crmsync/crmsync/actions/actiontest"
)

// A Create that fails part way — a later chunk's batch call refused, or a follow-up call
// (a do-not-contact entry) after the records were created — is retried by Temporal. The
// retry, given the results the failed attempt heartbeated (as the server hands them to the
// next attempt), creates only the records not created yet and completes the follow-ups.
func TestCreateRetriedAfterAPartialBatchCreatesOnce(t *testing.T) {
	defer func(n int) { createChunk = n }(createChunk)
	createChunk = 2
	companies := func(names ...string) []Record {
		var out []Record
		for _, n := range names {
			out = append(out, Record{Fields: map[string]any{"companyname": n}})
		}
		return out
	}
	contacts := []Record{
		{Fields: map[string]any{"email": "ines@example.com", "firstname": "Ines", "dnc.email": true}},
		{Fields: map[string]any{"email": "oscar@example.com", "firstname": "Oscar", "dnc.email": true}},
	}
	tests := []struct {
		name    string
		object  string
		records []Record
		// refuse returns the status answering the nth (1-based) request of the first
		// attempt to this route, 0 to pass it on.
		route       string
		refuse      func(n int64) int
		errType     string
		firstWrites int // records the first attempt created
		check       func(t *testing.T, h *harness, out WriteOutput)
	}{
		{"companies, third chunk 503", "company", companies("A", "B", "C", "D", "E", "F"),
			"/batch/new", func(n int64) int { return map[bool]int{true: http.StatusServiceUnavailable}[n >= 3] },
			actions.ErrTypeRetryable, 4, nil},
		{"companies, second chunk 429", "company", companies("A", "B", "C"),
			"/batch/new", func(n int64) int { return map[bool]int{true: http.StatusTooManyRequests}[n >= 2] },
			actions.ErrTypeRateLimited, 2, nil},
		{"contacts, do-not-contact entry 503", "contact", contacts,
			"/dnc/email/add", func(int64) int { return http.StatusServiceUnavailable },
			actions.ErrTypeRetryable, 2,
			func(t *testing.T, h *harness, out WriteOutput) {
				var got RecordsOutput
				require.NoError(t, h.run("Automation.Get", GetInput{Target: Target{Object: "contact"}, IDs: []string{out.Results[0].ID, out.Results[1].ID}}, &got))
				require.Len(t, got.Records, 2)
				for _, r := range got.Records {
					assert.Equal(t, true, r.Fields["dnc.email"], "the retry added the do-not-contact entry of %s", r.Fields["email"])
				}
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, named(sellsyMautic, ""))
			beat := actiontest.LastBeat[*createProgress](h.env)
			var seen, creates atomic.Int64
			gate := func(r *http.Request) int {
				if strings.HasSuffix(r.URL.Path, "/batch/new") {
					creates.Add(1)
				}
				if strings.HasSuffix(r.URL.Path, tc.route) {
					return tc.refuse(seen.Add(1))
				}
				return 0
			}
			h.gate.Store(&gate)
			before := h.sb.Mautic.Count(tc.object)
			in := WriteInput{Target: Target{Object: tc.object}, Records: tc.records}

			var out WriteOutput
			ae := actiontest.AppErr(t, h.run("Automation.Create", in, &out))
			assert.Equal(t, tc.errType, ae.Type())
			assert.False(t, ae.NonRetryable())
			require.Equal(t, before+tc.firstWrites, h.sb.Mautic.Count(tc.object), "the first attempt's creates")
			require.NotNil(t, beat(), "the results so far were heartbeated")
			require.Len(t, beat().Results, len(tc.records))
			var ids []string
			for _, r := range beat().Results {
				if r.ID != "" {
					ids = append(ids, r.ID)
				}
			}
			require.Len(t, ids, tc.firstWrites)

			pass := func(*http.Request) int { return 0 }
			h.gate.Store(&pass)
			firstCreates := creates.Load()
			h.env.SetHeartbeatDetails(*beat())
			require.NoError(t, h.run("Automation.Create", in, &out))
			assert.Equal(t, before+len(tc.records), h.sb.Mautic.Count(tc.object), "each record created once")
			assert.Zero(t, out.Failed, "%+v", out.Results)
			require.Len(t, out.Results, len(tc.records))
			for i, r := range out.Results {
				assert.NotEmpty(t, r.ID)
				assert.True(t, r.Created, "record %d", i)
				if i < len(ids) {
					assert.Equal(t, ids[i], r.ID, "record %d keeps the id the first attempt gave it", i)
				}
			}
			if tc.check != nil {
				assert.Equal(t, firstCreates, creates.Load(), "the retry sent no create")
				tc.check(t, h, out)
			}
		})
	}
}

// A create whose answer is lost (Automation wrote, the worker saw a 502) is not sent again
// by the retry: a record with an e-mail is looked up by it and found; one without is reported
// unconfirmed, for the caller to look for, rather than perhaps created twice.
func TestCreateWhoseAnswerWasLostIsNotSentAgain(t *testing.T) {
	tests := []struct {
		name    string
		object  string
		records []Record
		check   func(t *testing.T, out WriteOutput)
	}{
		{"contacts: found by e-mail", "contact",
			[]Record{{Fields: map[string]any{"email": "ines@example.com", "firstname": "Ines"}}, {Fields: map[string]any{"email": "oscar@example.com"}}},
			func(t *testing.T, out WriteOutput) {
				assert.Zero(t, out.Failed, "%+v", out.Results)
				for _, r := range out.Results {
					assert.NotEmpty(t, r.ID)
				}
			}},
		{"companies: unconfirmed", "company",
			[]Record{{Fields: map[string]any{"companyname": "Acme"}}},
			func(t *testing.T, out WriteOutput) {
				require.Len(t, out.Results, 1)
				assert.Equal(t, 1, out.Failed)
				assert.Equal(t, actions.ErrTypeUnconfirmed, out.Results[0].ErrorType)
				assert.Contains(t, out.Results[0].Error, "no answer came: it may exist")
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, named(sellsyMautic, ""))
			beat := actiontest.LastBeat[*createProgress](h.env)
			lost := func(r *http.Request) int {
				if strings.HasSuffix(r.URL.Path, "/batch/new") {
					return -http.StatusBadGateway
				}
				return 0
			}
			h.gate.Store(&lost)
			before := h.sb.Mautic.Count(tc.object)
			in := WriteInput{Target: Target{Object: tc.object}, Records: tc.records}
			var out WriteOutput
			ae := actiontest.AppErr(t, h.run("Automation.Create", in, &out))
			assert.Equal(t, actions.ErrTypeRetryable, ae.Type())
			require.Equal(t, before+len(tc.records), h.sb.Mautic.Count(tc.object), "written, the answer lost")
			require.NotNil(t, beat())
			assert.Len(t, beat().Sent, len(tc.records), "known sent")

			// Automation merges a contact sent again on its e-mail: count the creates sent.
			var creates atomic.Int64
			pass := func(r *http.Request) int {
				if strings.HasSuffix(r.URL.Path, "/batch/new") {
					creates.Add(1)
				}
				return 0
			}
			h.gate.Store(&pass)
			h.env.SetHeartbeatDetails(*beat())
			require.NoError(t, h.run("Automation.Create", in, &out))
			assert.Equal(t, before+len(tc.records), h.sb.Mautic.Count(tc.object), "not created twice")
			assert.Zero(t, creates.Load(), "the retry sent no create")
			tc.check(t, out)
		})
	}
}
