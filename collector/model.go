// Package collector holds the neutral data model that every collector fills
// and every exporter translates, the Store that publishes it as immutable
// snapshots, and the Scheduler that runs collectors on their intervals.
//
// Nothing here knows about Prometheus, Datadog or OTLP, and nothing here knows
// how a particular source is read.
package collector

import "time"

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

	// Stats is nil when the source has no statistics for the container
	// (stopped, not started yet, or stats unavailable).
	Stats *ContainerStats
}

// ContainerStats is one reading of a container's cgroup and network counters.
type ContainerStats struct {
	Read time.Time // when the runtime took the reading

	CPUUsageSeconds     float64
	CPUThrottledSeconds float64

	MemoryUsageBytes      float64
	MemoryWorkingSetBytes float64
	MemoryCacheBytes      float64
	// MemoryLimitBytes is the effective limit: the cgroup's, else the
	// container's task-definition memory, else the task's; zero if none.
	MemoryLimitBytes float64

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
