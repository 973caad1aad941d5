package simkit

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestKitCountsAndFaults(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v2/contacts/{id}", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(200) })
	kit := New(1, func(w http.ResponseWriter, status int) { w.WriteHeader(status) })
	kit.Register(mux)
	srv := httptest.NewServer(kit.Wrap(mux))
	defer srv.Close()

	for i := 0; i < 3; i++ {
		resp, err := http.Get(srv.URL + "/v2/contacts/" + string(rune('1'+i)))
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, 200, resp.StatusCode)
	}
	assert.Equal(t, 3, kit.Counts()["GET /v2/contacts/{id}"])
	assert.Zero(t, kit.Faulted())

	resp, err := http.Post(srv.URL+"/_sim/faults", "application/json", strings.NewReader(`{"rate_limit_rate":1}`))
	require.NoError(t, err)
	resp.Body.Close()
	resp, err = http.Get(srv.URL + "/v2/contacts/9")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, 429, resp.StatusCode)
	assert.Equal(t, 4, kit.Total(), "admin requests are not counted, faulted ones are")
	assert.Equal(t, 1, kit.Faulted())
}

func TestFakeDataDeterministic(t *testing.T) {
	assert.Equal(t, PersonAt(42), PersonAt(42))
	assert.NotEqual(t, PersonAt(42).Email, PersonAt(43).Email)
	assert.Equal(t, 8, PersonAt(42).Company)
	assert.Len(t, CompanyAt(7).SIRET, 14)
}

// An injected 429 carries RetryAfterS when set, over the system's own Retry-After, and
// whatever the system sends when not; a server error never carries it.
func TestKitRetryAfter(t *testing.T) {
	for _, own := range []string{"", "1"} {
		kit := New(1, func(w http.ResponseWriter, status int) {
			if own != "" && status == http.StatusTooManyRequests {
				w.Header().Set("Retry-After", own)
			}
			w.WriteHeader(status)
		})
		srv := httptest.NewServer(kit.Wrap(http.NotFoundHandler()))
		get := func() *http.Response {
			resp, err := http.Get(srv.URL + "/v2/contacts")
			require.NoError(t, err)
			resp.Body.Close()
			return resp
		}
		kit.SetFaults(Faults{RateLimitRate: 1})
		resp := get()
		assert.Equal(t, 429, resp.StatusCode)
		assert.Equal(t, own, resp.Header.Get("Retry-After"), "the system's own")
		kit.SetFaults(Faults{RateLimitRate: 1, RetryAfterS: 10})
		resp = get()
		assert.Equal(t, 429, resp.StatusCode)
		assert.Equal(t, "10", resp.Header.Get("Retry-After"))
		kit.SetFaults(Faults{ErrorRate: 1, RetryAfterS: 10})
		resp = get()
		assert.Equal(t, 500, resp.StatusCode)
		assert.Equal(t, "", resp.Header.Get("Retry-After"))
		srv.Close()
	}
}
