package catalog

import (
	"github.com/ecswatch/ecswatch/collector"
	"github.com/ecswatch/ecswatch/internal/ecsvocab"
)

// crashLoopFamilies say whether a service's current revision cannot start
// its tasks, and why.
var crashLoopFamilies = []*Family{
	{
		Name: "ecs_service_crash_loop", Unit: "1", Kind: Gauge, Scope: ScopeService, Labels: []string{"reason"},
		Values:  map[string][]string{"reason": ecsvocab.CrashLoopReasons()},
		Datadog: Datadog{Name: "service.crash_loop", Type: DatadogGauge}, OTLP: OTLP{Name: "aws.ecs.service.crash_loop", Instrument: InstrumentGauge},
		Help: "1 for the dominant stop reason class while the primary deployment cannot start its tasks (ECS says so, or 3 of its tasks failed within 15 minutes), else 0. See README, Crash loops.",
		service: func(s *collector.Service, emit Emit) {
			for _, r := range ecsvocab.CrashLoopReasons() {
				emit(boolValue(s.Health.CrashLoop == r), r)
			}
		},
		Stability: Stability{Level: Experimental, Since: "0.2.0"},
	},
}
