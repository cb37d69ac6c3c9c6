package daemon

import (
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ecswatch/ecswatch/internal/config"
	"github.com/ecswatch/ecswatch/internal/promtest"
	"github.com/ecswatch/ecswatch/internal/sim"
	"github.com/ecswatch/ecswatch/internal/testutil"
)

// TestRealPrometheus runs a real Prometheus server scraping the daemon on the
// simulated task, and asserts through Prometheus's HTTP API that container
// CPU and memory series arrive with their identity labels and that the OOM
// counter goes up when the worker is killed.
func TestRealPrometheus(t *testing.T) {
	t.Parallel()
	ecsURL := shopECS(t)
	r := start(t, 500*time.Millisecond, sim.Schedule{FirstOOM: time.Hour, Period: time.Hour, RestartDelay: 3 * time.Second}, func(c *config.Config) {
		c.Standalone.Enabled, c.Standalone.Endpoint, c.Standalone.Region = true, ecsURL, "eu-west-1"
		c.Standalone.Clusters = []string{sim.ShopCluster}
		c.Standalone.Interval, c.Standalone.Timeout, c.Standalone.CallTimeout = config.Duration(time.Second), config.Duration(time.Second), config.Duration(time.Second)
	})
	prom := promtest.StartServer(t, strings.TrimPrefix(r.url, "http://"), "../../deploy/prometheus/alerts.yml")

	nonEmpty := func(s []promtest.Sample) bool { return len(s) > 0 }
	cpu := prom.Eventually(t, `ecs_container_cpu_usage_seconds_total{container_name="app"}`, 30*time.Second, nonEmpty)
	want := map[string]string{
		"job": "ecswatch", "container_name": "app", "ecs_cluster": "shop-prod",
		"task_family": "storefront", "task_revision": "42", "task_id": "3f1c9a7e2b7d4c0e9a1b2c3d4e5f6a7b",
	}
	for k, v := range want {
		if got := cpu[0].Metric[k]; got != v {
			t.Errorf("cpu series label %s = %q, want %q (series %v)", k, got, v, cpu[0].Metric)
		}
	}
	if cpu[0].Float() <= 0 {
		t.Errorf("cpu seconds = %v, want > 0", cpu[0].Float())
	}
	for _, q := range []string{
		`ecs_container_memory_working_set_bytes{container_name="app",task_family="storefront"}`,
		`ecs_container_memory_usage_bytes{container_name="app",task_family="storefront"}`,
		`ecs_container_memory_limit_bytes{container_name="app",task_family="storefront"}`,
		`ecs_network_receive_bytes_total{interface="eth1",task_family="storefront"}`,
		`ecs_task_metadata_info{family="storefront",launch_type="FARGATE"}`,
		`ecswatch_collector_up{collector="taskmeta"} == 1`,
		`ecswatch_build_info`,
	} {
		prom.Eventually(t, q, 10*time.Second, nonEmpty)
	}

	// The counter was 0 before the kill and is 1 after: Prometheus saw it
	// increase, which is what an alert on increase() needs.
	oom := `ecs_container_oom_kills_total{container_name="worker",task_family="storefront"}`
	prom.Eventually(t, oom, 10*time.Second, func(s []promtest.Sample) bool { return len(s) == 1 && s[0].Float() == 0 })
	r.sim.OOMKillWorkerIn(time.Second)
	prom.Eventually(t, oom, 30*time.Second, func(s []promtest.Sample) bool { return len(s) == 1 && s[0].Float() == 1 })
	if res := prom.Query(t, "min_over_time("+oom+"[1m])"); len(res) != 1 || res[0].Float() != 0 {
		t.Errorf("OOM counter was never 0 before the kill: %+v", res)
	}
	prom.Eventually(t, "increase("+oom+"[1m]) > 0", 10*time.Second, nonEmpty)

	// Standalone: the scenarios' signals, as an alert rule would query them.
	for _, q := range []string{
		`ecs_service_deployment_stuck{ecs_cluster="shop-prod",ecs_service="checkout",reason="placement_failure"} == 1`,
		`ecs_service_deploy_headroom_tasks{ecs_service="checkout"} < ecs_service_deploy_surge_tasks{ecs_service="checkout"}`,
		`ecs_service_revisions_running{ecs_service="checkout"} == 2`,
		`ecs_container_oom_kills_total{ecs_service="worker",container_name="worker",task_family="worker"} >= 1`,
		`ecs_service_deployment_failures_total{ecs_service="payments"} == 1`,
		`sum(ecs_service_deployment_stuck{ecs_service="catalog"}) == 0`,
		`ecswatch_aws_api_calls_total{service="ECS",operation="DescribeServices",outcome="success"} > 0`,
	} {
		prom.Eventually(t, q, 60*time.Second, nonEmpty)
	}

	// The shipped alerts, evaluated by the real server on the series as
	// ecswatch exports them: each fires once for the first kill and the
	// first failed deployment, and nothing fires for the steady service.
	firing := func(name, filter string) string {
		return `ALERTS{alertname="` + name + `",alertstate="firing"` + filter + `}`
	}
	one := func(s []promtest.Sample) bool { return len(s) == 1 }
	prom.Eventually(t, firing("EcsContainerOOMKilled", `,ecs_service="worker",container_name="worker",task_family="worker"`), 60*time.Second, one)
	prom.Eventually(t, firing("EcsContainerOOMKilled", `,task_family="storefront",container_name="worker"`), 10*time.Second, one)
	prom.Eventually(t, firing("EcsDeploymentFailed", `,ecs_service="payments"`), 60*time.Second, one)
	if res := prom.Query(t, `ALERTS{ecs_service="catalog"}`); len(res) != 0 {
		t.Errorf("alerts for the steady service: %+v", res)
	}
}

