package ecsapi

import (
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ecs"

	"github.com/ecswatch/ecswatch/collector"
	"github.com/ecswatch/ecswatch/collector/rules"
	"github.com/ecswatch/ecswatch/internal/awsapi"
	"github.com/ecswatch/ecswatch/internal/sim"
	"github.com/ecswatch/ecswatch/internal/testutil"
)

var start = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

// fixture is the collector against a fake ECS endpoint, through the real SDK
// client, with a shared fake clock.
type fixture struct {
	clock *testutil.Clock
	fake  *sim.ECS
	store *collector.Store
	c     *Collector
}

func newFixture(t testing.TB, clusters ...string) *fixture {
	t.Helper()
	clk := testutil.NewClock(start)
	fake := sim.NewECS("eu-west-1", clk.Now)
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	store := collector.NewStore(clk.Now)
	cfg, err := awsapi.LoadConfig(t.Context(), awsapi.Simulator(srv.URL, "eu-west-1"), store)
	if err != nil {
		t.Fatal(err)
	}
	c := New(ecs.NewFromConfig(cfg), store, slog.New(slog.DiscardHandler), Options{
		Clusters: clusters, CallTimeout: 10 * time.Second, Health: rules.DefaultOptions,
	})
	c.SetClock(clk.Now)
	return &fixture{clock: clk, fake: fake, store: store, c: c}
}

func (f *fixture) collectAt(t testing.TB, e time.Duration) *collector.Snapshot {
	t.Helper()
	f.clock.Set(start.Add(e))
	if err := f.c.Collect(t.Context()); err != nil {
		t.Fatalf("Collect at %s: %v", e, err)
	}
	return f.store.Snapshot()
}

func service(t testing.TB, s *collector.Snapshot, name string) *collector.Service {
	t.Helper()
	for _, svc := range s.Services {
		if svc.Name == name {
			return svc
		}
	}
	t.Fatalf("no service %s", name)
	return nil
}

// count returns the counter of events of kind for service (and container or
// label, where given).
func count(s *collector.Snapshot, kind collector.EventKind, svc, container, label string) uint64 {
	var n uint64
	for _, e := range s.Events {
		if e.Kind == kind && e.Identity.Service == svc && (container == "" || e.Container == container) && (label == "" || e.Label == label) {
			n += e.Count
		}
	}
	return n
}

// expectCount reports an error unless s counted want events matching count's
// filter; what names them in the message.
func expectCount(t *testing.T, s *collector.Snapshot, want uint64, what string, kind collector.EventKind, svc, container, label string) {
	t.Helper()
	if n := count(s, kind, svc, container, label); n != want {
		t.Errorf("%s = %d, want %d", what, n, want)
	}
}

// events lists the counters for one service that counted something, to
// show that nothing else fired.
func events(s *collector.Snapshot, svc string) []collector.EventCount {
	var out []collector.EventCount
	for _, e := range s.Events {
		if e.Identity.Service == svc && e.Count > 0 {
			out = append(out, e)
		}
	}
	return out
}

func shopFixture(t testing.TB) *fixture {
	f := newFixture(t, sim.ShopCluster)
	f.fake.AddScripted(sim.ShopCluster, sim.ShopScenario(start))
	return f
}

// TestSteadyService: nothing fires for a steady service.
func TestSteadyService(t *testing.T) {
	t.Parallel()
	f := shopFixture(t)
	for _, e := range []time.Duration{0, time.Minute, 5 * time.Minute} {
		s := f.collectAt(t, e)
		cat := service(t, s, "catalog")
		want := collector.ServiceHealth{RevisionsRunning: 1, HasHeadroom: true, HeadroomTasks: 5, SurgeTasks: 3, HeadroomState: collector.HeadroomFull}
		if cat.Health != want {
			t.Errorf("catalog health at %s = %+v, want %+v", e, cat.Health, want)
		}
		if ev := events(s, "catalog"); len(ev) != 0 {
			t.Errorf("events fired for the steady service: %+v", ev)
		}
		if cat.Desired != 3 || cat.Running != 3 {
			t.Errorf("catalog = %+v", cat)
		}
	}
}

