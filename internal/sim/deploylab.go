package sim

import (
	"fmt"
	"time"
)

// DeployLabCluster names the cluster of DeployLabScenario.
const DeployLabCluster = "deploy-lab"

// DeployLabScenario returns the script of a cluster with one service per
// way today's ECS deploys, each a function of the time since start:
//
//   - web: native BLUE_GREEN through every lifecycle stage, with 30 minutes
//     of bake time; healthy.
//   - search: LINEAR in four 25% steps, 10 minutes apart; healthy.
//   - api: CANARY, 10% for 15 minutes, then all; healthy.
//   - orders: BLUE_GREEN whose hook awaits approval from 3m to 75m.
//   - legacy: CODE_DEPLOY mid-canary, task sets of :7 and :8 both serving
//     until 15m; healthy.
//   - edge: EXTERNAL, a task set stabilizing since 5 minutes before start
//     and never getting past 1 of 4 tasks: stuck.
//   - cart: ROLLING with a CloudWatch alarm that rolls it back at 8m.
//   - billing: ROLLING failed by the circuit breaker at 6m, whose rollback
//     fails at 10m.
//   - feed: ROLLING, 35 minutes old, scaled in by service auto scaling to
//     6 tasks while deploying, and at its new target: not stuck.
func DeployLabScenario(start time.Time) func(elapsed time.Duration) *Cluster {
	return func(e time.Duration) *Cluster {
		c := &Cluster{Name: DeployLabCluster}
		for _, build := range []func(time.Time, time.Duration) (*Service, []*Task){
			labWeb, labSearch, labAPI, labOrders, labLegacy, labEdge, labCart, labBilling, labFeed,
		} {
			svc, tasks := build(start, e)
			c.Services = append(c.Services, svc)
			c.Tasks = append(c.Tasks, tasks...)
		}
		return c
	}
}

// labRunning returns n running Fargate tasks of td for svc.
func labRunning(svc, td string, n int, created time.Time) []*Task {
	var tasks []*Task
	for i := range n {
		tasks = append(tasks, &Task{
			ID: fmt.Sprintf("%s%s%02d", taskIDPrefix(svc), shortHash(td), i), Service: svc, TaskDefinition: td,
			LaunchType: "FARGATE", LastStatus: "RUNNING", DesiredStatus: "RUNNING", CPU: 256, Memory: 512,
			CreatedAt: created, Containers: []Container{{Name: svc}},
		})
	}
	return tasks
}

// labECS is an ECS-controller service deploying td (new) over old, with
// the two deployments[] entries ECS lists while it does.
func labECS(name, strategy, old, td string, created time.Time, desired, newRunning, oldRunning int, state string, at time.Time) *Service {
	svc := &Service{Name: name, LaunchType: "FARGATE", Desired: desired, MaximumPercent: 200, MinimumHealthyPercent: 100, CircuitBreaker: true, Strategy: strategy}
	if state == "COMPLETED" {
		svc.Deployments = []Deployment{{ID: "ecs-svc/" + name + "-new", Status: "PRIMARY", TaskDefinition: td, RolloutState: "COMPLETED",
			Desired: desired, Running: newRunning, CreatedAt: created, UpdatedAt: at}}
		return svc
	}
	svc.Deployments = []Deployment{
		{ID: "ecs-svc/" + name + "-new", Status: "PRIMARY", TaskDefinition: td, RolloutState: state,
			Desired: desired, Running: newRunning, CreatedAt: created, UpdatedAt: at},
		{ID: "ecs-svc/" + name + "-old", Status: "ACTIVE", TaskDefinition: old, RolloutState: "COMPLETED",
			Desired: oldRunning, Running: oldRunning, CreatedAt: created.Add(-48 * time.Hour), UpdatedAt: at},
	}
	return svc
}

// stepOf returns the index of the last boundary at or before e.
func stepOf(e time.Duration, boundaries ...time.Duration) int {
	i := -1
	for j, b := range boundaries {
		if e >= b {
			i = j
		}
	}
	return i
}

