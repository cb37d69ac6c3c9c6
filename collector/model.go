// Package collector holds the neutral data model that every collector fills
// and every exporter translates, the Store that publishes it as immutable
// snapshots, and the Scheduler that runs collectors on their intervals.
//
// Nothing here knows about Prometheus, Datadog or OTLP, and nothing here knows
// how a particular source is read.
package collector

import (
	"context"
	"log/slog"
	"slices"
	"strings"
	"time"
)

// Task is one ECS task as the model sees it: its identity, its task-level
// limits and, for the sidecar, its containers with their latest statistics.
type Task struct {
	ARN              string
	ID               string // last element of the ARN; a bounded label, unlike the ARN
	Cluster          string // short name, even where the source gave an ARN
	ClusterARN       string // as given by the source; may be empty
	Service          string // empty when the source does not say
	Family           string
	Revision         string
	DesiredStatus    string
	KnownStatus      string
	LaunchType       string // FARGATE, EC2, EXTERNAL; empty when unknown
	NetworkMode      string // awsvpc, bridge, host, none; empty when unknown
	AvailabilityZone string

	// CPULimitVCPUs and MemoryLimitBytes are the task-level limits; zero means
	// the task definition sets none (possible on EC2).
	CPULimitVCPUs    float64
	MemoryLimitBytes float64

	// Ephemeral storage is reported by Fargate only.
	HasEphemeralStorage           bool
	EphemeralStorageUsedBytes     float64
	EphemeralStorageReservedBytes float64

	PullStartedAt time.Time
	PullStoppedAt time.Time

	// Networks holds task-wide interface counters. In awsvpc and host mode all
	// containers share the task's interfaces, so they are reported once here
	// rather than once per container.
	Networks []NetworkStats

	Containers []Container
}

// ImagePullDuration is how long the task spent pulling images, or zero when
// the source did not report both ends of the pull.
func (t *Task) ImagePullDuration() time.Duration {
	if t.PullStartedAt.IsZero() || t.PullStoppedAt.Before(t.PullStartedAt) {
		return 0
	}
	return t.PullStoppedAt.Sub(t.PullStartedAt)
}

// ContainerState is the coarse, bounded lifecycle state of a container.
type ContainerState string

// The states a container is reported in. ECS has finer known statuses
// (NONE, PULLED, CREATED, ...); they all mean "not running yet".
const (
	StatePending ContainerState = "PENDING"
	StateRunning ContainerState = "RUNNING"
	StateStopped ContainerState = "STOPPED"
)

// ContainerStates lists every ContainerState, in the order exporters emit them.
var ContainerStates = []ContainerState{StatePending, StateRunning, StateStopped}

// Container is one NORMAL container of a task.
type Container struct {
	Name          string
	DockerID      string
	Image         string
	ImageID       string
	DesiredStatus string
	KnownStatus   string
	State         ContainerState

	// ExitCode is set once the container has exited.
	HasExitCode bool
	ExitCode    int

	// CPULimitVCPUs is the container's CPU share (task definition `cpu`,
	// converted from CPU units); zero when none is set.
	CPULimitVCPUs float64
	// MemoryReservationBytes is the container's task-definition memory, which
	// ECS reserves on the instance when placing the task; zero when none.
	MemoryReservationBytes float64

	// Restarts counts restarts of this container within the task (ECS
	// container restart policy) since ecswatch started watching it.
	Restarts uint64
	// OOMKills counts the times this container was killed for running out of
	// memory, as far as the source can tell.
	OOMKills uint64
	// HealthStatus is the container's health check status (HEALTHY,
	// UNHEALTHY, UNKNOWN); empty when it has no health check.
	HealthStatus string

	// Stats is nil when the source has no statistics for the container
	// (stopped, not started yet, or stats unavailable).
	Stats *ContainerStats
}

// ContainerStats is one reading of a container's cgroup and network counters.
// A value the platform does not report is absent (its Has field false), never
// 0: Windows has no CPU throttling or page cache, and a runtime that lists
// no block devices reports no block I/O.
type ContainerStats struct {
	Read time.Time // when the runtime took the reading

	CPUUsageSeconds     float64
	HasCPUThrottled     bool
	CPUThrottledSeconds float64

	HasMemoryUsage        bool
	MemoryUsageBytes      float64
	HasMemoryWorkingSet   bool
	MemoryWorkingSetBytes float64
	HasMemoryCache        bool
	MemoryCacheBytes      float64
	// MemoryLimitBytes is the effective limit: the smallest of the cgroup's,
	// the container's task-definition memory and the task's; zero if none.
	MemoryLimitBytes float64

	HasBlockIO      bool
	BlockReadBytes  float64
	BlockWriteBytes float64

	HasPIDs bool
	PIDs    float64

	// Networks holds per-container interface counters (bridge mode).
	Networks []NetworkStats
}

