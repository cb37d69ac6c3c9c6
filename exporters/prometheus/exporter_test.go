package prometheus

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http/httptest"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"weak"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"

	"github.com/ecswatch/ecswatch/collector"
	"github.com/ecswatch/ecswatch/internal/ecsvocab"
	"github.com/ecswatch/ecswatch/internal/promtest"
	"github.com/ecswatch/ecswatch/internal/testutil"
)

type staticSource struct{ snap *collector.Snapshot }

func (s staticSource) Snapshot() *collector.Snapshot { return s.snap }

// fixture is a snapshot with one task of each network shape: Fargate awsvpc
// (interfaces once per task) and EC2 bridge (interfaces per container), with
// a running container, a stopped one and one without stats.
func fixture() *collector.Snapshot {
	start := time.Date(2026, 3, 2, 9, 59, 40, 0, time.UTC)
	net := func(iface string, n float64) []collector.NetworkStats {
		return []collector.NetworkStats{{Interface: iface, RxBytes: 1000 * n, RxPackets: 10 * n, RxErrors: 1, RxDropped: 2, TxBytes: 500 * n, TxPackets: 5 * n, TxErrors: 3, TxDropped: 4}}
	}
	return &collector.Snapshot{
		Time: start.Add(time.Hour),
		Tasks: []*collector.Task{
			{
				ARN: "arn:aws:ecs:us-east-1:111122223333:task/payments/0a1b2c", ID: "0a1b2c", Cluster: "payments",
				Family: "payments-api", Revision: "17", DesiredStatus: "RUNNING", KnownStatus: "RUNNING",
				LaunchType: "FARGATE", NetworkMode: "awsvpc", AvailabilityZone: "us-east-1b",
				CPULimitVCPUs: 0.5, MemoryLimitBytes: 1 << 30,
				HasEphemeralStorage: true, EphemeralStorageUsedBytes: 427 << 20, EphemeralStorageReservedBytes: 20496 << 20,
				PullStartedAt: start, PullStoppedAt: start.Add(12250 * time.Millisecond),
				Networks: net("eth1", 7),
				Containers: []collector.Container{
					{Name: "api", DockerID: "0a1b2c-1", Image: "payments-api:2.3.1", State: collector.StateRunning, CPULimitVCPUs: 0.25, HealthStatus: "UNHEALTHY",
						Stats: &collector.ContainerStats{CPUUsageSeconds: 12.5, HasCPUThrottled: true, CPUThrottledSeconds: 0.25,
							HasMemoryUsage: true, MemoryUsageBytes: 3e8, HasMemoryWorkingSet: true, MemoryWorkingSetBytes: 2e8,
							HasMemoryCache: true, MemoryCacheBytes: 1e8, MemoryLimitBytes: 1 << 30, HasBlockIO: true, BlockReadBytes: 4096, BlockWriteBytes: 8192}},
					{Name: "migrate", DockerID: "0a1b2c-2", Image: "payments-api:2.3.1", State: collector.StateStopped, HasExitCode: true},
				},
			},
			{
				ARN: "arn:aws:ecs:eu-central-1:444455556666:task/orders/5d1e2f", ID: "5d1e2f", Cluster: "orders", Service: "orders-web",
				Family: "orders-web", Revision: "203", DesiredStatus: "RUNNING", KnownStatus: "RUNNING",
				LaunchType: "EC2", NetworkMode: "bridge", AvailabilityZone: "eu-central-1a",
				Containers: []collector.Container{
					{Name: "app", DockerID: "01cf", Image: "orders:9.1.0", State: collector.StateRunning, CPULimitVCPUs: 1, MemoryReservationBytes: 1 << 30, Restarts: 2, OOMKills: 1,
						Stats: &collector.ContainerStats{CPUUsageSeconds: 2.5, HasCPUThrottled: true, HasMemoryUsage: true, MemoryUsageBytes: 265249280,
							HasMemoryWorkingSet: true, MemoryWorkingSetBytes: 247607808, MemoryLimitBytes: 1 << 30,
							HasPIDs: true, PIDs: 33, Networks: net("eth0", 3)}},
					{Name: "warmup", DockerID: "213e", Image: "alpine:3.20", State: collector.StatePending},
				},
			},
		},
		Services: []*collector.Service{
			{
				Cluster: "shop-prod", Name: "checkout", LaunchType: "EC2", Desired: 4, Running: 5, MaximumPercent: 200,
				Deployments: []collector.Deployment{
					{ID: "ecs-svc/12", Status: "PRIMARY", TaskDefinition: "checkout:12", RolloutState: "IN_PROGRESS", Desired: 4, Running: 1, Failed: 2, CreatedAt: start},
					{ID: "ecs-svc/11", Status: "ACTIVE", TaskDefinition: "checkout:11", RolloutState: "COMPLETED", Desired: 4, Running: 4, CreatedAt: start.Add(-time.Hour)},
				},
				Health: collector.ServiceHealth{RevisionsRunning: 2, MixedSince: start, MixedFor: 40 * time.Minute, Stuck: collector.StuckPlacementFailure,
					HasHeadroom: true, HeadroomTasks: 0, SurgeTasks: 4, HeadroomState: collector.HeadroomStalled},
				TaskHealth: []collector.TaskHealthCount{{TaskDefinition: "checkout:11", Status: "HEALTHY", Count: 4}, {TaskDefinition: "checkout:11", Status: "UNHEALTHY", Count: 0},
					{TaskDefinition: "checkout:11", Status: "UNKNOWN", Count: 0}, {TaskDefinition: "checkout:12", Status: "HEALTHY", Count: 0},
					{TaskDefinition: "checkout:12", Status: "UNHEALTHY", Count: 1}, {TaskDefinition: "checkout:12", Status: "UNKNOWN", Count: 0}},
				Providers:    []collector.ProviderCount{{Provider: "cp-checkout", Count: 5}},
				Provisioning: collector.Provisioning{Tasks: 2, Since: start.Add(50 * time.Minute)},
			},
			{
				Cluster: "shop-prod", Name: "payments", LaunchType: "FARGATE", Desired: 2, Running: 2,
				Deployments: []collector.Deployment{{ID: "ecs-svc/99", Status: "PRIMARY", TaskDefinition: "payments:4", RolloutState: "COMPLETED", Desired: 2, Running: 2, CreatedAt: start}},
				Health:      collector.ServiceHealth{RevisionsRunning: 1},
			},
			{
				Cluster: "shop-prod", Name: "search", LaunchType: "FARGATE", Desired: 4, Running: 8, Controller: "ECS", Strategy: "CANARY",
				Deployments: []collector.Deployment{{ID: "ecs-svc/31", Status: "PRIMARY", TaskDefinition: "search:31", RolloutState: "IN_PROGRESS", Desired: 4, Running: 4, CreatedAt: start}},
				Rollout: &collector.Rollout{
					ARN: "arn:aws:ecs:eu-west-1:123456789012:service-deployment/shop-prod/search/sd31", ID: "sd31",
					Status: "IN_PROGRESS", Stage: "PRODUCTION_TRAFFIC_SHIFT", CreatedAt: start, StartedAt: start, UpdatedAt: start,
					CircuitBreaker: collector.RolloutMonitor{Status: "MONITORING", FailureCount: 1, Threshold: 3},
					Alarms:         collector.RolloutMonitor{Status: "MONITORING"}, HooksAwaiting: 1,
					Revisions: []collector.RolloutRevision{
						{ID: "rev30", Requested: 4, Running: 4, HasWeights: true, ProductionWeight: 90},
						{ID: "rev31", Target: true, Requested: 4, Running: 4, HasWeights: true, ProductionWeight: 10, TestWeight: 100},
					},
				},
				Health: collector.ServiceHealth{RevisionsRunning: 2, MixedSince: start, MixedFor: 5 * time.Minute, AwaitingFor: 2 * time.Minute,
					HasBreaker: true, BreakerFailures: 1, BreakerThreshold: 3},
			},
			{
				Cluster: "shop-prod", Name: "legacy", LaunchType: "EC2", Desired: 4, Running: 8, Controller: "CODE_DEPLOY",
				TaskSets: []collector.TaskSet{
					{ID: "ecs-svc/71", Status: "PRIMARY", TaskDefinition: "legacy:7", ScalePercent: 100, Desired: 4, Running: 4, Stability: "STEADY_STATE"},
					{ID: "ecs-svc/72", Status: "ACTIVE", TaskDefinition: "legacy:8", ExternalID: "d-ABC123", ScalePercent: 100, Desired: 4, Running: 4, Stability: "STABILIZING"},
				},
				Health: collector.ServiceHealth{RevisionsRunning: 2, MixedSince: start, MixedFor: 10 * time.Minute},
			},
		},
		Events: []collector.EventCount{
			{Kind: collector.EventDeploymentFailed, Identity: &collector.Identity{Cluster: "shop-prod", Service: "payments"}, Label: "circuit_breaker", Count: 1},
			{Kind: collector.EventRollbackFailed, Identity: &collector.Identity{Cluster: "shop-prod", Service: "payments"}, Count: 0},
			{Kind: collector.EventOOMKill, Identity: &collector.Identity{Cluster: "shop-prod", Service: "worker", Family: "worker"}, Container: "worker", Count: 3},
			{Kind: collector.EventPlacementFailure, Identity: &collector.Identity{Cluster: "shop-prod", Service: "checkout"}, Label: "insufficient_memory", Count: 7},
			{Kind: collector.EventTaskStopped, Identity: &collector.Identity{Cluster: "shop-prod", Service: "worker"}, Label: "EssentialContainerExited", Count: 3},
			{Kind: collector.EventTaskStopReason, Identity: &collector.Identity{Cluster: "shop-prod", Service: "worker"}, Label: "oom", Count: 3},
			{Kind: collector.EventServiceAction, Identity: &collector.Identity{Cluster: "shop-prod", Service: "worker"}, Label: "SERVICE_TASK_START_IMPAIRED", Count: 1},
			{Kind: collector.EventInstanceChange, Identity: &collector.Identity{Cluster: "shop-prod"}, Label: "agent_disconnected", Count: 2},
			{Kind: collector.EventDeploymentStuck, Identity: &collector.Identity{Cluster: "shop-prod", Service: "checkout"}, Label: "placement_failure", Count: 1},
		},
		Clusters: []*collector.Cluster{{Name: "shop-prod", Instances: []collector.InstanceCount{
			{Status: "ACTIVE", AgentConnected: true, CapacityProvider: "cp-checkout", Count: 3},
			{Status: "ACTIVE", AgentConnected: false, CapacityProvider: "cp-checkout", Count: 1},
			{Status: "DRAINING", AgentConnected: true, CapacityProvider: "cp-checkout", Count: 1},
		}}},
		APICalls: []collector.APICallCount{
			{Service: "ECS", Operation: "DescribeServices", Outcome: "success", Count: 40},
			{Service: "ECS", Operation: "DescribeServices", Outcome: "throttled", Count: 2},
		},
		Insights: insightsFixture(start),
		Counts: []collector.DaemonCount{
			{Name: "ecswatch_events_received_total", Label: "ECS Task State Change", Count: 4},
			{Name: "ecswatch_events_received_total", Label: "invalid", Count: 1},
			{Name: "ecswatch_sd_task_definitions_skipped_total", Label: "invalid_port", Count: 1},
			{Name: collector.DroppedMetric, Label: "datadog", Count: 3},
		},
		Collectors: []collector.CollectorHealth{
			{Name: "ecsapi", Up: false, LastDuration: 2 * time.Second, Errors: 1},
			{Name: "taskmeta", Up: true, LastDuration: 3 * time.Millisecond, Errors: 2, LastSuccess: start.Add(time.Hour)},
		},
	}
}

