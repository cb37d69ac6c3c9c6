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
	"slices"
	"strings"
	"time"

	"github.com/ecswatch/ecswatch/collector"
	"github.com/ecswatch/ecswatch/collector/insights/cimetric"
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
	// ScopeService samples describe a service: ecs_cluster and ecs_service.
	ScopeService
	// ScopeDaemon samples describe ecswatch itself.
	ScopeDaemon
)

// IdentityLabels are the labels that say which task a series belongs to.
// Plain cluster and service are avoided because scrapers and federation
// commonly add labels of those names.
var IdentityLabels = []string{"ecs_cluster", "ecs_service", "task_family", "task_revision", "task_id"}

// The values of the source label of ecs_container_oom_kills_total: which
// mode counted the kill.
const (
	SourceSidecar    = "sidecar"
	SourceStandalone = "standalone"
)

// ServiceLabels say which service a series belongs to.
var ServiceLabels = []string{"ecs_cluster", "ecs_service"}

// IdentityLabels returns the identity label names a family's samples carry.
func (f *Family) IdentityLabels() []string {
	switch {
	case f.NoIdentity || f.Scope == ScopeDaemon:
		return nil
	case f.Scope == ScopeService:
		return ServiceLabels
	default:
		return IdentityLabels
	}
}

// IdentityValues returns id's values for the family's identity labels.
func (f *Family) IdentityValues(id *collector.Identity) []string {
	switch {
	case f.NoIdentity || f.Scope == ScopeDaemon || id == nil:
		return nil
	case f.Scope == ScopeService:
		return []string{id.Cluster, id.Service}
	default:
		return []string{id.Cluster, id.Service, id.Family, id.Revision, id.TaskID}
	}
}

// Family is one metric of the catalogue.
type Family struct {
	Name string
	Help string
	Kind Kind
	// Unit is the UCUM unit of the family's values, in base units: "s",
	// "By", "{cpu}" (vCPUs), "1" for ratios and states, "{task}" and the
	// like for counts; empty for info families.
	Unit  string
	Scope Scope
	// Labels are the family's own labels; for container scope the first is
	// always container_name. Identity labels come before them.
	Labels []string
	// NoIdentity keeps a family's labels exactly as listed, for drop-in
	// compatibility with another exporter's series.
	NoIdentity bool
	// Datadog and OTLP say how the family is sent to each backend.
	Datadog Datadog
	OTLP    OTLP
	// SinceStart marks a counter that counts only what this process saw
	// (events, OOM kills), so that its whole first value is an increase;
	// other counters (CPU seconds, bytes) began before ecswatch did.
	SinceStart bool

	// Exactly one of these produces the family's samples.
	task      func(t *collector.Task, emit Emit)
	container func(t *collector.Task, c *collector.Container, emit Emit)
	service   func(s *collector.Service, emit Emit)
	snapshot  func(s *collector.Snapshot, emit IdentifiedEmit)
	insights  string // CloudWatch metric name of a Container Insights family
}

// Emit receives one sample's value and the values of its family's own labels.
type Emit func(value float64, labels ...string)

// IdentifiedEmit is Emit for samples that name their identity themselves.
type IdentifiedEmit func(id *collector.Identity, value float64, labels ...string)

// Sink receives every sample of a snapshot. id is nil for daemon samples;
// ts is the sample's own time where the source gives one (Container
// Insights datapoints), else zero: the snapshot's time.
type Sink func(f *Family, id *collector.Identity, value float64, labels []string, ts time.Time)

// Families returns the catalogue in the order it is walked.
func Families() []*Family { return families }

// insightsFamilies are the Container Insights metrics, one family each,
// labelled like the standalone counters: cluster, service, family, and the
// container name for enhanced container-level metrics.
func insightsFamilies() []*Family {
	var out []*Family
	for _, m := range cimetric.Metrics {
		suffix := strings.TrimPrefix(m.Name, "ecs_containerinsights_")
		f := &Family{Name: m.Name, Help: "Container Insights " + m.CloudWatch + ": " + m.Help, Kind: Gauge, Unit: m.Unit, Scope: ScopeTask, insights: m.CloudWatch,
			Datadog: Datadog{Name: "containerinsights." + suffix, Type: DatadogGauge},
			OTLP:    OTLP{Name: "aws.ecs.containerinsights." + suffix, Instrument: InstrumentGauge}}
		if slices.Contains(m.Levels, cimetric.Container) {
			f.Scope, f.Labels = ScopeContainer, []string{"container_name"}
		}
		out = append(out, f)
	}
	return out
}

