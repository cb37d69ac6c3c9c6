package catalog

import (
	"github.com/ecswatch/ecswatch/collector"
	"github.com/ecswatch/ecswatch/internal/ecsvocab"
)

// streamFamilies count what only the event stream reports.
var streamFamilies = []*Family{
	eventCounter(collector.EventServiceAction, ScopeService, "ecs_service_action_events_total",
		"ECS Service Action events received, by eventName (placement failures are ecs_service_placement_failures_total).", "{event}", "event_name").
		values("event_name", ecsvocab.ServiceActionValues()).
		with(Datadog{Name: "service.action_events", Type: DatadogCount}, OTLP{Name: "aws.ecs.service.action_events", Instrument: InstrumentCounter}).experimental("0.2.0"),
	eventCounter(collector.EventInstanceChange, ScopeService, "ecs_cluster_instance_changes_total",
		"ECS Container Instance State Change events received, by the state reported: agent_disconnected, else the instance status; ecs_service is empty.", "{event}", "change").
		values("change", ecsvocab.InstanceChangeValues()).
		with(Datadog{Name: "cluster.instance_changes", Type: DatadogCount}, OTLP{Name: "aws.ecs.cluster.instance_changes", Instrument: InstrumentCounter}).experimental("0.2.0"),
}