// render is e's snapshot as /metrics encodes it, without the self-metrics.
func render(t testing.TB, e *Exporter) []byte {
	t.Helper()
	return encodeAs(t, e, textFormat)
}

func encodeAs(t testing.TB, e *Exporter, format expfmt.Format) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := e.Encode(e.source.Snapshot(), nil, &buf, format); err != nil {
		t.Fatalf("encode: %v", err)
	}
	return buf.Bytes()
}

// gathered is e's snapshot as promhttp would serve it from a registry: the
// reference the direct encoding must equal, bad samples left out alike.
func gathered(t testing.TB, e *Exporter, format expfmt.Format) ([]byte, error) {
	t.Helper()
	reg := prometheus.NewRegistry()
	reg.MustRegister(e)
	mfs, gatherErr := reg.Gather()
	var buf bytes.Buffer
	enc := expfmt.NewEncoder(&buf, format)
	for _, mf := range mfs {
		if err := enc.Encode(mf); err != nil {
			t.Fatal(err)
		}
	}
	if c, ok := enc.(expfmt.Closer); ok {
		_ = c.Close()
	}
	return buf.Bytes(), gatherErr
}

// TestEncodingIsWhatARegistryServes: /metrics encodes the snapshot family
// by family rather than through a registry's Gather, so that a large
// cluster's series never all exist as client_golang metrics at once; the
// bytes must be the same in every format Prometheus negotiates, bad samples
// included.
func TestEncodingIsWhatARegistryServes(t *testing.T) {
	t.Parallel()
	bad := fixture()
	task := *bad.Tasks[0]
	task.Containers = append(slices.Clone(task.Containers), task.Containers[0]) // the same container twice
	task.Containers = append(task.Containers, collector.Container{Name: "caf\xe9"})
	bad.Tasks = append([]*collector.Task{&task}, bad.Tasks[1:]...)
	for _, tt := range []struct {
		name    string
		snap    *collector.Snapshot
		opts    Options
		wantErr bool
	}{
		{"every family", fixture(), Options{IdentityLabels: true}, false},
		{"sidecar without identity", fixture(), Options{IdentityLabels: false}, false},
		{"duplicate series and a label that is not UTF-8", bad, Options{IdentityLabels: true}, true},
	} {
		for _, format := range []expfmt.Format{
			textFormat,
			expfmt.NewFormat(expfmt.TypeOpenMetrics),
			expfmt.NewFormat(expfmt.TypeProtoDelim),
		} {
			// Families in chunks of one and two series encode as whole
			// ones do (familyChunk's are too large for the fixture).
			for _, chunk := range []int{familyChunk, 1, 2} {
				t.Run(fmt.Sprintf("%s/%s/chunks of %d", tt.name, format, chunk), func(t *testing.T) {
					t.Parallel()
					e := New(staticSource{tt.snap}, tt.opts)
					want, gatherErr := gathered(t, e, format)
					if (gatherErr != nil) != tt.wantErr {
						t.Fatalf("gather error %v, want one: %v", gatherErr, tt.wantErr)
					}
					var buf bytes.Buffer
					err := e.encode(tt.snap, nil, &buf, format, chunk)
					if (err != nil) != tt.wantErr {
						t.Errorf("encode error %v, want one: %v", err, tt.wantErr)
					}
					if !bytes.Equal(buf.Bytes(), want) {
						t.Errorf("encoded body differs from the registry's:\n%s", diffLines(string(want), buf.String()))
					}
				})
			}
		}
	}
}

