package catalog

import (
	"github.com/ecswatch/ecswatch/collector"
	"github.com/ecswatch/ecswatch/internal/ecsvocab"
)

// rolloutFamilies describe a deployment as the service's deployment
// controller runs it (standalone): its controller and strategy, the
// ServiceDeployments API's status, stage, monitors and revisions, and the
// task sets of CODE_DEPLOY and EXTERNAL services. States are statesets in
// the manner of kube-state-metrics: one series per possible value, 1 for
// the current one.
var rolloutFamilies = experimentalSince("0.2.0", []*Family{
	{
		Name: "ecs_service_deployment_strategy_info", Kind: Info, Scope: ScopeService, Datadog: Datadog{Type: DatadogTags}, OTLP: OTLP{Instrument: InstrumentAttributes},
		Help:   "The service's deployment controller (ECS, CODE_DEPLOY, EXTERNAL) and, for ECS, its strategy (ROLLING, BLUE_GREEN, LINEAR, CANARY); always 1.",
		Labels: []string{"controller", "strategy"}, Values: map[string][]string{"controller": ecsvocab.Controllers, "strategy": ecsvocab.Strategies},
		service: func(s *collector.Service, emit Emit) {
			if s.Controller != "" {
				emit(1, s.Controller, s.Strategy)
			}
		},
	},
	rolloutStateset("ecs_service_deployment_status", "status", ecsvocab.ServiceDeploymentStatuses,
		"Status of the service's newest service deployment while it is ongoing or recently finished: 1 for the current status, 0 for the others.",
		func(r *collector.Rollout) string { return r.Status }).with(Datadog{Name: "deployment.status", Type: DatadogGauge}, OTLP{Name: "aws.ecs.deployment.status", Instrument: InstrumentGauge}),
	rolloutStateset("ecs_service_deployment_lifecycle_stage", "stage", ecsvocab.LifecycleStages,
		"Lifecycle stage of the ongoing service deployment (BAKE_TIME, PRODUCTION_TRAFFIC_SHIFT, ...): 1 for the current stage, 0 for the others.",
		func(r *collector.Rollout) string {
			if !ecsvocab.ServiceDeploymentOngoing(r.Status) {
				return ""
			}
			return r.Stage
		}).with(Datadog{Name: "deployment.lifecycle_stage", Type: DatadogGauge}, OTLP{Name: "aws.ecs.deployment.lifecycle_stage", Instrument: InstrumentGauge}),
	serviceGauge("ecs_service_deployment_circuit_breaker_failed_tasks", "Task failures the circuit breaker has counted in the ongoing deployment.", "{task}",
		func(s *collector.Service) (float64, bool) {
			return float64(s.Health.BreakerFailures), s.Health.HasBreaker
		}).with(Datadog{Name: "deployment.circuit_breaker.failed_tasks", Type: DatadogGauge}, OTLP{Name: "aws.ecs.deployment.circuit_breaker.failed_tasks", Instrument: InstrumentGauge}),
	serviceGauge("ecs_service_deployment_circuit_breaker_threshold_tasks", "Task failures at which the circuit breaker fails the ongoing deployment.", "{task}",
		func(s *collector.Service) (float64, bool) {
			return float64(s.Health.BreakerThreshold), s.Health.HasBreaker
		}).with(Datadog{Name: "deployment.circuit_breaker.threshold", Type: DatadogGauge}, OTLP{Name: "aws.ecs.deployment.circuit_breaker.threshold", Instrument: InstrumentGauge}),
	serviceGauge("ecs_service_deployment_alarms_triggered", "CloudWatch deployment alarms in ALARM for the service's newest service deployment.", "{alarm}",
		func(s *collector.Service) (float64, bool) {
			if r := s.Rollout; r != nil && r.Alarms.Status != "" && r.Alarms.Status != "DISABLED" {
				return float64(len(r.TriggeredAlarms)), true
			}
			return 0, false
		}).with(Datadog{Name: "deployment.alarms_triggered", Type: DatadogGauge}, OTLP{Name: "aws.ecs.deployment.alarms.triggered", Instrument: InstrumentGauge}),
	serviceGauge("ecs_service_deployment_hooks_awaiting_action", "Lifecycle hooks of the ongoing service deployment waiting for someone to act (an approval).", "{hook}",
		func(s *collector.Service) (float64, bool) {
			if r := s.Rollout; r != nil && ecsvocab.ServiceDeploymentOngoing(r.Status) {
				return float64(r.HooksAwaiting), true
			}
			return 0, false
		}).with(Datadog{Name: "deployment.hooks_awaiting_action", Type: DatadogGauge}, OTLP{Name: "aws.ecs.deployment.hooks.awaiting_action", Instrument: InstrumentGauge}),
	serviceGauge("ecs_service_deployment_awaiting_action_seconds", "How long lifecycle hooks have been awaiting action, since ecswatch first saw it (ECS gives no start time); 0 when none is.", "s",
		func(s *collector.Service) (float64, bool) {
			r := s.Rollout
			return s.Health.AwaitingFor.Seconds(), r != nil && ecsvocab.ServiceDeploymentOngoing(r.Status)
		}).with(Datadog{Name: "deployment.awaiting_action_duration", Type: DatadogGauge}, OTLP{Name: "aws.ecs.deployment.awaiting_action.duration", Instrument: InstrumentGauge}),
	revisionGauge("ecs_service_revision_running_tasks", "Running tasks of each service revision of the service's newest service deployment.", "{task}",
		func(r *collector.RolloutRevision) (float64, bool) { return float64(r.Running), true }).with(Datadog{Name: "revision.running", Type: DatadogGauge}, OTLP{Name: "aws.ecs.revision.tasks.running", Instrument: InstrumentGauge}),
	revisionGauge("ecs_service_revision_production_traffic_ratio", "Requested share of production traffic of each service revision (blue/green, linear, canary), 0 to 1.", "1",
		func(r *collector.RolloutRevision) (float64, bool) {
			return r.ProductionWeight / 100, r.HasWeights
		}).with(Datadog{Name: "revision.production_traffic", Type: DatadogGauge}, OTLP{Name: "aws.ecs.revision.traffic.production", Instrument: InstrumentGauge}),
	revisionGauge("ecs_service_revision_test_traffic_ratio", "Requested share of test traffic of each service revision (blue/green, linear, canary), 0 to 1.", "1",
		func(r *collector.RolloutRevision) (float64, bool) {
			return r.TestWeight / 100, r.HasWeights
		}).with(Datadog{Name: "revision.test_traffic", Type: DatadogGauge}, OTLP{Name: "aws.ecs.revision.traffic.test", Instrument: InstrumentGauge}),
	{
		Name: "ecs_service_task_set_info", Kind: Info, Scope: ScopeService, Datadog: Datadog{Type: DatadogTags}, OTLP: OTLP{Instrument: InstrumentAttributes},
		Help:   "One series per task set of a CODE_DEPLOY or EXTERNAL service; always 1.",
		Labels: []string{"task_set_id", "status", "task_definition", "external_id"}, Values: map[string][]string{"status": ecsvocab.TaskSetStatuses},
		service: func(s *collector.Service, emit Emit) {
			for _, ts := range s.TaskSets {
				emit(1, ts.ID, ts.Status, ts.TaskDefinition, ts.ExternalID)
			}
		},
	},
	taskSetGauge("ecs_service_task_set_desired_tasks", "Tasks the task set wants running (computedDesiredCount: its scale of the service's desired count).", "{task}",
		func(ts *collector.TaskSet) float64 { return float64(ts.Desired) }).with(Datadog{Name: "task_set.desired", Type: DatadogGauge}, OTLP{Name: "aws.ecs.task_set.tasks.desired", Instrument: InstrumentGauge}),
	taskSetGauge("ecs_service_task_set_running_tasks", "Tasks of the task set running.", "{task}",
		func(ts *collector.TaskSet) float64 { return float64(ts.Running) }).with(Datadog{Name: "task_set.running", Type: DatadogGauge}, OTLP{Name: "aws.ecs.task_set.tasks.running", Instrument: InstrumentGauge}),
	taskSetGauge("ecs_service_task_set_pending_tasks", "Tasks of the task set pending.", "{task}",
		func(ts *collector.TaskSet) float64 { return float64(ts.Pending) }).with(Datadog{Name: "task_set.pending", Type: DatadogGauge}, OTLP{Name: "aws.ecs.task_set.tasks.pending", Instrument: InstrumentGauge}),
	taskSetGauge("ecs_service_task_set_scale_ratio", "The task set's scale: its share of the service's desired count, 0 to 1.", "1",
		func(ts *collector.TaskSet) float64 { return ts.ScalePercent / 100 }).with(Datadog{Name: "task_set.scale", Type: DatadogGauge}, OTLP{Name: "aws.ecs.task_set.scale", Instrument: InstrumentGauge}),
	taskSetGauge("ecs_service_task_set_steady", "1 when the task set is in STEADY_STATE, 0 while it is STABILIZING.", "1",
		func(ts *collector.TaskSet) float64 { return boolValue(ts.Stability != ecsvocab.StabilityStabilize) }).with(Datadog{Name: "task_set.steady", Type: DatadogGauge}, OTLP{Name: "aws.ecs.task_set.steady", Instrument: InstrumentGauge}),
	eventCounter(collector.EventRollbackFailed, ScopeService, "ecs_service_deployment_rollback_failures_total",
		"Rollbacks of the service that failed (ROLLBACK_FAILED): the service is left without a working revision.", "{deployment}").with(Datadog{Name: "deployment.rollback_failures", Type: DatadogCount}, OTLP{Name: "aws.ecs.deployment.rollback_failures", Instrument: InstrumentCounter}),
})