func labWeb(start time.Time, e time.Duration) (*Service, []*Task) {
	created := start.Add(-2 * time.Minute)
	stages := []string{"SCALE_UP", "TEST_TRAFFIC_SHIFT", "PRODUCTION_TRAFFIC_SHIFT", "BAKE_TIME", "CLEAN_UP", "SUCCESSFUL"}
	i := stepOf(e, 0, 3*time.Minute, 5*time.Minute, 6*time.Minute, 36*time.Minute, 37*time.Minute)
	stage := stages[i]
	newRunning, oldRunning := 4, 4
	if stage == "SCALE_UP" {
		newRunning = 2
	}
	if i >= 4 {
		oldRunning = 0
	}
	state := "IN_PROGRESS"
	if stage == "SUCCESSFUL" {
		state = "COMPLETED"
	}
	changed := start.Add([]time.Duration{-2 * time.Minute, 3 * time.Minute, 5 * time.Minute, 6 * time.Minute, 36 * time.Minute, 37 * time.Minute}[i])
	svc := labECS("web", "BLUE_GREEN", "web:1", "web:2", created, 4, newRunning, oldRunning, state, changed)
	prod, test := 0.0, 0.0
	switch {
	case i >= 2:
		prod, test = 100, 100
	case i == 1:
		test = 100
	}
	sd := ServiceDeployment{ID: "web2", Status: "IN_PROGRESS", Stage: stage, CreatedAt: created, StartedAt: created, UpdatedAt: changed,
		BreakerStatus: "MONITORING", Threshold: 3,
		Source: []Revision{{ID: "web1", Requested: 4, Running: oldRunning, ProductionWeight: Weight(100 - prod), TestWeight: Weight(100 - test)}},
		Target: &Revision{ID: "web2", Requested: 4, Running: newRunning, ProductionWeight: Weight(prod), TestWeight: Weight(test)}}
	if stage == "SUCCESSFUL" {
		sd.Status, sd.Stage, sd.BreakerStatus, sd.Source = "SUCCESSFUL", "", "MONITORING_COMPLETE", nil
	}
	svc.ServiceDeployments = []ServiceDeployment{sd}
	return svc, append(labRunning("web", "web:2", newRunning, created), labRunning("web", "web:1", oldRunning, created.Add(-48*time.Hour))...)
}

// labShift is a service whose deployment shifts production traffic in
// steps: one step per boundary (the first SCALE_UP at 0, the last the
// deployment's completion), each with its production weight and stage.
type labShift struct {
	name, strategy, old, new string
	stepBake                 int
	at                       []time.Duration
	weights                  []float64
	stages                   []string
}

func (l labShift) build(start time.Time, e time.Duration) (*Service, []*Task) {
	i := stepOf(e, l.at...)
	changed, weight, stage := start.Add(l.at[i]), l.weights[i], l.stages[i]
	done := i == len(l.at)-1
	oldRunning, state := 4, "IN_PROGRESS"
	if done {
		oldRunning, state = 0, "COMPLETED"
	}
	oldTD, newTD := l.name+":"+l.old, l.name+":"+l.new
	svc := labECS(l.name, l.strategy, oldTD, newTD, start, 4, 4, oldRunning, state, changed)
	svc.StepBakeMinutes = l.stepBake
	sd := ServiceDeployment{ID: l.name + l.new, Status: "IN_PROGRESS", Stage: stage, CreatedAt: start, StartedAt: start, UpdatedAt: changed,
		BreakerStatus: "MONITORING", Threshold: 3,
		Source: []Revision{{ID: l.name + l.old, Requested: 4, Running: oldRunning, ProductionWeight: Weight(100 - weight), TestWeight: Weight(0)}},
		Target: &Revision{ID: l.name + l.new, Requested: 4, Running: 4, ProductionWeight: Weight(weight), TestWeight: Weight(0)}}
	if done {
		sd.Status, sd.BreakerStatus, sd.Source = "SUCCESSFUL", "MONITORING_COMPLETE", nil
	}
	svc.ServiceDeployments = []ServiceDeployment{sd}
	return svc, append(labRunning(l.name, newTD, 4, start), labRunning(l.name, oldTD, oldRunning, start.Add(-48*time.Hour))...)
}

// labSearch: LINEAR, four production steps 10 minutes apart, then bake.
var labSearch = labShift{
	name: "search", strategy: "LINEAR", old: "4", new: "5", stepBake: 10,
	at:      []time.Duration{0, 2 * time.Minute, 12 * time.Minute, 22 * time.Minute, 32 * time.Minute, 37 * time.Minute},
	weights: []float64{0, 25, 50, 75, 100, 100},
	stages:  []string{"SCALE_UP", "PRODUCTION_TRAFFIC_SHIFT", "PRODUCTION_TRAFFIC_SHIFT", "PRODUCTION_TRAFFIC_SHIFT", "BAKE_TIME", ""},
}.build

// labAPI: CANARY, 10% for 15 minutes, then all, then bake.
var labAPI = labShift{
	name: "api", strategy: "CANARY", old: "8", new: "9", stepBake: 15,
	at:      []time.Duration{0, 2 * time.Minute, 17 * time.Minute, 27 * time.Minute},
	weights: []float64{0, 10, 100, 100},
	stages:  []string{"SCALE_UP", "PRODUCTION_TRAFFIC_SHIFT", "BAKE_TIME", ""},
}.build