// NetworkStats is one interface's cumulative counters.
type NetworkStats struct {
	Interface string
	RxBytes   float64
	RxPackets float64
	RxErrors  float64
	RxDropped float64
	TxBytes   float64
	TxPackets float64
	TxErrors  float64
	TxDropped float64
}

// CollectorHealth is the self-observability record of one collector.
type CollectorHealth struct {
	Name                string
	Up                  bool
	LastDuration        time.Duration
	Errors              uint64 // failed runs since start
	LastSuccess         time.Time
	LastError           string
	ConsecutiveFailures int
}

// Identity is who a series belongs to. Fields a source does not know stay
// empty: the standalone collector knows the service but not which task an
// aggregated counter came from.
type Identity struct {
	Cluster  string
	Service  string
	Family   string
	Revision string
	TaskID   string
}

// Identity returns the task's identity.
func (t *Task) Identity() Identity {
	return Identity{Cluster: t.Cluster, Service: t.Service, Family: t.Family, Revision: t.Revision, TaskID: t.ID}
}

// Container returns the task's container called name, or nil.
func (t *Task) Container(name string) *Container {
	for i := range t.Containers {
		if t.Containers[i].Name == name {
			return &t.Containers[i]
		}
	}
	return nil
}

// Service is one ECS service as the standalone collector sees it, with what
// the health rules derived from it.
type Service struct {
	Cluster    string
	Name       string
	ARN        string
	LaunchType string // EC2, FARGATE, EXTERNAL; empty with a capacity provider strategy
	Status     string

	Desired, Running, Pending int

	// Deployment configuration.
	MaximumPercent        int
	MinimumHealthyPercent int
	CircuitBreaker        bool
	Rollback              bool
	// Controller is the deployment controller (ECS, CODE_DEPLOY, EXTERNAL)
	// and Strategy the ECS controller's strategy (ROLLING, BLUE_GREEN,
	// LINEAR, CANARY; empty for the other controllers).
	Controller, Strategy string
	// CircuitBreakerThreshold is the failure threshold the circuit breaker
	// works out from its ThresholdConfiguration and the desired count;
	// zero with the breaker off.
	CircuitBreakerThreshold int
	// StepBake is how long a LINEAR or CANARY deployment waits between
	// traffic steps by design.
	StepBake time.Duration

	Deployments []Deployment
	// Rollout is the newest service deployment (ListServiceDeployments)
	// while one is ongoing or recently finished; nil otherwise, and always
	// for CODE_DEPLOY and EXTERNAL services.
	Rollout *Rollout
	// TaskSets are the task sets of a CODE_DEPLOY or EXTERNAL service.
	TaskSets []TaskSet
	// Events are the service's recent events, newest first, as ECS returns them.
	Events []ServiceEvent

	// TaskContainers are the containers its running tasks have, by task
	// family, sorted. Their OOM kill counters exist (at 0) from the moment
	// they are listed here, so that the first kill is an increase.
	TaskContainers []TaskContainer
	// TaskHealth counts its running tasks by task definition and health
	// status (collector/health.go).
	TaskHealth []TaskHealthCount
	// Providers counts its running tasks by capacity provider, and
	// Provisioning its tasks waiting for capacity (collector/cluster.go).
	Providers    []ProviderCount
	Provisioning Provisioning

	Health ServiceHealth
}

// Identity returns the service's identity.
func (s *Service) Identity() Identity { return Identity{Cluster: s.Cluster, Service: s.Name} }

// TaskContainer is one container name of one task family.
type TaskContainer struct {
	Family string
	Name   string
}

// ContainerNames returns the distinct container names of the service's
// tasks, sorted.
func (s *Service) ContainerNames() []string {
	var names []string
	for _, tc := range s.TaskContainers {
		if !slices.Contains(names, tc.Name) {
			names = append(names, tc.Name)
		}
	}
	slices.Sort(names)
	return names
}

// Primary returns the PRIMARY deployment, or nil.
func (s *Service) Primary() *Deployment {
	for i := range s.Deployments {
		if s.Deployments[i].Status == "PRIMARY" {
			return &s.Deployments[i]
		}
	}
	return nil
}

