// Package catalog is the metric catalogue: every metric ecswatch exports,
// under its Prometheus name, with its type, unit, help and labels, and the one
// walk that turns a collector.Snapshot into samples of those metrics.
//
// Exporters translate from here: the Prometheus exporter uses the names as
// they are, the Datadog and OTLP exporters map them to their own conventions.
// Keeping the walk in one place means a value is computed the same way for
// every backend.
package catalog

import (
	"time"

	"github.com/ecswatch/ecswatch/collector"
)

// Kind is the type of a metric.
type Kind int

// The metric kinds.
const (
	Gauge Kind = iota
	Counter
	// Info is a gauge that is always 1 and carries properties as labels.
	Info
)

func (k Kind) String() string {
	switch k {
	case Counter:
		return "counter"
	case Info:
		return "info"
	default:
		return "gauge"
	}
}

// Scope says which identity a family's samples carry.
type Scope int

// The scopes.
const (
	// ScopeTask samples describe a task and carry its identity labels.
	ScopeTask Scope = iota
	// ScopeContainer samples describe a container: the task's identity
	// labels and container_name.
	ScopeContainer
	// ScopeDaemon samples describe ecswatch itself.
	ScopeDaemon
)

// Identity labels: which task a series belongs to. Plain cluster and service
// are avoided because Prometheus's naming guide reserves them in practice for
// labels that scrapers and federation add.
var IdentityLabels = []string{"ecs_cluster", "ecs_service", "task_family", "task_revision", "task_id"}

// Identity returns t's values for IdentityLabels.
func Identity(t *collector.Task) []string {
	return []string{t.Cluster, t.Service, t.Family, t.Revision, t.ID}
}

// Family is one metric of the catalogue.
type Family struct {
	Name  string
	Help  string
	Kind  Kind
	Unit  string // base unit: seconds, bytes, vcpus; empty for counts
	Scope Scope
	// Labels are the family's own labels; for container scope the first is
	// always container_name. Identity labels come before them.
	Labels []string
	// NoIdentity keeps a family's labels exactly as listed, for drop-in
	// compatibility with another exporter's series.
	NoIdentity bool

	task      func(t *collector.Task, emit Emit)
	container func(t *collector.Task, c *collector.Container, emit Emit)
	daemon    func(s *collector.Snapshot, emit Emit)
}

// Emit receives one sample's value and the values of its family's own labels.
type Emit func(value float64, labels ...string)

// Sink receives every sample of a snapshot. t is nil for daemon samples.
type Sink func(f *Family, t *collector.Task, value float64, labels []string)

// Families returns the catalogue in the order it is walked.
func Families() []*Family { return families }

// Walk calls sink for every sample in s.
func Walk(s *collector.Snapshot, sink Sink) {
	for _, f := range families {
		switch {
		case f.daemon != nil:
			f.daemon(s, func(v float64, l ...string) { sink(f, nil, v, l) })
		case f.task != nil:
			for _, t := range s.Tasks {
				f.task(t, func(v float64, l ...string) { sink(f, t, v, l) })
			}
		case f.container != nil:
			for _, t := range s.Tasks {
				emit := func(v float64, l ...string) { sink(f, t, v, l) }
				for i := range t.Containers {
					f.container(t, &t.Containers[i], emit)
				}
			}
		}
	}
}

func taskGauge(name, help, unit string, value func(t *collector.Task) (float64, bool)) *Family {
	return &Family{Name: name, Help: help, Kind: Gauge, Unit: unit, Scope: ScopeTask,
		task: func(t *collector.Task, emit Emit) {
			if v, ok := value(t); ok {
				emit(v)
			}
		}}
}

func containerMetric(kind Kind, name, help, unit string, value func(c *collector.Container) (float64, bool)) *Family {
	return &Family{Name: name, Help: help, Kind: kind, Unit: unit, Scope: ScopeContainer, Labels: []string{"container_name"},
		container: func(_ *collector.Task, c *collector.Container, emit Emit) {
			if v, ok := value(c); ok {
				emit(v, c.Name)
			}
		}}
}

// statsMetric is a container metric read from the latest stats, absent when
// the container has none.
func statsMetric(kind Kind, name, help, unit string, value func(s *collector.ContainerStats) float64) *Family {
	return containerMetric(kind, name, help, unit, func(c *collector.Container) (float64, bool) {
		if c.Stats == nil {
			return 0, false
		}
		return value(c.Stats), true
	})
}

// networkMetric reports an interface counter: once per task interface in
// awsvpc and host mode (container_name empty), once per container interface in
// bridge mode.
func networkMetric(name, help, unit string, value func(n *collector.NetworkStats) float64) *Family {
	return &Family{Name: name, Help: help, Kind: Counter, Unit: unit, Scope: ScopeContainer, Labels: []string{"container_name", "interface"},
		task: func(t *collector.Task, emit Emit) {
			for i := range t.Networks {
				emit(value(&t.Networks[i]), "", t.Networks[i].Interface)
			}
			for i := range t.Containers {
				c := &t.Containers[i]
				if c.Stats == nil {
					continue
				}
				for j := range c.Stats.Networks {
					emit(value(&c.Stats.Networks[j]), c.Name, c.Stats.Networks[j].Interface)
				}
			}
		}}
}

