package datadog

import (
	"strings"

	"github.com/ecswatch/ecswatch/collector/insights/cimetric"
)

// Type is how a catalogue metric is sent to DogStatsD.
type Type string

// The DogStatsD types used. Counters go out as counts of their increase since
// the last push, never as their cumulative value.
const (
	Gauge Type = "gauge"
	Count Type = "count"
	// Tags marks an info metric: its labels become tags of the other
	// metrics rather than a metric of its own.
	Tags Type = "tags"
)

// Mapping is one row of the catalogue-to-Datadog table.
type Mapping struct {
	Name string // Datadog name, after the namespace
	Type Type
	// Unit of what is sent, when it is not the catalogue's base unit:
	// DogStatsD counts are integers, so counters of seconds go out in
	// nanoseconds, as the Agent's own container.cpu.usage does.
	Unit string
}

// scale is the factor from the catalogue's unit to the sent unit.
func (m Mapping) scale() float64 {
	if m.Unit == "nanoseconds" {
		return 1e9
	}
	return 1
}

// Mappings maps every catalogue metric to its Datadog name and type. README's
// Datadog table is generated from it, and a test fails if a catalogue metric
// is missing.
var Mappings = withInsights(map[string]Mapping{
	"ecs_task_metadata_info":                      {"", Tags, ""},
	"ecs_task_cpu_limit_vcpus":                    {"task.cpu.limit", Gauge, ""},
	"ecs_task_memory_limit_bytes":                 {"task.memory.limit", Gauge, ""},
	"ecs_task_ephemeral_storage_used_bytes":       {"task.ephemeral_storage.used", Gauge, ""},
	"ecs_task_ephemeral_storage_allocated_bytes":  {"task.ephemeral_storage.reserved", Gauge, ""},
	"ecs_task_image_pull_start_timestamp_seconds": {"task.image_pull.start", Gauge, ""},
	"ecs_task_image_pull_stop_timestamp_seconds":  {"task.image_pull.stop", Gauge, ""},
	"ecs_task_image_pull_duration_seconds":        {"task.image_pull.duration", Gauge, ""},

	"ecs_container_info":                         {"", Tags, ""},
	"ecs_container_state":                        {"container.state", Gauge, ""},
	"ecs_container_exit_code":                    {"container.exit_code", Gauge, ""},
	"ecs_container_restarts_total":               {"container.restarts", Count, ""},
	"ecs_container_oom_kills_total":              {"container.oom_kills", Count, ""},
	"ecs_container_cpu_limit_vcpus":              {"container.cpu.limit", Gauge, ""},
	"ecs_container_memory_reservation_bytes":     {"container.memory.reservation", Gauge, ""},
	"ecs_container_cpu_usage_seconds_total":      {"container.cpu.usage", Count, "nanoseconds"},
	"ecs_container_cpu_throttled_seconds_total":  {"container.cpu.throttled", Count, "nanoseconds"},
	"ecs_container_memory_usage_bytes":           {"container.memory.usage", Gauge, ""},
	"ecs_container_memory_working_set_bytes":     {"container.memory.working_set", Gauge, ""},
	"ecs_container_memory_page_cache_size_bytes": {"container.memory.cache", Gauge, ""},
	"ecs_container_memory_limit_bytes":           {"container.memory.limit", Gauge, ""},
	"ecs_container_blkio_read_bytes_total":       {"container.io.read_bytes", Count, ""},
	"ecs_container_blkio_write_bytes_total":      {"container.io.write_bytes", Count, ""},
	"ecs_container_pids":                         {"container.pids", Gauge, ""},

	"ecs_network_receive_bytes_total":            {"net.bytes_rcvd", Count, ""},
	"ecs_network_receive_packets_total":          {"net.packets_rcvd", Count, ""},
	"ecs_network_receive_errors_total":           {"net.errors_rcvd", Count, ""},
	"ecs_network_receive_packets_dropped_total":  {"net.dropped_rcvd", Count, ""},
	"ecs_network_transmit_bytes_total":           {"net.bytes_sent", Count, ""},
	"ecs_network_transmit_packets_total":         {"net.packets_sent", Count, ""},
	"ecs_network_transmit_errors_total":          {"net.errors_sent", Count, ""},
	"ecs_network_transmit_packets_dropped_total": {"net.dropped_sent", Count, ""},

	"ecs_service_desired_tasks":                        {"service.desired", Gauge, ""},
	"ecs_service_running_tasks":                        {"service.running", Gauge, ""},
	"ecs_service_pending_tasks":                        {"service.pending", Gauge, ""},
	"ecs_service_deployment_info":                      {"", Tags, ""},
	"ecs_service_deployment_desired_tasks":             {"deployment.desired", Gauge, ""},
	"ecs_service_deployment_running_tasks":             {"deployment.running", Gauge, ""},
	"ecs_service_deployment_pending_tasks":             {"deployment.pending", Gauge, ""},
	"ecs_service_deployment_failed_tasks":              {"deployment.failed_tasks", Gauge, ""},
	"ecs_service_deployment_created_timestamp_seconds": {"deployment.created", Gauge, ""},
	"ecs_service_deployment_stuck":                     {"deployment.stuck", Gauge, ""},
	"ecs_service_deployment_failures_total":            {"deployment.failures", Count, ""},
	"ecs_service_revisions_running":                    {"service.revisions_running", Gauge, ""},
	"ecs_service_revisions_mixed_seconds":              {"service.revisions_mixed_duration", Gauge, ""},
	"ecs_service_placement_failures_total":             {"service.placement_failures", Count, ""},
	"ecs_service_deploy_headroom_tasks":                {"service.deploy_headroom", Gauge, ""},
	"ecs_service_deploy_surge_tasks":                   {"service.deploy_surge", Gauge, ""},
	"ecs_task_stopped_total":                           {"task.stopped", Count, ""},

	"ecswatch_collector_up":                             {"self.collector.up", Gauge, ""},
	"ecswatch_collector_duration_seconds":               {"self.collector.duration", Gauge, ""},
	"ecswatch_collector_errors_total":                   {"self.collector.errors", Count, ""},
	"ecswatch_collector_last_success_timestamp_seconds": {"self.collector.last_success", Gauge, ""},
	"ecswatch_exporter_dropped_total":                   {"self.exporter.dropped", Count, ""},
	"ecswatch_events_received_total":                    {"self.events.received", Count, ""},
	"ecswatch_aws_api_calls_total":                      {"self.aws.api_calls", Count, ""},
})

// withInsights adds the Container Insights metrics, gauges named
// containerinsights.<name without the ecs_containerinsights_ prefix>.
func withInsights(m map[string]Mapping) map[string]Mapping {
	for _, im := range cimetric.Metrics {
		m[im.Name] = Mapping{Name: "containerinsights." + strings.TrimPrefix(im.Name, "ecs_containerinsights_"), Type: Gauge}
	}
	return m
}

// tagNames renames catalogue labels where the Datadog name differs; the
// identity labels are replaced by the Agent's ECS tags instead.
var tagNames = map[string]string{
	"status":    "deployment_status",
	"service":   "aws_service",
	"operation": "aws_operation",
	"type":      "event_type",
	// source is reserved in Datadog (the integration a log or event came from).
	"source": "ecswatch_source",
}
