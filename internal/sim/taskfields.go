package sim

import (
	"slices"
	"strconv"
	"strings"
)

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

// TaskDefinition is a registered task definition: what DescribeTaskDefinition
// answers. Unregistered ones are derived from a task that uses them.
type TaskDefinition struct {
	Name        string // family:revision
	CPU, Memory int    // task level; 0 for none
	Containers  []ContainerDefinition
	Arch, OS    string // runtimePlatform: X86_64 or ARM64; LINUX; empty for none
}

// ContainerDefinition is one container of a TaskDefinition.
type ContainerDefinition struct {
	Name                      string
	CPU, Memory, MemoryReserv int
}

// AddTaskDefinition registers td.
func (s *ECS) AddTaskDefinition(td *TaskDefinition) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.taskDefs == nil {
		s.taskDefs = map[string]*TaskDefinition{}
	}
	s.taskDefs[td.Name] = td
}

// describeTaskDefinition answers DescribeTaskDefinition: a registered task
// definition, else one derived from the first task of any cluster using it.
func describeTaskDefinition(s *ECS, _ *Cluster, names []string, req *ecsRequest) (any, *awsError) {
	name := lastPart(req.TaskDefinition)
	s.mu.Lock()
	td := s.taskDefs[name]
	if td == nil {
		for _, cn := range names {
			c := s.cluster(cn)
			if c == nil {
				continue
			}
			// A revision no task uses yet: sized like its family's tasks.
			i := slices.IndexFunc(c.Tasks, func(t *Task) bool { return t.TaskDefinition == name })
			if i < 0 {
				family, _, _ := strings.Cut(name, ":")
				i = slices.IndexFunc(c.Tasks, func(t *Task) bool { return strings.HasPrefix(t.TaskDefinition, family+":") })
			}
			if i >= 0 {
				t := c.Tasks[i]
				td = &TaskDefinition{Name: name, CPU: t.CPU, Memory: t.Memory}
				for _, ct := range t.Containers {
					td.Containers = append(td.Containers, ContainerDefinition{Name: ct.Name})
				}
				break
			}
		}
	}
	s.mu.Unlock()
	if td == nil {
		return nil, &awsError{400, "ClientException", "Unable to describe task definition."}
	}
	family, rev := name, 0
	if i := strings.LastIndexByte(name, ':'); i >= 0 {
		family = name[:i]
		rev, _ = strconv.Atoi(name[i+1:])
	}
	var cds []any
	for _, cd := range td.Containers {
		m := map[string]any{"name": cd.Name, "image": "public.ecr.aws/acme/" + family, "cpu": cd.CPU, "essential": true}
		if cd.Memory > 0 {
			m["memory"] = cd.Memory
		}
		if cd.MemoryReserv > 0 {
			m["memoryReservation"] = cd.MemoryReserv
		}
		cds = append(cds, m)
	}
	out := map[string]any{
		"taskDefinitionArn": s.arn("task-definition", name), "family": family, "revision": rev,
		"status": "ACTIVE", "containerDefinitions": cds,
	}
	if td.CPU > 0 {
		out["cpu"] = strconv.Itoa(td.CPU)
	}
	if td.Memory > 0 {
		out["memory"] = strconv.Itoa(td.Memory)
	}
	if td.Arch != "" || td.OS != "" {
		out["runtimePlatform"] = map[string]any{"cpuArchitecture": td.Arch, "operatingSystemFamily": td.OS}
	}
	return map[string]any{"taskDefinition": out}, nil
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
