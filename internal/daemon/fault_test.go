package daemon

// The fault suite: go test -run Fault ./... drives the simulators into each
// failure and asserts, for the whole daemon, no crash, no goroutine or heap
// growth, the right health and error counters, recovery when the fault
// clears, and no event lost or counted twice.

import (
	"net"
	"net/http/httptest"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ecswatch/ecswatch/internal/config"
	"github.com/ecswatch/ecswatch/internal/sim"
)

// leakCheck records goroutines and heap now and, at the end of the test,
// fails if either grew beyond what a warm daemon may hold.
func leakCheck(t *testing.T) {
	t.Helper()
	heap := func() uint64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	g0, h0 := runtime.NumGoroutine(), heap()
	t.Cleanup(func() {
		// Idle HTTP connections close asynchronously; give them a moment.
		deadline := time.Now().Add(5 * time.Second)
		for runtime.NumGoroutine() > g0+25 && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
		}
		if g := runtime.NumGoroutine(); g > g0+25 {
			t.Errorf("goroutines grew from %d to %d", g0, g)
		}
		if h := heap(); h > 2*h0+32<<20 {
			t.Errorf("heap grew from %d to %d bytes", h0, h)
		}
	})
}

var metricLine = regexp.MustCompile(`(?m)^([a-z_]+)\{([^}]*)\} ([0-9.e+-]+)`)

// value returns the value of the series of name whose labels contain every
// fragment, or -1.
func value(body, name string, fragments ...string) float64 {
	for _, m := range metricLine.FindAllStringSubmatch(body, -1) {
		if m[1] != name {
			continue
		}
		ok := true
		for _, f := range fragments {
			ok = ok && strings.Contains(m[2], f)
		}
		if ok {
			v, _ := strconv.ParseFloat(m[3], 64)
			return v
		}
	}
	return -1
}

// TestFaultMetadataEndpoint: every failure of the metadata endpoint, in
// turn, including a 100 MiB answer.
func TestFaultMetadataEndpoint(t *testing.T) {
	leakCheck(t)
	r := start(t, 100*time.Millisecond, sim.DefaultSchedule)
	r.waitFor(t, "first collection", up)
	for round := range 2 { // twice, so that growth would show
		for _, mode := range []sim.FailMode{sim.FailDown, sim.FailSlow, sim.Fail500, sim.FailHTML, sim.FailTruncated, sim.FailHuge} {
			r.sim.SetFailMode(mode)
			body := r.waitFor(t, "collector down", down)
			if value(body, "ecs_container_cpu_usage_seconds_total", `container_name="app"`) <= 0 {
				t.Errorf("round %d mode %d: last snapshot not served while down", round, mode)
			}
			cleared := time.Now()
			r.sim.SetFailMode(sim.Healthy)
			r.waitFor(t, "recovery", up)
			t.Logf("metadata endpoint %s: recovered %s after the fault cleared", mode, time.Since(cleared).Round(time.Millisecond))
		}
	}
	body := r.scrape(t)
	if v := value(body, "ecswatch_collector_errors_total", `collector="taskmeta"`); v < 12 {
		t.Errorf("errors counted = %v, want at least 12", v)
	}
	if n := r.logs.Count("collector down"); n != 12 {
		t.Errorf("%d 'collector down' log lines for 12 failures", n)
	}
}

// awsWorld is the daemon in standalone mode with events and Container
// Insights, against the simulators.
type awsWorld struct {
	*running
	ecs     *sim.ECS
	sqs     *sim.SQS
	publish func(from, to time.Duration) []string
}

func startAWS(t *testing.T) *awsWorld {
	t.Helper()
	begin := time.Now()
	w := &awsWorld{ecs: sim.NewECS("eu-west-1", nil), sqs: sim.NewSQS(), publish: sim.ShopEvents("eu-west-1", begin)}
	w.ecs.AddScripted(sim.ShopCluster, sim.ShopScenario(begin))
	ecsSrv, cwSrv, sqsSrv := httptest.NewServer(w.ecs), httptest.NewServer(sim.NewCloudWatch(nil)), httptest.NewServer(w.sqs)
	t.Cleanup(ecsSrv.Close)
	t.Cleanup(cwSrv.Close)
	t.Cleanup(sqsSrv.Close)
	queue := w.sqs.CreateQueue(sqsSrv.URL, "events", 2*time.Second)
	w.running = start(t, time.Hour, sim.DefaultSchedule, func(c *config.Config) {
		off := false
		c.Sidecar.Enabled = &off
		c.Standalone.Enabled, c.Standalone.Endpoint, c.Standalone.Region = true, ecsSrv.URL, "eu-west-1"
		c.Standalone.Clusters = []string{sim.ShopCluster}
		c.Standalone.Interval, c.Standalone.Timeout, c.Standalone.CallTimeout = config.Duration(200*time.Millisecond), config.Duration(200*time.Millisecond), config.Duration(150*time.Millisecond)
		c.Standalone.MaxAttempts = 2
		c.Insights.Enabled, c.Insights.Endpoint, c.Insights.Interval = true, cwSrv.URL, config.Duration(300*time.Millisecond)
		c.Events.Enabled, c.Events.Endpoint, c.Events.Region, c.Events.QueueURL, c.Events.WaitTime = true, sqsSrv.URL, "eu-west-1", queue, config.Duration(time.Second)
	})
	return w
}

