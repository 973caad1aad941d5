package main

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"

	"github.com/crmsync/crmsync/internal/envnames"

	"github.com/kelseyhightower/envconfig"
)

// loadSettings reads the Settings from the CRMSYNC_* variables only (see Settings), and
// refuses a value the worker cannot use with the variable, the value and the reason: a
// setting silently replaced by a default (0 activities is the SDK's 1,000) or an address
// that turns out unusable once the worker runs is found much later, if ever.
func loadSettings() (Settings, error) {
	var s Settings
	if err := envconfig.Process("", &s); err != nil {
		return s, fmt.Errorf("settings: %w", parseError(err))
	}
	if err := s.check(); err != nil {
		return s, fmt.Errorf("settings: %w", err)
	}
	return s, nil
}

// parseError words envconfig's error for a value of the wrong type (it stops at the first)
// with the variable, the value and what is expected, instead of strconv's or time's words.
func parseError(err error) error {
	var pe *envconfig.ParseError
	if !errors.As(err, &pe) {
		return err
	}
	switch {
	case pe.TypeName == "bool":
		return fmt.Errorf("%s=%q: not true or false (leave it unset for false)", pe.KeyName, pe.Value)
	case pe.TypeName == "time.Duration":
		example := "20s"
		if _, err := strconv.ParseFloat(pe.Value, 64); err == nil {
			example = pe.Value + "s" // a bare number: its unit is what is missing
		}
		return fmt.Errorf("%s=%q: not a duration (write it with a unit, e.g. %s)", pe.KeyName, pe.Value, example)
	case strings.HasPrefix(pe.TypeName, "int"):
		if errors.Is(pe.Err, strconv.ErrRange) {
			return fmt.Errorf("%s=%q: out of range (allowed: %s)", pe.KeyName, pe.Value, ranges[pe.KeyName])
		}
		return fmt.Errorf("%s=%q: not a whole number (allowed: %s)", pe.KeyName, pe.Value, ranges[pe.KeyName])
	}
	return fmt.Errorf("%s=%q: %w", pe.KeyName, pe.Value, pe.Err)
}

// ranges says which values the number and duration settings take.
var ranges = map[string]string{
	"CRMSYNC_MAX_CONCURRENT_ACTIVITIES": "1 or more, e.g. 8",
	"CRMSYNC_STOP_TIMEOUT":              "0s or more, e.g. 20s; 0s cancels the activities at once",
}

// check returns every setting that is out of range or malformed, each with its variable.
func (s Settings) check() error {
	var problems []string
	add := func(key, format string, args ...any) {
		problems = append(problems, fmt.Sprintf("%s=%q: ", key, os.Getenv(key))+fmt.Sprintf(format, args...))
	}
	if s.MaxConcurrentActivities < 1 {
		// 0 would leave the SDK's default of 1,000 activities at once.
		add("CRMSYNC_MAX_CONCURRENT_ACTIVITIES", "out of range (allowed: %s)", ranges["CRMSYNC_MAX_CONCURRENT_ACTIVITIES"])
	}
	if s.StopTimeout < 0 {
		add("CRMSYNC_STOP_TIMEOUT", "out of range (allowed: %s)", ranges["CRMSYNC_STOP_TIMEOUT"])
	}
	// Names set but empty, or with spaces around them: a task queue "crmsync " is served by
	// this worker alone. An empty CRMSYNC_SELLSY_CONNECTION is its default, as
	// docker-compose.yml passes it.
	problems = append(problems, envnames.Check([]envnames.Name{
		{Key: "CRMSYNC_TEMPORAL_ADDRESS", Value: s.TemporalAddress, Needed: true},
		{Key: "CRMSYNC_NAMESPACE", Value: s.Namespace, Needed: true},
		{Key: "CRMSYNC_TASK_QUEUE", Value: s.TaskQueue, Needed: true},
		{Key: "CRMSYNC_CONNECTIONS", Value: s.Connections, Needed: true},
		{Key: "CRMSYNC_DATA_DIR", Value: s.DataDir, Needed: s.StoreDSN == ""}, // used without a DSN only
		{Key: "CRMSYNC_SELLSY_CONNECTION", Value: s.SellsyConnection},
	})...)
	// A DSN set but empty (a ${VAR} the deployment left unset) would put the store in a SQLite
	// file of this machine's or container's: shared with no other worker, and lost with the
	// container, its pairs with it (the next import creates again what is not matched).
	if v, set := os.LookupEnv("CRMSYNC_STORE_DSN"); set && strings.TrimSpace(v) == "" {
		add("CRMSYNC_STORE_DSN", "empty (leave it unset for the SQLite store in CRMSYNC_DATA_DIR)")
	}
	if a := s.TemporalAddress; strings.TrimSpace(a) != "" && !strings.Contains(a, "://") && !strings.HasPrefix(a, "unix:") {
		// gRPC would dial a host without a port on 443: Temporal listens on 7233.
		if problem := checkHostPort(a, 1, "localhost:7233"); problem != "" {
			add("CRMSYNC_TEMPORAL_ADDRESS", "%s", problem)
		}
	}
	for _, l := range s.listeners() {
		if l.addr == "" {
			continue
		}
		if problem := checkHostPort(l.addr, 0, l.example); problem != "" {
			add(l.key, "%s", problem)
		}
	}
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "; "))
	}
	return nil
}