// diffLines lists the lines only one side has.
func diffLines(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var out []string
	for _, l := range w {
		if !slices.Contains(g, l) {
			out = append(out, "- "+l)
		}
	}
	for _, l := range g {
		if !slices.Contains(w, l) {
			out = append(out, "+ "+l)
		}
	}
	if len(out) == 0 {
		return "(same lines, different order)"
	}
	return strings.Join(out, "\n")
}

func TestGolden(t *testing.T) {
	t.Parallel()
	sidecarOnly := fixture()
	sidecarOnly.Services, sidecarOnly.Events, sidecarOnly.APICalls, sidecarOnly.Counts, sidecarOnly.Insights = nil, nil, nil, nil, nil
	for _, tt := range []struct {
		file string
		snap *collector.Snapshot
		opts Options
	}{
		{"testdata/metrics.prom", fixture(), Options{IdentityLabels: true}},
		// Without identity labels, as a sidecar scraped through ECS service
		// discovery; config validation rules this out with standalone on.
		{"testdata/metrics_no_identity.prom", sidecarOnly, Options{IdentityLabels: false}},
	} {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			got := render(t, New(staticSource{tt.snap}, tt.opts))
			testutil.Golden(t, tt.file, got)
			promtest.CheckMetrics(t, got)
		})
	}
}

