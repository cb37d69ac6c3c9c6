package catalog

import (
	"github.com/ecswatch/ecswatch/collector"
)

// containerFamilies describe one container of a task: its properties and
// lifecycle, then its resource usage from the latest stats.
var containerFamilies = []*Family{
	{
		Name: "ecs_container_info", Unit: "", Datadog: Datadog{Name: "", Type: DatadogTags}, OTLP: OTLP{Instrument: InstrumentAttributes}, Kind: Info, Scope: ScopeContainer,
		Help:   "Container properties; always 1.",
		Labels: []string{"container_name", "image", "docker_id"},
		container: func(_ *collector.Task, c *collector.Container, emit Emit) {
			emit(1, c.Name, c.Image, c.DockerID)
		},
	},
	{
		Name: "ecs_container_state", Unit: "1", Datadog: Datadog{Name: "container.state", Type: DatadogGauge}, OTLP: OTLP{Name: "aws.ecs.container.state", Instrument: InstrumentGauge}, Kind: Gauge, Scope: ScopeContainer, Values: map[string][]string{"state": stringsOf(collector.ContainerStates)},
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
		Name: "ecs_container_oom_kills_total", Unit: "{kill}", Datadog: Datadog{Name: "container.oom_kills", Type: DatadogCount}, OTLP: OTLP{Name: "aws.ecs.container.oom_kills", Instrument: InstrumentCounter}, Kind: Counter, Scope: ScopeContainer, Labels: []string{"container_name", "source"}, SinceStart: true, Values: map[string][]string{"source": {SourceSidecar, SourceStandalone}},
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
					emit(e.Identity, float64(e.Count), e.Container, SourceStandalone)
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
}
