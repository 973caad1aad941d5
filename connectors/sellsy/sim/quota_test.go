package sim

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Every window refuses once spent (429 with the V2 error body) and refills at its end, a UTC
// second, minute, day or calendar month.
func TestQuotaEveryWindowRefuses(t *testing.T) {
	tests := []struct {
		name    string
		opt     Options
		header  string
		refills time.Duration // from the env's clock (2026-03-02 10:00:00 UTC) to the window's end
	}{
		{"second", Options{RequestsPerSecond: 2}, "X-Quota-Remaining-By-Second", time.Second},
		{"minute", Options{RequestsPerMinute: 2}, "X-Quota-Remaining-By-Minute", time.Minute},
		{"day", Options{RequestsPerDay: 2}, "X-Quota-Remaining-By-Day", 14 * time.Hour},
		{"month", Options{RequestsPerMonth: 2}, "X-Quota-Remaining-By-Month", 30*24*time.Hour - 10*time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, tt.opt)
			for want := 1; want >= 0; want-- {
				r := e.call("GET", "/v2/contacts", nil, false)
				require.Equal(t, 200, r.status)
				assert.Equal(t, []string{string(rune('0' + want))}, r.header.Values(tt.header))
			}
			r := e.call("GET", "/v2/contacts", nil, false)
			require.Equal(t, 429, r.status)
			assert.Equal(t, "0", r.header.Get(tt.header))
			assert.EqualValues(t, 429, r.body["error"].(map[string]any)["code"])
			assert.Contains(t, r.body["error"].(map[string]any)["message"], "quota")

			e.clock.Advance(tt.refills - time.Nanosecond)
			assert.Equal(t, 429, e.call("GET", "/v2/contacts", nil, false).status, "still the same window")
			e.clock.Advance(time.Nanosecond)
			e.token = e.getToken("application/json", `{"grant_type":"client_credentials","client_id":"cid","client_secret":"s3cr3t"}`) // the first expired
			r = e.call("GET", "/v2/contacts", nil, false)
			assert.Equal(t, 200, r.status, "a new window")
			assert.Equal(t, "1", r.header.Get(tt.header))
		})
	}
}

// The day and month windows default to Sellsy's documented quota, and are lifted with the
// others when the second window is (benchmarks).
func TestQuotaDayAndMonthDefaults(t *testing.T) {
	tests := []struct {
		name       string
		opt        Options
		day, month string
	}{
		{"default", Options{RequestsPerSecond: 5}, "431999", "13391999"},
		{"unlimited", Options{RequestsPerSecond: -1}, "1000000", "1000000"},
		{"day set, rest unlimited", Options{RequestsPerSecond: -1, RequestsPerDay: 10}, "9", "1000000"},
		{"day lifted", Options{RequestsPerSecond: 5, RequestsPerDay: -1}, "1000000", "13391999"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, tt.opt)
			r := e.call("GET", "/v2/contacts", nil, false)
			require.Equal(t, 200, r.status)
			assert.Equal(t, tt.day, r.header.Get("X-Quota-Remaining-By-Day"))
			assert.Equal(t, tt.month, r.header.Get("X-Quota-Remaining-By-Month"))
		})
	}
}