func TestEmptySnapshot(t *testing.T) {
	t.Parallel()
	got := render(t, New(staticSource{&collector.Snapshot{}}, Options{IdentityLabels: true}))
	if len(got) != 0 {
		t.Errorf("empty snapshot rendered:\n%s", got)
	}
}

// TestHandler checks the endpoints and that TLS/auth-free defaults serve.
func TestHandler(t *testing.T) {
	t.Parallel()
	ready := false
	h := fixtureHandler(t, ServerConfig{Ready: func() bool { return ready }})
	get := func(path string) (int, string) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		return rec.Code, rec.Body.String()
	}
	if code, body := get("/metrics"); code != 200 || !strings.Contains(body, "ecswatch_build_info{") || !strings.Contains(body, `ecs_container_oom_kills_total{container_name="app"`) {
		t.Errorf("/metrics: %d\n%s", code, body)
	}
	if code, _ := get("/healthz"); code != 200 {
		t.Errorf("/healthz: %d", code)
	}
	if code, _ := get("/readyz"); code != 503 {
		t.Errorf("/readyz before ready: %d", code)
	}
	ready = true
	if code, _ := get("/readyz"); code != 200 {
		t.Errorf("/readyz when ready: %d", code)
	}
	if code, body := get("/"); code != 200 || !strings.Contains(body, "/metrics") {
		t.Errorf("landing page: %d", code)
	}
}