// TestRestartDoesNotRecountInPrometheus restarts a standalone ecswatch on the
// same address over the same simulated cluster, with a real Prometheus
// scraping it and evaluating the shipped alerts: the restarted process
// counts none of the kills, stopped tasks and failed deployment that ECS
// still lists, so Prometheus sees counter resets and no new increase, and
// each alert stays one alert.
func TestRestartDoesNotRecountInPrometheus(t *testing.T) {
	t.Parallel()
	ecsURL := shopECS(t)
	addr := testutil.FreeAddr(t, "127.0.0.1")

	run := func() *running {
		return start(t, time.Hour, sim.DefaultSchedule, func(c *config.Config) {
			off := false
			c.Sidecar.Enabled = &off
			c.Web.ListenAddress = addr
			c.Standalone.Enabled, c.Standalone.Endpoint, c.Standalone.Region = true, ecsURL, "eu-west-1"
			c.Standalone.Clusters = []string{sim.ShopCluster}
			c.Standalone.Interval, c.Standalone.Timeout, c.Standalone.CallTimeout = config.Duration(time.Second), config.Duration(time.Second), config.Duration(time.Second)
			c.ShutdownLinger = 0
		})
	}

	if sim.FirstTaskOOM+sim.TaskOOMEvery < 60*time.Second {
		t.Fatal("the scenario's second kill comes too soon for this test")
	}
	first := run()
	prom := promtest.StartServer(t, addr, "../../deploy/prometheus/alerts.yml")
	one := func(s []promtest.Sample) bool { return len(s) == 1 }
	const (
		oom     = `ecs_container_oom_kills_total{ecs_service="worker",container_name="worker",source="standalone"}`
		failed  = `ecs_service_deployment_failures_total{ecs_service="payments",cause="circuit_breaker"}`
		stopped = `ecs_task_stopped_total{ecs_service="worker",stop_code="EssentialContainerExited"}`
	)
	// The first process counts the first kill and the circuit breaker.
	prom.Eventually(t, oom+" == 1", 60*time.Second, one)
	prom.Eventually(t, failed+" == 1", 60*time.Second, one)
	prom.Eventually(t, stopped+" == 1", 10*time.Second, one)
	prom.Eventually(t, `ALERTS{alertname="EcsDeploymentFailed",alertstate="firing"}`, 10*time.Second, one)

	if err := first.stop(); err != nil {
		t.Errorf("stopping the first process: %v", err)
	}
	run()
	// The restarted process is scraped: its counters start again from 0.
	prom.Eventually(t, "resets("+failed+"[5m]) == 1", 30*time.Second, one)
	prom.Eventually(t, "resets("+oom+"[5m]) == 1", 10*time.Second, one)
	time.Sleep(3 * time.Second) // a few more scrapes and evaluations of the restarted process
	for _, q := range []string{failed, oom} {
		if res := prom.Query(t, q); len(res) != 1 || res[0].Float() != 0 {
			t.Errorf("%s after the restart = %+v, want 0: history counted again", q, res)
		}
	}
	if res := prom.Query(t, stopped); len(res) != 0 {
		t.Errorf("%s after the restart = %+v, want absent until a task stops", stopped, res)
	}
	// Across the restart Prometheus sees one failure and one kill, not two.
	for _, q := range []string{"increase(" + failed + "[2m])", "increase(" + oom + "[2m])"} {
		if res := prom.Query(t, q); len(res) != 1 || res[0].Float() >= 2 {
			t.Errorf("%s = %+v, want one event's worth", q, res)
		}
	}
	for _, a := range []string{"EcsDeploymentFailed", "EcsContainerOOMKilled"} {
		if res := prom.Query(t, `ALERTS{alertname="`+a+`",alertstate="firing"}`); len(res) != 1 {
			t.Errorf("%s alerts after the restart: %+v, want the one for the first event", a, res)
		}
	}
}