// Walk calls sink for every sample in s.
func Walk(s *collector.Snapshot, sink Sink) {
	for _, f := range families {
		switch {
		case f.insights != "":
			samples := s.InsightsFor(f.insights)
			for i := range samples {
				in := &samples[i]
				if len(f.Labels) > 0 {
					sink(f, &in.Identity, in.Value, []string{in.Container}, in.Time)
				} else {
					sink(f, &in.Identity, in.Value, nil, in.Time)
				}
			}
		case f.snapshot != nil:
			f.snapshot(s, func(id *collector.Identity, v float64, l ...string) { sink(f, id, v, l, time.Time{}) })
		case f.task != nil:
			for _, t := range s.Tasks {
				id := t.Identity()
				f.task(t, func(v float64, l ...string) { sink(f, &id, v, l, time.Time{}) })
			}
		case f.container != nil:
			for _, t := range s.Tasks {
				id := t.Identity()
				emit := func(v float64, l ...string) { sink(f, &id, v, l, time.Time{}) }
				for i := range t.Containers {
					f.container(t, &t.Containers[i], emit)
				}
			}
		case f.service != nil:
			for _, svc := range s.Services {
				id := svc.Identity()
				f.service(svc, func(v float64, l ...string) { sink(f, &id, v, l, time.Time{}) })
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
// the container has none or they lack the value (see ContainerStats).
func statsMetric(kind Kind, name, help, unit string, value func(s *collector.ContainerStats) (float64, bool)) *Family {
	return containerMetric(kind, name, help, unit, func(c *collector.Container) (float64, bool) {
		if c.Stats == nil {
			return 0, false
		}
		return value(c.Stats)
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
		snapshot: func(s *collector.Snapshot, emit IdentifiedEmit) {
			for i := range s.Collectors {
				emit(nil, value(&s.Collectors[i]), s.Collectors[i].Name)
			}
		}}
}

// daemonCounter reports one of the Store's own counters, with its label.
func daemonCounter(name, help, unit, label string) *Family {
	return &Family{Name: name, Help: help, Kind: Counter, Unit: unit, Scope: ScopeDaemon, Labels: []string{label},
		snapshot: func(s *collector.Snapshot, emit IdentifiedEmit) {
			for _, c := range s.Counts {
				if c.Name == name {
					emit(nil, float64(c.Count), c.Label)
				}
			}
		}}
}

func serviceGauge(name, help, unit string, value func(s *collector.Service) (float64, bool)) *Family {
	return &Family{Name: name, Help: help, Kind: Gauge, Unit: unit, Scope: ScopeService,
		service: func(s *collector.Service, emit Emit) {
			if v, ok := value(s); ok {
				emit(v)
			}
		}}
}

// deploymentGauge reports a value of each of a service's deployments.
func deploymentGauge(name, help, unit string, value func(d *collector.Deployment) float64) *Family {
	return &Family{Name: name, Help: help, Kind: Gauge, Unit: unit, Scope: ScopeService, Labels: []string{"deployment_id", "status"},
		service: func(s *collector.Service, emit Emit) {
			for i := range s.Deployments {
				d := &s.Deployments[i]
				emit(value(d), d.ID, d.Status)
			}
		}}
}

// eventCounter counts the Store's events of one kind. labels are the
// family's own labels after the identity: container_name for OOM kills, then
// the event's Label under the name given.
func eventCounter(kind collector.EventKind, scope Scope, name, help, unit string, labels ...string) *Family {
	return &Family{Name: name, Help: help, Kind: Counter, Unit: unit, Scope: scope, Labels: labels, SinceStart: true,
		snapshot: func(s *collector.Snapshot, emit IdentifiedEmit) {
			for i := range s.Events {
				e := &s.Events[i]
				if e.Kind != kind {
					continue
				}
				switch len(labels) {
				case 0:
					emit(&e.Identity, float64(e.Count))
				case 1:
					if labels[0] == "container_name" {
						emit(&e.Identity, float64(e.Count), e.Container)
					} else {
						emit(&e.Identity, float64(e.Count), e.Label)
					}
				}
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

func unixSeconds(t time.Time) float64 {
	if t.IsZero() {
		return 0
	}
	return float64(t.UnixNano()) / 1e9
}

var families = slices.Concat(baseFamilies, insightsFamilies())

var baseFamilies = []*Family{
	// Per task.
	{
		// prometheus-community/ecs_exporter's series, label for label:
		// cluster as the endpoint gives it (an ARN on Fargate, a name on
		// EC2), and no image-pull timestamps (labels that changed with every
		// task would make a series per start).
		Name: "ecs_task_metadata_info", Unit: "", Datadog: Datadog{Name: "", Type: DatadogTags}, OTLP: OTLP{Instrument: InstrumentAttributes}, Kind: Info, Scope: ScopeTask, NoIdentity: true,
		Help:   "ECS task metadata, sourced from the task metadata endpoint version 4.",
		Labels: []string{"cluster", "task_arn", "family", "revision", "desired_status", "known_status", "availability_zone", "launch_type"},
		task: func(t *collector.Task, emit Emit) {
			cluster := t.ClusterARN
			if cluster == "" {
				cluster = t.Cluster
			}
			emit(1, cluster, t.ARN, t.Family, t.Revision, t.DesiredStatus, t.KnownStatus, t.AvailabilityZone, t.LaunchType)
		},
	},
	taskGauge("ecs_task_cpu_limit_vcpus", "Configured task CPU limit in vCPUs (1 vCPU = 1024 CPU units); absent when the task sets none.", "{cpu}",
		func(t *collector.Task) (float64, bool) { return positive(t.CPULimitVCPUs) }).with(Datadog{Name: "task.cpu.limit", Type: DatadogGauge}, OTLP{Name: "aws.ecs.task.cpu.limit", Instrument: InstrumentGauge}),
	taskGauge("ecs_task_memory_limit_bytes", "Configured task memory limit in bytes; absent when the task sets none.", "By",
		func(t *collector.Task) (float64, bool) { return positive(t.MemoryLimitBytes) }).with(Datadog{Name: "task.memory.limit", Type: DatadogGauge}, OTLP{Name: "aws.ecs.task.memory.limit", Instrument: InstrumentGauge}),
	taskGauge("ecs_task_ephemeral_storage_used_bytes", "Ephemeral storage used by the task (Fargate only).", "By",
		func(t *collector.Task) (float64, bool) { return t.EphemeralStorageUsedBytes, t.HasEphemeralStorage }).with(Datadog{Name: "task.ephemeral_storage.used", Type: DatadogGauge}, OTLP{Name: "aws.ecs.task.ephemeral_storage.usage", Instrument: InstrumentUpDownCounter}),
	// ecs_exporter's name for what the endpoint calls Reserved.
	taskGauge("ecs_task_ephemeral_storage_allocated_bytes", "Ephemeral storage allocated to the task (Fargate only).", "By",
		func(t *collector.Task) (float64, bool) { return t.EphemeralStorageReservedBytes, t.HasEphemeralStorage }).with(Datadog{Name: "task.ephemeral_storage.reserved", Type: DatadogGauge}, OTLP{Name: "aws.ecs.task.ephemeral_storage.limit", Instrument: InstrumentGauge}),
	taskGauge("ecs_task_image_pull_start_timestamp_seconds", "Unix time the task started pulling container images; absent when not reported.", "s",
		func(t *collector.Task) (float64, bool) { return positive(unixSeconds(t.PullStartedAt)) }).with(Datadog{Name: "task.image_pull.start", Type: DatadogGauge}, OTLP{Name: "aws.ecs.task.image_pull.start_time", Instrument: InstrumentGauge}),
	taskGauge("ecs_task_image_pull_stop_timestamp_seconds", "Unix time the task finished pulling container images; absent when not reported.", "s",
		func(t *collector.Task) (float64, bool) { return positive(unixSeconds(t.PullStoppedAt)) }).with(Datadog{Name: "task.image_pull.stop", Type: DatadogGauge}, OTLP{Name: "aws.ecs.task.image_pull.stop_time", Instrument: InstrumentGauge}),
	taskGauge("ecs_task_image_pull_duration_seconds", "Time the task spent pulling container images.", "s",
		func(t *collector.Task) (float64, bool) { return positive(t.ImagePullDuration().Seconds()) }).with(Datadog{Name: "task.image_pull.duration", Type: DatadogGauge}, OTLP{Name: "aws.ecs.task.image_pull.duration", Instrument: InstrumentGauge}),

	// Per container: properties and lifecycle.
	{
		Name: "ecs_container_info", Unit: "", Datadog: Datadog{Name: "", Type: DatadogTags}, OTLP: OTLP{Instrument: InstrumentAttributes}, Kind: Info, Scope: ScopeContainer,
		Help:   "Container properties; always 1.",
		Labels: []string{"container_name", "image", "docker_id"},
		container: func(_ *collector.Task, c *collector.Container, emit Emit) {
			emit(1, c.Name, c.Image, c.DockerID)
		},
	},
	{
		Name: "ecs_container_state", Unit: "1", Datadog: Datadog{Name: "container.state", Type: DatadogGauge}, OTLP: OTLP{Name: "aws.ecs.container.state", Instrument: InstrumentGauge}, Kind: Gauge, Scope: ScopeContainer,
		Help:   "Container lifecycle state: 1 for the current state, 0 for the others.",
		Labels: []string{"container_name", "state"},
		container: func(_ *collector.Task, c *collector.Container, emit Emit) {
			for _, s := range collector.ContainerStates {
				emit(boolValue(c.State == s), c.Name, string(s))
			}
		},
	},
	containerMetric(Gauge, "ecs_container_exit_code", "Exit code of a container that has exited.", "1",
		func(c *collector.Container) (float64, bool) { return float64(c.ExitCode), c.HasExitCode }).with(Datadog{Name: "container.exit_code", Type: DatadogGauge}, OTLP{Name: "aws.ecs.container.exit_code", Instrument: InstrumentGauge}),
	containerMetric(Counter, "ecs_container_restarts_total", "Restarts of the container within its task (ECS restart policy).", "{restart}",
		func(c *collector.Container) (float64, bool) { return float64(c.Restarts), true }).with(Datadog{Name: "container.restarts", Type: DatadogCount}, OTLP{Name: "aws.ecs.container.restarts", Instrument: InstrumentCounter}),
	{
		// One family for both modes, told apart by source: the sidecar counts
		// per task container (with task_revision and task_id), the standalone
		// collector per service, task family and container name (without
		// them). Both may see the same kill; README gives the aggregation
		// that counts it once, and the shipped alert uses it.
		Name: "ecs_container_oom_kills_total", Unit: "{kill}", Datadog: Datadog{Name: "container.oom_kills", Type: DatadogCount}, OTLP: OTLP{Name: "aws.ecs.container.oom_kills", Instrument: InstrumentCounter}, Kind: Counter, Scope: ScopeContainer, Labels: []string{"container_name", "source"}, SinceStart: true,
		Help: "Times the container was killed for exceeding its memory limit. Source sidecar: exit code 137 judged from the task metadata endpoint; source standalone: ECS's stop reason OutOfMemoryError.",
		snapshot: func(s *collector.Snapshot, emit IdentifiedEmit) {
			for _, t := range s.Tasks {
				id := t.Identity()
				for i := range t.Containers {
					emit(&id, float64(t.Containers[i].OOMKills), t.Containers[i].Name, SourceSidecar)
				}
			}
			for i := range s.Events {
				if e := &s.Events[i]; e.Kind == collector.EventOOMKill {
					emit(&e.Identity, float64(e.Count), e.Container, SourceStandalone)
				}
			}
		},
	},
	containerMetric(Gauge, "ecs_container_cpu_limit_vcpus", "Container CPU share from the task definition, in vCPUs; absent when none is set.", "{cpu}",
		func(c *collector.Container) (float64, bool) { return positive(c.CPULimitVCPUs) }).with(Datadog{Name: "container.cpu.limit", Type: DatadogGauge}, OTLP{Name: "aws.ecs.container.cpu.limit", Instrument: InstrumentGauge}),
	containerMetric(Gauge, "ecs_container_memory_reservation_bytes", "Container memory from the task definition, which ECS reserves when placing the task; absent when none is set.", "By",
		func(c *collector.Container) (float64, bool) { return positive(c.MemoryReservationBytes) }).with(Datadog{Name: "container.memory.reservation", Type: DatadogGauge}, OTLP{Name: "aws.ecs.container.memory.reservation", Instrument: InstrumentGauge}),

	// Per container: resource usage from the latest stats.
	statsMetric(Counter, "ecs_container_cpu_usage_seconds_total", "Cumulative CPU time consumed by the container.", "s",
		func(s *collector.ContainerStats) (float64, bool) { return s.CPUUsageSeconds, true }).with(Datadog{Name: "container.cpu.usage", Type: DatadogCount, Scale: 1e9, Unit: "nanoseconds"}, OTLP{Name: "container.cpu.time", Instrument: InstrumentCounter}),
	statsMetric(Counter, "ecs_container_cpu_throttled_seconds_total", "Cumulative time the container was throttled by its CPU quota.", "s",
		func(s *collector.ContainerStats) (float64, bool) { return s.CPUThrottledSeconds, s.HasCPUThrottled }).with(Datadog{Name: "container.cpu.throttled", Type: DatadogCount, Scale: 1e9, Unit: "nanoseconds"}, OTLP{Name: "aws.ecs.container.cpu.throttled_time", Instrument: InstrumentCounter}),
	statsMetric(Gauge, "ecs_container_memory_usage_bytes", "Memory usage of the container, page cache included.", "By",
		func(s *collector.ContainerStats) (float64, bool) { return s.MemoryUsageBytes, s.HasMemoryUsage }).with(Datadog{Name: "container.memory.usage", Type: DatadogGauge}, OTLP{Name: "container.memory.usage", Instrument: InstrumentUpDownCounter}),
	statsMetric(Gauge, "ecs_container_memory_working_set_bytes", "Memory the container cannot give back under pressure: usage minus inactive page cache. The OOM killer acts on this.", "By",
		func(s *collector.ContainerStats) (float64, bool) {
			return s.MemoryWorkingSetBytes, s.HasMemoryWorkingSet
		}).with(Datadog{Name: "container.memory.working_set", Type: DatadogGauge}, OTLP{Name: "container.memory.working_set", Instrument: InstrumentUpDownCounter}),
	statsMetric(Gauge, "ecs_container_memory_page_cache_size_bytes", "Page cache held by the container.", "By",
		func(s *collector.ContainerStats) (float64, bool) { return s.MemoryCacheBytes, s.HasMemoryCache }).with(Datadog{Name: "container.memory.cache", Type: DatadogGauge}, OTLP{Name: "aws.ecs.container.memory.cache", Instrument: InstrumentUpDownCounter}),
	containerMetric(Gauge, "ecs_container_memory_limit_bytes", "Effective memory limit of the container: its cgroup limit, else its own, else the task's.", "By",
		func(c *collector.Container) (float64, bool) {
			if c.Stats == nil {
				return 0, false
			}
			return positive(c.Stats.MemoryLimitBytes)
		}).with(Datadog{Name: "container.memory.limit", Type: DatadogGauge}, OTLP{Name: "aws.ecs.container.memory.limit", Instrument: InstrumentGauge}),
	statsMetric(Counter, "ecs_container_blkio_read_bytes_total", "Bytes read from block devices by the container.", "By",
		func(s *collector.ContainerStats) (float64, bool) { return s.BlockReadBytes, s.HasBlockIO }).with(Datadog{Name: "container.io.read_bytes", Type: DatadogCount}, OTLP{Name: "container.disk.io", Instrument: InstrumentCounter, Attrs: map[string]string{"disk.io.direction": "read"}}),
	statsMetric(Counter, "ecs_container_blkio_write_bytes_total", "Bytes written to block devices by the container.", "By",
		func(s *collector.ContainerStats) (float64, bool) { return s.BlockWriteBytes, s.HasBlockIO }).with(Datadog{Name: "container.io.write_bytes", Type: DatadogCount}, OTLP{Name: "container.disk.io", Instrument: InstrumentCounter, Attrs: map[string]string{"disk.io.direction": "write"}}),
	containerMetric(Gauge, "ecs_container_pids", "Processes and threads in the container.", "{process}",
		func(c *collector.Container) (float64, bool) {
			if c.Stats == nil {
				return 0, false
			}
			return c.Stats.PIDs, c.Stats.HasPIDs
		}).with(Datadog{Name: "container.pids", Type: DatadogGauge}, OTLP{Name: "aws.ecs.container.pids", Instrument: InstrumentUpDownCounter}),

	// Network.
	networkMetric("ecs_network_receive_bytes_total", "Bytes received on the interface.", "By",
		func(n *collector.NetworkStats) float64 { return n.RxBytes }).with(Datadog{Name: "net.bytes_rcvd", Type: DatadogCount}, OTLP{Name: "container.network.io", Instrument: InstrumentCounter, Attrs: map[string]string{"network.io.direction": "receive"}}),
	networkMetric("ecs_network_receive_packets_total", "Packets received on the interface.", "{packet}",
		func(n *collector.NetworkStats) float64 { return n.RxPackets }).with(Datadog{Name: "net.packets_rcvd", Type: DatadogCount}, OTLP{Name: "aws.ecs.network.packets", Instrument: InstrumentCounter, Attrs: map[string]string{"network.io.direction": "receive"}}),
	networkMetric("ecs_network_receive_errors_total", "Receive errors on the interface.", "{error}",
		func(n *collector.NetworkStats) float64 { return n.RxErrors }).with(Datadog{Name: "net.errors_rcvd", Type: DatadogCount}, OTLP{Name: "aws.ecs.network.errors", Instrument: InstrumentCounter, Attrs: map[string]string{"network.io.direction": "receive"}}),
	networkMetric("ecs_network_receive_packets_dropped_total", "Received packets dropped on the interface.", "{packet}",
		func(n *collector.NetworkStats) float64 { return n.RxDropped }).with(Datadog{Name: "net.dropped_rcvd", Type: DatadogCount}, OTLP{Name: "aws.ecs.network.dropped", Instrument: InstrumentCounter, Attrs: map[string]string{"network.io.direction": "receive"}}),
	networkMetric("ecs_network_transmit_bytes_total", "Bytes transmitted on the interface.", "By",
		func(n *collector.NetworkStats) float64 { return n.TxBytes }).with(Datadog{Name: "net.bytes_sent", Type: DatadogCount}, OTLP{Name: "container.network.io", Instrument: InstrumentCounter, Attrs: map[string]string{"network.io.direction": "transmit"}}),
	networkMetric("ecs_network_transmit_packets_total", "Packets transmitted on the interface.", "{packet}",
		func(n *collector.NetworkStats) float64 { return n.TxPackets }).with(Datadog{Name: "net.packets_sent", Type: DatadogCount}, OTLP{Name: "aws.ecs.network.packets", Instrument: InstrumentCounter, Attrs: map[string]string{"network.io.direction": "transmit"}}),
	networkMetric("ecs_network_transmit_errors_total", "Transmit errors on the interface.", "{error}",
		func(n *collector.NetworkStats) float64 { return n.TxErrors }).with(Datadog{Name: "net.errors_sent", Type: DatadogCount}, OTLP{Name: "aws.ecs.network.errors", Instrument: InstrumentCounter, Attrs: map[string]string{"network.io.direction": "transmit"}}),
	networkMetric("ecs_network_transmit_packets_dropped_total", "Transmitted packets dropped on the interface.", "{packet}",
		func(n *collector.NetworkStats) float64 { return n.TxDropped }).with(Datadog{Name: "net.dropped_sent", Type: DatadogCount}, OTLP{Name: "aws.ecs.network.dropped", Instrument: InstrumentCounter, Attrs: map[string]string{"network.io.direction": "transmit"}}),

	// Per service (standalone).
	serviceGauge("ecs_service_desired_tasks", "Tasks the service wants running.", "{task}",
		func(s *collector.Service) (float64, bool) { return float64(s.Desired), true }).with(Datadog{Name: "service.desired", Type: DatadogGauge}, OTLP{Name: "aws.ecs.service.tasks.desired", Instrument: InstrumentGauge}),
	serviceGauge("ecs_service_running_tasks", "Tasks of the service running.", "{task}",
		func(s *collector.Service) (float64, bool) { return float64(s.Running), true }).with(Datadog{Name: "service.running", Type: DatadogGauge}, OTLP{Name: "aws.ecs.service.tasks.running", Instrument: InstrumentGauge}),
	serviceGauge("ecs_service_pending_tasks", "Tasks of the service pending.", "{task}",
		func(s *collector.Service) (float64, bool) { return float64(s.Pending), true }).with(Datadog{Name: "service.pending", Type: DatadogGauge}, OTLP{Name: "aws.ecs.service.tasks.pending", Instrument: InstrumentGauge}),
	{
		Name: "ecs_service_deployment_info", Unit: "", Datadog: Datadog{Name: "", Type: DatadogTags}, OTLP: OTLP{Instrument: InstrumentAttributes}, Kind: Info, Scope: ScopeService,
		Help:   "One series per deployment of the service; always 1.",
		Labels: []string{"deployment_id", "status", "rollout_state", "task_definition"},
		service: func(s *collector.Service, emit Emit) {
			for _, d := range s.Deployments {
				emit(1, d.ID, d.Status, d.RolloutState, d.TaskDefinition)
			}
		},
	},
	deploymentGauge("ecs_service_deployment_desired_tasks", "Tasks the deployment wants running.", "{task}",
		func(d *collector.Deployment) float64 { return float64(d.Desired) }).with(Datadog{Name: "deployment.desired", Type: DatadogGauge}, OTLP{Name: "aws.ecs.deployment.tasks.desired", Instrument: InstrumentGauge}),
	deploymentGauge("ecs_service_deployment_running_tasks", "Tasks of the deployment running.", "{task}",
		func(d *collector.Deployment) float64 { return float64(d.Running) }).with(Datadog{Name: "deployment.running", Type: DatadogGauge}, OTLP{Name: "aws.ecs.deployment.tasks.running", Instrument: InstrumentGauge}),
	deploymentGauge("ecs_service_deployment_pending_tasks", "Tasks of the deployment pending.", "{task}",
		func(d *collector.Deployment) float64 { return float64(d.Pending) }).with(Datadog{Name: "deployment.pending", Type: DatadogGauge}, OTLP{Name: "aws.ecs.deployment.tasks.pending", Instrument: InstrumentGauge}),
	deploymentGauge("ecs_service_deployment_failed_tasks", "Tasks of the deployment that failed to start (what the circuit breaker counts).", "{task}",
		func(d *collector.Deployment) float64 { return float64(d.Failed) }).with(Datadog{Name: "deployment.failed_tasks", Type: DatadogGauge}, OTLP{Name: "aws.ecs.deployment.tasks.failed", Instrument: InstrumentGauge}),
	deploymentGauge("ecs_service_deployment_created_timestamp_seconds", "Unix time the deployment was created.", "s",
		func(d *collector.Deployment) float64 { return unixSeconds(d.CreatedAt) }).with(Datadog{Name: "deployment.created", Type: DatadogGauge}, OTLP{Name: "aws.ecs.deployment.created_time", Instrument: InstrumentGauge}),
	{
		Name: "ecs_service_deployment_stuck", Unit: "1", Datadog: Datadog{Name: "deployment.stuck", Type: DatadogGauge}, OTLP: OTLP{Name: "aws.ecs.deployment.stuck", Instrument: InstrumentGauge}, Kind: Gauge, Scope: ScopeService, Labels: []string{"reason"},
		Help: "1 when the primary deployment is stuck for this reason (placement_failure, failing_tasks, no_progress), else 0. See README for the rule.",
		service: func(s *collector.Service, emit Emit) {
			for _, r := range collector.StuckReasons {
				emit(boolValue(s.Health.Stuck == r), string(r))
			}
		},
	},
	eventCounter(collector.EventDeploymentFailed, ScopeService, "ecs_service_deployment_failures_total",
		"Deployments of the service that failed (rolloutState FAILED: the circuit breaker tripped).", "{deployment}").with(Datadog{Name: "deployment.failures", Type: DatadogCount}, OTLP{Name: "aws.ecs.deployment.failures", Instrument: InstrumentCounter}),
	serviceGauge("ecs_service_revisions_running", "Distinct task definition revisions with running tasks: above 1 while old and new serve side by side.", "{revision}",
		func(s *collector.Service) (float64, bool) { return float64(s.Health.RevisionsRunning), true }).with(Datadog{Name: "service.revisions_running", Type: DatadogGauge}, OTLP{Name: "aws.ecs.service.revisions", Instrument: InstrumentGauge}),
	serviceGauge("ecs_service_revisions_mixed_seconds", "How long more than one revision has been running at once; 0 when only one is.", "s",
		func(s *collector.Service) (float64, bool) { return s.Health.MixedFor.Seconds(), true }).with(Datadog{Name: "service.revisions_mixed_duration", Type: DatadogGauge}, OTLP{Name: "aws.ecs.service.revisions.mixed_duration", Instrument: InstrumentGauge}),
	eventCounter(collector.EventPlacementFailure, ScopeService, "ecs_service_placement_failures_total",
		"Service events reporting that a task could not be placed, by reason.", "{failure}", "reason").with(Datadog{Name: "service.placement_failures", Type: DatadogCount}, OTLP{Name: "aws.ecs.service.placement_failures", Instrument: InstrumentCounter}),
	serviceGauge("ecs_service_deploy_headroom_tasks", "EC2 only: more tasks of this service's size that the ACTIVE container instances can place now.", "{task}",
		func(s *collector.Service) (float64, bool) {
			return float64(s.Health.HeadroomTasks), s.Health.HasHeadroom
		}).with(Datadog{Name: "service.deploy_headroom", Type: DatadogGauge}, OTLP{Name: "aws.ecs.service.deploy.headroom", Instrument: InstrumentGauge}),
	serviceGauge("ecs_service_deploy_surge_tasks", "EC2 only: extra tasks a rolling deployment at the service's maximumPercent starts at once; headroom below this stalls the next deployment.", "{task}",
		func(s *collector.Service) (float64, bool) { return float64(s.Health.SurgeTasks), s.Health.HasHeadroom }).with(Datadog{Name: "service.deploy_surge", Type: DatadogGauge}, OTLP{Name: "aws.ecs.service.deploy.surge", Instrument: InstrumentGauge}),
	eventCounter(collector.EventTaskStopped, ScopeService, "ecs_task_stopped_total",
		"Tasks seen stopped, by stop code.", "{task}", "stop_code").with(Datadog{Name: "task.stopped", Type: DatadogCount}, OTLP{Name: "aws.ecs.task.stopped", Instrument: InstrumentCounter}),

	// The daemon itself.
	daemonMetric(Gauge, "ecswatch_collector_up", "Whether the collector's last run succeeded (1) or failed (0).", "1",
		func(h *collector.CollectorHealth) float64 { return boolValue(h.Up) }).with(Datadog{Name: "self.collector.up", Type: DatadogGauge}, OTLP{Name: "ecswatch.collector.up", Instrument: InstrumentGauge}),
	daemonMetric(Gauge, "ecswatch_collector_duration_seconds", "Duration of the collector's last run.", "s",
		func(h *collector.CollectorHealth) float64 { return h.LastDuration.Seconds() }).with(Datadog{Name: "self.collector.duration", Type: DatadogGauge}, OTLP{Name: "ecswatch.collector.duration", Instrument: InstrumentGauge}),
	daemonMetric(Counter, "ecswatch_collector_errors_total", "Failed runs of the collector.", "{error}",
		func(h *collector.CollectorHealth) float64 { return float64(h.Errors) }).with(Datadog{Name: "self.collector.errors", Type: DatadogCount}, OTLP{Name: "ecswatch.collector.errors", Instrument: InstrumentCounter}),
	daemonMetric(Gauge, "ecswatch_collector_last_success_timestamp_seconds", "Unix time of the collector's last successful run; 0 before the first.", "s",
		func(h *collector.CollectorHealth) float64 { return unixSeconds(h.LastSuccess) }).with(Datadog{Name: "self.collector.last_success", Type: DatadogGauge}, OTLP{Name: "ecswatch.collector.last_success_time", Instrument: InstrumentGauge}),
	daemonCounter(collector.DroppedMetric, "Metrics, events and service checks a push exporter could not deliver and dropped.", "{item}", "exporter").with(Datadog{Name: "self.exporter.dropped", Type: DatadogCount}, OTLP{Name: "ecswatch.exporter.dropped", Instrument: InstrumentCounter}),
	daemonCounter("ecswatch_events_received_total", "EventBridge events received from the queue, by detail-type; unparseable messages count as invalid.", "{event}", "type").with(Datadog{Name: "self.events.received", Type: DatadogCount}, OTLP{Name: "ecswatch.events.received", Instrument: InstrumentCounter}),
	{
		Name: "ecswatch_aws_api_calls_total", Unit: "{call}", Datadog: Datadog{Name: "self.aws.api_calls", Type: DatadogCount}, OTLP: OTLP{Name: "ecswatch.aws.api_calls", Instrument: InstrumentCounter}, Kind: Counter, Scope: ScopeDaemon, Labels: []string{"service", "operation", "outcome"},
		Help: "AWS API calls by service, operation and outcome (success, throttled, client_error, server_error, network_error); every attempt, retries included.",
		snapshot: func(s *collector.Snapshot, emit IdentifiedEmit) {
			for _, c := range s.APICalls {
				emit(nil, float64(c.Count), c.Service, c.Operation, c.Outcome)
			}
		},
	},
}
