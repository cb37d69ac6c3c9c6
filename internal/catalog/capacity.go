package catalog

import (
	"strconv"

	"github.com/ecswatch/ecswatch/collector"
	"github.com/ecswatch/ecswatch/internal/ecsvocab"
)

// capacityFamilies say where tasks run and what they wait for: capacity
// providers, tasks waiting for capacity, and container instances.
var capacityFamilies = []*Family{
	{
		Name: "ecs_service_tasks_by_capacity_provider", Unit: "{task}", Kind: Gauge, Scope: ScopeService, Labels: []string{"capacity_provider"},
		Datadog: Datadog{Name: "service.tasks_by_capacity_provider", Type: DatadogGauge}, OTLP: OTLP{Name: "aws.ecs.service.tasks.capacity_provider", Instrument: InstrumentGauge},
		Help: "Running tasks of the service by the capacity provider they run on (FARGATE, FARGATE_SPOT, an Auto Scaling group's provider; none for a launch type).",
		service: func(s *collector.Service, emit Emit) {
			for _, p := range s.Providers {
				emit(float64(p.Count), p.Provider)
			}
		},
		Stability: Stability{Level: Experimental, Since: "0.2.0"},
	},
	serviceGauge("ecs_service_provisioning_tasks", "Tasks of the service waiting for capacity (lastStatus PROVISIONING: a capacity provider is launching instances for them).", "{task}",
		func(s *collector.Service) (float64, bool) { return float64(s.Provisioning.Tasks), true }).
		with(Datadog{Name: "service.provisioning_tasks", Type: DatadogGauge}, OTLP{Name: "aws.ecs.service.tasks.provisioning", Instrument: InstrumentGauge}).experimental("0.2.0"),
	{
		Name: "ecs_service_provisioning_oldest_seconds", Unit: "s", Kind: Gauge, Scope: ScopeService,
		Datadog: Datadog{Name: "service.provisioning_oldest", Type: DatadogGauge}, OTLP: OTLP{Name: "aws.ecs.service.tasks.provisioning.oldest_age", Instrument: InstrumentGauge},
		Help: "How long the service's oldest task waiting for capacity has waited; 0 when none waits.",
		snapshot: func(s *collector.Snapshot, emit IdentifiedEmit) {
			for _, svc := range s.Services {
				id := svc.Identity()
				age := 0.0
				if p := svc.Provisioning; p.Tasks > 0 && !p.Since.IsZero() {
					age = max(0, s.Time.Sub(p.Since).Seconds())
				}
				emit(&id, age)
			}
		},
		Stability: Stability{Level: Experimental, Since: "0.2.0"},
	},
	{
		Name: "ecs_cluster_container_instances", Unit: "{instance}", Kind: Gauge, Scope: ScopeService, Labels: []string{"status", "agent_connected", "capacity_provider"},
		Values:  map[string][]string{"status": ecsvocab.InstanceStatusValues(), "agent_connected": {"true", "false"}},
		Datadog: Datadog{Name: "cluster.container_instances", Type: DatadogGauge}, OTLP: OTLP{Name: "aws.ecs.cluster.container_instances", Instrument: InstrumentGauge},
		Help: "Container instances of the cluster by status (ACTIVE, DRAINING, ...), agent connection and capacity provider (empty for none); ecs_service is empty.",
		snapshot: func(s *collector.Snapshot, emit IdentifiedEmit) {
			for _, c := range s.Clusters {
				id := collector.Identity{Cluster: c.Name}
				for _, n := range c.Instances {
					emit(&id, float64(n.Count), n.Status, strconv.FormatBool(n.AgentConnected), n.CapacityProvider)
				}
			}
		},
		Stability: Stability{Level: Experimental, Since: "0.2.0"},
	},
}
