package taskmeta

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
)

// The types below mirror the JSON of the task metadata endpoint v4 (/task) and
// of the Docker stats it embeds (/task/stats). Only the fields ecswatch uses
// are declared; everything else is ignored. Optional fields are pointers so
// that "absent" and "zero" stay distinguishable.

// taskResponse is the body of ${ECS_CONTAINER_METADATA_URI_V4}/task.
type taskResponse struct {
	Cluster          string              `json:"Cluster"`
	ServiceName      string              `json:"ServiceName"`
	TaskARN          string              `json:"TaskARN"`
	Family           string              `json:"Family"`
	Revision         string              `json:"Revision"`
	DesiredStatus    string              `json:"DesiredStatus"`
	KnownStatus      string              `json:"KnownStatus"`
	Limits           *limits             `json:"Limits"`
	PullStartedAt    *time.Time          `json:"PullStartedAt"`
	PullStoppedAt    *time.Time          `json:"PullStoppedAt"`
	AvailabilityZone string              `json:"AvailabilityZone"`
	LaunchType       string              `json:"LaunchType"`
	Containers       []containerResponse `json:"Containers"`
	EphemeralStorage *ephemeralStorage   `json:"EphemeralStorageMetrics"`
}

// limits are CPU and memory limits. At task level CPU is in vCPUs; at
// container level it is in CPU units (1024 per vCPU). Memory is in MiB.
type limits struct {
	CPU    *float64 `json:"CPU"`
	Memory *float64 `json:"Memory"`
}

type ephemeralStorage struct {
	Utilized float64 `json:"Utilized"` // MiB
	Reserved float64 `json:"Reserved"` // MiB
}

type containerResponse struct {
	DockerID      string            `json:"DockerId"`
	Name          string            `json:"Name"`
	Image         string            `json:"Image"`
	ImageID       string            `json:"ImageID"`
	DesiredStatus string            `json:"DesiredStatus"`
	KnownStatus   string            `json:"KnownStatus"`
	ExitCode      *int              `json:"ExitCode"`
	Limits        *limits           `json:"Limits"`
	StartedAt     *time.Time        `json:"StartedAt"`
	FinishedAt    *time.Time        `json:"FinishedAt"`
	Type          string            `json:"Type"`
	RestartCount  *uint64           `json:"RestartCount"` // only with a restart policy
	Health        *healthResponse   `json:"Health"`       // only with a health check
	Networks      []networkResponse `json:"Networks"`
}

type networkResponse struct {
	NetworkMode string `json:"NetworkMode"`
}

// statsResponse is one value of the /task/stats map. A stopped or not yet
// started container is `null` (Fargate) or `{}` (EC2).
type statsResponse struct {
	Read     time.Time                  `json:"read"`
	ID       string                     `json:"id"`
	CPU      cpuStats                   `json:"cpu_stats"`
	Memory   memoryStats                `json:"memory_stats"`
	Blkio    blkioStats                 `json:"blkio_stats"`
	Storage  storageStats               `json:"storage_stats"` // Windows
	PIDs     pidsStats                  `json:"pids_stats"`
	Networks map[string]networkCounters `json:"networks"`
}

// windows reports whether the stats are a Windows container's: Docker on
// Windows fills the private working set, commit figures and storage_stats
// in place of the cgroup fields (Linux stats carry storage_stats as {}).
func (s *statsResponse) windows() bool {
	return s.Memory.PrivateWorkingSet != nil || s.Memory.Commit != nil || s.Storage.ReadSizeBytes != nil || s.Storage.WriteSizeBytes != nil
}

type cpuStats struct {
	Usage struct {
		TotalUsage uint64 `json:"total_usage"` // nanoseconds
	} `json:"cpu_usage"`
	Throttling struct {
		ThrottledTime uint64 `json:"throttled_time"` // nanoseconds
	} `json:"throttling_data"`
}

type memoryStats struct {
	Usage *uint64           `json:"usage"` // Linux only
	Limit uint64            `json:"limit"`
	Stats map[string]uint64 `json:"stats"`
	// Windows only.
	Commit            *uint64 `json:"commitbytes"`
	PrivateWorkingSet *uint64 `json:"privateworkingset"`
}

// storageStats is Windows's block I/O.
type storageStats struct {
	ReadSizeBytes  *uint64 `json:"read_size_bytes"`
	WriteSizeBytes *uint64 `json:"write_size_bytes"`
}

type blkioStats struct {
	ServiceBytes []blkioEntry `json:"io_service_bytes_recursive"`
}

type blkioEntry struct {
	Major uint64 `json:"major"`
	Op    string `json:"op"`
	Value uint64 `json:"value"`
}

