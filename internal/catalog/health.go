package catalog

import (
	"github.com/ecswatch/ecswatch/collector"
	"github.com/ecswatch/ecswatch/internal/ecsvocab"
)

// healthFamilies count tasks and containers by health status.
var healthFamilies = []*Family{
	{
		Name: "ecs_service_tasks_by_health", Unit: "{task}", Kind: Gauge, Scope: ScopeService, Labels: []string{"task_definition", "health_status"},
		Values:  map[string][]string{"health_status": ecsvocab.HealthStatuses},
		Datadog: Datadog{Name: "service.tasks_by_health", Type: DatadogGauge}, OTLP: OTLP{Name: "aws.ecs.service.tasks.health", Instrument: InstrumentGauge},
		Help: "Running tasks of the service by task definition (family:revision) and health status (HEALTHY, UNHEALTHY, UNKNOWN); every status of a running revision, 0 included.",
		service: func(s *collector.Service, emit Emit) {
			for _, h := range s.TaskHealth {
				emit(float64(h.Count), h.TaskDefinition, h.Status)
			}
		},
		Stability: Stability{Level: Experimental, Since: "0.2.0"},
	},
	{
		Name: "ecs_container_health_status", Unit: "1", Kind: Gauge, Scope: ScopeContainer, Labels: []string{"container_name", "health_status"},
		Values:  map[string][]string{"health_status": ecsvocab.HealthStatuses},
		Datadog: Datadog{Name: "container.health_status", Type: DatadogGauge}, OTLP: OTLP{Name: "aws.ecs.container.health_status", Instrument: InstrumentGauge},
		Help: "Sidecar: the container's health check status, 1 for the current one and 0 for the others; absent for a container without a health check.",
		container: func(_ *collector.Task, c *collector.Container, emit Emit) {
			if c.HealthStatus == "" {
				return
			}
			for _, st := range ecsvocab.HealthStatuses {
				emit(boolValue(c.HealthStatus == st), c.Name, st)
			}
		},
		Stability: Stability{Level: Experimental, Since: "0.2.0"},
	},
}
