package catalog

// The Datadog Agent-compatible column: for the families the Agent's own
// checks also report, the name, DogStatsD type and unit those checks send,
// so that Datadog's out-of-the-box ECS dashboards and monitors built on them
// work unchanged. It is a table of its own, keyed by family name, rather
// than a field of each family: a naming mode is a column, and the families
// stay as they are.
//
// Sources: the checks' published metadata (DataDog/integrations-core
// ecs_fargate/metadata.csv and container/metadata.csv, copied into
// exporters/datadog/testdata/agent/ and checked by a test there). A check's
// "rate" metric is one it submits from a cumulative value, and a DogStatsD
// count is stored as a rate of its increase, so rates go out as counts;
// the Agent's "gauge" metrics of cumulative counters (the ecs_fargate
// network errors and drops) go out as the cumulative value.

// AgentCheck is the Datadog Agent check whose names a task's metrics take:
// the ecs_fargate check for Fargate tasks, the container check elsewhere.
type AgentCheck string

// The checks.
const (
	AgentFargate   AgentCheck = "ecs_fargate"
	AgentContainer AgentCheck = "container"
)

// AgentChecks lists the checks in the order tables show them.
var AgentChecks = []AgentCheck{AgentFargate, AgentContainer}

// AgentMetric is one metric as an Agent check sends it. Its Unit is the
// check's metadata unit; Scale converts the family's base unit into it.
type AgentMetric struct {
	Name  string // full name, never namespaced
	Type  DatadogType
	Scale float64
	Unit  string
}

// Factor is the multiplier from the family's unit to the sent one.
func (m AgentMetric) Factor() float64 { return Datadog{Scale: m.Scale}.Factor() }

// DatadogAgent maps a family to the metric each check sends for the same
// data. A family or a check missing here keeps the family's ecswatch name.
var DatadogAgent = map[string]map[AgentCheck]AgentMetric{
	"ecs_task_cpu_limit_vcpus": {
		AgentFargate: {Name: "ecs.fargate.cpu.task.limit", Type: DatadogGauge, Scale: 1e9, Unit: "nanocore"},
	},
	"ecs_task_memory_limit_bytes": {
		AgentFargate: {Name: "ecs.fargate.mem.task.limit", Type: DatadogGauge, Unit: "byte"},
	},
	"ecs_task_ephemeral_storage_used_bytes": {
		AgentFargate: {Name: "ecs.fargate.ephemeral_storage.utilized", Type: DatadogGauge, Scale: 1.0 / (1 << 20), Unit: "mebibyte"},
	},
	"ecs_task_ephemeral_storage_allocated_bytes": {
		AgentFargate: {Name: "ecs.fargate.ephemeral_storage.reserved", Type: DatadogGauge, Scale: 1.0 / (1 << 20), Unit: "mebibyte"},
	},
	"ecs_container_cpu_usage_seconds_total": {
		AgentFargate:   {Name: "ecs.fargate.cpu.usage", Type: DatadogCount, Scale: 1e9, Unit: "nanosecond"},
		AgentContainer: {Name: "container.cpu.usage", Type: DatadogCount, Scale: 1e9, Unit: "nanocore"},
	},
	"ecs_container_cpu_throttled_seconds_total": {
		AgentContainer: {Name: "container.cpu.throttled", Type: DatadogCount, Scale: 1e9, Unit: "nanosecond"},
	},
	"ecs_container_cpu_limit_vcpus": {
		// ecs_fargate sends the container's Limits.CPU as it is, in CPU
		// units, whatever its metadata says; the container check nanocores.
		AgentFargate:   {Name: "ecs.fargate.cpu.limit", Type: DatadogGauge, Scale: 1024, Unit: "percent"},
		AgentContainer: {Name: "container.cpu.limit", Type: DatadogGauge, Scale: 1e9, Unit: "nanocore"},
	},
	"ecs_container_memory_usage_bytes": {
		AgentFargate:   {Name: "ecs.fargate.mem.usage", Type: DatadogGauge, Unit: "byte"},
		AgentContainer: {Name: "container.memory.usage", Type: DatadogGauge, Unit: "byte"},
	},
	"ecs_container_memory_working_set_bytes": {
		AgentContainer: {Name: "container.memory.working_set", Type: DatadogGauge, Unit: "byte"},
	},
	"ecs_container_memory_page_cache_size_bytes": {
		AgentFargate:   {Name: "ecs.fargate.mem.cache", Type: DatadogGauge, Unit: "byte"},
		AgentContainer: {Name: "container.memory.cache", Type: DatadogGauge, Unit: "byte"},
	},
	"ecs_container_memory_limit_bytes": {
		AgentFargate:   {Name: "ecs.fargate.mem.limit", Type: DatadogGauge, Unit: "byte"},
		AgentContainer: {Name: "container.memory.limit", Type: DatadogGauge, Unit: "byte"},
	},
	"ecs_container_blkio_read_bytes_total": {
		AgentFargate:   {Name: "ecs.fargate.io.bytes.read", Type: DatadogCount, Unit: "byte"},
		AgentContainer: {Name: "container.io.read", Type: DatadogCount, Unit: "byte"},
	},
	"ecs_container_blkio_write_bytes_total": {
		AgentFargate:   {Name: "ecs.fargate.io.bytes.write", Type: DatadogCount, Unit: "byte"},
		AgentContainer: {Name: "container.io.write", Type: DatadogCount, Unit: "byte"},
	},
	"ecs_network_receive_bytes_total": {
		AgentFargate:   {Name: "ecs.fargate.net.bytes_rcvd", Type: DatadogCount, Unit: "byte"},
		AgentContainer: {Name: "container.net.rcvd", Type: DatadogCount, Unit: "byte"},
	},
	"ecs_network_transmit_bytes_total": {
		AgentFargate:   {Name: "ecs.fargate.net.bytes_sent", Type: DatadogCount, Unit: "byte"},
		AgentContainer: {Name: "container.net.sent", Type: DatadogCount, Unit: "byte"},
	},
	"ecs_network_receive_packets_total": {
		AgentContainer: {Name: "container.net.rcvd.packets", Type: DatadogCount},
	},
	"ecs_network_transmit_packets_total": {
		AgentContainer: {Name: "container.net.sent.packets", Type: DatadogCount},
	},
	"ecs_network_receive_errors_total": {
		AgentFargate: {Name: "ecs.fargate.net.rcvd_errors", Type: DatadogGauge, Unit: "error"},
	},
	"ecs_network_transmit_errors_total": {
		AgentFargate: {Name: "ecs.fargate.net.sent_errors", Type: DatadogGauge, Unit: "error"},
	},
	"ecs_network_receive_packets_dropped_total": {
		AgentFargate: {Name: "ecs.fargate.net.packet.in_dropped", Type: DatadogGauge, Unit: "packet"},
	},
	"ecs_network_transmit_packets_dropped_total": {
		AgentFargate: {Name: "ecs.fargate.net.packet.out_dropped", Type: DatadogGauge, Unit: "packet"},
	},
}

// AgentCheckFor is the check whose names a task's metrics take.
func AgentCheckFor(launchType string) AgentCheck {
	if launchType == "FARGATE" {
		return AgentFargate
	}
	return AgentContainer
}
