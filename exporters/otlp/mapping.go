package otlp

import (
	"strings"

	"github.com/ecswatch/ecswatch/collector/insights/cimetric"
)

// Instrument is the OpenTelemetry instrument a catalogue metric becomes.
type Instrument string

// The instruments used; all are asynchronous, observed from the snapshot.
const (
	Counter       Instrument = "counter"       // monotonic sum
	UpDownCounter Instrument = "updowncounter" // non-monotonic sum
	Gauge         Instrument = "gauge"
	// Attributes marks an info metric: its labels are attributes of the
	// other metrics' points or resource instead.
	Attributes Instrument = "attributes"
)

// Mapping is one row of the catalogue-to-OTLP table.
type Mapping struct {
	Name       string
	Unit       string // UCUM, as the semantic conventions use
	Instrument Instrument
	// Attrs are extra attributes fixed by the mapping, e.g. the direction
	// of a semconv container.network.io point.
	Attrs map[string]string
}

// Mappings maps every catalogue metric to its OTLP name, unit and
// instrument. Names are the semantic conventions' container.* metrics where
// they exist; the rest are ecswatch's documented aws.ecs.* and ecswatch.*
// names. README's OTLP table is generated from it.
var Mappings = withInsights(map[string]Mapping{
	"ecs_task_metadata_info":                      {"", "", Attributes, nil},
	"ecs_task_cpu_limit_vcpus":                    {"aws.ecs.task.cpu.limit", "{cpu}", Gauge, nil},
	"ecs_task_memory_limit_bytes":                 {"aws.ecs.task.memory.limit", "By", Gauge, nil},
	"ecs_task_ephemeral_storage_used_bytes":       {"aws.ecs.task.ephemeral_storage.usage", "By", UpDownCounter, nil},
	"ecs_task_ephemeral_storage_allocated_bytes":  {"aws.ecs.task.ephemeral_storage.limit", "By", Gauge, nil},
	"ecs_task_image_pull_start_timestamp_seconds": {"aws.ecs.task.image_pull.start_time", "s", Gauge, nil},
	"ecs_task_image_pull_stop_timestamp_seconds":  {"aws.ecs.task.image_pull.stop_time", "s", Gauge, nil},
	"ecs_task_image_pull_duration_seconds":        {"aws.ecs.task.image_pull.duration", "s", Gauge, nil},

	"ecs_container_info":                     {"", "", Attributes, nil},
	"ecs_container_state":                    {"aws.ecs.container.state", "1", Gauge, nil},
	"ecs_container_exit_code":                {"aws.ecs.container.exit_code", "1", Gauge, nil},
	"ecs_container_restarts_total":           {"aws.ecs.container.restarts", "{restart}", Counter, nil},
	"ecs_container_oom_kills_total":          {"aws.ecs.container.oom_kills", "{kill}", Counter, nil},
	"ecs_container_cpu_limit_vcpus":          {"aws.ecs.container.cpu.limit", "{cpu}", Gauge, nil},
	"ecs_container_memory_reservation_bytes": {"aws.ecs.container.memory.reservation", "By", Gauge, nil},
	// semconv container.* metrics.
	"ecs_container_cpu_usage_seconds_total":      {"container.cpu.time", "s", Counter, nil},
	"ecs_container_cpu_throttled_seconds_total":  {"aws.ecs.container.cpu.throttled_time", "s", Counter, nil},
	"ecs_container_memory_usage_bytes":           {"container.memory.usage", "By", UpDownCounter, nil},
	"ecs_container_memory_working_set_bytes":     {"container.memory.working_set", "By", UpDownCounter, nil},
	"ecs_container_memory_page_cache_size_bytes": {"aws.ecs.container.memory.cache", "By", UpDownCounter, nil},
	"ecs_container_memory_limit_bytes":           {"aws.ecs.container.memory.limit", "By", Gauge, nil},
	"ecs_container_blkio_read_bytes_total":       {"container.disk.io", "By", Counter, map[string]string{"disk.io.direction": "read"}},
	"ecs_container_blkio_write_bytes_total":      {"container.disk.io", "By", Counter, map[string]string{"disk.io.direction": "write"}},
	"ecs_container_pids":                         {"aws.ecs.container.pids", "{process}", UpDownCounter, nil},

	"ecs_network_receive_bytes_total":            {"container.network.io", "By", Counter, map[string]string{"network.io.direction": "receive"}},
	"ecs_network_transmit_bytes_total":           {"container.network.io", "By", Counter, map[string]string{"network.io.direction": "transmit"}},
	"ecs_network_receive_packets_total":          {"aws.ecs.network.packets", "{packet}", Counter, map[string]string{"network.io.direction": "receive"}},
	"ecs_network_transmit_packets_total":         {"aws.ecs.network.packets", "{packet}", Counter, map[string]string{"network.io.direction": "transmit"}},
	"ecs_network_receive_errors_total":           {"aws.ecs.network.errors", "{error}", Counter, map[string]string{"network.io.direction": "receive"}},
	"ecs_network_transmit_errors_total":          {"aws.ecs.network.errors", "{error}", Counter, map[string]string{"network.io.direction": "transmit"}},
	"ecs_network_receive_packets_dropped_total":  {"aws.ecs.network.dropped", "{packet}", Counter, map[string]string{"network.io.direction": "receive"}},
	"ecs_network_transmit_packets_dropped_total": {"aws.ecs.network.dropped", "{packet}", Counter, map[string]string{"network.io.direction": "transmit"}},

	"ecs_service_desired_tasks":                        {"aws.ecs.service.tasks.desired", "{task}", Gauge, nil},
	"ecs_service_running_tasks":                        {"aws.ecs.service.tasks.running", "{task}", Gauge, nil},
	"ecs_service_pending_tasks":                        {"aws.ecs.service.tasks.pending", "{task}", Gauge, nil},
	"ecs_service_deployment_info":                      {"", "", Attributes, nil},
	"ecs_service_deployment_desired_tasks":             {"aws.ecs.deployment.tasks.desired", "{task}", Gauge, nil},
	"ecs_service_deployment_running_tasks":             {"aws.ecs.deployment.tasks.running", "{task}", Gauge, nil},
	"ecs_service_deployment_pending_tasks":             {"aws.ecs.deployment.tasks.pending", "{task}", Gauge, nil},
	"ecs_service_deployment_failed_tasks":              {"aws.ecs.deployment.tasks.failed", "{task}", Gauge, nil},
	"ecs_service_deployment_created_timestamp_seconds": {"aws.ecs.deployment.created_time", "s", Gauge, nil},
	"ecs_service_deployment_stuck":                     {"aws.ecs.deployment.stuck", "1", Gauge, nil},
	"ecs_service_deployment_failures_total":            {"aws.ecs.deployment.failures", "{deployment}", Counter, nil},
	"ecs_service_revisions_running":                    {"aws.ecs.service.revisions", "{revision}", Gauge, nil},
	"ecs_service_revisions_mixed_seconds":              {"aws.ecs.service.revisions.mixed_duration", "s", Gauge, nil},
	"ecs_service_placement_failures_total":             {"aws.ecs.service.placement_failures", "{failure}", Counter, nil},
	"ecs_service_deploy_headroom_tasks":                {"aws.ecs.service.deploy.headroom", "{task}", Gauge, nil},
	"ecs_service_deploy_surge_tasks":                   {"aws.ecs.service.deploy.surge", "{task}", Gauge, nil},
	"ecs_task_stopped_total":                           {"aws.ecs.task.stopped", "{task}", Counter, nil},

	"ecswatch_collector_up":                             {"ecswatch.collector.up", "1", Gauge, nil},
	"ecswatch_collector_duration_seconds":               {"ecswatch.collector.duration", "s", Gauge, nil},
	"ecswatch_collector_errors_total":                   {"ecswatch.collector.errors", "{error}", Counter, nil},
	"ecswatch_collector_last_success_timestamp_seconds": {"ecswatch.collector.last_success_time", "s", Gauge, nil},
	"ecswatch_exporter_dropped_total":                   {"ecswatch.exporter.dropped", "{item}", Counter, nil},
	"ecswatch_events_received_total":                    {"ecswatch.events.received", "{event}", Counter, nil},
	"ecswatch_aws_api_calls_total":                      {"ecswatch.aws.api_calls", "{call}", Counter, nil},
})

// withInsights adds the Container Insights metrics, gauges named
// aws.ecs.containerinsights.<name without the ecs_containerinsights_ prefix>.
func withInsights(m map[string]Mapping) map[string]Mapping {
	for _, im := range cimetric.Metrics {
		m[im.Name] = Mapping{Name: "aws.ecs.containerinsights." + strings.TrimPrefix(im.Name, "ecs_containerinsights_"), Unit: im.Unit, Instrument: Gauge}
	}
	return m
}

// attrNames renames catalogue labels to attribute names, the semantic
// conventions' where they exist.
var attrNames = map[string]string{
	"container_name": "container.name",
	"interface":      "network.interface.name",
	"state":          "aws.ecs.container.state",
	"reason":         "aws.ecs.reason",
	"stop_code":      "aws.ecs.task.stop_code",
	"deployment_id":  "aws.ecs.deployment.id",
	"status":         "aws.ecs.deployment.status",
	"collector":      "ecswatch.collector",
	"exporter":       "ecswatch.exporter",
	"type":           "ecswatch.event.type",
	"service":        "cloud.service",
	"operation":      "rpc.method",
	"outcome":        "ecswatch.outcome",
	"source":         "ecswatch.source",
}
