package ecsvocab

import "slices"

// HealthStatuses are the SDK's types.HealthStatus values, a task's and a
// container's healthStatus in DescribeTasks (and the metadata endpoint's
// container Health.status): HEALTHY, UNHEALTHY, and UNKNOWN while the check
// is evaluated or where none is defined.
var HealthStatuses = []string{"HEALTHY", "UNHEALTHY", "UNKNOWN"}

// HealthStatusLabel bounds a health status to HealthStatuses: anything else
// (none given, a value the SDK does not know) is UNKNOWN.
func HealthStatusLabel(s string) string {
	if slices.Contains(HealthStatuses, s) {
		return s
	}
	return "UNKNOWN"
}