// TestFaultAWS: throttling and 5xx are absorbed by retries and counted;
// timeouts and expired credentials take the collector down until they
// clear; nothing is counted twice across the outage.
func TestFaultAWS(t *testing.T) {
	leakCheck(t)
	w := startAWS(t)
	ecsUp := `ecswatch_collector_up{collector="ecsapi"} 1`
	ecsDown := `ecswatch_collector_up{collector="ecsapi"} 0`
	w.waitFor(t, "standalone up", ecsUp)

	w.ecs.Throttle(1)
	time.Sleep(500 * time.Millisecond)
	w.ecs.Fail5xx(1)
	time.Sleep(500 * time.Millisecond)
	w.waitUntil(t, "throttled and 5xx attempts counted, collector still up", func(body string) bool {
		return strings.Contains(body, ecsUp) &&
			value(body, "ecswatch_aws_api_calls_total", `outcome="throttled"`) >= 1 && value(body, "ecswatch_aws_api_calls_total", `outcome="server_error"`) >= 1
	})

	for _, fault := range []struct {
		name  string
		set   func()
		clear func()
	}{
		{"timeouts", func() { w.ecs.SetDelay(time.Second) }, func() { w.ecs.SetDelay(0) }},
		{"expired credentials", func() { w.ecs.ExpireCredentials(1 << 30) }, func() { w.ecs.ExpireCredentials(0) }},
	} {
		fault.set()
		body := w.waitFor(t, fault.name+": down", ecsDown)
		if value(body, "ecs_service_desired_tasks", `ecs_service="catalog"`) != 3 {
			t.Errorf("%s: last services not served while down", fault.name)
		}
		cleared := time.Now()
		fault.clear()
		w.waitFor(t, fault.name+": recovery", ecsUp)
		t.Logf("ECS API %s: recovered %s after the fault cleared", fault.name, time.Since(cleared).Round(time.Millisecond))
	}
	if v := value(w.scrape(t), "ecs_service_deployment_failures_total", `ecs_service="payments"`); v > 1 {
		t.Errorf("payments failures = %v after the outages, want at most 1", v)
	}
}

// TestFaultSQS: with SQS down, events wait in the queue; when it is back,
// each is applied exactly once, also those polling saw meanwhile.
func TestFaultSQS(t *testing.T) {
	leakCheck(t)
	w := startAWS(t)
	evUp, evDown := `ecswatch_collector_up{collector="events"} 1`, `ecswatch_collector_up{collector="events"} 0`
	w.waitFor(t, "events up", evUp)
	w.sqs.SetDown(true)
	w.waitFor(t, "events down", evDown)
	// The first two OOM kills (15s and 75s into the scenario) are published
	// while SQS is down; polling sees the first one too.
	for _, body := range w.publish(0, 80*time.Second) {
		w.sqs.Send("events", body)
	}
	cleared := time.Now()
	w.sqs.SetDown(false)
	body := w.waitFor(t, "events applied", `ecswatch_events_received_total{type="ECS Task State Change"} 2`)
	t.Logf("SQS down: queued events applied %s after it came back", time.Since(cleared).Round(time.Millisecond))
	if v := value(body, "ecs_container_oom_kills_total", `ecs_service="worker"`, `container_name="worker"`); v != 2 {
		t.Errorf("worker OOM kills = %v, want 2: one event each, and polling adds nothing", v)
	}
	// Deleted once a scrape has delivered them.
	w.waitUntil(t, "the applied messages deleted", func(string) bool { return w.sqs.Depth("events") == 0 })
}

// TestFaultPushExportersDown: with no Datadog Agent and no OTLP Collector
// listening, collection and scrapes go on and what is lost is counted.
func TestFaultPushExportersDown(t *testing.T) {
	leakCheck(t)
	dead := func() string {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		return l.Addr().String()
	}
	on := true
	r := start(t, 100*time.Millisecond, sim.DefaultSchedule, func(c *config.Config) {
		c.Exporters.Datadog.Enabled, c.Exporters.Datadog.Address, c.Exporters.Datadog.PushInterval = &on, dead(), config.Duration(100*time.Millisecond)
		c.Exporters.OTLP.Enabled, c.Exporters.OTLP.Endpoint, c.Exporters.OTLP.Insecure = &on, "http://"+dead(), true
		c.Exporters.OTLP.Interval, c.Exporters.OTLP.Timeout = config.Duration(200*time.Millisecond), config.Duration(300*time.Millisecond)
	})
	r.waitFor(t, "first collection", up)
	body := r.waitFor(t, "otlp drops counted", `ecswatch_exporter_dropped_total{exporter="otlp"}`)
	first := value(body, "ecs_container_cpu_usage_seconds_total", `container_name="app"`)
	r.waitUntil(t, "collection to go on while the push exporters' peers are down", func(body string) bool {
		return value(body, "ecs_container_cpu_usage_seconds_total", `container_name="app"`) > first
	})
}

// TestFaultLogsKeepSecretsAndBodies: at info level, the log holds neither
// credentials nor event bodies.
func TestFaultLogsKeepSecretsAndBodies(t *testing.T) {
	w := startAWS(t)
	for _, body := range w.publish(0, 80*time.Second) {
		w.sqs.Send("events", body)
	}
	w.waitFor(t, "events applied", `ecswatch_events_received_total{type="ECS Task State Change"} 2`)
	w.sqs.Send("events", `{"poison": "AKIDSIMULATOR-looking body"}`)
	time.Sleep(300 * time.Millisecond)
	logs := w.logs.String()
	for _, secret := range []string{"simulator", "AKIDSIMULATOR", "Essential container in task exited", "OutOfMemoryError", "circuit breaker", "poison"} {
		if strings.Contains(logs, secret) {
			t.Errorf("the info log contains %q", secret)
		}
	}
}
