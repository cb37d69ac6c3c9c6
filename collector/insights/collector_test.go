package insights

import (
	"fmt"
	"log/slog"
	"maps"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"

	"github.com/ecswatch/ecswatch/collector"
	"github.com/ecswatch/ecswatch/internal/awsapi"
	"github.com/ecswatch/ecswatch/internal/catalog"
	"github.com/ecswatch/ecswatch/internal/ecsvocab"
	"github.com/ecswatch/ecswatch/internal/sim"
	"github.com/ecswatch/ecswatch/internal/testutil"
)

var start = time.Date(2026, 3, 2, 10, 0, 30, 0, time.UTC)

type fixture struct {
	clock *testutil.Clock
	fake  *sim.CloudWatch
	store *collector.Store
	c     *Collector
}

// newFixture serves the CloudWatch fake to the real SDK client, with the
// services the standalone collector would have published.
func newFixture(t testing.TB, enhanced bool, services ...*collector.Service) *fixture {
	t.Helper()
	clk := testutil.NewClock(start)
	fake := sim.NewCloudWatch(clk.Now)
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	store := collector.NewStore(clk.Now)
	store.SetServices("ecsapi", services)
	cfg, err := awsapi.LoadConfig(t.Context(), awsapi.Simulator(srv.URL, "eu-west-1"), store)
	if err != nil {
		t.Fatal(err)
	}
	c := New(cloudwatch.NewFromConfig(cfg), store, slog.New(slog.DiscardHandler), Options{
		Period: time.Minute, Delay: time.Minute, Lookback: 10 * time.Minute, StaleAfter: 15 * time.Minute,
		Enhanced: enhanced, CallTimeout: 10 * time.Second,
	})
	c.SetClock(clk.Now)
	return &fixture{clock: clk, fake: fake, store: store, c: c}
}

func svc(cluster, name, family string, containers ...string) *collector.Service {
	var tcs []collector.TaskContainer
	for _, c := range containers {
		tcs = append(tcs, collector.TaskContainer{Family: family, Name: c})
	}
	return &collector.Service{Cluster: cluster, Name: name, TaskContainers: tcs,
		Deployments: []collector.Deployment{{ID: "d-" + name, Status: "PRIMARY", TaskDefinition: family + ":3"}}}
}

func sample(t *testing.T, s *collector.Snapshot, metric string, id collector.Identity, container string) (collector.InsightsSample, bool) {
	t.Helper()
	for _, in := range s.Insights {
		if in.Metric == metric && in.Identity != nil && *in.Identity == id && in.Container == container {
			return in, true
		}
	}
	return collector.InsightsSample{}, false
}

// TestBatching: queries go out 500 to a call; 1,234 take 3 calls.
func TestBatching(t *testing.T) {
	t.Parallel()
	for _, n := range []int{1, 500, 501, 1234} {
		f := newFixture(t, false)
		base := f.c.Queries(&collector.Snapshot{Services: []*collector.Service{svc("c", "s", "f")}})
		var qs []query
		for i := range n {
			q := base[i%len(base)]
			q.identity = &collector.Identity{Cluster: q.identity.Cluster, Service: q.identity.Service, Family: q.identity.Family, TaskID: fmt.Sprint(i)} // distinct series
			qs = append(qs, q)
		}
		if err := f.c.collect(t.Context(), slices.Values(qs)); err != nil {
			t.Fatal(err)
		}
		calls, queries := f.fake.Calls()
		if want := (n + MaxQueries - 1) / MaxQueries; calls != want || queries != n {
			t.Errorf("%d queries: %d calls carrying %d, want %d calls", n, calls, queries, want)
		}
	}
}

// TestQueriesFromServices: dimensions come from the services the ECS API
// reported, at cluster, service, family and (enhanced) container level.
func TestQueriesFromServices(t *testing.T) {
	t.Parallel()
	snap := &collector.Snapshot{Services: []*collector.Service{
		svc("shop", "web", "web", "nginx", "app"), svc("shop", "web-canary", "web", "app"), svc("shop", "worker", "worker", "worker"),
	}}
	count := func(enhanced bool) map[ecsvocab.Level]int {
		f := newFixture(t, enhanced)
		levels := map[ecsvocab.Level]int{}
		for _, q := range f.c.Queries(snap) {
			dims := q.dimensions()
			switch len(dims) {
			case 1:
				levels[ecsvocab.Cluster]++
			case 3:
				levels[ecsvocab.Container]++
			default:
				if *dims[1].Name == "ServiceName" {
					levels[ecsvocab.Service]++
				} else {
					levels[ecsvocab.Family]++
				}
			}
		}
		return levels
	}
	// 1 cluster x 13, 3 services x 15, 2 families x 10.
	if got := count(false); got[ecsvocab.Cluster] != 13 || got[ecsvocab.Service] != 45 || got[ecsvocab.Family] != 20 || got[ecsvocab.Container] != 0 {
		t.Errorf("standard queries by level: %v", got)
	}
	// Enhanced adds 3 per service and 4 per container name of a service.
	if got := count(true); got[ecsvocab.Service] != 54 || got[ecsvocab.Container] != 16 {
		t.Errorf("enhanced queries by level: %v", got)
	}
}

