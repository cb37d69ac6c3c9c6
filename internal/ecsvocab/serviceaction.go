package ecsvocab

import "slices"

// ServiceActionNames are the eventName values of ECS Service Action events
// (Developer Guide, "Amazon ECS service action events"), INFO, then WARN,
// then ERROR.
var ServiceActionNames = []string{
	"SERVICE_STEADY_STATE", "TASKSET_STEADY_STATE", "CAPACITY_PROVIDER_STEADY_STATE", "SERVICE_DESIRED_COUNT_UPDATED",
	"SERVICE_TASK_START_IMPAIRED", "SERVICE_DISCOVERY_INSTANCE_UNHEALTHY",
	"SERVICE_DAEMON_PLACEMENT_CONSTRAINT_VIOLATED", "ECS_OPERATION_THROTTLED", "SERVICE_DISCOVERY_OPERATION_THROTTLED",
	"SERVICE_TASK_PLACEMENT_FAILURE", "SERVICE_TASK_CONFIGURATION_FAILURE",
}

// ServiceActionOther is the label of an eventName ECS has not documented.
const ServiceActionOther = "other"

// ServiceActionLabel bounds a service action's eventName.
func ServiceActionLabel(name string) string {
	if slices.Contains(ServiceActionNames, name) {
		return name
	}
	return ServiceActionOther
}

// ServiceActionValues are every value of the service actions' label.
func ServiceActionValues() []string {
	return append(slices.Clone(ServiceActionNames), ServiceActionOther)
}

// ServiceActionNotable reports whether a service action is news for an
// operator (WARN and ERROR events): it goes to Datadog events and OTLP log
// records besides its counter.
func ServiceActionNotable(name string) bool {
	i := slices.Index(ServiceActionNames, name)
	return i >= slices.Index(ServiceActionNames, "SERVICE_TASK_START_IMPAIRED") || i < 0
}

// InstanceAgentDisconnected is the change label of a container instance
// state change whose agent is disconnected, whatever its status.
const InstanceAgentDisconnected = "agent_disconnected"

// InstanceChangeLabel is the change label of a container instance state
// change: agent_disconnected, else its bounded status.
func InstanceChangeLabel(status string, agentConnected bool) string {
	if !agentConnected {
		return InstanceAgentDisconnected
	}
	return InstanceStatusLabel(status)
}

// InstanceChangeValues are every value of the instance changes' label.
func InstanceChangeValues() []string {
	return append(InstanceStatusValues(), InstanceAgentDisconnected)
}