// Deployment is one entry of a service's deployments[].
type Deployment struct {
	ID                 string
	Status             string // PRIMARY, ACTIVE, INACTIVE
	TaskDefinition     string // family:revision
	RolloutState       string // IN_PROGRESS, COMPLETED, FAILED; empty for old-style deployments
	RolloutStateReason string
	Desired, Running   int
	Pending, Failed    int
	CreatedAt          time.Time
	UpdatedAt          time.Time
}

// Rollout is one service deployment as the ServiceDeployments API gives
// it: the ECS controller's view of a ROLLING, BLUE_GREEN, LINEAR or CANARY
// deployment.
type Rollout struct {
	ARN, ID      string
	Status       string // a types.ServiceDeploymentStatus
	StatusReason string
	Stage        string // a types.ServiceDeploymentLifecycleStage; may be empty
	CreatedAt    time.Time
	StartedAt    time.Time
	UpdatedAt    time.Time
	// CircuitBreaker is the breaker's own view: its status (MONITORING,
	// TRIGGERED, ...), failures so far and threshold.
	CircuitBreaker RolloutMonitor
	// Alarms is the alarm monitor's status and the alarms that triggered.
	Alarms          RolloutMonitor
	TriggeredAlarms []string
	// HookFailed: a lifecycle hook failed or timed out.
	HookFailed bool
	// HooksAwaiting counts lifecycle hooks waiting for someone to act.
	HooksAwaiting  int
	RollbackReason string
	// Revisions are the source revisions and, last, the target.
	Revisions []RolloutRevision
}

// RolloutMonitor is a circuit breaker's or alarm set's state in a rollout.
type RolloutMonitor struct {
	Status       string
	FailureCount int
	Threshold    int
}

// Target returns the revision being deployed, or nil.
func (r *Rollout) Target() *RolloutRevision {
	for i := range r.Revisions {
		if r.Revisions[i].Target {
			return &r.Revisions[i]
		}
	}
	return nil
}

// RolloutRevision is one service revision of a rollout.
type RolloutRevision struct {
	ARN, ID                     string
	Target                      bool
	Requested, Running, Pending int
	// Weights are the requested production and test traffic percentages,
	// when ECS gives them (BLUE_GREEN, LINEAR, CANARY).
	HasWeights                   bool
	ProductionWeight, TestWeight float64
}

// TaskSet is one task set of a CODE_DEPLOY or EXTERNAL service.
type TaskSet struct {
	ID, ARN        string
	Status         string // PRIMARY, ACTIVE, DRAINING
	TaskDefinition string // family:revision
	ExternalID     string
	// ScalePercent is the share of the service's desired count the task
	// set runs.
	ScalePercent              float64
	Desired, Running, Pending int
	Stability                 string // STEADY_STATE, STABILIZING
	StabilityAt               time.Time
	CreatedAt, UpdatedAt      time.Time
}

// ServiceEvent is one message from a service's events[].
type ServiceEvent struct {
	ID        string
	CreatedAt time.Time
	Message   string
}

// ServiceHealth is what collector/rules derived for a service.
type ServiceHealth struct {
	// RevisionsRunning counts the revisions serving production: see
	// collector/rules for how each controller and strategy is read.
	RevisionsRunning int
	// MixedSince is when more than one revision started serving at once,
	// from ECS's own timestamps, and MixedFor how long that had lasted when
	// last observed; both zero while only one revision serves.
	MixedSince time.Time
	MixedFor   time.Duration
	// AwaitingFor is how long lifecycle hooks have been awaiting action,
	// as far as ecswatch has seen; zero when none is.
	AwaitingFor time.Duration
	// The circuit breaker's failures so far in the ongoing deployment and
	// the threshold at which it fails it; HasBreaker is false when no
	// breaker watches one.
	HasBreaker                        bool
	BreakerFailures, BreakerThreshold int
	// Stuck is the reason the primary deployment is considered stuck, or
	// empty. See collector/rules for the rule.
	Stuck StuckReason

	// Deploy headroom, EC2 services only.
	HasHeadroom bool
	// HeadroomTasks is how many more tasks of this service's size the
	// cluster's ACTIVE container instances can place now.
	HeadroomTasks int
	// SurgeTasks is how many extra tasks a rolling deployment at the
	// service's maximumPercent starts at once.
	SurgeTasks int
	// HeadroomState says whether the next deployment proceeds at full
	// speed, slowly, or not at all (collector/rules Headroom).
	HeadroomState HeadroomState
	// CrashLoop is the dominant stop reason class of a service whose
	// current revision cannot start tasks, or empty (collector/rules
	// CrashLoop).
	CrashLoop string
}

// StuckReason says why a deployment is stuck.
type StuckReason string