type pidsStats struct {
	Current *uint64 `json:"current"`
}

type networkCounters struct {
	RxBytes   uint64 `json:"rx_bytes"`
	RxPackets uint64 `json:"rx_packets"`
	RxErrors  uint64 `json:"rx_errors"`
	RxDropped uint64 `json:"rx_dropped"`
	TxBytes   uint64 `json:"tx_bytes"`
	TxPackets uint64 `json:"tx_packets"`
	TxErrors  uint64 `json:"tx_errors"`
	TxDropped uint64 `json:"tx_dropped"`
}

// empty reports whether s carries no reading: the `{}` of a stopped container.
func (s *statsResponse) empty() bool {
	return s == nil || (s.Read.IsZero() && s.ID == "" && s.Memory.Usage == nil && s.Memory.PrivateWorkingSet == nil && s.CPU.Usage.TotalUsage == 0)
}

// normal reports whether the container is one of the task definition's. The
// pause container (CNI_PAUSE) and other agent-internal ones are plumbing.
func (c *containerResponse) normal() bool {
	return c.Type == "" || c.Type == "NORMAL"
}

// Bounds past which a number from the endpoint cannot be real: exporting it
// would show +Inf, or a counter jump of 2^64, as data. The largest EC2
// instances have 448 vCPUs and 24 TiB; these leave room and still catch
// garbage.
const (
	maxVCPUs       = 4096
	maxMemoryMiB   = 1 << 30 // 1 PiB
	maxMemoryBytes = maxMemoryMiB << 20
	// maxCounter bounds byte, packet and nanosecond counters: 2^62
	// nanoseconds are 146 years of CPU time.
	maxCounter = 1 << 62
)

// ErrImplausible marks a reading with a number no task can have.
var ErrImplausible = errors.New("implausible value")

func implausible(what string, v any) error { return fmt.Errorf("%w: %s = %v", ErrImplausible, what, v) }

// plausible refuses task and container limits no task can have.
func (tr *taskResponse) plausible() error {
	check := func(l *limits, cpuMax float64, where string) error {
		if l == nil {
			return nil
		}
		if v := deref(l.CPU); v < 0 || v > cpuMax || math.IsNaN(v) {
			return implausible(where+" Limits.CPU", v)
		}
		if v := deref(l.Memory); v < 0 || v > maxMemoryMiB || math.IsNaN(v) {
			return implausible(where+" Limits.Memory", v)
		}
		return nil
	}
	if err := check(tr.Limits, maxVCPUs, "task"); err != nil {
		return err
	}
	for i := range tr.Containers {
		if err := check(tr.Containers[i].Limits, maxVCPUs*cpuUnitsPerVCPU, "container "+tr.Containers[i].Name); err != nil {
			return err
		}
	}
	if e := tr.EphemeralStorage; e != nil && (e.Utilized < 0 || e.Reserved < 0 || e.Utilized > maxMemoryMiB || e.Reserved > maxMemoryMiB) {
		return implausible("EphemeralStorageMetrics", *e)
	}
	return nil
}

// plausible refuses stats with a counter or gauge no container can have.
// The memory limit is exempt: 2^63 is how cgroups say "none".
func (s *statsResponse) plausible() error {
	for what, v := range map[string]uint64{
		"cpu_usage.total_usage": s.CPU.Usage.TotalUsage, "throttled_time": s.CPU.Throttling.ThrottledTime,
		"memory usage": deref(s.Memory.Usage), "commitbytes": deref(s.Memory.Commit),
		"privateworkingset": deref(s.Memory.PrivateWorkingSet),
	} {
		if v > maxCounter || (strings.HasPrefix(what, "memory") && v > maxMemoryBytes) {
			return implausible(what, v)
		}
	}
	for _, e := range s.Blkio.ServiceBytes {
		if e.Value > maxCounter {
			return implausible("blkio "+e.Op, e.Value)
		}
	}
	for name, n := range s.Networks {
		for _, v := range []uint64{n.RxBytes, n.RxPackets, n.RxErrors, n.RxDropped, n.TxBytes, n.TxPackets, n.TxErrors, n.TxDropped} {
			if v > maxCounter {
				return implausible("network "+name, v)
			}
		}
	}
	return nil
}

// healthResponse is a container's Health in the metadata endpoint v4: the
// agent's view of the container's health check, present only where the task
// definition defines one. Output (the check command's output) is not read.
type healthResponse struct {
	Status      string     `json:"status"`
	StatusSince *time.Time `json:"statusSince"`
	ExitCode    *int       `json:"exitCode"`
}
