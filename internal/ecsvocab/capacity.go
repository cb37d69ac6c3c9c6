package ecsvocab

import "slices"

// InstanceStatuses are the statuses ListContainerInstances lists without a
// filter: the SDK's types.ContainerInstanceStatus values but INACTIVE.
var InstanceStatuses = []string{"ACTIVE", "DRAINING", "REGISTERING", "DEREGISTERING", "REGISTRATION_FAILED"}

// InstanceStatusOther is the status label of a value the SDK does not know.
const InstanceStatusOther = "other"

// InstanceStatusLabel bounds a container instance's status.
func InstanceStatusLabel(s string) string {
	if slices.Contains(InstanceStatuses, s) {
		return s
	}
	return InstanceStatusOther
}

// InstanceStatusValues are every value of the instances' status label.
func InstanceStatusValues() []string {
	return append(slices.Clone(InstanceStatuses), InstanceStatusOther)
}

// NoCapacityProvider is the capacity provider label of a task placed by
// launch type rather than by a capacity provider.
const NoCapacityProvider = "none"
