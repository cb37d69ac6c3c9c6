package sim

import (
	"fmt"
	"time"
)

// WhyCluster is the cluster of the "why tasks fail and whether they fit"
// scenarios (WhyScenario).
const WhyCluster = "shop-why"

// WhyFailEvery is how often a failing service of WhyScenario loses a task.
const WhyFailEvery = 40 * time.Second

// The capacity provider of WhyScenario's Auto Scaling group instances.
const WhyProvider = "cp-general"

// AddWhyScenario adds WhyCluster to e, scripted from start, and registers
// the task definitions its scenarios need. One service per situation:
//
//   - steady: EC2, healthy, room to deploy; nothing may fire for it.
//   - images: a new revision whose image does not pull: its tasks stop with
//     CannotPullContainerError, and ECS reports it cannot consistently start
//     tasks (a crash loop).
//   - secrets: a new revision whose secret does not exist:
//     ResourceInitializationError.
//   - elb: new tasks start, fail the load balancer's health checks, and are
//     stopped by ECS.
//   - unhealthy: the new revision's tasks run but fail their container
//     health checks.
//   - orders: an EC2 service placed by the capacity provider cp-general,
//     whose instances are full: it cannot deploy, and two tasks wait in
//     PROVISIONING.
//   - arm: a new revision asking for arm64 on a cluster of x86 instances with
//     room to spare.
//   - spot: Fargate Spot tasks interrupted, beside on-demand ones.
//
// Failing services lose a task every WhyFailEvery from five minutes before
// start on.
func AddWhyScenario(e *ECS, start time.Time) {
	e.RegisterTaskDefinition(&TaskDefinition{Family: "arm", Revision: 2, CPU: 512, Memory: 1024, Arch: "ARM64", OS: "LINUX",
		Containers: []ContainerDefinition{{Name: "arm", Image: "public.ecr.aws/acme/arm"}}})
	e.RegisterTaskDefinition(&TaskDefinition{Family: "steady", Revision: 4, Containers: []ContainerDefinition{
		{Name: "app", Image: "public.ecr.aws/acme/steady", CPU: 256, MemoryReserv: 256, Memory: 1024},
		{Name: "envoy", Image: "public.ecr.aws/acme/envoy", CPU: 128, Memory: 256},
	}})
	e.AddScripted(WhyCluster, WhyScenario(start))
}