// checkHostPort says what is wrong with addr as a host:port whose port is a number from
// lowest to 65535, or "" when nothing is.
func checkHostPort(addr string, lowest int, example string) string {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		var ae *net.AddrError
		reason := err.Error()
		if errors.As(err, &ae) {
			reason = ae.Err
		}
		if _, err := strconv.Atoi(addr); err == nil {
			example = ":" + addr // a bare port: its colon is what is missing
		}
		return fmt.Sprintf("not a host:port address (%s), e.g. %s", reason, example)
	}
	allowed := fmt.Sprintf("allowed: %d to 65535", lowest)
	if lowest == 0 {
		allowed += "; 0 lets the system choose"
	}
	n, err := strconv.Atoi(port)
	switch {
	case err != nil:
		return fmt.Sprintf("port %q is not a number (%s)", port, allowed)
	case n < lowest || n > 65535:
		return fmt.Sprintf("port %d is out of range (%s)", n, allowed)
	}
	return ""
}

// listener is one of the addresses the worker serves HTTP on, with its variable.
type listener struct {
	key, addr, what, example string
}

// listeners lists the worker's HTTP addresses; an empty one is not served.
func (s Settings) listeners() []listener {
	return []listener{
		{"CRMSYNC_WEBHOOK_ADDR", s.WebhookAddr, "webhook receiver", ":8090"},
		{"CRMSYNC_METRICS_ADDR", s.MetricsAddr, "metrics", ":9090"},
		{"CRMSYNC_DEBUG_ADDR", s.DebugAddr, "profiler", "127.0.0.1:6060"},
	}
}

// listen opens the worker's HTTP addresses, by variable, at start: one that cannot be used
// (a port in use, a host not of this machine) stops the start, rather than leave a worker
// running whose push URLs, webhooks, /healthz or metrics are refused. On an error, the
// addresses already opened are closed.
func listen(s Settings) (map[string]opened, error) {
	out := map[string]opened{}
	for _, l := range s.listeners() {
		if l.addr == "" {
			continue
		}
		ln, err := net.Listen("tcp", l.addr)
		if err != nil {
			for _, open := range out {
				_ = open.Close()
			}
			return nil, fmt.Errorf("%s=%q: cannot serve the %s there: %w", l.key, l.addr, l.what, err)
		}
		out[l.key] = opened{Listener: ln, what: l.what}
	}
	return out, nil
}

// opened is an address listen opened, with what the worker serves there.
type opened struct {
	net.Listener
	what string
}