// TestClustersBeyondTheServices: insights.clusters adds the cluster-level
// metrics of clusters the standalone collector does not watch, and takes
// nothing away from those it does.
func TestClustersBeyondTheServices(t *testing.T) {
	t.Parallel()
	f := newFixture(t, false)
	f.c.opts.Clusters = []string{"batch", "shop"}
	clusterLevel, serviceLevel := map[string]int{}, map[string]int{}
	for _, q := range f.c.Queries(&collector.Snapshot{Services: []*collector.Service{svc("shop", "web", "web"), svc("payments", "api", "api")}}) {
		switch dims := q.dimensions(); {
		case len(dims) == 1:
			clusterLevel[q.identity.Cluster]++
		case *dims[1].Name == "ServiceName":
			serviceLevel[q.identity.Cluster+"/"+q.identity.Service]++
		}
	}
	if want := map[string]int{"batch": 13, "shop": 13, "payments": 13}; !maps.Equal(clusterLevel, want) {
		t.Errorf("cluster-level queries: %v, want %v", clusterLevel, want)
	}
	if want := map[string]int{"shop/web": 15, "payments/api": 15}; !maps.Equal(serviceLevel, want) {
		t.Errorf("service-level queries: %v, want %v", serviceLevel, want)
	}
}

// TestValues: unit conversion, missing data and per-datapoint timestamps.
func TestValues(t *testing.T) {
	t.Parallel()
	f := newFixture(t, true, svc("shop", "payments", "payments", "payments"), svc("shop", "worker", "worker", "worker"))
	f.fake.Missing = func(metric string, dims map[string]string) bool {
		return sim.FargateOnlyMissing(metric, dims) && metric != "ContainerMemoryUtilized" && metric != "TaskCpuUtilization"
	}
	if err := f.c.Collect(t.Context()); err != nil {
		t.Fatal(err)
	}
	s := f.store.Snapshot()
	// With a 90s publication lag and the window ending a minute before now
	// (10:00:30), the newest published minute is 09:58.
	newest := time.Date(2026, 3, 2, 9, 58, 0, 0, time.UTC)
	payments := collector.Identity{Cluster: "shop", Service: "payments"}
	dims := map[string]string{"ClusterName": "shop", "ServiceName": "payments"}
	tests := []struct {
		metric    string
		id        collector.Identity
		container string
		want      float64
	}{
		{"CpuUtilized", payments, "", sim.InsightsValue("CpuUtilized", dims, newest) / 1024},
		{"MemoryReserved", payments, "", sim.InsightsValue("MemoryReserved", dims, newest) * (1 << 20)},
		{"EphemeralStorageUtilized", payments, "", sim.InsightsValue("EphemeralStorageUtilized", dims, newest) * (1 << 30)},
		{"TaskCpuUtilization", payments, "", sim.InsightsValue("TaskCpuUtilization", dims, newest) / 100},
		{"RunningTaskCount", payments, "", sim.InsightsValue("RunningTaskCount", dims, newest)},
		{"ContainerMemoryUtilized", payments, "payments", sim.InsightsValue("ContainerMemoryUtilized",
			map[string]string{"ClusterName": "shop", "ServiceName": "payments", "ContainerName": "payments"}, newest) * (1 << 20)},
		{"ServiceCount", collector.Identity{Cluster: "shop"}, "", sim.InsightsValue("ServiceCount", map[string]string{"ClusterName": "shop"}, newest)},
	}
	for _, tt := range tests {
		got, ok := sample(t, s, tt.metric, tt.id, tt.container)
		if !ok || got.Value != tt.want || !got.Time.Equal(newest) {
			t.Errorf("%s %v: %+v (found %v), want %v at %s", tt.metric, tt.id, got, ok, tt.want, newest)
		}
	}
	// Missing data is no series, never a zero.
	if got, ok := sample(t, s, "EphemeralStorageUtilized", collector.Identity{Cluster: "shop", Service: "worker"}, ""); ok {
		t.Errorf("a series without data was published: %+v", got)
	}
}