// The stuck reasons, in the order rules check them.
const (
	StuckPlacementFailure StuckReason = "placement_failure"
	StuckFailingTasks     StuckReason = "failing_tasks"
	StuckNoProgress       StuckReason = "no_progress"
)

// StuckReasons lists every StuckReason.
var StuckReasons = []StuckReason{StuckPlacementFailure, StuckFailingTasks, StuckNoProgress}

// EventKind is what happened.
type EventKind string

// The kinds of event.
const (
	EventOOMKill          EventKind = "oom_kill"
	EventTaskStopped      EventKind = "task_stopped"
	EventDeploymentFailed EventKind = "deployment_failed"
	EventDeploymentStuck  EventKind = "deployment_stuck"
	EventPlacementFailure EventKind = "placement_failure"
	// EventRollbackFailed: a rollback did not restore the service, which is
	// left broken.
	EventRollbackFailed EventKind = "rollback_failed"
)

// Event is something that happened once: an OOM kill, a stopped task, a
// failed or stuck deployment, a placement failure. Events increment counters
// in the Store, once per ID however many sources or polls report them.
type Event struct {
	Kind EventKind
	// ID identifies the occurrence, for deduplication: the same kill seen by
	// polling and by the event stream has the same ID.
	ID       string
	Time     time.Time
	Identity Identity
	// Container is set for OOM kills.
	Container string
	TaskARN   string
	// Deployment is set for deployment events.
	Deployment string
	// Label is the bounded classification counted by: the stop code of a
	// stopped task, the reason of a placement failure or stuck deployment.
	Label string
	// Message is free text for humans (event text, stop reason); never a
	// metric label.
	Message string
}

// EventCount is a counter of events with the same kind, identity, container
// and label.
type EventCount struct {
	Kind EventKind
	// Identity is never nil. The counters born at 0 for one service share
	// theirs: at ten thousand services they are seventy thousand.
	Identity  *Identity
	Container string
	Label     string
	Count     uint64
}

// EventDeploymentState is a deployment state change from the event stream
// (in progress, completed); it counts nothing but is passed on to exporters.
const EventDeploymentState EventKind = "deployment_state"

// DaemonCount is one of ecswatch's own counters with one label value, e.g.
// events received by type.
type DaemonCount struct {
	Name  string
	Label string
	Count uint64
}

// APICallCount counts calls to one AWS operation with one outcome.
type APICallCount struct {
	Service   string
	Operation string
	Outcome   string // success, throttled, client_error, server_error, network_error
	Count     uint64
}

// LogEvent logs a newly counted event: notable kinds at info, the rest at
// debug. The free text (stop reasons, messages) stays at debug, where
// operators opt in to it.
func LogEvent(logger *slog.Logger, ev Event) {
	if ev.Kind == EventTaskStopReason {
		logStopReason(logger, ev)
		return
	}
	level := slog.LevelDebug
	switch ev.Kind {
	case EventOOMKill, EventDeploymentFailed, EventRollbackFailed, EventDeploymentStuck:
		level = slog.LevelInfo
	}
	logger.Log(context.Background(), level, "event", "kind", ev.Kind, "cluster", ev.Identity.Cluster, "service", ev.Identity.Service,
		"container", ev.Container, "deployment", ev.Deployment, "label", ev.Label)
	logger.Debug("event detail", "kind", ev.Kind, "id", ev.ID, "task_arn", ev.TaskARN, "message", ev.Message)
}

// InsightsSample is the latest datapoint of one Container Insights series,
// converted to base units.
type InsightsSample struct {
	Metric string // CloudWatch metric name
	// Identity is shared by the samples of one cluster, service or task
	// family (a few hundred thousand samples at a large scale); nil is the
	// zero Identity.
	Identity  *Identity
	Container string // enhanced container-level metrics only
	Value     float64
	Time      time.Time // the datapoint's own timestamp
}

// noIdentity is the identity of an InsightsSample that has none.
var noIdentity Identity

// ID returns s's identity, the zero Identity when it has none.
func (s *InsightsSample) ID() *Identity {
	if s.Identity == nil {
		return &noIdentity
	}
	return s.Identity
}

// ImageReference splits a container image reference into its repository
// name, tag and digest, any of the last two empty: "repo:tag",
// "repo@sha256:...", "registry:5000/repo" (a port is not a tag).
func ImageReference(ref string) (name, tag, digest string) {
	name = ref
	if i := strings.LastIndexByte(name, '@'); i >= 0 {
		name, digest = name[:i], name[i+1:]
	}
	if i := strings.LastIndexByte(name, ':'); i > strings.LastIndexByte(name, '/') {
		name, tag = name[:i], name[i+1:]
	}
	return name, tag, digest
}
