package sim

// TaskFields are a simulated task's fields for health and capacity.
type TaskFields struct {
	// ContainerInstance is the ID of the instance it runs on (EC2).
	ContainerInstance string
	// CapacityProvider is the capacity provider it runs on.
	CapacityProvider string
	// HealthStatus is the task's (HEALTHY, UNHEALTHY, UNKNOWN), and
	// ContainerHealth each container's, by name; empty when not reported.
	HealthStatus    string
	ContainerHealth map[string]string
	// StartedBy is the deployment that started it (ecs-svc/...).
	StartedBy string
}

// InstanceFields are a simulated container instance's platform, capacity
// provider and status.
type InstanceFields struct {
	Arch             string // ecs.cpu-architecture: x86_64 (default) or arm64
	OS               string // ecs.os-type: linux (default) or windows
	CapacityProvider string
	Status           string // ACTIVE (default), DRAINING, ...
	Disconnected     bool   // the agent is not connected
}

// addTaskFields adds the TaskFields that are set to a task's JSON.
func (s *ECS) addTaskFields(c *Cluster, t *Task, m map[string]any) {
	if t.ContainerInstance != "" {
		m["containerInstanceArn"] = s.arn("container-instance", c.Name+"/"+t.ContainerInstance)
	}
	if t.CapacityProvider != "" {
		m["capacityProviderName"] = t.CapacityProvider
	}
	if t.HealthStatus != "" {
		m["healthStatus"] = t.HealthStatus
	}
	if t.StartedBy != "" {
		m["startedBy"] = t.StartedBy
	}
	if len(t.ContainerHealth) > 0 {
		for _, ct := range m["containers"].([]any) {
			cm := ct.(map[string]any)
			if h := t.ContainerHealth[cm["name"].(string)]; h != "" {
				cm["healthStatus"] = h
			}
		}
	}
}

// addInstanceFields adds an instance's platform attributes, capacity
// provider and status to its JSON.
func addInstanceFields(in *Instance, m map[string]any) {
	arch, os := in.Arch, in.OS
	if arch == "" {
		arch = "x86_64"
	}
	if os == "" {
		os = "linux"
	}
	m["attributes"] = []any{
		map[string]any{"name": "ecs.cpu-architecture", "value": arch},
		map[string]any{"name": "ecs.os-type", "value": os},
	}
	if in.CapacityProvider != "" {
		m["capacityProviderName"] = in.CapacityProvider
	}
	if in.Status != "" {
		m["status"] = in.Status
	}
	m["agentConnected"] = !in.Disconnected
}

// instancesWithStatus filters instances by ListContainerInstances' status
// ("" lists all).
func instancesWithStatus(instances []*Instance, status string) []*Instance {
	if status == "" {
		return instances
	}
	var out []*Instance
	for _, in := range instances {
		st := in.Status
		if st == "" {
			st = "ACTIVE"
		}
		if st == status {
			out = append(out, in)
		}
	}
	return out
}

// strategyJSON is a capacity provider strategy of weight 1 each; nil for
// none.
func strategyJSON(providers []string) []any {
	var out []any
	for _, p := range providers {
		out = append(out, map[string]any{"capacityProvider": p, "weight": 1, "base": 0})
	}
	return out
}

// constraintsJSON is the placement constraints of a service.
func constraintsJSON(distinct bool) []any {
	if !distinct {
		return []any{}
	}
	return []any{map[string]any{"type": "distinctInstance"}}
}