// TestRollingDeploymentCompletes: mixed revisions while it rolls, then one,
// and never stuck or failed.
func TestRollingDeploymentCompletes(t *testing.T) {
	t.Parallel()
	f := shopFixture(t)
	steps := []struct {
		at        time.Duration
		revisions int
		mixedFor  time.Duration
		primary   int
	}{
		{0, 1, 0, 0},
		// Mixed since the new deployment was created, 10s before start:
		// ECS's clock, not ecswatch's, so a restart does not reset it.
		{10 * time.Second, 2, 20 * time.Second, 1},
		{40 * time.Second, 2, 50 * time.Second, 3},
		{55 * time.Second, 1, 0, 4},
	}
	for _, st := range steps {
		fe := service(t, f.collectAt(t, st.at), "frontend")
		if fe.Health.RevisionsRunning != st.revisions || fe.Health.MixedFor != st.mixedFor || fe.Health.Stuck != "" {
			t.Errorf("frontend at %s: health %+v, want %d revisions mixed for %s", st.at, fe.Health, st.revisions, st.mixedFor)
		}
		if p := fe.Primary(); p.Running != st.primary || p.TaskDefinition != "frontend:8" {
			t.Errorf("frontend at %s: primary %+v", st.at, p)
		}
	}
	if ev := events(f.store.Snapshot(), "frontend"); len(ev) != 0 {
		t.Errorf("events fired for a deployment that completed: %+v", ev)
	}
}

// TestStuckOnInsufficientMemory: the EC2 deployment that cannot place its
// tasks is stuck with reason placement_failure, its headroom is below the
// surge it needs, and each new placement failure counts once.
func TestStuckOnInsufficientMemory(t *testing.T) {
	t.Parallel()
	f := shopFixture(t)
	s := f.collectAt(t, 0)
	co := service(t, s, "checkout")
	want := collector.ServiceHealth{RevisionsRunning: 2, MixedSince: start.Add(-sim.StuckDeploymentAge), MixedFor: sim.StuckDeploymentAge,
		HasBreaker: true, BreakerThreshold: 3, Stuck: collector.StuckPlacementFailure,
		HasHeadroom: true, HeadroomTasks: 0, SurgeTasks: 4, HeadroomState: collector.HeadroomStalled}
	if co.Health != want {
		t.Errorf("checkout health = %+v, want %+v", co.Health, want)
	}
	// History from before ecswatch started is not counted.
	expectCount(t, s, 0, "placement failures at start", collector.EventPlacementFailure, "checkout", "", "")
	expectCount(t, s, 1, "stuck events", collector.EventDeploymentStuck, "checkout", "", "placement_failure")
	// Two more retries, each seen by two polls.
	for _, e := range []time.Duration{time.Minute, 2 * time.Minute, 3 * time.Minute, 4*time.Minute + 30*time.Second} {
		s = f.collectAt(t, e)
	}
	expectCount(t, s, 2, "placement failures after two retries", collector.EventPlacementFailure, "checkout", "", "insufficient_memory")
	expectCount(t, s, 1, "stuck events after five polls", collector.EventDeploymentStuck, "checkout", "", "")
	expectCount(t, s, 0, "a stuck deployment counted as failed", collector.EventDeploymentFailed, "checkout", "", "")
}