// TestLateData: each minute is exported once, when CloudWatch has
// published it, with its own timestamp; a stale series disappears.
func TestLateData(t *testing.T) {
	t.Parallel()
	f := newFixture(t, false, svc("shop", "web", "web"))
	id := collector.Identity{Cluster: "shop", Service: "web"}
	times := func() time.Time {
		s, ok := sample(t, f.store.Snapshot(), "CpuUtilized", id, "")
		if !ok {
			t.Fatal("no sample")
		}
		return s.Time
	}
	for _, step := range []struct {
		at   time.Duration
		want string
	}{
		{0, "09:58"},
		{20 * time.Second, "09:58"}, // 09:59 ends at 10:00 and is published at 10:01:30
		{time.Minute, "09:59"},
		{3 * time.Minute, "10:01"},
	} {
		f.clock.Set(start.Add(step.at))
		if err := f.c.Collect(t.Context()); err != nil {
			t.Fatal(err)
		}
		if got := times().Format("15:04"); got != step.want {
			t.Errorf("at +%s newest minute = %s, want %s", step.at, got, step.want)
		}
	}
	// Backfill of an older minute does not replace the newer one.
	qs := f.c.Queries(f.store.Snapshot())
	before := slices.Clone(f.c.published)
	j := slices.IndexFunc(before, func(s collector.InsightsSample) bool {
		return compareSeries(s, qs[0].sample(datapoint{})) == 0
	})
	if j < 0 {
		t.Fatalf("no sample of %s %v published", qs[0].metric.CloudWatch, *qs[0].identity)
	}
	m := newMerge(f.c.published)
	m.add(qs[0], datapoint{value: 42, time: before[j].Time.Add(-5 * time.Minute)})
	if got := m.result(f.clock.Now(), f.c.opts.StaleAfter); !slices.Equal(got, before) {
		t.Errorf("an older datapoint replaced the newest: %v, want %v", got, before)
	}
	// The service goes away from CloudWatch: after StaleAfter, no series.
	f.fake.Missing = func(string, map[string]string) bool { return true }
	f.clock.Set(start.Add(20 * time.Minute))
	if err := f.c.Collect(t.Context()); err != nil {
		t.Fatal(err)
	}
	if n := len(f.store.Snapshot().Insights); n != 0 {
		t.Errorf("%d stale samples still published", n)
	}
}

// TestPaginationAndThrottling: results behind NextToken are merged, and
// throttled calls are retried and counted.
func TestPaginationAndThrottling(t *testing.T) {
	t.Parallel()
	f := newFixture(t, false, svc("shop", "web", "web"), svc("shop", "api", "api"))
	f.fake.PageDatapoints = 30 // about three series a page
	f.fake.Throttle(2)
	if err := f.c.Collect(t.Context()); err != nil {
		t.Fatal(err)
	}
	calls, _ := f.fake.Calls()
	s := f.store.Snapshot()
	// 13 cluster + 2x15 service + 2x10 family queries, less the ten
	// ephemeral storage series (cluster, 2 services, 2 families) without
	// data: 53 series.
	if n := len(s.Insights); n != 53 {
		t.Errorf("%d series published, want 53", n)
	}
	if calls < 10 {
		t.Errorf("%d calls: the pages were not followed", calls)
	}
	throttled := uint64(0)
	for _, c := range s.APICalls {
		if c.Operation == "GetMetricData" && c.Outcome == awsapi.OutcomeThrottled {
			throttled += c.Count
		}
	}
	if throttled != 2 {
		t.Errorf("throttled attempts counted = %d, want 2", throttled)
	}
}

// TestCloudWatchOutageLongerThanStaleAfter: during an outage the last
// datapoints age like any other; once older than stale_after no Container
// Insights series is left for any exporter (they all walk the same
// catalogue over the snapshot), and they come back with CloudWatch.
func TestCloudWatchOutageLongerThanStaleAfter(t *testing.T) {
	t.Parallel()
	f := newFixture(t, false, svc("shop", "payments", "payments"))
	insightsSeries := func() int {
		n := 0
		catalog.Walk(f.store.Snapshot(), func(smp *catalog.Sample) {
			if strings.HasPrefix(smp.Family.Name, "ecs_containerinsights_") {
				n++
			}
		})
		return n
	}
	if err := f.c.Collect(t.Context()); err != nil {
		t.Fatal(err)
	}
	before := insightsSeries()
	if before == 0 {
		t.Fatal("no Container Insights series before the outage")
	}
	f.fake.SetDown(true)
	for elapsed := time.Minute; elapsed <= 20*time.Minute; elapsed += time.Minute {
		f.clock.Advance(time.Minute)
		if err := f.c.Collect(t.Context()); err == nil {
			t.Fatal("collection succeeded with CloudWatch down")
		}
		// The newest datapoint was 2.5 minutes old when it was read.
		if stale := elapsed+150*time.Second > 15*time.Minute; stale != (insightsSeries() == 0) {
			t.Errorf("%s into the outage: %d series, want none exactly once older than stale_after", elapsed, insightsSeries())
		}
	}
	f.fake.SetDown(false)
	f.clock.Advance(time.Minute)
	if err := f.c.Collect(t.Context()); err != nil {
		t.Fatal(err)
	}
	if after := insightsSeries(); after != before {
		t.Errorf("%d series after CloudWatch came back, want %d", after, before)
	}
}