func daemonMetric(kind Kind, name, help, unit string, value func(h *collector.CollectorHealth) float64) *Family {
	return &Family{Name: name, Help: help, Kind: kind, Unit: unit, Scope: ScopeDaemon, Labels: []string{"collector"},
		daemon: func(s *collector.Snapshot, emit Emit) {
			for i := range s.Collectors {
				emit(value(&s.Collectors[i]), s.Collectors[i].Name)
			}
		}}
}

func positive(v float64) (float64, bool) { return v, v > 0 }

func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func timestamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

var families = []*Family{
	// Per task.
	{
		Name: "ecs_task_metadata_info", Kind: Info, Scope: ScopeTask, NoIdentity: true,
		Help:   "ECS task metadata, sourced from the task metadata endpoint version 4.",
		Labels: []string{"cluster", "task_arn", "family", "revision", "desired_status", "known_status", "pull_started_at", "pull_stopped_at", "availability_zone", "launch_type"},
		task: func(t *collector.Task, emit Emit) {
			emit(1, t.Cluster, t.ARN, t.Family, t.Revision, t.DesiredStatus, t.KnownStatus,
				timestamp(t.PullStartedAt), timestamp(t.PullStoppedAt), t.AvailabilityZone, t.LaunchType)
		},
	},
	taskGauge("ecs_task_cpu_limit_vcpus", "Configured task CPU limit in vCPUs (1 vCPU = 1024 CPU units); absent when the task sets none.", "vcpus",
		func(t *collector.Task) (float64, bool) { return positive(t.CPULimitVCPUs) }),
	taskGauge("ecs_task_memory_limit_bytes", "Configured task memory limit in bytes; absent when the task sets none.", "bytes",
		func(t *collector.Task) (float64, bool) { return positive(t.MemoryLimitBytes) }),
	taskGauge("ecs_task_ephemeral_storage_used_bytes", "Ephemeral storage used by the task (Fargate only).", "bytes",
		func(t *collector.Task) (float64, bool) { return t.EphemeralStorageUsedBytes, t.HasEphemeralStorage }),
	taskGauge("ecs_task_ephemeral_storage_reserved_bytes", "Ephemeral storage reserved for the task (Fargate only).", "bytes",
		func(t *collector.Task) (float64, bool) { return t.EphemeralStorageReservedBytes, t.HasEphemeralStorage }),
	taskGauge("ecs_task_image_pull_duration_seconds", "Time the task spent pulling container images.", "seconds",
		func(t *collector.Task) (float64, bool) { return positive(t.ImagePullDuration().Seconds()) }),

	// Per container: properties and lifecycle.
	{
		Name: "ecs_container_info", Kind: Info, Scope: ScopeContainer,
		Help:   "Container properties; always 1.",
		Labels: []string{"container_name", "image", "docker_id"},
		container: func(_ *collector.Task, c *collector.Container, emit Emit) {
			emit(1, c.Name, c.Image, c.DockerID)
		},
	},
	{
		Name: "ecs_container_state", Kind: Gauge, Scope: ScopeContainer,
		Help:   "Container lifecycle state: 1 for the current state, 0 for the others.",
		Labels: []string{"container_name", "state"},
		container: func(_ *collector.Task, c *collector.Container, emit Emit) {
			for _, s := range collector.ContainerStates {
				emit(boolValue(c.State == s), c.Name, string(s))
			}
		},
	},
	containerMetric(Gauge, "ecs_container_exit_code", "Exit code of a container that has exited.", "",
		func(c *collector.Container) (float64, bool) { return float64(c.ExitCode), c.HasExitCode }),
	containerMetric(Counter, "ecs_container_restarts_total", "Restarts of the container within its task (ECS restart policy).", "",
		func(c *collector.Container) (float64, bool) { return float64(c.Restarts), true }),
	containerMetric(Counter, "ecs_container_oom_kills_total", "Times the container was killed for exceeding its memory limit (sidecar: exit code 137 while ECS wanted it running).", "",
		func(c *collector.Container) (float64, bool) { return float64(c.OOMKills), true }),
	containerMetric(Gauge, "ecs_container_cpu_limit_vcpus", "Container CPU share from the task definition, in vCPUs; absent when none is set.", "vcpus",
		func(c *collector.Container) (float64, bool) { return positive(c.CPULimitVCPUs) }),
	containerMetric(Gauge, "ecs_container_memory_reservation_bytes", "Container memory from the task definition, which ECS reserves when placing the task; absent when none is set.", "bytes",
		func(c *collector.Container) (float64, bool) { return positive(c.MemoryReservationBytes) }),

	// Per container: resource usage from the latest stats.
	statsMetric(Counter, "ecs_container_cpu_usage_seconds_total", "Cumulative CPU time consumed by the container.", "seconds",
		func(s *collector.ContainerStats) float64 { return s.CPUUsageSeconds }),
	statsMetric(Counter, "ecs_container_cpu_throttled_seconds_total", "Cumulative time the container was throttled by its CPU quota.", "seconds",
		func(s *collector.ContainerStats) float64 { return s.CPUThrottledSeconds }),
	statsMetric(Gauge, "ecs_container_memory_usage_bytes", "Memory usage of the container, page cache included.", "bytes",
		func(s *collector.ContainerStats) float64 { return s.MemoryUsageBytes }),
	statsMetric(Gauge, "ecs_container_memory_working_set_bytes", "Memory the container cannot give back under pressure: usage minus inactive page cache. The OOM killer acts on this.", "bytes",
		func(s *collector.ContainerStats) float64 { return s.MemoryWorkingSetBytes }),
	statsMetric(Gauge, "ecs_container_memory_page_cache_size_bytes", "Page cache held by the container.", "bytes",
		func(s *collector.ContainerStats) float64 { return s.MemoryCacheBytes }),
	containerMetric(Gauge, "ecs_container_memory_limit_bytes", "Effective memory limit of the container: its cgroup limit, else its own, else the task's.", "bytes",
		func(c *collector.Container) (float64, bool) {
			if c.Stats == nil {
				return 0, false
			}
			return positive(c.Stats.MemoryLimitBytes)
		}),
	statsMetric(Counter, "ecs_container_blkio_read_bytes_total", "Bytes read from block devices by the container.", "bytes",
		func(s *collector.ContainerStats) float64 { return s.BlockReadBytes }),
	statsMetric(Counter, "ecs_container_blkio_write_bytes_total", "Bytes written to block devices by the container.", "bytes",
		func(s *collector.ContainerStats) float64 { return s.BlockWriteBytes }),
	containerMetric(Gauge, "ecs_container_pids", "Processes and threads in the container.", "",
		func(c *collector.Container) (float64, bool) {
			if c.Stats == nil {
				return 0, false
			}
			return c.Stats.PIDs, c.Stats.HasPIDs
		}),

	// Network.
	networkMetric("ecs_network_receive_bytes_total", "Bytes received on the interface.", "bytes",
		func(n *collector.NetworkStats) float64 { return n.RxBytes }),
	networkMetric("ecs_network_receive_packets_total", "Packets received on the interface.", "",
		func(n *collector.NetworkStats) float64 { return n.RxPackets }),
	networkMetric("ecs_network_receive_errors_total", "Receive errors on the interface.", "",
		func(n *collector.NetworkStats) float64 { return n.RxErrors }),
	networkMetric("ecs_network_receive_packets_dropped_total", "Received packets dropped on the interface.", "",
		func(n *collector.NetworkStats) float64 { return n.RxDropped }),
	networkMetric("ecs_network_transmit_bytes_total", "Bytes transmitted on the interface.", "bytes",
		func(n *collector.NetworkStats) float64 { return n.TxBytes }),
	networkMetric("ecs_network_transmit_packets_total", "Packets transmitted on the interface.", "",
		func(n *collector.NetworkStats) float64 { return n.TxPackets }),
	networkMetric("ecs_network_transmit_errors_total", "Transmit errors on the interface.", "",
		func(n *collector.NetworkStats) float64 { return n.TxErrors }),
	networkMetric("ecs_network_transmit_packets_dropped_total", "Transmitted packets dropped on the interface.", "",
		func(n *collector.NetworkStats) float64 { return n.TxDropped }),

	// The daemon itself.
	daemonMetric(Gauge, "ecswatch_collector_up", "Whether the collector's last run succeeded (1) or failed (0).", "",
		func(h *collector.CollectorHealth) float64 { return boolValue(h.Up) }),
	daemonMetric(Gauge, "ecswatch_collector_duration_seconds", "Duration of the collector's last run.", "seconds",
		func(h *collector.CollectorHealth) float64 { return h.LastDuration.Seconds() }),
	daemonMetric(Counter, "ecswatch_collector_errors_total", "Failed runs of the collector.", "",
		func(h *collector.CollectorHealth) float64 { return float64(h.Errors) }),
	daemonMetric(Gauge, "ecswatch_collector_last_success_timestamp_seconds", "Unix time of the collector's last successful run; 0 before the first.", "seconds",
		func(h *collector.CollectorHealth) float64 {
			if h.LastSuccess.IsZero() {
				return 0
			}
			return float64(h.LastSuccess.UnixNano()) / 1e9
		}),
}
