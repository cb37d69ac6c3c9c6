package ecsapi

// The translate step: pure functions from the API's types to the model.

import (
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/ecswatch/ecswatch/collector"
	"github.com/ecswatch/ecswatch/collector/rules"
	"github.com/ecswatch/ecswatch/internal/ecsvocab"
)

func translateService(cluster string, s types.Service) *collector.Service {
	svc := &collector.Service{
		Cluster: cluster, Name: aws.ToString(s.ServiceName), ARN: aws.ToString(s.ServiceArn),
		LaunchType: string(s.LaunchType), Status: aws.ToString(s.Status),
		Desired: int(s.DesiredCount), Running: int(s.RunningCount), Pending: int(s.PendingCount),
		// ECS's defaults for a rolling deployment.
		MaximumPercent: 200, MinimumHealthyPercent: 100,
	}
	if dc := s.DeploymentConfiguration; dc != nil {
		if dc.MaximumPercent != nil {
			svc.MaximumPercent = int(*dc.MaximumPercent)
		}
		if dc.MinimumHealthyPercent != nil {
			svc.MinimumHealthyPercent = int(*dc.MinimumHealthyPercent)
		}
		if cb := dc.DeploymentCircuitBreaker; cb != nil {
			svc.CircuitBreaker, svc.Rollback = cb.Enable, cb.Rollback
			if cb.Enable {
				svc.CircuitBreakerThreshold = breakerThreshold(cb.ThresholdConfiguration, svc.Desired)
			}
		}
		svc.Strategy = string(dc.Strategy)
		if lc := dc.LinearConfiguration; lc != nil {
			svc.StepBake = minutes(lc.StepBakeTimeInMinutes)
		}
		if cc := dc.CanaryConfiguration; cc != nil {
			svc.StepBake = minutes(cc.CanaryBakeTimeInMinutes)
		}
	}
	svc.Controller = ecsvocab.ControllerECS
	if c := s.DeploymentController; c != nil && c.Type != "" {
		svc.Controller = string(c.Type)
	}
	if svc.Controller == ecsvocab.ControllerECS && svc.Strategy == "" {
		svc.Strategy = ecsvocab.StrategyRolling
	}
	if svc.Controller != ecsvocab.ControllerECS {
		svc.Strategy = ""
	}
	for _, ts := range s.TaskSets {
		t := collector.TaskSet{
			ID: aws.ToString(ts.Id), ARN: aws.ToString(ts.TaskSetArn), Status: aws.ToString(ts.Status),
			TaskDefinition: ecsvocab.TaskDefinition(aws.ToString(ts.TaskDefinition)), ExternalID: aws.ToString(ts.ExternalId),
			Desired: int(ts.ComputedDesiredCount), Running: int(ts.RunningCount), Pending: int(ts.PendingCount),
			Stability: string(ts.StabilityStatus), StabilityAt: aws.ToTime(ts.StabilityStatusAt),
			CreatedAt: aws.ToTime(ts.CreatedAt), UpdatedAt: aws.ToTime(ts.UpdatedAt),
		}
		// A scale in PERCENT is the only unit the API defines.
		if ts.Scale != nil && (ts.Scale.Unit == types.ScaleUnitPercent || ts.Scale.Unit == "") {
			t.ScalePercent = ts.Scale.Value
		}
		svc.TaskSets = append(svc.TaskSets, t)
	}
	for _, d := range s.Deployments {
		svc.Deployments = append(svc.Deployments, collector.Deployment{
			ID: aws.ToString(d.Id), Status: aws.ToString(d.Status),
			TaskDefinition: ecsvocab.TaskDefinition(aws.ToString(d.TaskDefinition)),
			RolloutState:   string(d.RolloutState), RolloutStateReason: aws.ToString(d.RolloutStateReason),
			Desired: int(d.DesiredCount), Running: int(d.RunningCount), Pending: int(d.PendingCount), Failed: int(d.FailedTasks),
			CreatedAt: aws.ToTime(d.CreatedAt), UpdatedAt: aws.ToTime(d.UpdatedAt),
		})
	}
	for _, e := range s.Events {
		svc.Events = append(svc.Events, collector.ServiceEvent{ID: aws.ToString(e.Id), CreatedAt: aws.ToTime(e.CreatedAt), Message: aws.ToString(e.Message)})
	}
	return svc
}