// TestCircuitBreakerRollback: the failed rollout counts once, its failed
// tasks count as stopped with TaskFailedToStart, and the rollback is not
// stuck.
func TestCircuitBreakerRollback(t *testing.T) {
	t.Parallel()
	f := shopFixture(t)
	s := f.collectAt(t, 0)
	if n := count(s, collector.EventDeploymentFailed, "payments", "", ""); n != 0 {
		t.Fatalf("failed before the breaker tripped: %d", n)
	}
	// The ten tasks that failed before ecswatch started are history.
	expectCount(t, s, 0, "stopped tasks at start", collector.EventTaskStopped, "payments", "", "TaskFailedToStart")
	for _, e := range []time.Duration{sim.CircuitBreakerTrips, sim.CircuitBreakerTrips + 10*time.Second, sim.RollbackDone} {
		s = f.collectAt(t, e)
	}
	expectCount(t, s, 1, "deployment failures", collector.EventDeploymentFailed, "payments", "", "")
	expectCount(t, s, 0, "stopped tasks", collector.EventTaskStopped, "payments", "", "TaskFailedToStart")
	pay := service(t, s, "payments")
	if pay.Health.Stuck != "" || pay.Health.HasHeadroom || len(pay.Deployments) != 1 || pay.Deployments[0].RolloutState != "COMPLETED" {
		t.Errorf("payments after rollback = %+v", pay)
	}
}

// TestOOMKilledTasks: each OOM-killed task counts once per container,
// however many cycles see it, with its stop code.
func TestOOMKilledTasks(t *testing.T) {
	t.Parallel()
	f := shopFixture(t)
	type check struct {
		at  time.Duration
		oom uint64
	}
	checks := []check{{0, 0}, {sim.FirstTaskOOM, 1}, {sim.FirstTaskOOM + 30*time.Second, 1}, {sim.FirstTaskOOM + sim.TaskOOMEvery, 2}, {sim.FirstTaskOOM + sim.TaskOOMEvery + time.Second, 2}}
	for _, c := range checks {
		s := f.collectAt(t, c.at)
		expectCount(t, s, c.oom, fmt.Sprintf("at %s: OOM kills", c.at), collector.EventOOMKill, "worker", "worker", "")
		expectCount(t, s, c.oom, fmt.Sprintf("at %s: stopped", c.at), collector.EventTaskStopped, "worker", "", "EssentialContainerExited")
	}
	for _, e := range f.store.Snapshot().Events {
		if e.Kind == collector.EventOOMKill && e.Count > 0 && (*e.Identity != collector.Identity{Cluster: sim.ShopCluster, Service: "worker", Family: "worker"}) {
			t.Errorf("OOM identity = %+v", *e.Identity)
		}
	}
}

// TestCountersAreBornAtZero: a service's failure counter and its
// containers' OOM counters exist at 0 from the first cycle, so that the
// first failure and the first kill are increases an alert can see.
func TestCountersAreBornAtZero(t *testing.T) {
	t.Parallel()
	f := shopFixture(t)
	s := f.collectAt(t, 0)
	born := map[collector.EventKind]int{}
	for _, e := range s.Events {
		if e.Count == 0 {
			born[e.Kind]++
		}
	}
	// Five services, four failure causes each; each runs tasks of one
	// family with one container.
	if born[collector.EventDeploymentFailed] != 5*4 || born[collector.EventRollbackFailed] != 5 || born[collector.EventOOMKill] != 5 {
		t.Errorf("counters born at 0 = %v, want 20 failure (5 services × 4 causes), 5 rollback failure and 5 OOM counters", born)
	}
	want := collector.EventCount{Kind: collector.EventOOMKill, Identity: &collector.Identity{Cluster: sim.ShopCluster, Service: "worker", Family: "worker"}, Container: "worker"}
	for _, at := range []time.Duration{0, sim.FirstTaskOOM} {
		s = f.collectAt(t, at)
		got := events(s, "worker")
		if at > 0 {
			want.Count = 1
		}
		if !slices.ContainsFunc(s.Events, func(e collector.EventCount) bool {
			return e.Kind == want.Kind && *e.Identity == *want.Identity && e.Container == want.Container && e.Count == want.Count
		}) {
			t.Errorf("at %s: worker's OOM counter is not %+v: %+v", at, want, got)
		}
	}
}

