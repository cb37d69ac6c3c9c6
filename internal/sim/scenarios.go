package sim

import (
	"fmt"
	"time"
)

// ShopCluster names the demo's EC2 cluster.
const ShopCluster = "shop-prod"

// The scenario timeline of ShopScenario, relative to the start of the fake.
const (
	// RolloutStep is how often the frontend deployment starts one new task;
	// it completes after four steps.
	RolloutStep = 15 * time.Second
	// CircuitBreakerTrips is when the payments deployment is marked FAILED
	// and rolled back; RollbackDone when the rollback completes.
	CircuitBreakerTrips = 20 * time.Second
	RollbackDone        = 45 * time.Second
	// FirstTaskOOM is when the first worker task is OOM-killed; another
	// follows every TaskOOMEvery.
	FirstTaskOOM = 15 * time.Second
	TaskOOMEvery = time.Minute
	// PlacementRetry is how often the stuck checkout deployment logs a
	// placement failure.
	PlacementRetry = 2 * time.Minute
	// StuckDeploymentAge is how old the checkout deployment is at the start.
	StuckDeploymentAge = 40 * time.Minute
)

// ShopScenario returns the script of the demo cluster, one EC2 cluster with
// one service per scenario:
//
//   - catalog: steady; nothing may fire for it.
//   - frontend: a rolling deployment that completes (one task every
//     RolloutStep).
//   - checkout: a deployment stuck for 40 minutes on insufficient memory
//     (maximumPercent 200, 2 GiB tasks, 1–1.5 GiB free per instance).
//   - payments (Fargate): tasks fail to start, the circuit breaker fails the
//     deployment at CircuitBreakerTrips and rolls back by RollbackDone.
//   - worker: tasks OOM-killed at FirstTaskOOM and every TaskOOMEvery.
func ShopScenario(start time.Time) func(elapsed time.Duration) *Cluster {
	return func(e time.Duration) *Cluster {
		now := start.Add(e)
		c := &Cluster{Name: ShopCluster, Instances: []*Instance{
			{ID: "0a1b2c3d4e5f60001", CPU: 4096, Memory: 16384, FreeCPU: 1024, FreeMemory: 1024},
			{ID: "0a1b2c3d4e5f60002", CPU: 4096, Memory: 16384, FreeCPU: 1536, FreeMemory: 1536},
		}}
		addRunning := func(svc, td, launch string, n, cpu, mem int) {
			for i := range n {
				c.Tasks = append(c.Tasks, &Task{
					ID: fmt.Sprintf("%s%s%02d", taskIDPrefix(svc), shortHash(td), i), Service: svc, TaskDefinition: td,
					LaunchType: launch, LastStatus: "RUNNING", DesiredStatus: "RUNNING", CPU: cpu, Memory: mem,
					CreatedAt: start.Add(-time.Hour), Containers: []Container{{Name: svc}},
				})
			}
		}
		steady := func(svc string, at time.Time) Event {
			return Event{ID: svc + "-steady-" + fmt.Sprint(at.Unix()), CreatedAt: at, Message: "(service " + svc + ") has reached a steady state."}
		}

		// catalog: steady.
		c.Services = append(c.Services, &Service{
			Name: "catalog", LaunchType: "EC2", Desired: 3, MaximumPercent: 200, MinimumHealthyPercent: 100, CircuitBreaker: true,
			Deployments: []Deployment{{ID: "ecs-svc/1000000000000000001", Status: "PRIMARY", TaskDefinition: "catalog:21",
				RolloutState: "COMPLETED", RolloutStateReason: "ECS deployment ecs-svc/1000000000000000001 completed.",
				Desired: 3, Running: 3, CreatedAt: start.Add(-72 * time.Hour), UpdatedAt: start.Add(-71 * time.Hour)}},
			Events: []Event{steady("catalog", start.Add(-6*time.Hour)), steady("catalog", start.Add(-12*time.Hour))},
		})
		addRunning("catalog", "catalog:21", "EC2", 3, 256, 512)

		// frontend: rolling deployment 7 -> 8 that completes.
		created := start.Add(-10 * time.Second)
		step := min(4, int(now.Sub(created)/RolloutStep))
		fe := &Service{Name: "frontend", LaunchType: "EC2", Desired: 4, MaximumPercent: 200, MinimumHealthyPercent: 100, CircuitBreaker: true,
			Events: []Event{steady("frontend", start.Add(-24*time.Hour))}}
		for i := 1; i <= step; i++ {
			at := created.Add(time.Duration(i) * RolloutStep)
			fe.Events = append([]Event{{ID: fmt.Sprintf("frontend-start-%d", i), CreatedAt: at, Message: "(service frontend) has started 1 tasks: (task frontend-8-" + fmt.Sprint(i) + ")."}}, fe.Events...)
		}
		if step < 4 {
			fe.Deployments = []Deployment{
				{ID: "ecs-svc/2000000000000000008", Status: "PRIMARY", TaskDefinition: "frontend:8", RolloutState: "IN_PROGRESS",
					RolloutStateReason: "ECS deployment ecs-svc/2000000000000000008 in progress.", Desired: 4, Running: step, CreatedAt: created, UpdatedAt: now},
				{ID: "ecs-svc/2000000000000000007", Status: "ACTIVE", TaskDefinition: "frontend:7", RolloutState: "COMPLETED",
					Desired: 4 - step, Running: 4 - step, CreatedAt: start.Add(-48 * time.Hour), UpdatedAt: now},
			}
		} else {
			done := created.Add(4 * RolloutStep)
			fe.Deployments = []Deployment{{ID: "ecs-svc/2000000000000000008", Status: "PRIMARY", TaskDefinition: "frontend:8", RolloutState: "COMPLETED",
				RolloutStateReason: "ECS deployment ecs-svc/2000000000000000008 completed.", Desired: 4, Running: 4, CreatedAt: created, UpdatedAt: done}}
			fe.Events = append([]Event{steady("frontend", done)}, fe.Events...)
		}
		fe.ServiceDeployments = []ServiceDeployment{{ID: "frontend8", Status: "IN_PROGRESS", CreatedAt: created, StartedAt: created, UpdatedAt: now,
			BreakerStatus: "MONITORING", Threshold: 3,
			Source: []Revision{{ID: "frontend7", Requested: 4 - step, Running: 4 - step}},
			Target: &Revision{ID: "frontend8", Requested: 4, Running: step}}}
		if step == 4 {
			sd := &fe.ServiceDeployments[0]
			sd.Status, sd.UpdatedAt, sd.BreakerStatus, sd.Source = "SUCCESSFUL", created.Add(4*RolloutStep), "MONITORING_COMPLETE", nil
		}
		c.Services = append(c.Services, fe)
		addRunning("frontend", "frontend:8", "EC2", step, 256, 512)
		addRunning("frontend", "frontend:7", "EC2", 4-step, 256, 512)

		// checkout: stuck on insufficient memory.
		stuckAt := start.Add(-StuckDeploymentAge)
		co := &Service{Name: "checkout", LaunchType: "EC2", Desired: 4, MaximumPercent: 200, MinimumHealthyPercent: 100, CircuitBreaker: true,
			Deployments: []Deployment{
				{ID: "ecs-svc/3000000000000000012", Status: "PRIMARY", TaskDefinition: "checkout:12", RolloutState: "IN_PROGRESS",
					RolloutStateReason: "ECS deployment ecs-svc/3000000000000000012 in progress.", Desired: 4, Running: 1, CreatedAt: stuckAt, UpdatedAt: stuckAt.Add(time.Minute)},
				{ID: "ecs-svc/3000000000000000011", Status: "ACTIVE", TaskDefinition: "checkout:11", RolloutState: "COMPLETED",
					Desired: 4, Running: 4, CreatedAt: start.Add(-96 * time.Hour), UpdatedAt: start.Add(-95 * time.Hour)},
			}}
		for n := 0; ; n++ {
			at := stuckAt.Add(time.Minute + time.Duration(n)*PlacementRetry)
			if at.After(now) {
				break
			}
			co.Events = append([]Event{{ID: fmt.Sprintf("checkout-placement-%d", n), CreatedAt: at,
				Message: "(service checkout) was unable to place a task because no container instance met all of its requirements. " +
					"The closest matching (container-instance 0a1b2c3d4e5f60002) has insufficient memory available. For more information, see the Troubleshooting section."}}, co.Events...)
		}
		co.Events = append(co.Events, steady("checkout", start.Add(-90*time.Hour)))
		co.Events = co.Events[:min(len(co.Events), 100)] // ECS returns the latest 100
		co.ServiceDeployments = []ServiceDeployment{{ID: "checkout12", Status: "IN_PROGRESS", CreatedAt: stuckAt, StartedAt: stuckAt, UpdatedAt: stuckAt.Add(time.Minute),
			BreakerStatus: "MONITORING", Threshold: 3,
			Source: []Revision{{ID: "checkout11", Requested: 4, Running: 4}},
			Target: &Revision{ID: "checkout12", Requested: 4, Running: 1}}}
		c.Services = append(c.Services, co)
		addRunning("checkout", "checkout:12", "EC2", 1, 512, 2048)
		addRunning("checkout", "checkout:11", "EC2", 4, 512, 2048)

		// payments: circuit breaker rollback, on Fargate.
		failedAt := start.Add(-2 * time.Minute)
		pay := &Service{Name: "payments", LaunchType: "FARGATE", Desired: 2, MaximumPercent: 200, MinimumHealthyPercent: 100, CircuitBreaker: true}
		failed := min(10, int(now.Sub(failedAt)/(12*time.Second)))
		switch {
		case e < CircuitBreakerTrips:
			pay.Deployments = []Deployment{
				{ID: "ecs-svc/4000000000000000005", Status: "PRIMARY", TaskDefinition: "payments:5", RolloutState: "IN_PROGRESS",
					Desired: 2, Failed: failed, CreatedAt: failedAt, UpdatedAt: now},
				{ID: "ecs-svc/4000000000000000004", Status: "ACTIVE", TaskDefinition: "payments:4", RolloutState: "COMPLETED",
					Desired: 2, Running: 2, CreatedAt: start.Add(-24 * time.Hour), UpdatedAt: start.Add(-24 * time.Hour)},
			}
		case e < RollbackDone:
			tripped := start.Add(CircuitBreakerTrips)
			pay.Deployments = []Deployment{
				{ID: "ecs-svc/4000000000000000099", Status: "PRIMARY", TaskDefinition: "payments:4", RolloutState: "IN_PROGRESS",
					RolloutStateReason: "ECS deployment circuit breaker: rolling back to deploymentId ecs-svc/4000000000000000004.",
					Desired:            2, Running: 2, CreatedAt: tripped, UpdatedAt: now},
				{ID: "ecs-svc/4000000000000000005", Status: "ACTIVE", TaskDefinition: "payments:5", RolloutState: "FAILED",
					RolloutStateReason: "ECS deployment circuit breaker: tasks failed to start.", Desired: 0, Failed: 10, CreatedAt: failedAt, UpdatedAt: tripped},
			}
			pay.Events = []Event{{ID: "payments-cb", CreatedAt: tripped, Message: "(service payments) (deployment ecs-svc/4000000000000000005) deployment failed: tasks failed to start."}}
		default:
			pay.Deployments = []Deployment{{ID: "ecs-svc/4000000000000000099", Status: "PRIMARY", TaskDefinition: "payments:4", RolloutState: "COMPLETED",
				RolloutStateReason: "ECS deployment ecs-svc/4000000000000000099 completed.", Desired: 2, Running: 2, CreatedAt: start.Add(CircuitBreakerTrips), UpdatedAt: start.Add(RollbackDone)}}
		}
		if e >= CircuitBreakerTrips {
			failed = 10
		}
		// One service deployment through it all: ECS rolls the same one
		// back.
		paySD := ServiceDeployment{ID: "payments5", Status: "IN_PROGRESS", CreatedAt: failedAt, StartedAt: failedAt, UpdatedAt: now,
			BreakerStatus: "MONITORING", BreakerFailures: failed, Threshold: 10,
			Source: []Revision{{ID: "payments4", Requested: 2, Running: 2}},
			Target: &Revision{ID: "payments5", Requested: 2}}
		if e >= CircuitBreakerTrips {
			paySD.Status, paySD.BreakerStatus, paySD.Target.Requested = "ROLLBACK_IN_PROGRESS", "TRIGGERED", 0
			paySD.StatusReason = "ECS deployment circuit breaker: tasks failed to start."
			paySD.RollbackReason = "Service deployment rolled back because the circuit breaker threshold was exceeded."
		}
		if e >= RollbackDone {
			paySD.Status, paySD.UpdatedAt = "ROLLBACK_SUCCESSFUL", start.Add(RollbackDone)
		}
		pay.ServiceDeployments = []ServiceDeployment{paySD}
		pay.BreakerThreshold = 10
		c.Services = append(c.Services, pay)
		addRunning("payments", "payments:4", "FARGATE", 2, 512, 1024)
		pull := "CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref public.ecr.aws/acme/payments:5.0.0: not found"
		for i := range failed {
			at := failedAt.Add(time.Duration(i+1) * 12 * time.Second)
			c.Tasks = append(c.Tasks, &Task{ID: fmt.Sprintf("7a0000000000000000000000000000%02d", i), Service: "payments", TaskDefinition: "payments:5",
				LaunchType: "FARGATE", LastStatus: "STOPPED", DesiredStatus: "STOPPED", CPU: 512, Memory: 1024,
				StopCode: "TaskFailedToStart", StoppedReason: pull, CreatedAt: at.Add(-10 * time.Second), StoppedAt: at,
				Containers: []Container{{Name: "payments", Reason: pull}}})
		}

		// worker: OOM kills.
		c.Services = append(c.Services, &Service{Name: "worker", LaunchType: "EC2", Desired: 2, MaximumPercent: 200, MinimumHealthyPercent: 50, CircuitBreaker: true,
			Deployments: []Deployment{{ID: "ecs-svc/5000000000000000003", Status: "PRIMARY", TaskDefinition: "worker:3", RolloutState: "COMPLETED",
				Desired: 2, Running: 2, CreatedAt: start.Add(-48 * time.Hour), UpdatedAt: start.Add(-47 * time.Hour)}},
			Events: []Event{steady("worker", start.Add(-47*time.Hour))}})
		addRunning("worker", "worker:3", "EC2", 2, 256, 1024)
		code := 137
		for k := 0; FirstTaskOOM+time.Duration(k)*TaskOOMEvery <= e; k++ {
			at := start.Add(FirstTaskOOM + time.Duration(k)*TaskOOMEvery)
			if now.Sub(at) > time.Hour {
				continue // ECS forgets stopped tasks after about an hour
			}
			c.Tasks = append(c.Tasks, &Task{ID: fmt.Sprintf("0b0000000000000000000000%08d", k), Service: "worker", TaskDefinition: "worker:3",
				LaunchType: "EC2", LastStatus: "STOPPED", DesiredStatus: "STOPPED", CPU: 256, Memory: 1024,
				StopCode: "EssentialContainerExited", StoppedReason: "Essential container in task exited",
				CreatedAt: at.Add(-10 * time.Minute), StoppedAt: at,
				Containers: []Container{{Name: "worker", ExitCode: &code, Reason: "OutOfMemoryError: Container killed due to memory usage"}}})
		}
		return c
	}
}