// experimentalSince marks every family of fs experimental since version.
func experimentalSince(version string, fs []*Family) []*Family {
	for _, f := range fs {
		f.experimental(version)
	}
	return fs
}

// rolloutStateset reports state(rollout) of the service's newest service
// deployment as a stateset: one series per value, 1 for the current. An
// empty state emits nothing.
func rolloutStateset(name, label string, values []string, help string, state func(r *collector.Rollout) string) *Family {
	return &Family{Name: name, Help: help, Kind: Gauge, Unit: "1", Scope: ScopeService,
		Labels: []string{"deployment_id", label}, Values: map[string][]string{label: values},
		service: func(s *collector.Service, emit Emit) {
			r := s.Rollout
			if r == nil {
				return
			}
			current := state(r)
			if current == "" {
				return
			}
			for _, v := range values {
				emit(boolValue(v == current), r.ID, v)
			}
		}}
}

// revisionGauge reports a value of each service revision of the service's
// newest service deployment; role says whether it is the source or the
// target.
func revisionGauge(name, help, unit string, value func(r *collector.RolloutRevision) (float64, bool)) *Family {
	return &Family{Name: name, Help: help, Kind: Gauge, Unit: unit, Scope: ScopeService,
		Labels: []string{"service_revision", "role"}, Values: map[string][]string{"role": {"source", "target"}},
		service: func(s *collector.Service, emit Emit) {
			if s.Rollout == nil {
				return
			}
			for i := range s.Rollout.Revisions {
				rev := &s.Rollout.Revisions[i]
				role := "source"
				if rev.Target {
					role = "target"
				}
				if v, ok := value(rev); ok {
					emit(v, rev.ID, role)
				}
			}
		}}
}

// taskSetGauge reports a value of each task set of the service.
func taskSetGauge(name, help, unit string, value func(ts *collector.TaskSet) float64) *Family {
	return &Family{Name: name, Help: help, Kind: Gauge, Unit: unit, Scope: ScopeService,
		Labels: []string{"task_set_id", "status"}, Values: map[string][]string{"status": ecsvocab.TaskSetStatuses},
		service: func(s *collector.Service, emit Emit) {
			for i := range s.TaskSets {
				ts := &s.TaskSets[i]
				emit(value(ts), ts.ID, ts.Status)
			}
		}}
}
