package rules

import (
	"fmt"
	"testing"
	"time"

	"github.com/ecswatch/ecswatch/collector"
)

// TestCrashLoop: the situations in which a service's current revision
// cannot start its tasks, and those in which it only looks so.
func TestCrashLoop(t *testing.T) {
	t.Parallel()
	created := t0.Add(-20 * time.Minute)
	svc := func(events ...collector.ServiceEvent) *collector.Service {
		return &collector.Service{Cluster: "c", Name: "api", Desired: 3, Events: events, Deployments: []collector.Deployment{
			{ID: "d2", Status: "PRIMARY", TaskDefinition: "api:2", RolloutState: "IN_PROGRESS", Desired: 3, CreatedAt: created},
			{ID: "d1", Status: "ACTIVE", TaskDefinition: "api:1", RolloutState: "COMPLETED", Desired: 3, Running: 3, CreatedAt: created.Add(-time.Hour)},
		}}
	}
	stop := func(n int, td, stopCode, reason string, ago time.Duration, containerReason string) []StoppedTaskInfo {
		var out []StoppedTaskInfo
		for i := range n {
			out = append(out, StoppedTaskInfo{ARN: fmt.Sprintf("arn:task/c/%s-%s-%d", td, stopCode, i), Cluster: "c", Service: "api", TaskDefinition: td,
				StopCode: stopCode, StoppedReason: reason, StoppedAt: t0.Add(-ago),
				Containers: []StoppedContainer{{Name: "app", Reason: containerReason}}})
		}
		return out
	}
	impaired := collector.ServiceEvent{ID: "e1", CreatedAt: t0.Add(-5 * time.Minute), Message: "(service api) is unable to consistently start tasks successfully. For more information, see the Troubleshooting section of the Amazon ECS Developer Guide."}
	steady := collector.ServiceEvent{ID: "e2", CreatedAt: t0.Add(-time.Minute), Message: "(service api) has reached a steady state."}
	oldImpaired := impaired
	oldImpaired.CreatedAt = created.Add(-time.Minute)
	pull := "CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref api:v2: not found"
	secret := "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed"
	tests := []struct {
		name  string
		svc   *collector.Service
		stops []StoppedTaskInfo
		want  string
	}{
		{"image that does not pull", svc(), stop(3, "api:2", "TaskFailedToStart", pull, time.Minute, pull), "image_pull"},
		{"missing secret, mixed with one pull error", svc(), append(stop(3, "api:2", "TaskFailedToStart", secret, 2*time.Minute, ""), stop(1, "api:2", "TaskFailedToStart", pull, time.Minute, "")...), "resource_init"},
		{"ELB health checks kill every new task", svc(), stop(4, "api:2", "ServiceSchedulerInitiated", "Task failed ELB health checks in (target-group arn:aws:elasticloadbalancing:eu-west-1:1:targetgroup/api/0)", 3*time.Minute, ""), "elb_health_check"},
		{"ECS says so before ecswatch saw a stopped task", svc(impaired), nil, "unknown"},
		{"ECS says so, and two pull errors tell why", svc(impaired), stop(2, "api:2", "TaskFailedToStart", pull, time.Minute, ""), "image_pull"},
		{"two failures are not yet a loop", svc(), stop(2, "api:2", "TaskFailedToStart", pull, time.Minute, ""), ""},
		{"failures of the old revision do not count", svc(), stop(5, "api:1", "TaskFailedToStart", pull, time.Minute, ""), ""},
		{"failures older than the window do not count", svc(), stop(5, "api:2", "TaskFailedToStart", pull, 20*time.Minute, ""), ""},
		{"scale-in and Spot stops are not failures", svc(), append(stop(3, "api:2", "ServiceSchedulerInitiated", "Scaling activity initiated by (deployment d2)", time.Minute, ""), stop(3, "api:2", "SpotInterruption", "Your Spot Task was interrupted.", time.Minute, "")...), ""},
		{"steady state since ECS's warning", svc(impaired, steady), nil, ""},
		{"ECS's warning about an earlier deployment", svc(oldImpaired), nil, ""},
		{"steady service", svc(steady), nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tr := NewTracker(DefaultOptions)
			tr.ObserveStopped(tt.stops)
			tr.ObserveStopped(tt.stops) // seen again by the next poll: no more
			tr.CrashLoop(t0, tt.svc)
			if got := tt.svc.Health.CrashLoop; got != tt.want {
				t.Errorf("crash loop %q, want %q", got, tt.want)
			}
		})
	}
}

// TestCrashLoopEnds: a loop ends when its failures leave the window, and
// the Tracker forgets them.
func TestCrashLoopEnds(t *testing.T) {
	t.Parallel()
	tr := NewTracker(DefaultOptions)
	var stops []StoppedTaskInfo
	for i := range 3 {
		stops = append(stops, StoppedTaskInfo{ARN: fmt.Sprint("t", i), Service: "api", TaskDefinition: "api:2", StopCode: "TaskFailedToStart",
			StoppedReason: "CannotPullContainerError: not found", StoppedAt: t0})
	}
	tr.ObserveStopped(stops)
	svc := &collector.Service{Name: "api", Deployments: []collector.Deployment{{ID: "d2", Status: "PRIMARY", TaskDefinition: "api:2", CreatedAt: t0.Add(-time.Hour)}}}
	tr.CrashLoop(t0.Add(time.Minute), svc)
	if svc.Health.CrashLoop != "image_pull" {
		t.Fatalf("crash loop %q", svc.Health.CrashLoop)
	}
	svc.Health = collector.ServiceHealth{}
	tr.CrashLoop(t0.Add(CrashLoopWindow+time.Second), svc)
	if svc.Health.CrashLoop != "" || len(tr.crash) != 0 {
		t.Errorf("crash loop %q, remembered %v", svc.Health.CrashLoop, tr.crash)
	}
}
