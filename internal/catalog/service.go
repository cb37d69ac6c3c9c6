package catalog

import (
	"github.com/ecswatch/ecswatch/collector"
	"github.com/ecswatch/ecswatch/internal/ecsvocab"
)

// serviceFamilies describe a service and its deployments (standalone),
// and the events counted for it.
var serviceFamilies = []*Family{
	serviceGauge("ecs_service_desired_tasks", "Tasks the service wants running.", "{task}",
		func(s *collector.Service) (float64, bool) { return float64(s.Desired), true }).with(Datadog{Name: "service.desired", Type: DatadogGauge}, OTLP{Name: "aws.ecs.service.tasks.desired", Instrument: InstrumentGauge}),
	serviceGauge("ecs_service_running_tasks", "Tasks of the service running.", "{task}",
		func(s *collector.Service) (float64, bool) { return float64(s.Running), true }).with(Datadog{Name: "service.running", Type: DatadogGauge}, OTLP{Name: "aws.ecs.service.tasks.running", Instrument: InstrumentGauge}),
	serviceGauge("ecs_service_pending_tasks", "Tasks of the service pending.", "{task}",
		func(s *collector.Service) (float64, bool) { return float64(s.Pending), true }).with(Datadog{Name: "service.pending", Type: DatadogGauge}, OTLP{Name: "aws.ecs.service.tasks.pending", Instrument: InstrumentGauge}),
	{
		Name: "ecs_service_deployment_info", Unit: "", Datadog: Datadog{Name: "", Type: DatadogTags}, OTLP: OTLP{Instrument: InstrumentAttributes}, Kind: Info, Scope: ScopeService, Values: map[string][]string{"status": ecsvocab.DeploymentStatuses, "rollout_state": ecsvocab.RolloutStates},
		Help:   "One series per deployment of the service; always 1.",
		Labels: []string{"deployment_id", "status", "rollout_state", "task_definition"},
		service: func(s *collector.Service, emit Emit) {
			for _, d := range s.Deployments {
				emit(1, d.ID, d.Status, d.RolloutState, d.TaskDefinition)
			}
		},
	},
	deploymentGauge("ecs_service_deployment_desired_tasks", "Tasks the deployment wants running.", "{task}",
		func(d *collector.Deployment) float64 { return float64(d.Desired) }).with(Datadog{Name: "deployment.desired", Type: DatadogGauge}, OTLP{Name: "aws.ecs.deployment.tasks.desired", Instrument: InstrumentGauge}),
	deploymentGauge("ecs_service_deployment_running_tasks", "Tasks of the deployment running.", "{task}",
		func(d *collector.Deployment) float64 { return float64(d.Running) }).with(Datadog{Name: "deployment.running", Type: DatadogGauge}, OTLP{Name: "aws.ecs.deployment.tasks.running", Instrument: InstrumentGauge}),
	deploymentGauge("ecs_service_deployment_pending_tasks", "Tasks of the deployment pending.", "{task}",
		func(d *collector.Deployment) float64 { return float64(d.Pending) }).with(Datadog{Name: "deployment.pending", Type: DatadogGauge}, OTLP{Name: "aws.ecs.deployment.tasks.pending", Instrument: InstrumentGauge}),
	deploymentGauge("ecs_service_deployment_failed_tasks", "Tasks of the deployment that failed to start (what the circuit breaker counts).", "{task}",
		func(d *collector.Deployment) float64 { return float64(d.Failed) }).with(Datadog{Name: "deployment.failed_tasks", Type: DatadogGauge}, OTLP{Name: "aws.ecs.deployment.tasks.failed", Instrument: InstrumentGauge}),
	deploymentGauge("ecs_service_deployment_created_timestamp_seconds", "Unix time the deployment was created.", "s",
		func(d *collector.Deployment) float64 { return unixSeconds(d.CreatedAt) }).with(Datadog{Name: "deployment.created", Type: DatadogGauge}, OTLP{Name: "aws.ecs.deployment.created_time", Instrument: InstrumentGauge}),
	{
		Name: "ecs_service_deployment_stuck", Unit: "1", Datadog: Datadog{Name: "deployment.stuck", Type: DatadogGauge}, OTLP: OTLP{Name: "aws.ecs.deployment.stuck", Instrument: InstrumentGauge}, Kind: Gauge, Scope: ScopeService, Labels: []string{"reason"}, Values: map[string][]string{"reason": stringsOf(collector.StuckReasons)},
		Help: "1 when the ongoing deployment (or a task set stabilizing) is stuck for this reason (placement_failure, failing_tasks, no_progress), else 0; never during bake time, a traffic step's wait or a hook awaiting action. See README for the rule.",
		service: func(s *collector.Service, emit Emit) {
			for _, r := range collector.StuckReasons {
				emit(boolValue(s.Health.Stuck == r), string(r))
			}
		},
	},
	eventCounter(collector.EventDeploymentFailed, ScopeService, "ecs_service_deployment_failures_total",
		"Deployments of the service that failed, were stopped or rolled back, by cause: circuit_breaker, alarm (a CloudWatch deployment alarm), manual (stopped or rolled back by a user), other (e.g. a lifecycle hook failed).", "{deployment}", "cause").values("cause", ecsvocab.FailureCauses).with(Datadog{Name: "deployment.failures", Type: DatadogCount}, OTLP{Name: "aws.ecs.deployment.failures", Instrument: InstrumentCounter}),
	serviceGauge("ecs_service_revisions_running", "Service revisions serving production: with traffic weight (blue/green, linear, canary), with running tasks (rolling), or task sets scaled above 0 (CODE_DEPLOY, EXTERNAL); above 1 while old and new serve side by side. See README for the rule.", "{revision}",
		func(s *collector.Service) (float64, bool) { return float64(s.Health.RevisionsRunning), true }).with(Datadog{Name: "service.revisions_running", Type: DatadogGauge}, OTLP{Name: "aws.ecs.service.revisions", Instrument: InstrumentGauge}),
	serviceGauge("ecs_service_revisions_mixed_seconds", "How long more than one revision has served production, from ECS's own timestamps; 0 when only one does.", "s",
		func(s *collector.Service) (float64, bool) { return s.Health.MixedFor.Seconds(), true }).with(Datadog{Name: "service.revisions_mixed_duration", Type: DatadogGauge}, OTLP{Name: "aws.ecs.service.revisions.mixed_duration", Instrument: InstrumentGauge}),
	eventCounter(collector.EventPlacementFailure, ScopeService, "ecs_service_placement_failures_total",
		"Service events reporting that a task could not be placed, by reason.", "{failure}", "reason").values("reason", ecsvocab.PlacementReasons()).with(Datadog{Name: "service.placement_failures", Type: DatadogCount}, OTLP{Name: "aws.ecs.service.placement_failures", Instrument: InstrumentCounter}),
	serviceGauge("ecs_service_deploy_headroom_tasks", "EC2 only: more tasks of this service's size that the ACTIVE container instances it may use (launch type or capacity providers, CPU architecture and OS, distinctInstance) can place now.", "{task}",
		func(s *collector.Service) (float64, bool) {
			return float64(s.Health.HeadroomTasks), s.Health.HasHeadroom
		}).with(Datadog{Name: "service.deploy_headroom", Type: DatadogGauge}, OTLP{Name: "aws.ecs.service.deploy.headroom", Instrument: InstrumentGauge}),
	serviceGauge("ecs_service_deploy_surge_tasks", "EC2 only: extra tasks a rolling deployment at the service's maximumPercent starts at once; whether the next deployment can proceed is ecs_service_deploy_headroom_state.", "{task}",
		func(s *collector.Service) (float64, bool) { return float64(s.Health.SurgeTasks), s.Health.HasHeadroom }).with(Datadog{Name: "service.deploy_surge", Type: DatadogGauge}, OTLP{Name: "aws.ecs.service.deploy.surge", Instrument: InstrumentGauge}),
	eventCounter(collector.EventTaskStopped, ScopeService, "ecs_task_stopped_total",
		"Tasks seen stopped, by stop code.", "{task}", "stop_code").values("stop_code", ecsvocab.StopCodeValues()).with(Datadog{Name: "task.stopped", Type: DatadogCount}, OTLP{Name: "aws.ecs.task.stopped", Instrument: InstrumentCounter}),
}
