package daemon

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ecswatch/ecswatch/internal/config"
	"github.com/ecswatch/ecswatch/internal/sim"
	"github.com/ecswatch/ecswatch/internal/testutil"
)

// running is a daemon started against a simulated task.
type running struct {
	sim    *sim.TaskSim
	url    string
	logs   *testutil.Logs
	cancel context.CancelFunc
	done   chan error
}

func start(t *testing.T, interval time.Duration, sch sim.Schedule, edit ...func(*config.Config)) *running {
	t.Helper()
	ts := sim.NewTaskSim(sim.Fargate, nil).WithSchedule(sch)
	meta := httptest.NewServer(ts.Handler())
	t.Cleanup(meta.Close)

	cfg := config.Default()
	cfg.Web.ListenAddress = "127.0.0.1:0"
	cfg.ShutdownTimeout, cfg.ShutdownLinger = config.Duration(5*time.Second), config.Duration(2*time.Second)
	for _, e := range edit {
		e(cfg)
	}
	cfg.Sidecar.Endpoint = meta.URL
	cfg.Sidecar.Interval = config.Duration(interval)
	cfg.Sidecar.Timeout = config.Duration(interval)
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	logs := &testutil.Logs{}
	d, err := New(cfg, logs.Logger(), WithEnv(func(string) (string, bool) { return "", false }), WithSimulatedAWS())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{sim: ts, url: "http://" + d.Addrs()[0].String(), logs: logs, cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- d.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-r.done })
	return r
}

// stop stops the daemon as SIGTERM would and returns what Run returned.
func (r *running) stop() error {
	r.cancel()
	err := <-r.done
	r.done <- nil // for the cleanup registered by start
	return err
}

func (r *running) scrape(t *testing.T) string {
	t.Helper()
	resp, err := http.Get(r.url + "/metrics")
	if err != nil {
		t.Fatalf("scrape: %v", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("scrape: %s\n%s", resp.Status, body)
	}
	return string(body)
}

func (r *running) waitFor(t *testing.T, what, substr string) string {
	t.Helper()
	return r.waitUntil(t, fmt.Sprintf("%s (%q)", what, substr), func(body string) bool { return strings.Contains(body, substr) })
}

// waitUntil scrapes until ok accepts the body. A scrape may be served a body
// up to a second old, so tests poll rather than sleep and compare.
func (r *running) waitUntil(t *testing.T, what string, ok func(body string) bool) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		body := r.scrape(t)
		if ok(body) {
			return body
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

const (
	up   = `ecswatch_collector_up{collector="taskmeta"} 1`
	down = `ecswatch_collector_up{collector="taskmeta"} 0`
	cpu  = `ecs_container_cpu_usage_seconds_total{container_name="app",ecs_cluster="shop-prod"`
)

// TestScrapeDoesNotWaitForEndpoint: with the endpoint hanging, scrapes are
// answered from the snapshot while a collection is in flight.
func TestScrapeDoesNotWaitForEndpoint(t *testing.T) {
	t.Parallel()
	r := start(t, 2*time.Second, sim.DefaultSchedule)
	r.waitFor(t, "first collection", up)
	r.sim.SetFailMode(sim.FailSlow)
	// Scrapes keep succeeding with data while the next collection hangs;
	// how fast they are is for the benchmarks to say.
	for range 20 {
		if !strings.Contains(r.scrape(t), cpu) {
			t.Fatal("scrape without data while the endpoint hangs")
		}
	}
}

// TestShutdown: cancelling the daemon (SIGTERM) makes one last collection
// and returns within the budget.
func TestShutdown(t *testing.T) {
	t.Parallel()
	r := start(t, time.Hour, sim.Schedule{FirstOOM: time.Hour, Period: time.Hour, RestartDelay: time.Hour})
	r.waitFor(t, "first collection", up)
	// Killed only once the first collection has seen it alive, however
	// slow the start.
	r.sim.OOMKillWorkerIn(100 * time.Millisecond)
	time.Sleep(400 * time.Millisecond) // the worker is now OOM-killed; the hourly poll has not seen it
	r.cancel()
	select {
	case err := <-r.done:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return")
	}
	r.done <- nil // for the cleanup
	if !strings.Contains(r.logs.String(), "counted as OOM kill") {
		t.Errorf("final collection did not record the OOM kill:\n%s", r.logs.String())
	}
}

// shopECS serves the shop scenario's ECS API, begun now, and returns its URL.
func shopECS(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(sim.NewShopECS("eu-west-1", time.Now()))
	t.Cleanup(srv.Close)
	return srv.URL
}
