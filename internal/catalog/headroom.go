package catalog

import "github.com/ecswatch/ecswatch/collector"

// headroomFamilies say whether a service's next deployment can proceed.
var headroomFamilies = []*Family{
	{
		Name: "ecs_service_deploy_headroom_state", Unit: "1", Kind: Gauge, Scope: ScopeService, Labels: []string{"state"},
		Values:  map[string][]string{"state": stringsOf(collector.HeadroomStates)},
		Datadog: Datadog{Name: "service.deploy_headroom_state", Type: DatadogGauge}, OTLP: OTLP{Name: "aws.ecs.service.deploy.headroom_state", Instrument: InstrumentGauge},
		Help: "Services on container instances: 1 for whether the next rolling deployment proceeds at full speed (full), fewer tasks at a time (slow) or not at all (stalled), else 0. See README, Deploy headroom.",
		service: func(s *collector.Service, emit Emit) {
			if !s.Health.HasHeadroom {
				return
			}
			for _, st := range collector.HeadroomStates {
				emit(boolValue(s.Health.HeadroomState == st), string(st))
			}
		},
		Stability: Stability{Level: Experimental, Since: "0.2.0"},
	},
}