// TestRestartDoesNotRecount: an ecswatch restarted over a cluster with an
// hour of stopped tasks, a failed deployment and old service events counts
// none of them again, and counts what happens after it started.
func TestRestartDoesNotRecount(t *testing.T) {
	t.Parallel()
	f := shopFixture(t)
	for _, e := range []time.Duration{0, sim.FirstTaskOOM, sim.CircuitBreakerTrips, 3 * time.Minute} {
		f.collectAt(t, e)
	}
	before := f.store.Snapshot()
	if count(before, collector.EventOOMKill, "worker", "worker", "") != 3 || count(before, collector.EventDeploymentFailed, "payments", "", "") != 1 {
		t.Fatalf("first process did not count the scenario: %+v", before.Events)
	}

	// The restarted process: a new Store and collector, the same cluster.
	restarted := newFixture(t, sim.ShopCluster)
	restarted.fake.AddScripted(sim.ShopCluster, sim.ShopScenario(start))
	s := restarted.collectAt(t, 3*time.Minute+10*time.Second)
	for _, e := range s.Events {
		// A stuck deployment is a state, exported as a gauge; it is news
		// to a push exporter again after a restart.
		if e.Count != 0 && e.Kind != collector.EventDeploymentStuck {
			t.Errorf("restart counted history again: %+v", e)
		}
	}
	// The next kill after the restart counts once.
	s = restarted.collectAt(t, sim.FirstTaskOOM+3*sim.TaskOOMEvery)
	expectCount(t, s, 1, "OOM kills after the restart", collector.EventOOMKill, "worker", "worker", "")
	expectCount(t, s, 0, "the failed deployment was counted again", collector.EventDeploymentFailed, "payments", "", "")
}

// TestThrottlingAndServerErrorsAreRetried: the SDK's retryer absorbs them
// and every attempt is counted by outcome.
func TestThrottlingAndServerErrorsAreRetried(t *testing.T) {
	t.Parallel()
	f := shopFixture(t)
	f.fake.Throttle(3)
	f.collectAt(t, 0)
	f.fake.Fail5xx(2)
	s := f.collectAt(t, time.Second)
	outcomes := map[string]uint64{}
	for _, c := range s.APICalls {
		if c.Service != "ECS" {
			t.Errorf("service label %q, want ECS", c.Service)
		}
		outcomes[c.Outcome] += c.Count
	}
	if outcomes[awsapi.OutcomeThrottled] != 3 || outcomes[awsapi.OutcomeServerError] != 2 || outcomes[awsapi.OutcomeSuccess] == 0 {
		t.Errorf("outcomes = %v, want 3 throttled, 2 server errors and successes", outcomes)
	}
}

// TestFailingClusterDoesNotStopOthers: a cluster answering errors keeps its
// last services and fails the run; the other cluster is still read.
func TestFailingClusterDoesNotStopOthers(t *testing.T) {
	t.Parallel()
	f := newFixture(t, sim.ShopCluster, "batch")
	f.fake.AddScripted(sim.ShopCluster, sim.ShopScenario(start))
	f.fake.AddCluster(sim.LargeCluster("batch", 3, 2, start))
	f.collectAt(t, 0)

	f.fake.SetClusterDown(sim.ShopCluster, true)
	f.fake.AddCluster(sim.LargeCluster("batch", 4, 2, start)) // batch grows meanwhile
	f.clock.Set(start.Add(time.Minute))
	err := f.c.Collect(t.Context())
	if err == nil || !strings.Contains(err.Error(), "cluster shop-prod") {
		t.Fatalf("err = %v, want one naming cluster shop-prod", err)
	}
	perCluster := map[string]int{}
	for _, svc := range f.store.Snapshot().Services {
		perCluster[svc.Cluster]++
	}
	if perCluster[sim.ShopCluster] != 5 || perCluster["batch"] != 4 {
		t.Errorf("services per cluster = %v, want shop-prod's last 5 and batch's new 4", perCluster)
	}

	f.fake.SetClusterDown(sim.ShopCluster, false)
	f.collectAt(t, 2*time.Minute)
}

