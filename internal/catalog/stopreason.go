package catalog

import (
	"slices"

	"github.com/ecswatch/ecswatch/collector"
	"github.com/ecswatch/ecswatch/internal/ecsvocab"
)

// whyFamilies say why tasks fail and whether they fit (stop reasons, crash
// loops, health, headroom, capacity); appended to the catalogue after the
// families of the first rounds.
func whyFamilies() []*Family {
	return slices.Concat(stopReasonFamilies, headroomFamilies, crashLoopFamilies, healthFamilies, capacityFamilies, streamFamilies)
}

// stopReasonFamilies count stopped tasks by why they stopped. A family of
// its own rather than a label on ecs_task_stopped_total, whose series and
// the alerts and dashboards on them stay as they are.
var stopReasonFamilies = []*Family{
	eventCounter(collector.EventTaskStopReason, ScopeService, "ecs_task_stopped_reason_total",
		"Tasks seen stopped, by stop reason class (image_pull, resource_init, elb_health_check, oom, ...); see README, Why tasks stop.", "{task}", "reason").
		values("reason", ecsvocab.StopClasses).
		with(Datadog{Name: "task.stopped_reason", Type: DatadogCount}, OTLP{Name: "aws.ecs.task.stopped_reason", Instrument: InstrumentCounter}).experimental("0.2.0"),
}
