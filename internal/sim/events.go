package sim

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// ShopEvents returns the EventBridge events of ShopScenario that happen in
// (from, to] after start, as the JSON bodies EventBridge delivers to SQS.
// They name the same tasks and deployments as the ECS fake, so a consumer
// and the polling collector see the same occurrences.
func ShopEvents(region string, start time.Time) func(from, to time.Duration) []string {
	arn := func(kind, rest string) string {
		return "arn:aws:ecs:" + region + ":" + Account + ":" + kind + "/" + rest
	}
	envelope := func(id, detailType string, at time.Time, resource string, detail map[string]any) string {
		b, _ := json.Marshal(map[string]any{
			"version": "0", "id": id, "detail-type": detailType, "source": "aws.ecs", "account": Account,
			"time": at.UTC().Format(time.RFC3339), "region": region, "resources": []string{resource}, "detail": detail,
		})
		return string(b)
	}
	in := func(at time.Duration, from, to time.Duration) bool { return at > from && at <= to }
	return func(from, to time.Duration) []string {
		var out []string
		// worker tasks OOM-killed.
		for k := 0; FirstTaskOOM+time.Duration(k)*TaskOOMEvery <= to; k++ {
			e := FirstTaskOOM + time.Duration(k)*TaskOOMEvery
			if !in(e, from, to) {
				continue
			}
			at := start.Add(e)
			task := arn("task", ShopCluster+"/"+fmt.Sprintf("0b0000000000000000000000%08d", k))
			out = append(out, envelope(fmt.Sprintf("5e1f0000-0000-4000-8000-%012d", k), "ECS Task State Change", at, task, map[string]any{
				"clusterArn": arn("cluster", ShopCluster), "taskArn": task, "taskDefinitionArn": arn("task-definition", "worker:3"),
				"group": "service:worker", "lastStatus": "STOPPED", "desiredStatus": "STOPPED", "launchType": "EC2",
				"stopCode": "EssentialContainerExited", "stoppedReason": "Essential container in task exited",
				"stoppedAt": at.UTC().Format(time.RFC3339Nano), "updatedAt": at.UTC().Format(time.RFC3339Nano),
				"containers": []any{map[string]any{"name": "worker", "exitCode": 137, "lastStatus": "STOPPED",
					"reason": "OutOfMemoryError: Container killed due to memory usage", "taskArn": task}},
			}))
		}
		// payments: the circuit breaker fails the deployment.
		if in(CircuitBreakerTrips, from, to) {
			at := start.Add(CircuitBreakerTrips)
			out = append(out, envelope("5e1f0000-0000-4000-8001-000000000005", "ECS Deployment State Change", at, arn("service", ShopCluster+"/payments"), map[string]any{
				"eventType": "ERROR", "eventName": "SERVICE_DEPLOYMENT_FAILED", "deploymentId": "ecs-svc/4000000000000000005",
				"updatedAt": at.UTC().Format(time.RFC3339), "reason": "ECS deployment circuit breaker: tasks failed to start.",
			}))
		}
		// frontend: the rollout completes.
		if done := 4*RolloutStep - 10*time.Second; in(done, from, to) {
			at := start.Add(done)
			out = append(out, envelope("5e1f0000-0000-4000-8002-000000000008", "ECS Deployment State Change", at, arn("service", ShopCluster+"/frontend"), map[string]any{
				"eventType": "INFO", "eventName": "SERVICE_DEPLOYMENT_COMPLETED", "deploymentId": "ecs-svc/2000000000000000008",
				"updatedAt": at.UTC().Format(time.RFC3339), "reason": "ECS deployment ecs-svc/2000000000000000008 completed.",
			}))
		}
		// checkout: placement failures, each retry.
		stuckAt := -StuckDeploymentAge
		for n := 0; ; n++ {
			e := stuckAt + time.Minute + time.Duration(n)*PlacementRetry
			if e > to {
				break
			}
			if !in(e, from, to) {
				continue
			}
			at := start.Add(e)
			out = append(out, envelope(fmt.Sprintf("5e1f0000-0000-4000-8003-%012d", n), "ECS Service Action", at, arn("service", ShopCluster+"/checkout"), map[string]any{
				"eventType": "ERROR", "eventName": "SERVICE_TASK_PLACEMENT_FAILURE", "clusterArn": arn("cluster", ShopCluster),
				"containerInstanceArns": []string{arn("container-instance", ShopCluster+"/0a1b2c3d4e5f60002")},
				"reason":                "RESOURCE:MEMORY", "createdAt": at.UTC().Format(time.RFC3339Nano),
			}))
		}
		return out
	}
}

// Publish sends the events of script to queue as time passes, every tick,
// until ctx ends: the simulated cluster's EventBridge rule.
func Publish(ctx context.Context, q *SQS, queue string, start time.Time, tick time.Duration, script func(from, to time.Duration) []string) {
	t := time.NewTicker(tick)
	defer t.Stop()
	last := time.Duration(0)
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		now := time.Since(start)
		for _, body := range script(last, now) {
			q.Send(queue, body)
		}
		last = now
	}
}