// TestDeploymentAlertsInRealPrometheus runs the deployment lab (blue/green,
// linear, canary, CODE_DEPLOY, EXTERNAL, alarm and circuit-breaker
// rollbacks) 9m50s into its timeline, with a real Prometheus evaluating the
// shipped alerts: billing's rollback fails 10 seconds in and pages at once,
// while nothing fires for the healthy deployments in bake time and
// mid-traffic-shift.
func TestDeploymentAlertsInRealPrometheus(t *testing.T) {
	t.Parallel()
	const into = 10*time.Minute - 10*time.Second
	fake := sim.NewECS("eu-west-1", nil)
	lab := sim.DeployLabScenario(time.Now().Add(-into))
	fake.AddScripted(sim.DeployLabCluster, func(e time.Duration) *sim.Cluster { return lab(e + into) })
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	r := start(t, time.Second, sim.Schedule{FirstOOM: time.Hour, Period: time.Hour, RestartDelay: time.Hour}, func(c *config.Config) {
		c.Standalone.Enabled, c.Standalone.Endpoint, c.Standalone.Region = true, srv.URL, "eu-west-1"
		c.Standalone.Clusters = []string{sim.DeployLabCluster}
		c.Standalone.Interval, c.Standalone.Timeout, c.Standalone.CallTimeout = config.Duration(time.Second), config.Duration(time.Second), config.Duration(time.Second)
	})
	prom := promtest.StartServer(t, strings.TrimPrefix(r.url, "http://"), "../../deploy/prometheus/alerts.yml")
	one := func(s []promtest.Sample) bool { return len(s) == 1 }
	rollback := `ecs_service_deployment_rollback_failures_total{ecs_service="billing"}`
	prom.Eventually(t, rollback+" == 0", 30*time.Second, one)
	prom.Eventually(t, rollback+" == 1", 60*time.Second, one)
	prom.Eventually(t, `ALERTS{alertname="EcsDeploymentRollbackFailed",alertstate="firing",ecs_service="billing"}`, 30*time.Second, one)
	// The failures before ecswatch started (billing's breaker at 6m, cart's
	// alarm at 8m) are history, not pages.
	if res := prom.Query(t, `ALERTS{alertname="EcsDeploymentFailed"}`); len(res) != 0 {
		t.Errorf("history paged: %+v", res)
	}
	for _, svc := range []string{"web", "search", "api", "orders", "legacy", "feed"} {
		prom.Eventually(t, `ecs_service_deployment_strategy_info{ecs_service="`+svc+`"}`, 10*time.Second, one)
		if res := prom.Query(t, `ALERTS{ecs_service="`+svc+`"}`); len(res) != 0 {
			t.Errorf("alerts for the healthy %s deployment: %+v", svc, res)
		}
	}
	prom.Eventually(t, `ecs_service_deployment_lifecycle_stage{ecs_service="web",stage="BAKE_TIME"} == 1`, 10*time.Second, one)
	prom.Eventually(t, `ecs_service_revisions_running{ecs_service="legacy"} == 2`, 10*time.Second, one)
}
