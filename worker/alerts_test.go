package main

import (
	"os"
	"regexp"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/crmsync/crmsync/activities"
	"github.com/crmsync/crmsync/config"
	"github.com/crmsync/crmsync/connectors/apimetrics"
	"github.com/crmsync/crmsync/workflows"
)

// alertsFile is deploy/prometheus/alerts.yml, as Prometheus reads it.
type alertsFile struct {
	Groups []struct {
		Name  string `yaml:"name"`
		Rules []struct {
			Alert       string            `yaml:"alert"`
			Expr        string            `yaml:"expr"`
			Labels      map[string]string `yaml:"labels"`
			Annotations map[string]string `yaml:"annotations"`
		} `yaml:"rules"`
	} `yaml:"groups"`
}

// readAlerts reads and parses the alerting rules shipped in deploy/prometheus: one group.
func readAlerts(t *testing.T) ([]byte, alertsFile) {
	t.Helper()
	data, err := os.ReadFile("../deploy/prometheus/alerts.yml")
	require.NoError(t, err)
	var file alertsFile
	require.NoError(t, yaml.Unmarshal(data, &file))
	require.Len(t, file.Groups, 1)
	return data, file
}

// The alerting rules shipped in deploy/prometheus parse and watch only metrics the worker
// exports, under the names Prometheus gives them.
func TestAlertRulesUseExportedMetrics(t *testing.T) {
	_, file := readAlerts(t)

	// The names as Prometheus scrapes them: each metric recorded through the worker's own
	// exporter, whose suffixes (_total, _seconds) the rules must carry.
	handler, registry, _, err := newMetrics()
	require.NoError(t, err)
	for _, c := range []string{activities.MetricRecords, activities.MetricPassFailures, activities.MetricStages, apimetrics.Requests} {
		handler.Counter(c).Inc(1)
	}
	handler.Timer(apimetrics.Latency).Record(time.Second)
	// The SDK's own, under its name (go.temporal.io/sdk/internal/common/metrics).
	handler.WithTags(map[string]string{"workflow_type": "SellsyEvents"}).Counter("temporal_workflow_failed").Inc(1)
	handler.Gauge(workflows.MetricLastCycle).Update(1)
	families, err := registry.Gather()
	require.NoError(t, err)
	exported := map[string]bool{MetricPaused: true, MetricQuarantined: true} // worker/gauges.go's own collector
	for _, f := range families {
		exported[f.GetName()] = true
		for _, suffix := range []string{"_bucket", "_sum", "_count"} { // a histogram's series
			if f.GetType() == dto.MetricType_HISTOGRAM {
				exported[f.GetName()+suffix] = true
			}
		}
	}
	name := regexp.MustCompile(`(crmsync|temporal)_[a-z_]+`)
	workflowType := regexp.MustCompile(`workflow_type="([^"]*)"`)
	alerts := map[string]bool{}
	for _, r := range file.Groups[0].Rules {
		assert.NotEmpty(t, r.Alert)
		assert.False(t, alerts[r.Alert], "alert %s defined twice", r.Alert)
		alerts[r.Alert] = true
		assert.NotEmpty(t, r.Labels["severity"], r.Alert)
		assert.NotEmpty(t, r.Annotations["summary"], r.Alert)
		used := name.FindAllString(r.Expr, -1)
		if r.Alert != "CrmsyncWorkerDown" { // it watches the scrape (TestAlertRulesSeeNoWorker)
			assert.NotEmpty(t, used, "%s watches a crmsync metric", r.Alert)
		}
		for _, m := range used {
			assert.True(t, exported[m], "%s: %s is not a metric the worker exports", r.Alert, m)
		}
		// A misspelt workflow type would select no series: the alert would never fire.
		for _, typ := range workflowType.FindAllStringSubmatch(r.Expr, -1) {
			assert.True(t, config.IsOwnWorkflowType(typ[1]), "%s: %s is not a workflow the worker runs", r.Alert, typ[1])
		}
	}
	for _, want := range []string{"CrmsyncConnectionPaused", "CrmsyncSyncBehind", "CrmsyncRateLimited", "CrmsyncWorkerDown", "CrmsyncSellsyEventsNotRouted", "CrmsyncPushesFailed"} {
		assert.True(t, alerts[want], want)
	}
}

// Every other rule watches metrics a running worker exports: with no worker scraped, they
// have nothing to fire on. One rule watches the scrape itself, under the job name the rules
// file asks for.
func TestAlertRulesSeeNoWorker(t *testing.T) {
	data, file := readAlerts(t)
	job := regexp.MustCompile(`job_name:\s*([A-Za-z0-9_-]+)`).FindSubmatch(data)
	require.NotNil(t, job, "alerts.yml says which job_name to scrape the workers under")
	var down string
	for _, r := range file.Groups[0].Rules {
		if r.Alert == "CrmsyncWorkerDown" {
			down = r.Expr
		}
	}
	assert.Contains(t, down, `absent(up{job="`+string(job[1])+`"} == 1)`, "fires when no worker answers, and when none is scraped at all")
}