// A cluster deleted since the last cycle leaves the snapshot, and service
// discovery is told to forget it; one that fails to be read is kept.
func TestDeletedClusterIsForgotten(t *testing.T) {
	t.Parallel()
	f := newFixture(t) // every cluster ListClusters names
	f.fake.AddCluster(sim.LargeCluster("batch", 3, 2, start))
	f.fake.AddCluster(sim.LargeCluster("web", 2, 2, start))
	var forgotten []string
	f.c.opts.Forget = func(cluster string) { forgotten = append(forgotten, cluster) }
	f.collectAt(t, 0)

	f.fake.SetClusterDown("web", true)
	f.clock.Set(start.Add(time.Minute))
	if err := f.c.Collect(t.Context()); err == nil {
		t.Fatal("no error for the cluster that cannot be read")
	}
	if len(forgotten) != 0 {
		t.Fatalf("forgot %v while every cluster was still listed", forgotten)
	}

	f.fake.SetClusterDown("web", false)
	f.fake.RemoveCluster("batch")
	snap := f.collectAt(t, 2*time.Minute)
	if !slices.Equal(forgotten, []string{"batch"}) {
		t.Errorf("forgot %v, want [batch]", forgotten)
	}
	for _, svc := range snap.Services {
		if svc.Cluster == "batch" {
			t.Fatalf("service %s of the deleted cluster still in the snapshot", svc.Name)
		}
	}
}

// minimumCalls is the fewest calls the API's limits allow for one cycle over
// a cluster: pages of 100 for the lists, batches of 10 services and of 100
// tasks or instances for the describes.
//
// Service deployments cost one ListServiceDeployments per service with a
// deployment ongoing (the API lists one service's) and one
// DescribeServiceDeployments per 20 of those not yet described complete;
// a quiet cluster costs neither. Task definitions cost one
// DescribeTaskDefinition each, the first time one of an EC2 service is seen.
func minimumCalls(services, running, stoppedNew, stoppedListed, instances, taskDefsNew, deploying int) map[string]int {
	pages := func(n int) int { return max(1, (n+99)/100) }
	calls := map[string]int{
		"ListServices": pages(services), "DescribeServices": (services + 9) / 10,
		"ListTasks": pages(running) + pages(stoppedListed), "DescribeTasks": (running + stoppedNew + 99) / 100,
		"ListContainerInstances": pages(instances), "DescribeContainerInstances": (instances + 99) / 100,
	}
	if deploying > 0 {
		calls["ListServiceDeployments"], calls["DescribeServiceDeployments"] = deploying, (deploying+19)/20
	}
	if taskDefsNew > 0 {
		calls["DescribeTaskDefinition"] = taskDefsNew
	}
	return calls
}

func TestCallsAreMinimal(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "large")
	f.fake.AddCluster(sim.LargeCluster("large", 120, 10, start))
	f.collectAt(t, 0)
	if got, want := f.fake.Calls(), minimumCalls(120, 1200, 12, 12, 24, 120, 0); !equalCalls(got, want) {
		t.Errorf("first cycle calls = %v, want %v", got, want)
	}
	// Stopped tasks described once are not described again.
	f.fake.ResetCalls()
	f.collectAt(t, time.Minute)
	if got, want := f.fake.Calls(), minimumCalls(120, 1200, 0, 12, 24, 0, 0); !equalCalls(got, want) {
		t.Errorf("second cycle calls = %v, want %v", got, want)
	}
}

// TestCallsWithDeploymentsInProgress: 25 services deploying cost 25 lists
// and two describes (20 + 5) of their service deployments, every cycle
// while they are ongoing; the 95 quiet services cost nothing more.
func TestCallsWithDeploymentsInProgress(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "large")
	large := sim.LargeCluster("large", 120, 10, start)
	sim.Deploying(large, 25, start)
	f.fake.AddCluster(large)
	for i, at := range []time.Duration{0, time.Minute} {
		f.fake.ResetCalls()
		s := f.collectAt(t, at)
		stopped, taskDefs := 12, 120
		if i > 0 {
			stopped, taskDefs = 0, 0
		}
		if got, want := f.fake.Calls(), minimumCalls(120, 1200, stopped, 12, 24, taskDefs, 25); !equalCalls(got, want) {
			t.Errorf("cycle %d calls = %v, want %v", i, got, want)
		}
		if r := service(t, s, "svc-0003").Rollout; r == nil || r.Status != "IN_PROGRESS" || r.Target().Running != 5 {
			t.Errorf("cycle %d: svc-0003's rollout = %+v", i, r)
		}
	}
}

