package ecsvocab

// The Container Insights metrics ecswatch reads: CloudWatch names, dimension
// levels, unit conversion and exported names.

// Level is a dimension set of ECS/ContainerInsights.
type Level string

// The levels queried.
const (
	Cluster   Level = "cluster"   // ClusterName
	Service   Level = "service"   // ClusterName, ServiceName
	Family    Level = "family"    // ClusterName, TaskDefinitionFamily
	Container Level = "container" // ClusterName, ServiceName, ContainerName (enhanced)
)

// Metric is one Container Insights metric: its CloudWatch name, the levels
// it is published at, the factor to ecswatch's base unit and the name it is
// exported under.
type Metric struct {
	CloudWatch string
	Levels     []Level
	Scale      float64 // CloudWatch unit to base unit
	Name       string  // Prometheus name
	Unit       string  // base unit, for the docs and OTLP (UCUM)
	Help       string
	Enhanced   bool // only with Container Insights enhanced observability
}

const (
	vcpu = 1.0 / 1024 // CPU units
	mib  = 1 << 20    // Megabytes, as Container Insights means them
	gib  = 1 << 30    // Gibibytes
)

var resource = []Level{Cluster, Service, Family}

// Metrics lists what is queried, in the order exported.
var Metrics = []Metric{
	{"CpuUtilized", resource, vcpu, "ecs_containerinsights_cpu_utilized_vcpus", "{cpu}", "CPU used by the tasks, in vCPUs.", false},
	{"CpuReserved", resource, vcpu, "ecs_containerinsights_cpu_reserved_vcpus", "{cpu}", "CPU reserved by the tasks, in vCPUs.", false},
	{"MemoryUtilized", resource, mib, "ecs_containerinsights_memory_utilized_bytes", "By", "Memory used by the tasks.", false},
	{"MemoryReserved", resource, mib, "ecs_containerinsights_memory_reserved_bytes", "By", "Memory reserved by the tasks.", false},
	{"NetworkRxBytes", resource, 1, "ecs_containerinsights_network_receive_bytes_per_second", "By/s", "Bytes received per second (awsvpc and bridge mode).", false},
	{"NetworkTxBytes", resource, 1, "ecs_containerinsights_network_transmit_bytes_per_second", "By/s", "Bytes transmitted per second (awsvpc and bridge mode).", false},
	{"StorageReadBytes", resource, 1, "ecs_containerinsights_storage_read_bytes", "By", "Bytes read from storage in the period.", false},
	{"StorageWriteBytes", resource, 1, "ecs_containerinsights_storage_write_bytes", "By", "Bytes written to storage in the period.", false},
	{"EphemeralStorageUtilized", resource, gib, "ecs_containerinsights_ephemeral_storage_utilized_bytes", "By", "Ephemeral storage used (Fargate).", false},
	{"EphemeralStorageReserved", resource, gib, "ecs_containerinsights_ephemeral_storage_reserved_bytes", "By", "Ephemeral storage reserved (Fargate).", false},
	{"RunningTaskCount", []Level{Service}, 1, "ecs_containerinsights_running_tasks", "{task}", "Tasks in the RUNNING state.", false},
	{"PendingTaskCount", []Level{Service}, 1, "ecs_containerinsights_pending_tasks", "{task}", "Tasks in the PENDING state.", false},
	{"DesiredTaskCount", []Level{Service}, 1, "ecs_containerinsights_desired_tasks", "{task}", "Desired tasks of the service.", false},
	{"DeploymentCount", []Level{Service}, 1, "ecs_containerinsights_deployments", "{deployment}", "Deployments of the service.", false},
	{"TaskSetCount", []Level{Service}, 1, "ecs_containerinsights_task_sets", "{task_set}", "Task sets of the service.", false},
	{"ServiceCount", []Level{Cluster}, 1, "ecs_containerinsights_services", "{service}", "Services in the cluster.", false},
	{"TaskCount", []Level{Cluster}, 1, "ecs_containerinsights_tasks", "{task}", "Tasks running in the cluster.", false},
	{"ContainerInstanceCount", []Level{Cluster}, 1, "ecs_containerinsights_container_instances", "{instance}", "EC2 instances registered with the cluster.", false},
	// Enhanced observability.
	{"ContainerCpuUtilized", []Level{Container}, vcpu, "ecs_containerinsights_container_cpu_utilized_vcpus", "{cpu}", "CPU used by the service's containers of this name, in vCPUs (enhanced).", true},
	{"ContainerCpuReserved", []Level{Container}, vcpu, "ecs_containerinsights_container_cpu_reserved_vcpus", "{cpu}", "CPU reserved by the service's containers of this name, in vCPUs (enhanced).", true},
	{"ContainerMemoryUtilized", []Level{Container}, mib, "ecs_containerinsights_container_memory_utilized_bytes", "By", "Memory used by the service's containers of this name (enhanced).", true},
	{"ContainerMemoryReserved", []Level{Container}, mib, "ecs_containerinsights_container_memory_reserved_bytes", "By", "Memory reserved by the service's containers of this name (enhanced).", true},
	{"TaskCpuUtilization", []Level{Service}, 0.01, "ecs_containerinsights_task_cpu_utilization_ratio", "1", "CPU used over CPU reserved by the service's tasks (enhanced).", true},
	{"TaskMemoryUtilization", []Level{Service}, 0.01, "ecs_containerinsights_task_memory_utilization_ratio", "1", "Memory used over memory reserved by the service's tasks (enhanced).", true},
	{"RestartCount", []Level{Service}, 1, "ecs_containerinsights_restarts", "{restart}", "Container restarts in the period (enhanced; containers with a restart policy).", true},
}