// tenContainers is a Fargate task with ten running containers, the size the
// sidecar benchmarks use.
func tenContainers() *collector.Snapshot {
	s := fixture()
	t := *s.Tasks[0]
	t.Containers = nil
	for i := range 10 {
		c := s.Tasks[0].Containers[0]
		c.Name = "container-" + string(rune('a'+i))
		t.Containers = append(t.Containers, c)
	}
	s.Tasks = []*collector.Task{&t}
	return s
}

// BenchmarkScrape measures one /metrics scrape of a ten-container task,
// through the same handler Prometheus hits, as Prometheus asks for it.
func BenchmarkScrape(b *testing.B) {
	reg, err := NewRegistry(true)
	if err != nil {
		b.Fatal(err)
	}
	h, err := NewHandler(reg, New(staticSource{tenContainers()}, Options{IdentityLabels: true}), ServerConfig{}, discardLogger())
	if err != nil {
		b.Fatal(err)
	}
	// As Prometheus asks: gzip, and the format it negotiates.
	req := httptest.NewRequest("GET", "/metrics", nil)
	req.Header.Set("Accept-Encoding", "gzip")
	req.Header.Set("Accept", "application/openmetrics-text;version=1.0.0;escaping=underscores;q=0.5,text/plain;version=0.0.4;q=0.4,*/*;q=0.1")
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != 200 {
			b.Fatal(rec.Code)
		}
	}
}

// BenchmarkRender measures one render as the watcher does it for each
// published snapshot: the snapshot and self-metrics encoded into gzip.
func BenchmarkRender(b *testing.B) {
	h := cachingFor(b, staticSource{tenContainers()}, time.Second)
	b.ReportAllocs()
	for b.Loop() {
		mfs, err := h.gatherer.Gather()
		if err != nil {
			b.Fatal(err)
		}
		b.SetBytes(int64(len(h.encode(h.exporter.source.Snapshot(), mfs, textFormat, true))))
	}
}

