package main

import (
	"os"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/crmsync/crmsync/activities"
	"github.com/crmsync/crmsync/connectors/apimetrics"
	"github.com/crmsync/crmsync/workflows"
)

// The alerting rules shipped in deploy/prometheus parse and watch only metrics the worker
// exports, under the names Prometheus gives them.
func TestAlertRulesUseExportedMetrics(t *testing.T) {
	data, err := os.ReadFile("../deploy/prometheus/alerts.yml")
	require.NoError(t, err)
	var file struct {
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
	require.NoError(t, yaml.Unmarshal(data, &file))
	require.Len(t, file.Groups, 1)

	exported := map[string]bool{
		activities.MetricRecords + "_total":      true,
		activities.MetricPassFailures + "_total": true,
		activities.MetricStages + "_total":       true,
		apimetrics.Requests + "_total":           true,
		apimetrics.Latency + "_seconds":          true,
		MetricPaused:                             true,
		MetricQuarantined:                        true,
		workflows.MetricLastCycle:                true,
	}
	name := regexp.MustCompile(`crmsync_[a-z_]+`)
	alerts := map[string]bool{}
	for _, r := range file.Groups[0].Rules {
		assert.NotEmpty(t, r.Alert)
		assert.False(t, alerts[r.Alert], "alert %s defined twice", r.Alert)
		alerts[r.Alert] = true
		assert.NotEmpty(t, r.Labels["severity"], r.Alert)
		assert.NotEmpty(t, r.Annotations["summary"], r.Alert)
		used := name.FindAllString(r.Expr, -1)
		assert.NotEmpty(t, used, "%s watches a crmsync metric", r.Alert)
		for _, m := range used {
			assert.True(t, exported[m], "%s: %s is not a metric the worker exports", r.Alert, m)
		}
	}
	for _, want := range []string{"CrmsyncConnectionPaused", "CrmsyncSyncBehind", "CrmsyncRateLimited"} {
		assert.True(t, alerts[want], want)
	}
}
