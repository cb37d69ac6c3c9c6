package ecsapi

import (
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/ecswatch/ecswatch/collector"
	"github.com/ecswatch/ecswatch/internal/catalog"
	"github.com/ecswatch/ecswatch/internal/sim"
	"github.com/ecswatch/ecswatch/internal/testutil"
)

// labSteps are the times the deployment lab is collected at: through every
// stage of each deployment, bake times included.
var labSteps = []time.Duration{
	0, 2 * time.Minute, 4 * time.Minute, 7 * time.Minute, 9 * time.Minute, 11 * time.Minute, 13 * time.Minute,
	17 * time.Minute, 20 * time.Minute, 25 * time.Minute, 29 * time.Minute, 33 * time.Minute, 38 * time.Minute,
	45 * time.Minute, 55 * time.Minute, 65 * time.Minute, 80 * time.Minute,
}

// labWant is what an operator must see of one service at one step.
type labWant struct {
	stuck     collector.StuckReason
	revisions int
	failures  map[string]uint64 // by cause; absent causes 0
	rollback  uint64            // failed rollbacks
}

// TestDeploymentsAsECSRunsThem runs the deployment lab (every controller
// and strategy of today's ECS, internal/sim/deploylab.go) through the real
// SDK client, and at each step checks what alerts read (stuck, revisions
// serving, failures by cause, failed rollbacks) and pins every series of
// each service in testdata/deployment_lab/<service>.txt. Nothing fires for
// the healthy blue/green, linear, canary, CODE_DEPLOY and scaled-in
// deployments at any stage.
func TestDeploymentsAsECSRunsThem(t *testing.T) {
	t.Parallel()
	f := newFixture(t, sim.DeployLabCluster)
	f.fake.AddScripted(sim.DeployLabCluster, sim.DeployLabScenario(start))

	// want returns the expectation of svc at e; the healthy services
	// expect one revision serving, nothing stuck and nothing counted.
	want := func(svc string, e time.Duration) labWant {
		switch svc {
		case "search": // LINEAR: both serve during the four traffic steps
			if e >= 2*time.Minute && e < 32*time.Minute {
				return labWant{revisions: 2}
			}
		case "api": // CANARY: both serve while 10% goes to the canary
			if e >= 2*time.Minute && e < 17*time.Minute {
				return labWant{revisions: 2}
			}
		case "legacy": // CODE_DEPLOY canary: both task sets scaled and running
			if e < 15*time.Minute {
				return labWant{revisions: 2}
			}
		case "edge": // EXTERNAL: its new task set stabilizing since -5m, stuck past 30m
			w := labWant{revisions: 2}
			if e > 25*time.Minute {
				w.stuck = collector.StuckNoProgress
			}
			return w
		case "cart": // rolled back by a CloudWatch alarm at 8m
			if e < 8*time.Minute {
				return labWant{revisions: 2}
			}
			return labWant{revisions: 1, failures: map[string]uint64{"alarm": 1}}
		case "billing": // circuit breaker at 6m, then the rollback fails at 10m
			w := labWant{revisions: 1}
			if e >= 6*time.Minute {
				w.failures = map[string]uint64{"circuit_breaker": 1}
			}
			if e >= 10*time.Minute {
				w.rollback = 1
			}
			return w
		case "orders": // blue/green awaiting approval: prod on the old revision
		}
		return labWant{revisions: 1}
	}

	golden := map[string]*strings.Builder{}
	for _, e := range labSteps {
		s := f.collectAt(t, e)
		for _, svc := range s.Services {
			w := want(svc.Name, e)
			if svc.Health.Stuck != w.stuck || svc.Health.RevisionsRunning != w.revisions {
				t.Errorf("%s at %s: stuck %q, %d revisions serving; want stuck %q, %d", svc.Name, e, svc.Health.Stuck, svc.Health.RevisionsRunning, w.stuck, w.revisions)
			}
			for _, cause := range []string{"circuit_breaker", "alarm", "manual", "other"} {
				if n := count(s, collector.EventDeploymentFailed, svc.Name, "", cause); n != w.failures[cause] {
					t.Errorf("%s at %s: %d failures with cause %s, want %d", svc.Name, e, n, cause, w.failures[cause])
				}
			}
			if n := count(s, collector.EventRollbackFailed, svc.Name, "", ""); n != w.rollback {
				t.Errorf("%s at %s: %d failed rollbacks, want %d", svc.Name, e, n, w.rollback)
			}
			if n := count(s, collector.EventDeploymentStuck, svc.Name, "", ""); (n > 0) != (w.stuck != "") && w.stuck == "" {
				t.Errorf("%s at %s: counted %d stuck events while not stuck", svc.Name, e, n)
			}
			b := golden[svc.Name]
			if b == nil {
				b = &strings.Builder{}
				golden[svc.Name] = b
			}
			fmt.Fprintf(b, "# at %s\n%s", e, serviceSeries(s, svc.Name))
		}
	}
	for _, name := range slices.Sorted(maps.Keys(golden)) {
		testutil.Golden(t, filepath.Join("testdata", "deployment_lab", name+".txt"), []byte(golden[name].String()))
	}
}