// BenchmarkCollect measures the exporter alone: snapshot to const metrics.
func BenchmarkCollect(b *testing.B) {
	e := New(staticSource{tenContainers()}, Options{IdentityLabels: true})
	ch := make(chan prometheus.Metric, 1024)
	b.ReportAllocs()
	for b.Loop() {
		e.Collect(ch)
		for len(ch) > 0 {
			<-ch
		}
	}
}

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

// insightsFixture has one datapoint of every Container Insights metric,
// two minutes old, at the first level it is published at, ordered by metric
// as the Store orders them.
func insightsFixture(now time.Time) []collector.InsightsSample {
	var out []collector.InsightsSample
	for i, m := range ecsvocab.Metrics {
		s := collector.InsightsSample{Metric: m.CloudWatch, Value: float64(i+1) * m.Scale, Time: now.Add(-2 * time.Minute).Truncate(time.Minute),
			Identity: &collector.Identity{Cluster: "shop-prod"}}
		switch m.Levels[0] {
		case ecsvocab.Service:
			s.Identity.Service = "checkout"
		case ecsvocab.Family:
			s.Identity.Family = "checkout"
		case ecsvocab.Container:
			s.Identity.Service, s.Container = "checkout", "app"
		}
		out = append(out, s)
	}
	slices.SortFunc(out, func(a, b collector.InsightsSample) int { return strings.Compare(a.Metric, b.Metric) })
	return out
}

type swapSource struct {
	snap atomic.Pointer[collector.Snapshot]
}

func (s *swapSource) Snapshot() *collector.Snapshot { return s.snap.Load() }

// cachingFor returns a caching handler over the registry of an exporter that
// reads src, as NewHandler builds it.
func cachingFor(tb testing.TB, src Source, maxAge time.Duration) *cachingHandler {
	tb.Helper()
	reg, err := NewRegistry(true)
	if err != nil {
		tb.Fatal(err)
	}
	return newCachingHandler(reg, New(src, Options{IdentityLabels: true}), maxAge, discardLogger(), nil)
}

// TestCachedScrapeFollowsSnapshots pins when a scrape is served the cached
// body, when it waits for a render and when one runs in the background, for
// a source that does not tell when it publishes.
func TestCachedScrapeFollowsSnapshots(t *testing.T) {
	t.Parallel()
	src := &swapSource{}
	src.snap.Store(fixture())
	clk := testutil.NewClock(time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC))
	h := cachingFor(t, src, time.Hour) // no timer render during the test
	h.now = clk.Now
	scrape := func() string {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
		return rec.Body.String()
	}
	// background waits for the render a scrape may have started.
	background := func() {
		h.mu.Lock()
		done := h.rendering
		h.mu.Unlock()
		if done != nil {
			<-done
		}
	}
	renamed := func(name string) {
		snap := fixture()
		snap.Tasks[0].Containers[0].Name = name
		src.snap.Store(snap)
	}
	has := func(body, name string) bool {
		return strings.Contains(body, `ecs_container_cpu_usage_seconds_total{container_name="`+name+`",`)
	}

	if !has(scrape(), "api") {
		t.Fatal("the first scrape was not rendered for it")
	}
	renamed("api-v2")
	if !has(scrape(), "api") {
		t.Error("a new snapshot was rendered sooner than renderShare allows")
	}
	clk.Advance(time.Second) // renders take far less than a tenth of it
	if !has(scrape(), "api") {
		t.Error("the cached body was not served while the new snapshot renders")
	}
	background()
	if !has(scrape(), "api-v2") {
		t.Error("a new snapshot was not rendered in the background")
	}

	// Past stale, no watcher kept the body fresh: the scrape renders.
	renamed("api-v3")
	clk.Advance(h.stale())
	if !has(scrape(), "api-v3") {
		t.Error("a body no watcher kept fresh was served")
	}

	rec := httptest.NewRecorder()
	req := httptest.NewRequest("GET", "/metrics", nil)
	req.Header.Set("Accept-Encoding", "gzip")
	h.ServeHTTP(rec, req)
	zr, err := gzip.NewReader(rec.Body)
	if err != nil || rec.Header().Get("Content-Encoding") != "gzip" {
		t.Fatalf("no gzip body for a client that asks for it: %v", err)
	}
	if plain, err := io.ReadAll(zr); err != nil || !has(string(plain), "api-v3") {
		t.Errorf("gzip body does not decode to the metrics: %v", err)
	}
}