func labOrders(start time.Time, e time.Duration) (*Service, []*Task) {
	created := start
	stage, changed := "SCALE_UP", start
	var hooks []Hook
	if e >= 3*time.Minute {
		stage, changed = "POST_TEST_TRAFFIC_SHIFT", start.Add(3*time.Minute)
		hooks = []Hook{{ID: "approve-orders", Status: "AWAITING_ACTION", ExpiresAt: start.Add(24 * time.Hour)}}
	}
	svc := labECS("orders", "BLUE_GREEN", "orders:2", "orders:3", created, 2, 2, 2, "IN_PROGRESS", changed)
	svc.ServiceDeployments = []ServiceDeployment{{ID: "orders3", Status: "IN_PROGRESS", Stage: stage, CreatedAt: created, StartedAt: created, UpdatedAt: changed,
		BreakerStatus: "MONITORING", Threshold: 3, Hooks: hooks,
		Source: []Revision{{ID: "orders2", Requested: 2, Running: 2, ProductionWeight: Weight(100), TestWeight: Weight(0)}},
		Target: &Revision{ID: "orders3", Requested: 2, Running: 2, ProductionWeight: Weight(0), TestWeight: Weight(100)}}}
	return svc, append(labRunning("orders", "orders:3", 2, created), labRunning("orders", "orders:2", 2, created.Add(-48*time.Hour))...)
}

func labLegacy(start time.Time, e time.Duration) (*Service, []*Task) {
	svc := &Service{Name: "legacy", LaunchType: "FARGATE", Desired: 4, MaximumPercent: 200, MinimumHealthyPercent: 100, Controller: "CODE_DEPLOY"}
	green := TaskSet{ID: "ecs-svc/7000000000000000008", Status: "ACTIVE", TaskDefinition: "legacy:8", ExternalID: "d-CANARY8",
		ScalePercent: 100, Desired: 4, Running: 4, Stability: "STEADY_STATE", StabilityAt: start.Add(-4 * time.Minute), CreatedAt: start.Add(-6 * time.Minute)}
	if e < 15*time.Minute {
		svc.TaskSets = []TaskSet{
			{ID: "ecs-svc/7000000000000000007", Status: "PRIMARY", TaskDefinition: "legacy:7", ScalePercent: 100, Desired: 4, Running: 4,
				Stability: "STEADY_STATE", StabilityAt: start.Add(-47 * time.Hour), CreatedAt: start.Add(-48 * time.Hour)},
			green,
		}
		return svc, append(labRunning("legacy", "legacy:8", 4, start), labRunning("legacy", "legacy:7", 4, start.Add(-48*time.Hour))...)
	}
	green.Status = "PRIMARY"
	svc.TaskSets = []TaskSet{green}
	return svc, labRunning("legacy", "legacy:8", 4, start)
}

func labEdge(start time.Time, _ time.Duration) (*Service, []*Task) {
	svc := &Service{Name: "edge", LaunchType: "FARGATE", Desired: 4, MaximumPercent: 200, MinimumHealthyPercent: 100, Controller: "EXTERNAL"}
	since := start.Add(-5 * time.Minute)
	svc.TaskSets = []TaskSet{
		{ID: "ecs-svc/8000000000000000003", Status: "PRIMARY", TaskDefinition: "edge:3", ExternalID: "spinnaker-edge-v003", ScalePercent: 100, Desired: 4, Running: 4,
			Stability: "STEADY_STATE", StabilityAt: start.Add(-47 * time.Hour), CreatedAt: start.Add(-48 * time.Hour)},
		{ID: "ecs-svc/8000000000000000004", Status: "ACTIVE", TaskDefinition: "edge:4", ExternalID: "spinnaker-edge-v004", ScalePercent: 100, Desired: 4, Running: 1,
			Stability: "STABILIZING", StabilityAt: since, CreatedAt: since},
	}
	return svc, append(labRunning("edge", "edge:4", 1, since), labRunning("edge", "edge:3", 4, start.Add(-48*time.Hour))...)
}