func equalCalls(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

var record = flag.Bool("record", false, "record testdata/<scenario>/ payloads from the ECS simulator")

// recordings are the scenarios recorded from the simulator's shop cluster,
// by their time into its timeline. The payloads are data: edit a copy to
// make a new scenario, no Go needed.
var recordings = map[string]time.Duration{
	"shop_at_start":          0,
	"shop_breaker_tripped":   sim.CircuitBreakerTrips + 5*time.Second,
	"shop_rollout_completed": sim.RollbackDone + 30*time.Second,
}

// TestRecordedPayloads feeds each scenario's recorded ECS API answers to the
// collector through the real SDK client, and pins the services it derives
// (translate, then the health rules of a first cycle) in want.json.
func TestRecordedPayloads(t *testing.T) {
	t.Parallel()
	if *record {
		for name, at := range recordings {
			recordScenario(t, filepath.Join("testdata", name), at)
		}
	}
	// A recording is a directory with a now.txt; other testdata are goldens.
	nows, _ := filepath.Glob("testdata/*/now.txt")
	var dirs []string
	for _, n := range nows {
		dirs = append(dirs, filepath.Dir(n))
	}
	if len(dirs) < len(recordings) {
		t.Fatalf("%d recorded scenarios, want %d (go test -run TestRecordedPayloads -record)", len(dirs), len(recordings))
	}
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			t.Parallel()
			nowText := testutil.ReadFile(t, filepath.Join(dir, "now.txt"))
			now, err := time.Parse(time.RFC3339, strings.TrimSpace(string(nowText)))
			if err != nil {
				t.Fatal(err)
			}
			srv := httptest.NewServer(sim.Replay(func() string { return dir }, sim.ECSPayload))
			defer srv.Close()
			store := collector.NewStore(func() time.Time { return now })
			cfg, err := awsapi.LoadConfig(t.Context(), awsapi.Simulator(srv.URL, "eu-west-1"), store)
			if err != nil {
				t.Fatal(err)
			}
			c := New(ecs.NewFromConfig(cfg), store, slog.New(slog.DiscardHandler), Options{
				Clusters: []string{sim.ShopCluster}, CallTimeout: 10 * time.Second, Health: rules.DefaultOptions,
			})
			c.SetClock(func() time.Time { return now })
			if err := c.Collect(t.Context()); err != nil {
				t.Fatal(err)
			}
			got, err := json.MarshalIndent(store.Snapshot().Services, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			testutil.Golden(t, filepath.Join(dir, "want.json"), append(got, '\n'))
		})
	}
}

// recordScenario runs the simulator at at into its timeline and writes
// every answer a collection gets into dir.
func recordScenario(t *testing.T, dir string, at time.Duration) {
	t.Helper()
	clk := testutil.NewClock(start)
	fake := sim.NewECS("eu-west-1", clk.Now)
	fake.AddScripted(sim.ShopCluster, sim.ShopScenario(start))
	clk.Set(start.Add(at))
	srv := httptest.NewServer(sim.Record(dir, fake, sim.ECSPayload))
	defer srv.Close()
	store := collector.NewStore(clk.Now)
	cfg, err := awsapi.LoadConfig(t.Context(), awsapi.Simulator(srv.URL, "eu-west-1"), store)
	if err != nil {
		t.Fatal(err)
	}
	c := New(ecs.NewFromConfig(cfg), store, slog.New(slog.DiscardHandler), Options{Clusters: []string{sim.ShopCluster}, CallTimeout: 10 * time.Second, Health: rules.DefaultOptions})
	c.SetClock(clk.Now)
	if err := c.Collect(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "now.txt"), []byte(clk.Now().UTC().Format(time.RFC3339)+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
}
