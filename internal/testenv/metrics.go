package testenv

import (
	"sort"
	"strings"
	"sync"
	"time"

	"go.temporal.io/sdk/client"
)

// Metrics is a client.MetricsHandler that keeps what it is given, for tests: counters
// summed, gauges at their last value, timers counted, each under "name{k=v,…}" with the tags
// sorted.
type Metrics struct {
	tags  map[string]string
	store *metricStore
}

type gauge struct {
	name  string
	tags  map[string]string
	value float64
}

type metricStore struct {
	mu       sync.Mutex
	counters map[string]int64
	gauges   map[string]gauge
	timers   map[string]int
}

// NewMetrics returns an empty recorder.
func NewMetrics() *Metrics {
	return &Metrics{store: &metricStore{counters: map[string]int64{}, gauges: map[string]gauge{}, timers: map[string]int{}}}
}

// WithTags implements client.MetricsHandler.
func (m *Metrics) WithTags(tags map[string]string) client.MetricsHandler {
	merged := make(map[string]string, len(m.tags)+len(tags))
	for k, v := range m.tags {
		merged[k] = v
	}
	for k, v := range tags {
		merged[k] = v
	}
	return &Metrics{tags: merged, store: m.store}
}

// Counter implements client.MetricsHandler.
func (m *Metrics) Counter(name string) client.MetricsCounter {
	return counterFunc(func(d int64) { m.store.update(func(s *metricStore) { s.counters[m.key(name)] += d }) })
}

// Gauge implements client.MetricsHandler.
func (m *Metrics) Gauge(name string) client.MetricsGauge {
	return gaugeFunc(func(v float64) {
		m.store.update(func(s *metricStore) { s.gauges[m.key(name)] = gauge{name: name, tags: m.tags, value: v} })
	})
}

// Timer implements client.MetricsHandler.
func (m *Metrics) Timer(name string) client.MetricsTimer {
	return timerFunc(func(time.Duration) { m.store.update(func(s *metricStore) { s.timers[m.key(name)]++ }) })
}

// Counters returns the counters' sums.
func (m *Metrics) Counters() map[string]int64 {
	m.store.mu.Lock()
	defer m.store.mu.Unlock()
	out := make(map[string]int64, len(m.store.counters))
	for k, v := range m.store.counters {
		out[k] = v
	}
	return out
}

// GaugeValue returns the last value of the gauge name whose tags include tags (the SDK adds
// its own, such as namespace and workflow_type), and whether one was set.
func (m *Metrics) GaugeValue(name string, tags map[string]string) (float64, bool) {
	m.store.mu.Lock()
	defer m.store.mu.Unlock()
	for _, g := range m.store.gauges {
		if g.name != name {
			continue
		}
		match := true
		for k, v := range tags {
			match = match && g.tags[k] == v
		}
		if match {
			return g.value, true
		}
	}
	return 0, false
}

// Timers returns how many times each timer recorded.
func (m *Metrics) Timers() map[string]int {
	m.store.mu.Lock()
	defer m.store.mu.Unlock()
	out := make(map[string]int, len(m.store.timers))
	for k, v := range m.store.timers {
		out[k] = v
	}
	return out
}

func (m *Metrics) key(name string) string {
	parts := make([]string, 0, len(m.tags))
	for k, v := range m.tags {
		parts = append(parts, k+"="+v)
	}
	sort.Strings(parts)
	return name + "{" + strings.Join(parts, ",") + "}"
}

func (s *metricStore) update(f func(*metricStore)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(s)
}

type counterFunc func(int64)

func (f counterFunc) Inc(d int64) { f(d) }

type gaugeFunc func(float64)

func (f gaugeFunc) Update(v float64) { f(v) }

type timerFunc func(time.Duration)

func (f timerFunc) Record(d time.Duration) { f(d) }