func labCart(start time.Time, e time.Duration) (*Service, []*Task) {
	created := start
	trip, done := start.Add(8*time.Minute), start.Add(12*time.Minute)
	sd := ServiceDeployment{ID: "cart6", Status: "IN_PROGRESS", CreatedAt: created, StartedAt: created, UpdatedAt: start.Add(min(e, 8*time.Minute)),
		BreakerStatus: "MONITORING", Threshold: 3, AlarmStatus: "MONITORING", AlarmNames: []string{"cart-5xx", "cart-latency"},
		Source: []Revision{{ID: "cart5", Requested: 2, Running: 2}},
		Target: &Revision{ID: "cart6", Requested: 4, Running: 2}}
	var svc *Service
	switch {
	case e < 8*time.Minute:
		svc = labECS("cart", "", "cart:5", "cart:6", created, 4, 2, 2, "IN_PROGRESS", sd.UpdatedAt)
	default:
		sd.Status, sd.AlarmStatus, sd.TriggeredAlarms, sd.UpdatedAt = "ROLLBACK_IN_PROGRESS", "TRIGGERED", []string{"cart-5xx"}, trip
		sd.StatusReason = "ECS deployment detected triggered alarm(s): cart-5xx."
		sd.RollbackReason = "Service deployment rolled back because of a triggered alarm."
		sd.Target.Requested, sd.Target.Running = 0, 0
		svc = &Service{Name: "cart", LaunchType: "FARGATE", Desired: 4, MaximumPercent: 200, MinimumHealthyPercent: 100, CircuitBreaker: true,
			Deployments: []Deployment{
				{ID: "ecs-svc/cart-rollback", Status: "PRIMARY", TaskDefinition: "cart:5", RolloutState: "IN_PROGRESS", Desired: 4, Running: 4, CreatedAt: trip, UpdatedAt: trip},
				{ID: "ecs-svc/cart-new", Status: "ACTIVE", TaskDefinition: "cart:6", RolloutState: "FAILED",
					RolloutStateReason: "ECS deployment detected triggered alarm(s): cart-5xx.", Desired: 0, Running: 0, CreatedAt: created, UpdatedAt: trip},
			}}
		if e >= 12*time.Minute {
			sd.Status, sd.UpdatedAt = "ROLLBACK_SUCCESSFUL", done
			svc.Deployments = svc.Deployments[:1]
			svc.Deployments[0].RolloutState, svc.Deployments[0].UpdatedAt = "COMPLETED", done
		}
	}
	svc.ServiceDeployments = []ServiceDeployment{sd}
	if e < 8*time.Minute {
		return svc, append(labRunning("cart", "cart:6", 2, created), labRunning("cart", "cart:5", 2, created.Add(-48*time.Hour))...)
	}
	return svc, labRunning("cart", "cart:5", 4, created.Add(-48*time.Hour))
}

func labBilling(start time.Time, e time.Duration) (*Service, []*Task) {
	created := start
	failures := min(3, int(e/(2*time.Minute)))
	sd := ServiceDeployment{ID: "billing2", Status: "IN_PROGRESS", CreatedAt: created, StartedAt: created, UpdatedAt: start.Add(min(e, 6*time.Minute)),
		BreakerStatus: "MONITORING", BreakerFailures: failures, Threshold: 3,
		Source: []Revision{{ID: "billing1", Requested: 2, Running: 2}},
		Target: &Revision{ID: "billing2", Requested: 2}}
	svc := labECS("billing", "", "billing:1", "billing:2", created, 2, 0, 2, "IN_PROGRESS", sd.UpdatedAt)
	svc.Deployments[0].Failed = failures
	if e >= 6*time.Minute {
		trip := start.Add(6 * time.Minute)
		sd.Status, sd.BreakerStatus, sd.UpdatedAt = "ROLLBACK_IN_PROGRESS", "TRIGGERED", trip
		sd.StatusReason = "ECS deployment circuit breaker: tasks failed to start."
		sd.RollbackReason = "Service deployment rolled back because the circuit breaker threshold was exceeded."
		svc.Deployments[0].RolloutState, svc.Deployments[0].RolloutStateReason = "FAILED", "ECS deployment circuit breaker: tasks failed to start."
		if e >= 10*time.Minute {
			sd.Status, sd.UpdatedAt = "ROLLBACK_FAILED", start.Add(10*time.Minute)
			sd.StatusReason = "Rollback failed: tasks of the source service revision failed to start."
		}
	}
	svc.ServiceDeployments = []ServiceDeployment{sd}
	return svc, labRunning("billing", "billing:1", 2, created.Add(-48*time.Hour))
}

func labFeed(start time.Time, _ time.Duration) (*Service, []*Task) {
	created := start.Add(-35 * time.Minute)
	scaled := start.Add(-15 * time.Minute)
	svc := labECS("feed", "", "feed:11", "feed:12", created, 6, 6, 0, "IN_PROGRESS", scaled)
	svc.ServiceDeployments = []ServiceDeployment{{ID: "feed12", Status: "IN_PROGRESS", CreatedAt: created, StartedAt: created, UpdatedAt: scaled,
		BreakerStatus: "MONITORING", Threshold: 5,
		Source: []Revision{{ID: "feed11", Requested: 0, Running: 0}},
		Target: &Revision{ID: "feed12", Requested: 6, Running: 6}}}
	return svc, labRunning("feed", "feed:12", 6, created)
}
