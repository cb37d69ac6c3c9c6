package daemon

import (
	"testing"
	"time"

	"github.com/ecswatch/ecswatch/internal/config"
	"github.com/ecswatch/ecswatch/internal/promtest"
	"github.com/ecswatch/ecswatch/internal/sim"
	"github.com/ecswatch/ecswatch/internal/testutil"
)

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
		failed  = `ecs_service_deployment_failures_total{ecs_service="payments"}`
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
