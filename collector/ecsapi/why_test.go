package ecsapi

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ecswatch/ecswatch/collector"
	"github.com/ecswatch/ecswatch/internal/catalog"
	"github.com/ecswatch/ecswatch/internal/sim"
	"github.com/ecswatch/ecswatch/internal/testutil"
)

// whyFamilies are the families the why scenarios are about.
var whyFamilies = []string{
	"ecs_task_stopped_total", "ecs_task_stopped_reason_total", "ecs_service_crash_loop",
	"ecs_service_deploy_headroom_state", "ecs_service_deploy_headroom_tasks", "ecs_service_deploy_surge_tasks",
	"ecs_service_tasks_by_health", "ecs_service_tasks_by_capacity_provider",
	"ecs_service_provisioning_tasks", "ecs_service_provisioning_oldest_seconds",
	"ecs_service_placement_failures_total", "ecs_container_oom_kills_total",
}

// whyRun collects the why cluster at 0 (learning what ECS already lists)
// and one minute later, and returns the snapshot and the events counted in
// the second cycle.
func whyRun(t *testing.T) (*collector.Snapshot, []collector.Event) {
	t.Helper()
	f := newFixture(t, sim.WhyCluster)
	sim.AddWhyScenario(f.fake, start)
	f.collectAt(t, 0)
	events := f.store.Subscribe("test", 1000)
	s := f.collectAt(t, time.Minute)
	var got []collector.Event
	collector.Drain(events, func(e collector.Event) { got = append(got, e) })
	return s, got
}

// whySeries renders the series of service in the why families, and the
// events counted for it, one per line.
func whySeries(s *collector.Snapshot, events []collector.Event, service string) string {
	lines := seriesLines(s, func(smp *catalog.Sample) bool {
		return slices.Contains(whyFamilies, smp.Family.Name) && smp.Identity != nil && smp.Identity.Service == service
	})
	var evs []string
	for _, e := range events {
		if e.Identity.Service == service {
			evs = append(evs, fmt.Sprintf("event %s %s %s: %s", e.Kind, e.Label, e.ID, e.Message))
		}
	}
	slices.Sort(evs)
	return strings.Join(append(lines, evs...), "\n") + "\n"
}

// TestWhyScenarios: for each situation of the why cluster, the exact series
// and events (testdata/why/<service>.txt), and the facts that make each
// situation what it is, checked apart from the golden files.
func TestWhyScenarios(t *testing.T) {
	t.Parallel()
	s, events := whyRun(t)
	facts := []struct {
		service   string
		crashLoop string
		headroom  collector.HeadroomState // "" for none (Fargate)
		classes   []string                // stop reason classes counted in the second cycle
	}{
		{"steady", "", collector.HeadroomFull, nil},
		{"images", "image_pull", "", []string{"image_pull", "image_pull"}},
		{"secrets", "resource_init", "", []string{"resource_init", "resource_init"}},
		{"elb", "elb_health_check", "", []string{"elb_health_check", "elb_health_check"}},
		{"unhealthy", "", "", nil},
		{"orders", "", collector.HeadroomStalled, nil},
		{"arm", "", collector.HeadroomStalled, nil},
		{"spot", "", "", []string{"spot_interruption", "spot_interruption"}},
	}
	for _, f := range facts {
		t.Run(f.service, func(t *testing.T) {
			svc := service(t, s, f.service)
			if svc.Health.CrashLoop != f.crashLoop || svc.Health.HeadroomState != f.headroom {
				t.Errorf("crash loop %q, headroom %q; want %q, %q", svc.Health.CrashLoop, svc.Health.HeadroomState, f.crashLoop, f.headroom)
			}
			var classes []string
			for _, e := range events {
				if e.Identity.Service == f.service && e.Kind == collector.EventTaskStopReason {
					classes = append(classes, e.Label)
				}
			}
			if !slices.Equal(classes, f.classes) {
				t.Errorf("stop reasons %q, want %q", classes, f.classes)
			}
			testutil.Golden(t, filepath.Join("testdata", "why", f.service+".txt"), []byte(whySeries(s, events, f.service)))
		})
	}

	unhealthy := service(t, s, "unhealthy")
	if !slices.Contains(unhealthy.TaskHealth, collector.TaskHealthCount{TaskDefinition: "unhealthy:6", Status: "UNHEALTHY", Count: 2}) {
		t.Errorf("unhealthy's task health = %+v", unhealthy.TaskHealth)
	}
	orders := service(t, s, "orders")
	if orders.Provisioning.Tasks != 2 || !orders.Provisioning.Since.Equal(start.Add(-6*time.Minute)) ||
		!slices.Equal(orders.Providers, []collector.ProviderCount{{Provider: sim.WhyProvider, Count: 2}}) {
		t.Errorf("orders' capacity = %+v, %+v", orders.Provisioning, orders.Providers)
	}
	spot := service(t, s, "spot")
	if !slices.Equal(spot.Providers, []collector.ProviderCount{{Provider: "FARGATE", Count: 1}, {Provider: "FARGATE_SPOT", Count: 3}}) {
		t.Errorf("spot's providers = %+v", spot.Providers)
	}
	var instances []collector.InstanceCount
	for _, c := range s.Clusters {
		if c.Name == sim.WhyCluster {
			instances = c.Instances
		}
	}
	want := []collector.InstanceCount{
		{Status: "ACTIVE", CapacityProvider: "", AgentConnected: true, Count: 2},
		{Status: "ACTIVE", CapacityProvider: sim.WhyProvider, AgentConnected: false, Count: 1},
		{Status: "ACTIVE", CapacityProvider: sim.WhyProvider, AgentConnected: true, Count: 2},
		{Status: "DRAINING", CapacityProvider: sim.WhyProvider, AgentConnected: true, Count: 1},
	}
	if !slices.Equal(instances, want) {
		t.Errorf("instances = %+v, want %+v", instances, want)
	}
}