// breakerThreshold is the circuit breaker's failure threshold: by default
// (BOUNDED_PERCENT, 50) half the desired count, at least 3 and at most 200;
// UNBOUNDED_PERCENT without the bounds; COUNT the value itself (API
// reference: ThresholdConfiguration, ServiceDeploymentCircuitBreaker).
// ECS does not say how it rounds; ecswatch rounds up.
func breakerThreshold(tc *types.ThresholdConfiguration, desired int) int {
	typ, value := types.ThresholdTypeBoundedPercent, 50
	if tc != nil {
		typ, value = tc.Type, int(tc.Value)
	}
	percent := (value*desired + 99) / 100
	switch typ {
	case types.ThresholdTypeCount:
		return value
	case types.ThresholdTypeUnboundedPercent:
		return percent
	}
	return min(max(percent, 3), 200)
}

func minutes(m *int32) time.Duration {
	if m == nil {
		return 0
	}
	return time.Duration(*m) * time.Minute
}

// translateRollout turns a service deployment into the model.
func translateRollout(sd types.ServiceDeployment) *collector.Rollout {
	r := &collector.Rollout{
		ARN: aws.ToString(sd.ServiceDeploymentArn), ID: ecsvocab.ResourceID(aws.ToString(sd.ServiceDeploymentArn)),
		Status: string(sd.Status), StatusReason: aws.ToString(sd.StatusReason), Stage: string(sd.LifecycleStage),
		CreatedAt: aws.ToTime(sd.CreatedAt), StartedAt: aws.ToTime(sd.StartedAt), UpdatedAt: aws.ToTime(sd.UpdatedAt),
	}
	if cb := sd.DeploymentCircuitBreaker; cb != nil {
		r.CircuitBreaker = collector.RolloutMonitor{Status: string(cb.Status), FailureCount: int(cb.FailureCount), Threshold: int(cb.Threshold)}
	}
	if a := sd.Alarms; a != nil {
		r.Alarms = collector.RolloutMonitor{Status: string(a.Status)}
		r.TriggeredAlarms = a.TriggeredAlarmNames
	}
	for _, h := range sd.LifecycleHookDetails {
		switch string(h.Status) {
		case ecsvocab.HookAwaitingAction:
			r.HooksAwaiting++
		case ecsvocab.HookFailed, ecsvocab.HookTimedOut:
			r.HookFailed = true
		}
	}
	if rb := sd.Rollback; rb != nil {
		r.RollbackReason = aws.ToString(rb.Reason)
	}
	revision := func(rs types.ServiceRevisionSummary, target bool) collector.RolloutRevision {
		rev := collector.RolloutRevision{
			ARN: aws.ToString(rs.Arn), ID: ecsvocab.ResourceID(aws.ToString(rs.Arn)), Target: target,
			Requested: int(rs.RequestedTaskCount), Running: int(rs.RunningTaskCount), Pending: int(rs.PendingTaskCount),
		}
		if rs.RequestedProductionTrafficWeight != nil || rs.RequestedTestTrafficWeight != nil {
			rev.HasWeights = true
			rev.ProductionWeight, rev.TestWeight = aws.ToFloat64(rs.RequestedProductionTrafficWeight), aws.ToFloat64(rs.RequestedTestTrafficWeight)
		}
		return rev
	}
	for _, rs := range sd.SourceServiceRevisions {
		r.Revisions = append(r.Revisions, revision(rs, false))
	}
	if t := sd.TargetServiceRevision; t != nil {
		r.Revisions = append(r.Revisions, revision(*t, true))
	}
	return r
}

// stoppedInfo copies the strings it keeps: its events are remembered for
// a while, and the task's strings share one block (lean.go). Stopped tasks
// are described once each, so the copies are few.
func stoppedInfo(cluster string, t types.Task) rules.StoppedTaskInfo {
	str := func(s *string) string { return strings.Clone(aws.ToString(s)) }
	info := rules.StoppedTaskInfo{
		ARN: str(t.TaskArn), Cluster: cluster, Service: rules.ServiceFromGroup(str(t.Group)),
		Family:         ecsvocab.TaskFamily(ecsvocab.TaskDefinition(str(t.TaskDefinitionArn))),
		TaskDefinition: ecsvocab.TaskDefinition(str(t.TaskDefinitionArn)),
		StopCode:       strings.Clone(string(t.StopCode)), StoppedReason: str(t.StoppedReason), StoppedAt: aws.ToTime(t.StoppedAt),
	}
	for _, ct := range t.Containers {
		sc := rules.StoppedContainer{Name: str(ct.Name), Reason: str(ct.Reason)}
		if ct.ExitCode != nil {
			code := int(*ct.ExitCode)
			sc.ExitCode = &code
		}
		info.Containers = append(info.Containers, sc)
	}
	return info
}

func resource(rs []types.Resource, name string) int {
	for _, r := range rs {
		if aws.ToString(r.Name) == name {
			return int(r.IntegerValue)
		}
	}
	return 0
}