// publishingSource is a source that tells when it publishes, as a Store
// does.
type publishingSource struct {
	swapSource
	mu   sync.Mutex
	next chan struct{}
}

func newPublishingSource(snap *collector.Snapshot) *publishingSource {
	p := &publishingSource{next: make(chan struct{})}
	p.snap.Store(snap)
	return p
}

func (p *publishingSource) Published() <-chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.next
}

func (p *publishingSource) publish(snap *collector.Snapshot) {
	p.snap.Store(snap)
	p.mu.Lock()
	defer p.mu.Unlock()
	close(p.next)
	p.next = make(chan struct{})
}

// TestScrapesNeverRenderAPublishedSnapshot: once scraped, the handler renders
// each snapshot as it is published, so the scrapes that follow, at any
// cadence, are served the new body without rendering anything.
func TestScrapesNeverRenderAPublishedSnapshot(t *testing.T) {
	t.Parallel()
	src := newPublishingSource(fixture())
	h := cachingFor(t, src, time.Hour)
	scrape := func() { h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/metrics", nil)) }
	current := func() *body {
		h.mu.Lock()
		defer h.mu.Unlock()
		return h.cur
	}
	scrape() // the first scrape renders, and starts the watcher
	for i := range 3 {
		snap := fixture()
		snap.Tasks[0].Containers[0].Name = fmt.Sprintf("api-%d", i)
		src.publish(snap)
		deadline := time.Now().Add(10 * time.Second)
		for current().snap != weak.Make(snap) {
			if time.Now().After(deadline) {
				t.Fatalf("snapshot %d was not rendered when published", i)
			}
			time.Sleep(time.Millisecond)
		}
		before := current()
		scrape()
		if after := current(); after != before {
			t.Errorf("snapshot %d: a scrape rendered", i)
		}
	}
}

// slowGatherer takes a while to gather, and counts its gatherings.
type slowGatherer struct {
	prometheus.Gatherer
	took time.Duration
	n    atomic.Int64
}

func (g *slowGatherer) Gather() ([]*dto.MetricFamily, error) {
	g.n.Add(1)
	time.Sleep(g.took)
	return g.Gatherer.Gather()
}

// TestRendersTakeATenthOfTheTime: at ten times the standalone scale a
// render takes about a second and twenty clusters publish in turn; the
// handler must not render back to back. Snapshots published while it
// waits are rendered together, and the last one is always rendered.
func TestRendersTakeATenthOfTheTime(t *testing.T) {
	t.Parallel()
	src := newPublishingSource(fixture())
	h := cachingFor(t, src, time.Hour)
	slow := &slowGatherer{Gatherer: h.gatherer, took: 20 * time.Millisecond}
	h.gatherer = slow
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/metrics", nil)) // starts the watcher
	began := time.Now()
	var last *collector.Snapshot
	for i := range 30 {
		last = fixture()
		last.Tasks[0].Containers[0].Name = fmt.Sprintf("api-%d", i)
		src.publish(last)
		time.Sleep(10 * time.Millisecond)
	}
	published := time.Since(began)
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
		h.mu.Lock()
		done := h.cur.snap == weak.Make(last)
		h.mu.Unlock()
		if done {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the last snapshot published was never rendered")
		}
	}
	// One render for the first scrape, then at most one per ten times a
	// render's cost (at least the gathering's) while publishing, and the last.
	if renders, most := slow.n.Load(), int64(published/(10*slow.took))+3; renders > most {
		t.Errorf("%d renders for 30 snapshots published over %s, want at most %d", renders, published.Round(time.Millisecond), most)
	}
}

