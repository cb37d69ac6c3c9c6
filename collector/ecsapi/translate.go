package ecsapi

// The translate step: pure functions from the API's types to the model.

import (
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
		}
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

func stoppedInfo(cluster string, t types.Task) rules.StoppedTaskInfo {
	info := rules.StoppedTaskInfo{
		ARN: aws.ToString(t.TaskArn), Cluster: cluster, Service: rules.ServiceFromGroup(aws.ToString(t.Group)),
		Family:         ecsvocab.TaskFamily(ecsvocab.TaskDefinition(aws.ToString(t.TaskDefinitionArn))),
		TaskDefinition: ecsvocab.TaskDefinition(aws.ToString(t.TaskDefinitionArn)),
		StopCode:       string(t.StopCode), StoppedReason: aws.ToString(t.StoppedReason), StoppedAt: aws.ToTime(t.StoppedAt),
	}
	for _, ct := range t.Containers {
		sc := rules.StoppedContainer{Name: aws.ToString(ct.Name), Reason: aws.ToString(ct.Reason)}
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