// TestAwaitingApprovalIsNotStuck: a hook awaiting action for over an hour
// is its own signal, counted from the first cycle that saw it.
func TestAwaitingApprovalIsNotStuck(t *testing.T) {
	t.Parallel()
	f := newFixture(t, sim.DeployLabCluster)
	f.fake.AddScripted(sim.DeployLabCluster, sim.DeployLabScenario(start))
	for _, e := range []time.Duration{0, 3 * time.Minute, 40 * time.Minute, 75 * time.Minute} {
		s := f.collectAt(t, e)
		o := service(t, s, "orders")
		wantFor := max(e-3*time.Minute, 0)
		if o.Health.Stuck != "" || o.Health.AwaitingFor != wantFor {
			t.Errorf("orders at %s: stuck %q, awaiting for %s; want not stuck, awaiting for %s", e, o.Health.Stuck, o.Health.AwaitingFor, wantFor)
		}
	}
}

// serviceSeries renders every series of one service as the catalogue
// exports it, sorted: what a scrape shows of it.
func serviceSeries(s *collector.Snapshot, svc string) string {
	lines := seriesLines(s, func(smp *catalog.Sample) bool {
		return smp.Identity != nil && smp.Identity.Service == svc && smp.Family.Scope == catalog.ScopeService
	})
	return strings.Join(lines, "\n") + "\n"
}

// seriesLines renders the samples keep selects, one "name{labels} value"
// line each, sorted.
func seriesLines(s *collector.Snapshot, keep func(*catalog.Sample) bool) []string {
	var lines []string
	catalog.Walk(s, func(smp *catalog.Sample) {
		if !keep(smp) {
			return
		}
		var labels []string
		for i, l := range smp.Family.Labels {
			labels = append(labels, l+"="+smp.Labels[i])
		}
		lines = append(lines, fmt.Sprintf("%s{%s} %g", smp.Family.Name, strings.Join(labels, ","), smp.Value))
	})
	slices.Sort(lines)
	return lines
}

// TestRestartKeepsDeploymentClocks: an ecswatch started 30 minutes into the
// lab's deployments reads the same mixed time and the same stuck verdict as
// one that watched from the start: both clocks come from ECS's timestamps.
func TestRestartKeepsDeploymentClocks(t *testing.T) {
	t.Parallel()
	watched := newFixture(t, sim.DeployLabCluster)
	watched.fake.AddScripted(sim.DeployLabCluster, sim.DeployLabScenario(start))
	for _, e := range labSteps[:len(labSteps)-6] { // up to 29m
		watched.collectAt(t, e)
	}
	restarted := newFixture(t, sim.DeployLabCluster)
	restarted.fake.AddScripted(sim.DeployLabCluster, sim.DeployLabScenario(start))
	at := 29 * time.Minute
	for _, name := range []string{"search", "edge", "legacy", "feed"} {
		a, b := service(t, watched.store.Snapshot(), name).Health, service(t, restarted.collectAt(t, at), name).Health
		if a.MixedFor != b.MixedFor || a.Stuck != b.Stuck {
			t.Errorf("%s at %s: watched from the start %+v, restarted %+v", name, at, a, b)
		}
	}
}

func TestBreakerThreshold(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		typ     types.ThresholdType
		value   int32
		desired int
		want    int
	}{
		{"", 0, 2, 3},      // the default: BOUNDED_PERCENT 50, at least 3
		{"", 0, 10, 5},     // half of 10
		{"", 0, 11, 6},     // rounded up
		{"", 0, 1000, 200}, // at most 200
		{types.ThresholdTypeUnboundedPercent, 50, 1000, 500},
		{types.ThresholdTypeUnboundedPercent, 50, 2, 1},
		{types.ThresholdTypeCount, 7, 100, 7},
		{types.ThresholdTypeBoundedPercent, 10, 10, 3},
	} {
		var tc0 *types.ThresholdConfiguration
		if tc.typ != "" {
			tc0 = &types.ThresholdConfiguration{Type: tc.typ, Value: tc.value}
		}
		if got := breakerThreshold(tc0, tc.desired); got != tc.want {
			t.Errorf("breakerThreshold(%s %d, desired %d) = %d, want %d", tc.typ, tc.value, tc.desired, got, tc.want)
		}
	}
}

// TestOnlyTheCurrentServiceDeploymentsAreListed: a service deploying after
// years of deployments lists only those since its current deployments
// began: one page, not its whole history.
func TestOnlyTheCurrentServiceDeploymentsAreListed(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "history")
	c := sim.LargeCluster("history", 3, 2, start)
	sim.Deploying(c, 1, start)
	svc := c.Services[0]
	for i := range 150 {
		at := start.Add(-time.Duration(100+i) * 24 * time.Hour)
		svc.ServiceDeployments = append(svc.ServiceDeployments, sim.ServiceDeployment{
			ID: fmt.Sprintf("old-%03d", i), Status: "SUCCESSFUL", CreatedAt: at, StartedAt: at, UpdatedAt: at,
		})
	}
	f.fake.AddCluster(c)
	s := f.collectAt(t, 0)
	if n := f.fake.Calls()["ListServiceDeployments"]; n != 1 {
		t.Errorf("%d ListServiceDeployments calls, want 1 page of the current deployments", n)
	}
	if r := service(t, s, svc.Name).Rollout; r == nil || r.Status != "IN_PROGRESS" {
		t.Errorf("rollout = %+v, want the current one", r)
	}
}