// TestRenderEncodesWhatPrometheusAsksFor: Prometheus sends Accept, and the
// format negotiated for it is not the bare text format; a render encodes
// that one ahead, so that its scrapes never encode.
func TestRenderEncodesWhatPrometheusAsksFor(t *testing.T) {
	t.Parallel()
	src := &swapSource{}
	src.snap.Store(fixture())
	h := cachingFor(t, src, time.Hour)
	const accept = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"
	req := httptest.NewRequest("GET", "/metrics", nil)
	req.Header.Set("Accept", accept)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	asked := expfmt.Format(rec.Header().Get("Content-Type"))

	src.snap.Store(fixture()) // a new snapshot: the next scrape renders in the background
	h.ServeHTTP(httptest.NewRecorder(), req)
	h.mu.Lock()
	done := h.rendering
	h.mu.Unlock()
	if done != nil {
		<-done
	}
	h.mu.Lock()
	b := h.cur
	h.mu.Unlock()
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.enc[asked] == nil {
		t.Errorf("the background render encoded %v, not %q that Prometheus asked for", slices.Collect(maps.Keys(b.enc)), asked)
	}
}

// TestConcurrentScrapesShareRenders: many scrapes at once all get a body,
// while snapshots keep changing (run with -race).
func TestConcurrentScrapesShareRenders(t *testing.T) {
	t.Parallel()
	src := &swapSource{}
	src.snap.Store(fixture())
	h := cachingFor(t, src, time.Millisecond)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 50 {
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
				if rec.Code != 200 || !strings.Contains(rec.Body.String(), "ecs_container_cpu_usage_seconds_total") {
					t.Errorf("scrape got %d, %d bytes", rec.Code, rec.Body.Len())
					return
				}
			}
		})
	}
	for range 50 {
		src.snap.Store(fixture())
	}
	wg.Wait()
}

// panicky is a Gatherer that panics while panics is set.
type panicky struct {
	prometheus.Gatherer
	panics atomic.Bool
}

func (p *panicky) Gather() ([]*dto.MetricFamily, error) {
	if p.panics.Load() {
		panic("gatherer bug")
	}
	return p.Gatherer.Gather()
}

// TestRenderPanicDoesNotWedge: a render that panics (net/http recovers a
// scrape's panic) leaves no render marked as running and no half body, so
// the next scrape renders again.
func TestRenderPanicDoesNotWedge(t *testing.T) {
	t.Parallel()
	h := cachingFor(t, staticSource{fixture()}, time.Second)
	g := &panicky{Gatherer: h.gatherer}
	h.gatherer = g
	g.panics.Store(true)
	func() {
		defer func() { _ = recover() }()
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/metrics", nil))
	}()
	if h.cur != nil || h.rendering != nil {
		t.Fatalf("after a panic: body %v, rendering %v", h.cur, h.rendering)
	}
	g.panics.Store(false)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), "ecs_container_cpu_usage_seconds_total") {
		t.Errorf("scrape after the panic: %d, %d bytes", rec.Code, rec.Body.Len())
	}
}

// TestBodiesDoNotKeepTheirSnapshots: scrapes in flight hold the bodies they
// write, and a body must not keep its snapshot alive once the source has
// replaced it (at 10x each one is megabytes). A format first asked for
// after that is encoded from the newest snapshot.
func TestBodiesDoNotKeepTheirSnapshots(t *testing.T) {
	t.Parallel()
	named := func(name string) *collector.Snapshot {
		snap := fixture()
		snap.Tasks[0].Containers[0].Name = name
		return snap
	}
	src := &swapSource{}
	src.snap.Store(named("api"))
	h := cachingFor(t, src, time.Hour)
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/metrics", nil))
	h.mu.Lock()
	b := h.cur
	h.mu.Unlock()

	src.snap.Store(named("api-v2"))
	for i := 0; b.snap.Value() != nil; i++ {
		if i == 100 {
			t.Fatal("the body keeps its replaced snapshot alive")
		}
		runtime.GC()
	}
	om := expfmt.NewFormat(expfmt.TypeOpenMetrics)
	if body := string(h.encoded(b, nil, om, false)); !strings.Contains(body, `container_name="api-v2"`) {
		t.Errorf("a format asked for after the body's snapshot went was not encoded from the newest:\n%s", body)
	}
}
