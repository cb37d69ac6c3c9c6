package catalog

import (
	"github.com/ecswatch/ecswatch/collector"
)

// taskFamilies describe a task, from the metadata endpoint (sidecar).
var taskFamilies = []*Family{
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
		func(t *collector.Task) (float64, bool) { return t.EphemeralStorageReservedBytes, t.HasEphemeralStorage }).with(Datadog{Name: "task.ephemeral_storage.reserved", Type: DatadogGauge}, OTLP{Name: "aws.ecs.task.ephemeral_storage.limit", Instrument: InstrumentGauge}).experimental("0.2.0"),
	taskGauge("ecs_task_image_pull_start_timestamp_seconds", "Unix time the task started pulling container images; absent when not reported.", "s",
		func(t *collector.Task) (float64, bool) { return positive(unixSeconds(t.PullStartedAt)) }).with(Datadog{Name: "task.image_pull.start", Type: DatadogGauge}, OTLP{Name: "aws.ecs.task.image_pull.start_time", Instrument: InstrumentGauge}).experimental("0.2.0"),
	taskGauge("ecs_task_image_pull_stop_timestamp_seconds", "Unix time the task finished pulling container images; absent when not reported.", "s",
		func(t *collector.Task) (float64, bool) { return positive(unixSeconds(t.PullStoppedAt)) }).with(Datadog{Name: "task.image_pull.stop", Type: DatadogGauge}, OTLP{Name: "aws.ecs.task.image_pull.stop_time", Instrument: InstrumentGauge}).experimental("0.2.0"),
	taskGauge("ecs_task_image_pull_duration_seconds", "Time the task spent pulling container images.", "s",
		func(t *collector.Task) (float64, bool) { return positive(t.ImagePullDuration().Seconds()) }).with(Datadog{Name: "task.image_pull.duration", Type: DatadogGauge}, OTLP{Name: "aws.ecs.task.image_pull.duration", Instrument: InstrumentGauge}),
}