func taskIDPrefix(svc string) string { return fmt.Sprintf("%x", svc)[:min(8, 2*len(svc))] }

func shortHash(s string) string {
	h := uint32(2166136261)
	for i := range len(s) {
		h = (h ^ uint32(s[i])) * 16777619
	}
	return fmt.Sprintf("%08x%014d", h, 0)
}

// LargeCluster is a steady cluster of the given size for benchmarks: each
// service runs tasksPer tasks on EC2, with one stopped task per ten services
// and one container instance per 50 tasks.
func LargeCluster(name string, services, tasksPer int, start time.Time) *Cluster {
	c := &Cluster{Name: name}
	for i := range services {
		svc := fmt.Sprintf("svc-%04d", i)
		td := fmt.Sprintf("%s:%d", svc, 1+i%7)
		c.Services = append(c.Services, &Service{Name: svc, LaunchType: "EC2", Desired: tasksPer, MaximumPercent: 200, MinimumHealthyPercent: 100, CircuitBreaker: true,
			Deployments: []Deployment{{ID: fmt.Sprintf("ecs-svc/%019d", i), Status: "PRIMARY", TaskDefinition: td, RolloutState: "COMPLETED",
				Desired: tasksPer, Running: tasksPer, CreatedAt: start.Add(-48 * time.Hour), UpdatedAt: start.Add(-47 * time.Hour)}},
			Events: []Event{{ID: svc + "-steady", CreatedAt: start.Add(-47 * time.Hour), Message: "(service " + svc + ") has reached a steady state."}}})
		for j := range tasksPer {
			c.Tasks = append(c.Tasks, &Task{ID: fmt.Sprintf("%016x%016x", i, j), Service: svc, TaskDefinition: td, LaunchType: "EC2",
				LastStatus: "RUNNING", DesiredStatus: "RUNNING", CPU: 256, Memory: 512, CreatedAt: start.Add(-47 * time.Hour),
				Containers: []Container{{Name: "app"}}})
		}
		if i%10 == 0 {
			c.Tasks = append(c.Tasks, &Task{ID: fmt.Sprintf("ff%014x%016x", i, 0), Service: svc, TaskDefinition: td, LaunchType: "EC2",
				LastStatus: "STOPPED", DesiredStatus: "STOPPED", CPU: 256, Memory: 512, StopCode: "ServiceSchedulerInitiated",
				StoppedReason: "Scaling activity initiated by (deployment " + fmt.Sprintf("ecs-svc/%019d", i) + ")",
				CreatedAt:     start.Add(-2 * time.Hour), StoppedAt: start.Add(-30 * time.Minute), Containers: []Container{{Name: "app"}}})
		}
	}
	for i := range max(1, services*tasksPer/50) {
		c.Instances = append(c.Instances, &Instance{ID: fmt.Sprintf("%017x", i), CPU: 16384, Memory: 65536, FreeCPU: 3584, FreeMemory: 39936})
	}
	return c
}

// NewShopECS is the ECS API of the shop scenario begun at start, the world
// the demo and the standalone tests share.
func NewShopECS(region string, start time.Time) *ECS {
	e := NewECS(region, nil)
	e.AddScripted(ShopCluster, ShopScenario(start))
	return e
}
