// Package simkit holds what every simulator shares: request counting per endpoint, fault
// injection (error rate, 429 rate, latency) and the /_sim/ admin routes that expose them.
package simkit

import (
	"encoding/json"
	"math/rand/v2"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Faults configures injected failures. Rates are probabilities between 0 and 1.
type Faults struct {
	ErrorRate     float64 `json:"error_rate"`      // answer 500 (or the system's server error)
	RateLimitRate float64 `json:"rate_limit_rate"` // answer 429
	LatencyMS     int     `json:"latency_ms"`      // added to every API request
	// RateLimitNext answers the next n API requests 429, whatever the rates: a quota another
	// client spent, deterministically.
	RateLimitNext int `json:"rate_limit_next"`
	// ErrorNext answers the next n API requests with a server error (after RateLimitNext).
	ErrorNext int `json:"error_next"`
	// RetryAfterS, when positive, is the Retry-After (in seconds) every injected 429 carries,
	// in place of whatever the system sends (or does not): a quota that asks for a long wait.
	RetryAfterS int `json:"retry_after_s,omitempty"`
}

// FaultWriter writes the system's own error body for an injected fault.
type FaultWriter func(w http.ResponseWriter, status int)

// Kit counts requests and injects faults in front of a simulator's API handler.
type Kit struct {
	mu     sync.Mutex
	counts map[string]int
	faults Faults
	// faulted counts the requests answered with an injected fault.
	faulted int
	rng     *rand.Rand
	write   FaultWriter
}

// New returns a Kit whose injected faults are written by write.
func New(seed uint64, write FaultWriter) *Kit {
	return &Kit{counts: map[string]int{}, rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), write: write}
}

// SetFaults replaces the fault settings.
func (k *Kit) SetFaults(f Faults) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.faults = f
}

// Counts returns a copy of the request counts per endpoint ("GET /v2/contacts").
func (k *Kit) Counts() map[string]int {
	k.mu.Lock()
	defer k.mu.Unlock()
	out := make(map[string]int, len(k.counts))
	for key, n := range k.counts {
		out[key] = n
	}
	return out
}

// ResetCounts sets every request count back to zero.
func (k *Kit) ResetCounts() {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.counts = map[string]int{}
}

// Total returns the number of API requests counted.
func (k *Kit) Total() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	n := 0
	for _, c := range k.counts {
		n += c
	}
	return n
}

// Faulted returns how many requests were answered with an injected fault.
func (k *Kit) Faulted() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.faulted
}

// Wrap counts every request to api by its route pattern and applies the faults. Requests
// under /_sim/ are neither counted nor faulted.
func (k *Kit) Wrap(api http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/_sim/") {
			api.ServeHTTP(w, r)
			return
		}
		k.mu.Lock()
		f := k.faults
		roll := k.rng.Float64()
		if k.faults.RateLimitNext > 0 {
			k.faults.RateLimitNext--
			roll = -1 // below any rate: a 429
		} else if k.faults.ErrorNext > 0 {
			k.faults.ErrorNext--
			f.RateLimitRate, f.ErrorRate, roll = 0, 1, 0 // a server error
		}
		if roll < f.RateLimitRate+f.ErrorRate {
			k.faulted++
		}
		k.mu.Unlock()
		if f.LatencyMS > 0 {
			time.Sleep(time.Duration(f.LatencyMS) * time.Millisecond)
		}
		switch {
		case roll < f.RateLimitRate:
			k.count(r.Method + " " + r.URL.Path)
			if f.RetryAfterS > 0 {
				w = retryAfterWriter{w, strconv.Itoa(f.RetryAfterS)}
			}
			k.write(w, http.StatusTooManyRequests)
			return
		case roll < f.RateLimitRate+f.ErrorRate:
			k.count(r.Method + " " + r.URL.Path)
			k.write(w, http.StatusInternalServerError)
			return
		}
		api.ServeHTTP(w, r)
		key := r.Pattern
		if key == "" {
			key = r.Method + " " + r.URL.Path
		} else if !strings.Contains(key, " ") {
			key = r.Method + " " + key
		}
		k.count(key)
	})
}

// retryAfterWriter sends its Retry-After with the status, over any the system's own fault
// writer set.
type retryAfterWriter struct {
	http.ResponseWriter
	retryAfter string
}

func (w retryAfterWriter) WriteHeader(status int) {
	w.Header().Set("Retry-After", w.retryAfter)
	w.ResponseWriter.WriteHeader(status)
}

func (w retryAfterWriter) Write(b []byte) (int, error) {
	w.Header().Set("Retry-After", w.retryAfter) // in case the writer sets no status first
	return w.ResponseWriter.Write(b)
}

func (k *Kit) count(key string) {
	k.mu.Lock()
	k.counts[key]++
	k.mu.Unlock()
}

// Stats is the body of GET /_sim/stats.
type Stats struct {
	Total    int            `json:"total"`
	Requests map[string]int `json:"requests"`
}

// Register adds the shared admin routes to mux:
//
//	GET  /_sim/stats   request counts per endpoint
//	POST /_sim/stats/reset
//	GET  /_sim/faults  current fault settings
//	POST /_sim/faults  set them (JSON Faults)
func (k *Kit) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /_sim/stats", func(w http.ResponseWriter, r *http.Request) {
		WriteJSON(w, http.StatusOK, Stats{Total: k.Total(), Requests: k.Counts()})
	})
	mux.HandleFunc("POST /_sim/stats/reset", func(w http.ResponseWriter, r *http.Request) {
		k.ResetCounts()
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("GET /_sim/faults", func(w http.ResponseWriter, r *http.Request) {
		k.mu.Lock()
		f := k.faults
		k.mu.Unlock()
		WriteJSON(w, http.StatusOK, f)
	})
	mux.HandleFunc("POST /_sim/faults", func(w http.ResponseWriter, r *http.Request) {
		var f Faults
		if err := json.NewDecoder(r.Body).Decode(&f); err != nil {
			http.Error(w, "faults: "+err.Error(), http.StatusBadRequest)
			return
		}
		k.SetFaults(f)
		WriteJSON(w, http.StatusOK, f)
	})
}

// WriteJSON writes v as a JSON response with the given status.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// SortedKeys returns the keys of m in order, for stable dumps.
func SortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