// WhyScenario is the script of WhyCluster (see AddWhyScenario).
func WhyScenario(start time.Time) func(elapsed time.Duration) *Cluster {
	return func(el time.Duration) *Cluster {
		now := start.Add(el)
		c := &Cluster{Name: WhyCluster, Instances: []*Instance{
			{ID: "0c0000000000000x1", CPU: 8192, Memory: 32768, FreeCPU: 4096, FreeMemory: 16384},
			{ID: "0c0000000000000x2", CPU: 8192, Memory: 32768, FreeCPU: 4096, FreeMemory: 16384},
			{ID: "0c000000000000cp1", CPU: 4096, Memory: 16384, FreeCPU: 512, FreeMemory: 512, InstanceFields: InstanceFields{CapacityProvider: WhyProvider}},
			{ID: "0c000000000000cp2", CPU: 4096, Memory: 16384, FreeCPU: 0, FreeMemory: 1024, InstanceFields: InstanceFields{CapacityProvider: WhyProvider}},
			{ID: "0c000000000000cp3", CPU: 4096, Memory: 16384, FreeCPU: 4096, FreeMemory: 16384, InstanceFields: InstanceFields{CapacityProvider: WhyProvider, Status: "DRAINING"}},
			{ID: "0c000000000000cp4", CPU: 4096, Memory: 16384, FreeCPU: 4096, FreeMemory: 16384, InstanceFields: InstanceFields{CapacityProvider: WhyProvider, Disconnected: true}},
		}}
		seq := 0
		run := func(svc, td, launch string, n, cpu, mem int, f TaskFields) {
			for i := range n {
				seq++
				tf := f
				if launch == "EC2" && tf.ContainerInstance == "" {
					tf.ContainerInstance = c.Instances[i%2].ID
				}
				c.Tasks = append(c.Tasks, &Task{
					ID: fmt.Sprintf("%s%s%02d", taskIDPrefix(svc), shortHash(td), seq), Service: svc, TaskDefinition: td,
					LaunchType: launch, LastStatus: "RUNNING", DesiredStatus: "RUNNING", CPU: cpu, Memory: mem,
					CreatedAt: start.Add(-time.Hour), Containers: []Container{{Name: svc}}, TaskFields: tf,
				})
			}
		}
		// fail adds the stopped tasks of a failing revision, one every
		// WhyFailEvery since five minutes before start.
		fail := func(svc, td, launch, stopCode, reason, containerReason string, exitCode *int, f TaskFields) {
			k := 0
			for at := start.Add(-5 * time.Minute); !at.After(now); at = at.Add(WhyFailEvery) {
				c.Tasks = append(c.Tasks, &Task{
					ID: fmt.Sprintf("%sdead%s%04d", taskIDPrefix(svc), shortHash(td)[:12], k), Service: svc, TaskDefinition: td,
					LaunchType: launch, LastStatus: "STOPPED", DesiredStatus: "STOPPED", CPU: 512, Memory: 1024,
					StopCode: stopCode, StoppedReason: reason, CreatedAt: at.Add(-30 * time.Second), StoppedAt: at,
					Containers: []Container{{Name: svc, Reason: containerReason, ExitCode: exitCode}}, TaskFields: f,
				})
				k++
			}
		}
		deploying := func(name, launch, newTD, oldTD string, desired, running int, cps []string) *Service {
			return &Service{Name: name, LaunchType: launch, Desired: desired, MaximumPercent: 200, MinimumHealthyPercent: 100, CircuitBreaker: true,
				CapacityProviders: cps,
				Deployments: []Deployment{
					{ID: "ecs-svc/9" + shortHash(newTD)[:8], Status: "PRIMARY", TaskDefinition: newTD, RolloutState: "IN_PROGRESS",
						Desired: desired, Running: running, CreatedAt: start.Add(-10 * time.Minute), UpdatedAt: start.Add(-10 * time.Minute)},
					{ID: "ecs-svc/8" + shortHash(oldTD)[:8], Status: "ACTIVE", TaskDefinition: oldTD, RolloutState: "COMPLETED",
						Desired: desired, Running: desired, CreatedAt: start.Add(-72 * time.Hour), UpdatedAt: start.Add(-71 * time.Hour)},
				}}
		}
		healthy := TaskFields{HealthStatus: "HEALTHY"}

		// steady.
		c.Services = append(c.Services, &Service{Name: "steady", LaunchType: "EC2", Desired: 2, MaximumPercent: 200, MinimumHealthyPercent: 100, CircuitBreaker: true,
			Deployments: []Deployment{{ID: "ecs-svc/7000000000000000004", Status: "PRIMARY", TaskDefinition: "steady:4", RolloutState: "COMPLETED",
				Desired: 2, Running: 2, CreatedAt: start.Add(-72 * time.Hour), UpdatedAt: start.Add(-71 * time.Hour)}},
			Events: []Event{{ID: "steady-steady", CreatedAt: start.Add(-time.Hour), Message: "(service steady) has reached a steady state."}}})
		run("steady", "steady:4", "EC2", 2, 384, 512, healthy)

		// images: the image does not pull.
		img := deploying("images", "FARGATE", "images:3", "images:2", 3, 0, nil)
		img.Events = []Event{{ID: "images-impaired", CreatedAt: start.Add(-2 * time.Minute),
			Message: "(service images) is unable to consistently start tasks successfully. For more information, see the Troubleshooting section of the Amazon ECS Developer Guide."}}
		c.Services = append(c.Services, img)
		run("images", "images:2", "FARGATE", 3, 512, 1024, healthy)
		pull := "CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref 123456789012.dkr.ecr.eu-west-1.amazonaws.com/images:v3: not found"
		fail("images", "images:3", "FARGATE", "TaskFailedToStart", pull, pull, nil, TaskFields{})

		// secrets: the secret does not exist.
		c.Services = append(c.Services, deploying("secrets", "FARGATE", "secrets:8", "secrets:7", 2, 0, nil))
		run("secrets", "secrets:7", "FARGATE", 2, 512, 1024, healthy)
		fail("secrets", "secrets:8", "FARGATE", "TaskFailedToStart",
			"ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secret from asm: service call has been retried 1 time(s): failed to fetch secret arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-password from secrets manager: ResourceNotFoundException: Secrets Manager can't find the specified secret.",
			"", nil, TaskFields{})

		// elb: the load balancer kills every new task.
		c.Services = append(c.Services, deploying("elb", "FARGATE", "elb:12", "elb:11", 2, 1, nil))
		run("elb", "elb:11", "FARGATE", 2, 512, 1024, healthy)
		run("elb", "elb:12", "FARGATE", 1, 512, 1024, TaskFields{HealthStatus: "UNKNOWN"})
		sigterm := 143
		fail("elb", "elb:12", "FARGATE", "ServiceSchedulerInitiated",
			"Task failed ELB health checks in (target-group arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/elb/0123456789abcdef)",
			"", &sigterm, TaskFields{})

		// unhealthy: the new revision's tasks fail their health checks.
		c.Services = append(c.Services, deploying("unhealthy", "FARGATE", "unhealthy:6", "unhealthy:5", 2, 2, nil))
		run("unhealthy", "unhealthy:5", "FARGATE", 2, 512, 1024, healthy)
		run("unhealthy", "unhealthy:6", "FARGATE", 2, 512, 1024, TaskFields{HealthStatus: "UNHEALTHY", ContainerHealth: map[string]string{"unhealthy": "UNHEALTHY"}})

		// orders: a capacity provider whose instances are full.
		ord := deploying("orders", "", "orders:31", "orders:30", 2, 0, []string{WhyProvider})
		ord.Deployments[0].Pending = 2
		c.Services = append(c.Services, ord)
		run("orders", "orders:30", "EC2", 1, 1024, 2048, TaskFields{HealthStatus: "HEALTHY", CapacityProvider: WhyProvider, ContainerInstance: "0c000000000000cp1"})
		run("orders", "orders:30", "EC2", 1, 1024, 2048, TaskFields{HealthStatus: "HEALTHY", CapacityProvider: WhyProvider, ContainerInstance: "0c000000000000cp2"})
		for i := range 2 {
			c.Tasks = append(c.Tasks, &Task{ID: fmt.Sprintf("%sprov%s%02d", taskIDPrefix("orders"), shortHash("orders:31")[:12], i), Service: "orders", TaskDefinition: "orders:31",
				LastStatus: "PROVISIONING", DesiredStatus: "RUNNING", CPU: 1024, Memory: 2048, CreatedAt: start.Add(-6 * time.Minute),
				Containers: []Container{{Name: "orders"}}, TaskFields: TaskFields{CapacityProvider: WhyProvider}})
		}

		// arm: arm64 asked for, x86 offered.
		arm := deploying("arm", "EC2", "arm:2", "arm:1", 2, 0, nil)
		arm.Events = []Event{{ID: "arm-placement-1", CreatedAt: start.Add(-time.Minute),
			Message: "(service arm) was unable to place a task because no container instance met all of its requirements. The closest matching (container-instance 0c0000000000000x1) is missing an attribute required by your task. For more information, see the Troubleshooting section."}}
		c.Services = append(c.Services, arm)
		run("arm", "arm:1", "EC2", 2, 512, 1024, healthy)

		// spot: Fargate Spot interruptions beside on-demand tasks.
		c.Services = append(c.Services, &Service{Name: "spot", Desired: 4, MaximumPercent: 200, MinimumHealthyPercent: 50, CircuitBreaker: true,
			CapacityProviders: []string{"FARGATE", "FARGATE_SPOT"},
			Deployments: []Deployment{{ID: "ecs-svc/7000000000000000019", Status: "PRIMARY", TaskDefinition: "spot:19", RolloutState: "COMPLETED",
				Desired: 4, Running: 4, CreatedAt: start.Add(-72 * time.Hour), UpdatedAt: start.Add(-71 * time.Hour)}},
			Events: []Event{{ID: "spot-steady", CreatedAt: start.Add(-time.Hour), Message: "(service spot) has reached a steady state."}}})
		run("spot", "spot:19", "FARGATE", 1, 256, 512, TaskFields{HealthStatus: "HEALTHY", CapacityProvider: "FARGATE"})
		run("spot", "spot:19", "FARGATE", 3, 256, 512, TaskFields{HealthStatus: "HEALTHY", CapacityProvider: "FARGATE_SPOT"})
		fail("spot", "spot:19", "FARGATE", "SpotInterruption", "Your Spot Task was interrupted.", "", &sigterm, TaskFields{CapacityProvider: "FARGATE_SPOT"})
		return c
	}
}
