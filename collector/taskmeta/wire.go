package taskmeta

import "time"

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
