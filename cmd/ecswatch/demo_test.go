//go:build !sidecar

package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ecswatch/ecswatch/internal/promtest"
	"github.com/ecswatch/ecswatch/internal/testutil"
)

// TestDemoShowsItsAlerts is README's "see the alerts" section as a test: the
// demo writes a Prometheus configuration, a real Prometheus loads it, and
// within three minutes the OOM kill, the stuck deployment and the failed
// deployment the demo simulates are firing.
func TestDemoShowsItsAlerts(t *testing.T) {
	t.Parallel()
	promtest.Binary(t, "prometheus")
	addr := testutil.FreeAddr(t, "127.0.0.1")
	cfg := filepath.Join(t.TempDir(), "prometheus.yml")
	p := startMain(t, nil, "demo", "--web.listen-address="+addr, "--demo.prometheus-config="+cfg)
	p.wait(t, "then open http://localhost:9090/alerts")
	started := time.Now()
	prom := promtest.StartServerWithConfig(t, cfg)
	for _, alert := range []string{"EcsContainerOOMKilled", "EcsDeploymentFailed", "EcsDeploymentStuck",
		"EcsServiceCrashLoop", "EcsDeployHeadroomShort", "EcsNewRevisionUnhealthy"} {
		prom.Eventually(t, `ALERTS{alertname="`+alert+`",alertstate="firing"}`, 3*time.Minute-time.Since(started), func(s []promtest.Sample) bool { return len(s) > 0 })
		t.Logf("%s firing %s after the demo started", alert, time.Since(started).Round(time.Second))
	}
	// The steady services are quiet.
	if res := prom.Query(t, `ALERTS{ecs_service=~"catalog|steady"}`); len(res) != 0 {
		t.Errorf("alerts for a steady service: %v", res)
	}

	// README's service discovery: the written configuration discovers the
	// demo's sidecars and exporters through http_sd_configs and scrapes
	// them, and the sidecars' series carry the identity the relabelling gives.
	prom.Eventually(t, `count by (job) (up{ecs_cluster="sd-prod"} == 1)`, time.Minute, func(s []promtest.Sample) bool {
		got := map[string]float64{}
		for _, x := range s {
			got[x.Metric["job"]] = x.Float()
		}
		return len(got) == 3 && got["ecswatch-sidecars"] == 2 && got["ecs-exporters"] == 2 && got["worker"] == 2
	})
	prom.Eventually(t, `ecs_container_cpu_usage_seconds_total{job="ecswatch-sidecars",ecs_cluster="sd-prod",ecs_service="web",task_family="web",container_name="app"}`, time.Minute,
		func(s []promtest.Sample) bool { return len(s) == 2 })

	// Every Grafana panel's query, with its variables at "All", evaluates
	// without error and finds the demo's data.
	var dashboard struct {
		Panels []struct {
			Title   string
			Targets []struct{ Expr string }
		}
	}
	b := testutil.ReadFile(t, "../../deploy/grafana/ecswatch.json")
	if err := json.Unmarshal(b, &dashboard); err != nil {
		t.Fatal(err)
	}
	all := strings.NewReplacer(`"$cluster"`, `".*"`, `"$service"`, `".*"`, `"$task_family"`, `".*"`)
	for _, panel := range dashboard.Panels {
		for _, target := range panel.Targets {
			if res := prom.Query(t, all.Replace(target.Expr)); len(res) == 0 {
				t.Errorf("panel %q: no data from %s", panel.Title, target.Expr)
			}
		}
	}
}

// TestDemoPrometheusConfigFollowsTheEnvironment: the written Prometheus
// configuration scrapes the address the daemon listens on, also when that
// comes from ECSWATCH_WEB_LISTEN_ADDRESS rather than a flag.
func TestDemoPrometheusConfigFollowsTheEnvironment(t *testing.T) {
	t.Parallel()
	addr := testutil.FreeAddr(t, "127.0.0.1")
	cfg := filepath.Join(t.TempDir(), "prometheus.yml")
	p := startMain(t, []string{"ECSWATCH_WEB_LISTEN_ADDRESS=" + addr}, "demo", "--demo.prometheus-config="+cfg)
	p.wait(t, "then open http://localhost:9090/alerts")
	if b := testutil.ReadFile(t, cfg); !strings.Contains(string(b), `targets: ["`+addr+`"]`) {
		t.Errorf("%s does not scrape %s:\n%s", cfg, addr, b)
	}
}
