package catalog

// The ADOT receiver-compatible column: the names, units and kinds of the
// contrib awsecscontainermetrics receiver (what the AWS Distro for
// OpenTelemetry runs on ECS), for the families that carry the same data.
// Like the Datadog Agent column it is a table of its own, keyed by family
// name.
//
// The receiver sends every metric twice, per container ("container.") and
// per task ("ecs.task.", the sum over the task's containers, its limits
// overridden by the task's own), on a container resource and a task
// resource. Source: receiver/awsecscontainermetricsreceiver in
// open-telemetry/opentelemetry-collector-contrib (README's metric list,
// internal/awsecscontainermetrics constant.go, translator.go,
// accumulator.go, resource.go); exporters/otlp/testdata/adot_metrics.csv
// holds that list for the tests.

// The receiver's metric name prefixes.
const (
	ADOTContainerPrefix = "container."
	ADOTTaskPrefix      = "ecs.task."
)

// ReceiverMetric is one of the receiver's metrics, by its name after the
// prefix.
type ReceiverMetric struct {
	Suffix string
	// Unit is the receiver's unit string ("Bytes", "Megabytes",
	// "Nanoseconds", "Count", "None"), not UCUM.
	Unit  string
	Scale float64
	// Sum marks the receiver's cumulative sums; it sends them without the
	// monotonic flag. Others are gauges.
	Sum bool
	// TaskOnly marks a task family: only its ecs.task. metric exists, and
	// it replaces the sum of the containers' values.
	TaskOnly bool
}

// Factor is the multiplier from the family's unit to the sent one.
func (m ReceiverMetric) Factor() float64 { return Datadog{Scale: m.Scale}.Factor() }

const mib = 1 << 20

// ADOT maps a family to the receiver's metric for the same data.
var ADOT = map[string]ReceiverMetric{
	"ecs_container_memory_usage_bytes":       {Suffix: "memory.usage", Unit: "Bytes"},
	"ecs_container_memory_limit_bytes":       {Suffix: "memory.usage.limit", Unit: "Bytes"},
	"ecs_container_memory_reservation_bytes": {Suffix: "memory.reserved", Unit: "Megabytes", Scale: 1.0 / mib},
	"ecs_task_memory_limit_bytes":            {Suffix: "memory.reserved", Unit: "Megabytes", Scale: 1.0 / mib, TaskOnly: true},
	// The receiver's usage minus cache; ecswatch's working set is usage
	// minus inactive file pages, which is what the OOM killer sees.
	"ecs_container_memory_working_set_bytes": {Suffix: "memory.utilized", Unit: "Megabytes", Scale: 1.0 / mib},
	"ecs_container_cpu_usage_seconds_total":  {Suffix: "cpu.usage.total", Unit: "Nanoseconds", Scale: 1e9, Sum: true},
	// CPU units: 1024 per vCPU.
	"ecs_container_cpu_limit_vcpus": {Suffix: "cpu.reserved", Unit: "None", Scale: 1024},
	"ecs_task_cpu_limit_vcpus":      {Suffix: "cpu.reserved", Unit: "None", Scale: 1024, TaskOnly: true},

	"ecs_network_receive_bytes_total":            {Suffix: "network.io.usage.rx_bytes", Unit: "Bytes", Sum: true},
	"ecs_network_receive_packets_total":          {Suffix: "network.io.usage.rx_packets", Unit: "Count", Sum: true},
	"ecs_network_receive_errors_total":           {Suffix: "network.io.usage.rx_errors", Unit: "Count", Sum: true},
	"ecs_network_receive_packets_dropped_total":  {Suffix: "network.io.usage.rx_dropped", Unit: "Count", Sum: true},
	"ecs_network_transmit_bytes_total":           {Suffix: "network.io.usage.tx_bytes", Unit: "Bytes", Sum: true},
	"ecs_network_transmit_packets_total":         {Suffix: "network.io.usage.tx_packets", Unit: "Count", Sum: true},
	"ecs_network_transmit_errors_total":          {Suffix: "network.io.usage.tx_errors", Unit: "Count", Sum: true},
	"ecs_network_transmit_packets_dropped_total": {Suffix: "network.io.usage.tx_dropped", Unit: "Count", Sum: true},

	"ecs_container_blkio_read_bytes_total":  {Suffix: "storage.read_bytes", Unit: "Bytes", Sum: true},
	"ecs_container_blkio_write_bytes_total": {Suffix: "storage.write_bytes", Unit: "Bytes", Sum: true},

	"ecs_task_ephemeral_storage_used_bytes":      {Suffix: "ephemeral_storage.utilized", Unit: "Megabytes", Scale: 1.0 / mib, TaskOnly: true},
	"ecs_task_ephemeral_storage_allocated_bytes": {Suffix: "ephemeral_storage.reserved", Unit: "Megabytes", Scale: 1.0 / mib, TaskOnly: true},
}
